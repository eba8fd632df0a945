import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const handlers = new Map<string, () => void>();
vi.mock("@/live/LiveProvider", () => ({
  useLiveEvent: (event: string, handler: () => void) => handlers.set(event, handler),
}));

const { MIN_INTERVAL_MS, SETTLE_MS, useLiveRefresh } = await import("./useLiveRefresh");

describe("useLiveRefresh", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    handlers.clear();
  });

  it("refetches once shortly after a burst of live events, then at most every 10 seconds", () => {
    const qc = new QueryClient();
    const invalidate = vi.spyOn(qc, "invalidateQueries").mockResolvedValue(undefined);
    const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={qc}>{children}</QueryClientProvider>;
    renderHook(() => useLiveRefresh(["analytics", "overview", { preset: "today" }]), { wrapper });
    expect([...handlers.keys()].sort()).toEqual(["lead_created", "visitor_offline", "visitor_online"]);

    act(() => {
      handlers.get("visitor_online")?.();
      handlers.get("lead_created")?.();
      handlers.get("visitor_online")?.();
    });
    act(() => vi.advanceTimersByTime(SETTLE_MS - 1));
    expect(invalidate).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(1));
    expect(invalidate).toHaveBeenCalledTimes(1);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: ["analytics", "overview", { preset: "today" }], exact: true });

    // Another event right after: not before 10 s since the last refetch.
    act(() => handlers.get("visitor_offline")?.());
    act(() => vi.advanceTimersByTime(MIN_INTERVAL_MS - 1));
    expect(invalidate).toHaveBeenCalledTimes(1);
    act(() => vi.advanceTimersByTime(1));
    expect(invalidate).toHaveBeenCalledTimes(2);
  });
});
