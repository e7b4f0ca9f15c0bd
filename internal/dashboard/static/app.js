// The dashboard's shell: routing between pages with the History API, the
// messages every page shares (status, errors, the read-only notice), what
// a 401 and a 403 on a write do, and the bookkeeping behind
// #main[aria-busy] that says when a page has rendered what it fetched.

import { ApiError, forgetKey, getKey, isAbort, isReadOnly, markReadOnly, onAuthProblems } from './api.js';
import { BASE, match, withQuery } from './router.js';
import { append, clear, h } from './dom.js';
import * as signIn from './page-signin.js';
import * as customers from './page-customers.js';
import * as customer from './page-customer.js';
import * as merge from './page-merge.js';
import * as customFields from './page-custom-fields.js';
import * as webhooks from './page-webhooks.js';

const notFound = {
  mount(ctx) {
    ctx.setTitle('Not found');
    ctx.root.append(h('section', { testid: 'not-found' },
      h('h1', { tabindex: '-1', text: 'No such page' }),
      h('p', {}, 'The dashboard has no page at this address. ', h('a', { href: `${BASE}/customers`, text: 'Go to the customers' }), '.')));
    return {};
  },
};

const pages = {
  'sign-in': signIn,
  customers,
  customer: { mount: customer.mountCustomer },
  'new-customer': { mount: customer.mountNewCustomer },
  merge,
  'custom-fields': customFields,
  webhooks: { mount: webhooks.mountWebhooks },
  webhook: { mount: webhooks.mountWebhook },
  'not-found': notFound,
};

const main = document.getElementById('main');
const pageRoot = document.getElementById('page');
const statusEl = document.querySelector('[data-testid="status"]');
const errorEl = document.querySelector('[data-testid="error"]');
const readonlyEl = document.querySelector('[data-testid="readonly-notice"]');
const session = document.getElementById('session');

let current = null; // { key, instance, controller, gen }
let flash = null; // what the next page shows: { status, merged, signIn }
let gen = 0;
let busyCount = 0;
let initial = true;
let shown = ''; // the path and query show() last rendered

function setBusy(delta, forGen) {
  if (forGen !== gen) return;
  busyCount = Math.max(0, busyCount + delta);
  main.setAttribute('aria-busy', busyCount > 0 ? 'true' : 'false');
}

/** Shows a polite status message ("Saved."). */
export function status(text) {
  statusEl.textContent = text || '';
}

/** Shows an error that no field of the page owns. */
export function showError(err) {
  clear(errorEl);
  if (!err) return;
  if (err instanceof ApiError) {
    const p = err.problem;
    append(errorEl, [h('p', {}, h('strong', { text: `${p.title || 'Error'} (${err.status}). ` }), p.detail || err.message),
      p.requestId ? h('p', { class: 'muted', text: `Request id: ${p.requestId}` }) : null]);
  } else {
    errorEl.append(h('p', { text: `The API could not be reached: ${err.message || err}` }));
  }
}

function applyReadOnly(detail) {
  document.body.dataset.readonly = 'true';
  clear(readonlyEl);
  readonlyEl.append(
    h('p', {}, h('strong', { text: 'Read-only. ' }),
      'This API key may read but not change data',
      detail ? ` (the API answered 403: ${detail})` : '',
      '. Editing is turned off for this session; sign out and sign in with another key to make changes.'));
  readonlyEl.hidden = false;
  for (const el of document.querySelectorAll('.write')) {
    if ('disabled' in el) el.disabled = true;
  }
}

/** Goes to url (a dashboard path), as a new history entry unless replace. */
export function navigate(url, { replace = false, flash: f } = {}) {
  if (f) flash = f;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  show();
}

function show() {
  const url = new URL(location.href);
  shown = url.pathname + url.search;
  const { name, params } = match(url.pathname);
  if (name === 'home') {
    navigate(getKey() ? `${BASE}/customers` : `${BASE}/sign-in`, { replace: true });
    return;
  }
  if (name !== 'sign-in' && !getKey()) {
    navigate(withQuery(`${BASE}/sign-in`, { next: url.pathname + url.search }), { replace: true });
    return;
  }
  const key = `${name}|${JSON.stringify(params)}`;
  if (current && current.key === key && current.instance.update) {
    current.instance.update(url.searchParams);
    return;
  }
  if (current) {
    current.controller.abort();
    current.instance.unmount?.();
  }
  gen += 1;
  busyCount = 0;
  main.setAttribute('aria-busy', 'true');
  const myGen = gen;
  const controller = new AbortController();
  const f = flash;
  flash = null;
  showError(null);
  status(f?.status || '');
  document.body.dataset.page = name;
  session.hidden = name === 'sign-in';
  for (const a of document.querySelectorAll('[data-testid="nav"] a')) {
    const here = a.pathname === url.pathname || (a.pathname === `${BASE}/customers` && name === 'customer');
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clear(pageRoot);
  const ctx = {
    root: pageRoot,
    params,
    query: url.searchParams,
    signal: controller.signal,
    flash: f || {},
    navigate,
    status,
    error: showError,
    setTitle: (t) => { document.title = `${t} · Customers dashboard`; },
    isCurrent: () => myGen === gen,
    /** Runs fn with the page marked busy; errors not handled go to [error]. */
    run: async (fn) => {
      // A new action's outcome replaces the last one's error.
      if (myGen === gen) showError(null);
      setBusy(1, myGen);
      try {
        return await fn();
      } catch (err) {
        if (myGen === gen && !isAbort(err) && !(err instanceof ApiError && err.handled)) showError(err);
        return undefined;
      } finally {
        setBusy(-1, myGen);
      }
    },
  };
  current = { key, controller, gen: myGen, instance: {} };
  current.instance = pages[name].mount(ctx) || {};
  if (busyCount === 0) main.setAttribute('aria-busy', 'false');
  if (isReadOnly()) applyReadOnly();
  else {
    delete document.body.dataset.readonly;
    readonlyEl.hidden = true;
  }
  if (!initial) {
    const heading = pageRoot.querySelector('h1');
    (heading || main).focus({ preventScroll: false });
  }
  initial = false;
}

onAuthProblems({
  unauthorized(err) {
    forgetKey();
    const here = location.pathname + location.search;
    navigate(withQuery(`${BASE}/sign-in`, { next: here.startsWith(`${BASE}/sign-in`) ? '' : here }), {
      replace: true,
      flash: { signIn: `The API key was not accepted (401: ${err.problem.detail || 'unauthorized'}). Sign in again.` },
    });
  },
  forbiddenWrite(err) {
    markReadOnly();
    applyReadOnly(err.problem.detail);
  },
});

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
  if (!(a.pathname === BASE || a.pathname.startsWith(`${BASE}/`))) return;
  if (a.hash && a.pathname === location.pathname && a.search === location.search) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});

// A fragment link (the skip link) changes the URL's hash only: nothing to
// render.
window.addEventListener('popstate', () => {
  if (location.pathname + location.search !== shown) show();
});

document.querySelector('[data-testid="sign-out"]').addEventListener('click', () => {
  forgetKey();
  delete document.body.dataset.readonly;
  readonlyEl.hidden = true;
  navigate(`${BASE}/sign-in`, { flash: { signIn: 'Signed out.' } });
});

show();
