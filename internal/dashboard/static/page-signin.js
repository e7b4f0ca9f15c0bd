// Sign-in: the API key goes into this tab's sessionStorage and nowhere
// else. It is not checked here: the next page's first request is the
// check, and a 401 comes straight back with a message.

import { setKey } from './api.js';
import { BASE } from './router.js';
import { h } from './dom.js';

// Where to go after signing in: a dashboard path of ours, never another
// origin and never the sign-in page itself.
function nextPath(query) {
  const next = query.get('next') || '';
  if (!next.startsWith(`${BASE}/`) || next.startsWith('//') || next.startsWith(`${BASE}/sign-in`)) return `${BASE}/customers`;
  return next;
}

export function mount(ctx) {
  ctx.setTitle('Sign in');
  const input = h('input', {
    id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'off', required: true, 'aria-describedby': 'api-key-hint',
  });
  const message = h('p', { testid: 'sign-in-message', class: 'sign-in-message', role: 'status', text: ctx.flash.signIn || '' });
  const form = h('form', { class: 'card sign-in', novalidate: true },
    h('h1', { tabindex: '-1', text: 'Sign in' }),
    message,
    h('div', { class: 'field' },
      h('label', { for: 'api-key', text: 'API key' }),
      h('p', { id: 'api-key-hint', class: 'hint', text: 'A secret key of your organization (REB-APIKEY), e.g. sk_live_…. It is kept in this browser tab only and forgotten when you sign out or close the tab.' }),
      input),
    h('button', { type: 'submit', class: 'button', testid: 'sign-in-submit', text: 'Sign in' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) {
      message.textContent = 'Enter an API key.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    setKey(key);
    input.value = '';
    ctx.navigate(nextPath(ctx.query), { replace: true });
  });
  ctx.root.append(form);
  queueMicrotask(() => input.focus());
  return {};
}
