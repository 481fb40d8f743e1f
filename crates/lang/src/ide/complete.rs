//! Completion at a place in a document (or a REPL line): after a receiver whose class is known (a class
//! name, a literal, `self`, `super`, a variable assigned from `X new`/`X spawn` or a literal), that
//! class's selectors, its own first; after any other receiver every known selector; where an expression
//! starts, the names in scope, the bindings and the classes.

use crate::lexer::{Tok, Token};

use super::Catalog;
use super::outline::Outline;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Class,
    Method,
    Variable,
    Keyword,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: Kind,
    /// Where the name comes from (`Counter`, `binding`, `local`).
    pub detail: String,
    /// The text to insert: for a keyword selector, a snippet with a placeholder per argument
    /// (`at: ${1:arg} put: ${2:arg}`) when `snippet` is true.
    pub insert: String,
    pub snippet: bool,
}

/// What completion looks at.
pub struct Request<'a> {
    pub src: &'a str,
    pub offset: usize,
    pub tokens: &'a [Token],
    pub outline: &'a Outline,
    pub catalog: &'a Catalog,
    /// The workspace's bindings, when one runs.
    pub bindings: &'a [String],
    /// Keyword selectors as snippets with placeholders (editors), or as their first keyword (a REPL).
    pub snippets: bool,
}

const PSEUDO: [&str; 6] = ["self", "super", "nil", "true", "false", "thisContext"];

/// Where the word being completed starts, and the candidates, best first.
pub fn complete(r: &Request) -> (usize, Vec<Completion>) {
    let offset = r.offset.min(r.src.len());
    let start = r.src[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(offset, |(i, _)| i);
    let prefix = &r.src[start..offset];
    let before = r.tokens.partition_point(|t| t.span.end <= start);
    let prev = before.checked_sub(1).map(|i| &r.tokens[i]);
    let items = match prev.map(|t| &t.tok) {
        None
        | Some(
            Tok::Assign
            | Tok::Dot
            | Tok::LParen
            | Tok::LBrack
            | Tok::Caret
            | Tok::Keyword(_)
            | Tok::Binary(_)
            | Tok::FatArrow
            | Tok::Pipe
            | Tok::HashParen
            | Tok::HashBrack
            | Tok::HashBrace
            | Tok::LBrace
            | Tok::BlockParam(_),
        ) => names(r, start),
        Some(_) if on_new_statement(r, prev, start) => names(r, start),
        Some(_) => {
            let receiver = prev.map_or(Receiver::Unknown, |t| receiver(r, before - 1, t));
            selectors(r, receiver)
        }
    };
    let mut seen = std::collections::HashSet::new();
    let items = items
        .into_iter()
        .filter(|c| c.label.starts_with(prefix) && seen.insert(c.label.clone()))
        .collect();
    (start, items)
}

/// Whether the word begins a line of its own that the layout makes a new statement (the previous
/// token ends a line at the same or a deeper indentation).
fn on_new_statement(r: &Request, prev: Option<&Token>, start: usize) -> bool {
    let Some(prev) = prev else { return true };
    let between = &r.src[prev.span.end..start];
    if !between.contains('\n') {
        return false;
    }
    let indent = |at: usize| {
        let line = r.src[..at].rfind('\n').map_or(0, |i| i + 1);
        r.src[line..].len() - r.src[line..].trim_start_matches([' ', '\t']).len()
    };
    indent(start) <= indent(prev.span.start)
}

/// What a message is being sent to.
enum Receiver {
    Instance(String),
    Class(String),
    Unknown,
}

fn receiver(r: &Request, i: usize, t: &Token) -> Receiver {
    let in_class = r.outline.class_at(t.span.start);
    match &t.tok {
        Tok::Ident(n) if n.starts_with(|c: char| c.is_uppercase()) => Receiver::Class(n.clone()),
        Tok::Ident(n) if n == "self" => match (in_class, r.outline.method_at(t.span.start)) {
            (Some(c), Some(m)) if m.class_side => Receiver::Class(c.name.clone()),
            (Some(c), _) => Receiver::Instance(c.name.clone()),
            _ => Receiver::Unknown,
        },
        Tok::Ident(n) if n == "super" => in_class.map_or(Receiver::Unknown, |c| {
            Receiver::Instance(c.superclass.clone())
        }),
        Tok::Ident(n) => {
            assigned_class(r.tokens, i, n).map_or(Receiver::Unknown, Receiver::Instance)
        }
        other => literal_class(other).map_or(Receiver::Unknown, |c| Receiver::Instance(c.into())),
    }
}

/// The class of what `name` was last assigned before token `i`: `X new...`/`X spawn...` or a literal.
fn assigned_class(tokens: &[Token], i: usize, name: &str) -> Option<String> {
    let before = &tokens[..i];
    (0..before.len().saturating_sub(2)).rev().find_map(|j| {
        match (&before[j].tok, &before[j + 1].tok) {
            (Tok::Ident(n), Tok::Assign) if n == name => {
                let next = before.get(j + 3).map(|t| &t.tok);
                match (&before[j + 2].tok, next) {
                    (Tok::Ident(c), Some(Tok::Ident(s) | Tok::Keyword(s)))
                        if c.starts_with(|ch: char| ch.is_uppercase())
                            && (s.starts_with("new") || s.starts_with("spawn")) =>
                    {
                        Some(Some(c.clone()))
                    }
                    (lit, _) => Some(literal_class(lit).map(str::to_owned)),
                }
            }
            _ => None,
        }
    })?
}

fn literal_class(t: &Tok) -> Option<&'static str> {
    Some(match t {
        Tok::Int(_) | Tok::Char(_) => "Integer",
        Tok::Float(_) => "Float",
        Tok::Str(_) => "String",
        Tok::Sym(_) => "Symbol",
        Tok::HashParen => "List",
        Tok::HashBrack => "Array",
        Tok::HashBrace => "Dictionary",
        Tok::LBrack => "Block",
        _ => return None,
    })
}

fn selectors(r: &Request, receiver: Receiver) -> Vec<Completion> {
    let (owner, list) = match &receiver {
        Receiver::Instance(c) => (c.as_str(), instance_selectors(r, c)),
        Receiver::Class(c) => (c.as_str(), r.catalog.class_selectors(c)),
        Receiver::Unknown => ("", Vec::new()),
    };
    let list = match list.is_empty() {
        true => {
            let mut all = r.catalog.all_selectors();
            all.extend(r.outline.methods().map(|m| m.selector.clone()));
            all.sort();
            all
        }
        false => list,
    };
    list.into_iter()
        .filter(|s| s.starts_with(|c: char| c.is_alphabetic() || c == '_'))
        .map(|s| selector_item(s, owner, r.snippets))
        .collect()
}

/// The selectors instances of `class` answer: those the document defines for it, then the catalog's.
fn instance_selectors(r: &Request, class: &str) -> Vec<String> {
    let own = r
        .outline
        .methods()
        .filter(|m| m.class == class && !m.class_side)
        .map(|m| m.selector.clone());
    let superclass = r
        .outline
        .classes
        .iter()
        .find(|c| c.name == class)
        .map(|c| c.superclass.as_str());
    let inherited = match superclass {
        Some(s) => r.catalog.instance_selectors(s),
        None => r.catalog.instance_selectors(class),
    };
    own.chain(inherited).collect()
}

fn selector_item(selector: String, owner: &str, snippets: bool) -> Completion {
    let keywords: Vec<&str> = selector.split_inclusive(':').collect();
    let (insert, snippet) = match (selector.ends_with(':'), snippets) {
        (true, true) => (
            keywords
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{k} ${{{}:arg}}", i + 1))
                .collect::<Vec<_>>()
                .join(" "),
            true,
        ),
        (true, false) => (keywords[0].to_owned(), false),
        (false, _) => (selector.clone(), false),
    };
    Completion {
        kind: match selector.ends_with(':') {
            true => Kind::Keyword,
            false => Kind::Method,
        },
        label: selector,
        detail: owner.to_owned(),
        insert,
        snippet,
    }
}

/// What may start an expression here: locals, bindings, classes, then the pseudo-variables.
fn names(r: &Request, at: usize) -> Vec<Completion> {
    let variable = |name: &str, detail: &str| Completion {
        label: name.to_owned(),
        kind: Kind::Variable,
        detail: detail.to_owned(),
        insert: name.to_owned(),
        snippet: false,
    };
    let mut out: Vec<Completion> = locals(r, at).iter().map(|n| variable(n, "local")).collect();
    out.extend(r.bindings.iter().map(|b| variable(b, "binding")));
    let mut classes: Vec<&str> = r
        .outline
        .classes
        .iter()
        .map(|c| c.name.as_str())
        .chain(r.catalog.classes().map(|c| c.name.as_str()))
        .collect();
    classes.sort_unstable();
    out.extend(classes.into_iter().map(|c| Completion {
        label: c.to_owned(),
        kind: Kind::Class,
        detail: "class".into(),
        insert: c.to_owned(),
        snippet: false,
    }));
    out.extend(PSEUDO.iter().map(|p| variable(p, "")));
    out
}

/// The names assigned or bound before `at` in its method (or, outside methods, in the document).
fn locals(r: &Request, at: usize) -> Vec<String> {
    let method = r.outline.method_at(at);
    let from = method.map_or(0, |m| m.span.start);
    let mut names: Vec<String> = method.map(|m| m.params.clone()).unwrap_or_default();
    let toks = &r.tokens[r.tokens.partition_point(|t| t.span.start < from)..];
    for (i, t) in toks.iter().enumerate().take_while(|(_, t)| t.span.end < at) {
        let name = match (&t.tok, toks.get(i + 1).map(|n| &n.tok)) {
            (Tok::Ident(n), Some(Tok::Assign)) => n,
            (Tok::BlockParam(n), _) => n,
            _ => continue,
        };
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::super::outline::outline;
    use super::super::{ClassInfo, Origin};
    use super::*;
    use crate::ide::find::tokens;

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        for (name, sup, sels, class_sels) in [
            ("Object", None, vec!["printString", "isNil"], vec!["new"]),
            (
                "Actor",
                Some("Object"),
                vec!["stop"],
                vec!["spawn", "spawnWith:"],
            ),
            ("String", Some("Object"), vec!["split:", "size"], vec![]),
            ("Integer", Some("Object"), vec!["isPrime", "to:do:"], vec![]),
        ] {
            c.insert(ClassInfo {
                name: name.into(),
                superclass: sup.map(Into::into),
                selectors: sels.into_iter().map(Into::into).collect(),
                class_selectors: class_sels.into_iter().map(Into::into).collect(),
                help: String::new(),
                origin: Origin::Builtin,
            });
        }
        c
    }

    fn labels(src: &str, snippets: bool) -> Vec<String> {
        let o = outline(src);
        let toks = tokens(src);
        let cat = catalog();
        let bindings = ["counter".to_owned()];
        let r = Request {
            src,
            offset: src.len(),
            tokens: &toks,
            outline: &o,
            catalog: &cat,
            bindings: &bindings,
            snippets,
        };
        complete(&r).1.into_iter().map(|c| c.label).collect()
    }

    #[test]
    fn a_class_receiver_offers_its_class_side() {
        assert_eq!(labels("Actor sp", false), ["spawn", "spawnWith:"]);
    }

    #[test]
    fn literals_and_assigned_variables_offer_their_class_selectors() {
        assert_eq!(labels("\"abc\" sp", false), ["split:"]);
        assert_eq!(labels("n := 7\nn is", false), ["isPrime", "isNil"]);
    }

    #[test]
    fn self_offers_the_class_being_written_and_what_it_inherits() {
        let src = "Actor subclass: C\n  ping => 1\n  pong => self p";
        assert_eq!(labels(src, false), ["ping", "pong", "printString"]);
    }

    #[test]
    fn where_an_expression_starts_names_in_scope_come_first() {
        let src = "Object subclass: C\n  m: count =>\n    total := 0\n    co";
        assert_eq!(labels(src, false), ["count", "counter"]);
    }

    #[test]
    fn keyword_selectors_become_snippets_for_editors() {
        let o = outline("");
        let cat = catalog();
        let r = Request {
            src: "3 to",
            offset: 4,
            tokens: &tokens("3 to"),
            outline: &o,
            catalog: &cat,
            bindings: &[],
            snippets: true,
        };
        let (start, items) = complete(&r);
        assert_eq!(start, 2);
        assert_eq!(items[0].insert, "to: ${1:arg} do: ${2:arg}");
    }
}
