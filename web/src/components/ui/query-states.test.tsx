import { useQuery } from "@tanstack/react-query";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/api/client";
import { renderWithProviders } from "@/test/utils";
import { Button } from "./button";
import { QueryStates } from "./query-states";

function Items({ load }: { load: () => Promise<string[]> }) {
  const query = useQuery({ queryKey: ["items"], queryFn: load });
  return (
    <QueryStates query={query} isEmpty={(d) => d.length === 0} empty="Nothing yet: add the first item." emptyAction={<Button>Add item</Button>}>
      {(items) => (
        <ul>
          {items.map((i) => (
            <li key={i}>{i}</li>
          ))}
        </ul>
      )}
    </QueryStates>
  );
}

describe("QueryStates", () => {
  it("shows loading, then the data", async () => {
    let resolve: (v: string[]) => void = () => undefined;
    renderWithProviders(<Items load={() => new Promise((r) => (resolve = r))} />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading…");
    resolve(["first", "second"]);
    expect(await screen.findAllByRole("listitem")).toHaveLength(2);
    expect(screen.queryByRole("status")).toBeNull();
    expect(screen.queryByTestId("empty-state")).toBeNull();
  });

  it("says what to do next when empty, with the page's own action", async () => {
    renderWithProviders(<Items load={async () => []} />);
    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent("Nothing yet: add the first item.");
    expect(screen.getByRole("button", { name: "Add item" })).toBeInTheDocument();
    expect(screen.queryAllByRole("listitem")).toHaveLength(0);
  });

  it("shows the error and retries on request", async () => {
    const load = vi
      .fn<() => Promise<string[]>>()
      .mockRejectedValueOnce(new ApiError(422, "items_unreadable", "You may not see these items."))
      .mockResolvedValueOnce(["back"]);
    const user = userEvent.setup();
    renderWithProviders(<Items load={load} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("You may not see these items.");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("back")).toBeInTheDocument();
    expect(load).toHaveBeenCalledTimes(2);
  });
});
