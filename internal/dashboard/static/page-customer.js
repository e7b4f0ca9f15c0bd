// One customer: every field formatted, the edit form (PUT with If-Match: a
// 412 says someone else changed it and offers a reload), the lead source,
// tags, custom fields and the timeline with comments; and the page that
// creates a customer. A merged-away id's page moves to its target.

import { api, ApiError, customerPath, isAbort, mergedInto } from './api.js';
import { BASE, customerURL } from './router.js';
import { append, clear, clearFieldErrors, field, h, showFieldError } from './dom.js';
import { addressLines, customerTitle, fmtDecimal, fmtInt, fmtMoney, humanize, personName, timeEl } from './format.js';
import { customerForm } from './customer-form.js';
import { getDefinitions } from './definitions.js';
import { pagerState } from './pager.js';

const LEAD_FIELDS = ['medium', 'source', 'campaign', 'term', 'content', 'affiliate', 'subAffiliate', 'salesAgent', 'clickId', 'path', 'referrer'];
const LEAD_LABELS = {
  medium: 'Medium', source: 'Source', campaign: 'Campaign', term: 'Term', content: 'Content', affiliate: 'Affiliate',
  subAffiliate: 'Sub-affiliate', salesAgent: 'Sales agent', clickId: 'Click id', path: 'Path', referrer: 'Referrer',
};
const TIMELINE_PAGE = 20;
const TYPE_LABELS = { 'customer-comment-created': 'Comment' };
const DELETABLE = new Set(['customer-comment-created', 'custom-event']);

function dl(rows) {
  const el = h('dl', { class: 'details' });
  for (const [label, testid, value] of rows) {
    el.append(h('div', { class: 'detail' }, h('dt', { text: label }), h('dd', { testid }, value ?? '—')));
  }
  return el;
}

function listOf(items) {
  if (!items.length) return '—';
  return h('ul', { class: 'plain' }, items.map((i) => h('li', {}, i)));
}

function contactPoints(list) {
  return listOf((list || []).map((p) => `${p.value} (${p.label}${p.primary ? ', primary' : ''})`));
}

// The value of a custom field as people read it.
function customValue(v, def) {
  if (v === null || v === undefined) return '—';
  if (def?.type === 'monetary' && typeof v === 'object') return fmtMoney(v);
  if (def?.type === 'boolean' || typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return v.length ? v.join(', ') : '—';
  if (typeof v === 'number') return fmtDecimal(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// The read-only view of a customer's fields.
function details(c) {
  const a = c.primaryAddress || {};
  const dpi = c.defaultPaymentInstrument;
  return dl([
    ['Id', 'detail-id', h('code', { text: c.id })],
    ['Name', 'detail-name', personName(c) || '—'],
    ['Email', 'detail-email', c.email || '—'],
    ['Organization', 'detail-organization', [a.organization, a.jobTitle].filter(Boolean).join(', ') || '—'],
    ['Address', 'detail-address', addressLines(a).length ? h('address', {}, addressLines(a).flatMap((l, i) => (i ? [h('br'), l] : [l]))) : '—'],
    ['Country', 'detail-country', a.country || '—'],
    ['Emails', 'detail-emails', contactPoints(a.emails)],
    ['Phone numbers', 'detail-phoneNumbers', contactPoints(a.phoneNumbers)],
    ['Date of birth', 'detail-dob', a.dob || '—'],
    ['Locale', 'detail-locale', c.locale || '—'],
    ['Website id', 'detail-websiteId', c.websiteId || '—'],
    ['Enhanced due diligence', 'detail-isEddRequired', c.isEddRequired ? 'required' : 'not required'],
    ['Default payment instrument', 'detail-defaultPaymentInstrument', dpi ? `${dpi.method}${dpi.paymentInstrumentId ? ` (${dpi.paymentInstrumentId})` : ''}` : '—'],
    ['Preferred payout instrument', 'detail-preferredPayoutInstrumentId', c.preferredPayoutInstrumentId || '—'],
    ['Tax numbers', 'detail-taxNumbers', listOf((c.taxNumbers || []).map((t) => `${t.value} (${t.type}${t.isDefault ? ', default' : ''})`))],
    ['Notification emails', 'detail-notificationEmails', listOf(c.notificationEmails || [])],
    ['Created', 'detail-createdTime', timeEl(c.createdTime, true)],
    ['Updated', 'detail-updatedTime', timeEl(c.updatedTime, true)],
    ['Revision', 'detail-revision', fmtInt(c.revision)],
    ['Average value', 'detail-averageValue', fmtMoney(c.averageValue)],
    ['Lifetime revenue', 'detail-lifetimeRevenue', fmtMoney(c.lifetimeRevenue)],
    ['Payments', 'detail-paymentCount', fmtInt(c.paymentCount)],
    ['Invoices', 'detail-invoiceCount', fmtInt(c.invoiceCount)],
    ['Last payment', 'detail-lastPaymentTime', timeEl(c.lastPaymentTime, true)],
    ['KYC fulfilled', 'detail-hasFulfilledKyc', c.hasFulfilledKyc ? 'yes' : 'no'],
    ['Organization id', 'detail-organizationId', c.organizationId ? h('code', { text: c.organizationId }) : '—'],
  ]);
}

/** The page of customer ctx.params.id. */
export function mountCustomer(ctx) {
  const id = ctx.params.id;
  let customer = null;
  let etag = null;
  let definitions = [];
  let form = null;
  let timelineOffset = 0;

  ctx.setTitle(id);
  const title = h('h1', { testid: 'customer-title', tabindex: '-1', text: id });
  const subtitle = h('p', { class: 'muted' });
  const merged = ctx.flash.merged ? h('p', { testid: 'merged-notice', class: 'notice', role: 'status', text: ctx.flash.merged }) : null;
  const editBtn = h('button', { type: 'button', class: 'button write', testid: 'edit-customer', text: 'Edit' });
  const mergeLink = h('a', { class: 'button secondary write-link', testid: 'merge-link', href: `${customerURL(id)}/merge`, text: 'Merge into another customer' });
  const detailsSection = h('section', { class: 'card', 'aria-labelledby': 'details-h' }, h('h2', { id: 'details-h', text: 'Details' }));
  const detailsBody = h('div', { testid: 'customer-details' });
  detailsSection.append(detailsBody);
  const editSection = h('section', { class: 'card', 'aria-labelledby': 'edit-h', hidden: true }, h('h2', { id: 'edit-h', text: 'Edit customer' }));
  const conflict = h('div', { testid: 'conflict', class: 'notice warning', role: 'alert', hidden: true });
  editSection.append(conflict);
  const cfSection = h('section', { class: 'card', 'aria-labelledby': 'cf-h' }, h('h2', { id: 'cf-h', text: 'Custom fields' }));
  const cfBody = h('div', { testid: 'custom-fields' });
  cfSection.append(cfBody);
  const tagsSection = h('section', { class: 'card', 'aria-labelledby': 'tags-h' }, h('h2', { id: 'tags-h', text: 'Tags' }));
  const leadSection = h('section', { class: 'card', testid: 'lead-source', 'aria-labelledby': 'lead-h' }, h('h2', { id: 'lead-h', text: 'Lead source' }));
  const timelineSection = h('section', { class: 'card', 'aria-labelledby': 'timeline-h' }, h('h2', { id: 'timeline-h', text: 'Timeline' }));
  const content = h('div', { class: 'customer-page', hidden: true },
    h('div', { class: 'actions' }, editBtn, mergeLink, h('a', { class: 'button secondary', href: `${BASE}/customers`, text: 'All customers' })),
    h('div', { class: 'columns' },
      h('div', { class: 'col-main' }, detailsSection, editSection, cfSection, leadSection),
      h('div', { class: 'col-side' }, tagsSection, timelineSection)));
  append(ctx.root, [h('div', { class: 'page-head' }, h('div', {}, title, subtitle)), merged, content]);

  function renderHead() {
    const t = customerTitle(customer);
    title.textContent = t;
    ctx.setTitle(t);
    subtitle.textContent = `Customer ${customer.id} · revision ${fmtInt(customer.revision)}`;
  }

  function renderCustomFields() {
    clear(cfBody);
    const byName = Object.fromEntries(definitions.map((d) => [d.name, d]));
    const keys = [...new Set([...definitions.map((d) => d.name), ...Object.keys(customer.customFields || {})])].sort();
    if (!keys.length) {
      cfBody.append(h('p', { class: 'muted', text: 'No custom fields.' }));
      return;
    }
    const el = h('dl', { class: 'details' });
    for (const k of keys) {
      const d = byName[k];
      el.append(h('div', { class: 'detail' },
        h('dt', {}, k, d ? h('span', { class: 'muted small', text: ` (${d.type})` }) : h('span', { class: 'muted small', text: ' (no definition)' })),
        h('dd', { testid: `custom-field-${k}`, text: customValue(customer.customFields?.[k], d) })));
    }
    cfBody.append(el);
  }

  function renderAll() {
    renderHead();
    clear(detailsBody).append(details(customer));
    renderCustomFields();
    renderTags();
    renderLeadSource();
  }

  async function fetchCustomer(signal) {
    const res = await api('GET', customerPath(id), { query: { expand: 'leadSource' }, signal: signal || ctx.signal });
    customer = res.body;
    etag = res.etag;
    return customer;
  }

  // Refreshes the customer after a write of ours (tags, lead source), keeping
  // the page as it is otherwise.
  async function refresh() {
    await fetchCustomer();
    renderAll();
    loadTimeline(true);
  }

  // Editing.
  function openForm() {
    conflict.hidden = true;
    form?.el.remove();
    form = customerForm({
      customer, definitions,
      onCancel: closeForm,
      onSubmit: ({ body }) => save(body),
    });
    editSection.append(form.el);
    editSection.hidden = false;
    detailsSection.hidden = true;
    cfSection.hidden = true;
    editBtn.hidden = true;
    form.focusFirst();
  }

  function closeForm() {
    form?.el.remove();
    form = null;
    editSection.hidden = true;
    detailsSection.hidden = false;
    cfSection.hidden = false;
    editBtn.hidden = false;
    editBtn.focus();
  }

  function showConflict() {
    clear(conflict);
    const reload = h('button', { type: 'button', class: 'button', testid: 'reload-customer', text: 'Reload the customer' });
    reload.addEventListener('click', () => ctx.run(async () => {
      await fetchCustomer();
      renderAll();
      openForm();
      ctx.status(`Reloaded: revision ${fmtInt(customer.revision)}.`);
      loadTimeline(true);
    }));
    conflict.append(
      h('p', {}, h('strong', { text: 'This customer was changed by someone else ' }), 'since you opened it, so your changes were not saved. Reload it to see the current version (the edits in this form will be lost), then edit again.'),
      reload);
    conflict.hidden = false;
    reload.focus();
  }

  function save(body) {
    form.clearErrors();
    form.setBusy(true);
    return ctx.run(async () => {
      try {
        // expand: the answer carries the lead source too, so it is the
        // whole page's data in one request.
        const res = await api('PUT', customerPath(id), { query: { expand: 'leadSource' }, body, headers: etag ? { 'If-Match': etag } : {}, signal: ctx.signal });
        customer = res.body;
        etag = res.etag;
        closeForm();
        renderAll();
        ctx.status(`Saved: revision ${fmtInt(customer.revision)}.`);
        loadTimeline(true);
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          showConflict();
          return;
        }
        if (err instanceof ApiError && err.status === 403) {
          closeForm(); // the key may not write: the read-only notice says so
          return;
        }
        if (err instanceof ApiError && err.status === 422 && form) {
          form.showErrors(err.invalidFields);
          return;
        }
        throw err;
      } finally {
        form?.setBusy(false);
      }
    });
  }

  editBtn.addEventListener('click', openForm);

  // Tags.
  const tagsList = h('ul', { testid: 'tags', class: 'tags' });
  const tagInput = h('input', { id: 'add-tag', list: 'tag-names', autocomplete: 'off', maxlength: '100' });
  const tagNames = h('datalist', { id: 'tag-names' });
  const tagError = h('p', { class: 'field-error', id: 'add-tag-error', hidden: true, dataset: { errorFor: 'tag' } });
  const tagForm = h('form', { class: 'inline-form write' },
    h('div', { class: 'field' }, h('label', { for: 'add-tag', text: 'Add a tag' }), h('div', { class: 'inline' }, tagInput,
      h('button', { type: 'submit', class: 'button', testid: 'add-tag-submit', text: 'Add' })), tagError), tagNames);
  tagsSection.append(tagsList, tagForm);
  let tagNamesAsked = false;
  tagInput.addEventListener('focus', () => {
    if (tagNamesAsked) return;
    tagNamesAsked = true;
    api('GET', '/tags', { query: { limit: 200, sort: 'name' }, signal: ctx.signal })
      .then((res) => { for (const t of res.body || []) tagNames.append(h('option', { value: t.name })); })
      .catch(() => {});
  });

  function renderTags() {
    clear(tagsList);
    const tags = customer.tags || [];
    if (!tags.length) tagsList.append(h('li', { class: 'muted', text: 'No tags.' }));
    for (const t of tags) {
      const remove = h('button', { type: 'button', class: 'button secondary small write', testid: 'remove-tag', 'aria-label': `Remove tag ${t.name}`, text: '×' });
      remove.addEventListener('click', () => ctx.run(async () => {
        await api('DELETE', `/tags/${encodeURIComponent(t.name)}/customers/${encodeURIComponent(id)}`, { signal: ctx.signal });
        await refresh();
        ctx.status(`Tag "${t.name}" removed.`);
        tagInput.focus();
      }));
      tagsList.append(h('li', { class: 'tag', testid: 'tag', dataset: { tag: t.name } }, h('span', { text: t.name }), remove));
    }
  }

  tagForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = tagInput.value.trim();
    clearFieldErrors(tagForm);
    if (!name) {
      showFieldError(tagError, 'Enter a tag name.', tagInput);
      return;
    }
    ctx.run(async () => {
      try {
        await api('POST', `/tags/${encodeURIComponent(name)}/customers/${encodeURIComponent(id)}`, { signal: ctx.signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 422) {
          showFieldError(tagError, err.invalidFields.map((f) => f.message).join(' ') || err.problem.detail, tagInput);
          return;
        }
        throw err;
      }
      tagInput.value = '';
      await refresh();
      ctx.status(`Tag "${name}" added.`);
      tagInput.focus();
    });
  });

  // Lead source.
  const leadBody = h('div');
  const leadEdit = h('button', { type: 'button', class: 'button secondary write', testid: 'edit-lead-source' });
  const leadDelete = h('button', { type: 'button', class: 'button danger write', testid: 'delete-lead-source', text: 'Delete' });
  const leadConfirm = h('div', { class: 'confirm', hidden: true });
  const leadFormHolder = h('div');
  leadSection.append(leadBody, h('div', { class: 'actions' }, leadEdit, leadDelete), leadConfirm, leadFormHolder);

  function renderLeadSource() {
    const ls = customer._embedded?.leadSource ?? null;
    clear(leadBody);
    leadConfirm.hidden = true;
    if (!ls) {
      leadBody.append(h('p', { testid: 'lead-source-none', class: 'muted', text: 'No lead source.' }));
      leadEdit.textContent = 'Add a lead source';
      leadDelete.hidden = true;
      return;
    }
    leadEdit.textContent = 'Edit the lead source';
    leadDelete.hidden = false;
    const rows = LEAD_FIELDS.map((f) => [LEAD_LABELS[f], `lead-source-${f}`, ls[f] === null || ls[f] === undefined ? '—' : (ls[f] === '' ? '""' : ls[f])]);
    rows.push(['First written', 'lead-source-createdTime', timeEl(ls.createdTime, true)], ['Last changed', 'lead-source-updatedTime', timeEl(ls.updatedTime, true)]);
    leadBody.append(dl(rows));
    const orig = LEAD_FIELDS.filter((f) => ls.original?.[f] !== null && ls.original?.[f] !== undefined).map((f) => `${LEAD_LABELS[f]}: ${ls.original[f]}`);
    leadBody.append(h('details', { testid: 'lead-source-original' }, h('summary', { text: 'Original values (first touch)' }), listOf(orig)));
  }

  leadEdit.addEventListener('click', () => {
    const ls = customer._embedded?.leadSource ?? null;
    clear(leadFormHolder);
    const fields = {};
    const f = h('form', { testid: 'lead-source-form', class: 'write', novalidate: true });
    const problem = h('div', { class: 'notice warning', role: 'alert', hidden: true });
    f.append(problem);
    for (const k of LEAD_FIELDS) {
      const x = field(LEAD_LABELS[k], { field: `leadSource.${k}`, value: ls?.[k], attrs: { maxlength: k === 'referrer' ? '2083' : '512', autocomplete: 'off' } });
      fields[k] = x;
      f.append(x.wrap);
    }
    const save = h('button', { type: 'submit', class: 'button', testid: 'save-lead-source', text: 'Save the lead source' });
    const cancel = h('button', { type: 'button', class: 'button secondary', text: 'Cancel' });
    cancel.addEventListener('click', () => { clear(leadFormHolder); leadEdit.focus(); });
    f.append(h('div', { class: 'actions' }, save, cancel));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      clearFieldErrors(f);
      problem.hidden = true;
      const body = {};
      for (const k of LEAD_FIELDS) {
        const v = fields[k].input.value.trim();
        body[k] = v === '' ? null : v;
      }
      ctx.run(async () => {
        try {
          await api('PUT', `${customerPath(id)}/lead-source`, { body, headers: ls && etag ? { 'If-Match': etag } : {}, signal: ctx.signal });
        } catch (err) {
          if (err instanceof ApiError && err.status === 422) {
            for (const { field: path, message } of err.invalidFields) {
              const k = path.replace(/^leadSource\./, '');
              if (fields[k]) showFieldError(fields[k].error, message, fields[k].input);
              else {
                problem.textContent = `${path}: ${message}`;
                problem.hidden = false;
              }
            }
            return;
          }
          if (err instanceof ApiError && err.status === 412) {
            problem.textContent = 'This customer was changed by someone else since you opened it. Reload the page to see the current lead source.';
            problem.hidden = false;
            return;
          }
          throw err;
        }
        clear(leadFormHolder);
        await refresh();
        ctx.status('Lead source saved.');
        leadEdit.focus();
      });
    });
    leadFormHolder.append(f);
    fields.medium.input.focus();
  });

  leadDelete.addEventListener('click', () => {
    clear(leadConfirm);
    const yes = h('button', { type: 'button', class: 'button danger', testid: 'confirm-delete-lead-source', text: 'Delete the lead source' });
    const no = h('button', { type: 'button', class: 'button secondary', text: 'Keep it' });
    no.addEventListener('click', () => { leadConfirm.hidden = true; leadDelete.focus(); });
    yes.addEventListener('click', () => ctx.run(async () => {
      await api('DELETE', `${customerPath(id)}/lead-source`, { headers: etag ? { 'If-Match': etag } : {}, signal: ctx.signal });
      await refresh();
      ctx.status('Lead source deleted.');
      leadEdit.focus();
    }));
    leadConfirm.append(h('p', { text: 'Delete the lead source and its original values?' }), h('div', { class: 'actions' }, yes, no));
    leadConfirm.hidden = false;
    yes.focus();
  });

  // Timeline.
  const timeline = h('ol', { testid: 'timeline', class: 'timeline', 'aria-busy': 'true' });
  const more = h('button', { type: 'button', class: 'button secondary', testid: 'timeline-more', hidden: true, text: 'Show older messages' });
  const comment = h('textarea', { id: 'comment', rows: '3', maxlength: '10000' });
  const commentError = h('p', { class: 'field-error', id: 'comment-error', hidden: true, dataset: { errorFor: 'message' } });
  const commentForm = h('form', { class: 'write' },
    h('div', { class: 'field' }, h('label', { for: 'comment', text: 'Add a comment' }), comment, commentError),
    h('button', { type: 'submit', class: 'button', testid: 'add-comment', text: 'Add comment' }));
  timelineSection.append(commentForm, timeline, more);

  function changesEl(changes) {
    const keys = Object.keys(changes || {});
    if (!keys.length) return null;
    return h('details', { testid: 'timeline-changes', class: 'changes' },
      h('summary', { text: `Changes: ${keys.join(', ')}` }),
      keys.map((k) => h('div', { class: 'change' },
        h('p', { class: 'small' }, h('strong', { text: k })),
        h('p', { class: 'small', text: 'Before:' }), h('pre', { text: JSON.stringify(changes[k].old, null, 2) }),
        h('p', { class: 'small', text: 'After:' }), h('pre', { text: JSON.stringify(changes[k].new, null, 2) }))));
  }

  function messageEl(m) {
    const del = DELETABLE.has(m.type)
      ? h('button', { type: 'button', class: 'button secondary small write', testid: 'delete-message', 'aria-label': `Delete ${humanize(m.type).toLowerCase()} of ${m.occurredTime}`, text: 'Delete' })
      : null;
    const li = h('li', { testid: 'timeline-message', class: 'message', dataset: { id: m.id, type: m.type } },
      h('div', { class: 'message-head' },
        h('strong', { text: m.type === 'custom-event' ? `${m.customEventType || 'Custom event'}` : (TYPE_LABELS[m.type] || humanize(m.type)) }),
        ' ', h('span', { class: 'muted small', testid: 'timeline-time' }, timeEl(m.occurredTime, true)),
        ' ', h('span', { class: 'badge', testid: 'timeline-triggered-by', text: m.triggeredBy })),
      h('p', { testid: 'timeline-text', class: 'message-text', text: m.message }),
      changesEl(m.extraData?.changes),
      del);
    del?.addEventListener('click', () => ctx.run(async () => {
      await api('DELETE', `${customerPath(id)}/timeline/${encodeURIComponent(m.id)}`, { signal: ctx.signal });
      li.remove();
      ctx.status('Message deleted.');
      comment.focus();
    }));
    return li;
  }

  let timelineController = null;
  function loadTimeline(reset) {
    timelineController?.abort();
    const controller = new AbortController();
    timelineController = controller;
    ctx.signal.addEventListener('abort', () => controller.abort(), { once: true });
    if (reset) timelineOffset = 0;
    timeline.setAttribute('aria-busy', 'true');
    return ctx.run(async () => {
      try {
        const res = await api('GET', `${customerPath(id)}/timeline`, { query: { limit: TIMELINE_PAGE, offset: timelineOffset }, signal: controller.signal });
        const list = res.body || [];
        const frag = document.createDocumentFragment();
        for (const m of list) frag.append(messageEl(m));
        if (reset) timeline.replaceChildren(frag);
        else timeline.append(frag);
        if (reset && !list.length) timeline.append(h('li', { class: 'muted', text: 'No messages yet.' }));
        const p = pagerState(res.headers, list.length);
        timelineOffset = p.offset + list.length;
        more.hidden = !p.links.next;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return; // the customer's own 404 says it
        throw err;
      } finally {
        if (!controller.signal.aborted) timeline.setAttribute('aria-busy', 'false');
      }
    });
  }
  more.addEventListener('click', () => loadTimeline(false));

  commentForm.addEventListener('submit', (e) => {
    e.preventDefault();
    clearFieldErrors(commentForm);
    const message = comment.value.trim();
    if (!message) {
      showFieldError(commentError, 'Write a comment first.', comment);
      return;
    }
    ctx.run(async () => {
      try {
        await api('POST', `${customerPath(id)}/timeline`, { body: { type: 'customer-comment-created', message }, signal: ctx.signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 422) {
          showFieldError(commentError, err.invalidFields.map((f) => `${f.field}: ${f.message}`).join(' '), comment);
          return;
        }
        throw err;
      }
      comment.value = '';
      ctx.status('Comment added.');
      await loadTimeline(true);
    });
  });

  // First load: the customer (with its lead source) and the definitions;
  // the timeline beside them.
  ctx.run(async () => {
    try {
      const [, defs] = await Promise.all([fetchCustomer(), getDefinitions().catch(() => [])]);
      definitions = defs;
    } catch (err) {
      const target = mergedInto(err);
      if (target) {
        ctx.navigate(customerURL(target), { replace: true, flash: { merged: `Customer "${id}" was merged into "${target}".` } });
        return;
      }
      if (err instanceof ApiError && err.status === 404) {
        ctx.root.append(h('section', { testid: 'not-found', class: 'card' },
          h('p', { text: err.problem.detail || 'No such customer.' }),
          h('p', {}, h('a', { href: `${BASE}/customers`, text: 'Back to the customers' }))));
        title.textContent = 'Customer not found';
        return;
      }
      if (!isAbort(err)) throw err;
      return;
    }
    renderAll();
    content.hidden = false;
  });
  loadTimeline(true);
  return {};
}

/** The page that creates a customer. */
export function mountNewCustomer(ctx) {
  ctx.setTitle('New customer');
  const section = h('section', { class: 'card' });
  ctx.root.append(h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', text: 'New customer' })), section);
  ctx.run(async () => {
    const definitions = await getDefinitions().catch(() => []);
    const form = customerForm({
      customer: null, definitions, create: true,
      onCancel: () => ctx.navigate(`${BASE}/customers`),
      onSubmit: ({ id, body }) => {
        form.setBusy(true);
        ctx.run(async () => {
          try {
            const res = id
              ? await api('PUT', customerPath(id), { body, headers: { 'If-None-Match': '*' }, signal: ctx.signal })
              : await api('POST', '/customers', { body, signal: ctx.signal });
            ctx.navigate(customerURL(res.body.id), { flash: { status: 'Customer created.' } });
          } catch (err) {
            if (err instanceof ApiError && err.status === 422) form.showErrors(err.invalidFields);
            else if (err instanceof ApiError && err.status === 412) form.showErrors([{ field: 'id', message: 'a customer with this id exists already' }]);
            else if (err instanceof ApiError && err.status === 409) form.showErrors([{ field: 'id', message: err.problem.detail }]);
            else throw err;
          } finally {
            form.setBusy(false);
          }
        });
      },
    });
    section.append(form.el);
  });
}
