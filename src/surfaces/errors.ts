// How surfaces report failures: our typed errors become one-line reasons; anything else is an
// internal error, logged once with its stack and shown without it.
import { isSessionError, type ErrorCode, type Logger } from "../engine/index.ts";

export interface Failure {
  code: ErrorCode | "INTERNAL";
  message: string;
  /** Structured facts for machines (e.g. the live sessions when the limit is reached). */
  details?: Readonly<Record<string, unknown>>;
}

export function toFailure(err: unknown, logger: Logger, where: string): Failure {
  if (isSessionError(err)) return err.data ? { code: err.code, message: err.message, details: err.data } : { code: err.code, message: err.message };
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  logger.error(`${where} failed unexpectedly: ${detail}`);
  const message = err instanceof Error ? err.message : String(err);
  return { code: "INTERNAL", message: `Internal error in the Claude Code plugin (${message.split("\n")[0]}); the gateway log has details.` };
}

/** For failures before the services exist (they carry the host's logger). */
export const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};
