// Settings: webhooks. Create one (its signing secret is shown once, here,
// and never again), activate or deactivate it, delete it; and a webhook's
// page with its delivery log, where a delivery can be retried.

import { api, ApiError } from './api.js';
import { BASE, customerURL, withQuery } from './router.js';
import { clear, clearFieldErrors, field, fillRows, h, showFieldError } from './dom.js';
import { fmtInt, fmtTime } from './format.js';
import { pagerState, summaryText } from './pager.js';

const EVENTS = ['customer-created', 'customer-updated', 'customer-merged', 'lead-source-changed'];
const DELIVERY_PAGE = 20;

const webhookURL = (id) => `${BASE}/settings/webhooks/${encodeURIComponent(id)}`;
const apiPath = (id) => `/webhooks/${encodeURIComponent(id)}`;

// The body of a PUT that keeps everything of w but its status.
function withStatus(w, status) {
  return { url: w.url, description: w.description, eventsFilter: w.eventsFilter, headers: w.headers, status };
}

// The secret, once: a notice the person dismisses for good.
function secretBox(secret, what) {
  const value = h('code', { testid: 'webhook-secret-value', class: 'secret', text: secret ?? '(not shown: this answer was a replay)' });
  const box = h('div', { testid: 'webhook-secret', class: 'notice success', role: 'status' },
    h('p', {}, h('strong', { text: `${what} ` }), 'Copy the signing secret now: it is not shown again.'),
    h('p', {}, value));
  const dismiss = h('button', { type: 'button', class: 'button secondary', testid: 'dismiss-secret', text: 'I have copied it' });
  dismiss.addEventListener('click', () => box.remove());
  box.append(dismiss);
  return box;
}

// Activate / Deactivate.
function toggleButton(ctx, w, onChanged) {
  const b = h('button', { type: 'button', class: 'button secondary small write', testid: 'toggle-webhook', text: w.status === 'active' ? 'Deactivate' : 'Activate', 'aria-label': `${w.status === 'active' ? 'Deactivate' : 'Activate'} the webhook to ${w.url}` });
  b.addEventListener('click', () => ctx.run(async () => {
    const next = w.status === 'active' ? 'inactive' : 'active';
    try {
      const res = await api('PUT', apiPath(w.id), { body: withStatus(w, next), signal: ctx.signal });
      ctx.status(`Webhook to ${w.url} is now ${res.body.status}.`);
      onChanged(res.body);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        ctx.error(err);
        return;
      }
      throw err;
    }
  }));
  return b;
}

/** The list of webhooks and the create form. */
export function mountWebhooks(ctx) {
  ctx.setTitle('Webhooks');
  const tbody = h('tbody');
  const table = h('table', { class: 'data', testid: 'webhooks-table', 'aria-busy': 'true' },
    h('caption', { class: 'visually-hidden', text: 'Webhooks' }),
    h('thead', {}, h('tr', {}, ['URL', 'Description', 'Events', 'Status', 'Created', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
    tbody);
  const empty = h('p', { testid: 'webhooks-empty', class: 'empty', hidden: true, text: 'No webhooks yet.' });
  const secretHolder = h('div');

  const url = field('URL', { field: 'url', attrs: { id: 'wh-url', type: 'url', maxlength: '2083', autocomplete: 'off', spellcheck: 'false', required: true }, hint: 'Where deliveries are posted: an absolute http or https URL.' });
  const description = field('Description', { field: 'description', attrs: { id: 'wh-description', maxlength: '1000', autocomplete: 'off' } });
  const eventsSet = h('fieldset', { class: 'checks' }, h('legend', { text: 'Events (none checked: every event)' }));
  const eventsError = h('p', { class: 'field-error', id: 'wh-events-error', hidden: true, dataset: { errorFor: 'eventsFilter' } });
  const boxes = EVENTS.map((e) => {
    const f = field(e, { attrs: { id: `wh-event-${e}`, type: 'checkbox', value: e } });
    eventsSet.append(f.wrap);
    return f.input;
  });
  eventsSet.append(eventsError);
  const headers = field('Extra headers (Name: value, one a line)', { kind: 'textarea', field: 'headers', attrs: { id: 'wh-headers', rows: '2', spellcheck: 'false', class: 'mono' } });
  const active = field('Active (deliver events now)', { field: 'status', value: true, attrs: { id: 'wh-active', type: 'checkbox' } });
  const create = h('button', { type: 'submit', class: 'button', testid: 'create-webhook', text: 'Create the webhook' });
  const form = h('form', { testid: 'webhook-form', class: 'card write', novalidate: true, 'aria-labelledby': 'wh-form-h' },
    h('h2', { id: 'wh-form-h', text: 'New webhook' }), url.wrap, description.wrap, eventsSet, headers.wrap, active.wrap, h('div', { class: 'actions' }, create));

  ctx.root.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', text: 'Webhooks' })),
    secretHolder,
    h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': 'Webhooks' }, table),
    empty,
    form);

  function rowOf(w) {
    const statusCell = h('td', { testid: 'webhook-status', text: w.status });
    const actions = h('td', { class: 'row-actions' });
    const tr = h('tr', { testid: 'webhook-row', dataset: { id: w.id } },
      h('th', { scope: 'row' }, h('a', { href: webhookURL(w.id), testid: 'webhook-link', class: 'break', text: w.url })),
      h('td', { text: w.description ?? '—' }),
      h('td', { text: w.eventsFilter?.length ? w.eventsFilter.join(', ') : 'every event' }),
      statusCell,
      h('td', { text: fmtTime(w.createdTime) }),
      actions);
    const fill = (cur) => {
      statusCell.textContent = cur.status;
      const del = h('button', { type: 'button', class: 'button danger small write', testid: 'delete-webhook', 'aria-label': `Delete the webhook to ${cur.url}`, text: 'Delete' });
      del.addEventListener('click', () => {
        const yes = h('button', { type: 'button', class: 'button danger small', testid: 'confirm-delete-webhook', text: 'Delete it' });
        const no = h('button', { type: 'button', class: 'button secondary small', text: 'Keep' });
        no.addEventListener('click', () => { fill(cur); actions.querySelector('[data-testid="delete-webhook"]').focus(); });
        yes.addEventListener('click', () => ctx.run(async () => {
          try {
            await api('DELETE', apiPath(cur.id), { signal: ctx.signal });
          } catch (err) {
            fill(cur);
            throw err;
          }
          ctx.status(`Webhook to ${cur.url} deleted.`);
          await load();
        }));
        clear(actions).append(yes, ' ', no);
        yes.focus();
      });
      clear(actions).append(toggleButton(ctx, cur, (next) => { fill(next); actions.querySelector('[data-testid="toggle-webhook"]').focus(); }), ' ', del);
    };
    fill(w);
    return tr;
  }

  function load() {
    return ctx.run(() => fillRows(table, tbody, empty, async () => {
      const res = await api('GET', '/webhooks', { query: { limit: 1000 }, signal: ctx.signal });
      return res.body || [];
    }, rowOf));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const hdrs = {};
    const bad = [];
    headers.input.value.split('\n').map((l) => l.trim()).filter(Boolean).forEach((line) => {
      const i = line.indexOf(':');
      if (i <= 0) bad.push(line);
      else hdrs[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    });
    if (bad.length) {
      showFieldError(headers.error, `Write each header as "Name: value" (not: ${bad.join('; ')}).`, headers.input);
      headers.input.focus();
      return;
    }
    const body = {
      url: url.input.value.trim(),
      description: description.input.value.trim() || null,
      eventsFilter: boxes.filter((b) => b.checked).map((b) => b.value),
      headers: hdrs,
      status: active.input.checked ? 'active' : 'inactive',
    };
    ctx.run(async () => {
      let res;
      try {
        res = await api('POST', '/webhooks', { body, signal: ctx.signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 422) {
          const at = { url, description, headers, status: active };
          for (const { field: path, message } of err.invalidFields) {
            if (path.startsWith('eventsFilter')) showFieldError(eventsError, `${path}: ${message}`);
            else {
              const key = Object.keys(at).find((k) => path === k || path.startsWith(`${k}.`));
              const f = at[key] || url;
              showFieldError(f.error, path === key ? message : `${path}: ${message}`, f.input);
            }
          }
          return;
        }
        throw err;
      }
      clear(secretHolder).append(secretBox(res.body.secret, 'Webhook created.'));
      form.reset();
      active.input.checked = true;
      ctx.status(`Webhook to ${res.body.url} created.`);
      await load();
      secretHolder.querySelector('[data-testid="dismiss-secret"]')?.focus();
    });
  });

  load();
  return {};
}

/** One webhook and its delivery log. */
export function mountWebhook(ctx) {
  const id = ctx.params.id;
  let hook = null;
  let status = ctx.query.get('status') || '';
  let offset = Number(ctx.query.get('offset') || 0) || 0;
  let selfNav = false;
  ctx.setTitle('Webhook');

  const heading = h('h1', { tabindex: '-1', text: 'Webhook' });
  const detailsEl = h('div', { testid: 'webhook-details' });
  const secretHolder = h('div');
  const actions = h('div', { class: 'actions' });
  const statusSel = h('select', { id: 'delivery-status' });
  for (const [v, l] of [['', 'All'], ['pending', 'Pending'], ['delivered', 'Delivered'], ['failed', 'Failed']]) statusSel.append(h('option', { value: v, text: l }));
  statusSel.value = status;
  const tbody = h('tbody');
  const table = h('table', { class: 'data', testid: 'deliveries-table', 'aria-busy': 'true' },
    h('caption', { class: 'visually-hidden', text: 'Deliveries, newest first' }),
    h('thead', {}, h('tr', {}, ['Created', 'Event', 'Customer', 'Status', 'Attempts', 'Last attempt', 'Next attempt', 'Last answer', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
    tbody);
  const empty = h('p', { testid: 'deliveries-empty', class: 'empty', hidden: true, text: 'No deliveries.' });
  const summary = h('p', { testid: 'page-summary', class: 'page-summary', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'button secondary', testid: 'page-prev', disabled: true, text: 'Newer' });
  const next = h('button', { type: 'button', class: 'button secondary', testid: 'page-next', disabled: true, text: 'Older' });
  let links = {};

  ctx.root.append(
    h('div', { class: 'page-head' }, h('div', {}, heading, h('p', {}, h('a', { href: `${BASE}/settings/webhooks`, text: 'All webhooks' })))),
    secretHolder,
    h('section', { class: 'card', 'aria-labelledby': 'wh-details-h' }, h('h2', { id: 'wh-details-h', text: 'Subscription' }), detailsEl, actions),
    h('section', { class: 'card', 'aria-labelledby': 'deliveries-h' },
      h('h2', { id: 'deliveries-h', text: 'Deliveries' }),
      h('div', { class: 'field inline-field' }, h('label', { for: 'delivery-status', text: 'Show' }), statusSel),
      summary,
      h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': 'Delivery log' }, table),
      empty,
      h('nav', { class: 'pager', 'aria-label': 'Pages of deliveries' }, prev, next)));

  const go = () => {
    selfNav = true;
    ctx.navigate(withQuery(webhookURL(id), { status, offset: offset || '' }));
    selfNav = false;
  };
  statusSel.addEventListener('change', () => { status = statusSel.value; offset = 0; go(); });
  prev.addEventListener('click', () => { if (links.prev) { offset = Number(links.prev.searchParams.get('offset') || 0); go(); } });
  next.addEventListener('click', () => { if (links.next) { offset = Number(links.next.searchParams.get('offset') || 0); go(); } });

  function renderHook() {
    heading.textContent = `Webhook to ${hook.url}`;
    ctx.setTitle(`Webhook ${hook.url}`);
    clear(detailsEl).append(h('dl', { class: 'details' },
      [['Id', h('code', { text: hook.id })], ['URL', h('span', { class: 'break', text: hook.url })], ['Description', hook.description ?? '—'],
        ['Events', hook.eventsFilter?.length ? hook.eventsFilter.join(', ') : 'every event'],
        ['Status', h('span', { testid: 'webhook-status', text: hook.status })],
        ['Extra headers', Object.keys(hook.headers || {}).length ? Object.entries(hook.headers).map(([k, v]) => `${k}: ${v}`).join('; ') : '—'],
        ['Created', fmtTime(hook.createdTime)], ['Updated', fmtTime(hook.updatedTime)]]
        .map(([k, v]) => h('div', { class: 'detail' }, h('dt', { text: k }), h('dd', {}, v)))));
    const rotate = h('button', { type: 'button', class: 'button secondary write', testid: 'rotate-secret', text: 'Rotate the signing secret' });
    rotate.addEventListener('click', () => ctx.run(async () => {
      const res = await api('POST', `${apiPath(id)}/rotate-secret`, { signal: ctx.signal });
      hook = res.body;
      renderHook();
      clear(secretHolder).append(secretBox(res.body.secret, 'New secret made; the old one no longer signs.'));
      secretHolder.querySelector('[data-testid="dismiss-secret"]')?.focus();
    }));
    clear(actions).append(toggleButton(ctx, hook, (w) => { hook = w; renderHook(); actions.querySelector('[data-testid="toggle-webhook"]').focus(); }), rotate);
  }

  function deliveryRow(d) {
    const retry = h('button', { type: 'button', class: 'button secondary small write', testid: 'retry-delivery', 'aria-label': `Retry the ${d.eventType} delivery of ${fmtTime(d.createdTime)}`, text: 'Retry' });
    const statusCell = h('td', { testid: 'delivery-status', text: d.status });
    retry.addEventListener('click', () => ctx.run(async () => {
      await api('POST', `${apiPath(id)}/deliveries/${encodeURIComponent(d.id)}/retry`, { signal: ctx.signal });
      statusCell.textContent = 'pending';
      ctx.status('Delivery scheduled again.');
    }));
    return h('tr', { testid: 'delivery-row', dataset: { id: d.id } },
      h('td', { text: fmtTime(d.createdTime) }),
      h('td', { text: d.eventType }),
      h('td', {}, h('a', { href: customerURL(d.customerId), text: d.customerId })),
      statusCell,
      h('td', { testid: 'delivery-attempts', class: 'num', text: fmtInt(d.attempts) }),
      h('td', { text: fmtTime(d.lastAttemptTime) }),
      h('td', { text: fmtTime(d.nextAttemptTime) }),
      h('td', { class: 'break', text: [d.lastResponseStatus, d.lastError].filter((x) => x !== null && x !== undefined).join(' — ') || '—' }),
      h('td', {}, retry));
  }

  let controller = null;
  function loadDeliveries() {
    controller?.abort();
    const c = new AbortController();
    controller = c;
    ctx.signal.addEventListener('abort', () => c.abort(), { once: true });
    table.setAttribute('aria-busy', 'true');
    return ctx.run(async () => {
      try {
        const res = await api('GET', `${apiPath(id)}/deliveries`, {
          query: { limit: DELIVERY_PAGE, offset, filter: status ? `status:${status}` : '' }, signal: c.signal,
        });
        const list = res.body || [];
        const frag = document.createDocumentFragment();
        for (const d of list) frag.append(deliveryRow(d));
        tbody.replaceChildren(frag);
        empty.hidden = list.length > 0;
        const p = pagerState(res.headers, list.length);
        links = p.links;
        summary.textContent = summaryText(p);
        prev.disabled = !links.prev;
        next.disabled = !links.next;
      } finally {
        if (!c.signal.aborted) table.setAttribute('aria-busy', 'false');
      }
    });
  }

  ctx.run(async () => {
    const res = await api('GET', apiPath(id), { signal: ctx.signal });
    hook = res.body;
    renderHook();
  });
  loadDeliveries();

  return {
    update(query) {
      status = query.get('status') || '';
      offset = Number(query.get('offset') || 0) || 0;
      if (!selfNav) statusSel.value = status;
      loadDeliveries();
    },
  };
}
