// The dashboard's own paths (History API). The server answers index.html
// for every one of them, so each is a URL that can be bookmarked, shared
// and reloaded.

export const BASE = '/dashboard';

const routes = [
  [/^\/dashboard$/, 'home', []],
  [/^\/dashboard\/sign-in$/, 'sign-in', []],
  [/^\/dashboard\/customers$/, 'customers', []],
  [/^\/dashboard\/new-customer$/, 'new-customer', []],
  [/^\/dashboard\/customers\/([^/]+)$/, 'customer', ['id']],
  [/^\/dashboard\/customers\/([^/]+)\/merge$/, 'merge', ['id']],
  [/^\/dashboard\/settings\/custom-fields$/, 'custom-fields', []],
  [/^\/dashboard\/settings\/webhooks$/, 'webhooks', []],
  [/^\/dashboard\/settings\/webhooks\/([^/]+)$/, 'webhook', ['id']],
];

/** The page of a pathname and its decoded parameters. */
export function match(pathname) {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  for (const [re, name, keys] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    const params = {};
    try {
      keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
    } catch {
      return { name: 'not-found', params: {} };
    }
    return { name, params };
  }
  return { name: 'not-found', params: {} };
}

/** The dashboard URL of a customer. */
export function customerURL(id) {
  return `${BASE}/customers/${encodeURIComponent(id)}`;
}

// Query values stay readable in the address bar: ":", ",", "@" and "/"
// need no escaping there (";", "&", "=", "#", "+" and spaces still are).
function encodeValue(v) {
  return encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%40/gi, '@').replace(/%2F/gi, '/');
}

/** pathname plus the query of params (empty values left out). */
export function withQuery(pathname, params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') parts.push(`${encodeURIComponent(k)}=${encodeValue(String(v))}`);
  }
  return parts.length ? `${pathname}?${parts.join('&')}` : pathname;
}
