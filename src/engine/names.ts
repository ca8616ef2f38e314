// Session identity: short URL-safe ids, human names derived from the prompt, de-duplication.
import { randomBytes } from "node:crypto";
import { invalid } from "./errors.ts";

const ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"; // no 0/o/1/l: easy to read aloud and type

/** A short id for a permission request, easy to type on a phone: "r" and 4 characters. */
export function randomRequestId(): string {
  let id = "r";
  for (const b of randomBytes(4)) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

/** An 8-character URL-safe id. */
export function randomSessionId(): string {
  const bytes = randomBytes(8);
  let id = "";
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

const STOP_WORDS = new Set([
  "a", "an", "the", "to", "in", "on", "of", "for", "and", "or", "with", "at", "by", "from", "into",
  "please", "can", "could", "would", "you", "me", "my", "our", "i", "we", "it", "its", "this", "that",
  "is", "are", "be", "do", "some", "all", "let", "lets", "let's", "now", "just", "then", "so",
]);

export const MAX_NAME_LENGTH = 48;
const NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]*$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function looksLikeUuid(ref: string): boolean {
  return UUID_PATTERN.test(ref);
}

/** The first three meaningful words of the prompt, kebab-case, or "session" when there are none. */
export function nameFromPrompt(prompt: string): string {
  const words = prompt
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0 && !STOP_WORDS.has(w));
  const name = words.slice(0, 3).join("-").slice(0, MAX_NAME_LENGTH).replace(/-+$/, "");
  return name.length > 0 ? name : "session";
}

/** Checks a name given by a person; returns it lower-cased or throws a reason they can act on. */
export function validateGivenName(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (name.length === 0) throw invalid("name is empty: give a short name such as \"fix-tests\", or leave it out to derive one from the prompt");
  if (name.length > MAX_NAME_LENGTH) throw invalid(`name is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`);
  if (!NAME_PATTERN.test(name)) {
    throw invalid(`name "${raw}" may contain only letters a-z, digits, "-", "_" and "." and must start with a letter or digit`);
  }
  if (looksLikeUuid(name)) throw invalid(`name "${raw}" looks like a Claude session UUID; pick a name that does not`);
  return name;
}

/** `base`, or `base-2`, `base-3`, … : the first that `taken` does not hold. */
export function dedupeName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = base.slice(0, MAX_NAME_LENGTH - suffix.length) + suffix;
    if (!taken(candidate)) return candidate;
  }
}
