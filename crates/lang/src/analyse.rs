//! Facts about the expressions of one method body (or REPL line), gathered in one pass before lowering.
//!
//! Lowering asks, at each inlined construct, which locals its blocks assign, which names a block reads,
//! whether an operand binds a variable, whether a loop body holds another loop. Answering by walking
//! the subtree each time made compiling nested control flow quadratic in its depth (800 nested
//! conditionals took a second). Here every expression is visited once, bottom-up, and each question is
//! a lookup.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use crate::ast::{AssignTarget, Expr, ExprKind, Piece};
use crate::lower::{is_conditional, number_op};
use crate::resolve::inlined;

type Names = Rc<BTreeSet<String>>;

/// What one expression does, itself and everything inside it included.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The locals it assigns (`x := ...`, the names of a destructuring or of match arms).
    pub assigned: Names,
    /// The names it reads.
    pub read: Names,
    /// Whether it binds a variable (assigns, destructures or matches): operands beside it then need a
    /// fixed order of evaluation.
    pub binds: bool,
    /// How many expressions it is.
    pub size: usize,
    /// Whether it holds a loop that is inlined.
    pub inlined_loop: bool,
    /// The names that are operands of number sends (`n + 1`, `1 < n`).
    pub number_operands: Names,
    /// The selectors it sends to `self` (a method calling itself, or a sibling, with numbers).
    pub self_sends: Names,
}

/// The facts of every expression of the trees it was built from, by node.
///
/// Nodes are identified by address: the trees are borrowed, unchanged, for as long as lowering runs.
/// An expression it was not built from (none today) has its facts gathered on the spot.
#[derive(Debug, Default)]
pub struct Analysis {
    facts: HashMap<*const Expr, Facts>,
}

impl Analysis {
    /// The facts of every expression in `body`.
    pub fn of(body: &[Expr]) -> Self {
        let mut a = Self::default();
        for e in body {
            a.visit(e);
        }
        a
    }

    /// The facts of `e`.
    pub fn get(&self, e: &Expr) -> Facts {
        match self.facts.get(&(e as *const Expr)) {
            Some(f) => f.clone(),
            None => Self::default().visit(e),
        }
    }

    /// The facts of a sequence of statements, taken together.
    pub fn of_body(&self, body: &[Expr]) -> Facts {
        let parts: Vec<Facts> = body.iter().map(|e| self.get(e)).collect();
        combine(&parts)
    }

    fn visit(&mut self, e: &Expr) -> Facts {
        let parts: Vec<Facts> = children(e).into_iter().map(|c| self.visit(c)).collect();
        let mut f = combine(&parts);
        f.size += 1;
        match &e.kind {
            ExprKind::Var(n) => add(&mut f.read, n),
            ExprKind::Assign {
                target: AssignTarget::Var(n),
                ..
            } => {
                add(&mut f.assigned, n);
                f.binds = true;
            }
            ExprKind::Destructure { pattern, .. } => {
                pattern
                    .names()
                    .into_iter()
                    .for_each(|n| add(&mut f.assigned, n));
                f.binds = true;
            }
            ExprKind::Match { arms, .. } => {
                for arm in arms {
                    arm.pattern
                        .names()
                        .into_iter()
                        .for_each(|n| add(&mut f.assigned, n));
                }
                f.binds = true;
            }
            ExprKind::Send {
                receiver,
                selector,
                args,
                cast: false,
            } => {
                f.inlined_loop |=
                    !is_conditional(selector) && inlined(selector, receiver, args).is_some();
                if matches!(&receiver.kind, ExprKind::Var(n) if n == "self") {
                    add(&mut f.self_sends, selector);
                }
                if number_op(selector).is_some()
                    && let [arg] = args.as_slice()
                {
                    for operand in [&**receiver, arg] {
                        if let ExprKind::Var(n) = &operand.kind {
                            add(&mut f.number_operands, n);
                        }
                    }
                }
            }
            _ => {}
        }
        self.facts.insert(e as *const Expr, f.clone());
        f
    }
}

/// The facts of several expressions together. A name set that only one part contributes is shared,
/// not copied, so a chain of nested constructs costs linear time.
fn combine(parts: &[Facts]) -> Facts {
    Facts {
        assigned: union(parts.iter().map(|p| &p.assigned)),
        read: union(parts.iter().map(|p| &p.read)),
        binds: parts.iter().any(|p| p.binds),
        size: parts.iter().map(|p| p.size).sum(),
        inlined_loop: parts.iter().any(|p| p.inlined_loop),
        number_operands: union(parts.iter().map(|p| &p.number_operands)),
        self_sends: union(parts.iter().map(|p| &p.self_sends)),
    }
}

fn union<'a>(sets: impl Iterator<Item = &'a Names>) -> Names {
    let mut out: Option<Names> = None;
    for s in sets.filter(|s| !s.is_empty()) {
        out = Some(match out {
            None => Rc::clone(s),
            Some(acc) if s.is_subset(&acc) => acc,
            Some(acc) if acc.is_subset(s) => Rc::clone(s),
            Some(acc) => Rc::new(acc.union(s).cloned().collect()),
        });
    }
    out.unwrap_or_default()
}

fn add(set: &mut Names, name: &str) {
    if !set.contains(name) {
        Rc::make_mut(set).insert(name.to_owned());
    }
}

/// The expressions directly inside `e`.
pub fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Return(v)
        | ExprKind::Assign { value: v, .. }
        | ExprKind::Destructure { value: v, .. } => vec![v],
        ExprKind::Match { value, arms } => std::iter::once(&**value)
            .chain(arms.iter().flat_map(|a| a.guard.iter().chain([&a.body])))
            .collect(),
        ExprKind::Send { receiver, args, .. } => std::iter::once(&**receiver).chain(args).collect(),
        ExprKind::SuperSend { args, .. } => args.iter().collect(),
        ExprKind::Cascade { receiver, messages } => std::iter::once(&**receiver)
            .chain(messages.iter().flat_map(|(_, a, _)| a))
            .collect(),
        ExprKind::Block { body, .. } => body.iter().collect(),
        ExprKind::Array(items) | ExprKind::List(items) => items.iter().collect(),
        ExprKind::Dict(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
        ExprKind::Interpolated(pieces) => pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Expr(x) => Some(x),
                Piece::Text(_) => None,
            })
            .collect(),
        ExprKind::Literal(_) | ExprKind::Var(_) | ExprKind::Global(_) | ExprKind::Field(_) => {
            vec![]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Item;

    fn body(src: &str) -> Vec<Expr> {
        match crate::parser::parse(src).expect("parses").remove(0) {
            Item::Statements(s) => s,
            other => panic!("statements, not {other:?}"),
        }
    }

    fn names(s: &Names) -> Vec<&str> {
        s.iter().map(String::as_str).collect()
    }

    #[test]
    fn facts_cover_everything_inside_an_expression() {
        let b =
            body("x := 0. y > 1 ifTrue: [x := x + 1. #(a, b) := pair] ifFalse: [z printString]");
        let a = Analysis::of(&b);
        let cond = a.get(&b[1]);
        assert_eq!(names(&cond.assigned), ["a", "b", "x"]);
        assert_eq!(names(&cond.read), ["pair", "x", "y", "z"]);
        assert!(cond.binds);
        assert!(!cond.inlined_loop);
        assert_eq!(names(&cond.number_operands), ["x", "y"]);
        let whole = a.of_body(&b);
        assert_eq!(whole.size, a.get(&b[0]).size + cond.size);
        assert!(!a.get(&body("y printString")[0]).binds);
    }

    #[test]
    fn an_inlined_loop_is_seen_at_any_depth() {
        let b = body("x > 0 ifTrue: [1 to: 3 do: [:i | x := i]]");
        let a = Analysis::of(&b);
        assert!(a.get(&b[0]).inlined_loop);
        // A block passed on (not a literal argument of an inlined send) is no inlined loop.
        let b = body("x > 0 ifTrue: [n to: 3 do: blk]");
        assert!(!Analysis::of(&b).get(&b[0]).inlined_loop);
    }

    #[test]
    fn what_the_innermost_level_does_is_seen_at_the_outermost() {
        let depth = 50;
        let src = format!(
            "{}w := x + 1{}",
            "x > 0 ifTrue: [".repeat(depth),
            "] ifFalse: [x := 1]".repeat(depth)
        );
        let b = body(&src);
        let outer = Analysis::of(&b).get(&b[0]);
        assert_eq!(names(&outer.assigned), ["w", "x"]);
        assert_eq!(outer.size, Analysis::default().visit(&b[0]).size);
    }
}
