// Writes the manifest's configSchema (openclaw.plugin.json) from the config's one TypeBox schema.
// Run after changing src/config-schema.ts: sh scripts/with-node.sh node scripts/gen-manifest.ts
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { manifestConfigSchema } from "../src/config-schema.ts";

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "openclaw.plugin.json");
const manifest = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
manifest.configSchema = manifestConfigSchema();
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote the configSchema of ${path.basename(file)}`);
