// Settings: the custom-field definitions that type customers' customFields.
// Create and change with PUT /custom-fields/customers/{name}; delete (the
// API refuses, 409, while a customer has a value).

import { api, ApiError } from './api.js';
import { clear, clearFieldErrors, field, fillRows, h, showFieldError } from './dom.js';
import { fmtTime } from './format.js';
import { forgetDefinitions } from './definitions.js';

const TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'datetime', 'array', 'monetary'];

function restrictions(d) {
  const s = d.additionalSchema || {};
  const parts = [];
  if (s.allowedValues) parts.push(`one of: ${s.allowedValues.join(', ')}`);
  if (s.maxLength) parts.push(`at most ${s.maxLength} characters`);
  return parts.join('; ') || '—';
}

export function mount(ctx) {
  ctx.setTitle('Custom fields');
  let editing = null; // the definition being changed, or null to create

  const tbody = h('tbody');
  const table = h('table', { class: 'data', testid: 'custom-fields-table', 'aria-busy': 'true' },
    h('caption', { class: 'visually-hidden', text: 'Custom-field definitions' }),
    h('thead', {}, h('tr', {}, ['Name', 'Type', 'Description', 'Restrictions', 'Updated', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
    tbody);
  const empty = h('p', { testid: 'custom-fields-empty', class: 'empty', hidden: true, text: 'No definitions: customers\' custom fields are free-form.' });

  const formHeading = h('h2', { id: 'cf-form-h', text: 'New definition' });
  const name = field('Name', { field: 'name', attrs: { id: 'cf-name', maxlength: '100', autocomplete: 'off', spellcheck: 'false', required: true }, hint: 'Letters, digits, _ and -; the key in customFields.' });
  const type = field('Type', { kind: 'select', field: 'type', options: TYPES.map((t) => [t, t]), attrs: { id: 'cf-type' } });
  const description = field('Description', { kind: 'textarea', field: 'description', attrs: { id: 'cf-description', rows: '2', maxlength: '255' } });
  const allowed = field('Allowed values (one a line; string and array only)', { kind: 'textarea', field: 'additionalSchema.allowedValues', attrs: { id: 'cf-allowed-values', rows: '3' } });
  const maxLength = field('Maximum length (string only, 1–4000)', { field: 'additionalSchema.maxLength', attrs: { id: 'cf-max-length', inputmode: 'numeric', autocomplete: 'off' } });
  const schemaError = h('p', { class: 'field-error', id: 'cf-schema-error', hidden: true, dataset: { errorFor: 'additionalSchema' } });
  const save = h('button', { type: 'submit', class: 'button', testid: 'save-custom-field', text: 'Save the definition' });
  const cancel = h('button', { type: 'button', class: 'button secondary', testid: 'cancel-custom-field', text: 'Cancel', hidden: true });
  const form = h('form', { testid: 'custom-field-form', class: 'card write', novalidate: true, 'aria-labelledby': 'cf-form-h' },
    formHeading, name.wrap, type.wrap, description.wrap, allowed.wrap, maxLength.wrap, schemaError, h('div', { class: 'actions' }, save, cancel));

  const syncTypeFields = () => {
    allowed.wrap.hidden = !['string', 'array'].includes(type.input.value);
    maxLength.wrap.hidden = type.input.value !== 'string';
  };
  type.input.addEventListener('change', syncTypeFields);
  syncTypeFields();

  ctx.root.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', text: 'Custom fields' })),
    h('p', { class: 'hint', text: 'Once the organization has a definition, every custom field a customer write sends must be defined and of its type.' }),
    h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': 'Custom-field definitions' }, table),
    empty,
    form);

  function resetForm() {
    editing = null;
    formHeading.textContent = 'New definition';
    name.input.disabled = false;
    for (const f of [name, description, allowed, maxLength]) f.input.value = '';
    type.input.value = 'string';
    cancel.hidden = true;
    clearFieldErrors(form);
    syncTypeFields();
  }

  function edit(d) {
    editing = d;
    formHeading.textContent = `Change "${d.name}"`;
    name.input.value = d.name;
    name.input.disabled = true;
    type.input.value = d.type;
    description.input.value = d.description ?? '';
    allowed.input.value = (d.additionalSchema?.allowedValues || []).join('\n');
    maxLength.input.value = d.additionalSchema?.maxLength ?? '';
    cancel.hidden = false;
    clearFieldErrors(form);
    syncTypeFields();
    type.input.focus();
  }
  cancel.addEventListener('click', resetForm);

  function rowOf(d) {
    const editBtn = h('button', { type: 'button', class: 'button secondary small write', testid: 'edit-custom-field', 'aria-label': `Change ${d.name}`, text: 'Change' });
    const delBtn = h('button', { type: 'button', class: 'button danger small write', testid: 'delete-custom-field', 'aria-label': `Delete ${d.name}`, text: 'Delete' });
    const actions = h('td', { class: 'row-actions' }, editBtn, ' ', delBtn);
    editBtn.addEventListener('click', () => edit(d));
    delBtn.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'button danger small', testid: 'confirm-delete-custom-field', text: `Delete ${d.name}` });
      const no = h('button', { type: 'button', class: 'button secondary small', text: 'Keep' });
      no.addEventListener('click', () => { clear(actions).append(editBtn, ' ', delBtn); delBtn.focus(); });
      yes.addEventListener('click', () => ctx.run(async () => {
        try {
          await api('DELETE', `/custom-fields/customers/${encodeURIComponent(d.name)}`, { signal: ctx.signal });
        } catch (err) {
          // Refused (409 while customers have values): the row as it was.
          clear(actions).append(editBtn, ' ', delBtn);
          delBtn.focus();
          throw err;
        }
        forgetDefinitions();
        ctx.status(`Definition "${d.name}" deleted.`);
        if (editing?.name === d.name) resetForm();
        await load();
      }));
      clear(actions).append(yes, ' ', no);
      yes.focus();
    });
    return h('tr', { testid: 'custom-field-row', dataset: { name: d.name } },
      h('th', { scope: 'row' }, h('code', { text: d.name })),
      h('td', { text: d.type }),
      h('td', { text: d.description ?? '—' }),
      h('td', { text: restrictions(d) }),
      h('td', { text: fmtTime(d.updatedTime) }),
      actions);
  }

  function load() {
    return ctx.run(() => fillRows(table, tbody, empty, async () => {
      const res = await api('GET', '/custom-fields/customers', { query: { limit: 1000 }, signal: ctx.signal });
      return res.body || [];
    }, rowOf));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const n = name.input.value.trim();
    if (!n) {
      showFieldError(name.error, 'Enter a name.', name.input);
      name.input.focus();
      return;
    }
    const schema = {};
    if (!allowed.wrap.hidden) {
      const values = allowed.input.value.split('\n').map((s) => s.trim()).filter(Boolean);
      if (values.length) schema.allowedValues = values;
    }
    if (!maxLength.wrap.hidden && maxLength.input.value.trim()) {
      const t = maxLength.input.value.trim();
      schema.maxLength = Number.isFinite(Number(t)) ? Number(t) : t;
    }
    const body = { type: type.input.value, description: description.input.value.trim() || null, additionalSchema: schema };
    ctx.run(async () => {
      let res;
      try {
        res = await api('PUT', `/custom-fields/customers/${encodeURIComponent(n)}`, { body, signal: ctx.signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 422) {
          const at = { name, type, description, 'additionalSchema.allowedValues': allowed, 'additionalSchema.maxLength': maxLength };
          for (const { field: path, message } of err.invalidFields) {
            const key = Object.keys(at).find((k) => path === k || path.startsWith(`${k}[`) || path.startsWith(`${k}.`));
            if (key) showFieldError(at[key].error, path === key ? message : `${path}: ${message}`, at[key].input);
            else showFieldError(schemaError, `${path}: ${message}`);
          }
          return;
        }
        throw err;
      }
      forgetDefinitions();
      ctx.status(res.status === 201 ? `Definition "${n}" created.` : `Definition "${n}" saved.`);
      resetForm();
      await load();
    });
  });

  load();
  return {};
}
