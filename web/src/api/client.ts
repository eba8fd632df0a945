/**
 * The one typed API client. Built on openapi-fetch, typed by `paths` from the generated
 * `schema.d.ts`, so the backend's component schema names do not matter.
 *
 * - injects `Authorization: Bearer <access token>`;
 * - on 401 with code `token_expired` refreshes once (single flight, rotating refresh
 *   token stored) and retries the request once;
 * - any other 401 on an authenticated request calls the auth-failure handler (→ /login);
 * - every non-2xx answer becomes a thrown `ApiError {status, code, message, details}`
 *   parsed from the error envelope; a network failure is `ApiError` with status 0.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { clearTokens, getAccessToken, getRefreshToken, setTokens, type TokenPair } from "@/auth/tokens";

export type { paths };

export interface ValidationIssue {
  loc: string;
  message: string;
  type?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** Seconds from a Retry-After header, when the server sent one. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, details: unknown = null, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  /** Validation issues (422 `validation_error`), normalised. */
  get issues(): ValidationIssue[] {
    if (!Array.isArray(this.details)) return [];
    return this.details
      .filter((d): d is Record<string, unknown> => typeof d === "object" && d !== null)
      .map((d) => ({
        loc: Array.isArray(d.loc) ? d.loc.join(".") : String(d.loc ?? ""),
        message: String(d.message ?? d.msg ?? ""),
        type: d.type === undefined ? undefined : String(d.type),
      }));
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.round(n));
  const date = Date.parse(value);
  if (!Number.isNaN(date)) return Math.max(0, Math.round((date - Date.now()) / 1000));
  return null;
}

/** Turn a non-2xx response into an ApiError (reads the body). */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
  let text = "";
  try {
    text = await response.text();
  } catch {
    /* body unreadable */
  }
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (body && typeof body === "object" && "error" in body) {
    const err = (body as { error: unknown }).error;
    if (err && typeof err === "object") {
      const e = err as { code?: unknown; message?: unknown; details?: unknown };
      return new ApiError(
        response.status,
        typeof e.code === "string" ? e.code : `http_${response.status}`,
        typeof e.message === "string" ? e.message : response.statusText || `HTTP ${response.status}`,
        e.details ?? null,
        retryAfter,
      );
    }
  }
  // FastAPI's default shape, in case something bypasses the envelope.
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    return new ApiError(
      response.status,
      `http_${response.status}`,
      typeof detail === "string" ? detail : response.statusText || `HTTP ${response.status}`,
      typeof detail === "string" ? null : detail,
      retryAfter,
    );
  }
  return new ApiError(response.status, `http_${response.status}`, response.statusText || `HTTP ${response.status}`, null, retryAfter);
}

let authFailureHandler: (() => void) | null = null;

/** Called when the session cannot be recovered (refresh failed, 401 not `token_expired`). */
export function setAuthFailureHandler(handler: (() => void) | null): void {
  authFailureHandler = handler;
}

const UNAUTHENTICATED_PATHS = ["/api/auth/login", "/api/auth/refresh"];

function origin(): string {
  return typeof window !== "undefined" && window.location ? window.location.origin : "";
}

async function rawFetch(url: string, init: RequestInit): Promise<Response> {
  try {
    return await globalThis.fetch(url, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network_error", e instanceof Error ? e.message : "Network error");
  }
}

let refreshing: Promise<boolean> | null = null;

/** Refresh the token pair once; concurrent callers share the same attempt. */
export function refreshTokens(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      const refresh = getRefreshToken();
      if (!refresh) return false;
      try {
        const res = await rawFetch(`${origin()}/api/auth/refresh`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ refresh_token: refresh }),
        });
        if (!res.ok) return false;
        const pair = (await res.json()) as TokenPair;
        setTokens(pair);
        return true;
      } catch {
        return false;
      }
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** The fetch handed to openapi-fetch. */
export async function authFetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
  const req = input instanceof Request ? input : new Request(input, init);
  const url = req.url;
  const path = new URL(url, "http://x").pathname;
  const needsAuth = !UNAUTHENTICATED_PATHS.includes(path);
  // A file upload keeps its bytes (a CSV in Latin-1 is not UTF-8 text).
  const multipart = req.headers.get("Content-Type")?.startsWith("multipart/form-data") ?? false;
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : multipart ? await req.blob() : await req.text();

  const send = (token: string | null) => {
    const headers = new Headers(req.headers);
    if (needsAuth && token) headers.set("Authorization", `Bearer ${token}`);
    if (!headers.has("Accept")) headers.set("Accept", "application/json");
    return rawFetch(url, { method: req.method, headers, body: body || undefined, signal: init?.signal ?? undefined });
  };

  const token = needsAuth ? getAccessToken() : null;
  let response = await send(token);

  if (response.status === 401 && needsAuth && token) {
    const err = await errorFromResponse(response.clone());
    if (err.code === "token_expired" && (await refreshTokens())) {
      response = await send(getAccessToken());
    }
    if (response.status === 401) {
      const final = err.code === "token_expired" ? await errorFromResponse(response.clone()) : err;
      clearTokens();
      authFailureHandler?.();
      throw final;
    }
  }

  if (!response.ok) throw await errorFromResponse(response);
  return response;
}

export const api = createClient<paths>({
  baseUrl: origin(),
  fetch: (input: Request) => authFetch(input),
});

/**
 * Await an openapi-fetch call and return its data. Errors are already thrown as
 * ApiError by `authFetch`; this keeps a guard for the impossible case.
 */
export async function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(
  p: Promise<R>,
): Promise<NonNullable<R["data"]>> {
  const r = await p;
  if (!r.response.ok) throw await errorFromResponse(r.response);
  return r.data as NonNullable<R["data"]>;
}
