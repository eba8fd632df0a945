import { describe, expect, it } from "vitest";
import { platformWebhookUrl } from "./platformWebhooks";

describe("platformWebhookUrl", () => {
  it("gives a checkout platform's credential its webhook URL", () => {
    expect(platformWebhookUrl("eduzz", "c1", "https://rastro.example.com")).toBe(
      "https://rastro.example.com/api/payments/platforms/eduzz/c1",
    );
    expect(platformWebhookUrl("orders", "c2", "https://r.example")).toBe("https://r.example/api/payments/platforms/orders/c2");
  });

  it("gives none to a service that receives no sales", () => {
    expect(platformWebhookUrl("meta", "c1", "https://rastro.example.com")).toBeNull();
    expect(platformWebhookUrl("asaas", "c1", "https://rastro.example.com")).toBeNull();
  });
});
