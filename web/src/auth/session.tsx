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

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: MeUpdate) => unwrap(api.PATCH("/api/auth/me", { body })),
    onSuccess: (me) => qc.setQueryData(ME_KEY, me),
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
