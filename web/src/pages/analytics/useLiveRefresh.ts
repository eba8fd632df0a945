/**
 * Keeps a live report fresh without reloading: when the organization's live events say a
 * visitor arrived or left or a lead came in, the report's query is refetched — a few
 * seconds later (the facts reach the BI database through the outbox) and at most once
 * every `MIN_INTERVAL_MS`, however many events arrive.
 */
import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useCallback, useEffect, useRef } from "react";
import { useLiveEvent } from "@/live/LiveProvider";

export const MIN_INTERVAL_MS = 10_000;
export const SETTLE_MS = 3_000;

export function useLiveRefresh(queryKey: QueryKey): void {
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const last = useRef(0);
  const key = useRef(queryKey);
  key.current = queryKey;

  const schedule = useCallback(() => {
    if (timer.current) return; // one refetch is already on its way: it will see this event too
    const wait = Math.max(SETTLE_MS, last.current + MIN_INTERVAL_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = null;
      last.current = Date.now();
      void queryClient.invalidateQueries({ queryKey: key.current, exact: true });
    }, wait);
  }, [queryClient]);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  useLiveEvent("visitor_online", schedule);
  useLiveEvent("visitor_offline", schedule);
  useLiveEvent("lead_created", schedule);
}
