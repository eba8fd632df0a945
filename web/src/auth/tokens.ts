/**
 * Token storage. The access token (15 min) and the rotating refresh token are kept in
 * localStorage so a reload keeps the session; listeners are told when they change
 * (the live socket reconnects with the fresh token, the app resets its caches).
 */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type?: string;
  expires_in?: number;
}

const ACCESS = "rastro.access_token";
const REFRESH = "rastro.refresh_token";

type Listener = (access: string | null) => void;
const listeners = new Set<Listener>();

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function getAccessToken(): string | null {
  return read(ACCESS);
}

export function getRefreshToken(): string | null {
  return read(REFRESH);
}

export function setTokens(pair: TokenPair): void {
  try {
    window.localStorage.setItem(ACCESS, pair.access_token);
    window.localStorage.setItem(REFRESH, pair.refresh_token);
  } catch {
    /* storage unavailable: the session lasts for this page only */
  }
  listeners.forEach((l) => l(pair.access_token));
}

export function clearTokens(): void {
  try {
    window.localStorage.removeItem(ACCESS);
    window.localStorage.removeItem(REFRESH);
  } catch {
    /* ignore */
  }
  listeners.forEach((l) => l(null));
}

export function onTokensChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
