//! `beamtalk top`: the busiest actors of a workspace, refreshed every second until `q` or Ctrl-C (like
//! `observer_cli` or `htop`). Not on a terminal, it prints one snapshot and exits.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{self, Event, KeyCode, KeyModifiers};
use crossterm::{cursor, execute, terminal};

use super::{Failure, Global};
use crate::workspace::Info;
use crate::workspace::info::{ActorDetail, actors_table};

#[derive(Debug, clap::Args)]
pub struct TopArgs {
    /// Workspace to watch [default: this project's].
    #[arg(short = 'w', long = "workspace", value_name = "NAME")]
    workspace: Option<String>,
    /// Project directory [default: the project of the current directory: the nearest one up with a beamtalk.toml, else the git root, else the directory itself].
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Print one snapshot and exit (its rates measured over --interval).
    #[arg(long)]
    once: bool,
    /// How often to refresh, and the interval rates are measured over.
    #[arg(long, value_parser = super::parse_duration, default_value = "1s", value_name = "DURATION")]
    interval: Duration,
}

/// Reductions per second of each actor (by pid) between two samples.
fn rates(before: &Sample, after: &Sample) -> HashMap<String, i64> {
    let secs = after.at.duration_since(before.at).as_secs_f64().max(1e-3);
    after
        .reductions
        .iter()
        .map(|(pid, r)| {
            let was = before.reductions.get(pid).copied().unwrap_or(*r);
            (pid.clone(), ((r - was).max(0) as f64 / secs).round() as i64)
        })
        .collect()
}

/// The reductions each actor had done at one moment.
struct Sample {
    at: std::time::Instant,
    reductions: HashMap<String, i64>,
}

impl Sample {
    fn of(actors: &[ActorDetail]) -> Self {
        Sample {
            at: std::time::Instant::now(),
            reductions: actors
                .iter()
                .map(|a| (a.pid.clone(), a.reductions))
                .collect(),
        }
    }
}

/// Restores the terminal however `top` ends.
struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
        let _ = execute!(
            std::io::stdout(),
            terminal::LeaveAlternateScreen,
            cursor::Show
        );
    }
}

pub async fn run(global: &Global, args: TopArgs) -> Result<(), Failure> {
    let (_, ws) = super::workspaces(global)?;
    let project = super::project_dir(args.project)?;
    let entry = ws.entry(&ws.resolve(args.workspace.as_deref(), &project)?)?;
    let conn = ws.connect(&entry).await?;
    let interactive = !args.once
        && !global.json
        && std::io::stdout().is_terminal()
        && std::io::stdin().is_terminal();
    let _raw = if interactive {
        terminal::enable_raw_mode().map_err(|e| Failure::Other {
            message: format!("terminal: {e}"),
        })?;
        let _ = execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        );
        Some(RawMode)
    } else {
        None
    };
    // A snapshot (`--once`, `--json`, not a terminal) measures its rates over one interval first.
    let mut previous = match interactive {
        true => None,
        false => {
            let first = Sample::of(&ActorDetail::fetch(&conn, global.timeout).await?);
            tokio::time::sleep(args.interval).await;
            Some(first)
        }
    };
    loop {
        let info = Info::from_term(
            &crate::workspace::node_api::INFO
                .call(&conn, vec![], global.timeout)
                .await?,
        );
        let mut actors = ActorDetail::fetch(&conn, global.timeout).await?;
        let sample = Sample::of(&actors);
        let rates = previous
            .as_ref()
            .map(|p| rates(p, &sample))
            .unwrap_or_default();
        previous = Some(sample);
        actors.sort_by_key(|a| {
            std::cmp::Reverse((rates.get(&a.pid).copied().unwrap_or(0), a.queue, a.memory))
        });
        let rows = terminal::size()
            .map_or(24, |(_, h)| usize::from(h))
            .saturating_sub(4)
            .max(1);
        actors.truncate(rows);
        let per_actor: Vec<i64> = actors
            .iter()
            .map(|a| rates.get(&a.pid).copied().unwrap_or(0))
            .collect();
        let header = format!(
            "beamtalk top — workspace {} — {} actors — {:.1} MiB — {} processes{}",
            entry.id,
            info.actor_count,
            info.memory as f64 / (1024.0 * 1024.0),
            info.process_count,
            if interactive { " — q to quit" } else { "" }
        );
        let body = format!("{header}\n\n{}", actors_table(&actors, Some(&per_actor)));
        let mut out = std::io::stdout().lock();
        if interactive {
            let _ = execute!(
                out,
                cursor::MoveTo(0, 0),
                terminal::Clear(terminal::ClearType::All)
            );
            let _ = write!(out, "{}", body.replace('\n', "\r\n"));
            let _ = out.flush();
        } else if global.json {
            let listed: Vec<serde_json::Value> = actors
                .iter()
                .zip(&per_actor)
                .map(|(a, rate)| {
                    let mut v = serde_json::json!(a);
                    v["reductions_per_s"] = serde_json::json!(rate);
                    v
                })
                .collect();
            let doc = serde_json::json!({
                "workspace": entry.id,
                "memory": info.memory,
                "process_count": info.process_count,
                "actor_count": info.actor_count,
                "interval_ms": args.interval.as_millis(),
                "actors": listed,
            });
            let _ = writeln!(out, "{doc}");
            return Ok(());
        } else {
            let _ = writeln!(out, "{body}");
            return Ok(());
        }
        drop(out);
        if quit_within(args.interval) {
            return Ok(());
        }
    }
}

/// Waits up to `d` for `q`, Esc or Ctrl-C.
fn quit_within(d: Duration) -> bool {
    let deadline = std::time::Instant::now() + d;
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match event::poll(left) {
            Ok(true) => {
                if let Ok(Event::Key(k)) = event::read() {
                    let ctrl_c =
                        k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                    if ctrl_c || k.code == KeyCode::Char('q') || k.code == KeyCode::Esc {
                        return true;
                    }
                }
            }
            Ok(false) => return false,
            Err(_) => return true,
        }
    }
    false
}
