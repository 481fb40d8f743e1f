//! The compiler's entry points: one function for each thing its users ask it to compile — a REPL line, a
//! class, the extension methods of a class, one method edit. The REPL, `load`, `build.rs`, the tests and
//! the benchmarks all come through here rather than assembling the passes themselves.

use eetf::Term;

use crate::ast::{ClassDef, Expr, MethodDef};
use crate::diagnostic::Diagnostic;
use crate::lower::{Context, Lowerer, worth_compiling};
use crate::module;

/// What a REPL line compiles to.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplCode {
    /// Abstract expressions for `erl_eval` (nothing to compile on the node).
    Exprs(Term),
    /// The forms of a module whose `run/0` evaluates the line: a line with an inlined loop runs at the
    /// speed of compiled code.
    Module(Term),
}

impl ReplCode {
    /// The term `beamtalk_repl_eval` takes: the expressions, or `{module, Forms}`.
    pub fn into_term(self) -> Term {
        match self {
            ReplCode::Exprs(t) => t,
            ReplCode::Module(forms) => {
                beamtalk_term::tuple(vec![beamtalk_term::atom("module"), forms])
            }
        }
    }
}

/// A REPL line's statements (`src` is the text their spans point into).
pub fn repl_line(src: &str, stmts: &[Expr]) -> Result<ReplCode, Diagnostic> {
    let mut lw = Lowerer::new(src, Context::Repl);
    Ok(match worth_compiling(stmts) {
        true => ReplCode::Module(lw.repl_module(stmts)?),
        false => ReplCode::Exprs(lw.repl(stmts)?),
    })
}

/// The forms of the module of `class`.
pub fn class(class: &ClassDef, src: &str) -> Result<Term, Diagnostic> {
    module::class_forms(class, src)
}

/// The forms of the extension module of built-in or user class `class` (`Integer >> double => ...`).
pub fn extension(
    class: &str,
    methods: &[MethodDef],
    class_methods: &[MethodDef],
    src: &str,
) -> Result<Term, Diagnostic> {
    module::extension_forms(class, methods, class_methods, src)
}

/// Checks that one method of `class` compiles (`Counter >> increment => ...` before it is sent).
pub fn check_method(class: &str, method: &MethodDef, src: &str) -> Result<(), Diagnostic> {
    Lowerer::new(
        src,
        Context::Method {
            class: class.to_owned(),
        },
    )
    .method_body(method)
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_statements;

    #[test]
    fn a_line_with_a_loop_is_a_module_and_any_other_expressions() {
        let src = "s := 0. 1 to: 3 do: [:i | s := s + i]. s";
        let stmts = parse_statements(src, 0).expect("parses");
        assert!(matches!(repl_line(src, &stmts), Ok(ReplCode::Module(_))));
        let src = "3 + 4";
        let stmts = parse_statements(src, 0).expect("parses");
        assert!(matches!(repl_line(src, &stmts), Ok(ReplCode::Exprs(_))));
    }
}
