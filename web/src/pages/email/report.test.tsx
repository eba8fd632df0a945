import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv } from "@/test/csv";
import { jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import CampaignReport, { funnelSteps } from "./CampaignReport";
import { campaign, READER, report } from "./fixtures";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function open(data = report(), locale: "en" | "pt-BR" = "pt-BR") {
  const api = routeFetch({
    "GET /api/email/campaigns/c1": () => jsonResponse(campaign({ status: "sent", generation_status: "done", generated: 1000 })),
    "GET /api/email/campaigns/c1/report": () => jsonResponse(data),
  });
  vi.stubGlobal("fetch", api.fetch);
  renderWithProviders(<CampaignReport />, { me: READER, route: "/email/campaigns/c1/report", path: "/email/campaigns/:campaignId/report", locale });
  return api;
}

describe("CampaignReport", () => {
  it("walks the funnel from sent to revenue in Portuguese, each step against the one above", async () => {
    open();
    const funnel = await screen.findByTestId("report-funnel");
    expect(await screen.findByRole("heading", { name: "Relatório: Black Friday" })).toBeInTheDocument();
    expect(within(funnel).getByTestId("funnel-sent")).toHaveTextContent("Enviados1.000");
    expect(within(funnel).getByTestId("funnel-delivered")).toHaveTextContent("98% da etapa anterior");
    expect(within(funnel).getByTestId("funnel-opened")).toHaveTextContent("Abriram490");
    expect(within(funnel).getByTestId("funnel-clicked")).toHaveTextContent("Clicaram98");
    expect(within(funnel).getByTestId("funnel-leads")).toHaveTextContent("Leads12");
    expect(within(funnel).getByTestId("funnel-won")).toHaveTextContent("Vendas3");
    expect(within(funnel).getByTestId("funnel-revenue")).toHaveTextContent("R$ 1.500,50");
    const problems = screen.getByTestId("report-problems");
    expect(problems).toHaveTextContent("Aberturas700");
    expect(problems).toHaveTextContent("Aberturas humanas500");
    expect(problems).toHaveTextContent("Devoluções permanentes15");
    expect(problems).toHaveTextContent("Reclamações de spam2");
    expect(problems).toHaveTextContent("Descadastros7");
    const exclusions = screen.getByTestId("report-exclusions");
    expect(exclusions).toHaveTextContent("Suprimidos4");
    expect(exclusions).toHaveTextContent("Descadastrados9");
    expect(exclusions).toHaveTextContent("Não confirmados (confirmação dupla pendente)2");
    expect(screen.getByTestId("report-chart")).toBeInTheDocument();
  });

  it("ranks links by clicks with their share, and exports days and links as CSV", async () => {
    const user = userEvent.setup();
    open(report(), "en");
    const links = await screen.findByTestId("report-links");
    const rows = within(links).getAllByTestId("report-row");
    expect(rows[0]).toHaveTextContent(/^https:\/\/loja\.com\.br\/oferta150\b.*70.*75%$/);
    expect(rows[1]).toHaveTextContent("25%");
    const csv = captureCsv();
    await user.click(within(links).getByTestId("csv-button"));
    expect((await csv.text()).split("\r\n").slice(0, 2)).toEqual(["Link,Clicks,People who clicked,Share of clicks", "https://loja.com.br/oferta,150,70,0.75"]);
    await user.click(within(screen.getByTestId("report-days")).getByTestId("csv-button"));
    const days = (await csv.text()).split("\r\n");
    expect(days[0]).toBe("Day,Sent,Delivered,Opened,Human opens,Clicked,Bounces,Spam complaints,Unsubscribes");
    expect(days).toContain("2026-11-27,1000,980,400,420,80,20,1,5");
    csv.restore();
  });

  it("says what to do when nothing was sent yet, with no chart", async () => {
    open(report({ status: "draft", generated: 0, sent: 0, delivered: 0, unique_opens: 0, unique_clicks: 0, leads: 0, won_leads: 0, revenue: [], days: [], links: [], exclusions: {} }));
    expect(await screen.findByText(/Nada enviado ainda: gere as mensagens/)).toBeInTheDocument();
    expect(screen.getByTestId("report-chart-empty")).toHaveTextContent("Nenhum evento ainda");
    expect(within(screen.getByTestId("funnel-revenue")).getByText("R$ 0,00")).toBeInTheDocument();
  });

  it("orders the funnel as people move through it", () => {
    expect(funnelSteps(report()).map((s) => [s.key, s.count])).toEqual([
      ["sent", 1000],
      ["delivered", 980],
      ["opened", 490],
      ["clicked", 98],
      ["leads", 12],
      ["won", 3],
    ]);
  });
});
