// Typed errors with stable codes: the engine and the operations throw these, surfaces turn them into sentences.

export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "AMBIGUOUS"
  | "LIMIT_REACHED"
  | "NOT_RUNNING"
  | "ALREADY_FINISHED"
  | "FORBIDDEN"
  | "UNAVAILABLE";

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

export function isSessionError(err: unknown): err is SessionError {
  return err instanceof SessionError;
}
