/** Permission strings as returned by GET /api/auth/me. */
export const PERM = {
  membersRead: "members:read",
  membersWrite: "members:write",
  apiKeysRead: "api_keys:read",
  apiKeysWrite: "api_keys:write",
  credentialsRead: "credentials:read",
  credentialsWrite: "credentials:write",
  crmAdmin: "crm:admin",
} as const;

export type Permission = string;

/** A section is visible with its read or its write permission. */
export function hasAny(perms: readonly string[] | undefined, wanted: readonly string[]): boolean {
  if (!perms) return false;
  return wanted.some((p) => perms.includes(p));
}
