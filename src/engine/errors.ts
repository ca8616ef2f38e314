// Typed errors with stable codes: the engine and the operations throw these, surfaces turn them into sentences.

export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "AMBIGUOUS"
  | "LIMIT_REACHED"
  | "NOT_RUNNING"
  | "ALREADY_FINISHED"
  | "FORBIDDEN"
  | "UNAVAILABLE"
  /** The gateway is not set up for the orchestration loop (the pre-launch safety checks). */
  | "SETUP_REQUIRED"
  /** The action collides with the state of things: a merge conflict, a dirty checkout, a session still running. */
  | "CONFLICT";

export class SessionError extends Error {
  readonly code: ErrorCode;
  /** Extra structured facts for RPC payloads (e.g. the live sessions when the limit is reached). */
  readonly data: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = "SessionError";
    this.code = code;
    this.data = data;
  }
}

export function invalid(message: string): SessionError {
  return new SessionError("INVALID_ARGUMENT", message);
}

/**
 * By shape as well as by class: the host loads the plugin once per registry (module generations),
 * so an error thrown by the running service's copy of this class reaches surfaces of another copy.
 */
export function isSessionError(err: unknown): err is SessionError {
  if (err instanceof SessionError) return true;
  return err instanceof Error && err.name === "SessionError" && typeof (err as { code?: unknown }).code === "string";
}
