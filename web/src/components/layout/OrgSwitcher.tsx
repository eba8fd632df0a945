import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Building2, ChevronsUpDown, Plus } from "lucide-react";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser, useSwitchOrganization } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage, fieldErrors } from "@/lib/errors";

export function OrgSwitcher() {
  const me = useCurrentUser();
  const { t } = useI18n();
  const { toast } = useToast();
  const navigate = useNavigate();
  const switchOrg = useSwitchOrganization();
  const [createOpen, setCreateOpen] = useState(false);

  const doSwitch = (id: string) => {
    if (id === me.organization.id) return;
    switchOrg.mutate(id, {
      onSuccess: (newMe) => {
        toast(t("org.switched", { name: newMe.organization.name }));
        navigate("/");
      },
      onError: (e) => toast(errorMessage(e, t), "error"),
    });
  };

  return (
    <>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="ghost" className="max-w-[55vw] justify-start gap-2 px-2 sm:max-w-xs" aria-label={`${t("org.switch")}: ${me.organization.name}`}>
            <Building2 aria-hidden />
            <span className="truncate" data-testid="current-org">{me.organization.name}</span>
            <ChevronsUpDown className="opacity-60" aria-hidden />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="start" className="w-64">
          <DropdownMenuLabel>{t("org.switcher")}</DropdownMenuLabel>
          <DropdownMenuRadioGroup value={me.organization.id} onValueChange={doSwitch}>
            {me.organizations.map((org) => (
              <DropdownMenuRadioItem key={org.id} value={org.id} disabled={switchOrg.isPending}>
                <span className="truncate">{org.name}</span>
                <span className="ml-auto text-xs text-muted-foreground">{t(`role.${org.role}`)}</span>
              </DropdownMenuRadioItem>
            ))}
          </DropdownMenuRadioGroup>
          <DropdownMenuSeparator />
          <DropdownMenuItem onSelect={() => setCreateOpen(true)} data-testid="create-organization">
            <Plus aria-hidden />
            {t("org.create")}
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      <CreateOrganizationDialog open={createOpen} onOpenChange={setCreateOpen} onCreated={(id) => doSwitch(id)} />
    </>
  );
}

function CreateOrganizationDialog({
  open,
  onOpenChange,
  onCreated,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (id: string) => void;
}) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const create = useMutation({
    mutationFn: (n: string) => unwrap(api.POST("/api/organizations", { body: { name: n } })),
    onSuccess: async (org) => {
      toast(t("org.created", { name: org.name }));
      await qc.invalidateQueries({ queryKey: ["me"] });
      onOpenChange(false);
      setName("");
      onCreated(org.id);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(name.trim());
  };
  const fe = fieldErrors(create.error);
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        onOpenChange(o);
        if (!o) create.reset();
      }}
    >
      <DialogContent>
        <form onSubmit={submit} className="grid gap-4">
          <DialogHeader>
            <DialogTitle>{t("org.createTitle")}</DialogTitle>
            <DialogDescription>{t("org.createDescription")}</DialogDescription>
          </DialogHeader>
          <Field label={t("org.name")} error={fe.name}>
            {(p) => <Input {...p} name="organization_name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} autoFocus />}
          </Field>
          {create.error && !fe.name ? <FormError error={create.error} /> : null}
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" disabled={create.isPending || !name.trim()}>
              {create.isPending ? t("common.saving") : t("common.create")}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
