//! `beamtalk lsp` spoken to over its stdio, as an editor does: every feature, bad input answered with
//! protocol errors, and a live workspace that adds to what the server knows and dies mid-session.

mod common;
#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::{Project, run};
use lsp_client::{Client, WAIT, spawn_server, url, wait_exit};

const COUNTER: &str = "/// Counts up.\nActor subclass: Counter\n  state: count = 0\n\n  /// One more.\n  increment => self.count := self.count + 1\n  count => self.count\n";

#[test]
fn diagnostics_follow_the_text_as_it_is_typed() {
    let p = Project::new();
    let mut c = Client::start(p.cmd(&[]), p.project.path(), json!({}));
    let uri = url(&p.project.path().join("scratch.bt"));
    c.open(
        &uri,
        "Object subclass: A\n  m => y + 1\n  n => (1 +\n  k => Countr new\n",
    );
    let d = c.diagnostics(&uri, |d| d.len() == 3);
    let messages: Vec<&str> = d.iter().filter_map(|x| x["message"].as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("undefined variable `y`")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("unknown class `Countr`")),
        "{messages:?}"
    );
    assert_eq!(d[0]["range"]["start"]["line"], 1, "{d:?}");
    c.change(&uri, 2, "Object subclass: A\n  m: y => y + 1\n");
    c.diagnostics(&uri, <[Value]>::is_empty);
    assert_eq!(c.finish(), 0);
}

#[test]
fn completion_knows_receivers_files_and_keyword_templates() {
    let p = Project::new();
    std::fs::write(p.project.path().join("counter.bt"), COUNTER).expect("write");
    let mut c = Client::start(p.cmd(&[]), p.project.path(), json!({}));
    let uri = url(&p.project.path().join("main.bt"));
    let text = "c := Counter sp\nn := \"abc\" siz\nCou\nc inc\nc := Counter new\nc inc";
    c.open(&uri, text);
    let spawn = c.completion_labels(&uri, 0, 15);
    assert!(spawn.starts_with(&["spawn".to_owned()]), "{spawn:?}");
    assert!(!spawn.iter().any(|l| l == "split:"), "{spawn:?}");
    assert_eq!(c.completion_labels(&uri, 1, 14), ["size"]);
    assert!(
        c.completion_labels(&uri, 2, 3)
            .contains(&"Counter".to_owned())
    );
    assert_eq!(c.completion_labels(&uri, 5, 5), ["increment"]);
    let r = c.at("textDocument/completion", &uri, 0, 15, json!({}));
    let with = r["result"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["label"] == "spawnWith:")
        .cloned()
        .expect("spawnWith:");
    assert_eq!(with["insertTextFormat"], 2);
    assert_eq!(with["textEdit"]["newText"], "spawnWith: ${1:arg}");
    assert_eq!(c.finish(), 0);
}

#[test]
fn hover_definition_references_symbols_rename_and_formatting() {
    let p = Project::new();
    let counter = p.project.path().join("counter.bt");
    std::fs::write(&counter, COUNTER).expect("write");
    let mut c = Client::start(p.cmd(&[]), p.project.path(), json!({}));
    let uri = url(&p.project.path().join("use.bt"));
    let text = "Object subclass: User\n  run: times =>\n    k := Counter spawn\n    k increment\n    times+k count\n";
    c.open(&uri, text);
    c.diagnostics(&uri, |_| true);
    // Hover on `Counter` and on `increment`: their `///` comments.
    let h = c.at("textDocument/hover", &uri, 2, 11, json!({}));
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .contains("Counts up."),
        "{h}"
    );
    let h = c.at("textDocument/hover", &uri, 3, 8, json!({}));
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .contains("One more."),
        "{h}"
    );
    // Definition of `increment` is in counter.bt, line 5.
    let d = c.at("textDocument/definition", &uri, 3, 8, json!({}));
    assert_eq!(d["result"][0]["uri"], url(&counter), "{d}");
    assert_eq!(d["result"][0]["range"]["start"]["line"], 5, "{d}");
    // References to Counter: its definition, and the send here.
    let r = c.at(
        "textDocument/references",
        &uri,
        2,
        11,
        json!({ "context": { "includeDeclaration": true } }),
    );
    let files: Vec<&str> = r["result"]
        .as_array()
        .expect("refs")
        .iter()
        .filter_map(|l| l["uri"].as_str())
        .collect();
    assert!(
        files.contains(&url(&counter).as_str()) && files.contains(&uri.as_str()),
        "{r}"
    );
    // Symbols.
    let s = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(s["result"][0]["name"], "User");
    assert_eq!(s["result"][0]["children"][0]["name"], "run:");
    let w = c.request("workspace/symbol", json!({ "query": "incre" }));
    assert_eq!(w["result"][0]["name"], "increment", "{w}");
    // Rename the local `k`: three places; a selector cannot be renamed here.
    let e = c.at(
        "textDocument/rename",
        &uri,
        3,
        4,
        json!({ "newName": "counter" }),
    );
    assert_eq!(
        e["result"]["changes"][&uri].as_array().map(Vec::len),
        Some(3),
        "{e}"
    );
    let refused = c.at("textDocument/rename", &uri, 3, 8, json!({ "newName": "x" }));
    assert!(refused["error"].is_object(), "{refused}");
    // Formatting: `times+k` gets its spaces.
    let f = c.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    let new = f["result"][0]["newText"].as_str().expect("an edit");
    assert!(new.contains("times + k count"), "{new}");
    assert_eq!(c.finish(), 0);
}

#[test]
fn bad_input_gets_protocol_errors_and_the_server_goes_on() {
    let p = Project::new();
    let mut child = spawn_server(p.cmd(&[]));
    // A request before `initialize`, then `exit` without `shutdown`: refused, exit status 1.
    let stdin = child.stdin.as_mut().expect("stdin");
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {} })
        .to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
    let body = json!({ "jsonrpc": "2.0", "method": "exit" }).to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
    drop(child.stdin.take());
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read");
    assert!(out.contains("-32002"), "{out}");
    assert_eq!(wait_exit(&mut child), 1);

    let mut c = Client::start(p.cmd(&[]), p.project.path(), json!({}));
    c.send_raw(b"{this is not json");
    let e = c.response(Value::Null);
    assert_eq!(e["error"]["code"], -32700, "{e}");
    c.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"x\",\"params\":\"\xff\xfe\"}");
    let e = c.response(Value::Null);
    assert_eq!(e["error"]["code"], -32700, "{e}");
    let e = c.request("no/such/method", json!({}));
    assert_eq!(e["error"]["code"], -32601, "{e}");
    let e = c.request("textDocument/hover", json!({ "nonsense": true }));
    assert_eq!(e["error"]["code"], -32602, "{e}");
    // A 10 MB document: kept, not analysed, and the server still answers at once.
    let uri = url(&p.project.path().join("huge.bt"));
    let huge = "x := 1\n".repeat(10 * 1024 * 1024 / 7);
    c.open(&uri, &huge);
    let d = c.diagnostics(&uri, |d| !d.is_empty());
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not analysed"),
        "{d:?}"
    );
    let started = Instant::now();
    let r = c.at("textDocument/completion", &uri, 3, 1, json!({}));
    assert!(r["result"].is_object(), "{r}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // A document that does not lex at all still gets an answer, not a crash.
    let bad = url(&p.project.path().join("bad.bt"));
    c.open(&bad, "x := \"unterminated\n`\u{0}");
    c.diagnostics(&bad, |d| !d.is_empty());
    let r = c.at("textDocument/hover", &bad, 0, 1, json!({}));
    assert!(r.get("result").is_some(), "{r}");
    assert_eq!(c.finish(), 0);
}

#[test]
fn a_live_workspace_adds_its_bindings_and_classes_runs_commands_and_may_die() {
    let p = Project::with_loaded("widget.bt", "Object subclass: Widget\n  spin => 1\n");
    p.eval_ok("sharedTotal := 42");
    std::fs::remove_file(p.project.path().join("widget.bt")).expect("remove");
    let mut c = Client::start(p.cmd(&[]), p.project.path(), json!({}));
    let uri = url(&p.project.path().join("main.bt"));
    c.open(&uri, "shared\nWidg\nw := Widget new\nw sp");
    assert_eq!(c.completion_labels(&uri, 0, 6), ["sharedTotal"]);
    assert_eq!(c.completion_labels(&uri, 1, 4), ["Widget"]);
    assert_eq!(c.completion_labels(&uri, 3, 4), ["spin"]);
    let r = c.request(
        "workspace/executeCommand",
        json!({ "command": "beamtalk.eval", "arguments": ["sharedTotal + 1"] }),
    );
    assert_eq!(r["result"]["value"], "43", "{r}");
    // Load a file, then its TestCase runs.
    let test = p.project.path().join("widget_test.bt");
    std::fs::write(&test, "Object subclass: Widget\n  spin => 2\n\nTestCase subclass: WidgetTest\n  testSpin => self assert: Widget new spin equals: 2\n").expect("write");
    let r = c.request(
        "workspace/executeCommand",
        json!({ "command": "beamtalk.test", "arguments": [url(&test), "WidgetTest"] }),
    );
    assert_eq!(r["result"]["error"], false, "{r}");
    assert!(
        r["result"]["value"]
            .as_str()
            .unwrap_or_default()
            .contains("1 passed"),
        "{r}"
    );
    // With load on save, a saved file's classes reach the workspace.
    let mut saver = Client::start(p.cmd(&[]), p.project.path(), json!({ "loadOnSave": true }));
    let saved = p.project.path().join("saved.bt");
    std::fs::write(
        &saved,
        "Object subclass: Saved\n  hello => \"hi from a save\"\n",
    )
    .expect("write");
    saver.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": url(&saved) } }),
    );
    let shown = saver.notification("window/showMessage", |_| true);
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Saved"),
        "{shown}"
    );
    assert_eq!(p.eval_ok("Saved new hello"), "hi from a save");
    assert_eq!(saver.finish(), 0);
    // The workspace stops: the server carries on offline, its bindings and classes forgotten.
    let (code, _, err, _) = run(&mut p.cmd(&["workspace", "stop", "--all", "--force"]));
    assert_eq!(code, 0, "{err}");
    let deadline = Instant::now() + WAIT;
    while !c.completion_labels(&uri, 1, 4).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the stopped workspace's classes are still offered"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(c.completion_labels(&uri, 0, 6).is_empty());
    let h = c.at("textDocument/hover", &uri, 2, 7, json!({}));
    assert!(h.get("result").is_some(), "{h}");
    assert_eq!(c.finish(), 0);
}
