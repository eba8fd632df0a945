import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, useLocation } from "react-router";
import { describe, expect, it } from "vitest";
import { DEFAULT_FILTERS, filtersFromParams, filtersToParams, reportQuery, useReportFilters } from "./filters";

function wrapperAt(url: string) {
  return ({ children }: { children: ReactNode }) => <MemoryRouter initialEntries={[url]}>{children}</MemoryRouter>;
}

function useFiltersAndLocation() {
  return { state: useReportFilters(), location: useLocation() };
}

describe("report filters in the URL", () => {
  it("defaults to the last 30 days without comparison when the URL has nothing", () => {
    const filters = filtersFromParams(new URLSearchParams(""));
    expect(filters).toEqual(DEFAULT_FILTERS);
    expect(reportQuery(filters)).toEqual({ preset: "last_30_days" });
    expect(filtersToParams(filters).toString()).toBe("");
  });

  it("reads every filter from the URL and builds the API query", () => {
    const params = new URLSearchParams(
      "preset=last_7_days&compare=previous&domain_id=d1&landing_page_id=p1&channel=Paid+Search&source=google&medium=cpc&campaign=bf&content=ad1&term=shoes&device=mobile",
    );
    expect(reportQuery(filtersFromParams(params))).toEqual({
      preset: "last_7_days",
      compare: "previous",
      domain_id: "d1",
      landing_page_id: "p1",
      channel: "Paid Search",
      source: "google",
      medium: "cpc",
      campaign: "bf",
      content: "ad1",
      term: "shoes",
      device: "mobile",
    });
  });

  it("drops unknown presets, channels, devices, comparisons and malformed dates", () => {
    const filters = filtersFromParams(new URLSearchParams("preset=forever&channel=Telepathy&device=fridge&compare=never&date_from=01/02/2025"));
    expect(filters).toEqual(DEFAULT_FILTERS);
  });

  it("a custom range replaces the preset, in the URL and in the query", () => {
    const filters = filtersFromParams(new URLSearchParams("preset=today&date_from=2025-01-01&date_to=2025-01-31"));
    expect(filters.preset).toBeNull();
    expect(reportQuery(filters)).toEqual({ date_from: "2025-01-01", date_to: "2025-01-31" });
    expect(filtersToParams(filters).toString()).toBe("date_from=2025-01-01&date_to=2025-01-31");
  });

  it("round-trips filters through the URL", () => {
    const filters = { ...DEFAULT_FILTERS, preset: "this_month" as const, compare: "year" as const, channel: "Email" as const, campaign: "a b&c" };
    expect(filtersFromParams(filtersToParams(filters))).toEqual(filters);
  });

  it("the hook's setters change the URL, and the URL changes the filters", () => {
    const { result } = renderHook(useFiltersAndLocation, { wrapper: wrapperAt("/analytics?preset=last_7_days") });
    expect(result.current.state.query).toEqual({ preset: "last_7_days" });

    act(() => result.current.state.setFilter("channel", "Paid Search"));
    expect(new URLSearchParams(result.current.location.search).get("channel")).toBe("Paid Search");
    expect(result.current.state.query).toEqual({ preset: "last_7_days", channel: "Paid Search" });

    act(() => result.current.state.setFilter("dateFrom", "2025-03-01"));
    const params = new URLSearchParams(result.current.location.search);
    expect(params.get("preset")).toBeNull();
    expect(params.get("date_from")).toBe("2025-03-01");
    expect(result.current.state.query).toEqual({ date_from: "2025-03-01", channel: "Paid Search" });

    act(() => result.current.state.setFilter("preset", "yesterday"));
    expect(result.current.state.query).toEqual({ preset: "yesterday", channel: "Paid Search" });

    act(() => result.current.state.reset());
    expect(result.current.location.search).toBe("");
    expect(result.current.state.query).toEqual({ preset: "last_30_days" });
  });

  it("choosing another domain clears the landing page (it belongs to one domain)", () => {
    const { result } = renderHook(useFiltersAndLocation, { wrapper: wrapperAt("/analytics?domain_id=d1&landing_page_id=p1") });
    act(() => result.current.state.setFilter("domainId", "d2"));
    expect(result.current.state.filters.domainId).toBe("d2");
    expect(result.current.state.filters.landingPageId).toBeNull();
  });

  it("keeps the same query object while the URL does not change", () => {
    const { result, rerender } = renderHook(useFiltersAndLocation, { wrapper: wrapperAt("/analytics?channel=Email") });
    const first = result.current.state.query;
    rerender();
    expect(result.current.state.query).toBe(first);
  });
});
