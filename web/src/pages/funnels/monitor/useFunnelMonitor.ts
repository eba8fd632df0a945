import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useReducer, useRef } from "react";
import { api, unwrap } from "@/api/client";
import { useLiveEvent, useLiveTopic } from "@/live/LiveProvider";
import { applyEvent, fromSnapshot, type MonitorEvent, type MonitorSnapshot, type MonitorState } from "./monitorState";

type Action = { type: "snapshot"; snapshot: MonitorSnapshot; replay: [MonitorEvent, unknown][] } | { type: "event"; event: MonitorEvent; payload: unknown };

function reducer(state: MonitorState | null, action: Action): MonitorState | null {
  if (action.type === "snapshot") {
    return action.replay.reduce((s, [event, payload]) => applyEvent(s, event, payload), fromSnapshot(action.snapshot));
  }
  return state ? applyEvent(state, action.event, action.payload) : state;
}

export const monitorKey = (funnelId: string) => ["funnels", funnelId, "monitor"] as const;

/**
 * The funnel's monitor: the REST snapshot, then the funnel's live events applied to it.
 * After every (re)join of the funnel's room the snapshot is read again, and the events
 * that arrive while it loads are replayed on top, so nothing missed while offline stays
 * missing.
 */
export function useFunnelMonitor(funnelId: string) {
  const [state, dispatch] = useReducer(reducer, null);
  const replay = useRef<[MonitorEvent, unknown][] | null>(null);
  const query = useQuery({
    queryKey: monitorKey(funnelId),
    queryFn: () => unwrap(api.GET("/api/funnels/{funnel_id}/monitor", { params: { path: { funnel_id: funnelId } } })),
    refetchOnWindowFocus: false,
    staleTime: Infinity,
  });
  const { data, dataUpdatedAt, refetch } = query;
  useEffect(() => {
    if (!data) return;
    dispatch({ type: "snapshot", snapshot: data, replay: replay.current ?? [] });
    replay.current = null;
  }, [data, dataUpdatedAt]);
  const resync = useCallback(() => {
    replay.current = [];
    void refetch();
  }, [refetch]);
  useLiveTopic("funnel", funnelId, resync);
  const on = (event: MonitorEvent) => (payload: unknown) => {
    replay.current?.push([event, payload]);
    dispatch({ type: "event", event, payload });
  };
  useLiveEvent("visitor_online", on("visitor_online"));
  useLiveEvent("visitor_step_change", on("visitor_step_change"));
  useLiveEvent("visitor_offline", on("visitor_offline"));
  useLiveEvent("new_payment", on("new_payment"));
  useLiveEvent("payment_status_change", on("payment_status_change"));
  return { state, query };
}
