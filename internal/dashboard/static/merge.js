// What a merge leaves on the target, field by field, computed here from
// both customers as the API showed them (SPEC §4 and §10, the rules of
// Service.Merge): shown before the person confirms.

const isEmpty = (v) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

// Money sums like the service's addMoney: the USD values always add up;
// amounts only in the same currency (else the target's stands, unless it
// is zero, when the duplicate's is taken).
function addMoney(t, d) {
  t = t || { currency: 'USD', amount: 0, amountUsd: 0 };
  d = d || { currency: 'USD', amount: 0, amountUsd: 0 };
  const round = (x) => Math.round(x * 10000) / 10000;
  const out = { currency: t.currency, amount: Number(t.amount), amountUsd: round(Number(t.amountUsd) + Number(d.amountUsd)) };
  if (t.currency === d.currency) out.amount = round(Number(t.amount) + Number(d.amount));
  else if (Number(t.amount) === 0) {
    out.currency = d.currency;
    out.amount = Number(d.amount);
  }
  return out;
}

/**
 * The rows of the preview: { field, duplicate, target, result, rule } for
 * dup merged into tgt (customers as GET shows them, with
 * _embedded.leadSource when expanded). rule says why the result is what
 * it is: "target kept", "from duplicate", "neither has one", "required if
 * either is", "united", "summed", "later", "target kept, older original",
 * "+1".
 */
export function mergePreview(dup, tgt) {
  const rows = [];
  const row = (field, duplicate, target, result, rule) => rows.push({ field, duplicate, target, result, rule });

  // Top-level fields that are null (or empty lists) on the target are taken
  // from the duplicate; primaryAddress whole.
  for (const f of ['primaryAddress', 'websiteId', 'locale', 'defaultPaymentInstrument', 'preferredPayoutInstrumentId', 'taxNumbers', 'notificationEmails']) {
    const d = dup[f] ?? null;
    const t = tgt[f] ?? null;
    const fromDup = isEmpty(t) && !isEmpty(d);
    row(f, d, t, fromDup ? d : t, fromDup ? 'from duplicate' : isEmpty(t) ? 'neither has one' : 'target kept');
  }
  const eddD = !!dup.isEddRequired;
  const eddT = !!tgt.isEddRequired;
  row('isEddRequired', eddD, eddT, eddD || eddT, 'required if either is');

  // customFields are united, the target winning on equal keys.
  const cfD = dup.customFields || {};
  const cfT = tgt.customFields || {};
  const keys = [...new Set([...Object.keys(cfT), ...Object.keys(cfD)])].sort();
  const united = {};
  for (const k of keys) {
    const inT = Object.hasOwn(cfT, k);
    united[k] = inT ? cfT[k] : cfD[k];
    row(`customFields.${k}`, Object.hasOwn(cfD, k) ? cfD[k] : undefined, inT ? cfT[k] : undefined, united[k], inT ? 'target kept' : 'from duplicate');
  }
  row('customFields', cfD, cfT, united, 'united');

  // Tags are united (sorted by name, as the API lists them).
  const names = (c) => (c.tags || []).map((t) => (typeof t === 'string' ? t : t.name));
  const tagNames = [...new Set([...names(tgt), ...names(dup)])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  row('tags', names(dup), names(tgt), tagNames, 'united');

  // Counters and money are summed; the later payment time stays.
  for (const f of ['paymentCount', 'invoiceCount']) {
    row(f, dup[f] ?? 0, tgt[f] ?? 0, Number(dup[f] ?? 0) + Number(tgt[f] ?? 0), 'summed');
  }
  for (const f of ['averageValue', 'lifetimeRevenue']) {
    row(f, dup[f] ?? null, tgt[f] ?? null, addMoney(tgt[f], dup[f]), 'summed');
  }
  const lpD = dup.lastPaymentTime ?? null;
  const lpT = tgt.lastPaymentTime ?? null;
  const later = lpD && (!lpT || Date.parse(lpD) > Date.parse(lpT)) ? lpD : lpT;
  row('lastPaymentTime', lpD, lpT, later, later === null ? 'neither has one' : 'later');

  // The duplicate's lead source moves when the target has none; when both
  // have one the target keeps its values and the older original.
  const lsD = dup._embedded?.leadSource ?? null;
  const lsT = tgt._embedded?.leadSource ?? null;
  if (lsT === null && lsD !== null) row('leadSource', lsD, lsT, lsD, 'from duplicate');
  else if (lsT !== null && lsD !== null && Date.parse(lsD.createdTime) < Date.parse(lsT.createdTime)) {
    row('leadSource', lsD, lsT, { ...lsT, original: lsD.original, createdTime: lsD.createdTime }, 'target kept, older original');
  } else row('leadSource', lsD, lsT, lsT, lsT === null ? 'neither has one' : 'target kept');

  row('revision', dup.revision, tgt.revision, Number(tgt.revision) + 1, '+1');
  return rows;
}
