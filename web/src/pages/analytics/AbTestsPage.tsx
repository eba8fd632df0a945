import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";
import { LoadingState } from "@/components/ui/states";
import { useI18n } from "@/i18n";

const AbTestList = lazy(() => import("./AbTestList"));
const AbTestPage = lazy(() => import("./AbTest"));

/** A/B test results: the list (default) and one test's figures. */
export default function AbTestsPage() {
  const { t } = useI18n();
  return (
    <div className="mx-auto grid max-w-6xl grid-cols-1 gap-4">
      <div>
        <h2 className="text-xl font-semibold tracking-tight">{t("ab.title")}</h2>
        <p className="mt-1 text-sm text-muted-foreground">{t("ab.description")}</p>
      </div>
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route index element={<AbTestList />} />
          <Route path=":abTestId" element={<AbTestPage />} />
          <Route path="*" element={<p className="text-sm text-muted-foreground">{t("notFound.body")}</p>} />
        </Routes>
      </Suspense>
    </div>
  );
}
