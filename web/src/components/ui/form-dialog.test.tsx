import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/api/client";
import { renderWithProviders } from "@/test/utils";
import { FormDialog, type DialogForm } from "./form-dialog";

function renderDialog(form: Partial<DialogForm> = {}, onClose = vi.fn()) {
  const onSubmit = vi.fn();
  renderWithProviders(
    <FormDialog open onClose={onClose} title="Add a thing" description="Things are nice." testId="thing-dialog" form={{ onSubmit, submitLabel: "Add", submitTestId: "thing-submit", ...form }}>
      <label htmlFor="thing-name">Name</label>
      <input id="thing-name" name="name" required />
    </FormDialog>,
  );
  return { onSubmit, onClose };
}

describe("FormDialog", () => {
  it("is a labelled dialog whose form submits once, without a page load", async () => {
    const user = userEvent.setup();
    const { onSubmit } = renderDialog();
    const dialog = screen.getByRole("dialog", { name: "Add a thing" });
    expect(dialog).toHaveAttribute("data-testid", "thing-dialog");
    expect(dialog).toHaveAccessibleDescription("Things are nice.");
    await user.type(screen.getByLabelText("Name"), "Lamp{Enter}");
    expect(onSubmit).toHaveBeenCalledTimes(1);
    await user.click(screen.getByTestId("thing-submit"));
    expect(onSubmit).toHaveBeenCalledTimes(2);
  });

  it("closes on Cancel", async () => {
    const user = userEvent.setup();
    const { onClose, onSubmit } = renderDialog();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("disables the submit and says so while pending", () => {
    renderDialog({ busy: true });
    const submit = screen.getByTestId("thing-submit");
    expect(submit).toBeDisabled();
    expect(submit).toHaveTextContent("Saving…");
  });

  it("keeps a fixed label while pending when asked to", () => {
    renderDialog({ busy: true, busyLabel: "Add" });
    expect(screen.getByTestId("thing-submit")).toHaveTextContent("Add");
  });

  it("disables the submit until the form makes sense", () => {
    renderDialog({ disabled: true });
    expect(screen.getByRole("button", { name: "Add" })).toBeDisabled();
  });

  it("shows the error in a banner above the buttons", () => {
    renderDialog({ error: new ApiError(409, "conflict_thing", "A thing with this name exists.") });
    expect(screen.getByRole("alert")).toHaveTextContent("A thing with this name exists.");
    expect(screen.getByRole("button", { name: "Add" })).toBeEnabled();
  });

  it("has no banner and one submit button without an error", () => {
    renderDialog();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByRole("dialog").querySelectorAll("button[type=submit]")).toHaveLength(1);
  });
});
