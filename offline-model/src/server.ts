// The HTTP server: routes Anthropic API paths, picks a reply per request and keeps the request log.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { auxiliaryReply, demoReply } from "./demo.ts";
import { parseRequest, type ReceivedRequest } from "./request.ts";
import { errorTypeForStatus, normalizeMessage, type ScriptedReply } from "./script.ts";
import { errorBody, messageJsonBody, messageStreamEvents, type MessageIdentity } from "./sse.ts";

/** Decides the reply to one request; return undefined to fall through to the queue, then the fallback. */
export type ReplyHandler = (request: ReceivedRequest) => ScriptedReply | undefined;

/** What to answer when neither the handler nor the queue supplies a reply. */
export type Fallback = "demo" | "error";

export interface OfflineModelOptions {
  /** TCP port; 0 (default) picks a free ephemeral port. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** `demo` (default): the built-in behaviour; `error`: HTTP 500 saying the script ran out. */
  fallback?: Fallback;
  /** Receives one short line per HTTP request (no prompts, no keys). */
  log?: (line: string) => void;
  /**
   * Pause between SSE events of demo replies, in ms (default 0). With a pause, demo text is also cut
   * into pieces of about 16 characters, so a live demo shows text arriving progressively.
   */
  demoChunkDelayMs?: number;
}

/** Where a reply came from. */
export type ReplySource = "handler" | "script" | "demo" | "auxiliary" | "exhausted" | "invalid";

/** One line of the traffic log: every HTTP request, whatever its path. */
export interface HttpExchange {
  method: string;
  url: string;
  status: number;
  /** For `/v1/messages` requests: the seq of the ReceivedRequest and where its reply came from. */
  seq?: number;
  source?: ReplySource;
  /** The reply's `type` (text, tool_use, message, stall, error, drop). */
  reply?: ScriptedReply["type"];
}

export interface OfflineModel {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Every `POST /v1/messages` request, in arrival order (seq 1, 2, …). */
  readonly requests: readonly ReceivedRequest[];
  /** Every HTTP request (including /api/hello, count_tokens and 404s), in arrival order. */
  readonly traffic: readonly HttpExchange[];
  /** Scripted replies not consumed yet. */
  readonly queued: number;
  /**
   * Queue replies consumed one per `conversation` request (FIFO), after the handler and before the
   * fallback. Compaction and auxiliary requests never consume them (they get built-in answers).
   */
  script(...replies: ScriptedReply[]): void;
  /** Route per request (e.g. by a marker in the prompt); return undefined to fall through to the queue. */
  setHandler(handler: ReplyHandler | undefined): void;
  /**
   * Resolves with a snapshot of the log once at least n `/v1/messages` requests have arrived; rejects
   * after timeoutMs (default 10 s) with a message listing what did arrive, or when the server closes.
   */
  waitForRequests(n: number, timeoutMs?: number): Promise<readonly ReceivedRequest[]>;
  /** Stops listening, destroys open sockets (stalled or streaming requests) and rejects pending waits. */
  close(): Promise<void>;
}

/** Text sent after a stall that has no `then`. */
export const STALL_DEFAULT_TEXT = "This reply was held back on purpose by the offline model.";
/** Text partly streamed before a `drop` with `afterChunks`. */
export const DROP_TEXT = "This reply is cut off on purpose by the offline model before it ends.";
/** Upper bound on an accepted request body. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface Waiter {
  n: number;
  resolve: (requests: readonly ReceivedRequest[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function describe(reply: ScriptedReply): string {
  switch (reply.type) {
    case "tool_use":
      return `tool_use(${reply.name})`;
    case "message":
      return `message(${reply.blocks.map((b) => (b.type === "text" ? "text" : b.name)).join(",")})`;
    case "error":
      return `error(${reply.status})`;
    case "stall":
      return `stall(${reply.ms}ms)`;
    case "drop":
      return `drop(${reply.afterChunks ?? 0})`;
    case "text":
      return "text";
  }
}

class OfflineModelServer implements OfflineModel {
  readonly #server = createServer();
  readonly #host: string;
  readonly #fallback: Fallback;
  readonly #log: ((line: string) => void) | undefined;
  readonly #demoChunkDelayMs: number;
  readonly #requests: ReceivedRequest[] = [];
  readonly #traffic: HttpExchange[] = [];
  readonly #queue: ScriptedReply[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Map<NodeJS.Timeout, () => void>();
  readonly #waiters = new Set<Waiter>();
  #handler: ReplyHandler | undefined;
  #port = 0;
  #closed: Promise<void> | undefined;

  constructor(options: OfflineModelOptions) {
    this.#host = options.host ?? "127.0.0.1";
    this.#fallback = options.fallback ?? "demo";
    this.#log = options.log;
    this.#demoChunkDelayMs = options.demoChunkDelayMs ?? 0;
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    this.#server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#onRequest(req, res).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.#log?.(`offline-model: internal error: ${message}`);
        if (!res.headersSent && !res.destroyed) this.#sendError(res, 500, "api_error", `offline-model: ${message}`);
        else res.destroy();
      });
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, this.#host, () => {
        this.#server.off("error", reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  get url(): string {
    const host = this.#host.includes(":") ? `[${this.#host}]` : this.#host;
    return `http://${host}:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  get requests(): readonly ReceivedRequest[] {
    return this.#requests;
  }

  get traffic(): readonly HttpExchange[] {
    return this.#traffic;
  }

  get queued(): number {
    return this.#queue.length;
  }

  script(...replies: ScriptedReply[]): void {
    this.#queue.push(...replies);
  }

  setHandler(handler: ReplyHandler | undefined): void {
    this.#handler = handler;
  }

  waitForRequests(n: number, timeoutMs = 10_000): Promise<readonly ReceivedRequest[]> {
    if (this.#requests.length >= n) return Promise.resolve(this.#requests.slice());
    if (this.#closed !== undefined) {
      return Promise.reject(new Error(`offline-model: closed with ${this.#requests.length} of ${n} requests received`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        n,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          const seen = this.#requests.map((r) => `#${r.seq} ${r.kind}`).join(", ") || "none";
          reject(
            new Error(
              `offline-model: expected at least ${n} /v1/messages requests within ${timeoutMs} ms, got ${this.#requests.length} (${seen})`,
            ),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      for (const waiter of this.#waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`offline-model: closed with ${this.#requests.length} of ${waiter.n} requests received`));
      }
      this.#waiters.clear();
      for (const [timer, wake] of this.#timers) {
        clearTimeout(timer);
        wake();
      }
      this.#timers.clear();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closed;
  }

  /** Waits `ms`, or less if the server closes meanwhile. */
  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.set(timer, resolve);
    });
  }

  #record(exchange: HttpExchange, detail?: string): void {
    this.#traffic.push(exchange);
    const extra = exchange.seq === undefined ? "" : ` #${exchange.seq} ${exchange.source ?? ""} ${detail ?? ""}`.trimEnd();
    this.#log?.(`offline-model ${exchange.method} ${exchange.url} ${exchange.status}${extra}`);
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const path = url.split("?")[0] ?? "/";
    const rawBody = await readBody(req);
    if (rawBody === undefined) {
      this.#sendError(res, 413, "request_too_large", "offline-model: request body too large");
      this.#record({ method, url, status: 413 });
      return;
    }
    if ((path === "/" || path === "/api/hello") && (method === "GET" || method === "HEAD")) {
      this.#sendJson(res, 200, { ok: true, server: "offline-model" });
      this.#record({ method, url, status: 200 });
      return;
    }
    if (path === "/v1/messages/count_tokens" && method === "POST") {
      this.#sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(rawBody.length / 4)) });
      this.#record({ method, url, status: 200 });
      return;
    }
    if (path === "/v1/messages" || path === "/v1/messages/count_tokens") {
      if (method !== "POST") {
        this.#sendError(res, 405, "invalid_request_error", `offline-model: ${method} is not allowed on ${path}`);
        this.#record({ method, url, status: 405 });
        return;
      }
      await this.#onMessages(req, res, method, url, rawBody);
      return;
    }
    this.#sendError(res, 404, "not_found_error", `offline-model: no route for ${method} ${path}`);
    this.#record({ method, url, status: 404 });
  }

  async #onMessages(req: IncomingMessage, res: ServerResponse, method: string, url: string, rawBody: string) {
    const request = parseRequest({
      seq: this.#requests.length + 1,
      method,
      url,
      headers: headerRecord(req),
      rawBody,
      receivedAt: Date.now(),
    });
    this.#requests.push(request);
    for (const waiter of this.#waiters) {
      if (this.#requests.length >= waiter.n) {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.resolve(this.#requests.slice());
      }
    }
    let source: ReplySource;
    let reply: ScriptedReply;
    if (request.body === undefined) {
      source = "invalid";
      reply = { type: "error", status: 400, message: "offline-model: the request body is not a JSON object" };
    } else {
      const chosen = this.#choose(request);
      source = chosen.source;
      reply = chosen.reply;
    }
    const status = reply.type === "error" ? reply.status : reply.type === "drop" ? 0 : 200;
    this.#record({ method, url, status, seq: request.seq, source, reply: reply.type }, describe(reply));
    await this.#send(res, reply, request);
  }

  #choose(request: ReceivedRequest): { source: ReplySource; reply: ScriptedReply } {
    if (this.#handler !== undefined) {
      let fromHandler: ScriptedReply | undefined;
      try {
        fromHandler = this.#handler(request);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { source: "handler", reply: { type: "error", status: 500, message: `offline-model: handler threw: ${message}` } };
      }
      if (fromHandler !== undefined) return { source: "handler", reply: fromHandler };
    }
    if (request.kind !== "conversation") return { source: "auxiliary", reply: auxiliaryReply(request) };
    const scripted = this.#queue.shift();
    if (scripted !== undefined) return { source: "script", reply: scripted };
    if (this.#fallback === "demo") return { source: "demo", reply: this.#paced(demoReply(request)) };
    return {
      source: "exhausted",
      reply: {
        type: "error",
        status: 500,
        message: `offline-model: the script ran out: no scripted reply left for request #${request.seq}`,
      },
    };
  }

  /** Applies `demoChunkDelayMs` to a demo reply. */
  #paced(reply: ScriptedReply): ScriptedReply {
    if (this.#demoChunkDelayMs <= 0 || (reply.type !== "text" && reply.type !== "tool_use")) return reply;
    const length = reply.type === "text" ? reply.text.length : (reply.text ?? "").length;
    return { ...reply, chunkDelayMs: this.#demoChunkDelayMs, chunks: Math.max(3, Math.ceil(length / 16)) };
  }

  async #send(res: ServerResponse, reply: ScriptedReply, request: ReceivedRequest): Promise<void> {
    const requestId = `req_offline_${request.seq}`;
    const identity: MessageIdentity = {
      messageId: `msg_offline_${request.seq}`,
      model: request.model ?? "offline-model",
      toolIdPrefix: `toolu_offline_${request.seq}`,
    };
    switch (reply.type) {
      case "error": {
        const headers: Record<string, string> = { ...reply.headers };
        if (reply.retryAfterSeconds !== undefined) headers["retry-after"] = String(reply.retryAfterSeconds);
        this.#sendError(res, reply.status, reply.errorType ?? errorTypeForStatus(reply.status), reply.message, requestId, headers);
        return;
      }
      case "drop": {
        const after = reply.afterChunks ?? 0;
        if (after <= 0) {
          res.socket?.destroy();
          return;
        }
        const events = messageStreamEvents(normalizeMessage({ type: "text", text: DROP_TEXT, chunks: 8 }), identity);
        this.#startStream(res, requestId);
        for (const event of events.slice(0, after)) {
          if (res.destroyed) return;
          await new Promise<void>((resolve) => res.write(event, () => resolve()));
        }
        res.socket?.destroy();
        return;
      }
      case "stall": {
        let gone = false;
        res.once("close", () => (gone = true));
        await this.#sleep(reply.ms);
        if (gone || res.destroyed || this.#closed !== undefined) return;
        await this.#send(res, reply.then ?? { type: "text", text: STALL_DEFAULT_TEXT }, request);
        return;
      }
      case "text":
      case "tool_use":
      case "message": {
        const message = normalizeMessage(reply);
        if (!request.stream) {
          this.#sendJson(res, 200, messageJsonBody(message, identity), requestId);
          return;
        }
        this.#startStream(res, requestId);
        for (const event of messageStreamEvents(message, identity)) {
          if (res.destroyed || this.#closed !== undefined) return;
          res.write(event);
          await this.#sleep(message.chunkDelayMs);
        }
        if (!res.destroyed) res.end();
        return;
      }
    }
  }

  #startStream(res: ServerResponse, requestId: string): void {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "request-id": requestId,
    });
    res.flushHeaders();
  }

  #sendJson(res: ServerResponse, status: number, body: Record<string, unknown>, requestId?: string): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    };
    if (requestId !== undefined) headers["request-id"] = requestId;
    res.writeHead(status, headers);
    res.end(text);
  }

  #sendError(
    res: ServerResponse,
    status: number,
    errorType: string,
    message: string,
    requestId = `req_offline_http_${this.#traffic.length + 1}`,
    headers: Record<string, string> = {},
  ): void {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    this.#sendJson(res, status, errorBody(errorType, message, requestId), requestId);
  }
}

/** Reads a request body as UTF-8; undefined when it exceeds MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Starts an offline model on 127.0.0.1 (an ephemeral port unless `port` is given). */
export async function startOfflineModel(options: OfflineModelOptions = {}): Promise<OfflineModel> {
  const model = new OfflineModelServer(options);
  await model.listen(options.port ?? 0);
  return model;
}
