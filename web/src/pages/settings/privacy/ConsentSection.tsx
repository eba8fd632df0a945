import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { components } from "@/api/schema";
import { useCurrentUser } from "@/auth/session";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { CsvButton } from "@/components/ui/csv-button";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { EmptyState, FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";

type Domain = components["schemas"]["Domain"];
type Metadata = components["schemas"]["DomainMetadata"];
export type ConsentMode = "off" | "required";
export const TRACKING_WRITE = "tracking:write";

/** A domain's consent mode, as its metadata keeps it (`settings.consent_mode`, default off). */
export function consentMode(domain: Pick<Domain, "metadata">): ConsentMode {
  const settings = (domain.metadata?.settings ?? {}) as Record<string, unknown>;
  return settings.consent_mode === "required" ? "required" : "off";
}

/** The domain's metadata with another consent mode (everything else kept). */
export function withConsentMode(domain: Pick<Domain, "metadata">, mode: ConsentMode): Metadata {
  const metadata = (domain.metadata ?? {}) as Record<string, unknown>;
  const settings = (metadata.settings ?? {}) as Record<string, unknown>;
  return { ...metadata, settings: { ...settings, consent_mode: mode } } as Metadata;
}

function ConsentTable({ domains, canWrite }: { domains: Domain[]; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const change = useMutation({
    mutationFn: ({ domain, mode }: { domain: Domain; mode: ConsentMode }) =>
      unwrap(api.PATCH("/api/domains/{domain_id}", { params: { path: { domain_id: domain.domain_id } }, body: { metadata: withConsentMode(domain, mode) } })),
    onSuccess: (domain) => {
      toast(t("consent.saved", { domain: domain.domain_name }));
      void qc.invalidateQueries({ queryKey: ["privacy", "consent-domains"] });
      void qc.invalidateQueries({ queryKey: ["domains"] });
    },
  });
  if (domains.length === 0) return <EmptyState message={t("consent.empty")} />;
  const columns: CsvColumn<Domain>[] = [
    { header: t("consent.domain"), value: (d) => d.domain_name },
    { header: t("consent.mode"), value: (d) => t(`consent.mode.${consentMode(d)}`) },
  ];
  return (
    <div className="grid gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        {canWrite ? <span /> : <p className="text-sm text-muted-foreground">{t("consent.readOnly")}</p>}
        <CsvButton filename="consent.csv" columns={columns} rows={domains} />
      </div>
      <div className="overflow-x-auto">
        <Table>
          <THead>
            <TR>
              <TH>{t("consent.domain")}</TH>
              <TH>{t("consent.mode")}</TH>
            </TR>
          </THead>
          <TBody>
            {domains.map((d) => (
              <TR key={d.domain_id}>
                <TD className="break-all">{d.domain_name}</TD>
                <TD>
                  <NativeSelect
                    aria-label={`${t("consent.mode")}: ${d.domain_name}`}
                    value={consentMode(d)}
                    disabled={!canWrite || change.isPending}
                    onChange={(e) => change.mutate({ domain: d, mode: e.target.value as ConsentMode })}
                    className="min-w-52"
                  >
                    <option value="off">{t("consent.mode.off")}</option>
                    <option value="required">{t("consent.mode.required")}</option>
                  </NativeSelect>
                </TD>
              </TR>
            ))}
          </TBody>
        </Table>
      </div>
      <FormError error={change.error} />
    </div>
  );
}

/** Settings › Privacy › Consent: each site's consent mode. */
export default function ConsentSection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const domains = useQuery({
    queryKey: ["privacy", "consent-domains"],
    queryFn: () => unwrap(api.GET("/api/domains", { params: { query: { page: 1, page_size: 200 } } })),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("consent.title")}</CardTitle>
        <CardDescription>{t("consent.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryStates query={domains}>{(page) => <ConsentTable domains={page.items} canWrite={me.permissions.includes(TRACKING_WRITE)} />}</QueryStates>
      </CardContent>
    </Card>
  );
}
