// The customer form, for editing (PUT replaces every writable field, so
// the form holds them all) and creating. Each control carries the API path
// of its value in data-field, and an error paragraph with the same path in
// data-error-for, so that a 422's invalidFields land at their inputs.

import { clear, clearFieldErrors, field, h, showFieldError, uid } from './dom.js';

const CONTACT = [
  ['firstName', 'First name', 45], ['lastName', 'Last name', 45], ['organization', 'Organization', 255], ['jobTitle', 'Job title', 255],
];
const ADDRESS = [
  ['address', 'Address', 60], ['address2', 'Address, line 2', 60], ['city', 'City', 45], ['region', 'Region', 45],
  ['postalCode', 'Postal code', 10], ['country', 'Country (ISO code, e.g. GB)', 2], ['dob', 'Date of birth (YYYY-MM-DD)', 10],
];
const METHODS = ['payment-card', 'ach', 'cash', 'check', 'paypal', 'bank-transfer', 'digital-wallet', 'other'];

const attrEsc = (s) => String(s).replace(/["\\]/g, '\\$&');

// The enclosing path: "a.b[2].c" → "a.b[2]" → "a.b" → "a" → "".
function parentPath(p) {
  if (/\[\d+\]$/.test(p)) return p.replace(/\[\d+\]$/, '');
  const i = p.lastIndexOf('.');
  return i < 0 ? '' : p.slice(0, i);
}

const str = (input) => {
  const v = input.value.trim();
  return v === '' ? null : v;
};

// A number typed as text: a JSON number when it reads as one, else the
// text itself (the API then says what it expects).
const numberish = (v) => {
  const t = v.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
};

/**
 * Builds the form. customer: the customer as GET shows it (null to
 * create); definitions: the custom-field definitions ([] for none).
 * Returns { el, read, showErrors, clearErrors, setBusy }. read() gives the
 * request body, or throws { localErrors } for input that cannot be sent.
 */
export function customerForm({ customer, definitions, create = false, onSubmit, onCancel }) {
  const c = customer || {};
  const pa = c.primaryAddress || null;
  const form = h('form', { testid: 'customer-form', class: 'customer-form write', novalidate: true });
  const summary = h('div', { testid: 'form-errors', class: 'error-box', role: 'alert', tabindex: '-1', hidden: true });
  const inputs = {};
  form.append(summary);

  const errorAt = (path) => h('p', { class: 'field-error', id: uid('err'), hidden: true, dataset: { errorFor: path } });

  let idInput = null;
  if (create) {
    const f = field('Id (optional; empty makes a new UUID)', { field: 'id', attrs: { id: 'customer-id', maxlength: '50', autocomplete: 'off', spellcheck: 'false' } });
    idInput = f.input;
    form.append(h('fieldset', {}, h('legend', { text: 'Id' }), f.wrap));
  }

  // Contact: name and address.
  const contact = h('fieldset', {}, h('legend', { text: 'Name and organization' }), errorAt('primaryAddress'));
  for (const [k, label, max] of CONTACT) {
    const f = field(label, { field: `primaryAddress.${k}`, value: pa?.[k], attrs: { maxlength: String(max), autocomplete: 'off' } });
    inputs[k] = f.input;
    contact.append(f.wrap);
  }
  const address = h('fieldset', {}, h('legend', { text: 'Address' }));
  for (const [k, label, max] of ADDRESS) {
    const f = field(label, { field: `primaryAddress.${k}`, value: pa?.[k], attrs: { maxlength: String(max), autocomplete: 'off' } });
    inputs[k] = f.input;
    address.append(f.wrap);
  }
  form.append(contact, address);

  // Emails and phone numbers: lists of {label, value, primary}.
  const lists = {};
  for (const [kind, title, one, testid] of [['emails', 'Emails', 'Email', 'email'], ['phoneNumbers', 'Phone numbers', 'Phone number', 'phone']]) {
    const entriesEl = h('div', { class: 'entries' });
    const entries = [];
    const path = `primaryAddress.${kind}`;
    const reindex = () => entries.forEach((e, i) => {
      e.legend.textContent = `${one} ${i + 1}`;
      for (const [k, f] of Object.entries(e.fields)) {
        f.input.dataset.field = `${path}[${i}].${k}`;
        f.error.dataset.errorFor = `${path}[${i}].${k}`;
      }
      e.entryError.dataset.errorFor = `${path}[${i}]`;
      e.remove.setAttribute('aria-label', `Remove ${one.toLowerCase()} ${i + 1}`);
    });
    const addEntry = (item = {}) => {
      const fields = {
        label: field('Label', { value: item.label ?? (kind === 'emails' ? 'main' : 'mobile'), attrs: { maxlength: '45' } }),
        value: field(kind === 'emails' ? 'Address' : 'Number', { value: item.value, attrs: { type: kind === 'emails' ? 'email' : 'tel', maxlength: kind === 'emails' ? '255' : '50', autocomplete: 'off' } }),
        primary: field('Primary', { value: !!item.primary, attrs: { type: 'checkbox' } }),
      };
      fields.primary.input.addEventListener('change', () => {
        if (fields.primary.input.checked) for (const e of entries) if (e.fields !== fields) e.fields.primary.input.checked = false;
      });
      const legend = h('legend');
      const remove = h('button', { type: 'button', class: 'button secondary small', testid: `remove-${testid}`, text: 'Remove' });
      const entryError = errorAt('');
      const el = h('fieldset', { class: 'entry', testid: `${testid}-entry` }, legend, fields.label.wrap, fields.value.wrap, fields.primary.wrap, entryError, remove);
      const entry = { el, fields, legend, remove, entryError };
      remove.addEventListener('click', () => {
        const i = entries.indexOf(entry);
        entries.splice(i, 1);
        el.remove();
        reindex();
        (entries[i]?.remove || entries[i - 1]?.remove || add).focus();
      });
      entries.push(entry);
      entriesEl.append(el);
      reindex();
      return entry;
    };
    const add = h('button', { type: 'button', class: 'button secondary', testid: `add-${testid}`, text: `Add ${one.toLowerCase()}` });
    add.addEventListener('click', () => addEntry().fields.value.input.focus());
    for (const item of pa?.[kind] || []) addEntry(item);
    lists[kind] = entries;
    form.append(h('fieldset', {}, h('legend', { text: title }), errorAt(path), entriesEl, add));
  }

  // Account fields.
  const account = h('fieldset', {}, h('legend', { text: 'Account' }));
  const websiteId = field('Website id', { field: 'websiteId', value: c.websiteId, attrs: { maxlength: '50', autocomplete: 'off' } });
  const locale = field('Locale (e.g. en-GB)', { field: 'locale', value: c.locale, attrs: { autocomplete: 'off' } });
  const edd = field('Enhanced due diligence required', { field: 'isEddRequired', value: !!c.isEddRequired, attrs: { type: 'checkbox' } });
  const method = field('Default payment method', {
    kind: 'select', field: 'defaultPaymentInstrument.method',
    options: [['', 'None'], ...METHODS.map((m) => [m, m])], value: c.defaultPaymentInstrument?.method ?? '',
  });
  const instrument = field('Payment instrument id', { field: 'defaultPaymentInstrument.paymentInstrumentId', value: c.defaultPaymentInstrument?.paymentInstrumentId, attrs: { maxlength: '50', autocomplete: 'off' } });
  const payout = field('Preferred payout instrument id', { field: 'preferredPayoutInstrumentId', value: c.preferredPayoutInstrumentId, attrs: { maxlength: '50', autocomplete: 'off' } });
  account.append(websiteId.wrap, locale.wrap, edd.wrap, errorAt('defaultPaymentInstrument'), method.wrap, instrument.wrap, payout.wrap);
  const notif = field('Notification emails (one a line)', { kind: 'textarea', field: 'notificationEmails', value: (c.notificationEmails || []).join('\n'), attrs: { rows: '3' } });
  account.append(notif.wrap);
  form.append(account);

  // Tax numbers.
  const taxEntries = [];
  const taxEl = h('div', { class: 'entries' });
  const taxReindex = () => taxEntries.forEach((e, i) => {
    e.legend.textContent = `Tax number ${i + 1}`;
    for (const [k, f] of Object.entries(e.fields)) {
      f.input.dataset.field = `taxNumbers[${i}].${k}`;
      f.error.dataset.errorFor = `taxNumbers[${i}].${k}`;
    }
    e.remove.setAttribute('aria-label', `Remove tax number ${i + 1}`);
  });
  const addTax = (t = {}) => {
    const fields = {
      type: field('Type', { kind: 'select', options: [['eu-vat', 'EU VAT'], ['other', 'Other']], value: t.type || 'eu-vat' }),
      value: field('Number', { value: t.value, attrs: { maxlength: '50', autocomplete: 'off' } }),
      isDefault: field('Default', { value: !!t.isDefault, attrs: { type: 'checkbox' } }),
    };
    const legend = h('legend');
    const remove = h('button', { type: 'button', class: 'button secondary small', testid: 'remove-tax-number', text: 'Remove' });
    const el = h('fieldset', { class: 'entry', testid: 'tax-number-entry' }, legend, fields.type.wrap, fields.value.wrap, fields.isDefault.wrap, remove);
    const entry = { el, fields, legend, remove };
    remove.addEventListener('click', () => {
      const i = taxEntries.indexOf(entry);
      taxEntries.splice(i, 1);
      el.remove();
      taxReindex();
      (taxEntries[i]?.remove || taxEntries[i - 1]?.remove || taxAdd).focus();
    });
    taxEntries.push(entry);
    taxEl.append(el);
    taxReindex();
    return entry;
  };
  const taxAdd = h('button', { type: 'button', class: 'button secondary', testid: 'add-tax-number', text: 'Add tax number' });
  taxAdd.addEventListener('click', () => addTax().fields.value.input.focus());
  for (const t of c.taxNumbers || []) addTax(t);
  form.append(h('fieldset', {}, h('legend', { text: 'Tax numbers' }), errorAt('taxNumbers'), taxEl, taxAdd));

  // Custom fields, typed by the definitions.
  const cf = c.customFields || {};
  const defined = new Set(definitions.map((d) => d.name));
  const typed = [];
  const cfSet = h('fieldset', {}, h('legend', { text: 'Custom fields' }));
  for (const d of definitions) {
    const path = `customFields.${d.name}`;
    const v = cf[d.name];
    const label = d.description ? `${d.name} — ${d.description}` : d.name;
    const allowed = d.additionalSchema?.allowedValues;
    let read;
    if (d.type === 'monetary') {
      const cur = field('Currency', { field: `${path}.currency`, value: v?.currency, attrs: { maxlength: '3', autocomplete: 'off' } });
      const amt = field('Amount', { field: `${path}.amount`, value: v?.amount, attrs: { inputmode: 'decimal', autocomplete: 'off' } });
      cfSet.append(h('fieldset', { class: 'entry' }, h('legend', { text: `${label} (monetary)` }), errorAt(path), cur.wrap, amt.wrap));
      read = () => {
        const cv = cur.input.value.trim();
        const av = amt.input.value.trim();
        if (!cv && !av) return undefined;
        return { currency: cv, amount: numberish(av) };
      };
    } else if (d.type === 'boolean') {
      const f = field(`${label} (boolean)`, { kind: 'select', field: path, options: [['', '—'], ['true', 'true'], ['false', 'false']], value: typeof v === 'boolean' ? String(v) : '' });
      cfSet.append(f.wrap);
      read = () => (f.input.value === '' ? undefined : f.input.value === 'true');
    } else if (d.type === 'array') {
      const f = field(`${label} (list, one value a line${allowed ? `: ${allowed.join(', ')}` : ''})`, { kind: 'textarea', field: path, value: Array.isArray(v) ? v.join('\n') : v, attrs: { rows: '3' } });
      cfSet.append(f.wrap);
      read = () => {
        const lines = f.input.value.split('\n').map((s) => s.trim()).filter(Boolean);
        return lines.length ? lines : undefined;
      };
    } else if (d.type === 'string' && allowed) {
      const opts = [['', '—'], ...allowed.map((a) => [a, a])];
      if (typeof v === 'string' && !allowed.includes(v)) opts.push([v, `${v} (not allowed)`]);
      const f = field(`${label} (one of the allowed values)`, { kind: 'select', field: path, options: opts, value: v ?? '' });
      cfSet.append(f.wrap);
      read = () => (f.input.value === '' ? undefined : f.input.value);
    } else {
      const hints = { integer: 'whole number', number: 'number', date: 'YYYY-MM-DD', datetime: 'RFC 3339, e.g. 2025-03-03T09:00:00Z', string: 'text' };
      const attrs = { autocomplete: 'off' };
      if (d.type === 'integer') attrs.inputmode = 'numeric';
      if (d.type === 'number') attrs.inputmode = 'decimal';
      if (d.type === 'string') attrs.maxlength = String(d.additionalSchema?.maxLength || 255);
      const f = field(`${label} (${hints[d.type] || d.type})`, { field: path, value: v === null || v === undefined ? '' : (typeof v === 'object' ? JSON.stringify(v) : v), attrs });
      cfSet.append(f.wrap);
      read = () => {
        const t = f.input.value;
        if (t.trim() === '') return undefined;
        return d.type === 'integer' || d.type === 'number' ? numberish(t) : t.trim();
      };
    }
    typed.push([d.name, read]);
  }
  // Keys no definition covers: free-form JSON (all of them when there are
  // no definitions).
  const free = Object.fromEntries(Object.entries(cf).filter(([k]) => !defined.has(k)));
  let freeInput = null;
  if (definitions.length === 0 || Object.keys(free).length > 0) {
    const f = field(definitions.length ? 'Other stored custom fields (JSON object; these keys have no definition)' : 'Custom fields (JSON object)', {
      kind: 'textarea', field: 'customFields', value: Object.keys(free).length ? JSON.stringify(free, null, 2) : '{}', attrs: { rows: '4', spellcheck: 'false', class: 'mono' },
    });
    freeInput = f.input;
    cfSet.append(f.wrap);
  } else {
    cfSet.append(errorAt('customFields'));
  }
  form.append(cfSet);

  const saveBtn = h('button', { type: 'submit', class: 'button', testid: 'save-customer', text: create ? 'Create customer' : 'Save' });
  const cancelBtn = h('button', { type: 'button', class: 'button secondary', testid: 'cancel-edit', text: 'Cancel' });
  cancelBtn.addEventListener('click', () => onCancel?.());
  form.append(h('div', { class: 'actions' }, saveBtn, cancelBtn));

  function read() {
    const local = [];
    const contactValues = {};
    for (const [k] of [...CONTACT, ...ADDRESS]) contactValues[k] = str(inputs[k]);
    const entriesOf = (list) => list.map((e) => ({
      label: e.fields.label.input.value.trim(), value: e.fields.value.input.value.trim(), primary: e.fields.primary.input.checked,
    }));
    contactValues.emails = entriesOf(lists.emails);
    contactValues.phoneNumbers = entriesOf(lists.phoneNumbers);
    const blank = Object.values(contactValues).every((v) => v === null || (Array.isArray(v) && v.length === 0));
    const body = {
      primaryAddress: blank && !pa ? null : contactValues,
      websiteId: str(websiteId.input),
      locale: str(locale.input),
      isEddRequired: edd.input.checked,
      defaultPaymentInstrument: method.input.value ? { method: method.input.value, paymentInstrumentId: str(instrument.input) } : null,
      preferredPayoutInstrumentId: str(payout.input),
      notificationEmails: notif.input.value.split('\n').map((s) => s.trim()).filter(Boolean),
      taxNumbers: taxEntries.map((e) => ({ type: e.fields.type.input.value, value: e.fields.value.input.value.trim(), isDefault: e.fields.isDefault.input.checked })),
      customFields: {},
    };
    if (freeInput) {
      const t = freeInput.value.trim();
      if (t !== '') {
        try {
          const parsed = JSON.parse(t);
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
          Object.assign(body.customFields, parsed);
        } catch {
          local.push({ field: 'customFields', message: 'must be a JSON object, e.g. {"tier": "gold"}' });
        }
      }
    }
    for (const [name, r] of typed) {
      const v = r();
      if (v !== undefined) body.customFields[name] = v;
    }
    if (local.length) throw Object.assign(new Error('invalid input'), { localErrors: local });
    return { id: idInput ? idInput.value.trim() : undefined, body };
  }

  function clearErrors() {
    clearFieldErrors(form);
    summary.hidden = true;
    clear(summary);
  }

  // Puts each message at the input of its path, or the nearest enclosing
  // one that has an error paragraph; lists them all in the summary.
  function showErrors(list) {
    clearErrors();
    const items = h('ul');
    for (const { field: path, message } of list) {
      let p = path;
      let target = null;
      while (p) {
        target = form.querySelector(`[data-error-for="${attrEsc(p)}"]`);
        if (target) break;
        p = parentPath(p);
      }
      const control = p ? form.querySelector(`[data-field="${attrEsc(p)}"]`) : null;
      if (target) showFieldError(target, p === path ? message : `${path}: ${message}`, control);
      const focusTo = control || target?.closest('fieldset')?.querySelector('input, select, textarea, button');
      const btn = h('button', { type: 'button', class: 'link', text: `${path}: ${message}` });
      btn.addEventListener('click', () => focusTo?.focus());
      items.append(h('li', {}, btn));
    }
    summary.append(h('p', {}, h('strong', { text: list.length === 1 ? 'One field is invalid:' : `${list.length} fields are invalid:` })), items);
    summary.hidden = false;
    summary.focus();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let data;
    try {
      data = read();
    } catch (err) {
      if (err.localErrors) {
        showErrors(err.localErrors);
        return;
      }
      throw err;
    }
    onSubmit?.(data);
  });

  return {
    el: form,
    read,
    showErrors,
    clearErrors,
    setBusy(b) {
      saveBtn.disabled = b;
      saveBtn.setAttribute('aria-disabled', b ? 'true' : 'false');
    },
    focusFirst() {
      (idInput || inputs.firstName).focus();
    },
  };
}
