import { File as NodeFile } from "node:buffer";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import AdAccountsSection from "./AdAccountsSection";
import SpendCsvSection, { mappingProblems } from "./SpendCsvSection";
import type { AdAccount, SpendImport } from "./types";

const admin = makeMe(["analytics:read", "analytics:admin", "credentials:read"]);

afterEach(() => vi.unstubAllGlobals());

function run(over: Partial<SpendImport> = {}): SpendImport {
  return {
    id: "run-1",
    ad_account_id: "acc-1",
    platform: "meta",
    account_id: "act_1",
    kind: "daily",
    date_from: "2026-11-01",
    date_to: "2026-11-28",
    status: "succeeded",
    rows: 280,
    errors: [],
    error: null,
    days_total: 28,
    days_done: 28,
    started_at: "2026-11-29T06:00:00Z",
    finished_at: "2026-11-29T06:00:04Z",
    duration_ms: 4200,
    created_at: "2026-11-29T06:00:00Z",
    ...over,
  };
}

function account(over: Partial<AdAccount> = {}): AdAccount {
  return {
    id: "acc-1",
    platform: "meta",
    account_id: "act_1",
    name: "Main store",
    credential_id: "cred-meta",
    timezone: "America/Sao_Paulo",
    currency: "BRL",
    conversion_types: [],
    is_active: true,
    last_imported_at: "2026-11-29T06:00:04Z",
    created_at: "2026-11-01T00:00:00Z",
    last_run: run(),
    ...over,
  };
}

const page = <T,>(items: T[]) => ({ items, total: items.length, page: 1, page_size: 20 });
const credential = (id: string, name: string, service: string) => ({ id, name, service, is_active: true, api_key: "••••", api_url: null, settings: {}, created_at: "2026-11-01T00:00:00Z" });

describe("AdAccountsSection", () => {
  function stub(accounts: AdAccount[], runs: SpendImport[]) {
    const state = { accounts, runs };
    const api = routeFetch({
      "GET /api/analytics/spend/accounts": () => jsonResponse(state.accounts),
      "GET /api/analytics/spend/imports": () => jsonResponse(page(state.runs)),
      "GET /api/credentials": (url) => {
        const service = url.searchParams.get("service");
        const all = [credential("cred-meta", "Meta reporting", "meta_ads"), credential("cred-tt", "TikTok reporting", "tiktok_ads")];
        return jsonResponse(page(service ? all.filter((c) => c.service === service) : all));
      },
      "POST /api/analytics/spend/accounts": (_url, init) => {
        const body = JSON.parse(String(init?.body));
        const created = account({ id: "acc-2", ...body, last_run: null, last_imported_at: null });
        state.accounts = [...state.accounts, created];
        return jsonResponse(created, 201);
      },
      "DELETE /api/analytics/spend/accounts/acc-1": () => {
        state.accounts = state.accounts.filter((a) => a.id !== "acc-1");
        return jsonResponse(null, 204);
      },
      "POST /api/analytics/spend/accounts/acc-1/backfill": () => {
        const queued = run({ id: "run-2", kind: "backfill", status: "running", rows: 40, days_total: 90, days_done: 9, finished_at: null, duration_ms: null });
        state.runs = [queued, ...state.runs];
        state.accounts = state.accounts.map((a) => (a.id === "acc-1" ? { ...a, last_run: queued } : a));
        return jsonResponse(queued, 202);
      },
    });
    vi.stubGlobal("fetch", api.fetch);
    return { api, state };
  }

  it("lists the accounts with credential, last import and status, and adds one with a credential of its platform", async () => {
    const user = userEvent.setup();
    const { api } = stub([account()], [run()]);
    renderWithProviders(<AdAccountsSection />, { me: admin });
    const [row] = await screen.findAllByTestId("ad-account-row");
    expect(row).toHaveTextContent("Meta");
    expect(row).toHaveTextContent("Main store");
    expect(row).toHaveTextContent("act_1");
    expect(await within(row).findByText("Meta reporting")).toBeInTheDocument();
    expect(within(row).getByTestId("run-status")).toHaveTextContent("Succeeded");

    await user.click(screen.getByTestId("add-ad-account"));
    const dialog = await screen.findByTestId("ad-account-dialog");
    await user.selectOptions(within(dialog).getByTestId("ad-account-platform"), "tiktok");
    await waitFor(() => expect(within(dialog).getByRole("option", { name: "TikTok reporting" })).toBeInTheDocument());
    expect(within(dialog).queryByRole("option", { name: "Meta reporting" })).toBeNull();
    expect(api.calls.some((c) => c.url.pathname === "/api/credentials" && c.url.searchParams.get("service") === "tiktok_ads")).toBe(true);
    expect(within(dialog).getByTestId("ad-account-submit")).toBeDisabled();
    await user.type(within(dialog).getByTestId("ad-account-id"), " 7012345 ");
    await user.selectOptions(within(dialog).getByTestId("ad-account-credential"), "cred-tt");
    await user.clear(within(dialog).getByTestId("ad-account-currency"));
    await user.type(within(dialog).getByTestId("ad-account-currency"), "usd");
    await user.click(within(dialog).getByTestId("ad-account-submit"));
    await waitFor(() =>
      expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({
        platform: "tiktok",
        account_id: "7012345",
        name: null,
        credential_id: "cred-tt",
        timezone: "America/Sao_Paulo",
        currency: "USD",
      }),
    );
    await waitFor(() => expect(screen.getAllByTestId("ad-account-row")).toHaveLength(2));
    expect(screen.getAllByTestId("ad-account-row")[1]).toHaveTextContent("Not imported yet");
  });

  it("shows the server's refusal under the form's field", async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      "fetch",
      routeFetch({
        "GET /api/analytics/spend/accounts": () => jsonResponse([]),
        "GET /api/analytics/spend/imports": () => jsonResponse(page([])),
        "GET /api/credentials": () => jsonResponse(page([credential("cred-meta", "Meta reporting", "meta_ads")])),
        "POST /api/analytics/spend/accounts": () => errorResponse(422, "validation_error", "Some fields are invalid.", [{ loc: "body.timezone", message: "an IANA timezone such as America/Sao_Paulo" }]),
      }).fetch,
    );
    renderWithProviders(<AdAccountsSection />, { me: admin });
    expect(await screen.findByText("No ad account yet. Connect one to import its spend.")).toBeInTheDocument();
    await user.click(screen.getAllByTestId("add-ad-account")[0]!);
    const dialog = await screen.findByTestId("ad-account-dialog");
    await user.type(within(dialog).getByTestId("ad-account-id"), "act_9");
    await waitFor(() => expect(within(dialog).getByRole("option", { name: "Meta reporting" })).toBeInTheDocument());
    await user.selectOptions(within(dialog).getByTestId("ad-account-credential"), "cred-meta");
    await user.clear(within(dialog).getByTestId("ad-account-timezone"));
    await user.type(within(dialog).getByTestId("ad-account-timezone"), "Mars/Olympus");
    await user.click(within(dialog).getByTestId("ad-account-submit"));
    expect(await within(dialog).findAllByText(/an IANA timezone such as America\/Sao_Paulo/)).not.toHaveLength(0);
  });

  it("removes an account after confirmation", async () => {
    const user = userEvent.setup();
    const { api } = stub([account()], []);
    renderWithProviders(<AdAccountsSection />, { me: admin });
    await screen.findByTestId("ad-account-row");
    await user.click(screen.getByTestId("remove-ad-account"));
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "DELETE" && c.url.pathname === "/api/analytics/spend/accounts/acc-1")).toBe(true));
    expect(await screen.findByText("No ad account yet. Connect one to import its spend.")).toBeInTheDocument();
  });

  it("starts a backfill of the chosen months and follows its progress in the log until it ends", async () => {
    const user = userEvent.setup();
    const { api, state } = stub([account()], [run()]);
    renderWithProviders(<AdAccountsSection />, { me: admin });
    await screen.findByTestId("ad-account-row");
    await user.click(screen.getByTestId("backfill-button"));
    const dialog = await screen.findByTestId("backfill-dialog");
    await user.selectOptions(within(dialog).getByTestId("backfill-months"), "3");
    await user.click(within(dialog).getByTestId("backfill-submit"));
    await waitFor(() => expect(api.calls.find((c) => c.url.pathname.endsWith("/backfill"))?.body).toEqual({ months: 3 }));
    await waitFor(() => expect(screen.getAllByTestId("import-row")).toHaveLength(2));
    const running = screen.getAllByTestId("import-row")[0]!;
    expect(running).toHaveTextContent("Backfill");
    expect(running).toHaveTextContent("Running");
    expect(running).toHaveTextContent("9 of 90 days");
    expect(within(running).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "9");
    expect(screen.getByTestId("backfill-button")).toBeDisabled();

    // the worker finishes: the polled log shows it, with its errors readable
    const finished = run({
      id: "run-2",
      kind: "backfill",
      status: "failed",
      rows: 120,
      days_total: 90,
      days_done: 30,
      duration_ms: 61_000,
      error: "2026-09-01..2026-09-30: HTTP 429",
      errors: [{ window: ["2026-09-01", "2026-09-30"], attempt: 2, message: "HTTP 429" }],
    });
    state.runs = [finished, run()];
    state.accounts = [account({ last_run: finished })];
    await waitFor(() => expect(screen.getAllByTestId("import-row")[0]).toHaveTextContent("Failed"), { timeout: 5000 });
    const failed = screen.getAllByTestId("import-row")[0]!;
    expect(failed).toHaveTextContent("61 s");
    fireEvent.click(within(failed).getByText("2 error(s)"));
    expect(within(failed).getByTestId("run-errors")).toHaveTextContent("2026-09-01 – 2026-09-30 · attempt 2: HTTP 429");
    await waitFor(() => expect(screen.getByTestId("ad-account-row")).toHaveTextContent("2026-09-01..2026-09-30: HTTP 429"));
  });

  it("shows Portuguese labels and no admin actions to a reader", async () => {
    stub([account()], [run()]);
    renderWithProviders(<AdAccountsSection />, { me: makeMe(["analytics:read"]), locale: "pt-BR" });
    await screen.findByTestId("ad-account-row");
    expect(screen.getByRole("heading", { name: "Contas de anúncio" })).toBeInTheDocument();
    expect(screen.getByText("Última importação")).toBeInTheDocument();
    expect(screen.getByTestId("ad-account-row")).toHaveTextContent("Concluída");
    expect(screen.getByText("Registro de importações")).toBeInTheDocument();
    expect(screen.queryByTestId("add-ad-account")).toBeNull();
    expect(screen.queryByTestId("backfill-button")).toBeNull();
  });
});

const PREVIEW = {
  columns: ["Date", "Campaign", "Amount spent", "Impressions"],
  sample_rows: [
    { Date: "2026-11-01", Campaign: "Pins Nov", "Amount spent": "10,50", Impressions: "1000" },
    { Date: "2026-11-02", Campaign: "Pins Nov", "Amount spent": "-3", Impressions: "x" },
  ],
  row_count: 2,
  delimiter: ";",
  suggested_mapping: { day: "Date", campaign_name: "Campaign", impressions: "Impressions" },
  fields: ["day", "spend", "currency", "campaign_id", "campaign_name", "impressions"],
};

async function sentForm(body: unknown): Promise<string> {
  return body && typeof (body as Blob).text === "function" ? await (body as Blob).text() : String(body);
}

/** jsdom's File and FormData cannot be read by the fetch of Node (undici): uploads use Node's own. */
async function nodeUploads(): Promise<(parts: string[], name: string) => File> {
  const form = await new Response("a=1", { headers: { "content-type": "application/x-www-form-urlencoded" } }).formData();
  vi.stubGlobal("FormData", form.constructor);
  return (parts, name) => new NodeFile(parts, name, { type: "text/csv" }) as unknown as File;
}

describe("SpendCsvSection", () => {
  it("previews the file, lets the mapping be fixed, imports it and lists the row errors of a refused file", async () => {
    const user = userEvent.setup();
    let refuse = true;
    const api = routeFetch({
      "POST /api/analytics/spend/csv/preview": () => jsonResponse(PREVIEW),
      "POST /api/analytics/spend/csv": () =>
        refuse
          ? errorResponse(422, "validation_error", "2 row(s) are not valid; nothing was imported.", [
              { row: 3, column: "Amount spent", message: "negative" },
              { row: 3, column: "Impressions", message: "not a number" },
            ])
          : jsonResponse(run({ kind: "csv", platform: "pinterest", account_id: "csv", ad_account_id: null, rows: 2, date_from: "2026-11-01", date_to: "2026-11-02" }), 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    const csvFile = await nodeUploads();
    renderWithProviders(<SpendCsvSection />, { me: admin });
    const file = csvFile(["Date;Campaign;Amount spent;Impressions\n2026-11-01;Pins Nov;10,50;1000\n"], "pins.csv");
    await user.upload(screen.getByTestId("csv-file"), file);

    const form = await screen.findByTestId("csv-mapping-form");
    expect(within(form).getByTestId("csv-sample")).toHaveTextContent("Pins Nov");
    expect(within(form).getByText(/2 row\(s\), 4 column\(s\), separated by “;”/)).toBeInTheDocument();
    expect(within(form).getByTestId("map-day")).toHaveValue("Date");
    expect(within(form).getByTestId("map-spend")).toHaveValue("");
    expect(within(form).getByTestId("csv-mapping-problems")).toHaveTextContent("Choose the column of the spend.");
    expect(within(form).getByTestId("csv-import")).toBeDisabled();
    const preview = api.calls.find((c) => c.url.pathname.endsWith("/csv/preview"))!;
    expect(await sentForm(preview.body)).toContain("Date;Campaign;Amount spent;Impressions");

    await user.selectOptions(within(form).getByTestId("map-spend"), "Amount spent");
    await user.type(within(form).getByTestId("csv-currency"), "brl");
    await user.clear(within(form).getByTestId("csv-source"));
    await user.type(within(form).getByTestId("csv-source"), "pinterest");
    expect(within(form).queryByTestId("csv-mapping-problems")).toBeNull();
    await user.click(within(form).getByTestId("csv-import"));

    const errors = await screen.findByTestId("csv-row-errors");
    expect(errors).toHaveTextContent("2 row error(s): nothing was imported.");
    const lines = within(errors).getAllByTestId("csv-row-error");
    expect(lines.map((l) => l.textContent)).toEqual(["3Amount spentnegative", "3Impressionsnot a number"]);
    const sent = await sentForm(api.calls.find((c) => c.url.pathname === "/api/analytics/spend/csv")!.body);
    expect(sent).toContain('{"day":"Date","campaign_name":"Campaign","impressions":"Impressions","spend":"Amount spent"}');
    expect(sent).toMatch(/name="currency"\r\n\r\nBRL\r\n/);
    expect(sent).toMatch(/name="source"\r\n\r\npinterest\r\n/);

    refuse = false;
    await user.click(within(form).getByTestId("csv-import"));
    const result = await screen.findByTestId("csv-result");
    expect(result).toHaveTextContent("2 row(s) imported");
    expect(within(result).getByRole("link", { name: "See them in the Ads report" })).toHaveAttribute("href", "/analytics/ads?date_from=2026-11-01&date_to=2026-11-02");
  });

  it("says what the mapping lacks, in Portuguese", () => {
    expect(mappingProblems({}, "")).toEqual(["spend.csv.needDay", "spend.csv.needSpend", "spend.csv.needCampaign", "spend.csv.needCurrency"]);
    expect(mappingProblems({ day: "d", spend: "s", campaign_id: "c" }, "BRL")).toEqual([]);
    renderWithProviders(<SpendCsvSection />, { me: admin, locale: "pt-BR" });
    expect(screen.getByText("Importar gastos de um CSV")).toBeInTheDocument();
    expect(screen.getByLabelText("Arquivo CSV")).toBeInTheDocument();
  });
});
