// Rebilly's filter language (SPEC §5), both ways: the builder's conditions
// to the text (buildFilter), and simple text back to conditions
// (parseFilter), so that a bookmarked filter opens in the builder. The
// server stays the judge of what is valid; the text is always editable.

/** The operators the builder offers. */
export const OPERATORS = [
  ['equals', 'equals'],
  ['not', 'is not'],
  ['range', 'between'],
  ['wildcard', 'matches (* wildcard)'],
  ['null', 'is empty'],
];

/** The fields the builder offers before custom fields: [API name, label]. */
export const FILTER_FIELDS = [
  ['email', 'Email'],
  ['firstName', 'First name'],
  ['lastName', 'Last name'],
  ['id', 'Id'],
  ['primaryAddress.country', 'Country'],
  ['primaryAddress.city', 'City'],
  ['primaryAddress.organization', 'Organization'],
  ['primaryAddress.emails', 'Any email'],
  ['primaryAddress.phoneNumbers', 'Any phone number'],
  ['tags', 'Tag'],
  ['createdTime', 'Created'],
  ['updatedTime', 'Updated'],
  ['revision', 'Revision'],
  ['locale', 'Locale'],
  ['websiteId', 'Website id'],
  ['isEddRequired', 'EDD required'],
  ['leadSource.source', 'Lead source: source'],
  ['leadSource.medium', 'Lead source: medium'],
  ['leadSource.campaign', 'Lead source: campaign'],
  ['taxNumbers.value', 'Tax number'],
  ['notificationEmails', 'Notification email'],
];

// A value needs double quotes when it holds the language's punctuation,
// starts like an operator, or is the word null.
function needsQuotes(v) {
  return /[,;"\\*]/.test(v) || v.includes('..') || /^[!@]/.test(v) || v.toLowerCase() === 'null' || v !== v.trim();
}

/** v as a filter value: bare when it can be, else double-quoted. */
export function quote(v) {
  v = String(v);
  return needsQuotes(v) ? `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"` : v;
}

// A range end: bare (dates, numbers); quoted only when it must be.
function rangeEnd(v) {
  v = String(v ?? '').trim();
  if (v === '') return '';
  return /[,;"\\]/.test(v) || v.includes('..') ? `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"` : v;
}

/** Whether a condition has what its operator needs. */
export function complete(c) {
  if (!c.field) return false;
  switch (c.op) {
    case 'null': return true;
    case 'range': return String(c.value ?? '').trim() !== '' || String(c.to ?? '').trim() !== '';
    default: return String(c.value ?? '') !== '';
  }
}

/** One condition { field, op, value, to } as a clause. */
export function clause(c) {
  const v = String(c.value ?? '');
  switch (c.op) {
    case 'not': return `${c.field}:!${quote(v)}`;
    case 'range': return `${c.field}:${rangeEnd(c.value)}..${rangeEnd(c.to)}`;
    case 'wildcard': return `${c.field}:${v.includes('*') ? v : `*${v}*`}`;
    case 'null': return `${c.field}:null`;
    default: return `${c.field}:${quote(v)}`;
  }
}

/** The filter text of the complete conditions, clauses joined by ";". */
export function buildFilter(conditions) {
  return conditions.filter(complete).map(clause).join(';');
}

// Splits s at each unquoted sep (a string), keeping quotes and escapes.
function splitUnquoted(s, sep) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted && ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (!quoted && s.startsWith(sep, i)) {
      out.push(cur);
      cur = '';
      i += sep.length - 1;
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

// The value of a bare or quoted token, or null when it is neither.
function unquote(t) {
  if (t.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(t);
    return m ? m[1].replace(/\\(.)/g, '$1') : null;
  }
  return t.includes('"') ? null : t;
}

/**
 * The conditions of a filter text, or null when the text says more than
 * the builder can (alternatives with ",", saved lists, odd quoting): the
 * text is then edited as text.
 */
export function parseFilter(text) {
  const out = [];
  if (!text || !text.trim()) return out;
  for (const part of splitUnquoted(text, ';')) {
    const p = part.trim();
    if (!p) continue;
    const colon = p.indexOf(':');
    if (colon <= 0) return null;
    const field = p.slice(0, colon);
    const raw = p.slice(colon + 1);
    if (!/^[A-Za-z0-9_.\-]+$/.test(field) || raw === '' || splitUnquoted(raw, ',').length > 1) return null;
    if (raw === 'null') {
      out.push({ field, op: 'null', value: '', to: '' });
      continue;
    }
    if (raw.startsWith('!')) {
      const v = unquote(raw.slice(1));
      if (v === null || splitUnquoted(raw.slice(1), '..').length > 1) return null;
      out.push({ field, op: 'not', value: v, to: '' });
      continue;
    }
    const ends = splitUnquoted(raw, '..');
    if (ends.length === 2) {
      const a = ends[0] === '' ? '' : unquote(ends[0]);
      const b = ends[1] === '' ? '' : unquote(ends[1]);
      if (a === null || b === null) return null;
      out.push({ field, op: 'range', value: a, to: b });
      continue;
    }
    if (ends.length > 2) return null;
    if (!raw.startsWith('"') && raw.includes('*')) {
      out.push({ field, op: 'wildcard', value: raw, to: '' });
      continue;
    }
    const v = unquote(raw);
    if (v === null) return null;
    out.push({ field, op: 'equals', value: v, to: '' });
  }
  return out;
}

/**
 * Where a 400's message says the text is wrong: "at character 8: …" →
 * { offset: 8, message }; offset is null when the message names none.
 */
export function problemOffset(message) {
  const m = /^at character (\d+):/.exec(message || '');
  return { offset: m ? Number(m[1]) : null, message: message || '' };
}
