import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Building2, ChevronsUpDown, Plus } from "lucide-react";
import { useState } from "react";
import { useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser, useSwitchOrganization } from "@/auth/session";
import { Button } from "@/components/ui/button";
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
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
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
  const fe = fieldErrors(create.error);
  const close = () => {
    onOpenChange(false);
    create.reset();
  };
  return (
    <FormDialog
      open={open}
      onClose={close}
      className="max-w-lg"
      title={t("org.createTitle")}
      description={t("org.createDescription")}
      form={{
        onSubmit: () => create.mutate(name.trim()),
        submitLabel: t("common.create"),
        busy: create.isPending,
        disabled: !name.trim(),
        error: fe.name ? null : create.error,
      }}
    >
      <Field label={t("org.name")} error={fe.name}>
        {(p) => <Input {...p} name="organization_name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} autoFocus />}
      </Field>
    </FormDialog>
  );
}
