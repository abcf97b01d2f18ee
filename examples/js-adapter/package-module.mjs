// Writes src/package.js from package.json: the adapter's name and version have one
// source, package.json, which build.sh also reads to name the file (`<name>.wasm`; the
// gateway refuses a file whose stem differs from `info().name`).
//
// Why a generated module: the component cannot read package.json when it runs (it has
// no filesystem), and importing JSON from a module (`with { type: "json" }`) is not
// something both componentize-js and Node 20 do without warnings or flags. A plain ES
// module of two constants works the same in both. build.sh and `npm test` (its
// `pretest` script) run this first, so the file can never be stale where it is used; it
// is not committed (.gitignore).
//
//   node package-module.mjs

import { readFileSync, renameSync, writeFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
// The gateway's rule for adapter names (info().name), checked here rather than at load.
if (typeof pkg.name !== "string" || !/^[A-Za-z0-9._-]+$/.test(pkg.name)) {
  console.error(`package.json: "name" must be letters, digits, "-", "_" or "." (it names the adapter), not ${JSON.stringify(pkg.name)}`);
  process.exit(1);
}
if (typeof pkg.version !== "string" || pkg.version === "") {
  console.error('package.json: "version" must be a string (it is the adapter\'s version on /health)');
  process.exit(1);
}

const text = `// Generated from package.json by package-module.mjs (build.sh and \`npm test\` run it):
// edit package.json, not this file.

/** Models select the adapter by this name; the file must be \`<NAME>.wasm\`. */
export const NAME = ${JSON.stringify(pkg.name)};
export const VERSION = ${JSON.stringify(pkg.version)};
`;

const target = new URL("./src/package.js", import.meta.url);
let current;
try {
  current = readFileSync(target, "utf8");
} catch {
  current = undefined;
}
if (current !== text) {
  const tmp = new URL("./src/.package.js.tmp", import.meta.url);
  writeFileSync(tmp, text);
  renameSync(tmp, target);
}
