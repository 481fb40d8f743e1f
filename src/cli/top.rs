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
    /// Print one snapshot and exit.
    #[arg(long)]
    once: bool,
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
    let mut previous: HashMap<String, i64> = HashMap::new();
    loop {
        let info = Info::from_term(
            &conn
                .call("beamtalk_workspace_meta", "info", vec![], global.timeout)
                .await?,
        );
        let mut actors = ActorDetail::fetch(&conn, global.timeout).await?;
        let rates: HashMap<String, i64> = actors
            .iter()
            .map(|a| {
                (
                    a.pid.clone(),
                    a.reductions - previous.get(&a.pid).copied().unwrap_or(a.reductions),
                )
            })
            .collect();
        previous = actors
            .iter()
            .map(|a| (a.pid.clone(), a.reductions))
            .collect();
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
            let doc = serde_json::json!({
                "workspace": entry.id,
                "memory": info.memory,
                "process_count": info.process_count,
                "actor_count": info.actor_count,
                "actors": actors,
            });
            let _ = writeln!(out, "{doc}");
            return Ok(());
        } else {
            let _ = writeln!(out, "{body}");
            return Ok(());
        }
        drop(out);
        if quit_within(Duration::from_secs(1)) {
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
