//! What a benchmark run leaves behind: the table printed, and `target/bench/<name>.json` (every row with
//! its raw samples, and the machine: cores, CPU, kernel, OTP) with `target/bench/<name>.md` (the table),
//! from which `scripts/bench.sh` regenerates the README's table. Figures are never copied by hand.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

/// One row: a measurement beside its anchor.
pub struct Row {
    pub metric: String,
    pub ours: String,
    pub anchor: String,
    /// Ours over the anchor (NaN when there is none).
    pub ratio: f64,
    pub goal: &'static str,
    /// Raw samples (milliseconds, or what `unit` says), ours then the anchor's; empty when the row is
    /// one figure computed on the node.
    pub samples: (Vec<f64>, Vec<f64>),
    pub unit: &'static str,
}

impl Row {
    pub fn new(
        metric: impl Into<String>,
        ours: impl Into<String>,
        anchor: impl Into<String>,
        ratio: f64,
        goal: &'static str,
    ) -> Self {
        Self {
            metric: metric.into(),
            ours: ours.into(),
            anchor: anchor.into(),
            ratio,
            goal,
            samples: (Vec::new(), Vec::new()),
            unit: "ms",
        }
    }

    /// The raw samples behind the row, in `unit`.
    pub fn with_samples(mut self, ours: Vec<f64>, anchor: Vec<f64>, unit: &'static str) -> Self {
        self.samples = (ours, anchor);
        self.unit = unit;
        self
    }
}

/// The Markdown table of `rows`.
pub fn table(headers: [&str; 5], rows: &[Row]) -> String {
    let mut out = format!("| {} |\n|---|---|---|---|---|\n", headers.join(" | "));
    for r in rows {
        let ratio = match r.ratio.is_nan() {
            true => "—".to_owned(),
            false => format!("{:.2}×", r.ratio),
        };
        // A `|` inside a cell (block syntax) would end the cell.
        out.push_str(&format!(
            "| {} | {} | {} | {ratio} | {} |\n",
            r.metric.replace('|', "\\|"),
            r.ours,
            r.anchor,
            r.goal
        ));
    }
    out
}

/// The machine the figures come from.
pub fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let otp = Command::new("erl")
        .args([
            "-noshell",
            "-eval",
            "io:format(\"~s/~s\", [erlang:system_info(otp_release), erlang:system_info(version)]), halt().",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    json!({
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "cpu": cpu,
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "otp": otp,
        "arch": std::env::consts::ARCH,
    })
}

/// Prints the table and writes `target/bench/<name>.json` and `.md`.
pub fn publish(name: &str, headers: [&str; 5], rows: &[Row]) {
    let text = table(headers, rows);
    print!("{text}");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let rows_json: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "metric": r.metric, "ours": r.ours, "anchor": r.anchor,
                "ratio": if r.ratio.is_nan() { Value::Null } else { json!(r.ratio) },
                "goal": r.goal, "unit": r.unit,
                "samples": { "ours": r.samples.0, "anchor": r.samples.1 },
            })
        })
        .collect();
    let doc = json!({
        "bench": name,
        "unix_time": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        "machine": machine(),
        "rows": rows_json,
    });
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(format!("{name}.json")), format!("{doc:#}\n")))
        .and_then(|()| std::fs::write(dir.join(format!("{name}.md")), &text));
    match written {
        Ok(()) => println!("(written to {})", dir.display()),
        Err(e) => eprintln!("cannot write {}: {e}", dir.display()),
    }
}
