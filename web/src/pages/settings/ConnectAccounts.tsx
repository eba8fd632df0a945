import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link2 } from "lucide-react";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import type { paths } from "@/api/schema";
import { Button } from "@/components/ui/button";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type Account = Json<paths["/api/conversions/connect/{credential_id}/accounts"]["get"]["responses"][200]>[number];

export const PLATFORMS = ["google", "meta", "linkedin", "tiktok"] as const;
export type ConnectPlatform = (typeof PLATFORMS)[number];
/** The vault service a connection makes, per platform (for "Reconnect"). */
export const SERVICE_OF: Record<ConnectPlatform, string> = { google: "google_ads", meta: "meta", linkedin: "linkedin", tiktok: "tiktok" };

/** Send the browser to the platform's authorization page (a new connection, or new tokens for `reconnect`). */
export async function startConnection(platform: ConnectPlatform, reconnect?: string): Promise<void> {
  const started = await unwrap(
    api.POST("/api/conversions/connect/{platform}/start", { params: { path: { platform }, query: reconnect ? { reconnect } : {} } }),
  );
  window.location.assign(started.authorization_url);
}

/** The "Connect" buttons, one per platform. */
export function ConnectButtons() {
  const { t } = useI18n();
  const { toast } = useToast();
  const [busy, setBusy] = useState<ConnectPlatform | null>(null);
  const go = async (platform: ConnectPlatform) => {
    setBusy(platform);
    try {
      await startConnection(platform);
    } catch (e) {
      toast(t("connect.startFailed", { reason: errorMessage(e, t) }), "error");
      setBusy(null);
    }
  };
  return (
    <div className="grid gap-2 rounded-lg border p-3" data-testid="connect-accounts">
      <p className="text-sm font-medium">{t("connect.title")}</p>
      <p className="text-xs text-muted-foreground">{t("connect.description")}</p>
      <div className="flex flex-wrap gap-2">
        {PLATFORMS.map((p) => (
          <Button key={p} variant="outline" size="sm" disabled={busy !== null} onClick={() => void go(p)} data-testid={`connect-${p}`}>
            <Link2 aria-hidden />
            {t(`connect.platform.${p}`)}
          </Button>
        ))}
      </div>
    </div>
  );
}

/** After the platform sent the browser back: pick the account (and pixel) the credential is for. */
export function AccountPicker() {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const platform = params.get("connect") as ConnectPlatform | null;
  const credentialId = params.get("credential");
  const failed = params.get("error");
  const [accountId, setAccountId] = useState("");
  const [pixelId, setPixelId] = useState("");
  const [pixelCode, setPixelCode] = useState("");
  const close = () => setParams({}, { replace: true });
  const accounts = useQuery({
    queryKey: ["connect", credentialId, "accounts"],
    queryFn: () => unwrap(api.GET("/api/conversions/connect/{credential_id}/accounts", { params: { path: { credential_id: credentialId ?? "" } } })),
    enabled: Boolean(credentialId),
  });
  const pick = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/conversions/connect/{credential_id}/account", {
          params: { path: { credential_id: credentialId ?? "" } },
          body: { account_id: accountId, pixel_id: pixelId || null, pixel_code: pixelCode || null },
        }),
      ),
    onSuccess: () => {
      toast(t("connect.connected"));
      void qc.invalidateQueries({ queryKey: ["credentials"] });
      close();
    },
  });
  if (!platform) return null;
  if (failed) {
    return (
      <p role="alert" className="rounded-md border border-destructive/40 bg-destructive/10 p-3 text-sm" data-testid="connect-error">
        {t(failed === "denied" ? "connect.denied" : "connect.refused", { platform: t(`connect.platform.${platform}`) })}{" "}
        <Button variant="link" className="h-auto p-0" onClick={close}>
          {t("common.close")}
        </Button>
      </p>
    );
  }
  const chosen: Account | undefined = accounts.data?.find((a) => a.id === accountId);
  const needsPixel = platform === "meta";
  const disabled = !accountId || (needsPixel && !pixelId) || (platform === "tiktok" && !pixelCode.trim());
  return (
    <FormDialog
      open={Boolean(credentialId)}
      onClose={close}
      title={t("connect.pickTitle", { platform: t(`connect.platform.${platform}`) })}
      description={t("connect.pickDescription")}
      testId="account-picker"
      form={{ onSubmit: () => pick.mutate(), submitLabel: t("connect.pick"), busy: pick.isPending, disabled, error: pick.error, submitTestId: "account-pick" }}
    >
      <QueryStates query={accounts} isEmpty={(d) => d.length === 0} empty={t("connect.noAccounts")}>
        {(data) => (
          <div className="grid gap-3">
            <div className="grid gap-1.5">
              <Label htmlFor="connect-account">{t("connect.account")}</Label>
              <NativeSelect id="connect-account" value={accountId} onChange={(e) => setAccountId(e.target.value)} data-testid="account-select">
                <option value="">{t("connect.chooseAccount")}</option>
                {data.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.id}){a.manager ? ` — ${t("connect.manager")}` : ""}
                    {a.login_customer_id ? ` — ${t("connect.through", { id: a.login_customer_id })}` : ""}
                  </option>
                ))}
              </NativeSelect>
            </div>
            {needsPixel && chosen ? (
              <div className="grid gap-1.5">
                <Label htmlFor="connect-pixel">{t("connect.pixel")}</Label>
                <NativeSelect id="connect-pixel" value={pixelId} onChange={(e) => setPixelId(e.target.value)}>
                  <option value="">{t("connect.choosePixel")}</option>
                  {(chosen.pixels ?? []).map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name} ({p.id})
                    </option>
                  ))}
                </NativeSelect>
              </div>
            ) : null}
            {platform === "tiktok" ? (
              <div className="grid gap-1.5">
                <Label htmlFor="connect-pixel-code">{t("connect.pixelCode")}</Label>
                <Input id="connect-pixel-code" value={pixelCode} maxLength={64} onChange={(e) => setPixelCode(e.target.value)} />
              </div>
            ) : null}
          </div>
        )}
      </QueryStates>
    </FormDialog>
  );
}
