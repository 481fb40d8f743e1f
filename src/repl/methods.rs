//! Methods defined one at a time (`Class >> selector => body` at the REPL or in a loaded file): added to
//! a loaded class by recompiling its kept source, or, for a built-in class, to the class's extension
//! module (see `beamtalk_class:extension/1`).

use eetf::{Binary, Term};

use super::{EvalError, Outcome, Session, load_outcome};
use crate::lang::ast::{Item, MethodDef};
use crate::lang::compile;
use crate::lang::diagnostic::Diagnostic;
use crate::lang::parser;
use crate::term::as_text;
use crate::workspace::node_api;

impl Session {
    /// `Class >> selector => body`: adds or replaces one method of a loaded class and reloads it.
    pub async fn define_method(
        &self,
        class: &str,
        class_side: bool,
        method: &MethodDef,
        input: &str,
    ) -> Result<Outcome, EvalError> {
        let source = self
            .call(node_api::CLASS_SOURCE, vec![crate::term::atom(class)])
            .await?;
        let Some(source) = as_text(&source).filter(|_| matches!(source, Term::Binary(_))) else {
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
        let kept = self
            .call(node_api::EXTENSION_SOURCE, vec![crate::term::atom(class)])
            .await?;
        let kept = as_text(&kept).unwrap_or_default();
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
        let mut methods = Vec::new();
        let mut class_methods = Vec::new();
        for item in parser::parse(&src).map_err(EvalError::Syntax)? {
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
            compile::extension(class, &methods, &class_methods, &src).map_err(EvalError::Syntax)?;
        let file = Term::from(Binary::from(b"<extension>".to_vec()));
        let reply = self
            .call(node_api::LOAD_EXTENSION, vec![forms, file])
            .await?;
        Ok(match load_outcome(class, &reply) {
            Outcome::Value(_) => {
                Outcome::Value(compiled_method(class, class_side, &method.selector))
            }
            err => err,
        })
    }
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
    let mut out = String::new();
    for item in parser::parse(kept)? {
        if let Item::Method {
            class: c,
            class_side: s,
            method: m,
        } = item
            && c == class
            && !(s == class_side && m.selector == method.selector)
        {
            let side = if s { " class" } else { "" };
            out.push_str(&format!(
                "{class}{side} >> {}

",
                member_text(kept, &m)
            ));
        }
    }
    out.push_str(&format!(
        "{class}{side} >> {}
",
        member_text(input, method)
    ));
    Ok(out)
}

/// A method's text from `src`, its continuation lines indented under the header (keeping their
/// indentation relative to each other, which the layout rule reads).
fn member_text(src: &str, method: &MethodDef) -> String {
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
