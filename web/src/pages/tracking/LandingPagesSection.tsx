import { keepPreviousData, useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { FilePlus, FlaskConical } from "lucide-react";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { FormDialog } from "@/components/ui/form-dialog";
import { Label } from "@/components/ui/label";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton, EditButton } from "@/components/ui/row-actions";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { ACTIVITY_DAYS, useLandingStats } from "./activity";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatNumber, formatPercent } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { AbTestForm, weightShares } from "./AbTestForm";
import { LandingPageForm } from "./LandingPageForm";
import { PageTitle } from "./shared";
import { TRACKING_WRITE, type AbTest, type Domain, type AbTestCreate, type LandingPage, type LandingPageCreate, type LandingPageUpdate } from "./types";

type Editing = { mode: "create" } | { mode: "edit"; page: LandingPage } | { mode: "ab" } | null;

/** Largest page the API serves: the domain picker and the A/B test form read one page of this size. */
const ALL = 200;

/** What a manager can do to a test from its card. */
type AbTestActions = { onToggle: () => void; onDelete: () => Promise<unknown>; busy: boolean };

/** A test and its variants, with each weight as a share of the total; with `actions`, buttons to stop or resume and to delete it. */
export function AbTestCard({ test, actions }: { test: AbTest; actions?: AbTestActions }) {
  const { t, locale } = useI18n();
  const shares = weightShares(test.variants.map((v) => v.variant_weight));
  return (
    <Card data-testid="ab-test-card">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 space-y-0 pb-3">
        <CardTitle className="break-words text-base">{test.name}</CardTitle>
        <div className="flex items-center gap-2 text-xs text-muted-foreground">
          <Badge variant={test.is_active ? "success" : "secondary"}>{test.is_active ? t("common.active") : t("common.inactive")}</Badge>
          <time dateTime={test.created_at}>{formatDateTime(test.created_at, locale)}</time>
          {actions ? (
            <>
              <Button variant="outline" size="sm" onClick={actions.onToggle} disabled={actions.busy} data-testid="ab-test-toggle">
                {test.is_active ? t("tracking.ab.stop") : t("tracking.ab.resume")}
              </Button>
              <DeleteButton
                name={test.name}
                title={t("tracking.ab.deleteTitle", { name: test.name })}
                description={t("tracking.ab.deleteDescription")}
                onConfirm={actions.onDelete}
                testId="ab-test-delete"
              />
            </>
          ) : null}
        </div>
      </CardHeader>
      <CardContent>
        <ul className="grid gap-2">
          {test.variants.map((v, i) => (
            <li key={v.page_id} className="grid gap-1" data-testid="ab-variant">
              <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
                <span className="min-w-0 break-words">
                  <span className="font-medium">{v.page_variant ?? v.page_name}</span> <span className="text-muted-foreground">· {v.page_name}</span>
                  {v.is_control ? (
                    <Badge variant="outline" className="ml-2">
                      {t("tracking.lp.control")}
                    </Badge>
                  ) : null}
                </span>
                <span className="tabular-nums" data-testid="ab-variant-share">
                  {formatPercent(shares[i] ?? 0, locale)}
                </span>
              </div>
              <div className="h-2 overflow-hidden rounded-full bg-muted" aria-hidden>
                <div className="h-full rounded-full bg-primary" style={{ width: `${Math.round((shares[i] ?? 0) * 1000) / 10}%` }} />
              </div>
            </li>
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}

export default function LandingPagesSection() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const domains = useQuery({
    queryKey: ["tracking", "domains", "all"],
    queryFn: () => unwrap(api.GET("/api/domains", { params: { query: { page: 1, page_size: ALL } } })),
  });
  const wanted = params.get("domain");
  // Past the empty state there is a first domain to fall back on.
  return (
    <QueryStates
      query={domains}
      isEmpty={(d) => d.items.length === 0}
      empty={t("tracking.lp.noDomains")}
      emptyAction={
        <Button asChild variant="outline" size="sm">
          <Link to="/tracking/domains">{t("tracking.live.goToDomains")}</Link>
        </Button>
      }
    >
      {(d) => <DomainLandingPages domains={d.items} domainId={(d.items.find((x) => x.domain_id === wanted) ?? d.items[0]!).domain_id} />}
    </QueryStates>
  );
}

/** The landing pages and A/B tests of the chosen domain (`?domain=`, else the first). */
function DomainLandingPages({ domains, domainId }: { domains: Domain[]; domainId: string }) {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(TRACKING_WRITE);
  const [, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const [editing, setEditing] = useState<Editing>(null);
  const { toast } = useToast();
  const qc = useQueryClient();
  const stats = useLandingStats();

  const pages = useQuery({
    queryKey: ["tracking", "landing-pages", domainId, page],
    queryFn: () => unwrap(api.GET("/api/landing-pages", { params: { query: { domain_id: domainId, page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const allPages = useQuery({
    queryKey: ["tracking", "landing-pages", domainId, "all"],
    queryFn: () => unwrap(api.GET("/api/landing-pages", { params: { query: { domain_id: domainId, page: 1, page_size: ALL } } })),
  });
  const testIds = [...new Set((allPages.data?.items ?? []).map((p) => p.ab_test_id).filter((x): x is string => x !== null))];
  const tests = useQueries({
    queries: testIds.map((id) => ({
      queryKey: ["tracking", "ab-test", id],
      queryFn: () => unwrap(api.GET("/api/ab-tests/{ab_test_id}", { params: { path: { ab_test_id: id } } })),
    })),
  });
  const testName = (id: string | null) => (id ? (tests.find((q) => q.data?.ab_test_id === id)?.data?.name ?? id.slice(0, 8)) : null);

  const invalidate = () => {
    void qc.invalidateQueries({ queryKey: ["tracking", "landing-pages"] });
    void qc.invalidateQueries({ queryKey: ["tracking", "ab-test"] });
  };
  const save = useMutation({
    mutationFn: (body: LandingPageCreate | LandingPageUpdate) =>
      editing?.mode === "edit"
        ? unwrap(api.PATCH("/api/landing-pages/{page_id}", { params: { path: { page_id: editing.page.page_id } }, body: body as LandingPageUpdate }))
        : unwrap(api.POST("/api/landing-pages", { body: body as LandingPageCreate })),
    onSuccess: (p) => {
      toast(t(editing?.mode === "edit" ? "tracking.lp.updated" : "tracking.lp.created", { name: p.page_name }));
      invalidate();
      setEditing(null);
    },
  });
  const createTest = useMutation({
    mutationFn: (body: AbTestCreate) => unwrap(api.POST("/api/ab-tests", { body })),
    onSuccess: (test) => {
      toast(t("tracking.ab.created", { name: test.name }));
      qc.setQueryData(["tracking", "ab-test", test.ab_test_id], test);
      invalidate();
      setEditing(null);
    },
  });
  const changeTest = useMutation({
    mutationFn: (test: AbTest) =>
      unwrap(api.PATCH("/api/ab-tests/{ab_test_id}", { params: { path: { ab_test_id: test.ab_test_id } }, body: { is_active: !test.is_active } })),
    onSuccess: (test) => {
      toast(t(test.is_active ? "tracking.ab.resumed" : "tracking.ab.stopped", { name: test.name }));
      qc.setQueryData(["tracking", "ab-test", test.ab_test_id], test);
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const removeTest = useMutation({
    mutationFn: (test: AbTest) => unwrap(api.DELETE("/api/ab-tests/{ab_test_id}", { params: { path: { ab_test_id: test.ab_test_id } } })),
    onSuccess: (_r, test) => {
      toast(t("tracking.ab.deleted", { name: test.name }));
      invalidate();
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const remove = useMutation({
    mutationFn: (p: LandingPage) => unwrap(api.DELETE("/api/landing-pages/{page_id}", { params: { path: { page_id: p.page_id } } })),
    onSuccess: (_r, p) => {
      toast(t("tracking.lp.deleted", { name: p.page_name }));
      invalidate();
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });

  const close = () => {
    setEditing(null);
    save.reset();
    createTest.reset();
  };
  const chooseDomain = (id: string) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      next.set("domain", id);
      next.delete("page");
      return next;
    });

  const addButton = canWrite ? (
    <Button onClick={() => setEditing({ mode: "create" })} data-testid="add-landing-page">
      <FilePlus aria-hidden />
      {t("tracking.lp.add")}
    </Button>
  ) : null;
  const domainPages = allPages.data?.items ?? [];

  return (
    <div className="grid grid-cols-1 gap-6">
      <section className="grid grid-cols-1 gap-4">
        <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
          <PageTitle title={t("tracking.lp.title")} subtitle={t("tracking.lp.description")} />
          {addButton}
        </div>
        <div className="grid max-w-sm gap-1.5">
          <Label htmlFor="lp-domain">{t("tracking.lp.domain")}</Label>
          <Select value={domainId} onValueChange={chooseDomain}>
            <SelectTrigger id="lp-domain" data-testid="lp-domain">
              <SelectValue placeholder={t("tracking.lp.chooseDomain")} />
            </SelectTrigger>
            <SelectContent>
              {domains.map((d) => (
                <SelectItem key={d.domain_id} value={d.domain_id}>
                  {d.domain_name}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </div>
        <QueryStates query={pages} isEmpty={(d) => d.items.length === 0} empty={t("tracking.lp.empty")} emptyAction={addButton}>
          {(data) => (
            <div>
              <Table>
                <THead>
                  <TR>
                    <TH>{t("tracking.lp.name")}</TH>
                    <TH>{t("tracking.lp.variant")}</TH>
                    <TH className="text-right">{t("tracking.lp.weight")}</TH>
                    <TH>{t("tracking.lp.abTest")}</TH>
                    <TH className="text-right" title={t("tracking.lp.windowTitle", { days: ACTIVITY_DAYS })}>
                      {t("tracking.lp.sessions", { days: ACTIVITY_DAYS })}
                    </TH>
                    <TH className="text-right">{t("tracking.lp.leads")}</TH>
                    <TH className="text-right">{t("tracking.lp.rate")}</TH>
                    <TH>{t("members.status")}</TH>
                    {canWrite ? <TH className="text-right">{t("common.actions")}</TH> : null}
                  </TR>
                </THead>
                <TBody>
                  {data.items.map((p) => (
                    <TR key={p.page_id} data-testid="landing-page-row">
                      <TD className="max-w-[22rem]">
                        <div className="break-words font-medium">{p.page_name}</div>
                        <div className="break-all text-xs text-muted-foreground">{p.page_url}</div>
                      </TD>
                      <TD>
                        {p.page_variant ?? <span className="text-muted-foreground">{t("tracking.none")}</span>}
                        {p.is_control ? (
                          <Badge variant="outline" className="ml-2">
                            {t("tracking.lp.control")}
                          </Badge>
                        ) : null}
                      </TD>
                      <TD className="text-right tabular-nums">{formatNumber(p.variant_weight, locale)}</TD>
                      <TD className="break-words">{testName(p.ab_test_id) ?? <span className="text-muted-foreground">{t("tracking.none")}</span>}</TD>
                      <TD className="text-right tabular-nums" data-testid="lp-sessions">
                        {formatNumber(stats(p.page_id).sessions, locale)}
                      </TD>
                      <TD className="text-right tabular-nums" data-testid="lp-leads">
                        {formatNumber(stats(p.page_id).converted, locale)}
                      </TD>
                      <TD className="text-right tabular-nums" data-testid="lp-rate">
                        {stats(p.page_id).rate}
                      </TD>
                      <TD>
                        <Badge variant={p.is_active ? "success" : "secondary"}>{p.is_active ? t("common.active") : t("common.inactive")}</Badge>
                      </TD>
                      {canWrite ? (
                        <TD className="text-right">
                          <div className="flex justify-end gap-1">
                            <EditButton name={p.page_name} onClick={() => setEditing({ mode: "edit", page: p })} />
                            <DeleteButton
                              name={p.page_name}
                              title={t("tracking.lp.deleteTitle", { name: p.page_name })}
                              description={t("tracking.lp.deleteConfirm")}
                              onConfirm={() => remove.mutateAsync(p)}
                            />
                          </div>
                        </TD>
                      ) : null}
                    </TR>
                  ))}
                </TBody>
              </Table>
              <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
            </div>
          )}
        </QueryStates>
      </section>

      <section className="grid grid-cols-1 gap-4">
        <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
          <PageTitle title={t("tracking.ab.title")} />
          {canWrite ? (
            <Button variant="outline" onClick={() => setEditing({ mode: "ab" })} disabled={domainPages.length < 2} data-testid="create-ab-test" title={domainPages.length < 2 ? t("tracking.ab.notEnoughPages") : undefined}>
              <FlaskConical aria-hidden />
              {t("tracking.ab.create")}
            </Button>
          ) : null}
        </div>
        <QueryStates
          query={allPages}
          isEmpty={() => testIds.length === 0}
          empty={domainPages.length < 2 && canWrite ? t("tracking.ab.notEnoughPages") : t("tracking.ab.empty")}
        >
          {() => (
            <div className="grid gap-4 md:grid-cols-2">
              {tests.map((q, i) => (
                <QueryStates key={testIds[i]} query={q}>
                  {(test) => (
                    <AbTestCard
                      test={test}
                      actions={
                        canWrite
                          ? {
                              onToggle: () => changeTest.mutate(test),
                              onDelete: () => removeTest.mutateAsync(test),
                              busy: changeTest.isPending,
                            }
                          : undefined
                      }
                    />
                  )}
                </QueryStates>
              ))}
            </div>
          )}
        </QueryStates>
      </section>

      <FormDialog
        open={editing !== null}
        onClose={close}
        className={editing?.mode === "ab" ? "max-w-3xl" : "max-w-xl"}
        title={editing?.mode === "edit" ? t("tracking.lp.editTitle", { name: editing.page.page_name }) : editing?.mode === "ab" ? t("tracking.ab.createTitle") : t("tracking.lp.addTitle")}
        description={editing?.mode === "ab" ? t("tracking.ab.createDescription") : t("tracking.lp.description")}
      >
        {editing?.mode === "ab" ? (
          <AbTestForm
            domainId={domainId}
            pages={domainPages}
            onSubmit={(body) => createTest.mutate(body)}
            onCancel={close}
            error={createTest.error}
            busy={createTest.isPending}
          />
        ) : editing ? (
          <LandingPageForm
            key={editing.mode === "edit" ? editing.page.page_id : "new"}
            domainId={domainId}
            page={editing.mode === "edit" ? editing.page : undefined}
            onSubmit={(body) => save.mutate(body)}
            onCancel={close}
            error={save.error}
            busy={save.isPending}
          />
        ) : null}
      </FormDialog>
    </div>
  );
}
