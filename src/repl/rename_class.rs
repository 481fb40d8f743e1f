//! `Counter renameTo: #Accumulator` (ADR 0114), the compiling half: the node names the classes whose
//! source names the class (the class itself, its direct subclasses, the classes whose methods name it),
//! and this rewrites the name in each one's kept source, compiles them all, and installs them only when
//! every one compiled — the renamed class first, so that its subclasses find their superclass. The node
//! then retires the old name and logs each class rewritten (`beamtalk_class_rename`); a flush writes the
//! same rewrite into the files ([`rename_in`]).
//!
//! Only code is rewritten: a class name inside a string, a symbol or a comment is text, and is kept.

use super::rename::class_def;
use super::{Outcome, Session};
use crate::lang::ast::Span;
use crate::lang::compile;
use crate::lang::ide::find::tokens;
use crate::lang::lexer::Tok;

/// Where a compiled class is said to come from: rewritten kept source, whatever file it was read from.
const ORIGIN: &str = "<repl>";

impl Session {
    /// Rewrites `old` as `new` in the kept source of each of `classes` (the renamed class first), and
    /// installs them if all compile; the names of the classes rewritten, the renamed one by its new name.
    pub async fn rename_class(
        &self,
        old: &str,
        new: &str,
        classes: &[String],
    ) -> Result<Vec<String>, String> {
        let mut rewritten = Vec::new();
        for class in classes {
            let source = self.class_source(class).await.map_err(|e| e.to_string())?;
            let Some(source) = source else {
                if class == old {
                    return Err(format!(
                        "{old} has no source here to rewrite; hint: load it from its file first"
                    ));
                }
                continue;
            };
            let patched = rename_in(&source, None, old, new);
            if patched != source {
                let def = class_def(&patched).map_err(|e| format!("{class}: {e}"))?;
                rewritten.push((def, patched));
            }
        }
        let mut compiled = Vec::with_capacity(rewritten.len());
        for (def, src) in &rewritten {
            let forms =
                compile::class(def, src).map_err(|d| format!("{}: {}", def.name, d.message))?;
            let reply = self
                .compile_class(forms, ORIGIN)
                .await
                .map_err(|e| e.to_string())?;
            if !super::compiled(&reply) {
                let outcome = super::load_outcome(&def.name, &reply);
                return Err(outcome_text(outcome, &def.name));
            }
            compiled.push(reply);
        }
        let batch = [new.to_owned()];
        for ((def, src), reply) in rewritten.iter().zip(compiled) {
            let outcome = self
                .install_class(def, reply, (src, ORIGIN), &batch)
                .await
                .map_err(|e| e.to_string())?;
            if let Outcome::Error(_) = outcome {
                return Err(outcome_text(outcome, &def.name));
            }
        }
        Ok(rewritten.into_iter().map(|(def, _)| def.name).collect())
    }
}

/// `src` with every use of the class name `old` in code (within `within`, or anywhere) written `new`.
pub fn rename_in(src: &str, within: Option<Span>, old: &str, new: &str) -> String {
    let (from, to) = within.map_or((0, src.len()), |s| (s.start, s.end));
    let mut out = src.to_owned();
    let uses: Vec<Span> = tokens(src)
        .into_iter()
        .filter(|t| t.span.start >= from && t.span.end <= to)
        .filter(|t| matches!(&t.tok, Tok::Ident(name) if name == old))
        .map(|t| t.span)
        .collect();
    for span in uses.into_iter().rev() {
        out.replace_range(span.start..span.end, new);
    }
    out
}

fn outcome_text(outcome: Outcome, class: &str) -> String {
    match outcome {
        Outcome::Error(text) => text,
        Outcome::Value(_) => format!("{class} could not be rewritten"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_code_that_names_the_class_is_rewritten() {
        let src = "Counter subclass: Sub\n  /// Counter's kin.\n  make => Counter new: \"Counter\"\n  \
                   sym => #Counter\n  typed: c :: Counter => CounterX new\n";
        let out = rename_in(src, None, "Counter", "Accumulator");
        assert_eq!(
            out,
            "Accumulator subclass: Sub\n  /// Counter's kin.\n  make => Accumulator new: \"Counter\"\n  \
             sym => #Counter\n  typed: c :: Accumulator => CounterX new\n"
        );
    }

    #[test]
    fn a_rename_within_a_span_leaves_the_rest() {
        let src = "Object subclass: A\n  a => Counter\n\nObject subclass: B\n  b => Counter\n";
        let b = src.find("Object subclass: B").expect("B");
        let out = rename_in(
            src,
            Some(Span {
                start: b,
                end: src.len(),
            }),
            "Counter",
            "Tally",
        );
        assert_eq!(
            out,
            "Object subclass: A\n  a => Counter\n\nObject subclass: B\n  b => Tally\n"
        );
    }
}
