/** A list's filters kept in the URL: read from and written to search params, its days turned into API instants. */

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A search param's trimmed text; null when it is absent or blank. */
export function textParam(params: URLSearchParams, name: string): string | null {
  const v = params.get(name)?.trim();
  return v ? v : null;
}

/** A search param holding a day as date inputs give it (YYYY-MM-DD); null when absent or malformed. */
export function dayParam(params: URLSearchParams, name: string): string | null {
  const v = textParam(params, name);
  return v && DAY.test(v) ? v : null;
}

/**
 * The search params of a list's filters, in the order given: a list is one param per
 * value, and empty values are left out (so the URL holds only what narrows the list).
 */
export function filterSearchParams(values: Record<string, string | readonly string[] | null>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === "string") {
      if (v) out.set(name, v);
    } else if (v) {
      for (const item of v) out.append(name, item);
    }
  }
  return out;
}

/**
 * Local midnight of a YYYY-MM-DD day, plus `days`, as an ISO instant: a day picked in the
 * viewer's time zone starts there, and `localMidnight(to, 1)` is the exclusive end of an
 * inclusive range (a day is not always 24 hours long).
 */
export function localMidnight(day: string, days = 0): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + days).toISOString();
}
