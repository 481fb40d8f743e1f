//! Methods defined one at a time (`Class >> selector => body` at the REPL or in a loaded file): added to
//! a loaded class by recompiling its kept source, or, for a built-in class, to the class's extension
//! module (see `beamtalk_class:extension/1`).

use eetf::Term;

use super::{EvalError, Outcome, Session, load_outcome};
use crate::lang::ast::{Item, MethodDef};
use crate::lang::compile;
use crate::lang::diagnostic::Diagnostic;
use crate::lang::parser;
use crate::term::as_text;
use crate::workspace::node_api;

/// Why a class edit asked for by the node (`compile:source:`, `removeSelector:`) was not made.
#[derive(Debug)]
pub enum EditError {
    /// The class defines no such method itself (`removeSelector:`).
    NotFound,
    /// The message that says why.
    Refused(String),
}

impl Session {
    /// `Counter compile: #sel source: "sel => body"` (`Counter class compile: ...` on the class side):
    /// the method installed as `Counter >> sel => body` would install it. A source without a method
    /// header is taken as the body of a unary method.
    pub async fn compile_source(
        &self,
        (class, class_side): (&str, bool),
        selector: &str,
        source: &str,
        durable: bool,
    ) -> Result<(), EditError> {
        let owner = match class_side {
            true => format!("{class} class"),
            false => class.to_owned(),
        };
        let (input, method) = method_item(&owner, source)
            .or_else(|e| match is_unary(selector) {
                true => method_item(&owner, &format!("{selector} => {source}")).map_err(|_| e),
                false => Err(e),
            })
            .map_err(EditError::Refused)?;
        if method.selector != selector {
            return Err(EditError::Refused(format!(
                "the source defines #{}, not #{selector}",
                method.selector
            )));
        }
        let refused = |e: EvalError| EditError::Refused(e.to_string());
        let previous = self
            .method_text(class, class_side, selector)
            .await
            .map_err(refused)?;
        match self.define_method(class, class_side, &method, &input).await {
            Ok(Outcome::Value(_)) => {
                let text = member_text(&input, &method);
                let texts = (Some(text.as_str()), previous.as_deref());
                self.record_change("compile", (class, class_side, selector), texts, durable)
                    .await
                    .map_err(refused)
            }
            Ok(Outcome::Error(text)) => Err(EditError::Refused(text)),
            Err(e) => Err(EditError::Refused(e.to_string())),
        }
    }

    /// `Counter removeSelector: #sel` (`Counter class removeSelector: #sel` with `class_side`): the
    /// method `class` itself defines on that side (in its source, or among the extension methods of a
    /// built-in class) removed, and the class reloaded without it.
    pub async fn remove_method(
        &self,
        class: &str,
        class_side: bool,
        selector: &str,
    ) -> Result<(), EditError> {
        let refused = |e: EvalError| EditError::Refused(e.to_string());
        let previous = self
            .method_text(class, class_side, selector)
            .await
            .map_err(refused)?;
        let outcome = match self.class_source(class).await.map_err(refused)? {
            Some(source) => {
                let patched =
                    without_method(&source, class_side, selector).ok_or(EditError::NotFound)?;
                let items = parser::parse(&patched).map_err(|e| EditError::Refused(e.message))?;
                let Some(Item::Class(def)) = items.into_iter().next() else {
                    return Err(EditError::Refused(format!(
                        "the source of {class} is not a class"
                    )));
                };
                self.load_class(&def, &patched, "<repl>", &[])
                    .await
                    .map_err(refused)?
            }
            None => self.remove_extension(class, class_side, selector).await?,
        };
        match outcome {
            Outcome::Value(_) => self
                .record_change(
                    "remove",
                    (class, class_side, selector),
                    (None, previous.as_deref()),
                    true,
                )
                .await
                .map_err(refused),
            Outcome::Error(text) => Err(EditError::Refused(text)),
        }
    }

    /// Removes an extension method of a built-in class: its extension module recompiled without it.
    async fn remove_extension(
        &self,
        class: &str,
        class_side: bool,
        selector: &str,
    ) -> Result<Outcome, EditError> {
        let refused = |e: EvalError| EditError::Refused(e.to_string());
        let kept = self.kept_extensions(class).await.map_err(refused)?;
        let (src, found) = extensions_except(&kept, class, class_side, selector)
            .map_err(|e| EditError::Refused(e.message))?;
        if !found {
            return Err(EditError::NotFound);
        }
        self.install_extensions(class, &src).await.map_err(refused)
    }

    /// The source of the extension methods the workspace keeps for `class`.
    async fn kept_extensions(&self, class: &str) -> Result<String, EvalError> {
        let kept = self
            .call(node_api::EXTENSION_SOURCE, vec![crate::term::atom(class)])
            .await?;
        Ok(as_text(&kept).unwrap_or_default())
    }

    /// Compiles `src` (`Class >> member` items, one per method) into the extension module of `class`
    /// and loads it.
    async fn install_extensions(&self, class: &str, src: &str) -> Result<Outcome, EvalError> {
        let mut methods = Vec::new();
        let mut class_methods = Vec::new();
        for item in parser::parse(src).map_err(EvalError::Syntax)? {
            if let Item::Method {
                class_side, method, ..
            } = item
            {
                match class_side {
                    true => class_methods.push(method),
                    false => methods.push(method),
                }
            }
        }
        let forms =
            compile::extension(class, &methods, &class_methods, src).map_err(EvalError::Syntax)?;
        let file = crate::term::binary("<extension>");
        let reply = self
            .call(node_api::LOAD_EXTENSION, vec![forms, file])
            .await?;
        Ok(load_outcome(class, &reply))
    }

    /// The source the workspace keeps for a class loaded from source, if it has one (a built-in class
    /// has none: its edits are extension methods).
    pub(super) async fn class_source(&self, class: &str) -> Result<Option<String>, EvalError> {
        let source = self
            .call(node_api::CLASS_SOURCE, vec![crate::term::atom(class)])
            .await?;
        Ok(as_text(&source).filter(|_| matches!(source, Term::Binary(_))))
    }

    /// `Class >> selector => body`: adds or replaces one method of a loaded class and reloads it.
    pub async fn define_method(
        &self,
        class: &str,
        class_side: bool,
        method: &MethodDef,
        input: &str,
    ) -> Result<Outcome, EvalError> {
        let Some(source) = self.class_source(class).await? else {
            return self
                .define_extension(class, class_side, method, input)
                .await;
        };
        let patched =
            patch_method(&source, class_side, method, input).map_err(EvalError::Syntax)?;
        let items = parser::parse(&patched).map_err(EvalError::Syntax)?;
        let Some(Item::Class(def)) = items.into_iter().next() else {
            return Ok(Outcome::Error(format!(
                "ERROR: unknown_class: the source of {class} is not a class"
            )));
        };
        Ok(
            match self.load_class(&def, &patched, "<repl>", &[]).await? {
                Outcome::Value(_) => {
                    Outcome::Value(compiled_method(class, class_side, &method.selector))
                }
                err => err,
            },
        )
    }

    /// `Integer >> double => self * 2`: adds or replaces an extension method of a built-in class. The
    /// class's extensions are one module, recompiled from their kept source with this method in it.
    async fn define_extension(
        &self,
        class: &str,
        class_side: bool,
        method: &MethodDef,
        input: &str,
    ) -> Result<Outcome, EvalError> {
        let exists = self
            .call(node_api::CLASS_EXISTS, vec![crate::term::atom(class)])
            .await?;
        if exists != crate::term::atom("true") {
            return Ok(Outcome::Error(format!(
                "ERROR: unknown_class: {class} is not a loaded class"
            )));
        }
        let kept = self.kept_extensions(class).await?;
        let src = match patch_extension(&kept, class, class_side, method, input) {
            Ok(src) => src,
            Err(d) => {
                return Ok(Outcome::Error(format!(
                    "ERROR: compile_error: the extension methods kept for {class} no longer parse ({}); \
                     nothing was changed",
                    d.message
                )));
            }
        };
        Ok(match self.install_extensions(class, &src).await? {
            Outcome::Value(_) => {
                Outcome::Value(compiled_method(class, class_side, &method.selector))
            }
            err => err,
        })
    }
}

/// `Class >> source` parsed: the text and its method.
fn method_item(class: &str, source: &str) -> Result<(String, MethodDef), String> {
    let input = format!("{class} >> {source}");
    match parser::parse(&input) {
        Ok(items) => match items.into_iter().next() {
            Some(Item::Method { method, .. }) => Ok((input, method)),
            _ => Err("the source is not a method".to_owned()),
        },
        Err(e) => Err(format!("the source does not parse: {}", e.message)),
    }
}

fn is_unary(selector: &str) -> bool {
    selector.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// The class source without its method `selector` of the given side (the method's lines and the `///`
/// lines right above it), or `None` when the class defines no such method.
pub(super) fn without_method(source: &str, class_side: bool, selector: &str) -> Option<String> {
    let items = parser::parse(source).ok()?;
    let Some(Item::Class(def)) = items.first() else {
        return None;
    };
    let methods = match class_side {
        false => &def.methods,
        true => &def.class_methods,
    };
    let m = methods.iter().find(|m| m.selector == selector)?;
    Some(without_lines(source, m.span.start, m.span.end))
}

/// `source` without the lines that bytes `start..end` stand on, nor the `///` doc comment lines above
/// them (a doc comment belongs to the member or class it stands above).
pub(super) fn without_lines(source: &str, start: usize, end: usize) -> String {
    let start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let end = source[end..]
        .find('\n')
        .map_or(source.len(), |i| end + i + 1);
    let mut from = start;
    while from > 0 {
        let prev = source[..from - 1].rfind('\n').map_or(0, |i| i + 1);
        if !source[prev..from].trim_start().starts_with("///") {
            break;
        }
        from = prev;
    }
    let mut out = source.to_owned();
    out.replace_range(from..end, "");
    out
}

/// The class source with `method` (written at the REPL as part of `input`) added, or replacing the method
/// of the same selector.
fn patch_method(
    source: &str,
    class_side: bool,
    method: &MethodDef,
    input: &str,
) -> Result<String, Diagnostic> {
    let member = member_text(input, method);
    let items = parser::parse(source)?;
    if let Some(Item::Class(def)) = items.first() {
        let existing = if class_side {
            &def.class_methods
        } else {
            &def.methods
        };
        if let Some(old) = existing.iter().find(|m| m.selector == method.selector) {
            let mut out = source.to_owned();
            out.replace_range(old.span.start..old.span.end, &member);
            return Ok(out);
        }
    }
    let prefix = if class_side { "class " } else { "" };
    Ok(format!("{}\n  {prefix}{member}", source.trim_end()))
}

/// The kept extension source of `class` with `method` (written as part of `input`) added, or replacing
/// the extension of the same selector and side: `Class >> member` items, one per method. A kept source
/// that no longer parses is an error: the earlier extensions are never dropped silently.
fn patch_extension(
    kept: &str,
    class: &str,
    class_side: bool,
    method: &MethodDef,
    input: &str,
) -> Result<String, Diagnostic> {
    let side = if class_side { " class" } else { "" };
    let (mut out, _) = extensions_except(kept, class, class_side, &method.selector)?;
    out.push_str(&format!(
        "{class}{side} >> {}\n",
        member_text(input, method)
    ));
    Ok(out)
}

/// The kept extension source of `class` without its method `selector` of the given side, and whether
/// there was one. A kept source that no longer parses is an error.
fn extensions_except(
    kept: &str,
    class: &str,
    class_side: bool,
    selector: &str,
) -> Result<(String, bool), Diagnostic> {
    let mut out = String::new();
    let mut found = false;
    for item in parser::parse(kept)? {
        if let Item::Method {
            class: c,
            class_side: s,
            method: m,
        } = item
            && c == class
        {
            if s == class_side && m.selector == selector {
                found = true;
                continue;
            }
            let side = if s { " class" } else { "" };
            out.push_str(&format!("{class}{side} >> {}\n\n", member_text(kept, &m)));
        }
    }
    Ok((out, found))
}

/// A method's text from `src`, its continuation lines indented under the header (keeping their
/// indentation relative to each other, which the layout rule reads).
pub(super) fn member_text(src: &str, method: &MethodDef) -> String {
    let text = src
        .get(method.span.start..method.span.end)
        .unwrap_or_default();
    let mut lines = text.lines();
    let mut member = lines.next().unwrap_or_default().to_owned();
    let rest: Vec<&str> = lines.collect();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    for line in rest {
        member.push_str("\n    ");
        member.push_str(line.get(indent..).unwrap_or(line.trim_start()));
    }
    member
}

/// What defining a method answers, as the REPL shows it: the CompiledMethod it installed.
fn compiled_method(class: &str, class_side: bool, selector: &str) -> String {
    let side = if class_side { " class" } else { "" };
    format!("a CompiledMethod (#{selector} in {class}{side})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method_of(input: &str) -> MethodDef {
        match parser::parse(input).expect("parses").remove(0) {
            Item::Method { method, .. } => method,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_removed_method_takes_its_lines_and_doc_comment_and_nothing_else() {
        let src = "Object subclass: A\n  // kept\n  a => 1\n  /// About b.\n  /// More.\n  b =>\n    2\n  c => 3\n";
        assert_eq!(
            without_method(src, false, "b").as_deref(),
            Some("Object subclass: A\n  // kept\n  a => 1\n  c => 3\n")
        );
        assert_eq!(
            without_method(src, false, "c").as_deref(),
            Some(
                "Object subclass: A\n  // kept\n  a => 1\n  /// About b.\n  /// More.\n  b =>\n    2\n"
            )
        );
        assert_eq!(without_method(src, false, "z"), None);
    }

    #[test]
    fn an_extension_replaces_its_namesake_and_keeps_the_others() {
        let kept = "Integer >> double => self * 2\n\nInteger >> triple => self * 3\n";
        let input = "Integer >> double => self + self";
        let src =
            patch_extension(kept, "Integer", false, &method_of(input), input).expect("patched");
        assert!(src.contains("triple => self * 3"), "{src}");
        assert!(src.contains("double => self + self"), "{src}");
        assert!(!src.contains("self * 2"), "{src}");
    }

    #[test]
    fn kept_extensions_that_no_longer_parse_are_an_error_not_dropped() {
        let input = "Integer >> double => self + self";
        let e = patch_extension(
            "Integer >> broken => (",
            "Integer",
            false,
            &method_of(input),
            input,
        )
        .expect_err("refused");
        assert!(!e.message.is_empty());
    }
}
