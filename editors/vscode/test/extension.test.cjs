// Loads extension.js with stand-ins for the `vscode` and
// `vscode-languageclient` modules and checks what it asks of them: the
// server started as `pipec lsp` for .pipe files, and pipec-std: documents
// filled from the server's pipec/virtualDocument request. Run with node; it
// needs nothing installed.
"use strict";

const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

const root = path.join(__dirname, "..");
const seen = { providers: {}, requests: [] };

const vscode = {
  workspace: {
    getConfiguration: () => ({ get: (_key, fallback) => fallback }),
    createFileSystemWatcher: (glob) => ({ glob }),
    registerTextDocumentContentProvider: (scheme, provider) => {
      seen.providers[scheme] = provider;
      return { dispose() {} };
    },
    onDidOpenTextDocument: () => ({ dispose() {} }),
  },
  languages: { setTextDocumentLanguage: () => {} },
};

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(seen, { id, serverOptions, clientOptions });
  }
  start() {
    seen.started = true;
    return Promise.resolve();
  }
  sendRequest(method, params) {
    seen.requests.push({ method, params });
    return Promise.resolve({ text: "template build() -> image {}\n" });
  }
}
const languageclient = { LanguageClient, TransportKind: { stdio: 0 } };

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "vscode" || request === "vscode-languageclient/node") return request;
  return resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: vscode };
require.cache["vscode-languageclient/node"] = {
  id: "vscode-languageclient/node",
  filename: "vscode-languageclient/node",
  loaded: true,
  exports: languageclient,
};

(async () => {
  const ext = require(path.join(root, "extension.js"));
  await ext.activate({ subscriptions: [] });
  assert.strictEqual(seen.started, true);
  assert.deepStrictEqual(seen.serverOptions.run.command, "pipec");
  assert.deepStrictEqual(seen.serverOptions.run.args, ["lsp"]);
  const selector = seen.clientOptions.documentSelector;
  assert.ok(selector.some((s) => s.scheme === "file" && s.language === "pipe"));
  assert.deepStrictEqual(seen.clientOptions.initializationOptions, { programs: "directory" });
  const text = await seen.providers["pipec-std"].provideTextDocumentContent({
    toString: () => "pipec-std://std/docker.pipe",
  });
  assert.strictEqual(text, "template build() -> image {}\n");
  assert.deepStrictEqual(seen.requests, [
    { method: "pipec/virtualDocument", params: { uri: "pipec-std://std/docker.pipe" } },
  ]);

  // The manifest names files that exist and parse.
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const language = manifest.contributes.languages[0];
  JSON.parse(fs.readFileSync(path.join(root, language.configuration), "utf8"));
  const grammar = manifest.contributes.grammars[0];
  const raw = JSON.parse(fs.readFileSync(path.join(root, grammar.path), "utf8"));
  assert.strictEqual(raw.scopeName, grammar.scopeName);
  assert.deepStrictEqual(language.extensions, [".pipe"]);
  console.log("extension ok");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
