import type { SessionSummary, Touchpoint } from "./types";

export interface SessionWithTouches {
  session: SessionSummary;
  touches: Touchpoint[];
}

/**
 * Put each touch under its session. The journey's touches carry no session id in the
 * published schema, so when the server does not send one a touch goes to the latest
 * session that had started by the touch's time (with a minute of slack for clock skew
 * between the tracker's timestamps and the server's); touches before every session go
 * to the first one. Sessions and touches come out oldest first.
 */
export function groupTouches(sessions: SessionSummary[], touches: Touchpoint[]): SessionWithTouches[] {
  const ordered = [...sessions].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  const groups: SessionWithTouches[] = ordered.map((session) => ({ session, touches: [] }));
  if (groups.length === 0) return groups;
  const byId = new Map(groups.map((g) => [g.session.session_id, g]));
  const SLACK_MS = 60_000;
  const sortedTouches = [...touches].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  for (const touch of sortedTouches) {
    const sid = (touch as Touchpoint & { session_id?: unknown }).session_id;
    const direct = typeof sid === "string" ? byId.get(sid) : undefined;
    if (direct) {
      direct.touches.push(touch);
      continue;
    }
    const at = Date.parse(touch.created_at);
    let target = groups[0]!;
    for (const g of groups) {
      if (Date.parse(g.session.started_at) <= at + SLACK_MS) target = g;
      else break;
    }
    target.touches.push(touch);
  }
  return groups;
}
