import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type MessageKey } from "@/i18n";
import { formatNumber } from "@/lib/format";
import { VERDICT_VARIANT, type AbTestSummary } from "./abTests";

export function AbTestTable({ tests }: { tests: AbTestSummary[] }) {
  const { t, locale } = useI18n();
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("ab.col.test")}</TH>
          <TH>{t("ab.col.status")}</TH>
          <TH className="text-right">{t("ab.col.variants")}</TH>
          <TH className="text-right">{t("ab.col.visitors")}</TH>
          <TH className="text-right">{t("ab.col.leads")}</TH>
          <TH>{t("ab.col.verdict")}</TH>
        </TR>
      </THead>
      <TBody>
        {tests.map((test) => (
          <TR key={test.ab_test_id} data-testid="ab-test-row">
            <TD>
              <Link to={`/analytics/ab-tests/${test.ab_test_id}`} className="font-medium text-primary hover:underline">
                {test.name}
              </Link>
            </TD>
            <TD>{t(test.is_active ? "ab.running" : "ab.stopped")}</TD>
            <TD className="text-right">{formatNumber(test.variants, locale)}</TD>
            <TD className="text-right">{formatNumber(test.visitors, locale)}</TD>
            <TD className="text-right">{formatNumber(test.leads, locale)}</TD>
            <TD className="space-x-1">
              <Badge variant={VERDICT_VARIANT[test.verdict.code]}>{t(`ab.badge.${test.verdict.code}` as MessageKey)}</Badge>
              {test.sample_ratio_mismatch && test.verdict.code !== "srm_warning" && <Badge variant="destructive">{t("ab.srmBadge")}</Badge>}
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

/** /analytics/ab-tests — every test with its verdict on leads. */
export default function AbTestList() {
  const { t } = useI18n();
  const query = useQuery({
    queryKey: ["analytics", "ab-tests"],
    queryFn: () => unwrap(api.GET("/api/analytics/ab-tests")),
  });
  return (
    <QueryStates query={query} isEmpty={(tests) => tests.length === 0} empty={t("ab.empty")}>
      {(tests) => <AbTestTable tests={tests} />}
    </QueryStates>
  );
}
