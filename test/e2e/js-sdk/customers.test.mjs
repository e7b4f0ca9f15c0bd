// Rebilly's official JavaScript SDK (rebilly-js-sdk, pinned in package.json),
// unchanged, against a real Customers API server: only the API key and the
// base URL differ from what a Rebilly customer would write.
//
// test/e2e/js-sdk.sh starts the server and runs this file with
//   E2E_BASE_URL  the server's base URL
//   E2E_BIN       the customers-api binary (to create organizations and keys
//                 with its command line, as the README says)
//   E2E_DATA_DIR  the server's DATA_DIR (the CLI reaches the same database)
// Each suite gets an organization of its own, so counts are exact.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { RebillyErrors } from "rebilly-js-sdk";

import { baseURL, UUID4, sdk, tenant, rejects } from "./harness.mjs";

const ada = {
  primaryAddress: {
    firstName: "Ada",
    lastName: "Lovelace",
    country: "GB",
    emails: [{ label: "work", value: "ada@example.com", primary: true }],
  },
  customFields: { tier: "gold" },
  locale: "en-GB",
};

describe("customers through the SDK", () => {
  let t;
  before(() => {
    t = tenant("SDK customers");
  });

  test("create: POST /customers/ answers 201 with a server-made id, Location and ETag", async () => {
    const c = await t.bare.customers.create({ data: ada });
    assert.equal(c.response.status, 201);
    assert.match(c.fields.id, UUID4);
    assert.equal(c.response.headers.location, `${baseURL}/customers/${c.fields.id}`);
    assert.equal(c.response.headers.etag, '"0"');
    assert.equal(c.fields.email, "ada@example.com");
    assert.equal(c.fields.firstName, "Ada");
    assert.equal(c.fields.lastName, "Lovelace");
    assert.deepEqual(c.fields.customFields, { tier: "gold" });
    assert.equal(c.fields.revision, 0);
    assert.deepEqual(c.fields._links, [{ rel: "self", href: `${baseURL}/customers/${c.fields.id}` }]);

    const viaOrg = await t.org.customers.create({ data: { locale: "fr-FR" } });
    assert.equal(viaOrg.response.status, 201);
    assert.equal(
      viaOrg.response.headers.location,
      `${baseURL}/organizations/${t.organizationId}/customers/${viaOrg.fields.id}`,
    );
  });

  test("get: bare and under /organizations/{id}", async () => {
    const created = await t.bare.customers.create({ data: ada });
    const id = created.fields.id;

    const got = await t.bare.customers.get({ id });
    assert.equal(got.response.status, 200);
    assert.deepEqual(got.fields, created.fields);
    assert.equal(got.response.headers.etag, '"0"');

    const viaOrg = await t.org.customers.get({ id });
    assert.equal(viaOrg.fields.id, id);
    assert.equal(viaOrg.fields.email, "ada@example.com");
    assert.equal(
      viaOrg.fields._links.find((l) => l.rel === "self").href,
      `${baseURL}/organizations/${t.organizationId}/customers/${id}`,
    );
  });

  test("get with expand and fields", async () => {
    const { fields: plain } = await t.org.customers.create({ data: ada });
    const id = plain.id;
    assert.equal(plain._embedded, undefined, "no _embedded without expand");

    const expanded = await t.org.customers.get({ id, expand: "leadSource" });
    assert.deepEqual(expanded.fields._embedded, { leadSource: null });
    await t.org.customers.createLeadSource({ id, data: { campaign: "spring" } });
    const withLead = await t.org.customers.get({ id, expand: "leadSource" });
    assert.equal(withLead.fields._embedded.leadSource.campaign, "spring");

    const some = await t.org.customers.get({ id, fields: "firstName,customFields" });
    assert.deepEqual(some.fields, { id, firstName: "Ada", customFields: { tier: "gold" } });
    const nested = await t.bare.customers.get({ id, fields: "primaryAddress.country,_links", expand: "leadSource" });
    assert.deepEqual(Object.keys(nested.fields).sort(), ["_embedded", "_links", "id", "primaryAddress"]);
    assert.deepEqual(nested.fields.primaryAddress, { country: "GB" });
  });

  test("upsert: create({id}) and update() create with the path id (201), then update (200)", async () => {
    // create({id}) is the SDK's "create with my id": it GETs first (404), then PUTs.
    const made = await t.org.customers.create({ id: "sdk-ada", data: ada });
    assert.equal(made.response.status, 201);
    assert.equal(made.fields.id, "sdk-ada");
    assert.equal(made.response.headers.location, `${baseURL}/organizations/${t.organizationId}/customers/sdk-ada`);
    assert.equal(made.fields.revision, 0);

    // The SDK refuses an id that exists without asking the server to write.
    await rejects(() => t.org.customers.create({ id: "sdk-ada", data: ada }), RebillyErrors.RebillyConflictError, null);

    const same = await t.org.customers.update({ id: "sdk-ada", data: ada });
    assert.equal(same.response.status, 200);
    assert.equal(same.fields.revision, 0, "a PUT that changes nothing keeps the revision");
    assert.equal(same.fields.updatedTime, made.fields.updatedTime);

    const changed = await t.org.customers.update({
      id: "sdk-ada",
      data: { ...ada, primaryAddress: { ...ada.primaryAddress, lastName: "King" } },
    });
    assert.equal(changed.response.status, 200);
    assert.equal(changed.fields.lastName, "King");
    assert.equal(changed.fields.revision, 1);
    assert.equal(changed.response.headers.etag, '"1"');
    assert.equal(changed.response.headers.location, undefined);

    // PUT replaces every writable field: what is left out takes its default.
    const replaced = await t.bare.customers.update({ id: "sdk-ada", data: { locale: "en-GB" } });
    assert.equal(replaced.response.status, 200);
    assert.equal(replaced.fields.primaryAddress, null);
    assert.deepEqual(replaced.fields.customFields, {});
    assert.equal(replaced.fields.revision, 2);

    // update() to a new id creates it.
    const upserted = await t.bare.customers.update({ id: "sdk-new", data: { locale: "fr-FR" } });
    assert.equal(upserted.response.status, 201);
    assert.equal(upserted.response.headers.location, `${baseURL}/customers/sdk-new`);
    assert.equal((await t.bare.customers.get({ id: "sdk-new" })).fields.locale, "fr-FR");
  });

  test("lead source: create, get, update, delete", async () => {
    await t.org.customers.update({ id: "sdk-lead", data: ada });

    const created = await t.org.customers.createLeadSource({
      id: "sdk-lead",
      data: { medium: "email", source: "newsletter", campaign: "spring" },
    });
    assert.equal(created.response.status, 201);
    assert.equal(
      created.response.headers.location,
      `${baseURL}/organizations/${t.organizationId}/customers/sdk-lead/lead-source`,
    );
    assert.equal(created.fields.campaign, "spring");
    assert.equal(created.fields.original.campaign, "spring");
    assert.equal(created.response.headers.etag, '"1"', "the lead source's ETag is its customer's revision");

    const got = await t.org.customers.getLeadSource({ id: "sdk-lead" });
    assert.equal(got.response.status, 200);
    assert.equal(got.fields.medium, "email");
    assert.equal(got.fields.source, "newsletter");
    assert.deepEqual(
      got.fields._links.map((l) => l.rel).sort(),
      ["customer", "self"],
    );

    const updated = await t.org.customers.updateLeadSource({ id: "sdk-lead", data: { medium: "cpc", campaign: "summer" } });
    assert.equal(updated.response.status, 200);
    assert.equal(updated.fields.campaign, "summer");
    assert.equal(updated.fields.source, null, "a write replaces the current values");
    assert.equal(updated.fields.original.campaign, "spring", "original keeps the first touch");

    const customer = await t.org.customers.get({ id: "sdk-lead" });
    assert.equal(customer.fields.revision, 2, "every lead-source change bumps the customer's revision");
    assert.equal(
      customer.fields._links.find((l) => l.rel === "leadSource")?.href,
      `${baseURL}/organizations/${t.organizationId}/customers/sdk-lead/lead-source`,
    );

    const deleted = await t.org.customers.deleteLeadSource({ id: "sdk-lead" });
    assert.equal(deleted.response.status, 204);
    await rejects(() => t.org.customers.getLeadSource({ id: "sdk-lead" }), RebillyErrors.RebillyNotFoundError, 404);
    assert.equal((await t.bare.customers.get({ id: "sdk-lead" })).fields.revision, 3);

    // A lead source is never created for a missing customer.
    await rejects(
      () => t.bare.customers.createLeadSource({ id: "sdk-nobody", data: { medium: "email" } }),
      RebillyErrors.RebillyNotFoundError,
      404,
    );
  });

  test("merge: the duplicate disappears into the target", async () => {
    await t.org.customers.update({
      id: "sdk-dup",
      data: {
        primaryAddress: { firstName: "Ada", lastName: "Lovelace" },
        customFields: { tier: "silver", source: "import" },
        websiteId: "web-1",
        leadSource: { campaign: "spring" },
      },
    });
    await t.org.customers.update({ id: "sdk-target", data: { customFields: { tier: "gold" } } });

    const merged = await t.org.customers.merge({ id: "sdk-dup", targetCustomerId: "sdk-target" });
    assert.equal(merged.response.status, 204);

    const target = await t.org.customers.get({ id: "sdk-target" });
    assert.equal(target.fields.revision, 1);
    assert.deepEqual(target.fields.customFields, { tier: "gold", source: "import" }, "united, the target winning");
    assert.equal(target.fields.websiteId, "web-1", "empty fields are taken from the duplicate");
    assert.equal(target.fields.firstName, "Ada");
    const lead = await t.org.customers.getLeadSource({ id: "sdk-target" });
    assert.equal(lead.fields.campaign, "spring", "the lead source moves to the target");

    const gone = await rejects(() => t.org.customers.get({ id: "sdk-dup" }), RebillyErrors.RebillyNotFoundError, 404);
    assert.match(gone.message, /sdk-target/, "the 404 names the target");
  });
});

describe("errors through the SDK's error classes", () => {
  let t;
  before(async () => {
    t = tenant("SDK errors");
    await t.bare.customers.update({ id: "err-target", data: { locale: "en-GB" } });
    await t.bare.customers.update({ id: "err-dup", data: { locale: "en-GB" } });
    await t.bare.customers.merge({ id: "err-dup", targetCustomerId: "err-target" });
  });

  test("401: an unknown or missing key is RebillyForbiddenError (the SDK's class for 401)", async () => {
    const wrong = sdk({ apiKey: "sk_live_0000000000000000000000000000000000000000" });
    const err = await rejects(() => wrong.customers.get({ id: "err-target" }), RebillyErrors.RebillyForbiddenError, 401);
    assert.equal(err.response.data.title, "Unauthorized");

    const none = sdk({ apiKey: null });
    await rejects(() => none.customers.create({ data: { locale: "en-GB" } }), RebillyErrors.RebillyForbiddenError, 401);
  });

  test("403: another organization in the path is a RebillyRequestError with status 403", async () => {
    const other = tenant("SDK errors, other");
    const foreign = sdk({ apiKey: t.apiKey, organizationId: other.organizationId });
    await rejects(() => foreign.customers.get({ id: "err-target" }), RebillyErrors.RebillyRequestError, 403);
  });

  test("404: RebillyNotFoundError for a missing customer, also another organization's", async () => {
    const err = await rejects(() => t.bare.customers.get({ id: "err-nobody" }), RebillyErrors.RebillyNotFoundError, 404);
    assert.equal(err.response.data.instance, "/customers/err-nobody");
    const other = tenant("SDK errors, stranger");
    await rejects(() => other.bare.customers.get({ id: "err-target" }), RebillyErrors.RebillyNotFoundError, 404);
    await rejects(
      () => t.bare.customers.merge({ id: "err-target", targetCustomerId: "err-nobody" }),
      RebillyErrors.RebillyNotFoundError,
      404,
    );
  });

  test("409: RebillyConflictError for writing a merged-away id and for merging into itself", async () => {
    const put = await rejects(
      () => t.bare.customers.update({ id: "err-dup", data: { locale: "en-GB" } }),
      RebillyErrors.RebillyConflictError,
      409,
    );
    assert.match(put.message, /err-target/, "the 409 names the target");
    // The SDK's create({id}) sees 404 on its GET, then the server's 409 on its PUT.
    await rejects(
      () => t.org.customers.create({ id: "err-dup", data: { locale: "en-GB" } }),
      RebillyErrors.RebillyConflictError,
      409,
    );
    await rejects(
      () => t.org.customers.merge({ id: "err-target", targetCustomerId: "err-target" }),
      RebillyErrors.RebillyConflictError,
      409,
    );
  });

  test("422: RebillyValidationError with invalidFields readable", async () => {
    const err = await rejects(
      () =>
        t.bare.customers.update({
          id: "err-target",
          data: { primaryAddress: { emails: [{ label: "work", value: "not-an-email" }] }, locale: "???" },
        }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.ok(Array.isArray(err.invalidFields));
    const byField = Object.fromEntries(err.invalidFields.map((f) => [f.field, f.message]));
    assert.equal(byField["primaryAddress.emails[0].value"], "must be a valid email address");
    assert.ok(byField.locale, "locale is named too");
    assert.equal(err.response.data.type, "/problems/validation-error");
    assert.equal(err.response.data.requestId, err.response.headers["x-request-id"]);

    const unknown = await rejects(
      () => t.org.customers.create({ data: { nickname: "Ada" } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.deepEqual(unknown.invalidFields.map((f) => f.field), ["nickname"]);

    const token = await rejects(
      () => t.org.customers.create({ data: { paymentToken: "tok_123" } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.deepEqual(token.invalidFields.map((f) => f.field), ["paymentToken"]);

    await rejects(
      () => t.bare.customers.merge({ id: "err-target", targetCustomerId: "" }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.equal((await t.bare.customers.get({ id: "err-target" })).fields.locale, "en-GB", "a 422 changes nothing");
  });
});

// The collection (SPEC §5): every query parameter getAll takes, and the
// pagination numbers the SDK reads from the Pagination-* headers.
describe("customers.getAll through the SDK", () => {
  let t;
  const seeds = [
    {
      id: "list-ada",
      data: {
        primaryAddress: { firstName: "Ada", lastName: "Lovelace", country: "GB", emails: [{ label: "w", value: "ada@example.com", primary: true }] },
        customFields: { tier: "gold" },
        leadSource: { campaign: "spring", medium: "email" },
      },
    },
    {
      id: "list-alan",
      data: {
        primaryAddress: { firstName: "Alan", lastName: "Turing", country: "GB", emails: [{ label: "w", value: "alan@example.org" }] },
        customFields: { tier: "silver" },
      },
    },
    {
      id: "list-grace",
      data: {
        primaryAddress: { firstName: "Grace", lastName: "Hopper", country: "US", emails: [{ label: "w", value: "grace@example.com" }] },
        customFields: { tier: "gold" },
        leadSource: { campaign: "autumn" },
      },
    },
    {
      id: "list-john",
      data: { primaryAddress: { firstName: "John", lastName: "Doe", country: "US", emails: [{ label: "w", value: "john@example.net" }] } },
    },
    {
      id: "list-jane",
      data: {
        primaryAddress: { firstName: "Jane", lastName: "Doe", country: "CA", emails: [{ label: "w", value: "jane@example.com" }] },
        customFields: { tier: "gold" },
      },
    },
  ];
  const ids = (collection) => collection.items.map((m) => m.fields.id);
  const byId = seeds.map((s) => s.id).sort();

  before(async () => {
    t = tenant("SDK list");
    for (const s of seeds) {
      await t.bare.customers.update(s);
    }
    // Jane changes once: revision 1.
    await t.bare.customers.update({ id: "list-jane", data: { ...seeds[4].data, locale: "en-CA" } });
  });

  test("defaults: every customer, newest first with the id as tiebreak, Pagination-* read by the SDK", async () => {
    const all = await t.bare.customers.getAll();
    assert.equal(all.response.status, 200);
    assert.equal(all.total, 5);
    assert.equal(all.limit, 100);
    assert.equal(all.offset, 0);
    assert.equal(all.items.length, 5);
    const want = all.items
      .map((m) => m.fields)
      .sort((a, b) => (a.createdTime === b.createdTime ? (a.id < b.id ? 1 : -1) : a.createdTime < b.createdTime ? 1 : -1))
      .map((c) => c.id);
    assert.deepEqual(ids(all), want);
    assert.deepEqual([...ids(all)].sort(), byId);
    assert.equal(all.items.find((m) => m.fields.id === "list-ada").fields.email, "ada@example.com");

    const viaOrg = await t.org.customers.getAll({ sort: "id" });
    assert.deepEqual(ids(viaOrg), byId);
    assert.equal(viaOrg.total, 5);
  });

  test("limit and offset: the page, the numbers and the Link header", async () => {
    const page = await t.org.customers.getAll({ sort: "id", limit: 2, offset: 2 });
    assert.deepEqual(ids(page), ["list-grace", "list-jane"]);
    assert.equal(page.total, 5);
    assert.equal(page.limit, 2);
    assert.equal(page.offset, 2);
    const links = Object.fromEntries(
      page.response.headers.link.split(",").map((part) => {
        const [, url, rel] = part.match(/<([^>]+)>\s*;\s*rel="?([a-z]+)"?/);
        return [rel, new URL(url)];
      }),
    );
    assert.deepEqual(Object.keys(links).sort(), ["first", "last", "next", "prev"]);
    const offsetOf = (rel) => links[rel].searchParams.get("offset") ?? "0";
    assert.equal(offsetOf("first"), "0");
    assert.equal(offsetOf("prev"), "0");
    assert.equal(offsetOf("next"), "4");
    assert.equal(offsetOf("last"), "4");
    for (const url of Object.values(links)) {
      assert.equal(url.origin, baseURL, "Link URLs are absolute");
      assert.equal(url.pathname, `/organizations/${t.organizationId}/customers`);
      assert.equal(url.searchParams.get("sort"), "id", "other parameters are kept");
      assert.equal(url.searchParams.get("limit"), "2");
    }

    const last = await t.org.customers.getAll({ sort: "id", limit: 2, offset: 4 });
    assert.deepEqual(ids(last), ["list-john"]);

    const none = await t.bare.customers.getAll({ limit: 0 });
    assert.deepEqual(ids(none), []);
    assert.equal(none.total, 5);
    assert.equal(none.limit, 0);
    assert.equal(none.response.headers.link, undefined, "no Link header with limit=0");

    const past = await t.bare.customers.getAll({ offset: 10 });
    assert.deepEqual(ids(past), []);
    assert.equal(past.total, 5);
    assert.equal(past.offset, 10);
  });

  test("filter: Rebilly's language", async () => {
    const cases = [
      ["firstName:John,Jane", ["list-jane", "list-john"]],
      ["firstName:!John,!Jane", ["list-ada", "list-alan", "list-grace"]],
      ["firstName:JANE", ["list-jane"]],
      ["email:*@example.com", ["list-ada", "list-grace", "list-jane"]],
      ["customFields.tier:gold;primaryAddress.country:GB", ["list-ada"]],
      ["leadSource.campaign:spring", ["list-ada"]],
      ["revision:1..5", ["list-jane"]],
      ["locale:null", ["list-ada", "list-alan", "list-grace", "list-john"]],
      ['lastName:"Doe"', ["list-jane", "list-john"]],
    ];
    for (const [filter, want] of cases) {
      const got = await t.bare.customers.getAll({ filter, sort: "id" });
      assert.deepEqual(ids(got), want, `filter=${filter}`);
      assert.equal(got.total, want.length, `filter=${filter}: Pagination-Total`);
    }
  });

  test("q: a partial, case-insensitive search, ANDed with filter", async () => {
    assert.deepEqual(ids(await t.bare.customers.getAll({ q: "doe", sort: "id" })), ["list-jane", "list-john"]);
    assert.deepEqual(ids(await t.bare.customers.getAll({ q: "EXAMPLE.ORG" })), ["list-alan"]);
    assert.deepEqual(ids(await t.bare.customers.getAll({ q: "gra" })), ["list-grace"]);
    assert.deepEqual(ids(await t.bare.customers.getAll({ q: "doe", filter: "firstName:jane" })), ["list-jane"]);
  });

  test("sort: a comma list or an array, '-' descending", async () => {
    assert.deepEqual(ids(await t.bare.customers.getAll({ sort: "lastName,firstName" })), [
      "list-jane",
      "list-john",
      "list-grace",
      "list-ada",
      "list-alan",
    ]);
    // The SDK joins an array with commas.
    assert.deepEqual(ids(await t.org.customers.getAll({ sort: ["-lastName", "firstName"] })), [
      "list-alan",
      "list-ada",
      "list-grace",
      "list-jane",
      "list-john",
    ]);
    assert.deepEqual(ids(await t.org.customers.getAll({ sort: "-id" })), [...byId].reverse());
  });

  test("fields and expand", async () => {
    const slim = await t.bare.customers.getAll({ fields: "firstName,email", sort: "id" });
    assert.equal(slim.items.length, 5);
    for (const m of slim.items) {
      assert.deepEqual(Object.keys(m.fields).sort(), ["email", "firstName", "id"]);
    }
    assert.deepEqual(slim.items[0].fields, { id: "list-ada", firstName: "Ada", email: "ada@example.com" });

    const expanded = await t.bare.customers.getAll({ expand: "leadSource", sort: "id" });
    const embedded = Object.fromEntries(expanded.items.map((m) => [m.fields.id, m.fields._embedded.leadSource]));
    assert.equal(embedded["list-ada"].campaign, "spring");
    assert.equal(embedded["list-grace"].campaign, "autumn");
    assert.equal(embedded["list-john"], null);
  });

  test("every parameter at once", async () => {
    const page = await t.org.customers.getAll({
      filter: "customFields.tier:gold",
      q: "example.com",
      sort: "-firstName",
      fields: "firstName",
      expand: "leadSource",
      limit: 1,
      offset: 1,
    });
    // gold and example.com: Ada, Grace, Jane; by -firstName: Jane, Grace, Ada.
    assert.equal(page.total, 3);
    assert.equal(page.limit, 1);
    assert.equal(page.offset, 1);
    assert.equal(page.items.length, 1);
    assert.deepEqual(page.items[0].fields, { id: "list-grace", firstName: "Grace", _embedded: { leadSource: page.items[0].fields._embedded.leadSource } });
    assert.equal(page.items[0].fields._embedded.leadSource.campaign, "autumn");
  });

  test("values the SDK has to encode: + ; , \" spaces and non-ASCII", async () => {
    const e = tenant("SDK list encoding");
    await e.bare.customers.update({
      id: "enc-plus",
      data: {
        primaryAddress: {
          firstName: "Zoë",
          lastName: "O'Brien; Jr.",
          city: "New York",
          emails: [{ label: "w", value: "ada+billing@example.com" }],
        },
        customFields: { note: "a,b" },
      },
    });
    await e.bare.customers.update({
      id: "enc-other",
      data: { primaryAddress: { firstName: "Zoe", lastName: "Brien", city: "York", emails: [{ label: "w", value: "adabilling@example.com" }] } },
    });
    const cases = [
      [{ filter: "email:ada+billing@example.com" }, ["enc-plus"]],
      [{ filter: 'primaryAddress.city:"New York"' }, ["enc-plus"]],
      [{ filter: 'lastName:"O\'Brien; Jr."' }, ["enc-plus"]],
      [{ filter: 'customFields.note:"a,b"' }, ["enc-plus"]],
      [{ filter: "firstName:zoë" }, ["enc-plus"]],
      [{ q: "ada+billing" }, ["enc-plus"]],
      [{ q: "O'BRIEN; J" }, ["enc-plus"]],
      [{ q: "zoë" }, ["enc-plus"]],
    ];
    for (const [params, want] of cases) {
      const got = await e.bare.customers.getAll({ ...params, sort: "id" });
      assert.deepEqual(ids(got), want, JSON.stringify(params));
      assert.equal(got.total, want.length, `${JSON.stringify(params)}: Pagination-Total`);
    }
  });

  test("a malformed query is 400 with invalidFields naming the parameter", async () => {
    const cases = [
      [{ limit: 1001 }, "limit"],
      [{ offset: -1 }, "offset"],
      [{ filter: "nosuch:1" }, "filter"],
      [{ filter: "firstName" }, "filter"],
      [{ filter: "@vips" }, "filter"],
      [{ sort: "tags" }, "sort"],
      [{ expand: "website" }, "expand"],
    ];
    for (const [params, field] of cases) {
      const err = await rejects(() => t.bare.customers.getAll(params), RebillyErrors.RebillyRequestError, 400);
      assert.ok(Array.isArray(err.invalidFields), `${JSON.stringify(params)}: invalidFields`);
      assert.equal(err.invalidFields[0].field, field, `${JSON.stringify(params)}: the field`);
      assert.ok(err.invalidFields[0].message.length > 0);
    }
  });
});
