import { useMutation, useQuery } from "@tanstack/react-query";
import { AlertTriangle } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import type { ApiKeyCreated } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { SecretValue } from "@/components/ui/copy-button";
import { DialogFooter } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { QueryStates } from "@/components/ui/query-states";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";

/**
 * Create an API key. After creation the dialog shows the full key exactly once; when
 * it closes, the key is dropped from memory and only its prefix remains in the list.
 */
export function ApiKeyCreateDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (o: boolean) => void; onCreated?: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>([]);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  const scopesQuery = useQuery({
    queryKey: ["api-key-scopes"],
    queryFn: () => unwrap(api.GET("/api/api-keys/scopes")),
    enabled: open,
    staleTime: 5 * 60_000,
  });

  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/api-keys", { body: { name: name.trim(), scopes } })),
    onSuccess: (res) => {
      setCreated(res);
      onCreated?.();
    },
  });

  const close = () => {
    onOpenChange(false);
    setCreated(null);
    setName("");
    setScopes([]);
    create.reset();
  };

  const fe = fieldErrors(create.error);

  return (
    <FormDialog
      open={open}
      onClose={close}
      className="max-w-lg"
      // Do not lose the only copy of the key with a stray click.
      keepOnOutsideClick={created !== null}
      title={created ? t("apiKeys.createdTitle") : t("apiKeys.createTitle")}
      description={
        created ? (
          <span className="flex items-start gap-2 text-warning">
            <AlertTriangle className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
            <span>{t("apiKeys.createdWarning")}</span>
          </span>
        ) : (
          t("apiKeys.description")
        )
      }
      form={
        created
          ? undefined
          : {
              onSubmit: () => create.mutate(),
              submitLabel: t("common.create"),
              busy: create.isPending,
              disabled: !name.trim() || scopes.length === 0,
              error: fe.name || fe.scopes ? null : create.error,
              submitTestId: "api-key-submit",
            }
      }
    >
      {created ? (
        <>
          <SecretValue value={created.key} testId="new-api-key" />
          <DialogFooter>
            <Button onClick={close} data-testid="api-key-done">
              {t("apiKeys.done")}
            </Button>
          </DialogFooter>
        </>
      ) : (
        <>
          <Field label={t("apiKeys.name")} error={fe.name}>
            {(p) => (
              <Input {...p} name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder={t("apiKeys.namePlaceholder")} required maxLength={200} autoFocus />
            )}
          </Field>
          <fieldset className="grid gap-2">
            <legend className="mb-1 text-sm font-medium">{t("apiKeys.scopes")}</legend>
            <p className="text-xs text-muted-foreground">{t("apiKeys.scopesHint")}</p>
            <QueryStates query={scopesQuery} isEmpty={(d) => d.length === 0} empty={<p className="text-sm text-muted-foreground">{t("apiKeys.noScopes")}</p>}>
              {(available) => (
                <ul className="grid max-h-64 gap-2 overflow-y-auto pr-1">
                  {available.map((s) => {
                    const id = `scope-${s.scope}`;
                    return (
                      <li key={s.scope} className="flex items-start gap-2">
                        <Checkbox
                          id={id}
                          checked={scopes.includes(s.scope)}
                          onCheckedChange={(c) => setScopes((prev) => (c === true ? [...prev, s.scope] : prev.filter((x) => x !== s.scope)))}
                          className="mt-0.5"
                        />
                        <Label htmlFor={id} className="grid gap-0.5 font-normal">
                          <code className="text-xs font-semibold">{s.scope}</code>
                          <span className="text-xs text-muted-foreground">{s.description}</span>
                        </Label>
                      </li>
                    );
                  })}
                </ul>
              )}
            </QueryStates>
            {fe.scopes ? <p className="text-xs font-medium text-destructive">{fe.scopes}</p> : null}
          </fieldset>
        </>
      )}
    </FormDialog>
  );
}
