//! Command-line front end: parses arguments, calls the library, reports errors with stable exit codes.

pub mod color;
mod error;
mod eval;
mod fmt;
mod load;
mod lsp;
mod nodes;
mod parse;
mod project;
mod repl;
mod rpc;
mod start;
mod test;
mod tls;
mod top;
mod trace;
mod workspace;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

pub use error::{Failure, exit_code, report};
pub use parse::full_command;
pub use start::start;

/// beamtalk — live Beamtalk workspaces on the BEAM, driven from a hidden Erlang node.
#[derive(Debug, Parser)]
#[command(name = "beamtalk", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, clap::Args)]
pub struct Global {
    /// State directory (workspace registry, cookie, history) [default: $XDG_STATE_HOME/beamtalk, else
    /// ~/.local/state/beamtalk].
    #[arg(long, env = "BEAMTALK_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Cookie file to use [default: <home>/cookie, created 0600 on first use].
    #[arg(long, env = "BEAMTALK_COOKIE_FILE", value_name = "FILE")]
    pub cookie_file: Option<PathBuf>,
    /// Per-operation timeout, e.g. 500ms, 5s, 2m.
    #[arg(long, value_parser = parse_duration, default_value = "10s", value_name = "DURATION")]
    pub timeout: Duration,
    /// Tracing output on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Machine-readable output: one JSON document on stdout, errors included.
    #[arg(long)]
    pub json: bool,
    /// Distribution over TLS, with the certificates of `beamtalk tls init` (workspaces remember their own).
    #[arg(long, env = "BEAMTALK_TLS")]
    pub tls: bool,
}

#[derive(Debug, Subcommand)]
// Subcommands are built only when invoked: building all of them was a third of a cold `beamtalk rpc`.
#[command(defer = true)]
pub enum Command {
    /// Call MODULE:FUNCTION(ARGS...), or evaluate Erlang expressions, on a node (or several) as a hidden
    /// node and print the result like `~p`.
    #[command(
        after_help = "Cookie: a node named directly is called with ~/.erlang.cookie, as erl and erl_call do; a\nworkspace's node (-w, or its node name) with the home's cookie; --cookie-file FILE overrides both.\n\nExamples:\n  beamtalk rpc mynode lists reverse '[1,2,3]'\n  beamtalk rpc -w myws erlang memory\n  beamtalk rpc -w erlang node            # the project's workspace\n  beamtalk rpc mynode --eval 'X = 6, X * 7.'\n  beamtalk rpc node1,node2 erlang memory total   # one call, several nodes\n  beamtalk --timeout 1m --json rpc mynode maps from_list '[{a,1}]'"
    )]
    #[command(
        override_usage = "beamtalk rpc [OPTIONS] <NODE[,NODE...]> <MODULE> <FUNCTION> [ARG]...\n       beamtalk rpc [OPTIONS] <NODE[,NODE...]> --eval <EXPRS>\n       beamtalk rpc [OPTIONS] -w [WORKSPACE] <MODULE> <FUNCTION> [ARG]..."
    )]
    Rpc(rpc::RpcArgs),
    /// List the node names registered with EPMD on a host.
    #[command(
        after_help = "Examples:\n  beamtalk nodes\n  beamtalk nodes --host build-box.example"
    )]
    Nodes(nodes::NodesArgs),
    /// Attach to the project's workspace (creating it if needed) and evaluate Beamtalk interactively.
    #[command(
        after_help = "Examples:\n  beamtalk repl\n  beamtalk repl -w experiment --create\n  beamtalk repl < script.bt"
    )]
    Repl(repl::ReplArgs),
    /// Evaluate Beamtalk in the workspace and print the result as the REPL would.
    #[command(
        after_help = "Examples:\n  beamtalk eval '3 + 4'\n  beamtalk eval -w myws 'counter increment'\n  beamtalk --timeout 5m eval 'Bench run'"
    )]
    Eval(eval::EvalArgs),
    /// Compile classes from .bt files and load them into the workspace.
    #[command(
        after_help = "Examples:\n  beamtalk load src/counter.bt\n  beamtalk load src/\n  beamtalk load --watch src/"
    )]
    Load(load::LoadArgs),
    /// Run the TestCase classes of .bt files in a fresh workspace (or -w NAME): a line per failing test,
    /// then `N passed, M failed`; exit 1 when any failed, 2 when the files do not load.
    #[command(
        after_help = "Examples:\n  beamtalk test\n  beamtalk test test/counter_test.bt --filter testIncrement\n  beamtalk test src/ test/ -w dev"
    )]
    Test(test::TestArgs),
    /// Rewrite .bt files in the standard layout (see README, "Formatting"), or with --check list the
    /// files that are not in it and exit 1.
    #[command(
        after_help = "Examples:\n  beamtalk fmt\n  beamtalk fmt src/counter.bt\n  beamtalk fmt --check src/ test/\n  beamtalk fmt - < counter.bt"
    )]
    Fmt(fmt::FmtArgs),
    /// Serve the Language Server Protocol on stdio for editors: diagnostics, completion (from the files
    /// and the live workspace), hover, definition, references, symbols, rename, formatting, commands.
    #[command(
        after_help = "Examples:\n  beamtalk lsp\n  beamtalk lsp -w dev\n\nEditor setups: editors/ (VS Code, Neovim, Helix)."
    )]
    Lsp(lsp::LspArgs),
    /// Watch the busiest actors of a workspace, refreshed every second (q or Ctrl-C quits).
    #[command(after_help = "Examples:\n  beamtalk top\n  beamtalk top -w myws --once")]
    Top(top::TopArgs),
    /// Watch the sends to a class's methods as they run (calls, returns with durations, exceptions),
    /// until Ctrl-C or --for.
    #[command(
        after_help = "Examples:\n  beamtalk trace Counter\n  beamtalk trace Counter increment -w myws\n  beamtalk --json trace Counter --for 10s"
    )]
    Trace(trace::TraceArgs),
    /// Manage workspaces: detached nodes that keep actors and bindings alive between sessions.
    #[command(subcommand)]
    Workspace(workspace::WorkspaceCommand),
    /// Certificates for TLS distribution.
    #[command(subcommand)]
    Tls(tls::TlsCommand),
    /// Make a project in a new directory: `beamtalk.toml`, a first class in `src/`, its test in `test/`.
    #[command(
        after_help = "Examples:\n  beamtalk new my_app\n  beamtalk new my_app --path ~/code/app"
    )]
    New(project::NewArgs),
    /// Make the current directory a project (`beamtalk.toml`, `src/`, `test/`), changing no file it has.
    #[command(after_help = "Examples:\n  beamtalk init\n  beamtalk init --name my_app")]
    Init(project::InitArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  beamtalk completions bash > ~/.local/share/bash-completion/completions/beamtalk\n  beamtalk completions zsh > ~/.zfunc/_beamtalk"
    )]
    Completions {
        /// Shell to generate for.
        shell: clap_complete::Shell,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Rpc(args) => rpc::run(&cli.global, args).await,
        Command::Nodes(args) => nodes::run(&cli.global, args).await,
        Command::Workspace(cmd) => workspace::run(&cli.global, cmd).await,
        Command::Eval(args) => eval::run(&cli.global, args).await,
        Command::Repl(args) => repl::run(&cli.global, args).await,
        Command::Top(args) => top::run(&cli.global, args).await,
        Command::Trace(args) => trace::run(&cli.global, args).await,
        Command::Load(args) => load::run(&cli.global, args).await,
        Command::Test(args) => test::run(&cli.global, args).await,
        Command::Tls(cmd) => tls::run(&cli.global, cmd),
        Command::Fmt(args) => fmt::run(&cli.global, args),
        Command::Lsp(args) => lsp::run(&cli.global, args).await,
        Command::New(args) => project::new(&cli.global, args),
        Command::Init(args) => project::init(&cli.global, args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut full_command(), "beamtalk", &mut script);
            write_stdout(&script)
        }
    }
}

/// Writes `bytes` to stdout; a reader that went away (`| head`) ends the output quietly, as in Unix tools.
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Other {
            message: format!("writing to stdout: {e}"),
        }),
        _ => Ok(()),
    }
}

/// The workspaces of the chosen home, with the chosen cookie: what every workspace command starts from.
fn workspaces(global: &Global) -> Result<(PathBuf, crate::workspace::Workspaces), Failure> {
    let home = crate::home::resolve_home(global.home.as_deref())?;
    crate::home::ensure_home(&home)?;
    let cookie = crate::home::load_cookie(&home, global.cookie_file.as_deref())?;
    let ws = crate::workspace::Workspaces::new(&home, cookie, global.timeout)?;
    Ok((home, ws))
}

/// Connection options for naming a node directly (`rpc NODE`): the cookie of `cookie_file` (the home's
/// own when `None`), and TLS when `--tls` is given.
fn connect_options(
    cookie_file: Option<&std::path::Path>,
    home: &std::path::Path,
    timeout: Duration,
    tls: bool,
) -> Result<crate::dist::ConnectOptions, Failure> {
    let cookie = crate::home::load_cookie(home, cookie_file)?;
    let mut opts =
        crate::dist::ConnectOptions::new(cookie.value, cookie.path.display().to_string(), timeout);
    if tls {
        opts.tls = Some(crate::workspace::tls_client_config(home)?);
    }
    Ok(opts)
}

/// Attaches to workspace `name` (or the project's) for `eval` and `load`, with a spinner while a node
/// boots on a terminal, and says on stderr when attaching started one.
async fn attach(
    global: &Global,
    ws: &crate::workspace::Workspaces,
    name: Option<&str>,
    project: &std::path::Path,
    create: bool,
) -> Result<crate::workspace::Attached, Failure> {
    let spinner = workspace::Spinner::start(global.json, "attaching to the workspace");
    let attached = ws.attach(name, project, create).await;
    drop(spinner);
    let attached = attached?;
    if let Some(notice) = attached.notice() {
        eprintln!("{notice}");
    }
    if attached.started && name.is_none() {
        autoload(global, attached.conn.clone(), project).await;
    }
    Ok(attached)
}

/// `--project DIR`, or the project the current directory belongs to (see [`crate::project::discover`]).
fn project_dir(project: Option<PathBuf>) -> Result<PathBuf, Failure> {
    match project {
        Some(p) => Ok(p),
        None => Ok(crate::project::discover(&current_dir()?)?),
    }
}

fn current_dir() -> Result<PathBuf, Failure> {
    std::env::current_dir().map_err(|e| Failure::Other {
        message: format!("current directory: {e}"),
    })
}

/// Loads the project's sources into its workspace, just started, through `conn`, and says so on
/// stderr; answers the session it loaded through.
async fn autoload(
    global: &Global,
    conn: crate::dist::Connection,
    project: &std::path::Path,
) -> crate::repl::Session {
    let session = crate::repl::Session::for_project(
        conn,
        crate::dist::io_server::Terminal::stdio(),
        global.timeout,
        project.to_path_buf(),
    );
    if let Some(notice) =
        crate::repl::load::autoload_notice(&session, project, global.timeout).await
    {
        eprintln!("{notice}");
    }
    session
}

/// The longest duration accepted anywhere (timeouts, idle limits): deadlines computed from it stay
/// representable.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration like 500ms, 5s or 2m ({e})"))?;
    if d.is_zero() {
        return Err("timeout must be greater than zero".to_owned());
    }
    if d > MAX_DURATION {
        return Err(format!("`{s}` is too long: durations are at most 365 days"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        full_command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("18446744073709551615s").is_err());
        assert_eq!(parse_duration("365d"), Ok(MAX_DURATION));
        assert!(parse_duration("366d").is_err());
    }
}
