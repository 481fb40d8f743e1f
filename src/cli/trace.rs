//! `beamtalk trace CLASS [SELECTOR]`: the sends to a class's methods in a running workspace, as they
//! happen — calls with their arguments, returns with values and durations, exceptions — until Ctrl-C or
//! `--for`. The workspace's tracer (`beamtalk_tracer`, on the BEAM's call tracing) sends each event to
//! a mailbox of this hidden node; it is bounded (at most 1,000 events a second, the rest counted) and
//! turns its tracing off when it ends, also when this process goes away.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eetf::Term;
use serde_json::json;
use tokio::sync::mpsc;

use super::{Failure, Global};
use crate::term::{as_i64, as_text, atom, list_elements, map_get};
use crate::workspace::node_api;

#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// The class whose (instance-side) methods to trace.
    class: String,
    /// Only this method [default: every method of the class].
    selector: Option<String>,
    /// Workspace to trace in [default: this project's].
    #[arg(short = 'w', long = "workspace", value_name = "NAME")]
    workspace: Option<String>,
    /// Project directory [default: the project of the current directory].
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Stop after this long [default: at Ctrl-C].
    #[arg(long = "for", value_parser = super::parse_duration, value_name = "DURATION")]
    duration: Option<Duration>,
}

/// One event of a trace, as the tracer sends it.
enum Event {
    Shown(Term),
    End(String),
}

pub async fn run(global: &Global, args: TraceArgs) -> Result<(), Failure> {
    let (_, ws) = super::workspaces(global)?;
    let project = super::project_dir(args.project)?;
    let entry = ws.entry(&ws.resolve(args.workspace.as_deref(), &project)?)?;
    let conn = ws.connect(&entry).await?;
    let listener = conn.new_pid();
    let (tx, mut rx) = mpsc::unbounded_channel();
    conn.register_mailbox(
        &listener,
        Arc::new(move |m| {
            let _ = tx.send(m);
        }),
    );
    let limit = match args.duration {
        Some(d) => {
            crate::term::etf::int_term(i64::try_from(d.as_millis()).unwrap_or(i64::MAX).into())
        }
        None => atom("infinity"),
    };
    let selector = args.selector.as_deref().unwrap_or("_");
    let reply = node_api::TRACE_START
        .call(
            &conn,
            vec![
                Term::from(listener.clone()),
                atom(&args.class),
                atom(selector),
                limit,
            ],
            global.timeout,
        )
        .await?;
    let tracer = match &reply {
        Term::Tuple(t) if matches!(t.elements.as_slice(), [Term::Atom(ok), Term::Pid(_)] if ok.name == "ok") => {
            t.elements[1].clone()
        }
        Term::Tuple(t) if t.elements.len() == 2 => {
            return Err(Failure::Remote {
                message: format!(
                    "cannot trace {}: {}",
                    args.class,
                    as_text(&t.elements[1]).unwrap_or_default()
                ),
                detail: None,
            });
        }
        other => {
            return Err(Failure::Remote {
                message: format!("unexpected reply: {}", crate::term::print::pretty(other)),
                detail: None,
            });
        }
    };
    // On stderr, also with --json: the trace is on from this line.
    let only = args
        .selector
        .as_ref()
        .map_or(String::new(), |s| format!(">>{s}"));
    eprintln!("Tracing {}{only} (Ctrl-C stops)", args.class);
    let interrupted = crate::interrupt::ctrl_c();
    tokio::pin!(interrupted);
    let mut stopping = false;
    let end = loop {
        tokio::select! {
            m = rx.recv() => match m.as_ref().and_then(event) {
                Some(Event::Shown(e)) => show(&e, &args.class, global.json),
                Some(Event::End(reason)) => break reason,
                None if m.is_none() => break "disconnected".to_owned(),
                None => {}
            },
            _ = &mut interrupted, if !stopping => {
                stopping = true;
                node_api::TRACE_STOP.call(&conn, vec![tracer.clone()], global.timeout).await?;
            }
        }
    };
    conn.unregister_mailbox(&listener);
    conn.shutdown(global.timeout).await;
    match end.as_str() {
        "overloaded" => Err(Failure::Other {
            message: format!(
                "the trace of {} stopped: events came faster than they could be sent; hint: trace one selector",
                args.class
            ),
        }),
        "disconnected" => Err(Failure::Unreachable {
            message: "the workspace went away during the trace".to_owned(),
            hint: "`beamtalk workspace status` shows whether it runs".to_owned(),
        }),
        _ => Ok(()),
    }
}

/// `{beamtalk_trace, Event}`.
fn event(m: &Term) -> Option<Event> {
    let Term::Tuple(t) = m else { return None };
    let [Term::Atom(tag), e] = t.elements.as_slice() else {
        return None;
    };
    if tag.name != "beamtalk_trace" {
        return None;
    }
    match map_get(e, "event").and_then(as_text).as_deref() {
        Some("end") => Some(Event::End(
            map_get(e, "reason").and_then(as_text).unwrap_or_default(),
        )),
        Some(_) => Some(Event::Shown(e.clone())),
        None => None,
    }
}

/// A call's arguments, as the node printed them.
fn arg_texts(e: &Term) -> Vec<String> {
    map_get(e, "args")
        .and_then(list_elements)
        .unwrap_or_default()
        .iter()
        .filter_map(as_text)
        .collect()
}

fn show(e: &Term, class: &str, json: bool) {
    let text = |k: &str| map_get(e, k).and_then(as_text).unwrap_or_default();
    let micros = map_get(e, "micros").and_then(as_i64);
    let kind = text("event");
    if json {
        let mut row =
            json!({ "event": kind, "class": class, "at": map_get(e, "at").and_then(as_i64) });
        for (k, v) in [
            ("pid", text("pid")),
            ("selector", text("selector")),
            ("value", text("value")),
            ("error", text("error")),
        ] {
            if map_get(e, k).is_some() {
                row[k] = json!(v);
            }
        }
        if kind == "call" {
            row["args"] = json!(arg_texts(e));
        }
        if let Some(m) = micros {
            row["micros"] = json!(m);
        }
        if let Some(n) = map_get(e, "count").and_then(as_i64) {
            row["count"] = json!(n);
        }
        println!("{row}");
        return;
    }
    let method = format!("{class}>>{}", text("selector"));
    let took = micros.map_or(String::new(), |m| format!(" ({m} µs)"));
    match kind.as_str() {
        "call" => {
            let line = format!("{} -> {method} {}", text("pid"), arg_texts(e).join(" "));
            println!("{}", line.trim_end());
        }
        "return" => println!("{} <- {method} = {}{took}", text("pid"), text("value")),
        "exception" => println!("{} !! {method}: {}{took}", text("pid"), text("error")),
        "dropped" => println!(
            "... {} events not shown (more than 1000 a second)",
            map_get(e, "count").and_then(as_i64).unwrap_or(0)
        ),
        _ => {}
    }
}
