// After tsc: make the CLI entry executable (tsc does not keep modes) and copy the assets tsc does not
// emit: the PowerShell templates of src/exchange/templates, read at run time beside dist/exchange/script.js.
import { chmodSync, cpSync, existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (existsSync(entry)) chmodSync(entry, 0o755);

const templates = new URL("../src/exchange/templates/", import.meta.url);
cpSync(templates, new URL("../dist/exchange/templates/", import.meta.url), {
  recursive: true,
  filter: (src) => !/\.(ts|md)$/.test(src),
});
