//! What a node's evaluation asks of the CLI running it: Beamtalk is compiled here, so `Workspace load:`,
//! `Counter compile: #sel source: ...`, `Counter removeSelector: #sel` and `Workspace flush` (source files
//! are the CLI's) reach the node's io proxy,
//! which asks this process (see [`crate::dist::io_server::CliRequest`]). Each answer is `ok`,
//! `{ok, Value}`, `{error, not_found}` or `{error, Message}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use eetf::Term;

use super::Session;
use super::changes::Tier;
use super::methods::EditError;
use crate::dist::WeakConnection;
use crate::dist::io_server::{CliRequest, RequestHandler, Terminal};
use crate::term::{as_text, atom, tuple};

/// The handler of one session's requests; `project` bounds what `Workspace load:` may read.
pub fn handler(conn: WeakConnection, timeout: Duration, project: PathBuf) -> RequestHandler {
    let project = Arc::new(project);
    Arc::new(move |request: CliRequest| {
        let (conn, project) = (conn.clone(), project.clone());
        Box::pin(async move {
            match request {
                CliRequest::Load(path) => {
                    match super::load::load_for_node(conn, timeout, &path, &project).await {
                        Ok(names) => tuple(vec![
                            atom("ok"),
                            crate::term::list(names.iter().map(|n| text(n)).collect()),
                        ]),
                        Err(message) => error(&message),
                    }
                }
                CliRequest::Edit(payload) => edit(conn, timeout, &payload, &project).await,
            }
        })
    })
}

/// `{Class, {compile, Selector, Source, durable | ephemeral}}`, `{Class, {remove, Selector}}`,
/// `{Class, {remove_class_side, Selector}}`, `{Class, {compile_class_side, ...}}`,
/// `{Class, {rename, Side, Old, New, Family, RewriteSenders}}` or
/// `{new_class, Source, Path}`, `{move_class, Class, Path}`, `{rename_class, Old, New, Classes}`,
/// `{flush, Target}` or
/// `{flush, Target, destructive}`, as an external term.
async fn edit(conn: WeakConnection, timeout: Duration, payload: &[u8], project: &Path) -> Term {
    let Some(conn) = conn.upgrade() else {
        return error("the connection is closed");
    };
    let Ok(Term::Tuple(t)) = crate::term::etf::decode(payload) else {
        return error("an edit request that cannot be read");
    };
    let quiet = Terminal {
        output: Box::new(std::io::sink()),
        input: Box::new(std::io::empty()),
    };
    let session = Session::new(conn, quiet, timeout);
    match t.elements.as_slice() {
        [Term::Atom(k), Term::Atom(target)] if k.name == "flush" => {
            return flush(&session, project, &target.name, Tier::Edits).await;
        }
        [Term::Atom(k), Term::Atom(target), Term::Atom(tier)]
            if k.name == "flush" && tier.name == "destructive" =>
        {
            return flush(&session, project, &target.name, Tier::Destructive).await;
        }
        _ => {}
    }
    if let [Term::Atom(k), source, path] = t.elements.as_slice()
        && k.name == "new_class"
    {
        let (source, path) = (
            as_text(source).unwrap_or_default(),
            as_text(path).unwrap_or_default(),
        );
        return match session.new_class(&source, &path, project).await {
            Ok(name) => tuple(vec![atom("ok"), text(&name)]),
            Err(message) => error(message.strip_prefix("ERROR: ").unwrap_or(&message)),
        };
    }
    if let [Term::Atom(k), Term::Atom(class), path] = t.elements.as_slice()
        && k.name == "move_class"
    {
        let path = as_text(path).unwrap_or_default();
        return match session.move_class(&class.name, &path, project).await {
            Ok(to) => tuple(vec![atom("ok"), text(&to)]),
            Err(message) => error(&message),
        };
    }
    if let [Term::Atom(k), Term::Atom(old), Term::Atom(new), classes] = t.elements.as_slice()
        && k.name == "rename_class"
    {
        let classes = atom_names(classes);
        return match session.rename_class(&old.name, &new.name, &classes).await {
            Ok(names) => tuple(vec![
                atom("ok"),
                crate::term::list(names.iter().map(|n| text(n)).collect()),
            ]),
            Err(message) => error(message.strip_prefix("ERROR: ").unwrap_or(&message)),
        };
    }
    let result = match t.elements.as_slice() {
        [Term::Atom(class), Term::Tuple(op)] => match op.elements.as_slice() {
            [Term::Atom(k), Term::Atom(sel), source, Term::Atom(intent)]
                if k.name == "compile" || k.name == "compile_class_side" =>
            {
                let source = as_text(source).unwrap_or_default();
                let durable = intent.name == "durable";
                let side = (class.name.as_str(), k.name == "compile_class_side");
                session
                    .compile_source(side, &sel.name, &source, durable)
                    .await
            }
            [Term::Atom(k), Term::Atom(sel)] if k.name == "remove" => {
                session.remove_method(&class.name, false, &sel.name).await
            }
            [Term::Atom(k), Term::Atom(sel)] if k.name == "remove_class_side" => {
                session.remove_method(&class.name, true, &sel.name).await
            }
            [
                Term::Atom(k),
                Term::Atom(side),
                Term::Atom(old),
                Term::Atom(new),
                family,
                Term::Atom(auto),
            ] if k.name == "rename" => {
                let family = atom_names(family);
                let rename = super::rename::Rename {
                    class: &class.name,
                    class_side: side.name == "class",
                    old: &old.name,
                    new: &new.name,
                    family,
                    rewrite_senders: auto.name == "true",
                };
                session.rename_selector(&rename).await
            }
            _ => Err(EditError::Refused(
                "an edit request of an unknown kind".into(),
            )),
        },
        _ => Err(EditError::Refused(
            "an edit request that cannot be read".into(),
        )),
    };
    match result {
        Ok(()) => atom("ok"),
        Err(EditError::NotFound) => tuple(vec![atom("error"), atom("not_found")]),
        // The node raises it as an error of its own: not the REPL's `ERROR: ` line.
        Err(EditError::Refused(message)) => {
            error(message.strip_prefix("ERROR: ").unwrap_or(&message))
        }
    }
}

/// `Workspace flush` (`target` is `all`) or `Workspace flush: Counter`, and their destructive forms
/// (`flushIncludingDestructive`, `flush: Counter confirmDestructive: true`): the report as text, an
/// error when a file was left alone (changed on disk since it was loaded, say), with the whole report.
async fn flush(session: &Session, project: &Path, target: &str, tier: Tier) -> Term {
    let class = (target != "all").then_some(target);
    match session.flush_class(project, class, tier).await {
        Ok(report) if report.skipped.is_empty() => {
            tuple(vec![atom("ok"), text(&report.lines().join("\n"))])
        }
        Ok(report) => error(&report.lines().join("\n")),
        Err(e) => error(&e.to_string()),
    }
}

/// The atoms of a list, as names (anything else in it is skipped).
fn atom_names(list: &Term) -> Vec<String> {
    crate::term::list_elements(list)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| match t {
            Term::Atom(a) => Some(a.name.clone()),
            _ => None,
        })
        .collect()
}

fn error(message: &str) -> Term {
    tuple(vec![atom("error"), text(message)])
}

fn text(s: &str) -> Term {
    crate::term::binary(s)
}
