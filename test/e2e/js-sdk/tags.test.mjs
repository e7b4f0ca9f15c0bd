// Tags, custom-field definitions and the newer customer fields (SPEC §11)
// through Rebilly's official JavaScript SDK (rebilly-js-sdk, pinned in
// package.json), unchanged: api.tags.* and api.customFields.* call the paths
// they call in Rebilly's own API, and the server has to answer them.
//
// test/e2e/js-sdk.sh starts the server and runs this file; see
// customers.test.mjs for the environment it sets. Each suite gets an
// organization of its own, so counts are exact.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { RebillyErrors } from "rebilly-js-sdk";

import { baseURL, UUID4, tenant, rejects } from "./harness.mjs";

const API_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

// invalid is the invalidFields of a 422 as {field: message}.
function invalid(err) {
  assert.ok(Array.isArray(err.invalidFields), "invalidFields");
  return Object.fromEntries(err.invalidFields.map((f) => [f.field, f.message]));
}

const names = (collection) => collection.items.map((m) => m.fields.name);
const tagNames = (customer) => customer.tags.map((t) => t.name);

describe("tags through the SDK", () => {
  let t;
  before(() => {
    t = tenant("SDK tags");
  });

  test("create, get, getAll (Pagination-*), delete", async () => {
    const vip = await t.bare.tags.create({ data: { name: "vip" } });
    assert.equal(vip.response.status, 201);
    assert.equal(vip.response.headers.location, `${baseURL}/tags/vip`);
    assert.match(vip.fields.id, UUID4);
    assert.equal(vip.fields.name, "vip");
    assert.equal(vip.fields.type, "customer");
    assert.match(vip.fields.createdTime, API_TIME);
    assert.match(vip.fields.updatedTime, API_TIME);
    assert.deepEqual(vip.fields._links, [{ rel: "self", href: `${baseURL}/tags/vip` }]);

    // Under /organizations/{id}; a name the SDK puts into the path as is.
    const spaced = await t.org.tags.create({ data: { name: "Big spender+1" } });
    assert.equal(spaced.response.status, 201);
    assert.equal(
      spaced.response.headers.location,
      `${baseURL}/organizations/${t.organizationId}/tags/Big%20spender+1`,
    );
    await t.bare.tags.create({ data: { name: "@beta" } });
    await t.bare.tags.create({ data: { name: "churn-risk" } });

    const got = await t.bare.tags.get({ tag: "vip" });
    assert.equal(got.response.status, 200);
    assert.deepEqual(got.fields, vip.fields);
    const gotSpaced = await t.org.tags.get({ tag: "Big spender+1" });
    assert.equal(gotSpaced.fields.id, spaced.fields.id);

    const all = await t.bare.tags.getAll();
    assert.equal(all.response.status, 200);
    assert.equal(all.total, 4);
    assert.equal(all.items.length, 4);
    assert.deepEqual([...names(all)].sort(), ["@beta", "Big spender+1", "churn-risk", "vip"]);

    const page = await t.org.tags.getAll({ sort: "name", limit: 2, offset: 1 });
    assert.equal(page.total, 4);
    assert.equal(page.limit, 2);
    assert.equal(page.offset, 1);
    assert.deepEqual(names(page), ["Big spender+1", "churn-risk"]);
    assert.deepEqual(names(await t.org.tags.getAll({ sort: "-name" })), ["vip", "churn-risk", "Big spender+1", "@beta"]);

    // "@..." unquoted is a saved list in Rebilly's filter language: quoted, a name.
    const filtered = await t.bare.tags.getAll({ filter: 'name:vip,"@beta"', sort: "name" });
    assert.deepEqual(names(filtered), ["@beta", "vip"]);
    assert.equal(filtered.total, 2);
    const searched = await t.bare.tags.getAll({ q: "SPEND" });
    assert.deepEqual(names(searched), ["Big spender+1"]);
    assert.equal(searched.total, 1);

    const deleted = await t.bare.tags.delete({ tag: "churn-risk" });
    assert.equal(deleted.response.status, 204);
    await rejects(() => t.bare.tags.get({ tag: "churn-risk" }), RebillyErrors.RebillyNotFoundError, 404);
    await rejects(() => t.bare.tags.delete({ tag: "churn-risk" }), RebillyErrors.RebillyNotFoundError, 404);
    assert.equal((await t.bare.tags.getAll({ limit: 0 })).total, 3);
  });

  test("errors: a taken name is 409, a bad name 422, another organization's tag 404", async () => {
    await t.bare.tags.create({ data: { name: "dup" } });
    await rejects(() => t.org.tags.create({ data: { name: "dup" } }), RebillyErrors.RebillyConflictError, 409);
    const bad = await rejects(
      () => t.bare.tags.create({ data: { name: "no!bang" } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.ok(invalid(bad).name, "the 422 names the name");
    await rejects(() => t.bare.tags.create({ data: { name: "" } }), RebillyErrors.RebillyValidationError, 422);

    const other = tenant("SDK tags, other");
    await rejects(() => other.bare.tags.get({ tag: "dup" }), RebillyErrors.RebillyNotFoundError, 404);
    assert.equal((await other.bare.tags.getAll()).total, 0);
  });

  test("tagCustomer / untagCustomer: POST and DELETE /tags/{tag}/customers/{customerId}", async () => {
    const { fields: c } = await t.bare.customers.create({ data: { locale: "en-GB" } });
    assert.deepEqual(c.tags, []);
    assert.equal(c.revision, 0);
    await t.bare.tags.create({ data: { name: "zebra" } });

    const tagged = await t.bare.tags.tagCustomer({ tag: "zebra", customerId: c.id });
    assert.equal(tagged.response.status, 204);
    let got = (await t.bare.customers.get({ id: c.id })).fields;
    assert.equal(got.revision, 1);
    assert.ok(got.updatedTime >= c.updatedTime);
    const zebra = (await t.bare.tags.get({ tag: "zebra" })).fields;
    assert.deepEqual(got.tags, [
      { id: zebra.id, name: "zebra", type: "customer", createdTime: zebra.createdTime, updatedTime: zebra.updatedTime },
    ]);

    // Tagging again changes nothing.
    assert.equal((await t.org.tags.tagCustomer({ tag: "zebra", customerId: c.id })).response.status, 204);
    assert.equal((await t.bare.customers.get({ id: c.id })).fields.revision, 1);

    // A tag that does not exist yet is created by tagging.
    await rejects(() => t.bare.tags.get({ tag: "alpha" }), RebillyErrors.RebillyNotFoundError, 404);
    await t.org.tags.tagCustomer({ tag: "alpha", customerId: c.id });
    const alpha = (await t.bare.tags.get({ tag: "alpha" })).fields;
    assert.equal(alpha.type, "customer");
    got = (await t.org.customers.get({ id: c.id })).fields;
    assert.deepEqual(tagNames(got), ["alpha", "zebra"], "sorted by name");
    assert.equal(got.tags[0].id, alpha.id);
    assert.equal(got.revision, 2);

    const untagged = await t.bare.tags.untagCustomer({ tag: "zebra", customerId: c.id });
    assert.equal(untagged.response.status, 204);
    got = (await t.bare.customers.get({ id: c.id })).fields;
    assert.deepEqual(tagNames(got), ["alpha"]);
    assert.equal(got.revision, 3);
    // Untagging a customer without the tag changes nothing.
    assert.equal((await t.org.tags.untagCustomer({ tag: "zebra", customerId: c.id })).response.status, 204);
    assert.equal((await t.bare.customers.get({ id: c.id })).fields.revision, 3);
    assert.equal((await t.bare.tags.get({ tag: "zebra" })).fields.name, "zebra", "untagging keeps the tag");

    // A missing customer is 404 and creates no tag.
    await rejects(
      () => t.bare.tags.tagCustomer({ tag: "ghost-tag", customerId: "sdk-nobody" }),
      RebillyErrors.RebillyNotFoundError,
      404,
    );
    await rejects(
      () => t.bare.tags.untagCustomer({ tag: "alpha", customerId: "sdk-nobody" }),
      RebillyErrors.RebillyNotFoundError,
      404,
    );
    await rejects(() => t.bare.tags.get({ tag: "ghost-tag" }), RebillyErrors.RebillyNotFoundError, 404);
  });

  test("tagCustomers / untagCustomers: bulk POST and DELETE /tags/{tag}/customers with {customerIds}", async () => {
    const ids = ["bulk-a", "bulk-b", "bulk-c"];
    for (const id of ids) {
      await t.bare.customers.update({ id, data: { locale: "en-GB" } });
    }
    const tagged = await t.bare.tags.tagCustomers({ tag: "bulk", data: { customerIds: ["bulk-a", "bulk-b"] } });
    assert.equal(tagged.response.status, 204);
    for (const [id, tags, revision] of [["bulk-a", ["bulk"], 1], ["bulk-b", ["bulk"], 1], ["bulk-c", [], 0]]) {
      const got = (await t.bare.customers.get({ id })).fields;
      assert.deepEqual(tagNames(got), tags, id);
      assert.equal(got.revision, revision, `${id} revision`);
    }

    // Already tagged customers are left alone: only bulk-c changes.
    await t.org.tags.tagCustomers({ tag: "bulk", data: { customerIds: ids } });
    for (const id of ids) {
      const got = (await t.bare.customers.get({ id })).fields;
      assert.deepEqual(tagNames(got), ["bulk"], id);
      assert.equal(got.revision, 1, `${id} revision`);
    }

    // DELETE with a body: the SDK sends {customerIds} as the DELETE's body.
    const untagged = await t.org.tags.untagCustomers({ tag: "bulk", data: { customerIds: ["bulk-a", "bulk-c"] } });
    assert.equal(untagged.response.status, 204);
    for (const [id, tags, revision] of [["bulk-a", [], 2], ["bulk-b", ["bulk"], 1], ["bulk-c", [], 2]]) {
      const got = (await t.bare.customers.get({ id })).fields;
      assert.deepEqual(tagNames(got), tags, id);
      assert.equal(got.revision, revision, `${id} revision`);
    }
  });

  test("bulk naming a missing customer: 422 at customerIds[i], nothing changes", async () => {
    for (const id of ["miss-a", "miss-b"]) {
      await t.bare.customers.update({ id, data: { locale: "en-GB" } });
    }
    await t.bare.tags.tagCustomer({ tag: "keep", customerId: "miss-b" });

    const err = await rejects(
      () => t.bare.tags.tagCustomers({ tag: "keep", data: { customerIds: ["miss-a", "miss-nobody", "miss-b", "miss-ghost"] } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.deepEqual(Object.keys(invalid(err)).sort(), ["customerIds[1]", "customerIds[3]"]);
    assert.deepEqual(tagNames((await t.bare.customers.get({ id: "miss-a" })).fields), [], "miss-a was not tagged");
    assert.equal((await t.bare.customers.get({ id: "miss-a" })).fields.revision, 0);

    const err2 = await rejects(
      () => t.org.tags.untagCustomers({ tag: "keep", data: { customerIds: ["miss-b", "miss-nobody"] } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.deepEqual(Object.keys(invalid(err2)), ["customerIds[1]"]);
    const b = (await t.bare.customers.get({ id: "miss-b" })).fields;
    assert.deepEqual(tagNames(b), ["keep"], "miss-b kept its tag");
    assert.equal(b.revision, 1);

    // A bulk call that would create the tag creates nothing when it fails.
    await rejects(
      () => t.bare.tags.tagCustomers({ tag: "never-made", data: { customerIds: ["miss-nobody"] } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    await rejects(() => t.bare.tags.get({ tag: "never-made" }), RebillyErrors.RebillyNotFoundError, 404);
  });

  test("deleting a tag untags every customer, each revision +1", async () => {
    for (const id of ["del-a", "del-b"]) {
      await t.bare.customers.update({ id, data: { locale: "en-GB" } });
    }
    await t.bare.tags.tagCustomers({ tag: "doomed", data: { customerIds: ["del-a", "del-b"] } });
    await t.bare.tags.tagCustomer({ tag: "survivor", customerId: "del-a" });
    assert.deepEqual(tagNames((await t.bare.customers.get({ id: "del-a" })).fields), ["doomed", "survivor"]);

    assert.equal((await t.org.tags.delete({ tag: "doomed" })).response.status, 204);
    const a = (await t.bare.customers.get({ id: "del-a" })).fields;
    assert.deepEqual(tagNames(a), ["survivor"]);
    assert.equal(a.revision, 3);
    const b = (await t.bare.customers.get({ id: "del-b" })).fields;
    assert.deepEqual(tagNames(b), []);
    assert.equal(b.revision, 2);
  });

  // The SDK's tags.update is PATCH /tags/{tag} with {name} (Rebilly's
  // PatchTag, a rename), which SPEC §11 does not list; the server serves it
  // so that the SDK works unchanged.
  test("update: PATCH /tags/{tag} renames a tag on its customers (Rebilly's PatchTag)", async () => {
    await t.bare.tags.create({ data: { name: "old-name" } });
    const c = (await t.bare.customers.create({ data: {} })).fields;
    await t.bare.tags.tagCustomer({ tag: "old-name", customerId: c.id });
    const renamed = await t.bare.tags.update({ tag: "old-name", data: { name: "new-name" } });
    assert.equal(renamed.response.status, 200);
    assert.equal(renamed.fields.name, "new-name");
    const after = (await t.bare.customers.get({ id: c.id })).fields;
    assert.deepEqual(after.tags.map((x) => x.name), ["new-name"]);
    assert.equal(after.revision, 2);
    await rejects(() => t.bare.tags.get({ tag: "old-name" }), RebillyErrors.RebillyNotFoundError, 404);
  });
});

describe("custom-field definitions through the SDK", () => {
  let t;
  before(() => {
    t = tenant("SDK custom fields");
  });

  test("create (PUT, 201), get, update (PUT, 200), getAll; enforcement of customer writes", async () => {
    const empty = await t.bare.customFields.getAll({ resource: "customers" });
    assert.equal(empty.response.status, 200);
    assert.equal(empty.total, 0);
    assert.deepEqual(empty.items, []);

    // With no definitions customFields are free-form.
    const early = await t.bare.customers.create({ data: { customFields: { legacy: "kept", tier: "gold" } } });
    assert.equal(early.response.status, 201);

    const tier = await t.bare.customFields.create({
      resource: "customers",
      name: "tier",
      data: { type: "string", description: "Loyalty tier", additionalSchema: { allowedValues: ["gold", "silver"] } },
    });
    assert.equal(tier.response.status, 201);
    assert.equal(tier.response.headers.location, `${baseURL}/custom-fields/customers/tier`);
    assert.equal(tier.fields.name, "tier");
    assert.equal(tier.fields.type, "string");
    assert.equal(tier.fields.description, "Loyalty tier");
    assert.deepEqual(tier.fields.additionalSchema, { allowedValues: ["gold", "silver"] });
    assert.match(tier.fields.createdTime, API_TIME);
    assert.deepEqual(tier.fields._links, [{ rel: "self", href: `${baseURL}/custom-fields/customers/tier` }]);

    const score = await t.org.customFields.create({ resource: "customers", name: "score", data: { type: "integer" } });
    assert.equal(score.response.status, 201);
    assert.equal(
      score.response.headers.location,
      `${baseURL}/organizations/${t.organizationId}/custom-fields/customers/score`,
    );
    assert.equal(score.fields.description, null);

    const got = await t.bare.customFields.get({ resource: "customers", name: "tier" });
    assert.equal(got.response.status, 200);
    assert.deepEqual(got.fields, tier.fields);
    await rejects(
      () => t.bare.customFields.get({ resource: "customers", name: "nosuch" }),
      RebillyErrors.RebillyNotFoundError,
      404,
    );

    // update is the same PUT: an existing name answers 200.
    const same = await t.bare.customFields.update({
      resource: "customers",
      name: "tier",
      data: { type: "string", description: "Loyalty tier", additionalSchema: { allowedValues: ["gold", "silver"] } },
    });
    assert.equal(same.response.status, 200);
    assert.equal(same.fields.updatedTime, tier.fields.updatedTime, "an unchanged PUT keeps updatedTime");
    const widened = await t.org.customFields.update({
      resource: "customers",
      name: "tier",
      data: { type: "string", description: "Tier", additionalSchema: { allowedValues: ["gold", "silver", "bronze"] } },
    });
    assert.equal(widened.response.status, 200);
    assert.equal(widened.response.headers.location, undefined);
    assert.equal(widened.fields.description, "Tier");
    assert.deepEqual(widened.fields.additionalSchema.allowedValues, ["gold", "silver", "bronze"]);

    const all = await t.bare.customFields.getAll({ resource: "customers" });
    assert.equal(all.total, 2);
    assert.deepEqual([...names(all)].sort(), ["score", "tier"]);
    const page = await t.org.customFields.getAll({ resource: "customers", limit: 1, offset: 1 });
    assert.equal(page.total, 2);
    assert.equal(page.limit, 1);
    assert.equal(page.offset, 1);
    assert.equal(page.items.length, 1);

    // Stored customers are not rewritten when definitions appear.
    assert.deepEqual((await t.bare.customers.get({ id: early.fields.id })).fields.customFields, { legacy: "kept", tier: "gold" });

    // Every key a write sends must now be defined, every value of its type.
    const undefinedKey = await rejects(
      () => t.bare.customers.create({ data: { customFields: { tier: "gold", nickname: "Ada" } } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.deepEqual(Object.keys(invalid(undefinedKey)), ["customFields.nickname"]);
    assert.match(invalid(undefinedKey)["customFields.nickname"], /not defined/);

    const wrongTypes = await rejects(
      () => t.org.customers.update({ id: "cf-typed", data: { customFields: { tier: "platinum", score: "ten" } } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.deepEqual(Object.keys(invalid(wrongTypes)).sort(), ["customFields.score", "customFields.tier"]);
    await rejects(() => t.bare.customers.get({ id: "cf-typed" }), RebillyErrors.RebillyNotFoundError, 404);

    const ok = await t.org.customers.update({ id: "cf-typed", data: { customFields: { tier: "gold", score: 10 } } });
    assert.equal(ok.response.status, 201);
    assert.deepEqual(ok.fields.customFields, { tier: "gold", score: 10 });
  });

  test("a type change with stored values is 409 (schema in use); without them 200", async () => {
    await t.bare.customFields.create({ resource: "customers", name: "points", data: { type: "integer" } });
    await t.bare.customFields.create({ resource: "customers", name: "unused", data: { type: "integer" } });
    await t.bare.customers.update({ id: "cf-points", data: { customFields: { points: 7 } } });

    const err = await rejects(
      () => t.bare.customFields.update({ resource: "customers", name: "points", data: { type: "string" } }),
      RebillyErrors.RebillyConflictError,
      409,
    );
    assert.match(err.message, /schema in use/i);
    assert.equal((await t.bare.customFields.get({ resource: "customers", name: "points" })).fields.type, "integer", "a 409 changes nothing");

    // Narrowing so that a stored value no longer fits is 409 as well.
    await t.bare.customFields.create({
      resource: "customers",
      name: "plan",
      data: { type: "string", additionalSchema: { allowedValues: ["basic", "pro"] } },
    });
    await t.bare.customers.update({ id: "cf-plan", data: { customFields: { plan: "pro" } } });
    await rejects(
      () =>
        t.org.customFields.update({
          resource: "customers",
          name: "plan",
          data: { type: "string", additionalSchema: { allowedValues: ["basic"] } },
        }),
      RebillyErrors.RebillyConflictError,
      409,
    );

    const changed = await t.org.customFields.update({ resource: "customers", name: "unused", data: { type: "boolean" } });
    assert.equal(changed.response.status, 200);
    assert.equal(changed.fields.type, "boolean");
  });

  test("a monetary definition takes an object value; a bad definition is 422", async () => {
    await t.bare.customFields.create({ resource: "customers", name: "budget", data: { type: "monetary" } });
    const c = await t.bare.customers.create({ data: { customFields: { budget: { currency: "EUR", amount: 25.3 } } } });
    assert.deepEqual((await t.bare.customers.get({ id: c.fields.id })).fields.customFields, { budget: { currency: "EUR", amount: 25.3 } });
    const bad = await rejects(
      () => t.bare.customers.create({ data: { customFields: { budget: { currency: "eur", amount: 1 } } } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    assert.ok(invalid(bad)["customFields.budget"]);

    await rejects(
      () => t.bare.customFields.create({ resource: "customers", name: "weird", data: { type: "colour" } }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    await rejects(
      () => t.bare.customFields.get({ resource: "customers", name: "weird" }),
      RebillyErrors.RebillyNotFoundError,
      404,
    );
  });
});

describe("the newer customer fields through customers.create/get", () => {
  let t;
  before(() => {
    t = tenant("SDK customer fields");
  });

  test("taxNumbers, notificationEmails, preferredPayoutInstrumentId round-trip; organizationId is the owner's", async () => {
    const data = {
      primaryAddress: { firstName: "Ada", lastName: "Lovelace" },
      taxNumbers: [
        { type: "eu-vat", value: "GB123456789", isDefault: true },
        { type: "other", value: "TIN-42", isDefault: false },
      ],
      notificationEmails: ["billing@example.com", "ops@example.com"],
      preferredPayoutInstrumentId: "inst_123",
    };
    const created = await t.bare.customers.create({ data });
    assert.equal(created.response.status, 201);
    const c = created.fields;
    assert.deepEqual(c.taxNumbers, data.taxNumbers.map((n) => ({ ...n, isValid: null })));
    assert.deepEqual(c.notificationEmails, data.notificationEmails);
    assert.equal(c.preferredPayoutInstrumentId, "inst_123");
    assert.equal(c.organizationId, t.organizationId);
    assert.deepEqual(c.tags, []);

    const got = await t.org.customers.get({ id: c.id });
    assert.deepEqual(got.fields.taxNumbers, c.taxNumbers);
    assert.deepEqual(got.fields.notificationEmails, c.notificationEmails);
    assert.equal(got.fields.preferredPayoutInstrumentId, "inst_123");
    assert.equal(got.fields.organizationId, t.organizationId);

    // Defaults.
    const plain = (await t.bare.customers.create({ data: { locale: "en-GB" } })).fields;
    assert.deepEqual(plain.taxNumbers, []);
    assert.deepEqual(plain.notificationEmails, []);
    assert.equal(plain.preferredPayoutInstrumentId, null);
    assert.equal(plain.organizationId, t.organizationId);

    // Filterable.
    const byTax = await t.bare.customers.getAll({ filter: "taxNumbers.value:gb123456789" });
    assert.deepEqual(byTax.items.map((m) => m.fields.id), [c.id]);
    const byEmail = await t.bare.customers.getAll({ filter: "notificationEmails:ops@example.com" });
    assert.deepEqual(byEmail.items.map((m) => m.fields.id), [c.id]);

    // A get-modify-put round trip with the read-only fields sent back works.
    const { fields: full } = await t.bare.customers.get({ id: c.id });
    const put = await t.bare.customers.update({ id: c.id, data: { ...full, preferredPayoutInstrumentId: null } });
    assert.equal(put.response.status, 200);
    assert.equal(put.fields.preferredPayoutInstrumentId, null);
    assert.equal(put.fields.organizationId, t.organizationId);
  });

  test("validation: two default tax numbers, a bad notification email", async () => {
    const err = await rejects(
      () =>
        t.bare.customers.create({
          data: {
            taxNumbers: [
              { type: "eu-vat", value: "A1", isDefault: true },
              { type: "other", value: "B2", isDefault: true },
            ],
            notificationEmails: ["ok@example.com", "not-an-email"],
          },
        }),
      RebillyErrors.RebillyValidationError,
      422,
    );
    const byField = invalid(err);
    assert.ok(byField.taxNumbers, "taxNumbers is named");
    assert.ok(byField["notificationEmails[1]"], "notificationEmails[1] is named");
  });
});
