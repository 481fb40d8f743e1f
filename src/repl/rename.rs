//! `Counter renameSelector: #increment to: #bump` (ADR 0114): the method takes its new name, and the sends
//! that can only mean it — `self` and `super` sends in the class and its subclasses, when none of them
//! overrides the method (the node says so) — are rewritten with it. Every other sender is left for a
//! person to review (`SystemNavigation default sendersOf:` lists them): a selector names no class, so
//! rewriting them could change code that meant another class's method.
//!
//! Each changed method is logged as any edit is (the renamed one as removed and added), so a flush writes
//! the files and each step can be reverted.

use super::methods::{EditError, member_text};
use super::{EvalError, Outcome, Session};
use crate::lang::ast::{ClassDef, Expr, ExprKind, Item, MethodDef, Span, walk};
use crate::lang::ide::find::{parts, tokens};
use crate::lang::parser;

/// What the node asks for: the class and side, the old and new selectors, the classes whose `self`/`super`
/// sends may be rewritten (the class itself first, then its subclasses), and whether they may (none of the
/// subclasses overrides the method).
pub struct Rename<'a> {
    pub class: &'a str,
    pub class_side: bool,
    pub old: &'a str,
    pub new: &'a str,
    pub family: Vec<String>,
    pub rewrite_senders: bool,
}

impl Session {
    pub async fn rename_selector(&self, r: &Rename<'_>) -> Result<(), EditError> {
        if shape(r.old) != shape(r.new) {
            return Err(EditError::Refused(format!(
                "#{} and #{} take different arguments; hint: a rename keeps the method's arguments",
                r.old, r.new
            )));
        }
        let refused = |e: EvalError| EditError::Refused(e.to_string());
        let source = self.class_source(r.class).await.map_err(refused)?;
        let Some(source) = source else {
            return Err(EditError::Refused(format!(
                "{} has no source here to rename in; hint: define the method anew with `{} >> ...`",
                r.class, r.class
            )));
        };
        let def = class_def(&source).map_err(EditError::Refused)?;
        let methods = side_methods(&def, r.class_side);
        let Some(method) = methods.iter().find(|m| m.selector == r.old) else {
            return Err(EditError::NotFound);
        };
        let method_span = method.span;
        if methods.iter().any(|m| m.selector == r.new) {
            let owner = owner(r.class, r.class_side);
            return Err(EditError::Refused(format!(
                "{owner} already defines #{}; hint: remove it first, or choose another name",
                r.new
            )));
        }
        let mut edits = vec![Edit {
            class: r.class.to_owned(),
            source: source.clone(),
            def,
        }];
        for other in r.family.iter().skip(1).filter(|_| r.rewrite_senders) {
            if let Some(src) = self.class_source(other).await.map_err(refused)? {
                let def = class_def(&src).map_err(EditError::Refused)?;
                edits.push(Edit {
                    class: other.clone(),
                    source: src,
                    def,
                });
            }
        }
        for (i, edit) in edits.iter().enumerate() {
            let definition = (i == 0).then_some(method_span);
            self.apply(edit, r, definition).await?;
        }
        Ok(())
    }

    /// Rewrites one class of the family and loads it; logs each method it changed.
    async fn apply(
        &self,
        edit: &Edit,
        r: &Rename<'_>,
        definition: Option<Span>,
    ) -> Result<(), EditError> {
        let refused = |e: EvalError| EditError::Refused(e.to_string());
        let (changes, rewritten) = rewrites(edit, r, definition);
        if changes.is_empty() {
            return Ok(());
        }
        let patched = apply_replacements(&edit.source, changes);
        let def = class_def(&patched).map_err(EditError::Refused)?;
        match self
            .load_class(&def, &patched, "<repl>", &[])
            .await
            .map_err(refused)?
        {
            Outcome::Value(_) => {}
            Outcome::Error(text) => return Err(EditError::Refused(text)),
        }
        for m in rewritten {
            let class = edit.class.as_str();
            if m.renamed {
                self.record_change(
                    "remove",
                    (class, m.side, r.old),
                    (None, Some(&m.before)),
                    true,
                )
                .await
                .map_err(refused)?;
                self.record_change(
                    "compile",
                    (class, m.side, r.new),
                    (Some(&m.after), None),
                    true,
                )
                .await
                .map_err(refused)?;
            } else {
                let key = (class, m.side, m.selector.as_str());
                self.record_change("compile", key, (Some(&m.after), Some(&m.before)), true)
                    .await
                    .map_err(refused)?;
            }
        }
        Ok(())
    }
}

struct Edit {
    class: String,
    source: String,
    def: ClassDef,
}

/// A method the rename changed: its side and selector, its text before and after, and whether it is the
/// renamed method itself.
struct Rewritten {
    side: bool,
    selector: String,
    before: String,
    after: String,
    renamed: bool,
}

/// The replacements a rename makes in one class's source (`definition`: the span of the renamed method,
/// in the class that defines it), and the methods they change.
fn rewrites(
    edit: &Edit,
    r: &Rename<'_>,
    definition: Option<Span>,
) -> (Vec<(Span, String)>, Vec<Rewritten>) {
    let toks = tokens(&edit.source);
    let mut changes = Vec::new();
    let mut rewritten = Vec::new();
    let sides = [(false, &edit.def.methods), (true, &edit.def.class_methods)];
    for (side, methods) in sides {
        for m in methods.iter() {
            let renamed = definition == Some(m.span) && side == r.class_side;
            let mut spans = match r.rewrite_senders && side == r.class_side {
                true => self_sends(m, &toks, r.old),
                false => Vec::new(),
            };
            if renamed {
                spans.extend(definition_parts(m, &toks));
            }
            if spans.is_empty() {
                continue;
            }
            let patched = replace_parts(&edit.source, &spans, r.old, r.new);
            changes.extend(replacements(&spans, r.old, r.new));
            rewritten.push(Rewritten {
                side,
                selector: m.selector.clone(),
                before: member_text(&edit.source, m),
                after: member_text_at(&patched, m, &edit.source),
                renamed,
            });
        }
    }
    (changes, rewritten)
}

pub(super) fn class_def(source: &str) -> Result<ClassDef, String> {
    match parser::parse(source)
        .map_err(|e| e.message)?
        .into_iter()
        .next()
    {
        Some(Item::Class(def)) => Ok(def),
        _ => Err("the kept source is not a class".to_owned()),
    }
}

fn side_methods(def: &ClassDef, class_side: bool) -> &[MethodDef] {
    match class_side {
        false => &def.methods,
        true => &def.class_methods,
    }
}

fn owner(class: &str, class_side: bool) -> String {
    match class_side {
        true => format!("{class} class"),
        false => class.to_owned(),
    }
}

/// Unary, binary, or keyword with how many parts: a rename keeps it.
fn shape(selector: &str) -> (bool, usize) {
    let binary = !selector.starts_with(|c: char| c.is_alphabetic() || c == '_');
    (binary, selector.matches(':').count())
}

/// The parts of `old` in the `self` and `super` sends of a method's body.
fn self_sends(m: &MethodDef, toks: &[crate::lang::lexer::Token], old: &str) -> Vec<Span> {
    let mut found = Vec::new();
    let mut visit = |e: &Expr| match &e.kind {
        ExprKind::Send {
            receiver, selector, ..
        } if selector == old && matches!(&receiver.kind, ExprKind::Var(n) if n == "self") => {
            found.extend(parts(toks, receiver.span.end, e.span.end, old));
        }
        ExprKind::SuperSend { selector, .. } if selector == old => {
            found.extend(parts(toks, e.span.start + 1, e.span.end, old));
        }
        _ => {}
    };
    for e in &m.body {
        walk(e, &mut visit);
    }
    found
}

/// The parts of a method's own selector in its header.
fn definition_parts(m: &MethodDef, toks: &[crate::lang::lexer::Token]) -> Vec<Span> {
    let head_end = m.body.first().map_or(m.span.end, |b| b.span.start);
    parts(toks, m.span.start, head_end, &m.selector)
}

/// The text that replaces each part: `old`'s parts and `new`'s, position by position.
fn replacements(spans: &[Span], old: &str, new: &str) -> Vec<(Span, String)> {
    let olds = split_parts(old);
    let news = split_parts(new);
    let mut out = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        let k = i % olds.len();
        out.push((*span, news.get(k).copied().unwrap_or(new).to_owned()));
    }
    out
}

fn split_parts(selector: &str) -> Vec<&str> {
    match selector.ends_with(':') {
        true => selector.split_inclusive(':').collect(),
        false => vec![selector],
    }
}

/// `source` with `spans` (parts of `old`) replaced by `new`'s parts.
fn replace_parts(source: &str, spans: &[Span], old: &str, new: &str) -> String {
    apply_replacements(source, replacements(spans, old, new))
}

fn apply_replacements(source: &str, mut changes: Vec<(Span, String)>) -> String {
    changes.sort_by_key(|(s, _)| std::cmp::Reverse(s.start));
    changes.dedup_by_key(|(s, _)| s.start);
    let mut out = source.to_owned();
    for (span, text) in changes {
        if source.is_char_boundary(span.start) && span.end <= source.len() {
            out.replace_range(span.start..span.end, &text);
        }
    }
    out
}

/// The text of method `m` (parsed from `original`) as it reads in `patched`: the member at the same
/// place, found again by parsing.
fn member_text_at(patched: &str, m: &MethodDef, original: &str) -> String {
    let line = original[..m.span.start].matches('\n').count();
    let Ok(def) = class_def(patched) else {
        return member_text(original, m);
    };
    def.methods
        .iter()
        .chain(def.class_methods.iter())
        .find(|n| patched[..n.span.start].matches('\n').count() == line)
        .map_or_else(|| member_text(original, m), |n| member_text(patched, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_parts_are_replaced_position_by_position() {
        let src = "Object subclass: A\n  at: k put: v => self at: k put: v + 1\n";
        let def = class_def(src).expect("parses");
        let m = &def.methods[0];
        let toks = tokens(src);
        let mut spans = definition_parts(m, &toks);
        spans.extend(self_sends(m, &toks, "at:put:"));
        let out = replace_parts(src, &spans, "at:put:", "store:into:");
        assert_eq!(
            out,
            "Object subclass: A\n  store: k into: v => self store: k into: v + 1\n"
        );
    }

    #[test]
    fn only_self_and_super_sends_are_found() {
        let src =
            "Object subclass: A\n  go: x => self tick. x tick. super tick. [self tick] value\n";
        let def = class_def(src).expect("parses");
        let spans = self_sends(&def.methods[0], &tokens(src), "tick");
        assert_eq!(spans.len(), 3, "self, super and self in a block; not x");
    }

    #[test]
    fn a_rename_keeps_the_shape() {
        assert_eq!(shape("at:put:"), shape("store:into:"));
        assert_ne!(shape("at:put:"), shape("store:"));
        assert_ne!(shape("+"), shape("plus"));
    }
}
