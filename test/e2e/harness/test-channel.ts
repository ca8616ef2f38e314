// Test-process side of the test channel fixture (test/e2e/fixtures/test-channel): reads the
// outbound record file the plugin appends to, and drives the plugin's HTTP routes on the gateway
// (inject an inbound message, make the next sends fail).

import { existsSync, readFileSync } from "node:fs";
import {
  TEST_CHANNEL_CONTROL_PATH,
  TEST_CHANNEL_INBOUND_PATH,
  TEST_CHANNEL_SECRET_HEADER,
  type ControlResponse,
  type InjectInboundRequest,
  type InjectInboundResponse,
  type RecordedOutbound,
  type TestFailMode,
} from "../fixtures/test-channel/protocol.ts";
import { sleep } from "./processes.ts";

export type { InjectInboundRequest, InjectInboundResponse, RecordedOutbound, TestFailMode };

export interface WaitForOutboundOptions {
  /** Only consider records after the first `after` ones (e.g. `outbound().length` taken earlier). */
  after?: number;
}

export interface InjectOptions {
  /** Bound on the whole injection, which includes the agent turn and its reply (default 60 s). */
  timeoutMs?: number;
}

export interface TestChannelClient {
  readonly recordFile: string;
  /** Every recorded send attempt so far, in order (failed attempts have ok:false). */
  outbound(): RecordedOutbound[];
  /** First record (after `options.after`) matching `predicate`; polls the record file. */
  waitForOutbound(
    predicate: (record: RecordedOutbound) => boolean,
    timeoutMs: number,
    options?: WaitForOutboundOptions,
  ): Promise<RecordedOutbound>;
  /**
   * The next `n` sends to the channel throw (0 clears). Mode "not-dispatched" (default) tells the
   * host nothing was sent, so its delivery queue may replay; "ambiguous" is a plain error.
   */
  failNextSends(n: number, options?: { mode?: TestFailMode }): Promise<void>;
  /** Makes every outbound send from now on hang (never answer), or work again; returns how many hung so far. */
  hangSends(hang: boolean): Promise<number>;
  /** How many outbound sends were left hanging so far. */
  hungSends(): Promise<number>;
  /**
   * Hands a message from `from` in `chat` (default: a direct chat with `from`) to OpenClaw's
   * normal inbound path. Resolves once the host has processed it (agent turn and reply included).
   * Throws when the plugin route rejects the request; host-side dispatch errors come back in
   * `error` with ok:false.
   */
  injectInbound(request: InjectInboundRequest, options?: InjectOptions): Promise<InjectInboundResponse>;
}

export interface TestChannelClientOptions {
  gatewayUrl: () => string;
  recordFile: string;
  secret: string;
}

export function createTestChannelClient(options: TestChannelClientOptions): TestChannelClient {
  const { recordFile, secret } = options;

  function outbound(): RecordedOutbound[] {
    if (!existsSync(recordFile)) return [];
    const out: RecordedOutbound[] = [];
    for (const line of readFileSync(recordFile, "utf8").split("\n")) {
      if (line.trim().length === 0) continue;
      try {
        out.push(JSON.parse(line) as RecordedOutbound);
      } catch {
        // a line being written right now; the next read sees it whole
      }
    }
    return out;
  }

  async function post(path: string, body: unknown, timeoutMs: number): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${options.gatewayUrl()}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", [TEST_CHANNEL_SECRET_HEADER]: secret },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, json };
  }

  return {
    recordFile,
    outbound,
    waitForOutbound: async (predicate, timeoutMs, waitOptions = {}) => {
      const deadline = Date.now() + timeoutMs;
      const after = waitOptions.after ?? 0;
      for (;;) {
        const found = outbound().slice(after).find(predicate);
        if (found) return found;
        if (Date.now() >= deadline) {
          const seen = outbound().slice(after);
          const recent = seen.slice(-5).map((r) => `  ${r.ok ? "ok" : "FAILED"} ${r.via} to=${r.to}: ${r.text.slice(0, 120)}`);
          throw new Error(
            `test-channel: no matching outbound message within ${timeoutMs} ms (${seen.length} recorded after #${after})` +
              (recent.length > 0 ? `; last:\n${recent.join("\n")}` : ""),
          );
        }
        await sleep(50);
      }
    },
    failNextSends: async (n, failOptions = {}) => {
      const { status, json } = await post(TEST_CHANNEL_CONTROL_PATH, { failNextSends: n, failMode: failOptions.mode ?? "not-dispatched" }, 10_000);
      const body = json as ControlResponse;
      if (status !== 200 || body.failNextSends !== n) {
        throw new Error(`test-channel: failNextSends(${n}) failed: HTTP ${status} ${JSON.stringify(json)}`);
      }
    },
    hangSends: async (hang) => {
      const { status, json } = await post(TEST_CHANNEL_CONTROL_PATH, { hangSends: hang }, 10_000);
      const body = json as ControlResponse;
      if (status !== 200 || body.hangSends !== hang) throw new Error(`test-channel: hangSends(${hang}) failed: HTTP ${status} ${JSON.stringify(json)}`);
      return body.hungSends;
    },
    hungSends: async () => {
      const { status, json } = await post(TEST_CHANNEL_CONTROL_PATH, {}, 10_000);
      if (status !== 200) throw new Error(`test-channel: control failed: HTTP ${status} ${JSON.stringify(json)}`);
      return (json as ControlResponse).hungSends;
    },
    injectInbound: async (request, injectOptions = {}) => {
      for (let attempt = 1; ; attempt++) {
        const { status, json } = await post(TEST_CHANNEL_INBOUND_PATH, request, injectOptions.timeoutMs ?? 60_000);
        if (status === 200) return json as InjectInboundResponse;
        const text = typeof json === "string" ? json : JSON.stringify(json);
        // The host's own transient: the first message to an agent opens its database and starts a
        // verification worker that holds the state lock for a moment; a message arriving then is
        // refused before it is dispatched. A channel would deliver it again; so do we, a few times.
        if (attempt < 5 && text.includes("StateDatabaseCoordinatorContentionError")) {
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
          continue;
        }
        throw new Error(`test-channel: inbound injection failed: HTTP ${status} ${text}`);
      }
    },
  };
}
