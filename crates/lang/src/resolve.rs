//! Name resolution: which scope owns each variable, which variables must live in cells, which blocks are
//! inlined, and names that are never defined.
//!
//! Scopes are the method body and every block that is *not* inlined (an inlined block's statements run in
//! the scope around it; see [`inlined`]). A name belongs to the innermost scope that encloses every use of
//! it, so a temporary used only inside one block is that block's, fresh on each run of it. A name that a
//! block assigns but that belongs to an enclosing scope is a *cell* (see `beamtalk_rt`); every other name is
//! an Erlang variable, and a block that only reads it captures its value when the block is made.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::ast::{AssignTarget, Expr, ExprKind, Pattern, Piece, Span};
use super::diagnostic::Diagnostic;

/// What [`resolve`] found for one method body (or slot default).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Resolution {
    /// Names that belong to the body itself.
    pub body_locals: BTreeSet<String>,
    /// Names that belong to each non-inlined block, keyed by the block's span start.
    pub block_locals: HashMap<usize, BTreeSet<String>>,
    /// Names some block assigns that belong to an enclosing scope: cells, open for the whole invocation.
    pub cells: BTreeSet<String>,
}

/// Which parts of a send run in place of the send when their blocks are literal: the receiver and the
/// arguments that are inlined blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inlined {
    pub receiver: bool,
    /// Bit `i` set: argument `i` is an inlined block.
    args: u8,
}

impl Inlined {
    pub fn arg(&self, i: usize) -> bool {
        i < 8 && self.args & (1 << i) != 0
    }

    /// The receiver and then the arguments of the send, each with whether it is an inlined block.
    pub fn operands<'e>(&self, receiver: &'e Expr, args: &'e [Expr]) -> Vec<(&'e Expr, bool)> {
        let mut out = vec![(receiver, self.receiver)];
        out.extend(args.iter().enumerate().map(|(i, a)| (a, self.arg(i))));
        out
    }
}

/// Whether `receiver selector args` is compiled in place, and which of its blocks run inline. Only literal
/// blocks of the arity the selector gives them qualify; the generated code still sends the message when
/// the receiver is not of the kind the inline code handles (a non-Boolean for `ifTrue:`, ...).
pub fn inlined(selector: &str, receiver: &Expr, args: &[Expr]) -> Option<Inlined> {
    let block_of =
        |e: &Expr, n: usize| matches!(&e.kind, ExprKind::Block { params, .. } if params.len() == n);
    let all_plain = || args.iter().all(|a| block_of(a, 0));
    let only = |i: u8| Inlined {
        receiver: false,
        args: 1 << i,
    };
    match selector {
        "ifTrue:" | "ifFalse:" | "and:" | "or:" if all_plain() => Some(only(0)),
        "ifTrue:ifFalse:" | "ifFalse:ifTrue:" if all_plain() => Some(Inlined {
            receiver: false,
            args: 0b11,
        }),
        "timesRepeat:" if all_plain() => Some(only(0)),
        "to:do:" if block_of(&args[1], 1) => Some(only(1)),
        "whileTrue:" | "whileFalse:" if block_of(receiver, 0) && all_plain() => Some(Inlined {
            receiver: true,
            args: 1,
        }),
        "do:" | "collect:" | "select:" | "reject:" if block_of(&args[0], 1) => Some(only(0)),
        "inject:into:" if block_of(&args[1], 2) => Some(only(1)),
        _ => None,
    }
}

/// Resolves a method body with parameters `params`. Every name read must be a parameter or assigned
/// somewhere in the body: anything else is an `undefined variable` error.
pub fn resolve(params: &[String], body: &[Expr]) -> Result<Resolution, Diagnostic> {
    let (res, free) = resolve_open(params, body)?;
    match free.into_iter().next() {
        None => Ok(res),
        Some((name, span)) => Err(Diagnostic::new(
            span,
            format!("undefined variable `{name}`"),
            "not an argument, and never assigned here",
        )
        .with_hint(format!(
            "assign it first (`{name} := ...`), or check the spelling"
        ))),
    }
}

/// Resolves code that may read names defined outside it (a REPL line reads earlier bindings): also the
/// names read but never assigned, with where each is first read.
pub fn resolve_open(
    params: &[String],
    body: &[Expr],
) -> Result<(Resolution, Vec<(String, Span)>), Diagnostic> {
    let mut r = Resolver::default();
    r.scopes.push(ScopeInfo {
        parent: None,
        key: None,
    });
    r.params.push(params.iter().cloned().collect());
    for e in body {
        r.expr(e, 0)?;
    }
    r.finish()
}

/// A name's parameter scopes are lexical; its uses are recorded per scope.
#[derive(Default)]
struct Resolver {
    scopes: Vec<ScopeInfo>,
    params: Vec<HashSet<String>>,
    /// name → (scope, assigned?, where) for each use, in source order.
    uses: Vec<(String, usize, bool, Span)>,
}

struct ScopeInfo {
    parent: Option<usize>,
    /// The block's span start (None for the body).
    key: Option<usize>,
}

impl Resolver {
    fn is_param(&self, name: &str) -> bool {
        self.params.iter().rev().any(|s| s.contains(name))
    }

    fn use_name(
        &mut self,
        name: &str,
        scope: usize,
        assign: bool,
        span: Span,
    ) -> Result<(), Diagnostic> {
        if name == "self" || name == "super" || name == "thisContext" {
            return Ok(());
        }
        if self.is_param(name) {
            if assign {
                return Err(Diagnostic::new(
                    span,
                    format!("cannot assign to argument `{name}`"),
                    "arguments are read-only",
                )
                .with_hint("assign to a new variable instead"));
            }
            return Ok(());
        }
        self.uses.push((name.to_owned(), scope, assign, span));
        Ok(())
    }

    fn pattern(&mut self, p: &Pattern, scope: usize, span: Span) -> Result<(), Diagnostic> {
        for name in p.names() {
            self.use_name(name, scope, true, span)?;
        }
        Ok(())
    }

    fn with_params<T>(
        &mut self,
        params: &[String],
        f: impl FnOnce(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        self.params.push(params.iter().cloned().collect());
        let out = f(self);
        self.params.pop();
        out
    }

    /// The statements of an inlined block, in the current scope.
    fn inline_block(&mut self, e: &Expr, scope: usize) -> Result<(), Diagnostic> {
        match &e.kind {
            ExprKind::Block { params, body } => {
                self.with_params(params, |r| body.iter().try_for_each(|s| r.expr(s, scope)))
            }
            _ => self.expr(e, scope),
        }
    }

    fn expr(&mut self, e: &Expr, scope: usize) -> Result<(), Diagnostic> {
        match &e.kind {
            ExprKind::Var(n) => self.use_name(n, scope, false, e.span)?,
            ExprKind::Assign { target, value } => {
                self.expr(value, scope)?;
                if let AssignTarget::Var(n) = target {
                    self.use_name(n, scope, true, e.span)?;
                }
            }
            ExprKind::Destructure { pattern, value } => {
                self.expr(value, scope)?;
                self.pattern(pattern, scope, e.span)?;
            }
            ExprKind::Match { value, arms } => {
                self.expr(value, scope)?;
                for arm in arms {
                    self.pattern(&arm.pattern, scope, e.span)?;
                    if let Some(g) = &arm.guard {
                        self.expr(g, scope)?;
                    }
                    self.expr(&arm.body, scope)?;
                }
            }
            ExprKind::Send {
                receiver,
                selector,
                args,
                cast: false,
            } if let Some(inl) = inlined(selector, receiver, args) => {
                for (part, inline) in inl.operands(receiver, args) {
                    match inline {
                        true => self.inline_block(part, scope)?,
                        false => self.expr(part, scope)?,
                    }
                }
            }
            ExprKind::Send { receiver, args, .. } => {
                self.expr(receiver, scope)?;
                args.iter().try_for_each(|a| self.expr(a, scope))?;
            }
            ExprKind::SuperSend { args, .. } => {
                args.iter().try_for_each(|a| self.expr(a, scope))?
            }
            ExprKind::Cascade { receiver, messages } => {
                self.expr(receiver, scope)?;
                for (_, args, _) in messages {
                    args.iter().try_for_each(|a| self.expr(a, scope))?;
                }
            }
            ExprKind::Block { params, body } => {
                let inner = self.scopes.len();
                self.scopes.push(ScopeInfo {
                    parent: Some(scope),
                    key: Some(e.span.start),
                });
                self.with_params(params, |r| body.iter().try_for_each(|s| r.expr(s, inner)))?;
            }
            ExprKind::Return(v) => self.expr(v, scope)?,
            ExprKind::Array(items) | ExprKind::List(items) => {
                items.iter().try_for_each(|i| self.expr(i, scope))?
            }
            ExprKind::Dict(pairs) => {
                for (k, v) in pairs {
                    self.expr(k, scope)?;
                    self.expr(v, scope)?;
                }
            }
            ExprKind::Interpolated(pieces) => {
                for p in pieces {
                    if let Piece::Expr(x) = p {
                        self.expr(x, scope)?;
                    }
                }
            }
            ExprKind::Literal(_) | ExprKind::Global(_) | ExprKind::Field(_) => {}
        }
        Ok(())
    }

    fn depth(&self, mut s: usize) -> usize {
        let mut d = 0;
        while let Some(p) = self.scopes[s].parent {
            s = p;
            d += 1;
        }
        d
    }

    /// The innermost scope enclosing both `a` and `b`.
    fn common(&self, mut a: usize, mut b: usize) -> usize {
        let (mut da, mut db) = (self.depth(a), self.depth(b));
        while da > db {
            a = self.scopes[a].parent.unwrap_or(0);
            da -= 1;
        }
        while db > da {
            b = self.scopes[b].parent.unwrap_or(0);
            db -= 1;
        }
        while a != b {
            a = self.scopes[a].parent.unwrap_or(0);
            b = self.scopes[b].parent.unwrap_or(0);
        }
        a
    }

    fn finish(self) -> Result<(Resolution, Vec<(String, Span)>), Diagnostic> {
        let mut owner: HashMap<&str, usize> = HashMap::new();
        let mut assigned: HashSet<&str> = HashSet::new();
        for (name, scope, assign, _) in &self.uses {
            let o = owner
                .get(name.as_str())
                .map_or(*scope, |&o| self.common(o, *scope));
            owner.insert(name, o);
            if *assign {
                assigned.insert(name);
            }
        }
        let mut free: Vec<(String, Span)> = Vec::new();
        for (name, _, _, span) in &self.uses {
            if !assigned.contains(name.as_str()) && !free.iter().any(|(n, _)| n == name) {
                free.push((name.clone(), *span));
            }
        }
        let mut out = Resolution::default();
        for (name, scope, assign, _) in &self.uses {
            if *assign && owner[name.as_str()] != *scope {
                out.cells.insert(name.clone());
            }
        }
        for (name, &o) in &owner {
            if !assigned.contains(name) {
                continue;
            }
            match self.scopes[o].key {
                None => {
                    out.body_locals.insert((*name).to_owned());
                }
                Some(k) => {
                    out.block_locals
                        .entry(k)
                        .or_default()
                        .insert((*name).to_owned());
                }
            }
        }
        Ok((out, free))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_statements;

    fn resolved(src: &str, params: &[&str]) -> Result<Resolution, Diagnostic> {
        let stmts = parse_statements(src, 0).expect("parses");
        let params: Vec<String> = params.iter().map(|p| (*p).to_owned()).collect();
        resolve(&params, &stmts)
    }

    fn names(set: &BTreeSet<String>) -> Vec<&str> {
        set.iter().map(String::as_str).collect()
    }

    #[test]
    fn locals_of_inlined_blocks_belong_to_the_body() {
        let r = resolved("s := 0\n1 to: n do: [:i | s := s + i. t := i]\ns", &["n"]).expect("ok");
        assert_eq!(names(&r.body_locals), ["s", "t"]);
        assert!(r.cells.is_empty());
        assert!(r.block_locals.is_empty());
    }

    #[test]
    fn a_temporary_used_only_in_a_block_belongs_to_the_block() {
        let r = resolved("xs detect: [:e | t := e * 2. t > 3]", &["xs"]).expect("ok");
        assert!(r.body_locals.is_empty());
        assert_eq!(r.block_locals.len(), 1);
        assert!(r.cells.is_empty());
    }

    #[test]
    fn a_block_assigning_an_outer_local_makes_it_a_cell() {
        let r = resolved("n := 0\nb := [n := n + 1]\nb value\nn", &[]).expect("ok");
        assert_eq!(names(&r.cells), ["n"]);
        assert_eq!(names(&r.body_locals), ["b", "n"]);
    }

    #[test]
    fn reading_an_outer_local_in_a_block_is_capture_not_a_cell() {
        let r = resolved("k := 2\nxs detect: [:e | e > k]", &["xs"]).expect("ok");
        assert!(r.cells.is_empty());
    }

    #[test]
    fn undefined_names_and_assigned_arguments_are_errors() {
        let e = resolved("x + 1", &[]).expect_err("undefined");
        assert!(
            e.message.contains("undefined variable `x`"),
            "{}",
            e.message
        );
        let e = resolved("[:a | a := 1]", &[]).expect_err("argument");
        assert!(e.message.contains("cannot assign to argument `a`"));
    }

    #[test]
    fn which_sends_inline() {
        let send = |src: &str| {
            let e = parse_statements(src, 0).expect("parses").remove(0);
            match e.kind {
                ExprKind::Send {
                    receiver,
                    selector,
                    args,
                    ..
                } => inlined(&selector, &receiver, &args),
                _ => panic!("a send"),
            }
        };
        assert!(send("a ifTrue: [1] ifFalse: [2]").is_some());
        assert!(send("a ifTrue: b").is_none());
        assert!(send("[a] whileTrue: [b]").is_some_and(|i| i.receiver));
        assert!(send("b whileTrue: [c]").is_none());
        assert!(send("1 to: 3 do: [:i | i]").is_some_and(|i| i.arg(1) && !i.arg(0)));
        assert!(send("xs inject: 0 into: [:a :e | a + e]").is_some());
        assert!(send("xs do: [3]").is_none());
    }
}
