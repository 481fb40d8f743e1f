//! `beamtalk rpc`: a call (or `--eval` of Erlang expressions) on one node or several, as a hidden node;
//! output streamed (one node) or gathered per node, results printed like `~p`.

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
    /// Call this node (repeat for several, like `erpc:multicall`); then the words are MODULE FUNCTION
    /// ARG... only. NODE itself may also list several, comma-separated.
    #[arg(long = "node", value_name = "NODE")]
    nodes: Vec<String>,
    /// Evaluate these Erlang expressions on the node instead of calling MODULE FUNCTION (`X = 6, X * 7.`):
    /// output captured, the value printed like the shell, the bindings in `--json`.
    #[arg(long, value_name = "EXPRS")]
    eval: Option<String>,
    /// NODE (`name@host` or `name`), then MODULE, FUNCTION and each ARG as one Erlang term
    /// (`42`, `foo`, `"str"`, `<<"bin">>`, `[1,2]`, `{a,b}`, `#{k => v}`).
    #[arg(num_args = 0.., allow_hyphen_values = true, value_name = "TERM")]
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

/// What to run on each node.
#[derive(Debug, Clone)]
enum Call {
    Apply {
        module: String,
        function: String,
        args: Vec<Term>,
    },
    Eval(String),
}

/// The nodes to run on (with how to reach each) and what to run.
struct Plan {
    nodes: Vec<NodeName>,
    call: Call,
}

/// One node's answer: the result, what it wrote, and for `--eval` its bindings.
struct Answer {
    result: Term,
    output: String,
    bindings: Option<Term>,
}

pub async fn run(global: &Global, mut args: RpcArgs) -> Result<(), Failure> {
    let home = home::resolve_home(global.home.as_deref())?;
    let registry = crate::workspace::Registry::open(&home)?;
    resolve_workspace(&mut args, &registry)?;
    let plan = plan(&args)?;
    let single = plan.nodes.len() == 1;
    let runs = plan.nodes.iter().map(|node| {
        let (home, registry, args, call) = (&home, &registry, &args, plan.call.clone());
        async move {
            let opts = options(global, home, registry, args, node)?;
            // One node streams its output as it is written; several gather theirs, shown per node.
            run_on(
                global,
                node,
                &opts,
                call,
                single && !global.json,
                args.workspace.is_some(),
            )
            .await
        }
    });
    let answers: Vec<Result<Answer, Failure>> = futures::future::join_all(runs).await;
    match single {
        true => {
            let answer = answers
                .into_iter()
                .next()
                .unwrap_or_else(|| Err(no_node()))?;
            print_one(global, &plan.nodes[0], &answer);
            Ok(())
        }
        false => print_many(global, &plan.nodes, answers),
    }
}

fn no_node() -> Failure {
    Failure::Usage {
        message: "missing NODE".to_owned(),
        detail: None,
    }
}

/// How to reach `node`: TLS if asked or if it is a workspace that uses it; the cookie of a workspace's
/// node is the home's, any other node's `~/.erlang.cookie` (`--cookie-file` overrides both).
fn options(
    global: &Global,
    home: &std::path::Path,
    registry: &crate::workspace::Registry,
    args: &RpcArgs,
    node: &NodeName,
) -> Result<crate::dist::ConnectOptions, Failure> {
    let entry = match &args.workspace {
        Some(ws) => registry.get(ws)?,
        None => None,
    };
    let tls = global.tls || entry.as_ref().is_some_and(|e| e.tls);
    let is_workspace = args.workspace.is_some() || is_workspace_node(registry, node)?;
    if !tls && !is_loopback(node.host()) {
        tracing::warn!(
            host = node.host(),
            "plain-TCP distribution to a remote host"
        );
    }
    let cookie_file = match (&global.cookie_file, is_workspace) {
        (Some(file), _) => Some(file.clone()),
        (None, true) => None,
        (None, false) => Some(erlang_cookie_file()?),
    };
    super::connect_options(cookie_file.as_deref(), home, global.timeout, tls)
}

/// Connects to `node` and runs `call` there.
async fn run_on(
    global: &Global,
    node: &NodeName,
    opts: &crate::dist::ConnectOptions,
    call: Call,
    stream: bool,
    is_workspace: bool,
) -> Result<Answer, Failure> {
    let conn = Connection::connect(node, opts).await?;
    let captured = crate::dist::io_server::Captured::default();
    let terminal = match stream {
        true => Terminal::stdio(),
        false => captured.terminal(),
    };
    let io = IoServer::new(&conn, terminal, global.timeout);
    let result = match call {
        Call::Apply {
            module,
            function,
            args,
        } => conn
            .call_with_group_leader(&io.group_leader(), &module, &function, args, global.timeout)
            .await
            .map(|r| (r, None))
            .map_err(Failure::from),
        Call::Eval(exprs) => evaluate(&conn, &io, &exprs, global.timeout, global.json).await,
    };
    io.flush().await;
    if is_workspace {
        crate::workspace::Workspaces::touch(&conn);
    }
    conn.shutdown(global.timeout).await;
    let (result, bindings) = result?;
    Ok(Answer {
        result,
        output: captured.text(),
        bindings,
    })
}

/// `--eval`: the node's own scanner, parser and `erl_eval` (so any Erlang node will do); the value, and
/// the bindings the expressions made when `with_bindings` (`--json` shows them). Without, the
/// expressions run inside a fun, so the reply is the value alone: a binding too large or deep to send
/// back (the forms of a big module, say) does not make the whole answer unreadable.
async fn evaluate(
    conn: &Connection,
    io: &IoServer,
    exprs: &str,
    timeout: std::time::Duration,
    with_bindings: bool,
) -> Result<(Term, Option<Term>), Failure> {
    let text = exprs.trim_end();
    let text = match text.ends_with('.') {
        true => text.to_owned(),
        false => format!("{text}."),
    };
    let call = |m: &'static str, f: &'static str, args: Vec<Term>| async move {
        conn.call(m, f, args, timeout).await.map_err(Failure::from)
    };
    let chars = Term::from(eetf::List::from(
        text.chars()
            .map(|c| Term::from(eetf::FixInteger::from(c as i32)))
            .collect::<Vec<_>>(),
    ));
    let tokens = match ok_payload(&call("erl_scan", "string", vec![chars]).await?) {
        Some(t) => t,
        None => return Err(eval_error("the expressions do not scan", &text)),
    };
    let parsed = call("erl_parse", "parse_exprs", vec![tokens]).await?;
    let Some(forms) = ok_payload(&parsed) else {
        return Err(eval_error(
            &format!("the expressions do not parse: {}", pretty(&parsed)),
            &text,
        ));
    };
    let forms = match with_bindings {
        true => forms,
        false => in_fun(forms),
    };
    let bindings = call("erl_eval", "new_bindings", vec![]).await?;
    let reply = conn
        .call_with_group_leader(
            &io.group_leader(),
            "erl_eval",
            "exprs",
            vec![forms, bindings],
            timeout,
        )
        .await?;
    match &reply {
        Term::Tuple(t) if t.elements.len() == 3 && t.elements[0] == crate::term::atom("value") => {
            Ok((t.elements[1].clone(), Some(t.elements[2].clone())))
        }
        other => Err(Failure::Remote {
            message: format!("unexpected answer from erl_eval: {}", pretty(other)),
            detail: None,
        }),
    }
}

/// `[(fun() -> Exprs end)()]`: parsed expressions as one call of a fun of them, whose bindings stay
/// inside it.
fn in_fun(exprs: Term) -> Term {
    use crate::term::{atom, list, tuple};
    let line = || Term::from(eetf::FixInteger::from(1));
    let clause = tuple(vec![
        atom("clause"),
        line(),
        list(vec![]),
        list(vec![]),
        exprs,
    ]);
    let fun = tuple(vec![
        atom("fun"),
        line(),
        tuple(vec![atom("clauses"), list(vec![clause])]),
    ]);
    list(vec![tuple(vec![atom("call"), line(), fun, list(vec![])])])
}

/// `X` of `{ok, X}` or `{ok, X, _}`.
fn ok_payload(t: &Term) -> Option<Term> {
    match t {
        Term::Tuple(t) if t.elements.len() >= 2 && t.elements[0] == crate::term::atom("ok") => {
            Some(t.elements[1].clone())
        }
        _ => None,
    }
}

fn eval_error(message: &str, text: &str) -> Failure {
    Failure::Usage {
        message: message.to_owned(),
        detail: Some(format!(
            "  {text}\nhint: Erlang expressions separated by `,` and ended by `.`, e.g. --eval 'X = 6, X * 7.'"
        )),
    }
}

fn print_one(global: &Global, node: &NodeName, a: &Answer) {
    if global.json {
        println!("{}", answer_json(node, a));
    } else {
        println!("{}", pretty(&a.result));
    }
}

fn answer_json(node: &NodeName, a: &Answer) -> serde_json::Value {
    let mut doc = json!({
        "node": node.to_string(),
        "result": to_json(&a.result),
        "text": pretty(&a.result),
        "output": a.output,
    });
    if let Some(b) = &a.bindings {
        doc["bindings"] = bindings_json(b);
    }
    doc
}

/// `erl_eval` bindings (`[{'X', 1}]`, or a map) as a JSON object of name to value.
fn bindings_json(b: &Term) -> serde_json::Value {
    let pairs: Vec<(String, serde_json::Value)> = match b {
        Term::List(l) => l
            .elements
            .iter()
            .filter_map(|p| match p {
                Term::Tuple(t) if t.elements.len() == 2 => Some((
                    crate::term::as_text(&t.elements[0])?,
                    to_json(&t.elements[1]),
                )),
                _ => None,
            })
            .collect(),
        Term::Map(_) => return to_json(b),
        _ => Vec::new(),
    };
    serde_json::Value::Object(pairs.into_iter().collect())
}

/// Several nodes: a line per node (its output, if any, indented under it), in the order given; the exit
/// code is the worst of them.
fn print_many(
    global: &Global,
    nodes: &[NodeName],
    answers: Vec<Result<Answer, Failure>>,
) -> Result<(), Failure> {
    let mut worst: Option<Failure> = None;
    let mut docs = Vec::new();
    for (node, answer) in nodes.iter().zip(answers) {
        match answer {
            Ok(a) => {
                if global.json {
                    docs.push(answer_json(node, &a));
                } else {
                    println!("{node}: {}", pretty(&a.result));
                    for line in a.output.lines() {
                        println!("  {line}");
                    }
                }
            }
            Err(f) => {
                if global.json {
                    docs.push(
                        json!({ "node": node.to_string(), "error": super::error::json_error(&f) }),
                    );
                } else {
                    println!(
                        "{node}: error: {}",
                        super::error::text(&f).replace('\n', "\n  ")
                    );
                }
                if worst
                    .as_ref()
                    .is_none_or(|w| super::exit_code(&f) > super::exit_code(w))
                {
                    worst = Some(f);
                }
            }
        }
    }
    if global.json {
        println!("{}", serde_json::Value::Array(docs));
    }
    match worst {
        None => Ok(()),
        Some(f) => Err(Failure::Reported {
            code: super::exit_code(&f),
        }),
    }
}

/// The nodes and the call, from the command line.
fn plan(args: &RpcArgs) -> Result<Plan, Failure> {
    let usage = |message: String| Failure::Usage {
        message,
        detail: None,
    };
    let (nodes, rest) = match (&args.workspace, args.nodes.is_empty()) {
        (Some(ws), _) => (vec![workspace_node(ws)?], args.words.as_slice()),
        (None, false) => (
            node_list(args.nodes.iter().map(String::as_str))?,
            args.words.as_slice(),
        ),
        (None, true) => {
            let (first, rest) = args.words.split_first().ok_or_else(no_node)?;
            (node_list(std::iter::once(first.as_str()))?, rest)
        }
    };
    // `rpc NODE --eval 'EXPRS'`: after NODE the words take anything (a term may start with `-`), so the
    // option is picked out here.
    let (eval, rest) = match rest {
        [flag, exprs, rest @ ..] if flag == "--eval" => (Some(exprs.clone()), rest),
        [flag, rest @ ..] if flag.starts_with("--eval=") => {
            (flag.strip_prefix("--eval=").map(str::to_owned), rest)
        }
        _ => (args.eval.clone(), rest),
    };
    let call = match &eval {
        Some(exprs) if rest.is_empty() => Call::Eval(exprs.clone()),
        Some(_) => {
            return Err(usage(format!(
                "--eval runs expressions: no MODULE FUNCTION after the node (got `{}`)",
                rest.join(" ")
            )));
        }
        None => apply(rest)?,
    };
    Ok(Plan { nodes, call })
}

/// Node names, each word possibly a comma-separated list.
fn node_list<'a>(words: impl Iterator<Item = &'a str>) -> Result<Vec<NodeName>, Failure> {
    let names: Vec<&str> = words
        .flat_map(|w| w.split(','))
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    if names.is_empty() {
        return Err(no_node());
    }
    names
        .into_iter()
        .map(|n| {
            NodeName::parse(n).map_err(|e| Failure::Usage {
                message: e.to_string(),
                detail: None,
            })
        })
        .collect()
}

/// MODULE FUNCTION ARG...: the arguments parsed as Erlang terms.
fn apply(rest: &[String]) -> Result<Call, Failure> {
    let usage = |message: String| Failure::Usage {
        message,
        detail: None,
    };
    let [module, function, terms @ ..] = rest else {
        return Err(usage(
            "expected MODULE and FUNCTION after the node (or --eval 'EXPRS.')".to_owned(),
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
    Ok(Call::Apply {
        module: module.clone(),
        function: function.clone(),
        args,
    })
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
