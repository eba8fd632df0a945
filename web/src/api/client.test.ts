import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, setAuthFailureHandler, unwrap } from "./client";
import { getAccessToken, getRefreshToken, setTokens } from "@/auth/tokens";
import { errorResponse, jsonResponse, sentBody, sentHeaders } from "@/test/utils";

const ME = {
  id: "u1",
  email: "a@example.com",
  name: "Ana",
  locale: "en",
  theme: "system",
  organization: { id: "o1", name: "Acme", slug: "acme" },
  role: "admin",
  organizations: [],
  permissions: [],
};

describe("api client", () => {
  const fetchMock = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>();
  beforeEach(() => {
    fetchMock.mockReset();
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    setAuthFailureHandler(null);
  });

  it("injects the bearer token", async () => {
    setTokens({ access_token: "acc-1", refresh_token: "ref-1" });
    fetchMock.mockResolvedValueOnce(jsonResponse(ME));
    const me = await unwrap(api.GET("/api/auth/me"));
    expect(me.email).toBe("a@example.com");
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(String(fetchMock.mock.calls[0]![0])).toMatch(/\/api\/auth\/me$/);
    expect(sentHeaders(fetchMock.mock.calls[0]!).get("Authorization")).toBe("Bearer acc-1");
  });

  it("does not send a token to the login endpoint", async () => {
    setTokens({ access_token: "stale", refresh_token: "ref" });
    fetchMock.mockResolvedValueOnce(jsonResponse({ access_token: "a", refresh_token: "r", token_type: "bearer", expires_in: 900 }));
    await unwrap(api.POST("/api/auth/login", { body: { email: "a@example.com", password: "pw" } }));
    expect(sentHeaders(fetchMock.mock.calls[0]!).get("Authorization")).toBeNull();
    expect(sentBody(fetchMock.mock.calls[0]!)).toEqual({ email: "a@example.com", password: "pw" });
  });

  it("refreshes once on token_expired, stores the rotated pair and retries with the new token", async () => {
    setTokens({ access_token: "old-access", refresh_token: "old-refresh" });
    fetchMock
      .mockResolvedValueOnce(errorResponse(401, "token_expired", "expired"))
      .mockResolvedValueOnce(jsonResponse({ access_token: "new-access", refresh_token: "new-refresh", token_type: "bearer", expires_in: 900 }))
      .mockResolvedValueOnce(jsonResponse(ME));

    const me = await unwrap(api.GET("/api/auth/me"));
    expect(me.name).toBe("Ana");
    expect(fetchMock).toHaveBeenCalledTimes(3);
    const [first, refresh, retry] = fetchMock.mock.calls;
    expect(sentHeaders(first!).get("Authorization")).toBe("Bearer old-access");
    expect(String(refresh![0])).toMatch(/\/api\/auth\/refresh$/);
    expect(sentBody(refresh!)).toEqual({ refresh_token: "old-refresh" });
    expect(sentHeaders(retry!).get("Authorization")).toBe("Bearer new-access");
    expect(getAccessToken()).toBe("new-access");
    expect(getRefreshToken()).toBe("new-refresh");
  });

  it("re-sends the request body on the retry", async () => {
    setTokens({ access_token: "old", refresh_token: "r" });
    fetchMock
      .mockResolvedValueOnce(errorResponse(401, "token_expired"))
      .mockResolvedValueOnce(jsonResponse({ access_token: "new", refresh_token: "r2", token_type: "bearer", expires_in: 900 }))
      .mockResolvedValueOnce(jsonResponse({ id: "o2", name: "Beta", slug: "beta", role: "admin" }, 201));
    await unwrap(api.POST("/api/organizations", { body: { name: "Beta" } }));
    expect(sentBody(fetchMock.mock.calls[2]!)).toEqual({ name: "Beta" });
  });

  it("retries only once and then gives up to the login page", async () => {
    setTokens({ access_token: "old", refresh_token: "r" });
    const onFailure = vi.fn();
    setAuthFailureHandler(onFailure);
    fetchMock
      .mockResolvedValueOnce(errorResponse(401, "token_expired"))
      .mockResolvedValueOnce(jsonResponse({ access_token: "new", refresh_token: "r2", token_type: "bearer", expires_in: 900 }))
      .mockResolvedValueOnce(errorResponse(401, "token_expired"));
    await expect(unwrap(api.GET("/api/auth/me"))).rejects.toMatchObject({ status: 401, code: "token_expired" });
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(getAccessToken()).toBeNull();
  });

  it("does not refresh on other 401 codes and sends the user to login", async () => {
    setTokens({ access_token: "bad", refresh_token: "r" });
    const onFailure = vi.fn();
    setAuthFailureHandler(onFailure);
    fetchMock.mockResolvedValueOnce(errorResponse(401, "invalid_token", "bad token"));
    await expect(unwrap(api.GET("/api/auth/me"))).rejects.toMatchObject({ code: "invalid_token" });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(onFailure).toHaveBeenCalledTimes(1);
  });

  it("goes to login when the refresh itself fails", async () => {
    setTokens({ access_token: "old", refresh_token: "revoked" });
    const onFailure = vi.fn();
    setAuthFailureHandler(onFailure);
    fetchMock.mockResolvedValueOnce(errorResponse(401, "token_expired")).mockResolvedValueOnce(errorResponse(401, "invalid_token"));
    await expect(unwrap(api.GET("/api/auth/me"))).rejects.toBeInstanceOf(ApiError);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(getRefreshToken()).toBeNull();
  });

  it("shares one refresh between concurrent requests", async () => {
    setTokens({ access_token: "old", refresh_token: "r" });
    let refreshCalls = 0;
    fetchMock.mockImplementation(async (url, init) => {
      if (String(url).endsWith("/api/auth/refresh")) {
        refreshCalls += 1;
        return jsonResponse({ access_token: "new", refresh_token: "r2", token_type: "bearer", expires_in: 900 });
      }
      const auth = new Headers(init?.headers).get("Authorization");
      return auth === "Bearer new" ? jsonResponse(ME) : errorResponse(401, "token_expired");
    });
    await Promise.all([unwrap(api.GET("/api/auth/me")), unwrap(api.GET("/api/auth/me"))]);
    expect(refreshCalls).toBe(1);
  });

  it("parses the error envelope into ApiError", async () => {
    setTokens({ access_token: "a", refresh_token: "r" });
    const details = [{ loc: "body.email", message: "not an e-mail", type: "value_error" }];
    fetchMock.mockResolvedValueOnce(errorResponse(422, "validation_error", "Invalid input", details));
    const err = await unwrap(api.POST("/api/members", { body: { email: "x", role: "viewer" } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(422);
    expect(e.code).toBe("validation_error");
    expect(e.message).toBe("Invalid input");
    expect(e.details).toEqual(details);
    expect(e.issues).toEqual([{ loc: "body.email", message: "not an e-mail", type: "value_error" }]);
  });

  it("reads Retry-After on 429", async () => {
    fetchMock.mockResolvedValueOnce(errorResponse(429, "too_many_attempts", "slow down", null, { "Retry-After": "600" }));
    const e = (await unwrap(api.POST("/api/auth/login", { body: { email: "a", password: "b" } })).catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe("too_many_attempts");
    expect(e.retryAfter).toBe(600);
  });

  it("turns a non-JSON error and a network failure into ApiError", async () => {
    setTokens({ access_token: "a", refresh_token: "r" });
    fetchMock.mockResolvedValueOnce(new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    await expect(unwrap(api.GET("/api/auth/me"))).rejects.toMatchObject({ status: 502, code: "http_502" });
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    await expect(unwrap(api.GET("/api/auth/me"))).rejects.toMatchObject({ status: 0, code: "network_error" });
  });

  it("returns undefined data for 204", async () => {
    setTokens({ access_token: "a", refresh_token: "r" });
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    await expect(unwrap(api.DELETE("/api/api-keys/{api_key_id}", { params: { path: { api_key_id: "k1" } } }))).resolves.toBeUndefined();
    expect(fetchMock.mock.calls[0]![1]!.method).toBe("DELETE");
  });
});
