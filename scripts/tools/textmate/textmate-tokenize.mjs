// textmate-tokenize: tokenizes files with a TextMate grammar the way VS Code
// does (vscode-textmate on the Oniguruma regular-expression engine), and
// reports what would show a file wrongly: a scope named `invalid`, or a rule
// still open at the end of a file (a string or block that never closed).
//
//   textmate-tokenize GRAMMAR.json FILE...        one JSON report; exit 1 on problems
//   textmate-tokenize GRAMMAR.json --dump FILE    every token: line, text, scopes
//
// A Markdown file is read for its ```pipe blocks, each tokenized on its own.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const [grammarPath, ...rest] = process.argv.slice(2);
const dump = rest[0] === "--dump";
const files = dump ? rest.slice(1) : rest;
if (!grammarPath || files.length === 0) {
  console.error("usage: textmate-tokenize GRAMMAR.json [--dump] FILE...");
  process.exit(2);
}

const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
await oniguruma.loadWASM(wasm);
const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }),
  loadGrammar: async () => vsctm.parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath),
});
const raw = JSON.parse(readFileSync(grammarPath, "utf8"));
const grammar = await registry.loadGrammar(raw.scopeName);

// The texts to tokenize: the file, or each ```pipe block of a Markdown file.
function texts(file) {
  const text = readFileSync(file, "utf8");
  if (!file.endsWith(".md")) return [{ name: file, text }];
  const out = [];
  const re = /^```pipe\n([\s\S]*?)^```$/gm;
  let m;
  while ((m = re.exec(text)) !== null) {
    const line = text.slice(0, m.index).split("\n").length;
    out.push({ name: `${file}:${line}`, text: m[1] });
  }
  return out;
}

const problems = [];
let count = 0;
let lines = 0;
for (const file of files) {
  for (const { name, text } of texts(file)) {
    count++;
    let stack = vsctm.INITIAL;
    text.split("\n").forEach((line, i) => {
      lines++;
      const r = grammar.tokenizeLine(line, stack);
      for (const t of r.tokens) {
        const piece = line.slice(t.startIndex, t.endIndex);
        if (dump) console.log(JSON.stringify({ line: i + 1, text: piece, scopes: t.scopes }));
        if (t.scopes.some((s) => s.startsWith("invalid"))) {
          problems.push({ file: name, line: i + 1, text: piece, scopes: t.scopes });
        }
      }
      stack = r.ruleStack;
    });
    // At the root of the grammar the stack holds one rule: the file's.
    if (stack.depth > 1) {
      problems.push({ file: name, line: "end", text: "", scopes: ["a rule is still open"] });
    }
  }
}
if (!dump) console.log(JSON.stringify({ texts: count, lines, problems }, null, 2));
process.exit(problems.length === 0 ? 0 : 1);
