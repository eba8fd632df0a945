import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { api, unwrap } from "@/api/client";
import type { Me, MeUpdate } from "@/api/types";
import { clearTokens, getAccessToken, setTokens } from "./tokens";

export const ME_KEY = ["me"] as const;

export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: () => unwrap(api.GET("/api/auth/me")),
    enabled: getAccessToken() !== null,
    staleTime: 60_000,
  });
}

/** The signed-in user; only call below <RequireAuth>, which guarantees it is loaded. */
export function useCurrentUser(): Me {
  const { data } = useMe();
  if (!data) throw new Error("useCurrentUser used before the user was loaded");
  return data;
}

export function usePermissions() {
  const { data } = useMe();
  const perms = data?.permissions ?? [];
  return useCallback((permission: string | null | undefined) => !permission || perms.includes(permission), [perms]);
}

export async function login(email: string, password: string): Promise<void> {
  const pair = await unwrap(api.POST("/api/auth/login", { body: { email, password } }));
  setTokens(pair);
}

export function useLogout() {
  const qc = useQueryClient();
  return useCallback(async () => {
    try {
      if (getAccessToken()) await unwrap(api.POST("/api/auth/logout"));
    } catch {
      /* the token is dropped locally anyway */
    }
    clearTokens();
    qc.clear();
  }, [qc]);
}

/** Theme and language the user chose whose save has not been answered yet (kept across a
 * page load, so that a page loaded meanwhile does not take the old values from the server). */
export type PendingPrefs = Pick<MeUpdate, "theme" | "locale">;
const PENDING = "rastro.prefs.pending";

export function pendingPrefs(): PendingPrefs | null {
  try {
    const raw = window.localStorage.getItem(PENDING);
    return raw ? (JSON.parse(raw) as PendingPrefs) : null;
  } catch {
    return null;
  }
}

export function clearPendingPrefs(): void {
  setPending(null);
}

function setPending(prefs: PendingPrefs | null): void {
  try {
    if (prefs) window.localStorage.setItem(PENDING, JSON.stringify(prefs));
    else window.localStorage.removeItem(PENDING);
  } catch {
    /* storage unavailable: the server's values win on the next load */
  }
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: MeUpdate) => unwrap(api.PATCH("/api/auth/me", { body })),
    onMutate: (body: MeUpdate) => {
      const prefs: PendingPrefs = {};
      if (body.theme) prefs.theme = body.theme;
      if (body.locale) prefs.locale = body.locale;
      if (prefs.theme || prefs.locale) setPending({ ...pendingPrefs(), ...prefs });
    },
    onSuccess: (me) => qc.setQueryData(ME_KEY, me),
    onSettled: clearPendingPrefs,
  });
}

export function useSwitchOrganization() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (organizationId: string) => {
      const pair = await unwrap(api.POST("/api/auth/switch-organization", { body: { organization_id: organizationId } }));
      setTokens(pair);
      // Everything cached belongs to the previous organization.
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== ME_KEY[0] });
      await qc.invalidateQueries({ queryKey: ME_KEY });
      return qc.fetchQuery({ queryKey: ME_KEY, queryFn: () => unwrap(api.GET("/api/auth/me")) });
    },
  });
}
