import { act, fireEvent, screen } from "@testing-library/react";
import { useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { SortableTable } from "@/components/ui/sortable-table";
import { makeMe, renderWithProviders } from "@/test/utils";
import { ReportFilterBar } from "./ReportFilterBar";

function Search() {
  return <output data-testid="search">{useLocation().search}</output>;
}

describe("ReportFilterBar", () => {
  it("writes a chosen channel and comparison to the URL, and shows channel names in Portuguese", () => {
    renderWithProviders(
      <>
        <ReportFilterBar />
        <Search />
      </>,
      { locale: "pt-BR", route: "/analytics", me: makeMe(["analytics:read"]) },
    );
    const channel = screen.getByLabelText("Canal");
    expect(screen.getByRole("option", { name: "Pesquisa paga" })).toHaveValue("Paid Search");
    fireEvent.change(channel, { target: { value: "Paid Search" } });
    expect(new URLSearchParams(screen.getByTestId("search").textContent ?? "").get("channel")).toBe("Paid Search");
    fireEvent.change(screen.getByLabelText("Comparar com"), { target: { value: "previous" } });
    expect(new URLSearchParams(screen.getByTestId("search").textContent ?? "").get("compare")).toBe("previous");
  });

  it("a custom period shows the date inputs and puts the days in the URL", () => {
    renderWithProviders(
      <>
        <ReportFilterBar />
        <Search />
      </>,
      { route: "/analytics?preset=today", me: makeMe(["analytics:read"]) },
    );
    expect(screen.queryByLabelText("From")).toBeNull();
    fireEvent.change(screen.getByLabelText("Period"), { target: { value: "custom" } });
    const params = new URLSearchParams(screen.getByTestId("search").textContent ?? "");
    expect(params.get("preset")).toBeNull();
    expect(params.get("date_from")).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2025-01-02" } });
    expect(new URLSearchParams(screen.getByTestId("search").textContent ?? "").get("date_from")).toBe("2025-01-02");
  });

  it("types a campaign into the URL after a pause", () => {
    vi.useFakeTimers();
    try {
      renderWithProviders(
        <>
          <ReportFilterBar />
          <Search />
        </>,
        { route: "/analytics", me: makeMe(["analytics:read"]) },
      );
      fireEvent.click(screen.getByTestId("filter-more"));
      fireEvent.change(screen.getByLabelText("Campaign"), { target: { value: "black friday" } });
      expect(screen.getByTestId("search").textContent).toBe("");
      act(() => vi.advanceTimersByTime(500));
      expect(new URLSearchParams(screen.getByTestId("search").textContent ?? "").get("campaign")).toBe("black friday");
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("SortableTable", () => {
  const rows = [
    { name: "b", n: 1 },
    { name: "a", n: 3 },
    { name: "c", n: null },
  ];
  const columns = [
    { id: "name", header: "Name", value: (r: (typeof rows)[number]) => r.name },
    { id: "n", header: "N", value: (r: (typeof rows)[number]) => r.n, numeric: true },
  ];
  const names = () => screen.getAllByTestId("report-row").map((tr) => tr.firstChild?.textContent);

  it("sorts by a clicked header, numbers largest first, empty values last", () => {
    renderWithProviders(<SortableTable columns={columns} rows={rows} rowKey={(r) => r.name} />);
    expect(names()).toEqual(["b", "a", "c"]);
    fireEvent.click(screen.getByTestId("sort-n"));
    expect(names()).toEqual(["a", "b", "c"]);
    fireEvent.click(screen.getByTestId("sort-n"));
    expect(names()).toEqual(["b", "a", "c"]);
    fireEvent.click(screen.getByTestId("sort-name"));
    expect(names()).toEqual(["a", "b", "c"]);
    expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "ascending");
  });
});
