import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dayParam, filterSearchParams, localMidnight, textParam } from "./filterParams";

describe("localMidnight", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TZ;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it("is the start of the day in the viewer's time zone", () => {
    process.env.TZ = "America/Sao_Paulo";
    expect(localMidnight("2025-01-31")).toBe("2025-01-31T03:00:00.000Z");
    process.env.TZ = "Asia/Tokyo";
    expect(localMidnight("2025-01-31")).toBe("2025-01-30T15:00:00.000Z");
    process.env.TZ = "UTC";
    expect(localMidnight("2025-01-31")).toBe("2025-01-31T00:00:00.000Z");
  });

  it("adds whole days across month and year ends", () => {
    process.env.TZ = "America/Sao_Paulo";
    expect(localMidnight("2025-01-31", 1)).toBe("2025-02-01T03:00:00.000Z");
    expect(localMidnight("2024-12-31", 1)).toBe("2025-01-01T03:00:00.000Z");
    expect(localMidnight("2024-02-28", 1)).toBe("2024-02-29T03:00:00.000Z");
  });

  it("ends a day at the next midnight even when the clocks change", () => {
    // New York springs forward on 2025-03-09: that day has 23 hours.
    process.env.TZ = "America/New_York";
    expect(localMidnight("2025-03-09")).toBe("2025-03-09T05:00:00.000Z");
    expect(localMidnight("2025-03-09", 1)).toBe("2025-03-10T04:00:00.000Z");
    // ...and falls back on 2025-11-02: 25 hours.
    expect(localMidnight("2025-11-02", 1)).toBe("2025-11-03T05:00:00.000Z");
  });
});

describe("filter params", () => {
  const params = new URLSearchParams("campaign=%20 summer %20&blank=%20&from=2025-01-31&to=31/01/2025&bad=2025-1-3");

  it("reads trimmed text and drops blanks", () => {
    expect(textParam(params, "campaign")).toBe("summer");
    expect(textParam(params, "blank")).toBeNull();
    expect(textParam(params, "missing")).toBeNull();
  });

  it("keeps only YYYY-MM-DD days", () => {
    expect(dayParam(params, "from")).toBe("2025-01-31");
    expect(dayParam(params, "to")).toBeNull();
    expect(dayParam(params, "bad")).toBeNull();
    expect(dayParam(params, "missing")).toBeNull();
  });
});

describe("filterSearchParams", () => {
  it("keeps the given order, repeats list values and leaves empty ones out", () => {
    const params = filterSearchParams({ stage: ["won", "lost"], score: [], owner: null, campaign: "", q: "ana maria", from: "2025-01-31" });
    expect(params.toString()).toBe("stage=won&stage=lost&q=ana+maria&from=2025-01-31");
  });

  it("round-trips through the readers", () => {
    const params = filterSearchParams({ campaign: "summer", from: "2025-01-31" });
    expect(textParam(params, "campaign")).toBe("summer");
    expect(dayParam(params, "from")).toBe("2025-01-31");
    expect(filterSearchParams({}).toString()).toBe("");
  });
});
