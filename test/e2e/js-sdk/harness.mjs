// What every SDK suite needs: the server's address and command line from
// test/e2e/js-sdk.sh, a new organization per suite, and a check of the SDK's
// errors. Imported by the *.test.mjs files (node --test runs only those).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { RebillyAPI } from "rebilly-js-sdk";

export const { E2E_BASE_URL: baseURL, E2E_BIN: bin, E2E_DATA_DIR: dataDir } = process.env;
if (!baseURL || !bin || !dataDir) {
  throw new Error("run through test/e2e/js-sdk.sh, which starts the server and sets E2E_BASE_URL, E2E_BIN and E2E_DATA_DIR");
}

export const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function cli(...args) {
  return execFileSync(bin, args, {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

// sdk is how a Rebilly customer builds the client: the same base URL for
// live and sandbox, and an organizationId or not. The timeout is generous so
// that a loaded CI machine cannot fail a test by slowness.
export function sdk({ apiKey, organizationId = null }) {
  return RebillyAPI({ apiKey, organizationId, timeout: 120000, urls: { live: baseURL, sandbox: baseURL } });
}

// tenant makes a new organization with an all-permissions key, and the SDK
// both ways: bare paths (the key's organization) and /organizations/{id}.
export function tenant(name) {
  const organizationId = cli("orgs", "create", name);
  assert.match(organizationId, /^[0-9a-f-]{36}$/, "orgs create prints only the id");
  const apiKey = cli("keys", "create", "--org", organizationId);
  assert.match(apiKey, /^sk_live_[0-9A-Za-z]{40}$/, "keys create prints only the secret");
  return { organizationId, apiKey, bare: sdk({ apiKey }), org: sdk({ apiKey, organizationId }) };
}

// rejects runs fn, which must fail with the SDK error class cls and the
// HTTP status; it returns the error for further checks.
export async function rejects(fn, cls, status) {
  let caught;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  // The SDK's bundle is minified: cls.name is not the class's name, but an
  // instance's name property is.
  const want = new cls({}).name;
  assert.ok(caught, `expected ${want} (${status}), but the call succeeded`);
  assert.ok(caught instanceof cls, `expected ${want}, got ${caught.name} (${caught.status}): ${caught.message}`);
  assert.equal(caught.name, want);
  assert.equal(caught.status, status, `${caught.name} status`);
  if (status !== null) {
    assert.match(caught.response.headers["content-type"], /^application\/problem\+json/);
    assert.equal(caught.response.data.status, status);
    // The SDK's message is the problem's detail.
    assert.equal(caught.message, caught.response.data.detail);
  }
  return caught;
}
