//! Warnings: code that loads and runs, but not as its writer probably meant. Each rule is cheap and
//! reads only the syntax tree; none changes what the code does.

use crate::ast::{ClassDef, ExprKind, Literal, MethodDef, SlotDef, walk};
use crate::diagnostic::Diagnostic;

/// The warnings for one class.
pub fn class(class: &ClassDef) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for slot in class.slots.iter().chain(&class.class_slots) {
        out.extend(default_of_another_type(slot));
    }
    if let Some(init) = class.methods.iter().find(|m| m.selector == "initialize") {
        out.extend(redundant_super_initialize(init));
    }
    out
}

/// `super initialize` inside `initialize`: every class's `initialize` already runs by itself, deepest
/// ancestor first (ADR 0078), so the send does nothing.
fn redundant_super_initialize(init: &MethodDef) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for stmt in &init.body {
        walk(stmt, &mut |e| {
            if let ExprKind::SuperSend { selector, .. } = &e.kind
                && selector == "initialize"
            {
                out.push(
                    Diagnostic::warning(
                        e.span,
                        "`super initialize` is redundant: the superclass's `initialize` has already run",
                        "does nothing",
                    )
                    .with_hint(
                        "remove it; every class's `initialize` runs by itself, deepest ancestor first",
                    ),
                );
            }
        });
    }
    out
}

/// `state: count :: Integer = "none"`: a literal default that is not of the declared type.
fn default_of_another_type(slot: &SlotDef) -> Option<Diagnostic> {
    let ty = slot.ty.as_deref()?;
    let default = slot.default.as_ref()?;
    let ExprKind::Literal(lit) = &default.kind else {
        return None;
    };
    let actual = literal_class(lit)?;
    let fits = match ty {
        "Integer" | "Float" | "String" | "Symbol" | "Boolean" => actual == ty,
        "Number" => matches!(actual, "Integer" | "Float"),
        // Another class, a union or a generic type: nothing cheap to check.
        _ => true,
    };
    (!fits).then(|| {
        Diagnostic::warning(
            default.span,
            format!(
                "the default of `{}` is {} {actual}, but `{}` is declared `:: {ty}`",
                slot.name,
                article(actual),
                slot.name
            ),
            format!("not {} {ty}", article(ty)),
        )
        .with_hint("types never change what code does; fix the default or the annotation")
    })
}

/// The class of a literal, for the types worth checking (`nil` fits every type: it means "not yet set").
fn literal_class(lit: &Literal) -> Option<&'static str> {
    Some(match lit {
        Literal::Integer(_) | Literal::Char(_) => "Integer",
        Literal::Float(_) => "Float",
        Literal::String(_) => "String",
        Literal::Symbol(_) => "Symbol",
        Literal::True | Literal::False => "Boolean",
        Literal::Nil => return None,
    })
}

fn article(word: &str) -> &'static str {
    match word.starts_with(['A', 'E', 'I', 'O', 'U']) {
        true => "an",
        false => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Item;
    use crate::parser::parse;

    fn warnings(src: &str) -> Vec<String> {
        match parse(src).expect("parses").remove(0) {
            Item::Class(c) => class(&c)
                .into_iter()
                .map(|d| d.render(src, "t.bt"))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn super_initialize_in_initialize_is_redundant() {
        let w =
            warnings("Counter subclass: Child\n  initialize =>\n    super initialize\n    self");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("warning: `super initialize` is redundant"),
            "{}",
            w[0]
        );
        assert!(w[0].contains("t.bt:3:5"), "{}", w[0]);
        // Elsewhere `super initialize` is a send like any other.
        assert!(warnings("Counter subclass: C\n  reset => super initialize").is_empty());
    }

    #[test]
    fn a_literal_default_of_another_type_is_a_warning() {
        let w = warnings(
            "Actor subclass: A\n  state: n :: Integer = \"none\"\n  state: x :: Number = 1.5\n  state: s :: String = nil",
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("the default of `n` is a String, but `n` is declared `:: Integer`"),
            "{}",
            w[0]
        );
        assert!(w[0].contains("not an Integer"), "{}", w[0]);
        assert!(warnings("Actor subclass: A\n  state: p :: Point = 3").is_empty());
    }
}
