// Pagination from the API's headers: Pagination-Total, -Offset, -Limit and
// the Link relations (first, prev, next, last).

import { parseLink } from './api.js';
import { fmtInt } from './format.js';

/** { total, offset, limit, count, links } of a collection answer of count items. */
export function pagerState(headers, count) {
  const num = (name) => {
    const v = Number(headers.get(name));
    return Number.isFinite(v) ? v : 0;
  };
  return {
    total: num('Pagination-Total'),
    offset: num('Pagination-Offset'),
    limit: num('Pagination-Limit'),
    count,
    links: parseLink(headers.get('Link')),
  };
}

/** "41–60 of 7 562"; "0 of 0"; past the end, "none past 7 600, of 7 562". */
export function summaryText({ total, offset, count }) {
  if (total === 0) return '0 of 0';
  if (count === 0) return `none past ${fmtInt(offset)}, of ${fmtInt(total)}`;
  return `${fmtInt(offset + 1)}–${fmtInt(offset + count)} of ${fmtInt(total)}`;
}
