//! Syntax tree → Erlang abstract format, as `eetf` terms sent to the node.
//!
//! A REPL line becomes a list of abstract expressions for `erl_eval` (no module compile); a class becomes the
//! forms of one module for `compile:forms/2`. Every message send is a call to `beamtalk_rt:send/3`, so method
//! lookup happens in the runtime. Assigned variables live in a frame (see `beamtalk_rt`): the `repl` frame
//! for REPL bindings, a fresh reference per method invocation otherwise; block and method parameters are
//! plain Erlang variables. Source lines are carried into the forms, so node errors map back to Beamtalk.

use std::collections::HashSet;

use eetf::{FixInteger, Float, Term};
use num_bigint::BigInt;

use super::ast::*;
use super::diagnostic::Diagnostic;
use crate::term::etf::int_term;
use crate::term::{atom, list, tuple};

/// Where generated code runs.
#[derive(Debug, Clone)]
pub enum Context {
    /// A REPL line: variables are workspace bindings, `self` is nil.
    Repl,
    /// A method of `class`: `self`, fields and `super` are available.
    Method { class: String },
}

/// Generates code for one REPL input or method body.
pub struct Codegen {
    line_starts: Vec<usize>,
    context: Context,
    /// Parameters in scope (immutable Erlang variables).
    params: Vec<HashSet<String>>,
    /// The method's locals: every name it assigns.
    locals: HashSet<String>,
    counter: u32,
}

impl Codegen {
    pub fn new(src: &str, context: Context) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            line_starts,
            context,
            params: vec![HashSet::new()],
            locals: HashSet::new(),
            counter: 0,
        }
    }

    fn line(&self, span: Span) -> i32 {
        let idx = self.line_starts.partition_point(|&s| s <= span.start);
        i32::try_from(idx.max(1)).unwrap_or(i32::MAX)
    }

    /// The abstract expressions of a REPL line (a list term for `erl_eval:exprs/2`).
    pub fn repl(&mut self, stmts: &[Expr]) -> Result<Term, Diagnostic> {
        let exprs = stmts
            .iter()
            .map(|e| self.expr(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(list(exprs))
    }

    /// The body of a method: parameters bound, a fresh frame, `^` anywhere returns from it.
    pub fn method_body(&mut self, m: &MethodDef) -> Result<Vec<Term>, Diagnostic> {
        self.locals = assigned_names(&m.body);
        self.params.push(m.params.iter().cloned().collect());
        let l = self.line(m.span);
        let mut body = Vec::new();
        for (i, e) in m.body.iter().enumerate() {
            let last = i + 1 == m.body.len();
            body.push(match (&e.kind, last) {
                (ExprKind::Return(v), true) => self.expr(v)?,
                _ => self.expr(e)?,
            });
        }
        self.params.pop();
        if body.is_empty() {
            body.push(var(l, "Self@"));
        }
        let frame = matched(
            l,
            var(l, "Frame@"),
            call(l, "beamtalk_rt", "new_frame", vec![]),
        );
        let body = match m.body.iter().any(contains_return) {
            false => body,
            true => vec![call(
                l,
                "beamtalk_rt",
                "catch_return",
                vec![var(l, "Frame@"), fun(l, vec![], body)],
            )],
        };
        // The frame's variables live in the process dictionary; unless a block could read them after the
        // method returns, they are dropped on the way out (an actor would otherwise grow per call).
        let body = match self.locals.is_empty() || blocks_use(&m.body, &self.locals) {
            true => body,
            false => vec![tuple(vec![
                atom("try"),
                int(l),
                list(body),
                list(vec![]),
                list(vec![]),
                list(vec![call(
                    l,
                    "beamtalk_rt",
                    "drop_frame",
                    vec![var(l, "Frame@"), abs_list(l, self.local_atoms(l))],
                )]),
            ])],
        };
        let mut out = vec![frame];
        out.extend(body);
        Ok(out)
    }

    /// The method's locals as abstract atoms, in a stable order.
    fn local_atoms(&self, l: i32) -> Vec<Term> {
        let mut names: Vec<&String> = self.locals.iter().collect();
        names.sort();
        names.into_iter().map(|n| abs_atom(l, n)).collect()
    }

    fn frame(&self, l: i32) -> Term {
        match self.context {
            Context::Repl => abs_atom(l, "repl"),
            Context::Method { .. } => var(l, "Frame@"),
        }
    }

    fn is_param(&self, name: &str) -> bool {
        self.params.iter().rev().any(|s| s.contains(name))
    }

    fn fresh(&mut self, base: &str) -> String {
        self.counter += 1;
        format!("{base}@{}", self.counter)
    }

    fn exprs(&mut self, es: &[Expr]) -> Result<Vec<Term>, Diagnostic> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn expr(&mut self, e: &Expr) -> Result<Term, Diagnostic> {
        let l = self.line(e.span);
        Ok(match &e.kind {
            ExprKind::Literal(lit) => literal(l, lit),
            ExprKind::Var(name) => self.variable(l, name, e.span)?,
            ExprKind::Global(name) => class_ref(l, name),
            ExprKind::Field(name) => {
                let this = self.self_term(l, e.span)?;
                call(l, "beamtalk_rt", "field", vec![this, abs_atom(l, name)])
            }
            ExprKind::Assign { target, value } => {
                let v = self.expr(value)?;
                match target {
                    AssignTarget::Var(name) if self.is_param(name) => {
                        return Err(Diagnostic::new(
                            e.span,
                            format!("cannot assign to argument `{name}`"),
                            "arguments are read-only",
                        )
                        .with_hint("assign to a new variable instead"));
                    }
                    AssignTarget::Var(name) => call(
                        l,
                        "beamtalk_rt",
                        "set",
                        vec![self.frame(l), abs_atom(l, name), v],
                    ),
                    AssignTarget::Field(name) => {
                        let this = self.self_term(l, e.span)?;
                        call(
                            l,
                            "beamtalk_rt",
                            "set_field",
                            vec![this, abs_atom(l, name), v],
                        )
                    }
                }
            }
            ExprKind::Send {
                receiver,
                selector,
                args,
                cast: false,
            } if let Some(fast) = self.fast_send(l, receiver, selector, args)? => fast,
            ExprKind::Send {
                receiver,
                selector,
                args,
                cast,
            } => {
                let r = self.expr(receiver)?;
                let a = self.exprs(args)?;
                let f = if *cast { "cast" } else { "send" };
                call(
                    l,
                    "beamtalk_rt",
                    f,
                    vec![r, abs_atom(l, selector), abs_list(l, a)],
                )
            }
            ExprKind::SuperSend { selector, args } => {
                let Context::Method { class } = &self.context else {
                    return Err(Diagnostic::new(
                        e.span,
                        "`super` is only meaningful inside a method",
                        "no superclass here",
                    ));
                };
                let class = class.clone();
                let a = self.exprs(args)?;
                call(
                    l,
                    "beamtalk_rt",
                    "super_send",
                    vec![
                        abs_atom(l, &class),
                        var(l, "Self@"),
                        abs_atom(l, selector),
                        abs_list(l, a),
                    ],
                )
            }
            ExprKind::Cascade { receiver, messages } => {
                let tmp = self.fresh("Cascade");
                let r = self.expr(receiver)?;
                let mut body = vec![matched(l, var(l, &tmp), r)];
                for (sel, args, span) in messages {
                    let ml = self.line(*span);
                    let a = self.exprs(args)?;
                    body.push(send(ml, var(ml, &tmp), sel, a));
                }
                tuple(vec![atom("block"), int(l), list(body)])
            }
            ExprKind::Block { params, body } => {
                self.params.push(params.iter().cloned().collect());
                let b = self.exprs(body);
                self.params.pop();
                let mut b = b?;
                if b.is_empty() {
                    b.push(abs_atom(l, "nil"));
                }
                let ps = params.iter().map(|p| var(l, &param_var(p))).collect();
                fun(l, ps, b)
            }
            ExprKind::Return(v) => {
                let v = self.expr(v)?;
                call(l, "beamtalk_rt", "non_local_return", vec![self.frame(l), v])
            }
            ExprKind::Array(items) => {
                let items = self.exprs(items)?;
                call(l, "beamtalk_rt", "array", vec![abs_list(l, items)])
            }
            ExprKind::List(items) => {
                let items = self.exprs(items)?;
                abs_list(l, items)
            }
            ExprKind::Dict(pairs) => {
                let mut assocs = Vec::new();
                for (k, v) in pairs {
                    assocs.push(tuple(vec![
                        atom("map_field_assoc"),
                        int(l),
                        self.expr(k)?,
                        self.expr(v)?,
                    ]));
                }
                tuple(vec![atom("map"), int(l), list(assocs)])
            }
            ExprKind::Match { value, arms } => {
                let v = self.expr(value)?;
                let mut coded = Vec::new();
                for (pattern, body) in arms {
                    let b = self.expr(body)?;
                    coded.push(tuple(vec![
                        atom("tuple"),
                        int(l),
                        list(vec![abs_pattern(l, pattern), fun(l, vec![], vec![b])]),
                    ]));
                }
                call(
                    l,
                    "beamtalk_rt",
                    "match",
                    vec![self.frame(l), v, abs_list(l, coded)],
                )
            }
            ExprKind::Destructure { pattern, value } => {
                if let Some(name) = pattern.names().into_iter().find(|n| self.is_param(n)) {
                    return Err(Diagnostic::new(
                        e.span,
                        format!("cannot assign to argument `{name}`"),
                        "arguments are read-only",
                    )
                    .with_hint("bind a new variable instead"));
                }
                let v = self.expr(value)?;
                call(
                    l,
                    "beamtalk_rt",
                    "destructure",
                    vec![self.frame(l), abs_pattern(l, pattern), v],
                )
            }
            ExprKind::Interpolated(pieces) => {
                let mut parts = Vec::new();
                for p in pieces {
                    parts.push(match p {
                        Piece::Text(t) => string(l, t),
                        Piece::Expr(e) => self.expr(e)?,
                    });
                }
                call(l, "beamtalk_rt", "interpolate", vec![abs_list(l, parts)])
            }
        })
    }

    /// Code for a send that has a direct path (number operators, conditionals with literal blocks), or
    /// `None` for the ordinary send.
    fn fast_send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        args: &[Expr],
    ) -> Result<Option<Term>, Diagnostic> {
        // Under erl_eval (a REPL line) the guarded case costs more to interpret than the call it saves.
        let compiled = matches!(self.context, Context::Method { .. });
        if let (true, Some(operator), [arg]) = (compiled, number_op(selector), args) {
            return self
                .number_send(l, receiver, selector, operator, arg)
                .map(Some);
        }
        if compiled && let Some(loop_code) = self.inline_loop(l, receiver, selector, args)? {
            return Ok(Some(loop_code));
        }
        if let Some(branches) = condition_branches(selector)
            && args.iter().all(is_plain_block)
        {
            return self
                .condition(l, receiver, selector, branches, args)
                .map(Some);
        }
        Ok(None)
    }

    /// `a + b` and friends: Erlang's own operator when both are numbers of the kind the operator cannot
    /// fail on, an ordinary send otherwise (`case {A, B} of {X, Y} when ... -> X op Y; {X, Y} -> send`).
    fn number_send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        (operator, guard): (&str, &str),
        arg: &Expr,
    ) -> Result<Term, Diagnostic> {
        let r = self.expr(receiver)?;
        let a = self.expr(arg)?;
        let (x, y) = (self.fresh("X"), self.fresh("Y"));
        let guards = vec![bif(l, guard, var(l, &x)), bif(l, guard, var(l, &y))];
        let fast = guarded_clause(
            l,
            vec![pair(l, &x, &y)],
            guards,
            vec![op(l, operator, var(l, &x), var(l, &y))],
        );
        let slow = clause(
            l,
            vec![pair(l, &x, &y)],
            vec![send(l, var(l, &x), selector, vec![var(l, &y)])],
        );
        let subject = tuple(vec![atom("tuple"), int(l), list(vec![r, a])]);
        Ok(case(l, subject, vec![fast, slow]))
    }

    /// `c ifTrue: [...] ifFalse: [...]`, `and:`, `or:` with literal blocks: the blocks' statements run in
    /// place when `c` is a Boolean (no block is made); any other receiver gets the ordinary send.
    fn condition(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        (on_true, on_false): (Branch, Branch),
        args: &[Expr],
    ) -> Result<Term, Diagnostic> {
        let c = self.expr(receiver)?;
        let mut branch = |b: Branch| -> Result<Vec<Term>, Diagnostic> {
            Ok(match b {
                Branch::Arg(i) => vec![self.inline_block(l, &args[i])?],
                Branch::Const(v) => vec![abs_atom(l, v)],
                Branch::IsTrue(i) => vec![tuple(vec![
                    atom("op"),
                    int(l),
                    atom("=:="),
                    self.inline_block(l, &args[i])?,
                    abs_atom(l, "true"),
                ])],
            })
        };
        let when_true = branch(on_true)?;
        let when_false = branch(on_false)?;
        let other = self.fresh("Cond");
        let funs = self.exprs(args)?;
        let fallback = send(l, var(l, &other), selector, funs);
        Ok(case(
            l,
            c,
            vec![
                clause(l, vec![abs_atom(l, "true")], when_true),
                clause(l, vec![abs_atom(l, "false")], when_false),
                clause(l, vec![var(l, &other)], vec![fallback]),
            ],
        ))
    }

    /// `a to: b do: [:i | ...]`, `n timesRepeat: [...]` and `[c] whileTrue: [...]` (and `whileFalse:`)
    /// with literal blocks, as local recursive funs: the body runs in place, no block and no send per
    /// iteration. Integer bounds and counts only; any other receiver gets the ordinary send.
    fn inline_loop(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        args: &[Expr],
    ) -> Result<Option<Term>, Diagnostic> {
        match (selector, args) {
            (
                "to:do:",
                [
                    to,
                    block @ Expr {
                        kind: ExprKind::Block { params, body },
                        ..
                    },
                ],
            ) if params.len() == 1 => self
                .counting_loop(l, receiver, to, block, (&params[0], body))
                .map(Some),
            ("timesRepeat:", [block]) if is_plain_block(block) => {
                self.times_repeat(l, receiver, block).map(Some)
            }
            ("whileTrue:" | "whileFalse:", [block])
                if is_plain_block(receiver) && is_plain_block(block) =>
            {
                self.while_loop(l, receiver, selector == "whileTrue:", block)
                    .map(Some)
            }
            _ => Ok(None),
        }
    }

    fn counting_loop(
        &mut self,
        l: i32,
        from: &Expr,
        to: &Expr,
        block: &Expr,
        (param, body): (&String, &[Expr]),
    ) -> Result<Term, Diagnostic> {
        let (f, t, lp) = (self.fresh("From"), self.fresh("To"), self.fresh("Loop"));
        let from_code = self.expr(from)?;
        let to_code = self.expr(to)?;
        let i = param_var(param);
        self.params.push(HashSet::from([param.clone()]));
        let body = self.exprs(body);
        self.params.pop();
        let looping = stepping_fun(
            l,
            &lp,
            &i,
            op(l, "=<", var(l, &i), var(l, &t)),
            op(l, "+", var(l, &i), integer(l, 1)),
            body?,
        );
        let fast = guarded_clause(
            l,
            vec![pair(l, &f, &t)],
            vec![
                bif(l, "is_integer", var(l, &f)),
                bif(l, "is_integer", var(l, &t)),
            ],
            vec![apply(l, looping, vec![var(l, &f)]), var(l, &f)],
        );
        let fallback_block = self.expr(block)?;
        let slow = clause(
            l,
            vec![pair(l, &f, &t)],
            vec![send(
                l,
                var(l, &f),
                "to:do:",
                vec![var(l, &t), fallback_block],
            )],
        );
        let subject = tuple(vec![atom("tuple"), int(l), list(vec![from_code, to_code])]);
        Ok(case(l, subject, vec![fast, slow]))
    }

    fn times_repeat(&mut self, l: i32, count: &Expr, block: &Expr) -> Result<Term, Diagnostic> {
        let (n, k, lp) = (self.fresh("N"), self.fresh("K"), self.fresh("Loop"));
        let count_code = self.expr(count)?;
        let looping = stepping_fun(
            l,
            &lp,
            &k,
            op(l, ">", var(l, &k), integer(l, 0)),
            op(l, "-", var(l, &k), integer(l, 1)),
            vec![self.inline_block(l, block)?],
        );
        let fast = guarded_clause(
            l,
            vec![var(l, &n)],
            vec![bif(l, "is_integer", var(l, &n))],
            vec![apply(l, looping, vec![var(l, &n)])],
        );
        let fallback_block = self.expr(block)?;
        let slow = clause(
            l,
            vec![var(l, &n)],
            vec![send(l, var(l, &n), "timesRepeat:", vec![fallback_block])],
        );
        Ok(case(l, count_code, vec![fast, slow]))
    }

    fn while_loop(
        &mut self,
        l: i32,
        condition: &Expr,
        expect: bool,
        block: &Expr,
    ) -> Result<Term, Diagnostic> {
        let lp = self.fresh("Loop");
        let test = self.inline_block(l, condition)?;
        let body = self.inline_block(l, block)?;
        let expected = abs_atom(l, if expect { "true" } else { "false" });
        let step = case(
            l,
            test,
            vec![
                clause(l, vec![expected], vec![body, local_call(l, &lp, vec![])]),
                clause(l, vec![var(l, "_")], vec![abs_atom(l, "nil")]),
            ],
        );
        let looping = named_fun(l, &lp, vec![clause(l, vec![], vec![step])]);
        Ok(apply(l, looping, vec![]))
    }

    /// A parameterless literal block's statements as one expression (`begin ... end`; nil if empty).
    fn inline_block(&mut self, l: i32, block: &Expr) -> Result<Term, Diagnostic> {
        let mut exprs = match &block.kind {
            ExprKind::Block { body, .. } => self.exprs(body)?,
            // Not a literal block: what it answers to `value`.
            _ => {
                let b = self.expr(block)?;
                vec![send(l, b, "value", vec![])]
            }
        };
        if exprs.is_empty() {
            exprs.push(abs_atom(l, "nil"));
        }
        Ok(tuple(vec![atom("block"), int(l), list(exprs)]))
    }

    fn variable(&self, l: i32, name: &str, span: Span) -> Result<Term, Diagnostic> {
        if name == "self" {
            return match self.context {
                Context::Repl => Ok(abs_atom(l, "nil")),
                Context::Method { .. } => Ok(var(l, "Self@")),
            };
        }
        if name == "super" {
            return Err(Diagnostic::new(
                span,
                "`super` must be followed by a message",
                "send a message to super",
            ));
        }
        if self.is_param(name) {
            return Ok(var(l, &param_var(name)));
        }
        if matches!(self.context, Context::Method { .. }) && !self.locals.contains(name) {
            return Err(Diagnostic::new(
                span,
                format!("undefined variable `{name}`"),
                "not an argument, and never assigned in this method",
            )
            .with_hint(format!(
                "assign it first (`{name} := ...`), or check the spelling"
            )));
        }
        Ok(call(
            l,
            "beamtalk_rt",
            "get",
            vec![self.frame(l), abs_atom(l, name)],
        ))
    }

    fn self_term(&self, l: i32, span: Span) -> Result<Term, Diagnostic> {
        match self.context {
            Context::Method { .. } => Ok(var(l, "Self@")),
            Context::Repl => Err(Diagnostic::new(
                span,
                "`self.field` is only meaningful inside a method",
                "no self here",
            )),
        }
    }
}

/// The Erlang operator for a Beamtalk binary selector on numbers, and the guard under which it cannot
/// fail (so the fast path behaves exactly as `beamtalk_number` would): integers for arithmetic, any
/// numbers for comparisons.
fn number_op(selector: &str) -> Option<(&'static str, &'static str)> {
    Some(match selector {
        "+" => ("+", "is_integer"),
        "-" => ("-", "is_integer"),
        "*" => ("*", "is_integer"),
        "<" => ("<", "is_number"),
        ">" => (">", "is_number"),
        "<=" => ("=<", "is_number"),
        ">=" => (">=", "is_number"),
        "=" => ("==", "is_number"),
        _ => return None,
    })
}

/// What an inlined conditional answers for `true` and for `false`.
#[derive(Clone, Copy)]
enum Branch {
    /// The statements of block argument `i`.
    Arg(usize),
    /// Whether block argument `i` answers `true` (`and:`/`or:` answer Booleans).
    IsTrue(usize),
    /// An atom: `nil`, `true` or `false`.
    Const(&'static str),
}

/// The branches of the conditional selectors that are inlined, as Boolean's own methods define them.
fn condition_branches(selector: &str) -> Option<(Branch, Branch)> {
    Some(match selector {
        "ifTrue:" => (Branch::Arg(0), Branch::Const("nil")),
        "ifFalse:" => (Branch::Const("nil"), Branch::Arg(0)),
        "ifTrue:ifFalse:" => (Branch::Arg(0), Branch::Arg(1)),
        "ifFalse:ifTrue:" => (Branch::Arg(1), Branch::Arg(0)),
        "and:" => (Branch::IsTrue(0), Branch::Const("false")),
        "or:" => (Branch::Const("true"), Branch::IsTrue(0)),
        _ => return None,
    })
}

/// A literal block without parameters (its statements can run in place).
fn is_plain_block(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Block { params, .. } if params.is_empty())
}

fn contains_return(e: &Expr) -> bool {
    let mut found = false;
    visit(e, &mut |e| found |= matches!(e.kind, ExprKind::Return(_)));
    found
}

/// The names a method body assigns anywhere (its locals).
fn assigned_names(body: &[Expr]) -> HashSet<String> {
    let mut names = HashSet::new();
    for e in body {
        visit(e, &mut |e| match &e.kind {
            ExprKind::Assign {
                target: AssignTarget::Var(n),
                ..
            } => {
                names.insert(n.clone());
            }
            ExprKind::Destructure { pattern, .. } => {
                names.extend(pattern.names().into_iter().map(str::to_owned));
            }
            ExprKind::Match { arms, .. } => {
                for (pattern, _) in arms {
                    names.extend(pattern.names().into_iter().map(str::to_owned));
                }
            }
            _ => {}
        });
    }
    names
}

/// Whether a block anywhere in `body` names one of `locals` (reads or assigns it).
fn blocks_use(body: &[Expr], locals: &HashSet<String>) -> bool {
    let mut used = false;
    for e in body {
        visit(e, &mut |e| {
            if let ExprKind::Block { body, .. } = &e.kind {
                for inner in body {
                    visit(inner, &mut |x| {
                        used |= match &x.kind {
                            ExprKind::Var(n)
                            | ExprKind::Assign {
                                target: AssignTarget::Var(n),
                                ..
                            } => locals.contains(n),
                            ExprKind::Destructure { pattern, .. } => {
                                pattern.names().iter().any(|n| locals.contains(*n))
                            }
                            ExprKind::Match { arms, .. } => arms
                                .iter()
                                .any(|(p, _)| p.names().iter().any(|n| locals.contains(*n))),
                            _ => false,
                        };
                    });
                }
            }
        });
    }
    used
}

/// Calls `f` on `e` and every expression inside it.
fn visit(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Return(v)
        | ExprKind::Assign { value: v, .. }
        | ExprKind::Destructure { value: v, .. } => visit(v, f),
        ExprKind::Match { value, arms } => {
            visit(value, f);
            arms.iter().for_each(|(_, body)| visit(body, f));
        }
        ExprKind::Send { receiver, args, .. } => {
            visit(receiver, f);
            args.iter().for_each(|a| visit(a, f));
        }
        ExprKind::SuperSend { args, .. } => args.iter().for_each(|a| visit(a, f)),
        ExprKind::Cascade { receiver, messages } => {
            visit(receiver, f);
            messages
                .iter()
                .for_each(|(_, args, _)| args.iter().for_each(|a| visit(a, f)));
        }
        ExprKind::Block { body, .. } => body.iter().for_each(|b| visit(b, f)),
        ExprKind::Array(items) | ExprKind::List(items) => items.iter().for_each(|i| visit(i, f)),
        ExprKind::Dict(pairs) => pairs.iter().for_each(|(k, v)| {
            visit(k, f);
            visit(v, f);
        }),
        ExprKind::Interpolated(pieces) => pieces.iter().for_each(|p| {
            if let Piece::Expr(e) = p {
                visit(e, f);
            }
        }),
        _ => {}
    }
}

/// The Erlang variable of a Beamtalk parameter.
pub fn param_var(name: &str) -> String {
    format!("P_{name}")
}

fn int(l: i32) -> Term {
    Term::from(FixInteger::from(l))
}

pub(crate) fn abs_atom(l: i32, name: &str) -> Term {
    tuple(vec![atom("atom"), int(l), atom(name)])
}

pub(crate) fn var(l: i32, name: &str) -> Term {
    tuple(vec![atom("var"), int(l), atom(name)])
}

pub(crate) fn call(l: i32, m: &str, f: &str, args: Vec<Term>) -> Term {
    let remote = tuple(vec![atom("remote"), int(l), abs_atom(l, m), abs_atom(l, f)]);
    tuple(vec![atom("call"), int(l), remote, list(args)])
}

pub(crate) fn matched(l: i32, pattern: Term, value: Term) -> Term {
    tuple(vec![atom("match"), int(l), pattern, value])
}

/// One clause without guards: `Params -> Body`.
fn clause(l: i32, params: Vec<Term>, body: Vec<Term>) -> Term {
    tuple(vec![
        atom("clause"),
        int(l),
        list(params),
        list(vec![]),
        list(body),
    ])
}

/// One clause with guards (all must hold): `Params when G1, G2 -> Body`.
fn guarded_clause(l: i32, params: Vec<Term>, guards: Vec<Term>, body: Vec<Term>) -> Term {
    tuple(vec![
        atom("clause"),
        int(l),
        list(params),
        list(vec![list(guards)]),
        list(body),
    ])
}

/// `case Subject of Clauses end`.
fn case(l: i32, subject: Term, clauses: Vec<Term>) -> Term {
    tuple(vec![atom("case"), int(l), subject, list(clauses)])
}

/// `A Op B`.
fn op(l: i32, name: &str, a: Term, b: Term) -> Term {
    tuple(vec![atom("op"), int(l), atom(name), a, b])
}

fn integer(l: i32, n: i32) -> Term {
    tuple(vec![
        atom("integer"),
        int(l),
        Term::from(FixInteger::from(n)),
    ])
}

/// The pattern `{A, B}` of two variables.
fn pair(l: i32, a: &str, b: &str) -> Term {
    tuple(vec![
        atom("tuple"),
        int(l),
        list(vec![var(l, a), var(l, b)]),
    ])
}

/// `fun Name(Counter) when Guard -> Body, Name(Next); Name(_) -> nil end`: a loop over `counter`.
fn stepping_fun(
    l: i32,
    name: &str,
    counter: &str,
    guard: Term,
    next: Term,
    mut body: Vec<Term>,
) -> Term {
    body.push(local_call(l, name, vec![next]));
    named_fun(
        l,
        name,
        vec![
            guarded_clause(l, vec![var(l, counter)], vec![guard], body),
            clause(l, vec![var(l, "_")], vec![abs_atom(l, "nil")]),
        ],
    )
}

/// A destructuring pattern as the term `beamtalk_rt:destructure/3` reads: `{bind, Name}`, `ignore`,
/// `{lit, Value}`, `{tuple | list | array, [Pattern]}`.
fn abs_pattern(l: i32, p: &Pattern) -> Term {
    let tagged =
        |tag: &str, v: Term| tuple(vec![atom("tuple"), int(l), list(vec![abs_atom(l, tag), v])]);
    match p {
        Pattern::Bind(n) => tagged("bind", abs_atom(l, n)),
        Pattern::Ignore => abs_atom(l, "ignore"),
        Pattern::Literal(lit) => tagged("lit", literal(l, lit)),
        Pattern::Tuple(ps) => tagged(
            "tuple",
            abs_list(l, ps.iter().map(|p| abs_pattern(l, p)).collect()),
        ),
        Pattern::List(ps) => tagged(
            "list",
            abs_list(l, ps.iter().map(|p| abs_pattern(l, p)).collect()),
        ),
        Pattern::Array(ps) => tagged(
            "array",
            abs_list(l, ps.iter().map(|p| abs_pattern(l, p)).collect()),
        ),
    }
}

/// `beamtalk_rt:send(Receiver, Selector, [Args])`: the ordinary send.
fn send(l: i32, receiver: Term, selector: &str, args: Vec<Term>) -> Term {
    call(
        l,
        "beamtalk_rt",
        "send",
        vec![receiver, abs_atom(l, selector), abs_list(l, args)],
    )
}

/// `fun Name(...) -> ... end`: a fun that can call itself by `Name`.
fn named_fun(l: i32, name: &str, clauses: Vec<Term>) -> Term {
    tuple(vec![atom("named_fun"), int(l), atom(name), list(clauses)])
}

/// A call of the fun bound to variable `name`.
fn local_call(l: i32, name: &str, args: Vec<Term>) -> Term {
    apply(l, var(l, name), args)
}

/// `F(Args)` for any fun-valued expression `F`.
fn apply(l: i32, f: Term, args: Vec<Term>) -> Term {
    tuple(vec![atom("call"), int(l), f, list(args)])
}

/// A call of an auto-imported BIF of one argument (a type test in a guard).
fn bif(l: i32, name: &str, arg: Term) -> Term {
    tuple(vec![
        atom("call"),
        int(l),
        abs_atom(l, name),
        list(vec![arg]),
    ])
}

pub(crate) fn fun(l: i32, params: Vec<Term>, body: Vec<Term>) -> Term {
    let clause = clause(l, params, body);
    tuple(vec![
        atom("fun"),
        int(l),
        tuple(vec![atom("clauses"), list(vec![clause])]),
    ])
}

/// An abstract list expression of `items`.
pub(crate) fn abs_list(l: i32, items: Vec<Term>) -> Term {
    items
        .into_iter()
        .rev()
        .fold(tuple(vec![atom("nil"), int(l)]), |tail, head| {
            tuple(vec![atom("cons"), int(l), head, tail])
        })
}

fn class_ref(l: i32, name: &str) -> Term {
    tuple(vec![
        atom("tuple"),
        int(l),
        list(vec![abs_atom(l, "$bt_class"), abs_atom(l, name)]),
    ])
}

/// A UTF-8 binary literal.
pub(crate) fn string(l: i32, s: &str) -> Term {
    if s.is_empty() {
        return tuple(vec![atom("bin"), int(l), list(vec![])]);
    }
    let chars = list(
        s.chars()
            .map(|c| int_term(BigInt::from(u32::from(c))))
            .collect(),
    );
    let elem = tuple(vec![
        atom("bin_element"),
        int(l),
        tuple(vec![atom("string"), int(l), chars]),
        atom("default"),
        list(vec![atom("utf8")]),
    ]);
    tuple(vec![atom("bin"), int(l), list(vec![elem])])
}

pub(crate) fn literal(l: i32, lit: &Literal) -> Term {
    match lit {
        Literal::Integer(i) => tuple(vec![atom("integer"), int(l), int_term(i.clone())]),
        Literal::Float(f) => tuple(vec![atom("float"), int(l), Term::from(Float { value: *f })]),
        Literal::String(s) => string(l, s),
        Literal::Symbol(s) => abs_atom(l, s),
        Literal::Char(c) => tuple(vec![atom("integer"), int(l), int_term(BigInt::from(*c))]),
        Literal::Nil => abs_atom(l, "nil"),
        Literal::True => abs_atom(l, "true"),
        Literal::False => abs_atom(l, "false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::parser::parse_statements;
    use crate::term::print::pretty;

    fn gen_repl(src: &str) -> String {
        let stmts = parse_statements(src, 0).expect("parses");
        pretty(
            &Codegen::new(src, Context::Repl)
                .repl(&stmts)
                .expect("generates"),
        )
    }

    #[test]
    fn sends_and_variables() {
        insta::assert_snapshot!(gen_repl("x := 3 + 4"));
        insta::assert_snapshot!(gen_repl("#(1, 2) collect: [:e | e * x]"));
        insta::assert_snapshot!(gen_repl("Transcript show: \"n = {n}\"; cr"));
    }

    #[test]
    fn conditionals_with_literal_blocks_run_in_place() {
        insta::assert_snapshot!(gen_repl("x > 0 ifTrue: [1] ifFalse: [y := 2]"));
        insta::assert_snapshot!(gen_repl("a and: [b]"));
    }

    #[test]
    fn assigning_an_argument_is_an_error() {
        let stmts = parse_statements("[:a | a := 1]", 0).expect("parses");
        let e = Codegen::new("", Context::Repl)
            .repl(&stmts)
            .expect_err("refused");
        assert!(e.message.contains("cannot assign to argument `a`"));
    }
}

/// The module a class compiles to.
pub fn class_module(class: &str) -> String {
    format!("bt_class_{class}")
}

/// The forms of the module for `class` (for `compile:forms/2`); `src` is the text the spans point into.
pub fn class_forms(class: &ClassDef, src: &str) -> Result<Term, Diagnostic> {
    let l = i32::try_from(src[..class.span.start.min(src.len())].matches('\n').count() + 1)
        .unwrap_or(1);
    let module = class_module(&class.name);
    let exports = [
        ("__superclass__", 0),
        ("__modifiers__", 0),
        ("__fields__", 0),
        ("__class_state__", 0),
        ("__selectors__", 0),
        ("__source__", 0),
        ("__respond__", 3),
        ("__class_respond__", 3),
    ];
    let export_list = list(
        exports
            .iter()
            .map(|(f, a)| tuple(vec![atom(f), Term::from(FixInteger::from(*a))]))
            .collect(),
    );
    let class_src = src
        .get(class.span.start..class.span.end)
        .unwrap_or_default();
    let mut forms = vec![
        tuple(vec![
            atom("attribute"),
            int(l),
            atom("module"),
            atom(&module),
        ]),
        tuple(vec![atom("attribute"), int(l), atom("export"), export_list]),
        function(
            l,
            "__superclass__",
            vec![],
            vec![abs_atom(l, &class.superclass)],
        ),
        function(l, "__source__", vec![], vec![string(l, class_src)]),
        function(
            l,
            "__modifiers__",
            vec![],
            vec![abs_list(
                l,
                class.modifiers.iter().map(|m| abs_atom(l, m)).collect(),
            )],
        ),
        function(
            l,
            "__selectors__",
            vec![],
            vec![abs_list(
                l,
                class
                    .methods
                    .iter()
                    .map(|m| abs_atom(l, &m.selector))
                    .collect(),
            )],
        ),
    ];
    let mut cg = Codegen::new(
        src,
        Context::Method {
            class: class.name.clone(),
        },
    );
    let fields = slot_defaults(&mut cg, &class.slots)?;
    forms.push(function(l, "__fields__", vec![], vec![abs_list(l, fields)]));
    let class_state = slot_defaults(&mut cg, &class.class_slots)?;
    forms.push(function(
        l,
        "__class_state__",
        vec![],
        vec![abs_list(l, class_state)],
    ));
    forms.push(respond_function(&mut cg, l, "__respond__", &class.methods)?);
    forms.push(respond_function(
        &mut cg,
        l,
        "__class_respond__",
        &class.class_methods,
    )?);
    forms.push(tuple(vec![atom("eof"), int(l)]));
    Ok(list(forms))
}

/// `[{Name, fun() -> Default end}, ...]` for slot declarations: each default is computed when needed.
fn slot_defaults(cg: &mut Codegen, slots: &[SlotDef]) -> Result<Vec<Term>, Diagnostic> {
    let mut out = Vec::new();
    for slot in slots {
        let sl = cg.line(slot.span);
        let value = match &slot.default {
            Some(e) => cg.expr(e)?,
            None => abs_atom(sl, "nil"),
        };
        let thunk = fun(
            sl,
            vec![],
            vec![
                matched(
                    sl,
                    var(sl, "Frame@"),
                    call(sl, "beamtalk_rt", "new_frame", vec![]),
                ),
                matched(sl, var(sl, "Self@"), abs_atom(sl, "nil")),
                value,
            ],
        );
        out.push(tuple(vec![
            atom("tuple"),
            int(sl),
            list(vec![abs_atom(sl, &slot.name), thunk]),
        ]));
    }
    Ok(out)
}

fn function(l: i32, name: &str, params: Vec<Term>, body: Vec<Term>) -> Term {
    let arity = Term::from(FixInteger::from(i32::try_from(params.len()).unwrap_or(0)));
    let clause = clause(l, params, body);
    tuple(vec![
        atom("function"),
        int(l),
        atom(name),
        arity,
        list(vec![clause]),
    ])
}

/// `name(Selector, Self, Args) -> {ok, Result} | nomethod`, one clause per method.
fn respond_function(
    cg: &mut Codegen,
    l: i32,
    name: &str,
    methods: &[MethodDef],
) -> Result<Term, Diagnostic> {
    let mut clauses = Vec::new();
    for m in methods {
        let ml = cg.line(m.span);
        let params = abs_list(
            ml,
            m.params.iter().map(|p| var(ml, &param_var(p))).collect(),
        );
        let body = cg.method_body(m)?;
        let result = tuple(vec![
            atom("tuple"),
            int(ml),
            list(vec![
                abs_atom(ml, "ok"),
                tuple(vec![atom("block"), int(ml), list(body)]),
            ]),
        ]);
        clauses.push(tuple(vec![
            atom("clause"),
            int(ml),
            list(vec![abs_atom(ml, &m.selector), var(ml, "Self@"), params]),
            list(vec![]),
            list(vec![result]),
        ]));
    }
    let any = || var(l, "_");
    clauses.push(tuple(vec![
        atom("clause"),
        int(l),
        list(vec![any(), any(), any()]),
        list(vec![]),
        list(vec![abs_atom(l, "nomethod")]),
    ]));
    Ok(tuple(vec![
        atom("function"),
        int(l),
        atom(name),
        Term::from(FixInteger::from(3)),
        list(clauses),
    ]))
}

#[cfg(test)]
mod class_tests {
    use super::*;
    use crate::lang::parser::parse;
    use crate::term::print::pretty;

    #[test]
    fn a_value_class_module() {
        let src = "Value subclass: Money\n  field: amount = 0\n  + other => Money amount: self.amount + other amount\n";
        let items = parse(src).expect("parses");
        let crate::lang::ast::Item::Class(c) = &items[0] else {
            panic!("a class")
        };
        insta::assert_snapshot!(pretty(&class_forms(c, src).expect("generates")));
    }

    /// The method body of a class's only method.
    fn method_forms(src: &str) -> String {
        let items = parse(src).expect("parses");
        let crate::lang::ast::Item::Class(c) = &items[0] else {
            panic!("a class")
        };
        let body = Codegen::new(
            src,
            Context::Method {
                class: c.name.clone(),
            },
        )
        .method_body(&c.methods[0])
        .expect("generates");
        pretty(&list(body))
    }

    #[test]
    fn loops_with_literal_blocks_become_local_recursive_funs() {
        insta::assert_snapshot!(method_forms(
            "Object subclass: L\n  sum: n =>\n    s := 0\n    1 to: n do: [:i | s := s + i]\n    s\n"
        ));
        insta::assert_snapshot!(method_forms(
            "Object subclass: L\n  go: n =>\n    n timesRepeat: [self tick]\n    [self ready] whileFalse: [self tick]\n"
        ));
    }
}
