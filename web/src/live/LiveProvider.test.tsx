import { act, render } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

type Listener = (...args: unknown[]) => void;

/** A socket.io client stand-in: records what is emitted, lets the test fire events. */
class FakeSocket {
  connected = false;
  active = true;
  emitted: { event: string; body: unknown }[] = [];
  acks: ((answer: unknown) => void)[] = [];
  private listeners = new Map<string, Set<Listener>>();
  on(event: string, fn: Listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)?.add(fn);
    return this;
  }
  off(event: string, fn: Listener) {
    this.listeners.get(event)?.delete(fn);
    return this;
  }
  emit(event: string, body: unknown, ack?: (answer: unknown) => void) {
    this.emitted.push({ event, body });
    if (ack) this.acks.push(ack);
    return this;
  }
  fire(event: string, ...args: unknown[]) {
    if (event === "connect") this.connected = true;
    if (event === "disconnect") this.connected = false;
    for (const fn of [...(this.listeners.get(event) ?? [])]) fn(...args);
  }
  removeAllListeners() {
    this.listeners.clear();
  }
  connect() {}
  disconnect() {
    this.connected = false;
  }
}

let socket: FakeSocket;
vi.mock("socket.io-client", () => ({ io: () => (socket = new FakeSocket()) }));
vi.mock("@/api/client", () => ({ refreshTokens: async () => undefined }));
vi.mock("@/auth/tokens", () => ({ getAccessToken: () => "token", onTokensChange: () => () => undefined }));

const { LiveProvider, useLiveTopic } = await import("./LiveProvider");

function Watcher({ id, onJoined }: { id: string; onJoined: () => void }) {
  useLiveTopic("funnel", id, onJoined);
  return null;
}

afterEach(() => vi.clearAllMocks());

describe("useLiveTopic", () => {
  it("joins on connection and after every reconnection, re-reads after each join, and leaves on unmount", () => {
    const onJoined = vi.fn();
    const view = render(
      <LiveProvider>
        <Watcher id="f1" onJoined={onJoined} />
      </LiveProvider>,
    );
    expect(socket.emitted).toEqual([]); // not connected yet
    act(() => socket.fire("connect"));
    expect(socket.emitted).toEqual([{ event: "join_funnel", body: { funnel_id: "f1" } }]);
    expect(onJoined).not.toHaveBeenCalled();
    act(() => socket.acks[0]({ ok: true }));
    expect(onJoined).toHaveBeenCalledTimes(1);

    // Dropped and back: the server forgot the room, so join again and re-read.
    act(() => socket.fire("disconnect"));
    act(() => socket.fire("connect"));
    expect(socket.emitted.map((e) => e.event)).toEqual(["join_funnel", "join_funnel"]);
    act(() => socket.acks[1]({ ok: true }));
    expect(onJoined).toHaveBeenCalledTimes(2);

    // A refused join (another organization's funnel) reads nothing.
    act(() => socket.fire("connect"));
    act(() => socket.acks[2]({ ok: false, error: { code: "not_found" } }));
    expect(onJoined).toHaveBeenCalledTimes(2);

    view.rerender(
      <LiveProvider>
        <Watcher id="f2" onJoined={onJoined} />
      </LiveProvider>,
    );
    expect(socket.emitted.slice(-2)).toEqual([
      { event: "leave_funnel", body: { funnel_id: "f1" } },
      { event: "join_funnel", body: { funnel_id: "f2" } },
    ]);
    view.unmount();
  });
});
