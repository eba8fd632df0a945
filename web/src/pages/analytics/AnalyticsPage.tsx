import { Suspense } from "react";
import { Route, Routes, useLocation } from "react-router";
import { PageTabs } from "@/components/ui/page-tabs";
import { LoadingState } from "@/components/ui/states";
import { useI18n } from "@/i18n";
import { REPORTS } from "./reports";

/** Analytics: the report pages of `REPORTS` under one tab bar; the filters stay in the URL. */
export default function AnalyticsPage() {
  const { t } = useI18n();
  // The tabs carry the filters along: every report reads the same ones from the URL.
  const { search } = useLocation();
  const tabs = REPORTS.map((r) => ({ path: `${r.path ? `/analytics/${r.path}` : "/analytics"}${search}`, labelKey: r.labelKey, end: r.path === "" }));
  return (
    <div className="mx-auto grid max-w-6xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("analytics.title")}</h1>
      {REPORTS.length > 1 ? <PageTabs tabs={tabs} label={t("analytics.sections")} /> : null}
      <Suspense fallback={<LoadingState />}>
        <Routes>
          {REPORTS.map((r) => {
            const Element = r.element;
            return r.path ? <Route key={r.path} path={`${r.path}/*`} element={<Element />} /> : <Route key="index" index element={<Element />} />;
          })}
          <Route path="*" element={<p className="text-sm text-muted-foreground">{t("notFound.body")}</p>} />
        </Routes>
      </Suspense>
    </div>
  );
}
