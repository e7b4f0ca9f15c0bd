// The organization's custom-field definitions (GET /custom-fields/customers),
// fetched once per tab and shared by the pages that type values with them;
// the settings page forgets them when it changes one.

import { api } from './api.js';

let cached = null;

/** The definitions, sorted by name; [] when the key may not read them. */
export function getDefinitions() {
  if (!cached) {
    cached = api('GET', '/custom-fields/customers', { query: { limit: 1000 } })
      .then((res) => res.body || [])
      .catch((err) => {
        cached = null;
        if (err.status === 403) return [];
        throw err;
      });
  }
  return cached;
}

/** Forgets the cached definitions, so the next getDefinitions asks again. */
export function forgetDefinitions() {
  cached = null;
}
