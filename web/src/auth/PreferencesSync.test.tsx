import { waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { PreferencesSync } from "./PreferencesSync";
import { pendingPrefs } from "./session";

const PENDING = "rastro.prefs.pending";

describe("PreferencesSync", () => {
  beforeEach(() => {
    window.localStorage.clear();
    document.documentElement.classList.remove("dark");
  });
  afterEach(() => vi.unstubAllGlobals());

  it("applies the profile's theme when nothing is pending", () => {
    const api = routeFetch({});
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<PreferencesSync />, { me: makeMe([], { theme: "dark" }) });
    expect(document.documentElement).toHaveClass("dark");
    expect(api.calls).toEqual([]);
  });

  it("keeps a choice whose save was cut short by a page load, and saves it again", async () => {
    window.localStorage.setItem(PENDING, JSON.stringify({ theme: "dark" }));
    const api = routeFetch({ "PATCH /api/auth/me": () => jsonResponse(makeMe([], { theme: "dark" })) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<PreferencesSync />, { me: makeMe([], { theme: "light" }) });
    expect(document.documentElement).toHaveClass("dark");
    await waitFor(() => expect(pendingPrefs()).toBeNull());
    expect(api.calls.map((c) => [c.method, c.url.pathname, c.body])).toEqual([["PATCH", "/api/auth/me", { theme: "dark", locale: "en" }]]);
    expect(document.documentElement).toHaveClass("dark");
  });

  it("forgets a pending choice the profile already has", () => {
    window.localStorage.setItem(PENDING, JSON.stringify({ theme: "light" }));
    const api = routeFetch({});
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<PreferencesSync />, { me: makeMe([], { theme: "light" }) });
    expect(pendingPrefs()).toBeNull();
    expect(api.calls).toEqual([]);
  });
});
