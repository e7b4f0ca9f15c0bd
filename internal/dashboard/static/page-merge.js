// Merging a duplicate into another customer: find the target, see what
// survives (computed here from both customers, SPEC §4), confirm. The
// duplicate's id then leads to the target.

import { api, ApiError, customerPath, mergedInto } from './api.js';
import { customerURL, withQuery } from './router.js';
import { clear, debounce, h } from './dom.js';
import { customerTitle, fmtInt, fmtMoney, fmtTime, fmtValue, personName } from './format.js';
import { mergePreview } from './merge.js';

const LABELS = {
  primaryAddress: 'Primary address', websiteId: 'Website id', locale: 'Locale', defaultPaymentInstrument: 'Default payment instrument',
  preferredPayoutInstrumentId: 'Preferred payout instrument', taxNumbers: 'Tax numbers', notificationEmails: 'Notification emails',
  isEddRequired: 'Enhanced due diligence', customFields: 'Custom fields (all)', tags: 'Tags', paymentCount: 'Payments',
  invoiceCount: 'Invoices', averageValue: 'Average value', lifetimeRevenue: 'Lifetime revenue', lastPaymentTime: 'Last payment',
  leadSource: 'Lead source', revision: 'Revision',
};

// A field's value in a cell: short, readable text.
function show(field, v) {
  if (v === undefined) return '—';
  if (v === null) return '—';
  switch (field) {
    case 'primaryAddress': {
      const parts = [personName(v), v.organization, v.city, v.country, (v.emails || []).map((e) => e.value).join(', ')].filter(Boolean);
      return parts.length ? parts.join(' · ') : '(empty contact)';
    }
    case 'defaultPaymentInstrument': return `${v.method}${v.paymentInstrumentId ? ` (${v.paymentInstrumentId})` : ''}`;
    case 'taxNumbers': return v.length ? v.map((t) => `${t.value} (${t.type})`).join(', ') : '—';
    case 'averageValue': case 'lifetimeRevenue': return fmtMoney(v);
    case 'lastPaymentTime': return fmtTime(v);
    case 'paymentCount': case 'invoiceCount': case 'revision': return fmtInt(v);
    case 'isEddRequired': return v ? 'required' : 'not required';
    case 'leadSource': {
      const parts = ['source', 'medium', 'campaign'].filter((k) => v[k]).map((k) => `${k}: ${v[k]}`);
      return `${parts.join(', ') || 'set'} (since ${fmtTime(v.createdTime)})`;
    }
    case 'customFields': {
      const keys = Object.keys(v);
      return keys.length ? keys.map((k) => `${k}: ${fmtValue(v[k])}`).join(', ') : '—';
    }
    default: return fmtValue(v);
  }
}

export function mount(ctx) {
  const id = ctx.params.id;
  let dup = null;
  let dupEtag = null;
  let target = null;
  let targetId = ctx.query.get('target') || '';
  let selfNav = false;
  ctx.setTitle(`Merge ${id}`);

  const heading = h('h1', { tabindex: '-1', text: 'Merge a duplicate' });
  const dupEl = h('p', { testid: 'merge-duplicate' });
  const search = h('input', { id: 'merge-search', type: 'search', autocomplete: 'off', maxlength: '200' });
  const candidates = h('ul', { class: 'candidates', 'aria-live': 'polite' });
  const byId = h('input', { id: 'merge-target-id', autocomplete: 'off', maxlength: '50', spellcheck: 'false' });
  const previewHolder = h('div');
  const cancel = h('a', { class: 'button secondary', testid: 'merge-cancel', href: customerURL(id), text: 'Cancel' });

  ctx.root.append(
    h('div', { class: 'page-head' }, h('div', {}, heading, dupEl)),
    h('section', { class: 'card', 'aria-labelledby': 'target-h' },
      h('h2', { id: 'target-h', text: '1. Choose the customer to keep' }),
      h('p', { class: 'hint', text: 'This customer is the duplicate: it disappears, and what it has that the target lacks moves to the target.' }),
      h('form', { class: 'search', role: 'search', on: { submit: (e) => { e.preventDefault(); runSearch.cancel(); doSearch(); } } },
        h('label', { for: 'merge-search', text: 'Search for the target' }), search),
      candidates,
      h('form', { class: 'inline-form', on: { submit: (e) => { e.preventDefault(); choose(byId.value.trim()); } } },
        h('div', { class: 'field' }, h('label', { for: 'merge-target-id', text: 'Or the target\'s id' }),
          h('div', { class: 'inline' }, byId, h('button', { type: 'submit', class: 'button secondary', testid: 'merge-target-submit', text: 'Use this id' }))))),
    h('section', { class: 'card', 'aria-labelledby': 'preview-h' },
      h('h2', { id: 'preview-h', text: '2. Check what the target will have' }),
      previewHolder),
    h('div', { class: 'actions' }, cancel));

  const runSearch = debounce(doSearch, 300);
  search.addEventListener('input', runSearch);

  function doSearch() {
    const q = search.value.trim();
    clear(candidates);
    if (!q) return;
    ctx.run(async () => {
      const res = await api('GET', '/customers', { query: { q, limit: 10, fields: 'id,firstName,lastName,email' }, signal: ctx.signal });
      clear(candidates);
      const list = (res.body || []).filter((c) => c.id !== id);
      if (!list.length) candidates.append(h('li', { class: 'muted', text: 'No other customer matches.' }));
      for (const c of list) {
        const b = h('button', { type: 'button', class: 'button secondary candidate', testid: 'merge-candidate', dataset: { id: c.id } },
          h('span', { text: customerTitle(c) }), ' ', h('span', { class: 'muted small', text: `${c.email || ''} · ${c.id}` }));
        b.addEventListener('click', () => choose(c.id));
        candidates.append(h('li', {}, b));
      }
    });
  }

  function choose(t) {
    if (!t || t === targetId) return;
    selfNav = true;
    ctx.navigate(withQuery(`${customerURL(id)}/merge`, { target: t }));
    selfNav = false;
  }

  async function loadTarget() {
    clear(previewHolder);
    target = null;
    if (!targetId) {
      previewHolder.append(h('p', { class: 'muted', text: 'Choose a target to see the preview.' }));
      return;
    }
    if (targetId === id) {
      previewHolder.append(h('p', { class: 'field-error', text: 'A customer cannot be merged into itself.' }));
      return;
    }
    try {
      const res = await api('GET', customerPath(targetId), { query: { expand: 'leadSource' }, signal: ctx.signal });
      target = res.body;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        const into = mergedInto(err);
        previewHolder.append(h('p', { class: 'field-error', text: into ? `Customer "${targetId}" was merged into "${into}" already: choose that one.` : `No customer has the id "${targetId}".` }));
        return;
      }
      throw err;
    }
    renderPreview();
  }

  function renderPreview() {
    clear(previewHolder);
    const rows = mergePreview(dup, target);
    const tbody = h('tbody');
    for (const r of rows) {
      // Highlighted: what the merge changes on the target.
      const changed = JSON.stringify(r.result ?? null) !== JSON.stringify(r.target ?? null);
      tbody.append(h('tr', { testid: 'merge-row', dataset: { field: r.field }, class: changed ? 'changed' : null },
        h('th', { scope: 'row', text: LABELS[r.field] || r.field.replace(/^customFields\./, 'Custom field: ') }),
        h('td', { testid: 'merge-duplicate-value', text: show(r.field.startsWith('customFields.') ? '' : r.field, r.duplicate) }),
        h('td', { testid: 'merge-target-value', text: show(r.field.startsWith('customFields.') ? '' : r.field, r.target) }),
        h('td', { testid: 'merge-result', text: show(r.field.startsWith('customFields.') ? '' : r.field, r.result) }),
        h('td', { testid: 'merge-rule', text: r.rule })));
    }
    const table = h('table', { class: 'data', testid: 'merge-preview' },
      h('caption', { text: `Merging "${customerTitle(dup)}" (${dup.id}) into "${customerTitle(target)}" (${target.id})` }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Field' }), h('th', { scope: 'col', text: 'Duplicate (goes away)' }),
        h('th', { scope: 'col', text: 'Target (kept)' }), h('th', { scope: 'col', text: 'Target after the merge' }), h('th', { scope: 'col', text: 'Rule' }))),
      tbody);
    const confirm = h('button', { type: 'button', class: 'button danger write', testid: 'merge-confirm', text: `Merge into ${customerTitle(target)}` });
    const problem = h('div', { class: 'notice warning', role: 'alert', hidden: true });
    confirm.addEventListener('click', () => ctx.run(async () => {
      problem.hidden = true;
      try {
        await api('DELETE', customerPath(id), { query: { targetCustomerId: target.id }, headers: dupEtag ? { 'If-Match': dupEtag } : {}, signal: ctx.signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          problem.textContent = 'The duplicate was changed by someone else since this page read it. Reload the page to see the current preview.';
          problem.hidden = false;
          return;
        }
        if (err instanceof ApiError && (err.status === 404 || err.status === 409)) {
          problem.textContent = err.problem.detail || err.message;
          problem.hidden = false;
          return;
        }
        throw err;
      }
      ctx.navigate(customerURL(target.id), { flash: { status: `Customer "${id}" was merged into "${target.id}".` } });
    }));
    previewHolder.append(
      h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': 'Merge preview' }, table),
      h('p', { class: 'hint', text: 'The duplicate\'s timeline, tags and customer tokens move to the target; its id will lead to the target from now on.' }),
      problem,
      h('div', { class: 'actions' }, confirm));
  }

  ctx.run(async () => {
    try {
      const res = await api('GET', customerPath(id), { query: { expand: 'leadSource' }, signal: ctx.signal });
      dup = res.body;
      dupEtag = res.etag;
    } catch (err) {
      const into = mergedInto(err);
      if (into) {
        ctx.navigate(customerURL(into), { replace: true, flash: { merged: `Customer "${id}" was merged into "${into}".` } });
        return;
      }
      throw err;
    }
    clear(dupEl).append('Duplicate: ', h('strong', { text: customerTitle(dup) }), ` (${dup.id}, revision ${fmtInt(dup.revision)})`);
    await loadTarget();
  });

  return {
    update(query) {
      targetId = query.get('target') || '';
      if (!selfNav) runSearch.cancel();
      if (dup) ctx.run(loadTarget);
    },
    unmount() { runSearch.cancel(); },
  };
}
