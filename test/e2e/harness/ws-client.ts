// A minimal operator client for the OpenClaw gateway WebSocket protocol (v4), on Node 24's global
// WebSocket. Handshake: the server sends the `connect.challenge` event, the client answers with a
// `connect` request (role operator, token auth), then requests `{type:"req",id,method,params}` are
// matched to responses `{type:"res",id,ok,payload|error}` by id. Server-pushed events
// (`{type:"event",event,payload}`) are kept in a bounded buffer a test can await.

export const DEFAULT_OPERATOR_SCOPES = [
  "operator.admin",
  "operator.read",
  "operator.write",
  "operator.approvals",
  "operator.pairing",
] as const;

export interface GatewayEvent {
  event: string;
  payload: unknown;
  seq?: number;
  /** Arrival time (ms since epoch) in the test process. */
  receivedAt: number;
  /** Arrival order within this connection, from 1. */
  index: number;
}

export interface RpcErrorShape {
  code?: string;
  message?: string;
  details?: unknown;
}

export interface RpcResponse {
  ok: boolean;
  payload?: unknown;
  error?: RpcErrorShape;
}

export class RpcError extends Error {
  readonly method: string;
  readonly code: string | undefined;
  readonly details: unknown;

  constructor(method: string, error: RpcErrorShape | undefined) {
    super(`${method} failed: ${error?.code ?? "ERROR"}: ${error?.message ?? "(no message)"}`);
    this.name = "RpcError";
    this.method = method;
    this.code = error?.code;
    this.details = error?.details;
  }
}

export interface CallOptions {
  timeoutMs?: number;
}

export interface GatewayWsClient {
  /** The `hello-ok` payload of the handshake. */
  readonly hello: Record<string, unknown>;
  /** Raw request: resolves with the response whether ok or not; rejects on timeout/close. */
  request(method: string, params?: unknown, options?: CallOptions): Promise<RpcResponse>;
  /** Request that resolves with the payload and throws {@link RpcError} when `ok` is false. */
  call<T = unknown>(method: string, params?: unknown, options?: CallOptions): Promise<T>;
  /** Events received so far (bounded; oldest dropped first). */
  events(): readonly GatewayEvent[];
  /**
   * Resolves with the first event (already received with index > `afterIndex`, or arriving
   * later) whose name equals `match` or for which `match` returns true.
   */
  waitForEvent(
    match: string | ((event: GatewayEvent) => boolean),
    timeoutMs: number,
    options?: { afterIndex?: number },
  ): Promise<GatewayEvent>;
  /** Index of the last event received (0 when none): pass as `afterIndex` to await only newer ones. */
  lastEventIndex(): number;
  readonly isOpen: boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  url: string;
  token: string;
  scopes?: readonly string[];
  clientVersion?: string;
  connectTimeoutMs?: number;
  defaultCallTimeoutMs?: number;
  maxEvents?: number;
}

interface Pending {
  method: string;
  resolve: (response: RpcResponse) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export async function connectGatewayWs(options: ConnectOptions): Promise<GatewayWsClient> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  const defaultCallTimeoutMs = options.defaultCallTimeoutMs ?? 30_000;
  const maxEvents = options.maxEvents ?? 5_000;
  const ws = new WebSocket(options.url);
  const pending = new Map<string, Pending>();
  const buffer: GatewayEvent[] = [];
  let eventIndex = 0;
  let nextId = 0;
  let open = false;
  let waiters: Array<{ test: (e: GatewayEvent) => boolean; resolve: (e: GatewayEvent) => void }> = [];
  let closeError: Error | undefined;

  const failAll = (error: Error): void => {
    closeError = error;
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    pending.clear();
  };

  function send(method: string, params: unknown, timeoutMs: number): Promise<RpcResponse> {
    if (closeError) return Promise.reject(closeError);
    nextId += 1;
    const id = `t${nextId}`;
    return new Promise<RpcResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`gateway rpc ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { method, resolve, reject, timer });
      try {
        ws.send(JSON.stringify({ type: "req", id, method, params: params ?? {} }));
      } catch (err) {
        clearTimeout(timer);
        pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`gateway websocket handshake timed out after ${connectTimeoutMs} ms (${options.url})`));
      try {
        ws.close();
      } catch {
        // already closed
      }
    }, connectTimeoutMs);
    let challenged = false;

    ws.addEventListener("message", (ev: MessageEvent) => {
      let frame: unknown;
      try {
        frame = JSON.parse(typeof ev.data === "string" ? ev.data : String(ev.data));
      } catch {
        return;
      }
      if (!isRecord(frame)) return;
      if (frame.type === "res" && typeof frame.id === "string") {
        const p = pending.get(frame.id);
        if (!p) return;
        pending.delete(frame.id);
        clearTimeout(p.timer);
        const error = isRecord(frame.error) ? (frame.error as RpcErrorShape) : undefined;
        p.resolve({ ok: frame.ok === true, payload: frame.payload, ...(error ? { error } : {}) });
        return;
      }
      if (frame.type !== "event" || typeof frame.event !== "string") return;
      eventIndex += 1;
      const event: GatewayEvent = {
        event: frame.event,
        payload: frame.payload,
        ...(typeof frame.seq === "number" ? { seq: frame.seq } : {}),
        receivedAt: Date.now(),
        index: eventIndex,
      };
      buffer.push(event);
      if (buffer.length > maxEvents) buffer.splice(0, buffer.length - maxEvents);
      waiters = waiters.filter((w) => {
        if (!w.test(event)) return true;
        w.resolve(event);
        return false;
      });
      if (event.event === "connect.challenge" && !challenged) {
        challenged = true;
        send(
          "connect",
          {
            minProtocol: 4,
            maxProtocol: 4,
            client: { id: "cli", version: options.clientVersion ?? "0.0.0-e2e", platform: process.platform, mode: "cli" },
            role: "operator",
            scopes: [...(options.scopes ?? DEFAULT_OPERATOR_SCOPES)],
            caps: [],
            auth: { token: options.token },
          },
          connectTimeoutMs,
        ).then(
          (res) => {
            clearTimeout(timer);
            if (res.ok && isRecord(res.payload)) {
              open = true;
              resolve(res.payload);
            } else {
              reject(new RpcError("connect", res.error));
              ws.close();
            }
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }
    });
    ws.addEventListener("close", (ev: CloseEvent) => {
      open = false;
      clearTimeout(timer);
      const error = new Error(`gateway websocket closed (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`);
      failAll(error);
      reject(error);
    });
    ws.addEventListener("error", () => {
      // A close event follows with the details.
    });
  });

  const client: GatewayWsClient = {
    hello,
    request: (method, params, callOptions) => send(method, params, callOptions?.timeoutMs ?? defaultCallTimeoutMs),
    call: async <T>(method: string, params?: unknown, callOptions?: CallOptions): Promise<T> => {
      const res = await send(method, params, callOptions?.timeoutMs ?? defaultCallTimeoutMs);
      if (!res.ok) throw new RpcError(method, res.error);
      return res.payload as T;
    },
    events: () => buffer.slice(),
    lastEventIndex: () => eventIndex,
    waitForEvent: (match, timeoutMs, waitOptions) => {
      const afterIndex = waitOptions?.afterIndex ?? 0;
      const test = (e: GatewayEvent): boolean =>
        e.index > afterIndex && (typeof match === "string" ? e.event === match : match(e));
      const seen = buffer.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise<GatewayEvent>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          const label = typeof match === "string" ? match : "predicate";
          reject(new Error(`no gateway event matching ${label} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          test,
          resolve: (e: GatewayEvent) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        waiters.push(waiter);
      });
    },
    get isOpen() {
      return open;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) {
          resolve();
          return;
        }
        const timer = setTimeout(resolve, 2_000);
        ws.addEventListener("close", () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close();
      }),
  };
  return client;
}
