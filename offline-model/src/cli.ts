// Runs the offline model standalone: `node offline-model/src/cli.ts [--port N] [--fallback demo|error] …`.
import { parseArgs } from "node:util";
import { startOfflineModel, type Fallback } from "./server.ts";

const USAGE =
  "usage: node offline-model/src/cli.ts [--port N] [--host 127.0.0.1] [--fallback demo|error] [--demo-delay-ms MS] [--quiet]";

async function main(): Promise<void> {
  let values: { port?: string; host?: string; fallback?: string; "demo-delay-ms"?: string; quiet?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string", default: "0" },
        host: { type: "string", default: "127.0.0.1" },
        fallback: { type: "string", default: "demo" },
        "demo-delay-ms": { type: "string", default: "0" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid --port ${values.port ?? ""}\n${USAGE}\n`);
    process.exit(2);
  }
  const fallback = values.fallback;
  if (fallback !== "demo" && fallback !== "error") {
    process.stderr.write(`invalid --fallback ${fallback ?? ""}\n${USAGE}\n`);
    process.exit(2);
  }
  const demoChunkDelayMs = Number(values["demo-delay-ms"]);
  if (!Number.isFinite(demoChunkDelayMs) || demoChunkDelayMs < 0) {
    process.stderr.write(`invalid --demo-delay-ms ${values["demo-delay-ms"] ?? ""}\n${USAGE}\n`);
    process.exit(2);
  }
  const model = await startOfflineModel({
    demoChunkDelayMs,
    port,
    host: values.host ?? "127.0.0.1",
    fallback: fallback satisfies Fallback,
    log: values.quiet === true ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`offline-model listening on ${model.url}\n`);
  const stop = (signal: NodeJS.Signals): void => {
    process.stderr.write(`offline-model: ${signal}, stopping\n`);
    model.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`offline-model: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
