import { Download } from "lucide-react";
import { Button } from "@/components/ui/button";
import { useI18n, type MessageKey } from "@/i18n";
import { formatDateTime } from "@/lib/format";
import type { SubjectRequest } from "./types";

/** What a request found, erased and forwarded, with its dates: the request's proof. */
export function RequestDetail({ request, onDownload }: { request: SubjectRequest; onDownload: () => void }) {
  const { t, locale } = useI18n();
  const { proof } = request;
  const stores = Object.keys({ ...proof.found, ...proof.erased }).sort();
  const when = (value: string | null | undefined) => (value ? formatDateTime(value, locale) : "—");
  return (
    <div className="grid gap-4 text-sm" data-testid="request-detail">
      <dl className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-[max-content_1fr]">
        <dt className="text-muted-foreground">{t("privacy.requests.person")}</dt>
        <dd>{[request.email, request.phone].filter(Boolean).join(" · ")}</dd>
        <dt className="text-muted-foreground">{t("privacy.requests.received")}</dt>
        <dd>{when(request.received_at)}</dd>
        <dt className="text-muted-foreground">{t("privacy.requests.searched")}</dt>
        <dd>{when(proof.searched_at)}</dd>
        {request.kind === "erase" ? (
          <>
            <dt className="text-muted-foreground">{t("privacy.requests.erasedAt")}</dt>
            <dd>{when(proof.erased_at)}</dd>
          </>
        ) : null}
        <dt className="text-muted-foreground">{t("privacy.requests.finished")}</dt>
        <dd>{when(request.finished_at)}</dd>
        {request.rejection_reason ? (
          <>
            <dt className="text-muted-foreground">{t("privacy.requests.reason")}</dt>
            <dd>{request.rejection_reason}</dd>
          </>
        ) : null}
      </dl>
      {request.status === "done" ? (
        stores.length === 0 ? (
          <p data-testid="nothing-found">{t("privacy.requests.nothingFound")}</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left">
              <thead>
                <tr className="border-b">
                  <th className="py-1 pr-3 font-medium">{t("privacy.requests.store")}</th>
                  <th className="py-1 pr-3 text-right font-medium">{t("privacy.requests.found")}</th>
                  {request.kind === "erase" ? <th className="py-1 text-right font-medium">{t("privacy.requests.erased")}</th> : null}
                </tr>
              </thead>
              <tbody>
                {stores.map((store) => (
                  <tr key={store} className="border-b last:border-0">
                    <td className="py-1 pr-3 font-mono text-xs">{store}</td>
                    <td className="py-1 pr-3 text-right tabular-nums">{proof.found?.[store] ?? 0}</td>
                    {request.kind === "erase" ? <td className="py-1 text-right tabular-nums">{proof.erased?.[store] ?? 0}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      {(proof.forwarded ?? []).length > 0 ? (
        <div className="grid gap-1">
          <h3 className="font-medium">{t("privacy.requests.forwarded")}</h3>
          <ul className="grid gap-1">
            {(proof.forwarded ?? []).map((f, i) => (
              <li key={`${f.platform}-${i}`} data-testid="forwarded">
                <span className="font-medium">{f.destination ?? f.platform}</span>: {t(`privacy.forward.${f.status}` as MessageKey)}
                {f.detail ? <span className="block text-xs text-muted-foreground">{f.detail}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {request.has_export ? (
        <div>
          <Button variant="outline" size="sm" onClick={onDownload} data-testid="export-download">
            <Download aria-hidden />
            {t("privacy.requests.download")}
          </Button>
        </div>
      ) : null}
    </div>
  );
}
