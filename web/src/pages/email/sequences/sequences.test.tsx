import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { translate } from "@/i18n";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import SequenceEditor from "./SequenceEditor";
import { SequenceList } from "./SequencesPage";
import { describeCondition, splitWait, toMinutes, type Sequence, type SequenceReport, type SequenceStep } from "./types";

const XSS = "<img src=x onerror=alert(1)>";
const WRITER = makeMe(["email:read", "email:write"]);
const READER = makeMe(["email:read"]);

function stepOf(position: number, over: Partial<SequenceStep> = {}): SequenceStep {
  return {
    step_id: `st${position}`,
    position,
    wait_minutes: 0,
    condition: null,
    otherwise: "skip",
    campaign_id: `c${position}`,
    template_id: null,
    subject: `Assunto ${position}`,
    html: "<p>Oi</p>",
    text: "",
    sender_id: null,
    ...over,
  };
}

function sequenceOf(over: Partial<Sequence> = {}): Sequence {
  return {
    sequence_id: "s1",
    name: "Boas-vindas",
    trigger: "lead_created",
    trigger_stage: null,
    trigger_minutes: 0,
    reentry: "after_exit",
    status: "draft",
    exit_on_reply: true,
    exit_stages: ["won"],
    from_name: "Loja",
    from_address: "contato@loja.com.br",
    reply_to: null,
    sender_id: null,
    activated_at: null,
    created_at: "2026-12-01T12:00:00Z",
    steps: [],
    active_enrollments: 0,
    ...over,
  };
}

function reportOf(steps: SequenceStep[], figures: Partial<SequenceReport["steps"][number]>[] = []): SequenceReport {
  return {
    sequence_id: "s1",
    enrolled: 12,
    active: 5,
    completed: 4,
    exited: 3,
    exits: { replied: 2, paid: 1 },
    steps: steps.map((s, i) => ({
      step_id: s.step_id,
      position: s.position,
      campaign_id: s.campaign_id,
      subject: s.subject,
      waiting: 0,
      sent: 0,
      skipped: 0,
      refused: 0,
      unique_opens: 0,
      human_opens: 0,
      unique_clicks: 0,
      unsubscribes: 0,
      exited: 0,
      leads: 0,
      won_leads: 0,
      revenue: [],
      ...figures[i],
    })),
  };
}

const NOBODY = () => jsonResponse({ items: [], total: 0, page: 1, page_size: 50 });

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("waits and conditions in words", () => {
  it("splits a wait into its largest whole unit and back", () => {
    expect(splitWait(2880)).toEqual({ amount: 2, unit: "days" });
    expect(splitWait(180)).toEqual({ amount: 3, unit: "hours" });
    expect(splitWait(90)).toEqual({ amount: 90, unit: "minutes" });
    expect(splitWait(0)).toEqual({ amount: 0, unit: "minutes" });
    expect(toMinutes(2, "days")).toBe(2880);
    expect(toMinutes(-1, "hours")).toBe(0);
  });

  it("describes conditions in both languages", () => {
    const en = (key: Parameters<typeof translate>[1], vars?: Parameters<typeof translate>[2]) => translate("en", key, vars);
    const pt = (key: Parameters<typeof translate>[1], vars?: Parameters<typeof translate>[2]) => translate("pt-BR", key, vars);
    expect(describeCondition({ kind: "stage", stages: ["qualified", "won"], negate: false }, en)).toBe("Only if the lead is in Qualified, Won");
    expect(describeCondition({ kind: "previous_email", event: "not_opened" }, pt)).toBe("Só se não abriu o e-mail anterior");
    expect(describeCondition({ kind: "tag", tag: "vip", negate: true }, pt)).toBe("Só se o contato não tiver a etiqueta “vip”");
    expect(describeCondition(null, en)).toBe("Sent to everyone still in the sequence");
  });
});

describe("SequenceList", () => {
  it("lists sequences as text with their trigger and CSV", async () => {
    vi.stubGlobal(
      "fetch",
      routeFetch({
        "GET /api/email/sequences": () =>
          jsonResponse([
            sequenceOf({ name: XSS, status: "active", steps: [stepOf(1), stepOf(2)], active_enrollments: 7 }),
            sequenceOf({ sequence_id: "s2", name: "Recuperação PIX", trigger: "pix_unpaid", trigger_minutes: 30 }),
          ]),
      }).fetch,
    );
    const { container } = renderWithProviders(<SequenceList />, { me: WRITER });
    const table = await screen.findByTestId("sequences-table");
    expect(within(table).getByText(XSS)).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
    expect(within(table).getByText("A PIX stays unpaid for 30 min (recovery)")).toBeInTheDocument();
    expect(within(table).getByText("Active")).toBeInTheDocument();
    expect(screen.getByTestId("csv-button")).toBeInTheDocument();
  });

  it("shows the empty state in Portuguese, without the create button for readers", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/sequences": () => jsonResponse([]) }).fetch);
    renderWithProviders(<SequenceList />, { me: READER, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhuma sequência ainda/)).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Sequências de e-mail" })).toBeInTheDocument();
    expect(screen.queryByTestId("sequence-new")).toBeNull();
  });

  it("creates a stage sequence and shows the server's refusal", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/sequences": () => jsonResponse([]),
      "POST /api/email/sequences": () => errorResponse(422, "validation_error", "Some fields are invalid.", [{ loc: "body.from_address", message: "Not a valid address.", type: "value_error" }]),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<SequenceList />, { me: WRITER });
    await user.click(await screen.findByTestId("sequence-new"));
    const dialog = await screen.findByTestId("sequence-form");
    await user.type(within(dialog).getByLabelText("Name"), "Qualificados");
    await user.selectOptions(within(dialog).getByLabelText("Starts when"), "stage_changed");
    await user.selectOptions(within(dialog).getByLabelText("Stage"), "proposal");
    await user.selectOptions(within(dialog).getByLabelText("When the same person triggers it again"), "always");
    await user.type(within(dialog).getByLabelText("Sender name"), "Loja");
    await user.type(within(dialog).getByLabelText("Sender address"), "vendas@loja.com.br");
    await user.click(within(dialog).getByRole("button", { name: "New sequence" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("from_address: Not a valid address.");
    expect(api.calls.find((c) => c.method === "POST")?.body).toMatchObject({
      name: "Qualificados",
      trigger: "stage_changed",
      trigger_stage: "proposal",
      trigger_minutes: 0,
      reentry: "always",
      exit_on_reply: true,
      exit_stages: ["won", "lost"],
      from_address: "vendas@loja.com.br",
      reply_to: null,
    });
  });
});

describe("SequenceEditor", () => {
  const steps = [
    stepOf(1),
    stepOf(2, { wait_minutes: 2880, condition: { kind: "previous_email", event: "not_opened" }, otherwise: "exit" }),
  ];

  it("shows the e-mails as a timeline with waits, conditions and each step's figures", async () => {
    const report = reportOf(steps, [{ sent: 120, unique_opens: 60, unique_clicks: 15, leads: 4, revenue: [{ currency: null, amount: "1994.00" }] }, { waiting: 5, skipped: 2 }]);
    const api = routeFetch({
        "POST /api/email/sequences/replies": () => jsonResponse({ exited: 2 }),
        "GET /api/email/sequences/s1": () => jsonResponse(sequenceOf({ status: "active", steps })),
        "GET /api/email/sequences/s1/report": () => jsonResponse(report),
        "GET /api/email/sequences/s1/enrollments": (url) =>
          jsonResponse({
            items:
              url.searchParams.get("status") === "exited"
                ? [{ enrollment_id: "e2", sequence_id: "s1", contact_id: "c2", email: "bia@cliente.com.br", lead_id: null, occurrence: "payment:p1", position: 1, next_run_at: null, status: "exited", exit_reason: "replied", enrolled_at: "2026-12-01T12:00:00Z", finished_at: "2026-12-02T12:00:00Z" }]
                : [{ enrollment_id: "e1", sequence_id: "s1", contact_id: "c1", email: "ana@cliente.com.br", lead_id: null, occurrence: "lead:l1", position: 2, next_run_at: "2026-12-03T12:00:00Z", status: "active", exit_reason: null, enrolled_at: "2026-12-01T12:00:00Z", finished_at: null }],
            total: 1,
            page: 1,
            page_size: 50,
          }),
      });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<SequenceEditor />, { me: WRITER, route: "/email/sequences/s1", path: "/email/sequences/:sequenceId" });
    const rows = await screen.findAllByTestId("step-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("Sent right away");
    expect(rows[1]).toHaveTextContent("Wait 2 days");
    expect(rows[1]).toHaveTextContent("Only if they did not open the previous e-mail — otherwise the sequence ends");
    await waitFor(() => expect(rows[0]).toHaveTextContent("120"));
    expect(rows[0]).toHaveTextContent("R$");
    expect(rows[0]).toHaveTextContent("1,994.00");
    expect(rows[1]).toHaveTextContent("Waiting: 5 · Skipped: 2");
    expect(screen.getByTestId("exit-rules")).toHaveTextContent("the lead replies · the lead moves to Won");
    expect(screen.getByText("Replied: 2")).toBeInTheDocument();
    expect(screen.getByTestId("sequence-toggle")).toHaveTextContent("Pause");
    const table = await screen.findByTestId("enrollments-table");
    expect(within(table).getByText("ana@cliente.com.br")).toBeInTheDocument();
    expect(within(table).getByText("In progress")).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(within(table).getByRole("button", { name: "Mark that ana@cliente.com.br replied" }));
    expect(await screen.findByText("Reply noted: 2 sequences stopped.")).toBeInTheDocument();
    expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ contact_id: "c1" });
    await user.selectOptions(screen.getByLabelText("Show"), "exited");
    expect(await within(await screen.findByTestId("enrollments-table")).findByText("Replied")).toBeInTheDocument();
  });

  it("adds a step with a wait in days and a tag condition", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/sequences/s1": () => jsonResponse(sequenceOf({ steps: [] })),
      "GET /api/email/sequences/s1/report": () => jsonResponse(reportOf([])),
      "GET /api/email/sequences/s1/enrollments": NOBODY,
      "GET /api/email/templates": () => jsonResponse([]),
      "POST /api/email/sequences/s1/steps": () => jsonResponse(stepOf(1), 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<SequenceEditor />, { me: WRITER, route: "/email/sequences/s1", path: "/email/sequences/:sequenceId" });
    expect(await screen.findByText(/No e-mails yet/)).toBeInTheDocument();
    await user.click(screen.getByTestId("step-add"));
    const dialog = await screen.findByTestId("step-dialog");
    const wait = within(dialog).getByLabelText("Wait before sending");
    await user.clear(wait);
    await user.type(wait, "3");
    await user.selectOptions(within(dialog).getByLabelText("Send only if"), "tag");
    await user.type(within(dialog).getByLabelText("Tag"), "vip");
    await user.selectOptions(within(dialog).getByLabelText("When the condition is false"), "exit");
    await user.type(within(dialog).getByLabelText(/Subject/), "Oferta VIP");
    await user.type(within(dialog).getByLabelText(/Content/), "<p>Olá</p>");
    await user.click(within(dialog).getByRole("button", { name: "Add e-mail" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({
      wait_minutes: 4320,
      condition: { kind: "tag", tag: "vip", negate: false },
      otherwise: "exit",
      template_id: null,
      subject: "Oferta VIP",
      html: "<p>Olá</p>",
    });
  });

  it("explains why a sequence without e-mails cannot be activated, in Portuguese", async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      "fetch",
      routeFetch({
        "GET /api/email/sequences/s1": () => jsonResponse(sequenceOf()),
        "GET /api/email/sequences/s1/report": () => jsonResponse(reportOf([])),
        "GET /api/email/sequences/s1/enrollments": NOBODY,
        "POST /api/email/sequences/s1/activate": () => errorResponse(422, "sequence_not_ready", "Add a step before activating the sequence."),
      }).fetch,
    );
    renderWithProviders(<SequenceEditor />, { me: WRITER, route: "/email/sequences/s1", path: "/email/sequences/:sequenceId", locale: "pt-BR" });
    await user.click(await screen.findByRole("button", { name: "Ativar" }));
    expect(await screen.findByText("Adicione pelo menos um e-mail antes de ativar a sequência.")).toBeInTheDocument();
  });

  it("offers no editing to readers", async () => {
    vi.stubGlobal(
      "fetch",
      routeFetch({
        "GET /api/email/sequences/s1": () => jsonResponse(sequenceOf({ steps })),
        "GET /api/email/sequences/s1/report": () => jsonResponse(reportOf(steps)),
        "GET /api/email/sequences/s1/enrollments": NOBODY,
      }).fetch,
    );
    renderWithProviders(<SequenceEditor />, { me: READER, route: "/email/sequences/s1", path: "/email/sequences/:sequenceId" });
    expect(await screen.findAllByTestId("step-row")).toHaveLength(2);
    expect(screen.queryByTestId("step-add")).toBeNull();
    expect(screen.queryByTestId("sequence-toggle")).toBeNull();
    expect(await screen.findByText(/No e-mail sent yet/)).toBeInTheDocument();
    expect(await screen.findByText(/Nobody has entered yet/)).toBeInTheDocument();
  });
});
