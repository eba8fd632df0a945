/** Report payloads for the campaign, channel and landing-page page tests. */
import type { CampaignReport, ChannelReport, Figures, FunnelFigures, LandingPageReport, OfflineFigures, OfflineReport } from "./reportFigures";

type Range = CampaignReport["range"];

export function reportRange(compared = false): Range {
  return {
    current: { date_from: "2026-11-01", date_to: "2026-11-30", start: "2026-11-01T03:00:00Z", end: "2026-12-01T03:00:00Z" },
    previous: compared ? { date_from: "2026-10-02", date_to: "2026-10-31", start: "2026-10-02T03:00:00Z", end: "2026-11-01T03:00:00Z" } : null,
    timezone: "America/Sao_Paulo",
    currency: "BRL",
    data_through: "2026-12-06T04:00:00Z",
  };
}

export function figures(over: Partial<Figures> = {}): Figures {
  return {
    sessions: 0,
    leads: 0,
    qualified: 0,
    won: 0,
    revenue: "0.00",
    other_revenue: [],
    conversion_rate: null,
    qualification_rate: null,
    win_rate: null,
    average_score: null,
    average_time_to_conversion: null,
    average_sales_cycle: null,
    cost: null,
    cpl: null,
    cpa: null,
    roas: null,
    roi: null,
    cost_note: "no_spend_data",
    ...over,
  };
}

export function campaignReport(compared = false): CampaignReport {
  const spring = figures({ sessions: 120, leads: 12, qualified: 6, won: 3, revenue: "4500.50", conversion_rate: 0.1, win_rate: 0.25, average_score: 3.25, average_time_to_conversion: 7200, average_sales_cycle: 259200 });
  const summer = figures({ sessions: 300, leads: 5, won: 1, revenue: "900.00", other_revenue: [{ currency: "USD", amount: "120.00" }], conversion_rate: 5 / 300 });
  return {
    range: reportRange(compared),
    group_by: "campaign",
    dimensions: ["campaign"],
    rows: [
      { campaign: "spring", source: null, medium: null, content: null, term: null, current: spring, previous: compared ? figures({ sessions: 80, leads: 4, revenue: "100.00" }) : null },
      { campaign: "summer", source: null, medium: null, content: null, term: null, current: summer, previous: compared ? figures() : null },
      { campaign: null, source: null, medium: null, content: null, term: null, current: figures({ sessions: 40 }), previous: compared ? figures() : null },
    ],
    totals: figures({ sessions: 460, leads: 17, won: 4, revenue: "5400.50" }),
    previous_totals: compared ? figures({ sessions: 80, leads: 4, revenue: "100.00" }) : null,
    other_currencies: ["USD"],
    cost_note: "no_spend_data",
  };
}

export function channelReport(): ChannelReport {
  return {
    range: reportRange(),
    rows: [
      { channel: "Paid Search", current: figures({ sessions: 200, leads: 10, won: 2, revenue: "3000.00", conversion_rate: 0.05 }), previous: null },
      { channel: "Organic Search", current: figures({ sessions: 90, leads: 3, revenue: "0.00" }), previous: null },
    ],
    totals: figures({ sessions: 290, leads: 13, won: 2, revenue: "3000.00" }),
    previous_totals: null,
    other_currencies: [],
    cost_note: "no_spend_data",
  };
}

function offline(over: Partial<OfflineFigures> = {}): OfflineFigures {
  return { leads: 0, won: 0, sale_rate: null, revenue: "0.00", other_revenue: [], average_value: null, average_sales_cycle: null, ...over };
}

export function offlineReport(): OfflineReport {
  return {
    range: reportRange(),
    by_source: [
      { key: "google", current: offline({ leads: 10, won: 2, sale_rate: 0.2, revenue: "3000.00", average_value: "1500.00", average_sales_cycle: 172800 }), previous: null },
      { key: null, current: offline({ leads: 3 }), previous: null },
    ],
    by_channel: [{ key: "Paid Search", current: offline({ leads: 10, won: 2, sale_rate: 0.2, revenue: "3000.00", average_value: "1500.00" }), previous: null }],
    totals: offline({ leads: 13, won: 2 }),
    previous_totals: null,
    other_currencies: [],
  };
}

function funnel(over: Partial<FunnelFigures> = {}): FunnelFigures {
  return {
    visitors: 0,
    sessions: 0,
    form_starts: 0,
    leads: 0,
    qualified: 0,
    won: 0,
    revenue: "0.00",
    form_start_rate: null,
    form_completion_rate: null,
    conversion_rate: null,
    qualification_rate: null,
    close_rate: null,
    ...over,
  };
}

export function landingReport(): LandingPageReport {
  const page = (id: string, variant: string | null, f: FunnelFigures) => ({
    page_id: id,
    domain_id: "d-1",
    name: "Oferta",
    url: `https://shop.example.com/${id}`,
    variant,
    is_control: variant === "A",
    ab_test_id: variant ? "t-1" : null,
    is_active: true,
    current: f,
    previous: null,
  });
  return {
    range: reportRange(),
    rows: [
      page("p-a", "A", funnel({ visitors: 90, sessions: 100, form_starts: 40, leads: 20, qualified: 10, won: 5, form_start_rate: 0.4, form_completion_rate: 0.5, qualification_rate: 0.5, close_rate: 0.5 })),
      page("p-b", "B", funnel({ visitors: 45, sessions: 50, form_starts: 10, leads: 5, qualified: 2, won: 1, form_start_rate: 0.2 })),
    ],
    unregistered: funnel({ sessions: 7, leads: 1 }),
    other_currencies: [],
  };
}
