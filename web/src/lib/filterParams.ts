/** Reading a list's filters from the URL and turning its days into API instants; shared by every filtered list. */

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
 * Local midnight of a YYYY-MM-DD day, plus `days`, as an ISO instant: a day picked in the
 * viewer's time zone starts there, and `localMidnight(to, 1)` is the exclusive end of an
 * inclusive range (a day is not always 24 hours long).
 */
export function localMidnight(day: string, days = 0): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + days).toISOString();
}
