// Process helpers for the e2e harness; they live in scripts/lib because `npm start` uses them too.
export * from "../../../scripts/lib/processes.ts";
