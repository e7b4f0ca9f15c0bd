// The client of the public API: same origin, the key in REB-APIKEY, every
// request marked X-Triggered-By: app so that the timeline says the
// dashboard made the change. The key lives in this tab's sessionStorage
// only: never localStorage, never a cookie (credentials: 'omit'), never a
// URL.

const KEY = 'customers-api.key';
const READ_ONLY = 'customers-api.readOnly';

export function getKey() {
  return sessionStorage.getItem(KEY) || '';
}

export function setKey(key) {
  sessionStorage.setItem(KEY, key);
  sessionStorage.removeItem(READ_ONLY);
}

/** Forgets the key and everything learnt with it. */
export function forgetKey() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(READ_ONLY);
}

export function isReadOnly() {
  return sessionStorage.getItem(READ_ONLY) === 'true';
}

export function markReadOnly() {
  sessionStorage.setItem(READ_ONLY, 'true');
}

/** An answer of the API that is not a success: status and problem body. */
export class ApiError extends Error {
  constructor(status, problem, headers) {
    super(problem?.detail || `The API answered ${status}.`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem || {};
    this.headers = headers;
    // Set when a global handler (401, 403 on a write) has dealt with it.
    this.handled = false;
  }

  get invalidFields() {
    return Array.isArray(this.problem.invalidFields) ? this.problem.invalidFields : [];
  }
}

const handlers = { unauthorized: () => {}, forbiddenWrite: () => {} };

/** Sets what happens on a 401 (any request) and a 403 on a write. */
export function onAuthProblems({ unauthorized, forbiddenWrite }) {
  handlers.unauthorized = unauthorized;
  handlers.forbiddenWrite = forbiddenWrite;
}

/**
 * Calls the API. path is the API path ("/customers"); query an object
 * (empty, null and undefined values left out); body, when given, is sent
 * as JSON. Resolves to { status, headers, body, etag } for a 2xx (body is
 * null when there is none) and rejects with an ApiError otherwise, or with
 * the fetch's own error (AbortError when signal aborts it).
 */
export async function api(method, path, { query, body, headers = {}, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const h = { 'REB-APIKEY': getKey(), Accept: 'application/json', 'X-Triggered-By': 'app', ...headers };
  const init = { method, headers: h, signal, credentials: 'omit', cache: 'no-store', redirect: 'error', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && res.status !== 304 && /json/.test(type)) {
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
  }
  if (res.ok) {
    return { status: res.status, headers: res.headers, body: data, etag: res.headers.get('ETag') };
  }
  const err = new ApiError(res.status, data, res.headers);
  if (res.status === 401) {
    err.handled = true;
    handlers.unauthorized(err);
  } else if (res.status === 403 && method !== 'GET') {
    err.handled = true;
    handlers.forbiddenWrite(err);
  }
  throw err;
}

/** Whether err is an aborted fetch (a superseded view), to be ignored. */
export function isAbort(err) {
  return err && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/** The relations of a Link header: { next: URL, prev: URL, … }. */
export function parseLink(header) {
  const out = {};
  if (!header) return out;
  for (const part of header.split(/,\s*(?=<)/)) {
    const m = /^<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (!m) continue;
    const rel = /rel="?([^";]+)"?/.exec(m[2]);
    if (!rel) continue;
    try {
      const u = new URL(m[1], location.origin);
      for (const r of rel[1].trim().split(/\s+/)) out[r] = u;
    } catch {
      // an unreadable link is no link
    }
  }
  return out;
}

/**
 * The target a 404 names for a customer id that was merged away: the
 * problem's mergedInto member, else the id its detail names.
 */
export function mergedInto(err) {
  if (!(err instanceof ApiError) || err.status !== 404) return '';
  if (typeof err.problem.mergedInto === 'string' && err.problem.mergedInto) return err.problem.mergedInto;
  const m = /^Customer ".*" was merged into customer "(.*)"\.$/.exec(err.problem.detail || '');
  return m ? m[1] : '';
}

/** The API path of customer id. */
export function customerPath(id) {
  return `/customers/${encodeURIComponent(id)}`;
}
