import { useQuery } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap } from "@/api/client";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { useI18n } from "@/i18n";
import { formatNumber } from "@/lib/format";
import { statusLabel } from "./status";
import { CONTACTS_KEY, type ContactStatus } from "./types";

const COLORS: Record<ContactStatus, string> = {
  active: "#16a34a",
  unconfirmed: "#ca8a04",
  suppressed: "#6b7280",
  bounced: "#dc2626",
  complained: "#9333ea",
  unsubscribed: "#2563eb",
};

/** How many contacts have each status: a list's health at a glance. */
export function StatusChart() {
  const { t, locale } = useI18n();
  const counts = useQuery({
    queryKey: [...CONTACTS_KEY, "statuses"],
    queryFn: () => unwrap(api.GET("/api/email/contacts/statuses")),
  });
  const data = counts.data ?? [];
  if (!data.some((c) => c.contacts > 0)) return null;
  const points = data.map((c) => ({ status: c.status, label: statusLabel(c.status, t), contacts: c.contacts }));
  return (
    <Card data-testid="email-status-chart">
      <CardHeader>
        <CardTitle className="text-base">{t("emailContacts.byStatus")}</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-3">
        <div className="h-48">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={points} layout="vertical" margin={{ left: 24 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis type="number" allowDecimals={false} />
              <YAxis type="category" dataKey="label" width={150} />
              <Tooltip formatter={(value) => formatNumber(Number(value), locale)} />
              <Bar dataKey="contacts" name={t("emailContacts.contacts")}>
                {points.map((p) => (
                  <Cell key={p.status} fill={COLORS[p.status]} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </div>
        <ul className="sr-only">
          {points.map((p) => (
            <li key={p.status}>
              {p.label}: {formatNumber(p.contacts, locale)}
            </li>
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}
