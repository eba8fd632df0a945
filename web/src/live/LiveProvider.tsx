/**
 * Live updates over socket.io (path /socket.io). The token is read on every
 * (re)connection attempt, so a refreshed or switched token is used; when the server
 * refuses the handshake we refresh the token and try again with a growing delay.
 */
import { io, type Socket } from "socket.io-client";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { refreshTokens } from "@/api/client";
import { getAccessToken, onTokensChange } from "@/auth/tokens";

export type LiveStatus = "connecting" | "online" | "offline";

/** Events the server emits to the organization room. */
export type LiveEventName = "hello" | "visitor_online" | "visitor_offline" | "visitor_step_change" | "new_payment" | "payment_status_change" | "lead_created" | "alert_opened";

interface LiveValue {
  status: LiveStatus;
  socket: Socket | null;
}

const LiveContext = createContext<LiveValue>({ status: "offline", socket: null });

export function LiveProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [socket, setSocket] = useState<Socket | null>(null);
  const retryTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const s = io({
      path: "/socket.io",
      auth: (cb) => cb({ token: getAccessToken() }),
      transports: ["websocket", "polling"],
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10_000,
    });
    let failures = 0;
    setSocket(s);
    s.on("connect", () => {
      failures = 0;
      setStatus("online");
    });
    s.on("disconnect", () => setStatus("offline"));
    s.on("connect_error", async () => {
      setStatus("offline");
      if (s.active) return; // transport problem: the client retries by itself
      // The server refused the handshake (usually an expired token): refresh, then retry.
      failures += 1;
      await refreshTokens();
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5));
      retryTimer.current = setTimeout(() => {
        if (getAccessToken()) s.connect();
      }, delay);
    });
    const unsubscribe = onTokensChange((token) => {
      if (!token) {
        s.disconnect();
        return;
      }
      // New token (refresh or organization switch): rejoin with it.
      s.disconnect();
      s.connect();
    });
    return () => {
      unsubscribe();
      if (retryTimer.current) clearTimeout(retryTimer.current);
      s.removeAllListeners();
      s.disconnect();
      setSocket(null);
    };
  }, []);

  return <LiveContext.Provider value={{ status, socket }}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

/** Live rooms narrower than the organization that a client joins by id (the server's `LiveTopic`s). */
export type LiveTopic = "funnel";

/**
 * Join a topic's room (`join_<topic>` with `{<topic>_id}`) while mounted, and again after
 * every reconnection (the server forgets rooms with the connection); `onJoined` runs after
 * each successful join, so the page can read again what it may have missed.
 */
export function useLiveTopic(topic: LiveTopic, id: string | undefined, onJoined: () => void): void {
  const { socket } = useContext(LiveContext);
  const ref = useRef(onJoined);
  ref.current = onJoined;
  useEffect(() => {
    if (!socket || !id) return;
    const body = { [`${topic}_id`]: id };
    const join = () => {
      socket.emit(`join_${topic}`, body, (ack: { ok?: boolean } | undefined) => {
        if (ack?.ok) ref.current();
      });
    };
    if (socket.connected) join();
    socket.on("connect", join);
    return () => {
      socket.off("connect", join);
      if (socket.connected) socket.emit(`leave_${topic}`, body);
    };
  }, [socket, topic, id]);
}

/** Subscribe to a live event for the lifetime of the component. */
export function useLiveEvent<T = unknown>(event: LiveEventName, handler: (payload: T) => void): void {
  const { socket } = useContext(LiveContext);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!socket) return;
    const fn = (payload: T) => ref.current(payload);
    socket.on(event, fn);
    return () => {
      socket.off(event, fn);
    };
  }, [socket, event]);
}
