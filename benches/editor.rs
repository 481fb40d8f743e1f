//! The editor server's latency on a 5,000-line document, beside the same requests on a 50-line one, in
//! one run: completion as typed (a change, then the completion request, answered), hover and the
//! analysis of a change (when the diagnostics arrive).
//!
//! `cargo bench --bench editor` (through `scripts/bench.sh editor`) speaks to `beamtalk lsp` over its
//! stdio as an editor does.

#[path = "../tests/common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../tests/support/lsp_client.rs"]
mod lsp_client;
#[allow(dead_code)]
#[path = "support/node.rs"]
mod node;
#[allow(dead_code)]
#[path = "support/report.rs"]
mod report;

use std::time::Instant;

use serde_json::json;

use lsp_client::{Client, url};
use node::median;
use report::Row;

const RUNS: usize = 30;

/// A document of about `lines` lines: classes of ten methods each, then a method being typed.
fn document(lines: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.lines().count() + 14 < lines {
        out.push_str(&format!(
            "/// Class {i}.\nActor subclass: Gen{i}\n  state: total = 0\n\n"
        ));
        for m in 0..10 {
            out.push_str(&format!(
                "  step{m}: n => self.total := self.total + n * {m}\n"
            ));
        }
        out.push('\n');
        i += 1;
    }
    out.push_str("Object subclass: Typing\n  run =>\n    c := Gen0 spawn\n    c st\n");
    out
}

/// Milliseconds each: completion right after a change, hover, and a change until its diagnostics.
fn measure(client: &mut Client, uri: &str, text: &str, version: &mut i64) -> (f64, f64, f64) {
    let last = text.lines().count() as u32 - 1;
    let mut completion = Vec::new();
    let mut hover = Vec::new();
    let mut analysis = Vec::new();
    for _ in 0..RUNS {
        *version += 1;
        let start = Instant::now();
        client.change(uri, *version, text);
        let r = client.at("textDocument/completion", uri, last, 8, json!({}));
        completion.push(start.elapsed().as_secs_f64() * 1e3);
        let items = r["result"]["items"].as_array().map_or(0, Vec::len);
        assert!(items >= 10, "completion answered {r}");
        let start = Instant::now();
        let h = client.at("textDocument/hover", uri, last - 1, 10, json!({}));
        hover.push(start.elapsed().as_secs_f64() * 1e3);
        assert!(h["result"].is_object(), "{h}");
        *version += 1;
        let start = Instant::now();
        let broken = format!("{text}    (\n");
        client.change(uri, *version, &broken);
        client.diagnostics(uri, |d| !d.is_empty());
        analysis.push(start.elapsed().as_secs_f64() * 1e3);
    }
    (median(completion), median(hover), median(analysis))
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("editor: run with `cargo bench --bench editor` (scripts/bench.sh editor)");
        return;
    }
    let p = common::Project::new();
    let mut client = Client::start(p.cmd(&[]), p.project.path(), json!({}));
    let mut figures = Vec::new();
    let mut version = 1;
    for lines in [50, 5000] {
        let text = document(lines);
        let uri = url(&p.project.path().join(format!("doc{lines}.bt")));
        client.open(&uri, &text);
        client.diagnostics(&uri, |_| true);
        figures.push(measure(&mut client, &uri, &text, &mut version));
    }
    assert_eq!(client.finish(), 0);
    let (small, large) = (figures[0], figures[1]);
    let row = |what: &str, ours: f64, anchor: f64, goal: &'static str| {
        Row::new(
            what,
            format!("{ours:.1} ms"),
            format!("50 lines {anchor:.1} ms"),
            ours / anchor,
            goal,
        )
    };
    let rows = vec![
        row(
            "completion after a change (5,000 lines)",
            large.0,
            small.0,
            "< 50 ms",
        ),
        row("hover (5,000 lines)", large.1, small.1, "report"),
        row(
            "a change until its diagnostics (5,000 lines, 150 ms idle wait included)",
            large.2,
            small.2,
            "report",
        ),
    ];
    report::publish(
        "editor",
        ["request", "ours", "anchor (same run)", "ratio", "goal"],
        &rows,
    );
}
