// The VS Code client of `pipec lsp`: starts the server for .pipe files and
// shows the standard library's pipec-std: documents, read-only, with the
// text the server gives.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("pipec");
  const server = {
    command: config.get("path", "pipec"),
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
  client = new LanguageClient(
    "pipec",
    "pipec",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "pipe" },
        { scheme: "pipec-std", language: "pipe" },
      ],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.pipe"),
      },
      initializationOptions: { programs: config.get("programs", "directory") },
    },
  );
  // Documents of a scheme with a content provider are read-only.
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider("pipec-std", {
      provideTextDocumentContent: async (uri) => {
        const r = await client.sendRequest("pipec/virtualDocument", { uri: uri.toString() });
        return r.text;
      },
    }),
  );
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((doc) => {
      if (doc.uri.scheme === "pipec-std" && doc.languageId !== "pipe") {
        vscode.languages.setTextDocumentLanguage(doc, "pipe");
      }
    }),
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
