// The Beamtalk extension: starts `beamtalk lsp` for .bt files and binds the server's commands
// (evaluate the selection, load the file, run the TestCase class under the cursor).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("beamtalk");
  const args = ["lsp"];
  if (config.get("workspace")) {
    args.push("-w", config.get("workspace"));
  }
  const server = { command: config.get("path"), args };
  client = new LanguageClient(
    "beamtalk",
    "Beamtalk",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "beamtalk" }],
      initializationOptions: { loadOnSave: config.get("loadOnSave") },
    }
  );
  client.start();

  const run = async (command, args) => {
    try {
      const r = await client.sendRequest("workspace/executeCommand", { command, arguments: args });
      const text = (r.output || "") + r.value;
      (r.error ? vscode.window.showErrorMessage : vscode.window.showInformationMessage)(text);
    } catch (e) {
      vscode.window.showErrorMessage(`beamtalk: ${e.message}`);
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand("beamtalk.evalSelection", () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const sel = editor.selection;
      const text = sel.isEmpty ? editor.document.lineAt(sel.active.line).text : editor.document.getText(sel);
      return run("beamtalk.eval", [text]);
    }),
    vscode.commands.registerCommand("beamtalk.loadFile", () => {
      const editor = vscode.window.activeTextEditor;
      if (editor) return run("beamtalk.load", [editor.document.uri.toString()]);
    }),
    vscode.commands.registerCommand("beamtalk.testClass", () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const p = editor.selection.active;
      return run("beamtalk.test", [editor.document.uri.toString(), { line: p.line, character: p.character }]);
    })
  );
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
