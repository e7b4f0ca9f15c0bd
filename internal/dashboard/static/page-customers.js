// The customers list. The whole query is the page's URL (the API's own
// parameters: q, filter, sort, limit, offset, fields), so a view can be
// bookmarked, shared, reloaded and walked with back and forward. Each
// view is one request, a newer one aborts the older, and the rows are
// built as text in a DocumentFragment: fast on a million customers, and
// never markup from data.

import { api, ApiError } from './api.js';
import { BASE, customerURL, withQuery } from './router.js';
import { append, clear, debounce, h, uid } from './dom.js';
import { fmtInt, fmtTime, personName } from './format.js';
import { buildFilter, FILTER_FIELDS, OPERATORS, parseFilter, problemOffset } from './filter.js';
import { getDefinitions } from './definitions.js';
import { pagerState, summaryText } from './pager.js';

export const DEFAULT_LIMIT = 20;
const PAGE_SIZES = [10, 20, 50, 100, 200, 500, 1000];

// The columns: which fields each needs, the key it sorts by, and its text.
const COLUMNS = [
  { name: 'name', label: 'Name', fields: ['firstName', 'lastName'], sort: 'lastName', on: true, text: (c) => personName(c) },
  { name: 'email', label: 'Email', fields: ['email'], sort: 'email', on: true, text: (c) => c.email ?? '' },
  { name: 'country', label: 'Country', fields: ['primaryAddress.country'], sort: 'primaryAddress.country', on: true, text: (c) => c.primaryAddress?.country ?? '' },
  { name: 'tags', label: 'Tags', fields: ['tags'], sort: null, on: true, text: (c) => (c.tags || []).map((t) => t.name).join(', ') },
  { name: 'created', label: 'Created', fields: ['createdTime'], sort: 'createdTime', on: true, text: (c) => fmtTime(c.createdTime) },
  { name: 'revision', label: 'Revision', fields: ['revision'], sort: 'revision', on: true, numeric: true, text: (c) => fmtInt(c.revision) },
  { name: 'updated', label: 'Updated', fields: ['updatedTime'], sort: 'updatedTime', text: (c) => fmtTime(c.updatedTime) },
  { name: 'locale', label: 'Locale', fields: ['locale'], sort: 'locale', text: (c) => c.locale ?? '' },
  { name: 'website', label: 'Website', fields: ['websiteId'], sort: 'websiteId', text: (c) => c.websiteId ?? '' },
  { name: 'id', label: 'Id', fields: ['id'], sort: 'id', text: (c) => c.id },
];
const DEFAULT_FIELDS = fieldsOf(COLUMNS.filter((c) => c.on));
const SORT_LABEL = Object.fromEntries(COLUMNS.filter((c) => c.sort).map((c) => [c.sort, c.label]));

function fieldsOf(cols) {
  return [...new Set(cols.flatMap((c) => c.fields))].join(',');
}

function readState(q) {
  return {
    q: q.get('q') || '',
    filter: q.get('filter') || '',
    sort: q.get('sort') || '',
    limit: q.get('limit') || String(DEFAULT_LIMIT),
    offset: q.get('offset') || '0',
    fields: q.get('fields') || '',
  };
}

function pageURL(s) {
  return withQuery(`${BASE}/customers`, {
    q: s.q, filter: s.filter, sort: s.sort,
    limit: String(s.limit) === String(DEFAULT_LIMIT) ? '' : s.limit,
    offset: String(s.offset) === '0' ? '' : s.offset,
    fields: s.fields === DEFAULT_FIELDS ? '' : s.fields,
  });
}

function visibleColumns(fields) {
  const set = new Set((fields || DEFAULT_FIELDS).split(',').map((f) => f.trim()));
  const cols = COLUMNS.filter((c) => c.fields.every((f) => set.has(f)));
  return cols.length ? cols : COLUMNS.filter((c) => c.on);
}

function parseSort(sort) {
  return (sort || '').split(',').map((s) => s.trim()).filter(Boolean)
    .map((s) => (s.startsWith('-') ? { field: s.slice(1), desc: true } : { field: s.replace(/^\+/, ''), desc: false }));
}

function formatSort(keys) {
  return keys.map((k) => (k.desc ? `-${k.field}` : k.field)).join(',');
}

// The builder's field choices: the fixed ones, each custom field of the
// definitions, and any field a condition names that neither has.
function fieldChoices(defs, conditions) {
  const out = [...FILTER_FIELDS];
  for (const d of defs) out.push([`customFields.${d.name}`, `Custom field: ${d.name} (${d.type})`]);
  for (const c of conditions) {
    if (c.field && !out.some(([v]) => v === c.field)) out.push([c.field, c.field]);
  }
  return out;
}

export function mount(ctx) {
  ctx.setTitle('Customers');
  let state = readState(ctx.query);
  let conditions = parseFilter(state.filter) || [];
  let builderNote = parseFilter(state.filter) === null;
  let definitions = [];
  let listController = null;
  let selfNav = false;

  const go = (next) => {
    selfNav = true;
    ctx.navigate(pageURL(next));
    selfNav = false;
  };

  // Heading and search.
  const search = h('input', { id: 'search', type: 'search', name: 'q', value: state.q, autocomplete: 'off', 'aria-describedby': 'search-hint', maxlength: '200' });
  const searchError = h('p', { class: 'field-error', id: 'search-error', hidden: true, dataset: { errorFor: 'q' } });
  const runSearch = debounce(() => {
    const q = search.value.trim();
    if (q !== state.q) go({ ...state, q, offset: '0' });
  }, 300);
  search.addEventListener('input', runSearch);
  const searchForm = h('form', { class: 'search', role: 'search', on: { submit: (e) => { e.preventDefault(); runSearch.cancel(); const q = search.value.trim(); if (q !== state.q) go({ ...state, q, offset: '0' }); } } },
    h('label', { for: 'search', text: 'Search' }),
    h('p', { id: 'search-hint', class: 'hint', text: 'Part of a name, email, id, organization or phone number.' }),
    search, searchError);

  // Column chooser.
  const colBoxes = new Map();
  const columnsFieldset = h('fieldset', {}, h('legend', { text: 'Shown columns' }));
  for (const c of COLUMNS) {
    const box = h('input', { type: 'checkbox', id: `col-${c.name}`, name: 'column', value: c.name });
    box.addEventListener('change', () => {
      const chosen = COLUMNS.filter((x) => colBoxes.get(x.name).checked);
      if (chosen.length === 0) {
        box.checked = true;
        return;
      }
      go({ ...state, fields: fieldsOf(chosen) });
    });
    colBoxes.set(c.name, box);
    columnsFieldset.append(h('div', { class: 'field checkbox' }, box, h('label', { for: `col-${c.name}`, text: c.label })));
  }
  const columns = h('details', { testid: 'columns', class: 'panel' }, h('summary', { testid: 'columns-toggle', text: 'Columns' }), columnsFieldset);

  // Filter builder and text.
  const rowsEl = h('div', { class: 'filter-rows' });
  const note = h('p', { class: 'hint', testid: 'filter-builder-note', hidden: true, text: 'This filter says more than the builder can show (alternatives with a comma, for example): edit it as text below.' });
  const addBtn = h('button', { type: 'button', class: 'button secondary', testid: 'filter-add', text: 'Add a condition' });
  const builder = h('details', { testid: 'filter-builder', class: 'panel', open: !!state.filter },
    h('summary', { text: 'Filter builder' }), note, rowsEl, addBtn);
  const filterText = h('input', { id: 'filter-text', type: 'text', name: 'filter', value: state.filter, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'filter-hint filter-error', maxlength: '4096' });
  const filterError = h('div', { id: 'filter-error', class: 'field-error filter-error', testid: 'filter-error', hidden: true, 'aria-live': 'polite' });
  const filterForm = h('form', { class: 'filter-text' },
    h('label', { for: 'filter-text', text: 'Filter' }),
    h('p', { id: 'filter-hint', class: 'hint' },
      'Rebilly\'s filter language: ', h('code', { text: 'field:value' }), ', ', h('code', { text: 'field:!value' }), ', ',
      h('code', { text: 'field:a..b' }), ', ', h('code', { text: 'field:*part*' }), ', ', h('code', { text: 'field:null' }),
      '; conditions joined with ', h('code', { text: ';' }), '.'),
    h('div', { class: 'inline' }, filterText,
      h('button', { type: 'submit', class: 'button', testid: 'filter-apply', text: 'Apply' }),
      h('button', { type: 'button', class: 'button secondary', testid: 'filter-clear', text: 'Clear' })),
    filterError);

  function renderConditions() {
    clear(rowsEl);
    const choices = fieldChoices(definitions, conditions);
    conditions.forEach((c, i) => {
      const fieldSel = h('select', { id: `filter-field-${i}` });
      for (const [v, l] of choices) fieldSel.append(h('option', { value: v, text: l, selected: v === c.field }));
      if (!c.field) c.field = fieldSel.value;
      const opSel = h('select', { id: `filter-op-${i}` });
      for (const [v, l] of OPERATORS) opSel.append(h('option', { value: v, text: l, selected: v === c.op }));
      const value = h('input', { id: `filter-value-${i}`, type: 'text', value: c.value ?? '', autocomplete: 'off' });
      const to = h('input', { id: `filter-value-to-${i}`, type: 'text', value: c.to ?? '', autocomplete: 'off' });
      const valueWrap = h('div', { class: 'field' }, h('label', { for: value.id, text: c.op === 'range' ? 'From' : 'Value' }), value);
      const toWrap = h('div', { class: 'field', hidden: c.op !== 'range' }, h('label', { for: to.id, text: 'To' }), to);
      valueWrap.hidden = c.op === 'null';
      const update = () => {
        c.field = fieldSel.value;
        c.op = opSel.value;
        c.value = value.value;
        c.to = to.value;
        valueWrap.hidden = c.op === 'null';
        valueWrap.querySelector('label').textContent = c.op === 'range' ? 'From' : 'Value';
        toWrap.hidden = c.op !== 'range';
        filterText.value = buildFilter(conditions);
      };
      for (const el of [fieldSel, opSel, value, to]) el.addEventListener('input', update);
      fieldSel.addEventListener('change', update);
      opSel.addEventListener('change', update);
      const remove = h('button', { type: 'button', class: 'button secondary small', testid: 'filter-remove', 'aria-label': `Remove condition ${i + 1}`, text: 'Remove' });
      remove.addEventListener('click', () => {
        conditions.splice(i, 1);
        renderConditions();
        filterText.value = buildFilter(conditions);
        (rowsEl.querySelectorAll('[data-testid="filter-remove"]')[i] || addBtn).focus();
      });
      rowsEl.append(h('fieldset', { class: 'filter-row', testid: 'filter-row' },
        h('legend', { class: 'visually-hidden', text: `Condition ${i + 1}` }),
        h('div', { class: 'field' }, h('label', { for: fieldSel.id, text: 'Field' }), fieldSel),
        h('div', { class: 'field' }, h('label', { for: opSel.id, text: 'Condition' }), opSel),
        valueWrap, toWrap, remove));
    });
    note.hidden = !builderNote;
  }

  addBtn.addEventListener('click', () => {
    if (builderNote) {
      conditions = [];
      builderNote = false;
    }
    conditions.push({ field: '', op: 'equals', value: '', to: '' });
    renderConditions();
    rowsEl.querySelector(`#filter-field-${conditions.length - 1}`)?.focus();
  });
  let defsAsked = false;
  const askDefinitions = () => {
    if (defsAsked) return;
    defsAsked = true;
    getDefinitions().then((defs) => {
      definitions = defs;
      if (ctx.isCurrent()) renderConditions();
    }).catch(() => { defsAsked = false; });
  };
  builder.addEventListener('toggle', () => { if (builder.open) askDefinitions(); });
  if (builder.open) askDefinitions();

  filterForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const filter = filterText.value.trim();
    const parsed = parseFilter(filter);
    conditions = parsed || [];
    builderNote = parsed === null;
    renderConditions();
    if (filter === state.filter) load();
    else go({ ...state, filter, offset: '0' });
  });
  filterForm.querySelector('[data-testid="filter-clear"]').addEventListener('click', () => {
    conditions = [];
    builderNote = false;
    filterText.value = '';
    renderConditions();
    go({ ...state, filter: '', offset: '0' });
  });

  // The table.
  const caption = h('caption', { id: uid('caption'), class: 'visually-hidden' });
  const thead = h('thead');
  const tbody = h('tbody');
  const table = h('table', { testid: 'customers-table', class: 'data compact', 'aria-busy': 'true' }, caption, thead, tbody);
  const tableWrap = h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': caption.id }, table);
  const empty = h('p', { testid: 'empty', class: 'empty', hidden: true, text: 'No customers match.' });
  const summary = h('p', { testid: 'page-summary', class: 'page-summary', 'aria-live': 'polite' });
  const timing = h('p', { testid: 'list-timing', class: 'muted small' });

  const pageBtn = (rel, label) => h('button', { type: 'button', class: 'button secondary', testid: `page-${rel}`, disabled: true, text: label });
  const pager = { first: pageBtn('first', 'First'), prev: pageBtn('prev', 'Previous'), next: pageBtn('next', 'Next'), last: pageBtn('last', 'Last') };
  const pageSize = h('select', { id: 'page-size', name: 'limit' });
  for (const n of PAGE_SIZES) pageSize.append(h('option', { value: String(n), text: String(n) }));
  pageSize.addEventListener('change', () => go({ ...state, limit: pageSize.value, offset: '0' }));
  let links = {};
  for (const [rel, btn] of Object.entries(pager)) {
    btn.addEventListener('click', () => {
      const u = links[rel];
      if (u) go({ ...state, offset: u.searchParams.get('offset') || '0' });
    });
  }

  ctx.root.append(
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1', text: 'Customers' }),
      h('a', { href: `${BASE}/new-customer`, class: 'button write-link', testid: 'new-customer', text: 'New customer' })),
    searchForm,
    h('section', { class: 'query', 'aria-label': 'Filter and columns' }, builder, filterForm, columns),
    h('div', { class: 'list-meta' }, summary, timing),
    tableWrap,
    empty,
    h('nav', { class: 'pager', 'aria-label': 'Pages of customers' },
      pager.first, pager.prev, pager.next, pager.last,
      h('div', { class: 'field inline-field' }, h('label', { for: 'page-size', text: 'Rows per page' }), pageSize)));

  function syncControls() {
    search.value = state.q;
    filterText.value = state.filter;
    const parsed = parseFilter(state.filter);
    conditions = parsed || [];
    builderNote = parsed === null;
    renderConditions();
    if (state.filter) builder.open = true;
  }

  function renderHead() {
    const cols = visibleColumns(state.fields);
    for (const [name, box] of colBoxes) box.checked = cols.some((c) => c.name === name);
    pageSize.value = PAGE_SIZES.includes(Number(state.limit)) ? String(Number(state.limit)) : String(DEFAULT_LIMIT);
    const keys = parseSort(state.sort);
    const effective = keys.length ? keys : [{ field: 'createdTime', desc: true }];
    caption.textContent = `Customers, sorted by ${effective.map((k) => `${SORT_LABEL[k.field] || k.field} ${k.desc ? 'descending' : 'ascending'}`).join(', then ')}`;
    const tr = h('tr');
    for (const c of cols) {
      const th = h('th', { scope: 'col', class: c.numeric ? 'num' : null, dataset: { col: c.name } });
      if (c.sort) {
        const idx = effective.findIndex((k) => k.field === c.sort);
        const key = effective[idx];
        if (idx === 0) th.setAttribute('aria-sort', key.desc ? 'descending' : 'ascending');
        if (key) {
          th.dataset.sort = key.desc ? 'desc' : 'asc';
          th.dataset.sortIndex = String(idx + 1);
        }
        const btn = h('button', { type: 'button', class: 'sort', testid: `sort-${c.name}`, title: 'Click to sort by this column; shift-click to add it as another sort key' },
          c.label,
          key ? h('span', { class: 'sort-mark', 'aria-hidden': 'true', text: `${key.desc ? ' ▼' : ' ▲'}${effective.length > 1 ? idx + 1 : ''}` }) : null,
          key && idx > 0 ? h('span', { class: 'visually-hidden', text: `, then sorted ${key.desc ? 'descending' : 'ascending'}` }) : null);
        btn.addEventListener('click', (e) => sortBy(c.sort, e.shiftKey));
        th.append(btn);
      } else {
        th.textContent = c.label;
      }
      tr.append(th);
    }
    clear(thead).append(tr);
    return cols;
  }

  function sortBy(field, add) {
    const keys = parseSort(state.sort);
    const effective = keys.length ? keys : [{ field: 'createdTime', desc: true }];
    let next;
    if (add) {
      next = effective.map((k) => ({ ...k }));
      const k = next.find((x) => x.field === field);
      if (k) k.desc = !k.desc;
      else next.push({ field, desc: false });
    } else if (effective.length === 1 && effective[0].field === field) {
      next = [{ field, desc: !effective[0].desc }];
    } else {
      next = [{ field, desc: false }];
    }
    go({ ...state, sort: formatSort(next), offset: '0' });
  }

  function clearQueryErrors() {
    filterError.hidden = true;
    clear(filterError);
    filterText.removeAttribute('aria-invalid');
    searchError.hidden = true;
    searchError.textContent = '';
    search.removeAttribute('aria-invalid');
  }

  // A 400 shown where it belongs: a filter's at the filter text, with the
  // character it names marked; q's at the search box; others in [error].
  function showQueryError(err) {
    const f = err.invalidFields[0] || { field: '', message: err.problem.detail || '' };
    if (f.field === 'filter') {
      const { offset, message } = problemOffset(f.message);
      const chars = Array.from(state.filter);
      const at = offset === null ? null : Math.min(offset, chars.length);
      clear(filterError);
      append(filterError, [
        h('p', {}, h('strong', { text: 'Invalid filter' }), ' ', message.replace(/^at character \d+:/, ''),
          offset === null ? null : h('span', { class: 'offset-note' }, ' (at character ', h('span', { testid: 'filter-error-offset', text: String(offset) }), ')')),
        h('p', { class: 'visually-hidden', text: message }),
        at === null ? null : h('p', { testid: 'filter-error-marker', class: 'marker' },
          h('code', {}, chars.slice(0, at).join(''), h('mark', { text: chars[at] ?? '' }), chars.slice(at + 1).join('')))]);
      filterError.hidden = false;
      filterText.setAttribute('aria-invalid', 'true');
      builder.open = builder.open || conditions.length > 0;
      if (at !== null) {
        const unitIndex = chars.slice(0, at).join('').length;
        try {
          filterText.setSelectionRange(unitIndex, unitIndex + (chars[at] ?? '').length);
        } catch {
          // not every input type has a selection
        }
      }
    } else if (f.field === 'q') {
      searchError.textContent = f.message;
      searchError.hidden = false;
      search.setAttribute('aria-invalid', 'true');
      search.setAttribute('aria-describedby', 'search-hint search-error');
    } else {
      ctx.error(err);
    }
  }

  function renderRows(list, cols) {
    const frag = document.createDocumentFragment();
    for (const c of list) {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'customer-row';
      tr.dataset.id = c.id;
      cols.forEach((col, i) => {
        const cell = document.createElement(i === 0 ? 'th' : 'td');
        if (i === 0) cell.setAttribute('scope', 'row');
        cell.dataset.testid = `cell-${col.name}`;
        if (col.numeric) cell.className = 'num';
        if (i === 0) {
          const a = document.createElement('a');
          a.href = customerURL(c.id);
          a.dataset.testid = 'customer-link';
          a.textContent = col.text(c) || c.id;
          cell.append(a);
        } else if (col.name === 'tags') {
          for (const t of c.tags || []) {
            const span = document.createElement('span');
            span.className = 'tag';
            span.textContent = t.name;
            cell.append(span, ' ');
          }
        } else {
          cell.textContent = col.text(c);
        }
        tr.append(cell);
      });
      frag.append(tr);
    }
    tbody.replaceChildren(frag);
  }

  function load() {
    listController?.abort();
    const controller = new AbortController();
    listController = controller;
    ctx.signal.addEventListener('abort', () => controller.abort(), { once: true });
    const cols = renderHead();
    table.setAttribute('aria-busy', 'true');
    const t0 = performance.now();
    return ctx.run(async () => {
      try {
        const res = await api('GET', '/customers', {
          query: { limit: state.limit, offset: state.offset, q: state.q, filter: state.filter, sort: state.sort, fields: state.fields || DEFAULT_FIELDS },
          signal: controller.signal,
        });
        clearQueryErrors();
        const list = Array.isArray(res.body) ? res.body : [];
        renderRows(list, cols);
        const p = pagerState(res.headers, list.length);
        links = p.links;
        summary.textContent = summaryText(p);
        // first and last are always in Link; they lead nowhere from the
        // page they name.
        const here = String(p.offset);
        for (const [rel, btn] of Object.entries(pager)) btn.disabled = !links[rel] || (links[rel].searchParams.get('offset') || '0') === here;
        empty.hidden = list.length > 0;
        const ms = Math.round(performance.now() - t0);
        table.dataset.renderMs = String(ms);
        timing.textContent = `Shown in ${fmtInt(ms)} ms`;
      } catch (err) {
        if (err instanceof ApiError && err.status === 400) {
          tbody.replaceChildren();
          summary.textContent = '';
          timing.textContent = '';
          links = {};
          for (const btn of Object.values(pager)) btn.disabled = true;
          empty.hidden = true;
          showQueryError(err);
          return;
        }
        throw err;
      } finally {
        if (!controller.signal.aborted) table.setAttribute('aria-busy', 'false');
      }
    });
  }

  renderConditions();
  load();

  return {
    update(query) {
      const fromHistory = !selfNav;
      state = readState(query);
      if (fromHistory) {
        runSearch.cancel();
        syncControls();
      }
      load();
    },
    unmount() {
      runSearch.cancel();
      listController?.abort();
    },
  };
}
