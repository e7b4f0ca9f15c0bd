// Formatting values for people. Deterministic: times are shown in UTC as
// the API gives them (never "3 minutes ago", never the browser's zone), and
// numbers group thousands with U+202F, a narrow no-break space.

import { h } from './dom.js';

export const THIN = '\u202F';

/** 7562 → "7 562" (narrow no-break space between groups). */
export function fmtInt(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  const neg = Number(n) < 0;
  const digits = String(Math.abs(Math.trunc(Number(n))));
  return (neg ? '−' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, THIN);
}

/** A decimal as the API wrote it, its integer part grouped: 12345.5 → "12 345.5". */
export function fmtDecimal(n) {
  if (n === null || n === undefined) return '—';
  const s = String(n);
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
  if (!m) return s;
  return (m[1] ? '−' : '') + fmtInt(Number(m[2])) + (m[3] || '');
}

/** {currency, amount} → "12 345.5 USD". */
export function fmtMoney(m) {
  if (!m || typeof m !== 'object') return '—';
  return `${fmtDecimal(m.amount)} ${m.currency ?? ''}`.trim();
}

/**
 * An RFC 3339 instant as "2025-03-03 09:00 UTC" (withSeconds: "…09:00:05
 * UTC"). Offsets other than Z are converted to UTC.
 */
export function fmtTime(iso, withSeconds = false) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (x) => String(x).padStart(2, '0');
  const s = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
  return withSeconds ? `${s}:${p(d.getUTCSeconds())} UTC` : `${s} UTC`;
}

/** A <time> element showing fmtTime(iso). */
export function timeEl(iso, withSeconds = false) {
  if (!iso) return document.createTextNode('—');
  return h('time', { datetime: iso, text: fmtTime(iso, withSeconds) });
}

/** The name people know a customer by: "First Last", else "". */
export function personName(c) {
  if (!c) return '';
  const first = c.firstName ?? c.primaryAddress?.firstName;
  const last = c.lastName ?? c.primaryAddress?.lastName;
  return [first, last].filter(Boolean).join(' ');
}

/** Name, else email, else id. */
export function customerTitle(c) {
  return personName(c) || c.email || c.id;
}

/** "customer-comment-created" → "Customer comment created". */
export function humanize(kebab) {
  const s = String(kebab || '').replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Any JSON value as short text: null → "—", objects as compact JSON. */
export function fmtValue(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return fmtDecimal(v);
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => (typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x))).join(', ');
  return JSON.stringify(v);
}

/** A contact's postal lines (address, address2, "postal city", region, country). */
export function addressLines(a) {
  if (!a) return [];
  const cityLine = [a.postalCode, a.city].filter(Boolean).join(' ');
  return [a.address, a.address2, cityLine, a.region, a.country].filter(Boolean);
}
