//! `beamtalk workspace ...`: create, list, status, stop, switch, rename, cleanup.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::load::eval_failure;
use super::{Failure, Global, parse_duration};
use eetf::Term;

use crate::dist::io_server::Terminal;
use crate::lang::ast::ClassDef;
use crate::repl::changes::Tier;
use crate::repl::{Outcome, Session};
use crate::term::{as_text, list_elements, map_get};
use crate::workspace::info::{ActorDetail, TreeNode, actors_table, tree_lines};
use crate::workspace::{
    CreateSpec, DEFAULT_MAX_IDLE, Entry, Info, ServeSpec, State, WorkspaceError,
};
use crate::workspace::{export, node_api};

#[derive(Debug, clap::Subcommand)]
#[command(defer = true)]
pub enum WorkspaceCommand {
    /// Start a workspace node (or report the one already running) and return when it answers.
    #[command(
        after_help = "Examples:\n  beamtalk workspace create\n  beamtalk workspace create experiment --max-idle 30m\n  beamtalk workspace create box --host 10.0.0.5 --launcher 'ssh -o BatchMode=yes 10.0.0.5'"
    )]
    Create {
        /// Workspace name [default: derived from the project path].
        name: Option<String>,
        /// Project directory [default: the project of the current directory: the nearest one up with a beamtalk.toml, else the git root, else the directory itself].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        /// Stop the workspace after this long without activity [default: 4h].
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        max_idle: Option<Duration>,
        /// Run the workspace on another host (a DNS name or an IP address); it uses TLS distribution
        /// unless --insecure. A node already running there (the docker image) is attached to.
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
        /// Command that runs its last argument as a shell command on HOST, e.g. `ssh -o BatchMode=yes HOST`
        /// (used only with --host, so BEAMTALK_LAUNCHER may stay set for local workspaces).
        #[arg(long, env = "BEAMTALK_LAUNCHER", value_name = "COMMAND")]
        launcher: Option<String>,
        /// Allow plain-TCP distribution to a remote host (unencrypted, cookie-only authentication).
        #[arg(long, requires = "host")]
        insecure: bool,
    },
    /// Run a workspace node in the foreground for clients on other hosts (a container's main process);
    /// they attach with `workspace create NAME --host HOST`.
    #[command(
        after_help = "Examples:\n  beamtalk workspace serve main --host build-box.example --listen-all --port 9100"
    )]
    Serve {
        /// Workspace name (clients use it with `workspace create NAME --host HOST`).
        name: String,
        /// The name or address clients reach this host by.
        #[arg(long, value_name = "HOST")]
        host: String,
        /// Project directory [default: the project of the current directory: the nearest one up with a beamtalk.toml, else the git root, else the directory itself].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        /// Listen on every interface (in a container, whose published address is not its own).
        #[arg(long)]
        listen_all: bool,
        /// Fixed distribution port (publish it next to EPMD's 4369) [default: any free port].
        #[arg(long, value_name = "PORT")]
        port: Option<u16>,
        /// Plain-TCP distribution instead of TLS (unencrypted, cookie-only authentication).
        #[arg(long)]
        insecure: bool,
        /// Stop after this long without activity [default: 4h].
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        max_idle: Option<Duration>,
    },
    /// All known workspaces with their state, project, last activity, actors and memory.
    #[command(
        after_help = "Examples:\n  beamtalk workspace list\n  beamtalk --json workspace list"
    )]
    List,
    /// One workspace in detail [default: this project's].
    #[command(
        after_help = "Examples:\n  beamtalk workspace status\n  beamtalk workspace status experiment"
    )]
    Status {
        /// Workspace name [default: the project's workspace].
        name: Option<String>,
        /// Project directory, whose workspace is meant when NAME is left out [default: the current
        /// directory].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// The actors of a workspace: class, pid, uptime, message queue, memory, restarts.
    #[command(
        after_help = "Examples:\n  beamtalk workspace actors\n  beamtalk workspace actors experiment\n  beamtalk workspace actors --tree"
    )]
    Actors {
        /// Workspace name [default: the project's workspace].
        name: Option<String>,
        /// Project directory, whose workspace is meant when NAME is left out [default: the current
        /// directory].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        /// Show supervisors with their children under them (Beamtalk `Supervisor` classes).
        #[arg(long)]
        tree: bool,
    },
    /// The workspace's ChangeLog: methods changed in memory (`Counter >> sel => ...`,
    /// `compile:source:`, `removeSelector:`), oldest first, and whether each was flushed.
    #[command(
        after_help = "Examples:\n  beamtalk workspace changes\n  beamtalk workspace changes --json"
    )]
    Changes {
        /// Workspace name [default: the project's workspace].
        name: Option<String>,
        /// Project directory, whose workspace is meant when NAME is left out [default: the current
        /// directory].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Write the workspace's durable changes back into their `.bt` files (inside the workspace's
    /// project only): each method's text replaces the old one, the rest of the file is kept. A file
    /// changed on disk since it was loaded is a conflict: reported, not written (exit 1).
    #[command(
        after_help = "Examples:\n  beamtalk workspace flush\n  beamtalk workspace flush experiment --json\n  beamtalk workspace flush --include-destructive"
    )]
    Flush {
        /// Workspace name [default: the project's workspace].
        name: Option<String>,
        /// Project directory, whose workspace is meant when NAME is left out [default: the current
        /// directory].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        /// Also take removed classes (`removeFromSystem`) out of their files, deleting a file they were
        /// all of; without it their removal stays pending.
        #[arg(long)]
        include_destructive: bool,
    },
    /// Stop a workspace gracefully and wait until it is gone.
    #[command(
        override_usage = "beamtalk workspace stop [OPTIONS] <NAME|--all>",
        after_help = "Examples:\n  beamtalk workspace stop experiment\n  beamtalk workspace stop --all\n  beamtalk workspace stop --force experiment"
    )]
    Stop {
        /// Workspace name (required unless --all).
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        /// Stop every running workspace.
        #[arg(long, conflicts_with = "name")]
        all: bool,
        /// Kill the node by its pid (SIGKILL) instead of asking it to stop: for a node that does not
        /// answer. Its actors and bindings are lost.
        #[arg(long)]
        force: bool,
    },
    /// Open an Erlang shell on a running workspace's node (`erl -remsh`, hidden). Leave it with Ctrl-G
    /// then q: `q()` there would stop the workspace.
    #[command(
        after_help = "Examples:\n  beamtalk workspace shell\n  beamtalk workspace shell experiment"
    )]
    Shell {
        /// Workspace name [default: the project's workspace].
        name: Option<String>,
        /// Project directory, whose workspace is meant when NAME is left out [default: the current
        /// directory].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Open OTP's Observer (a window: processes, memory, applications, tracing) on a running workspace's
    /// node. Needs a display and Erlang's observer application (Debian: erlang-observer). Closing the
    /// window leaves the workspace running.
    #[command(
        after_help = "Examples:\n  beamtalk workspace observer\n  beamtalk workspace observer experiment"
    )]
    Observer {
        /// Workspace name [default: the project's workspace].
        name: Option<String>,
        /// Project directory, whose workspace is meant when NAME is left out [default: the current
        /// directory].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Forget a stopped workspace: its registry entry, logs and files (a running one is refused).
    #[command(after_help = "Examples:\n  beamtalk workspace rm experiment")]
    Rm {
        /// Workspace name.
        name: String,
    },
    /// Make NAME the workspace `beamtalk repl` attaches to in this project.
    #[command(after_help = "Examples:\n  beamtalk workspace switch experiment")]
    Switch {
        /// Workspace name.
        name: String,
        /// Project directory to switch [default: the project of the current directory: the nearest one up with a beamtalk.toml, else the git root, else the directory itself].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Rename a workspace (a running node keeps running).
    #[command(after_help = "Examples:\n  beamtalk workspace rename experiment trial")]
    Rename {
        /// The workspace's name now.
        old: String,
        /// Its new name.
        new: String,
    },
    /// Keep a copy of a workspace's durable actors' state on another workspace's node (both must run).
    #[command(after_help = "Examples:\n  beamtalk workspace replicate bank --to bank-standby")]
    Replicate {
        /// The workspace whose durable actors are copied.
        name: String,
        /// The workspace that holds the copy (one without durable actors of its own).
        #[arg(long, value_name = "OTHER")]
        to: String,
    },
    /// Write a workspace's classes, actor states and plain-data bindings to FILE.
    #[command(after_help = "Examples:\n  beamtalk workspace export myws ws.btx")]
    Export {
        /// Workspace name.
        name: String,
        /// File to write (a JSON document).
        file: PathBuf,
    },
    /// Recreate an exported workspace (as NAME, or under its exported name).
    #[command(
        after_help = "Examples:\n  beamtalk workspace import ws.btx\n  beamtalk workspace import ws.btx copy"
    )]
    Import {
        /// A file written by `workspace export`.
        file: PathBuf,
        /// Name for the new workspace [default: the exported name].
        name: Option<String>,
        /// Project directory of the new workspace [default: the project of the current directory: the nearest one up with a beamtalk.toml, else the git root, else the directory itself].
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
    },
    /// Stop running workspaces idle for longer than DURATION; forget stopped ones (on this machine) last
    /// active longer ago than that.
    #[command(
        after_help = "Examples:\n  beamtalk workspace cleanup\n  beamtalk workspace cleanup --idle 1h"
    )]
    Cleanup {
        /// How long without activity counts as idle.
        #[arg(long, value_parser = parse_duration, default_value = "4h", value_name = "DURATION")]
        idle: Duration,
    },
}

pub async fn run(global: &Global, cmd: WorkspaceCommand) -> Result<(), Failure> {
    let (_, ws) = super::workspaces(global)?;
    match cmd {
        WorkspaceCommand::Create {
            name,
            project,
            max_idle,
            host,
            launcher,
            insecure,
        } => {
            let project = super::project_dir(project)?;
            let id = ws.resolve(name.as_deref(), &project)?;
            let spec = create_spec(global, max_idle, host, launcher, insecure)?;
            let spinner = Spinner::start(global.json, &format!("starting workspace {id}"));
            let created = ws.create(&id, &project, &spec).await;
            drop(spinner);
            let created = created?;
            if !created.existed && name.is_none() {
                let conn = ws.connect(&created.entry).await?;
                super::autoload(global, conn, &project).await.close().await;
            }
            if global.json {
                println!(
                    "{}",
                    json!({"id": created.entry.id, "node": created.entry.node, "project_path": created.entry.project_path,
                           "existed": created.existed, "state": "running"})
                );
            } else if created.existed {
                println!(
                    "Workspace {} is already running ({}).",
                    created.entry.id, created.entry.node
                );
            } else {
                println!(
                    "Workspace {} started ({}).",
                    created.entry.id, created.entry.node
                );
            }
        }
        WorkspaceCommand::Serve {
            name,
            host,
            project,
            listen_all,
            port,
            insecure,
            max_idle,
        } => {
            let project = super::project_dir(project)?;
            if insecure {
                eprintln!(
                    "warning: serving workspace {name} over plain-TCP distribution: traffic is unencrypted and anyone who reaches this host and learns the cookie controls the node"
                );
            }
            let spec = ServeSpec {
                host,
                tls: !insecure,
                bind_any: listen_all,
                dist_port: port,
                max_idle: max_idle.unwrap_or(DEFAULT_MAX_IDLE),
            };
            let mut cmd = ws.serve_command(&name, &project, &spec)?;
            // Replaces this process: the node is the service (signals, exit status, logs on stdout).
            let e = std::os::unix::process::CommandExt::exec(&mut cmd);
            return Err(match e.kind() {
                std::io::ErrorKind::NotFound => WorkspaceError::ErlMissing.into(),
                _ => Failure::Other {
                    message: format!("cannot run erl: {e}"),
                },
            });
        }
        WorkspaceCommand::List => {
            let listing = ws.list().await?;
            let errors: Vec<String> = listing.problems.iter().map(ToString::to_string).collect();
            // The workspace `beamtalk` uses in the current directory (`switch`'s choice, else its own).
            let selected = super::project_dir(None)
                .ok()
                .and_then(|p| ws.project_workspace(&p).ok());
            if global.json {
                let items: Vec<_> = listing
                    .workspaces
                    .iter()
                    .map(|(e, s)| {
                        let mut v = entry_json(e, s);
                        v["selected"] = json!(selected.as_deref() == Some(e.id.as_str()));
                        v
                    })
                    .collect();
                println!("{}", json!({ "workspaces": items, "errors": errors }));
            } else {
                errors.iter().for_each(|e| {
                    eprintln!(
                        "{}",
                        super::color::warning_line(&format!(
                            "{e} (skipped; fix or remove the file)"
                        ))
                    )
                });
                print_table(&listing.workspaces, selected.as_deref());
            }
        }
        WorkspaceCommand::Status { name, project } => {
            let project = super::project_dir(project)?;
            let id = ws.resolve(name.as_deref(), &project)?;
            let entry = ws.entry(&id)?;
            let state = ws.probe(&entry).await;
            if global.json {
                println!("{}", entry_json(&entry, &state));
            } else {
                print_status(&entry, &state);
            }
        }
        WorkspaceCommand::Shell { name, project } => {
            let project = super::project_dir(project)?;
            let entry = ws.entry(&ws.resolve(name.as_deref(), &project)?)?;
            return open_shell(&ws, &entry).await;
        }
        WorkspaceCommand::Observer { name, project } => {
            let project = super::project_dir(project)?;
            let entry = ws.entry(&ws.resolve(name.as_deref(), &project)?)?;
            return open_observer(&ws, &entry).await;
        }
        WorkspaceCommand::Actors {
            name,
            project,
            tree: true,
        } => {
            let project = super::project_dir(project)?;
            let entry = ws.entry(&ws.resolve(name.as_deref(), &project)?)?;
            let conn = ws.connect(&entry).await?;
            let tree = TreeNode::fetch(&conn, global.timeout).await?;
            if global.json {
                println!("{}", json!({ "tree": tree }));
            } else if tree.is_empty() {
                println!("No actors.");
            } else {
                tree_lines(&tree).iter().for_each(|l| println!("{l}"));
            }
        }
        WorkspaceCommand::Actors { name, project, .. } => {
            let project = super::project_dir(project)?;
            let entry = ws.entry(&ws.resolve(name.as_deref(), &project)?)?;
            let conn = ws.connect(&entry).await?;
            let actors = ActorDetail::fetch(&conn, global.timeout).await?;
            if global.json {
                println!("{}", json!({ "actors": actors }));
            } else if actors.is_empty() {
                println!("No actors.");
            } else {
                println!("{}", actors_table(&actors, None));
            }
        }
        WorkspaceCommand::Changes { name, project } => {
            let project = super::project_dir(project)?;
            let entry = ws.entry(&ws.resolve(name.as_deref(), &project)?)?;
            let session =
                Session::new(ws.connect(&entry).await?, Terminal::stdio(), global.timeout);
            let changes = session.changes().await;
            session.close().await;
            let changes = changes.map_err(eval_failure)?;
            if global.json {
                let rows: Vec<_> = changes
                    .iter()
                    .map(|c| {
                        json!({ "id": c.id, "kind": c.kind, "class": c.class, "selector": c.selector,
                                "source": c.source, "durable": c.durable, "file": c.file,
                                "flushed": c.flushed })
                    })
                    .collect();
                println!("{}", json!({ "changes": rows }));
            } else if changes.is_empty() {
                println!("No changes.");
            } else {
                changes.iter().for_each(|c| println!("{}", c.line()));
            }
        }
        WorkspaceCommand::Flush {
            name,
            project,
            include_destructive,
        } => {
            let project = super::project_dir(project)?;
            let entry = ws.entry(&ws.resolve(name.as_deref(), &project)?)?;
            let session =
                Session::new(ws.connect(&entry).await?, Terminal::stdio(), global.timeout);
            let tier = match include_destructive {
                true => Tier::Destructive,
                false => Tier::Edits,
            };
            let report = session
                .flush_class(Path::new(&entry.project_path), None, tier)
                .await;
            session.close().await;
            let report = report.map_err(eval_failure)?;
            print_flush(&report, global.json);
            if !report.skipped.is_empty() {
                return Err(Failure::Reported { code: 1 });
            }
        }
        WorkspaceCommand::Stop { name, all, force } => {
            let (ids, unreadable) = match (name, all) {
                (Some(n), _) => (vec![n], Vec::new()),
                (None, _) => {
                    let (entries, problems) = ws.registry().list()?;
                    (entries.into_iter().map(|e| e.id).collect(), problems)
                }
            };
            let outcomes = futures::future::join_all(ids.iter().map(|id| ws.stop(id, force))).await;
            report_stops(global, all, &ids, outcomes, &unreadable)?;
        }
        WorkspaceCommand::Rm { name } => {
            ws.forget(&name).await?;
            if global.json {
                println!("{}", json!({ "removed": name }));
            } else {
                println!("Workspace {name} removed.");
            }
        }
        WorkspaceCommand::Switch { name, project } => {
            let project = super::project_dir(project)?;
            ws.switch(&name, &project)?;
            if global.json {
                println!(
                    "{}",
                    json!({"project": project.display().to_string(), "workspace": name})
                );
            } else {
                println!(
                    "beamtalk in {} now uses workspace {name}.",
                    project.display()
                );
            }
        }
        WorkspaceCommand::Rename { old, new } => {
            let entry = ws.rename(&old, &new).await?;
            if global.json {
                println!("{}", json!({"id": entry.id, "node": entry.node}));
            } else {
                println!("Workspace {old} is now {new} (node {}).", entry.node);
            }
        }
        WorkspaceCommand::Replicate { name, to } => {
            let (entry, other) = (ws.entry(&name)?, ws.entry(&to)?);
            let conn = ws.connect(&entry).await?;
            let replica = Term::from(eetf::Atom::from(other.node.as_str()));
            match node_api::REPLICATE
                .call(&conn, vec![replica], global.timeout)
                .await?
            {
                Term::Atom(a) if a.name == "ok" => {
                    if global.json {
                        println!(
                            "{}",
                            json!({"workspace": name, "replica": to, "node": other.node})
                        );
                    } else {
                        println!(
                            "Durable actors of {name} are now kept on {to} too (node {}).",
                            other.node
                        );
                    }
                }
                answer => {
                    let why = match &answer {
                        Term::Tuple(t) if t.elements.len() == 2 => as_text(&t.elements[1]),
                        _ => None,
                    };
                    return Err(Failure::Remote {
                        message: format!(
                            "cannot replicate {name} to {to}: {}",
                            why.unwrap_or_else(|| format!("{answer}"))
                        ),
                        detail: None,
                    });
                }
            }
        }
        WorkspaceCommand::Export { name, file } => {
            let entry = ws.entry(&name)?;
            let conn = ws.connect(&entry).await?;
            let data = node_api::EXPORT.call(&conn, vec![], global.timeout).await?;
            export::write(&file, &data)?;
            let summary = export_summary(&data);
            if global.json {
                println!(
                    "{}",
                    json!({"workspace": name, "file": file.display().to_string(), "summary": summary})
                );
            } else {
                println!(
                    "Exported workspace {name} to {}: {summary}.",
                    file.display()
                );
            }
        }
        WorkspaceCommand::Import {
            file,
            name,
            project,
        } => import(global, &ws, &file, name, project).await?,
        WorkspaceCommand::Cleanup { idle } => {
            let done = ws.cleanup(idle).await?;
            let idle = humantime::format_duration(idle);
            if global.json {
                println!(
                    "{}",
                    json!({ "stopped": done.stopped, "forgotten": done.forgotten, "reaped": done.reaped })
                );
            } else if done.stopped.is_empty() && done.forgotten.is_empty() && done.reaped.is_empty()
            {
                println!("No workspace idle for {idle}.");
            } else {
                for id in &done.reaped {
                    println!(
                        "Workspace {id} removed (left behind by an interrupted `beamtalk test`)."
                    );
                }
                for id in &done.stopped {
                    println!("Workspace {id} stopped (idle).");
                }
                for id in &done.forgotten {
                    println!("Workspace {id} forgotten (stopped for more than {idle}).");
                }
            }
        }
    }
    Ok(())
}

/// Replaces this process with an Erlang remote shell on `entry`'s node (it must be running).
async fn open_shell(ws: &crate::workspace::Workspaces, entry: &Entry) -> Result<(), Failure> {
    require_running(ws, entry).await?;
    let cmd = ws.shell_command(entry)?;
    eprintln!(
        "Erlang shell on workspace {} (node {}). Leave with Ctrl-G then q; q() would stop the workspace.",
        entry.id, entry.node
    );
    Err(exec_erl(cmd))
}

/// Replaces this process with an Observer node showing `entry`'s node (it must be running).
async fn open_observer(ws: &crate::workspace::Workspaces, entry: &Entry) -> Result<(), Failure> {
    require_running(ws, entry).await?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err(Failure::Usage {
            message: "Observer needs a display, and neither DISPLAY nor WAYLAND_DISPLAY is set"
                .into(),
            detail: Some(
                "hint: run it in a desktop session, over `ssh -X`, or under `xvfb-run`; \
                 `beamtalk workspace shell` works without one"
                    .into(),
            ),
        });
    }
    let cmd = ws.observer_command(entry)?;
    eprintln!(
        "Opening Observer on workspace {} (node {}); closing its window leaves the workspace running.",
        entry.id, entry.node
    );
    Err(exec_erl(cmd))
}

async fn require_running(ws: &crate::workspace::Workspaces, entry: &Entry) -> Result<(), Failure> {
    match ws.probe(entry).await {
        State::Running(_) => Ok(()),
        _ => Err(Failure::Unreachable {
            message: format!("workspace {} is not running", entry.id),
            hint: format!("hint: `beamtalk workspace create {}` starts it", entry.id),
        }),
    }
}

/// Runs `cmd` in place of this process; answers only when that fails.
fn exec_erl(mut cmd: std::process::Command) -> Failure {
    use std::os::unix::process::CommandExt;
    let e = cmd.exec();
    match e.kind() {
        std::io::ErrorKind::NotFound => WorkspaceError::ErlMissing.into(),
        _ => Failure::Other {
            message: format!("cannot run erl: {e}"),
        },
    }
}

/// "2 classes, 1 actor, 3 bindings (not exported: f)" for an export map.
fn export_summary(data: &Term) -> String {
    let count = |k: &str| match map_get(data, k) {
        Some(Term::Map(m)) => m.map.len(),
        Some(t) => list_elements(t).map_or(0, |l| l.len()),
        None => 0,
    };
    let skipped: Vec<String> = map_get(data, "skipped")
        .and_then(list_elements)
        .unwrap_or_default()
        .iter()
        .filter_map(as_text)
        .collect();
    let mut s = format!(
        "{} classes, {} actors, {} bindings",
        count("classes"),
        count("actors"),
        count("bindings")
    );
    if !skipped.is_empty() {
        s.push_str(&format!(" (not exportable: {})", skipped.join(", ")));
    }
    s
}

/// `workspace import`: the whole export is read and checked before anything starts; then a new
/// workspace gets its classes, actors (restored without running `initialize`) and bindings. If anything
/// fails once the node runs, that workspace is removed again: nothing is ever half-imported.
async fn import(
    global: &Global,
    ws: &crate::workspace::Workspaces,
    file: &Path,
    name: Option<String>,
    project: Option<PathBuf>,
) -> Result<(), Failure> {
    let unusable = |reason: String| Failure::Usage {
        message: format!(
            "{} is not a usable workspace export: {reason}",
            file.display()
        ),
        detail: Some("hint: `beamtalk workspace export NAME FILE` writes one".to_owned()),
    };
    let data = export::read(file).map_err(|e| match e {
        WorkspaceError::Corrupt { reason, .. } => unusable(reason),
        other => other.into(),
    })?;
    let checked = crate::workspace::import::check(&data).map_err(unusable)?;
    let name = name
        .or(checked.workspace.clone())
        .unwrap_or_else(|| "imported".to_owned());
    crate::workspace::id::validate_name(&name)?;
    let project = super::project_dir(project)?;
    let existing = ws.registry().get(&name)?;
    if let Some(entry) = &existing
        && ws.probe(entry).await != State::Stopped
    {
        return Err(Failure::Usage {
            message: format!("workspace {name} already exists and is running"),
            detail: Some(
                "hint: import under another name: `beamtalk workspace import FILE NEWNAME`"
                    .to_owned(),
            ),
        });
    }
    let created = ws
        .create(&name, &project, &CreateSpec::local(DEFAULT_MAX_IDLE))
        .await?;
    let loaded = match fill(global, ws, &created.entry, &checked, &data).await {
        Ok(loaded) => loaded,
        Err(failure) => {
            // A workspace that existed (stopped) before keeps its entry; a new one goes entirely.
            let undone = match existing {
                Some(_) => ws.stop(&name, true).await.map(drop),
                None => ws.remove(&name).await,
            };
            if let Err(e) = undone {
                eprintln!("warning: the half-imported workspace {name} could not be removed: {e}");
            }
            return Err(failure);
        }
    };
    if global.json {
        println!(
            "{}",
            json!({"workspace": name, "classes": loaded, "summary": export_summary(&data)})
        );
    } else {
        println!("Imported into workspace {name}: {}.", export_summary(&data));
    }
    Ok(())
}

/// Loads an export's classes into a fresh workspace, then its actors and bindings.
async fn fill(
    global: &Global,
    ws: &crate::workspace::Workspaces,
    entry: &Entry,
    checked: &crate::workspace::import::Checked,
    data: &Term,
) -> Result<Vec<String>, Failure> {
    let conn = ws.connect(entry).await?;
    let session = Session::new(conn, Terminal::stdio(), global.timeout);
    let result = async {
        let loaded = import_classes(&session, &checked.classes).await?;
        let reply = session
            .call(node_api::IMPORT, vec![data.clone()])
            .await
            .map_err(|e| Failure::Remote {
                message: format!("importing the actors and bindings failed: {e}"),
                detail: None,
            })?;
        match reply {
            Term::Tuple(t) if t.elements.first().and_then(as_text).as_deref() == Some("ok") => {
                Ok(loaded)
            }
            other => Err(Failure::Remote {
                message: format!(
                    "importing the actors and bindings failed: {}",
                    crate::term::print::flat(&other)
                ),
                detail: None,
            }),
        }
    }
    .await;
    session.close().await;
    result
}

/// Compiles and loads the (already parsed) class sources of an export, in their original order.
async fn import_classes(
    session: &Session,
    classes: &[(ClassDef, String)],
) -> Result<Vec<String>, Failure> {
    let names: Vec<String> = classes.iter().map(|(c, _)| c.name.clone()).collect();
    let mut loaded = Vec::new();
    for (class, src) in classes {
        match session.load_class(class, src, "<import>", &names).await {
            Ok(Outcome::Value(name)) => loaded.push(name),
            Ok(Outcome::Error(text)) => {
                return Err(Failure::Remote {
                    message: text,
                    detail: None,
                });
            }
            Err(e) => return Err(super::load::eval_failure(e)),
        }
    }
    Ok(loaded)
}

fn entry_json(e: &Entry, s: &State) -> serde_json::Value {
    let mut v = json!({
        "id": e.id, "node": e.node, "project_path": e.project_path, "created_at": e.created_at, "state": s.label(),
        "host": e.host, "transport": transport(e),
    });
    match s {
        State::Running(info) => v["info"] = serde_json::to_value(info.as_ref()).unwrap_or_default(),
        State::Unreachable(reason) => v["reason"] = json!(reason),
        State::Stopped => {}
    }
    v
}

/// Says what `stop` did for each workspace; fails with the first failure's code after reporting all.
fn report_stops(
    global: &Global,
    all: bool,
    ids: &[String],
    outcomes: Vec<Result<bool, WorkspaceError>>,
    unreadable: &[WorkspaceError],
) -> Result<(), Failure> {
    let (mut stopped, mut not_running, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    let mut first_failure = None;
    for (id, outcome) in ids.iter().zip(outcomes) {
        match outcome {
            Ok(true) => stopped.push(id.clone()),
            Ok(false) => not_running.push(id.clone()),
            Err(e) => {
                failed.push(json!({"id": id, "error": e.to_string()}));
                first_failure.get_or_insert(e);
            }
        }
    }
    if ids.len() == 1
        && let Some(e) = first_failure
    {
        return Err(e.into());
    }
    let skipped: Vec<String> = unreadable.iter().map(ToString::to_string).collect();
    if global.json {
        println!(
            "{}",
            json!({"stopped": stopped, "not_running": not_running, "failed": failed, "errors": skipped})
        );
    } else {
        if all && stopped.is_empty() && failed.is_empty() {
            println!("No workspace was running.");
        }
        stopped
            .iter()
            .for_each(|id| println!("Workspace {id} stopped."));
        not_running
            .iter()
            .for_each(|id| println!("Workspace {id} was not running."));
        skipped
            .iter()
            .for_each(|e| eprintln!("{}", super::color::warning_line(&format!("skipped: {e}"))));
    }
    match first_failure {
        Some(e) => {
            if !global.json {
                for f in &failed {
                    eprintln!(
                        "{}",
                        super::color::error_line(&format!(
                            "workspace {}: {}",
                            f["id"].as_str().unwrap_or(""),
                            f["error"].as_str().unwrap_or("")
                        ))
                    );
                }
            }
            Err(Failure::Reported {
                code: super::error::exit_code(&Failure::from(e)),
            })
        }
        None => Ok(()),
    }
}

/// The workspaces as a table; `selected` (the one this directory uses) is marked `*`.
fn print_table(all: &[(Entry, State)], selected: Option<&str>) {
    if all.is_empty() {
        println!("No workspaces. `beamtalk workspace create` starts one.");
        return;
    }
    let rows: Vec<[String; 6]> = all
        .iter()
        .map(|(e, s)| {
            let (active, actors, memory) = match s {
                State::Running(i) => (ago(i.last_active), i.actor_count.to_string(), mib(i.memory)),
                _ => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
            };
            let mark = if selected == Some(e.id.as_str()) {
                " *"
            } else {
                ""
            };
            [
                format!("{}{mark}", e.id),
                s.label().to_owned(),
                e.project_path.clone(),
                active,
                actors,
                memory,
            ]
        })
        .collect();
    let header = ["ID", "STATE", "PROJECT", "LAST ACTIVE", "ACTORS", "MEMORY"].map(str::to_owned);
    let widths: Vec<usize> = (0..6)
        .map(|c| {
            rows.iter()
                .chain([&header])
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in [&header].into_iter().chain(rows.iter()) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    if all.iter().any(|(e, _)| selected == Some(e.id.as_str())) {
        println!("* the workspace `beamtalk` uses in this directory");
    }
}

/// How a workspace's distribution travels.
fn transport(e: &Entry) -> &'static str {
    if e.tls { "tls" } else { "tcp" }
}

fn print_status(e: &Entry, s: &State) {
    println!("Workspace:    {}", e.id);
    println!("Node:         {}", e.node);
    println!("Project:      {}", e.project_path);
    println!(
        "Host:         {}",
        e.host.as_deref().unwrap_or("this machine (loopback)")
    );
    println!("Transport:    {}", transport(e));
    println!("State:        {}", s.label());
    match s {
        State::Running(i) => print_info(i),
        State::Unreachable(reason) => println!("Reason:       {reason}"),
        State::Stopped => {}
    }
}

fn print_info(i: &Info) {
    println!("Created:      {}", ago(i.created_at));
    println!("Last active:  {}", ago(i.last_active));
    println!(
        "Uptime:       {}",
        humantime::format_duration(Duration::from_secs((i.uptime_ms / 1000).max(0) as u64))
    );
    println!("Memory:       {}", mib(i.memory));
    println!("Processes:    {}", i.process_count);
    println!("OTP release:  {}", i.otp_release);
    println!(
        "Classes:      {}",
        if i.modules.is_empty() {
            "-".to_owned()
        } else {
            i.modules.join(", ")
        }
    );
    if !i.sources.is_empty() {
        println!("Sources:");
        for src in &i.sources {
            let note = match src.state {
                "changed" => " (changed on disk since it was loaded: `beamtalk load` it again)",
                "missing" => " (no longer on disk)",
                _ => "",
            };
            println!("  {}{note}", src.path);
        }
    }
    println!("Actors:       {}", i.actor_count);
    for a in &i.actors {
        println!(
            "  {} {} (since {}, {} restarts)",
            a.pid,
            a.class,
            ago(a.started_at),
            a.restarts
        );
    }
    let unlisted = i.actor_count - i.actors.len() as i64;
    if unlisted > 0 {
        println!("  ... and {unlisted} more (`beamtalk workspace actors` lists them all)");
    }
}

/// "2m ago" for a Unix time.
fn ago(unix: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let secs = (now - unix).max(0);
    match secs {
        0..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=86399 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86400),
    }
}

fn mib(bytes: i64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A spinner on stderr while something slow runs, only on a terminal and never with `--json`.
pub(crate) struct Spinner {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    pub(crate) fn start(json: bool, what: &str) -> Self {
        use std::io::IsTerminal;
        if json || !std::io::stderr().is_terminal() {
            return Self {
                stop: None,
                thread: None,
            };
        }
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let what = what.to_owned();
        let thread = std::thread::spawn(move || {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0;
            while rx.recv_timeout(Duration::from_millis(80)).is_err() {
                eprint!("\r{} {what}", frames[i % frames.len()]);
                i += 1;
            }
            eprint!("\r\x1b[2K");
        });
        Self {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Where and how `workspace create` starts the node: remote hosts default to TLS; plain TCP there needs
/// `--insecure` and is warned about.
fn create_spec(
    global: &Global,
    max_idle: Option<Duration>,
    host: Option<String>,
    launcher: Option<String>,
    insecure: bool,
) -> Result<CreateSpec, Failure> {
    let launcher = match launcher.filter(|_| host.is_some()) {
        Some(text) => {
            let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
            if words.is_empty() {
                return Err(Failure::Usage {
                    message: "--launcher is empty".to_owned(),
                    detail: Some(
                        "hint: e.g. --launcher 'ssh -o BatchMode=yes build-box'".to_owned(),
                    ),
                });
            }
            Some(words)
        }
        None => None,
    };
    let tls = global.tls || (host.is_some() && !insecure);
    if let Some(host) = &host
        && !tls
    {
        eprintln!(
            "warning: workspace on {host} uses plain-TCP distribution: traffic is unencrypted and anyone who can reach {host} and learns the cookie controls the node"
        );
    }
    Ok(CreateSpec {
        max_idle: max_idle.unwrap_or(DEFAULT_MAX_IDLE),
        host,
        tls,
        launcher,
        scratch: None,
    })
}

impl From<WorkspaceError> for Failure {
    fn from(e: WorkspaceError) -> Self {
        match e {
            WorkspaceError::ToolUnsupported { .. } => Failure::Usage {
                message: e.to_string(),
                detail: None,
            },
            WorkspaceError::InvalidName(_)
            | WorkspaceError::Exists { .. }
            | WorkspaceError::NodeRenamed { .. } => Failure::Usage {
                message: e.to_string(),
                detail: None,
            },
            WorkspaceError::Unknown { .. } => Failure::Unreachable {
                message: e.to_string(),
                hint: "hint: `beamtalk workspace list` shows them; `beamtalk workspace create NAME` makes one".to_owned(),
            },
            WorkspaceError::ErlMissing => Failure::Other {
                message: format!(
                    "{e}\nhint: run scripts/setup.sh, or `sudo apt-get install erlang-nox` on Debian/Ubuntu"
                ),
            },
            WorkspaceError::BootFailed { ref log, .. } => Failure::Remote {
                message: e.to_string(),
                detail: Some(format!("boot log: {}", log.display())),
            },
            WorkspaceError::BootTimeout { .. } | WorkspaceError::StopTimeout { .. } => {
                Failure::Timeout { message: e.to_string() }
            }
            WorkspaceError::TlsMissing { .. } => Failure::Usage {
                message: e.to_string(),
                detail: Some("hint: run `beamtalk tls init --san HOST` first (HOST: the name or address the node is reached at)".to_owned()),
            },
            WorkspaceError::Tls(t) => super::tls::failure(t),
            WorkspaceError::TlsFiles(_) => Failure::Other {
                message: format!("{e}\nhint: `beamtalk tls init` writes them; a node host needs ca.pem, node.pem and node-key.pem in <home>/tls"),
            },
            WorkspaceError::NoLauncher { .. } => Failure::Unreachable {
                message: e.to_string(),
                hint: "hint: start it there with the docker image (docker/README.md), or pass --launcher 'ssh HOST' (the host must see this home's runtime, cookie and TLS files at the same paths)".to_owned(),
            },
            WorkspaceError::NodeAlive { .. } | WorkspaceError::NodeUnresponsive { .. } => {
                let id = match &e {
                    WorkspaceError::NodeUnresponsive { id, .. } => id.clone(),
                    _ => "NAME".to_owned(),
                };
                Failure::Unreachable {
                    message: e.to_string(),
                    hint: format!("hint: nothing was started and the workspace is kept; try again when the node is less busy, or `beamtalk workspace stop --force {id}` kills it (its actors and bindings are lost)"),
                }
            }
            WorkspaceError::StillRunning { .. } => Failure::Other {
                message: e.to_string(),
            },
            WorkspaceError::ForeignNode { .. } => Failure::Unreachable {
                message: e.to_string(),
                hint: "hint: node names are per host; give this workspace another name (`beamtalk workspace create OTHER_NAME`); the other node was not touched".to_owned(),
            },
            WorkspaceError::Connect(c) => c.into(),
            WorkspaceError::Call(c) => c.into(),
            WorkspaceError::Io { .. } | WorkspaceError::Corrupt { .. } => Failure::Other { message: e.to_string() },
        }
    }
}

/// What `workspace flush` (and `:flush`) did: files written, files left alone and why.
pub fn print_flush(report: &crate::repl::changes::FlushReport, json: bool) {
    if json {
        let written: Vec<_> = report
            .written
            .iter()
            .map(|(f, n)| json!({ "file": f, "changes": n }))
            .collect();
        let skipped: Vec<_> = report
            .skipped
            .iter()
            .map(|(f, why)| json!({ "file": f, "reason": why }))
            .collect();
        println!(
            "{}",
            json!({ "written": written, "skipped": skipped, "without_file": report.no_file,
                    "destructive": report.destructive, "deleted": report.deleted, "gone": report.gone,
                    "moved": report.moved.iter().map(|(from, to)| json!({ "from": from, "to": to })).collect::<Vec<_>>() })
        );
        return;
    }
    report.lines().iter().for_each(|l| println!("{l}"));
}
