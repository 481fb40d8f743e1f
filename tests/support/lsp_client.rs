//! A client of `beamtalk lsp` over its stdio, as an editor is: requests and their responses,
//! notifications kept until asked for. Shared by tests/lsp.rs and benches/editor.rs.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running `beamtalk lsp` and what it has sent.
pub struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::Receiver<Value>,
    /// Notifications received while waiting for responses.
    seen: Vec<Value>,
    next_id: i64,
}

pub const WAIT: Duration = Duration::from_secs(30);

/// `beamtalk lsp` started from `cmd`, its stdin and stdout piped.
pub fn spawn_server(mut cmd: Command) -> Child {
    cmd.arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start beamtalk lsp")
}

impl Client {
    pub fn start(cmd: Command, root: &Path, options: Value) -> Self {
        let mut child = spawn_server(cmd);
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse().expect("a length");
                    }
                }
                let mut body = vec![0; length];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let _ = tx.send(serde_json::from_slice(&body).expect("the server sends JSON"));
            }
        });
        let mut c = Client {
            child,
            stdin,
            rx,
            seen: Vec::new(),
            next_id: 0,
        };
        let uri = url(root);
        let init = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": uri, "capabilities": {}, "initializationOptions": options }),
        );
        assert!(
            init["result"]["capabilities"]["completionProvider"].is_object(),
            "{init}"
        );
        c.notify("initialized", json!({}));
        c
    }

    pub fn send_raw(&mut self, body: &[u8]) {
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(body);
        self.stdin.write_all(&frame).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params });
        self.send_raw(body.to_string().as_bytes());
    }

    /// Sends a request and waits for its response (the whole message).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.send_raw(body.to_string().as_bytes());
        self.response(json!(id))
    }

    pub fn response(&mut self, id: Value) -> Value {
        self.wait_for(&format!("the response to {id}"), |m| {
            m.get("id") == Some(&id) && m.get("method").is_none()
        })
    }

    /// The next `method` notification whose params satisfy `want` (earlier ones included).
    pub fn notification(&mut self, method: &str, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self
            .seen
            .iter()
            .position(|m| m["method"] == method && want(&m["params"]))
        {
            return self.seen.remove(i);
        }
        self.wait_for(method, |m| m["method"] == method && want(&m["params"]))
    }

    /// The next message that `is` accepts, the others kept; `what` names it if none comes in time.
    fn wait_for(&mut self, what: &str, is: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {what} in time; seen: {:?}", self.seen));
            if is(&msg) {
                return msg;
            }
            self.seen.push(msg);
        }
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "beamtalk", "version": 1, "text": text } }),
        );
    }

    pub fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// The diagnostics published for `uri` once they satisfy `want`.
    pub fn diagnostics(&mut self, uri: &str, want: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let msg = self.notification("textDocument/publishDiagnostics", |p| {
            p["uri"] == uri && want(p["diagnostics"].as_array().map_or(&[], |v| v.as_slice()))
        });
        msg["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn at(
        &mut self,
        method: &str,
        uri: &str,
        line: u32,
        character: u32,
        extra: Value,
    ) -> Value {
        let mut params = json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.request(method, params)
    }

    pub fn completion_labels(&mut self, uri: &str, line: u32, character: u32) -> Vec<String> {
        let r = self.at("textDocument/completion", uri, line, character, json!({}));
        r["result"]["items"]
            .as_array()
            .expect("completion items")
            .iter()
            .map(|i| i["label"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// `shutdown` then `exit`: the process's exit status.
    pub fn finish(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert!(r["result"].is_null(), "{r}");
        self.notify("exit", Value::Null);
        wait_exit(&mut self.child)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}
