//! `beamtalk rpc`: one call as a hidden node, output streamed, result printed like `~p`.

use eetf::Term;
use serde_json::json;

use super::{Failure, Global};
use crate::dist::io_server::{IoServer, Terminal};
use crate::dist::{Connection, NodeName};
use crate::home;
use crate::term::{json::to_json, parse, print::pretty};

#[derive(Debug, clap::Args)]
pub struct RpcArgs {
    /// Call the node of this workspace instead of naming NODE; `-w` alone (or followed by MODULE) means
    /// the project's workspace.
    #[arg(short = 'w', long = "workspace", value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    workspace: Option<String>,
    /// NODE (`name@host` or `name`), then MODULE, FUNCTION and each ARG as one Erlang term
    /// (`42`, `foo`, `"str"`, `<<"bin">>`, `[1,2]`, `{a,b}`, `#{k => v}`).
    #[arg(required = true, num_args = 1.., allow_hyphen_values = true, value_name = "TERM")]
    words: Vec<String>,
}

/// Whether `host` names this machine's loopback, where plain TCP never leaves the machine.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host == crate::dist::node_name::short_hostname()
}

/// What to call, parsed from the command line.
#[derive(Debug)]
pub struct Target {
    pub node: NodeName,
    pub module: String,
    pub function: String,
    pub args: Vec<Term>,
}

pub async fn run(global: &Global, mut args: RpcArgs) -> Result<(), Failure> {
    let home = home::resolve_home(global.home.as_deref())?;
    let registry = crate::workspace::Registry::open(&home)?;
    resolve_workspace(&mut args, &registry)?;
    let mut target = target(&args)?;
    let mut tls = global.tls;
    let mut is_workspace = false;
    if let Some(ws) = &args.workspace
        && let Some(entry) = registry.get(ws)?
    {
        target.node = NodeName::parse(&entry.node).map_err(|e| Failure::Usage {
            message: e.to_string(),
            detail: None,
        })?;
        tls |= entry.tls;
        is_workspace = true;
    }
    is_workspace |= args.workspace.is_some() || is_workspace_node(&registry, &target.node)?;
    if !tls && !is_loopback(target.node.host()) {
        tracing::warn!(
            host = target.node.host(),
            "plain-TCP distribution to a remote host"
        );
    }
    let cookie_file = match (&global.cookie_file, is_workspace) {
        (Some(file), _) => Some(file.clone()),
        (None, true) => None,
        (None, false) => Some(erlang_cookie_file()?),
    };
    let opts = super::connect_options(cookie_file.as_deref(), &home, global.timeout, tls)?;
    let conn = Connection::connect(&target.node, &opts).await?;
    let captured = super::Captured::default();
    let terminal = match global.json {
        true => captured.terminal(),
        false => Terminal::stdio(),
    };
    let io = IoServer::new(&conn, terminal, global.timeout);
    let result = conn
        .call_with_group_leader(
            &io.group_leader(),
            &target.module,
            &target.function,
            target.args,
            global.timeout,
        )
        .await;
    io.flush().await;
    if args.workspace.is_some() {
        crate::workspace::Workspaces::touch(&conn);
    }
    conn.shutdown(global.timeout).await;
    let result = result?;
    if global.json {
        let output = captured.text();
        let doc = json!({
            "node": target.node.to_string(),
            "result": to_json(&result),
            "text": pretty(&result),
            "output": output,
        });
        println!("{doc}");
    } else {
        println!("{}", pretty(&result));
    }
    Ok(())
}

/// `-w` with no name means the project's workspace. So does `-w MODULE FUNCTION` (the word after `-w`
/// names no workspace, and without it the call would lack its FUNCTION): that word goes back to the call.
/// An unknown name before a whole call stays a workspace name (a typo must not become a module).
fn resolve_workspace(
    args: &mut RpcArgs,
    registry: &crate::workspace::Registry,
) -> Result<(), Failure> {
    let Some(name) = args.workspace.clone() else {
        return Ok(());
    };
    if !name.is_empty() {
        let known = registry.get(&name)?.is_some();
        if known || args.words.len() != 1 {
            return Ok(());
        }
        args.words.insert(0, name);
    }
    let project = super::project_dir(None)?;
    args.workspace = Some(registry.project_workspace(&project)?);
    Ok(())
}

/// Whether `node` is the node of a registered workspace (which keeps the home's cookie).
fn is_workspace_node(
    registry: &crate::workspace::Registry,
    node: &NodeName,
) -> Result<bool, Failure> {
    let (entries, _) = registry.list()?;
    Ok(entries
        .iter()
        .any(|e| NodeName::parse(&e.node).is_ok_and(|n| n.to_string() == node.to_string())))
}

/// `~/.erlang.cookie`: the cookie `erl` and `erl_call` use for a node named directly.
fn erlang_cookie_file() -> Result<std::path::PathBuf, Failure> {
    let base = directories::BaseDirs::new().ok_or_else(|| Failure::Other {
        message: "no home directory to find ~/.erlang.cookie in".to_owned(),
    })?;
    let path = base.home_dir().join(".erlang.cookie");
    if !path.exists() {
        return Err(Failure::Auth {
            message: format!("{} does not exist", path.display()),
            hint: "hint: a node named directly is called with ~/.erlang.cookie, as erl and erl_call do; \
                   give the node's cookie with --cookie-file FILE, or use -w for a workspace"
                .to_owned(),
        });
    }
    Ok(path)
}

/// Splits the words into node, module, function and parsed arguments.
pub fn target(args: &RpcArgs) -> Result<Target, Failure> {
    let usage = |message: String| Failure::Usage {
        message,
        detail: None,
    };
    let (node, rest) = match &args.workspace {
        Some(ws) => (workspace_node(ws)?, args.words.as_slice()),
        None => {
            let (node, rest) = args
                .words
                .split_first()
                .ok_or_else(|| usage("missing NODE".to_owned()))?;
            let node = NodeName::parse(node).map_err(|e| usage(e.to_string()))?;
            (node, rest)
        }
    };
    let [module, function, terms @ ..] = rest else {
        return Err(usage(
            "expected MODULE and FUNCTION after the node".to_owned(),
        ));
    };
    if let Some(option) = terms.iter().find(|t| is_global_option(t)) {
        return Err(usage(format!(
            "`{option}` after the call's arguments: options go before NODE (e.g. `beamtalk rpc {option} ... NODE MODULE FUNCTION ARG...`); every argument after FUNCTION is an Erlang term"
        )));
    }
    let args = terms
        .iter()
        .enumerate()
        .map(|(i, text)| parse::parse(text).map_err(|e| bad_term(i + 1, text, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Target {
        node,
        module: module.clone(),
        function: function.clone(),
        args,
    })
}

/// The node of workspace `name`, per the naming contract (`beamtalk_workspace_<id>@<host>`).
fn workspace_node(name: &str) -> Result<NodeName, Failure> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(Failure::Usage {
            message: format!("invalid workspace name `{name}`"),
            detail: Some("hint: workspace names use lower-case letters, digits and `_`".to_owned()),
        });
    }
    NodeName::parse(&format!("beamtalk_workspace_{name}")).map_err(|e| Failure::Usage {
        message: e.to_string(),
        detail: None,
    })
}

/// An argument that looks like one of beamtalk's own options (no Erlang term starts with `--`).
fn is_global_option(arg: &str) -> bool {
    let name = arg.split('=').next().unwrap_or(arg);
    [
        "--home",
        "--cookie-file",
        "--timeout",
        "--json",
        "--tls",
        "--verbose",
        "-v",
        "-vv",
    ]
    .contains(&name)
}

fn bad_term(index: usize, text: &str, e: &parse::ParseError) -> Failure {
    let caret = format!("{}^", " ".repeat(e.column.saturating_sub(1)));
    Failure::Usage {
        message: format!("argument {index} is not an Erlang term: {e}"),
        detail: Some(format!(
            "  {text}\n  {caret}\nhint: quote the argument for your shell, e.g. '\"a string\"' or '[1,2]'"
        )),
    }
}
