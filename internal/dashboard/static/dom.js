// Building the page without innerHTML: every piece of data reaches the
// document as text (textContent, attribute values), never as markup, so a
// customer named <img onerror=…> is shown, not run.

/**
 * Creates an element. attrs: attributes (false/null/undefined are left
 * out, true is an empty attribute), plus the special keys `on` (event name →
 * listener), `dataset`, `text` (textContent), `value`, `checked`,
 * `disabled`, `hidden`, `selected` (as properties). Children are nodes,
 * strings (text) or arrays of them; null and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    switch (k) {
      case 'on':
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
        break;
      case 'dataset':
        for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
        break;
      case 'text':
        el.textContent = String(v);
        break;
      case 'value': case 'checked': case 'disabled': case 'hidden': case 'selected': case 'open':
        el[k] = v;
        break;
      case 'testid':
        el.dataset.testid = v;
        break;
      default:
        el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, nested arrays; null/false skipped). */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Removes every child of el. */
export function clear(el) {
  el.replaceChildren();
  return el;
}

let ids = 0;
/** A document-unique id with the given prefix. */
export function uid(prefix = 'x') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * A labelled form control in a wrapper: { wrap, input, error }. kind is
 * 'input' (type in attrs), 'textarea' or 'select' (options: [value, label]
 * pairs). field, when given, is the API path the control holds: it becomes
 * data-field, and the error paragraph's data-error-for.
 */
export function field(labelText, { kind = 'input', field: path, options = [], hint, attrs = {}, value } = {}) {
  const id = attrs.id || uid('f');
  const errId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const control = h(kind, { ...attrs, id, dataset: path ? { field: path } : undefined });
  if (kind === 'select') {
    for (const [v, l] of options) control.append(h('option', { value: v, text: l }));
  }
  if (value !== undefined && value !== null) {
    if (attrs.type === 'checkbox') control.checked = !!value;
    else control.value = String(value);
  }
  if (hintId) control.setAttribute('aria-describedby', hintId);
  const error = h('p', { class: 'field-error', id: errId, hidden: true, dataset: path ? { errorFor: path } : undefined });
  const label = h('label', { for: id, text: labelText });
  const wrap = attrs.type === 'checkbox'
    ? h('div', { class: 'field checkbox' }, control, label, hintId && h('p', { class: 'hint', id: hintId, text: hint }), error)
    : h('div', { class: 'field' }, label, hintId && h('p', { class: 'hint', id: hintId, text: hint }), control, error);
  return { wrap, input: control, error };
}

/** Shows message at a field error paragraph and marks its control invalid. */
export function showFieldError(errorEl, message, control) {
  errorEl.textContent = errorEl.hidden || !errorEl.textContent ? message : `${errorEl.textContent} ${message}`;
  errorEl.hidden = false;
  if (control) {
    control.setAttribute('aria-invalid', 'true');
    const d = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    if (!d.includes(errorEl.id)) d.push(errorEl.id);
    control.setAttribute('aria-describedby', d.join(' '));
  }
}

/** Hides every field error inside root and clears aria-invalid. */
export function clearFieldErrors(root) {
  for (const p of root.querySelectorAll('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
  for (const c of root.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/** Calls fn once the calls have stopped for ms milliseconds. */
export function debounce(fn, ms) {
  let t = 0;
  const d = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  d.cancel = () => clearTimeout(t);
  return d;
}

// fillRows marks table busy, awaits the list that fetchList gives, and
// replaces tbody's rows with rowOf(item) for each item, showing empty when
// there is none; table is no longer busy afterwards, failure included.
export async function fillRows(table, tbody, empty, fetchList, rowOf) {
  table.setAttribute('aria-busy', 'true');
  try {
    const list = await fetchList();
    const frag = document.createDocumentFragment();
    for (const item of list) frag.append(rowOf(item));
    tbody.replaceChildren(frag);
    empty.hidden = list.length > 0;
  } finally {
    table.setAttribute('aria-busy', 'false');
  }
}
