import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Credential, CredentialService } from "@/api/types";
import { renderWithProviders } from "@/test/utils";
import { CredentialForm } from "./CredentialForm";

const SERVICES: CredentialService[] = [
  {
    service: "meta_ads",
    label: "Meta Ads",
    default_api_url: "https://graph.facebook.com",
    needs_secret: true,
    settings_fields: [{ name: "pixel_id", label: "Pixel ID", required: true, secret: false }],
  },
];

const CREDENTIAL: Credential = {
  id: "c1",
  name: "Meta main",
  service: "meta_ads",
  api_key_masked: "••••abcd",
  api_secret_masked: "••••wxyz",
  api_url: null,
  settings: { pixel_id: "123" },
  is_active: true,
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-02T00:00:00Z",
};

describe("CredentialForm", () => {
  it("treats secret settings like the key: empty, masked placeholder, not sent when empty", async () => {
    const services: CredentialService[] = [
      {
        service: "google_ads",
        label: "Google Ads",
        default_api_url: null,
        needs_secret: false,
        settings_fields: [
          { name: "customer_id", label: "Customer ID", required: true, secret: false },
          { name: "developer_token", label: "Developer token", required: false, secret: true },
        ],
      },
    ];
    const credential: Credential = { ...CREDENTIAL, service: "google_ads", settings: { customer_id: "42", developer_token: "••••7890" } };
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<CredentialForm services={services} credential={credential} onSubmit={onSubmit} onCancel={vi.fn()} />);
    const token = screen.getByLabelText(/Developer token/) as HTMLInputElement;
    expect(token.value).toBe("");
    expect(token.type).toBe("password");
    expect(token.placeholder).toBe("••••7890");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect((onSubmit.mock.calls[0]![0] as Record<string, unknown>).settings).toEqual({ customer_id: "42" });
  });

  it("does not pre-fill secrets on edit and shows the masked value only as placeholder", () => {
    renderWithProviders(<CredentialForm services={SERVICES} credential={CREDENTIAL} onSubmit={vi.fn()} onCancel={vi.fn()} />);
    const key = screen.getByLabelText("API key") as HTMLInputElement;
    const secret = screen.getByLabelText("API secret") as HTMLInputElement;
    expect(key.value).toBe("");
    expect(secret.value).toBe("");
    expect(key.type).toBe("password");
    expect(secret.placeholder).toBe("••••wxyz");
    expect(key.placeholder).toBe("••••abcd");
    expect((screen.getByLabelText("Name") as HTMLInputElement).value).toBe("Meta main");
    expect((screen.getByLabelText("Pixel ID") as HTMLInputElement).value).toBe("123");
  });

  it("does not send empty secrets on update (keeps the stored ones)", async () => {
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<CredentialForm services={SERVICES} credential={CREDENTIAL} onSubmit={onSubmit} onCancel={vi.fn()} />);
    const name = screen.getByLabelText("Name");
    await user.clear(name);
    await user.type(name, "Meta renamed");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    const body = onSubmit.mock.calls[0]![0] as Record<string, unknown>;
    expect(body.name).toBe("Meta renamed");
    expect(body).not.toHaveProperty("api_secret");
    expect(body).not.toHaveProperty("api_key");
    expect(body.settings).toEqual({ pixel_id: "123" });
  });

  it("sends a new secret when one is typed on update", async () => {
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<CredentialForm services={SERVICES} credential={CREDENTIAL} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await user.type(screen.getByLabelText("API secret"), "new-secret");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    const body = onSubmit.mock.calls[0]![0] as Record<string, unknown>;
    expect(body.api_secret).toBe("new-secret");
    expect(body).not.toHaveProperty("api_key");
  });

  it("requires the key, the secret and required settings on create", async () => {
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<CredentialForm services={SERVICES} onSubmit={onSubmit} onCancel={vi.fn()} />);
    // Pick the service through the Radix select.
    await user.click(screen.getByTestId("credential-service"));
    // The catalogue name in the viewer's language, not the server's label.
    await user.click(await screen.findByRole("option", { name: "Meta Marketing API (ads reporting)" }));
    await user.type(screen.getByLabelText("Name"), "Meta");
    await user.type(screen.getByLabelText("API key"), "key-1");
    const save = screen.getByRole("button", { name: "Save" });
    expect(save).toBeDisabled();
    await user.type(screen.getByLabelText("API secret"), "sec-1");
    expect(save).toBeDisabled();
    await user.type(screen.getByLabelText(/Pixel ID/), "999");
    expect(save).toBeEnabled();
    expect((screen.getByLabelText(/API URL/) as HTMLInputElement).placeholder).toBe("https://graph.facebook.com");
    await user.click(save);
    expect(onSubmit).toHaveBeenCalledWith({
      name: "Meta",
      service: "meta_ads",
      api_key: "key-1",
      api_secret: "sec-1",
      settings: { pixel_id: "999" },
      is_active: true,
    });
  });
});
