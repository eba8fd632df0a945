/** The organization's members as owners of leads: who can be picked, and the select's options. */
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { PERM } from "@/auth/permissions";
import { useCurrentUser } from "@/auth/session";
import { useI18n } from "@/i18n";

export interface Member {
  user_id: string;
  name: string;
}

/** Me first, then the other members (only me without the permission to list members). */
export function useMembers(): Member[] {
  const me = useCurrentUser();
  const canList = me.permissions.includes(PERM.membersRead);
  const members = useQuery({
    queryKey: ["members", "all"],
    queryFn: () => unwrap(api.GET("/api/members", { params: { query: { page: 1, page_size: 200 } } })),
    enabled: canList,
    staleTime: 5 * 60_000,
  });
  const others = (members.data?.items ?? []).filter((m) => m.user_id !== me.id).map((m) => ({ user_id: m.user_id, name: m.name }));
  return [{ user_id: me.id, name: me.name }, ...others];
}

/** `<option>`s of the owners: "me" labelled as such, then the others; `current` added when it is not among them. */
export function OwnerOptions({ current }: { current?: Member | null }) {
  const { t } = useI18n();
  const me = useCurrentUser();
  const members = useMembers();
  const all = current && !members.some((m) => m.user_id === current.user_id) ? [...members, current] : members;
  return (
    <>
      {all.map((m) => (
        <option key={m.user_id} value={m.user_id}>
          {m.user_id === me.id ? t("crm.filters.me") : m.name}
        </option>
      ))}
    </>
  );
}
