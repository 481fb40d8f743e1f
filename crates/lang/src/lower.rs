//! Lowering: a resolved syntax tree → Erlang abstract format. A REPL line becomes abstract expressions for
//! `erl_eval`; a method becomes the body of a function in its class's module (see `module`).
//!
//! **Variables.** A method's locals are Erlang variables in single assignment: each assignment binds a
//! fresh variable and [`Env`] tracks which one holds each name's value now. Where control flow joins (the
//! branches of an inlined conditional, the end of an inlined loop) the values that changed are passed out
//! explicitly (branches answer tuples, loops take and answer their state), so no Erlang scoping rule about
//! variables bound in `case` clauses is relied on. A block that is not inlined is an Erlang fun: it
//! captures what it reads by value when it is made. The two kinds of variable that cannot be Erlang
//! variables are *cells* (see `beamtalk_rt`): REPL bindings, and a local that a non-inlined block assigns
//! (see `resolve`); a block made at a send that is inlined but falls back to a real send (`ifTrue:` to a
//! non-Boolean) gets cells scoped to that send. Sends are calls to `beamtalk_dispatch:send/3`, except number
//! operators on numbers, literal-block control flow, and `self` sends to the class's own methods, which take
//! a direct path under a guard. Source lines are carried into the forms, so node errors map back.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use eetf::Term;

use super::abi::{self, method_function};
use super::analyse::{Analysis, children};
use super::ast::*;
use super::diagnostic::Diagnostic;
use super::forms::*;
use super::resolve::{self, Resolution, inlined, resolve};
use beamtalk_term::{atom, list, tuple};

/// Where generated code runs.
#[derive(Debug, Clone)]
pub enum Context {
    /// A REPL line: variables are workspace bindings, `self` is nil.
    Repl,
    /// A method of `class`: `self`, fields and `super` are available.
    Method { class: String },
}

/// How generated code reaches a Beamtalk name.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    /// An argument: a read-only Erlang variable.
    Param(String),
    /// A local in an Erlang variable: the one holding its value now, or none yet (nil).
    Var(Option<String>),
    /// A cell of `frame`; inside a block, `snapshot` names the variable holding its value when the block
    /// was made.
    Cell {
        frame: Frame,
        snapshot: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Frame {
    /// REPL bindings.
    Repl,
    /// The method invocation's cells (`Frame@`).
    Method,
    /// Cells scoped to one send, in the named variable.
    Scoped(String),
}

type Env = BTreeMap<String, Slot>;

/// One clause of a `case` whose arms may change locals (see [`Lowerer::join_case`]).
struct Arm {
    patterns: Vec<Term>,
    guards: Vec<Term>,
    body: Vec<Term>,
    env: Env,
}

/// An argument of a fallback send: already lowered, or a block still to be made.
enum Arg<'e> {
    Value(Term),
    Block(&'e Expr),
}

/// Lowers one REPL input or the methods of one class.
pub struct Lowerer {
    line_starts: Vec<usize>,
    context: Context,
    /// Whether the method being lowered is class-side.
    class_side: bool,
    /// Selectors the class defines itself (instance side, class side): `self` sends of these go
    /// straight to the method when the receiver is exactly this class.
    own: (BTreeSet<String>, BTreeSet<String>),
    res: Resolution,
    counter: u32,
    /// A `^` was lowered as a throw: the method needs `beamtalk_rt:invoke/2` to catch it.
    uses_return: bool,
    /// Where a `^` throws to instead of the method's frame (see [`Lowerer::conditional_return`]).
    return_to: Option<String>,
    /// A REPL line being compiled to a module ([`Lowerer::repl_module`]).
    compiled_repl: bool,
    /// Whether control flow with literal blocks is inlined: not inside the blocks of a fallback send,
    /// whose code would otherwise be generated once more per level of nesting (exponential in depth).
    inline: bool,
    /// How many inlined constructs enclose the code being lowered (see [`MAX_INLINE_DEPTH`]).
    inline_depth: usize,
    /// The class is a direct subclass of Actor (see [`Lowerer::actor_class`]).
    actor: bool,
    /// Erlang variables known to hold integers (names are unique, so this only grows): number sends
    /// on them need no guard and no fallback.
    ints: BTreeSet<String>,
    /// The facts of the expressions being lowered (see [`Analysis`]), gathered once per body.
    facts: Analysis,
}

impl Lowerer {
    pub fn new(src: &str, context: Context) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            line_starts,
            context,
            class_side: false,
            own: Default::default(),
            res: Resolution::default(),
            counter: 0,
            uses_return: false,
            return_to: None,
            compiled_repl: false,
            ints: BTreeSet::new(),
            actor: false,
            inline: true,
            inline_depth: 0,
            facts: Analysis::default(),
        }
    }

    /// Declares the selectors the class defines (for direct `self` sends).
    pub fn with_selectors(mut self, instance: BTreeSet<String>, class: BTreeSet<String>) -> Self {
        self.own = (instance, class);
        self
    }

    /// Declares the class a direct subclass of Actor: its instance methods reach fields directly.
    pub fn actor_class(mut self, actor: bool) -> Self {
        self.actor = actor;
        self
    }

    /// Whether `self.x` is a slot of the running actor's process (instance side of an Actor subclass).
    fn actor_fields(&self) -> bool {
        self.actor && !self.class_side
    }

    pub fn line(&self, span: Span) -> i32 {
        let idx = self.line_starts.partition_point(|&s| s <= span.start);
        i32::try_from(idx.max(1)).unwrap_or(i32::MAX)
    }

    /// The abstract expressions of a REPL line (a list term for `erl_eval:exprs/2`).
    pub fn repl(&mut self, stmts: &[Expr]) -> Result<Term, Diagnostic> {
        self.facts = Analysis::of(stmts);
        let mut env = Env::new();
        Ok(list(self.seq(stmts, &mut env)?))
    }

    /// A REPL line as a module whose `run/0` evaluates it (see `beamtalk_repl_eval`), for lines where a
    /// loop makes compiling pay ([`worth_compiling`]). The bindings the line uses are Erlang variables
    /// for its length, loaded at the start; each statement stores the bindings it changed when it
    /// completes and saves them (`beamtalk_repl_eval:checkpoint/0`), so an interrupted line keeps what it
    /// finished.
    pub fn repl_module(&mut self, stmts: &[Expr]) -> Result<Term, Diagnostic> {
        let l = stmts.first().map_or(1, |s| self.line(s.span));
        let (mut res, free) = resolve::resolve_open(&[], stmts)?;
        // A name a block owns is a binding at the REPL, as in an interpreted line.
        for names in std::mem::take(&mut res.block_locals).into_values() {
            res.cells.extend(names);
        }
        self.res = res;
        self.facts = Analysis::of(stmts);
        self.compiled_repl = true;
        let mut env = Env::new();
        let mut body = Vec::new();
        for name in self.res.body_locals.clone() {
            if self.res.cells.contains(&name) {
                env.insert(name, self.local_slot(""));
                continue;
            }
            let v = self.fresh_var(&name);
            let load = abi::call(
                l,
                abi::GET_OR,
                vec![abs_atom(l, "repl"), abs_atom(l, &name), abs_atom(l, "nil")],
            );
            body.push(matched(l, var(l, &v), load));
            env.insert(name, Slot::Var(Some(v)));
        }
        let mut unloaded: BTreeSet<String> = free.into_iter().map(|(n, _)| n).collect();
        for s in stmts {
            let sl = self.line(s.span);
            // A binding the line only reads is loaded by the first statement that reads it, so the
            // statements before an undefined one still complete, as in an interpreted line.
            for name in self.facts.get(s).read.iter().cloned() {
                if unloaded.remove(&name) {
                    let v = self.fresh_var(&name);
                    let load = abi::call(
                        sl,
                        abi::GET,
                        vec![abs_atom(sl, "repl"), abs_atom(sl, &name)],
                    );
                    body.push(matched(sl, var(sl, &v), load));
                    env.insert(name, Slot::Var(Some(v)));
                }
            }
            let before = env.clone();
            let t = self.expr(s, &mut env)?;
            let stores: Vec<Term> = env
                .iter()
                .filter(|(n, slot)| {
                    matches!(slot, Slot::Var(Some(_))) && before.get(*n) != Some(*slot)
                })
                .map(|(n, _)| {
                    let value = self.current(sl, n, &env);
                    abi::call(
                        sl,
                        abi::SET,
                        vec![abs_atom(sl, "repl"), abs_atom(sl, n), value],
                    )
                })
                .collect();
            if stores.is_empty() {
                body.push(t);
                continue;
            }
            let r = self.fresh("R");
            body.push(matched(sl, var(sl, &r), t));
            body.extend(stores);
            // Saved now: an interrupt later in the line keeps them.
            body.push(abi::call(sl, abi::CHECKPOINT, vec![]));
            body.push(var(sl, &r));
        }
        if stmts.is_empty() {
            body.push(abs_atom(l, "nil"));
        }
        let export = list(vec![tuple(vec![atom("run"), int(0)])]);
        Ok(list(vec![
            attribute(l, "module", atom(abi::REPL_MODULE)),
            attribute(l, "export", export),
            function(l, "run", vec![], body),
            tuple(vec![atom("eof"), int(l)]),
        ]))
    }

    /// The body of an instance method: its parameters are `P_<name>`, the receiver `Self@`.
    pub fn method_body(&mut self, m: &MethodDef) -> Result<Vec<Term>, Diagnostic> {
        self.class_side = false;
        let params: Vec<String> = m.params.iter().map(|p| param_var(p)).collect();
        self.body(&m.params, &params, &m.body, self.line(m.span))
    }

    /// The clauses of a method's function, whose head is the receiver `Self@` then the arguments. When
    /// arguments are operands of number sends (`fib: n` sends `n < 2`, `n - 1`) and the method is small,
    /// a first clause takes them when they are integers, with those sends as bare Erlang operators.
    pub fn method_clauses(
        &mut self,
        m: &MethodDef,
        class_side: bool,
    ) -> Result<Vec<Term>, Diagnostic> {
        self.class_side = class_side;
        let l = self.line(m.span);
        let head = |params: &[String]| {
            let mut h = vec![var(l, "Self@")];
            h.extend(params.iter().map(|p| var(l, p)));
            h
        };
        let generic_params: Vec<String> = m.params.iter().map(|p| param_var(p)).collect();
        let generic = self.body(&m.params, &generic_params, &m.body, l)?;
        let facts = self.facts.of_body(&m.body);
        let guarded: Vec<&String> = m
            .params
            .iter()
            .filter(|p| facts.number_operands.contains(*p))
            .collect();
        let mut clauses = Vec::new();
        if !guarded.is_empty() && facts.size <= SPECIALIZE_MAX {
            let fast_params: Vec<String> = m.params.iter().map(|p| format!("PI_{p}")).collect();
            let guards = guarded
                .iter()
                .map(|p| {
                    let v = format!("PI_{p}");
                    self.ints.insert(v.clone());
                    bif(l, "is_integer", vec![var(l, &v)])
                })
                .collect();
            let fast = self.body(&m.params, &fast_params, &m.body, l)?;
            clauses.push(guarded_clause(l, head(&fast_params), guards, fast));
        }
        clauses.push(clause(l, head(&generic_params), generic));
        self.class_side = false;
        Ok(clauses)
    }

    /// The statements of a slot default (no parameters; `self` is nil).
    pub fn default_body(&mut self, e: &Expr) -> Result<Vec<Term>, Diagnostic> {
        let l = self.line(e.span);
        let mut body = vec![matched(l, var(l, "Self@"), abs_atom(l, "nil"))];
        body.extend(self.body(&[], &[], std::slice::from_ref(e), l)?);
        Ok(body)
    }

    /// A body whose parameters `params` are in Erlang variables `vars`.
    fn body(
        &mut self,
        params: &[String],
        vars: &[String],
        stmts: &[Expr],
        l: i32,
    ) -> Result<Vec<Term>, Diagnostic> {
        self.res = resolve(params, stmts)?;
        self.facts = Analysis::of(stmts);
        self.uses_return = false;
        let mut env = Env::new();
        for (p, v) in params.iter().zip(vars) {
            env.insert(p.clone(), Slot::Param(v.clone()));
        }
        for n in self.res.body_locals.clone() {
            let slot = self.local_slot(&n);
            env.insert(n, slot);
        }
        let mut body = self.method_seq(stmts, &mut env)?;
        if body.is_empty() {
            body.push(var(l, "Self@"));
        }
        if self.res.cells.is_empty() && !self.uses_return {
            return Ok(body);
        }
        let cells = self.res.cells.iter().map(|c| abs_atom(l, c)).collect();
        Ok(vec![abi::call(
            l,
            abi::INVOKE,
            vec![abs_list(l, cells), fun(l, vec![var(l, "Frame@")], body)],
        )])
    }

    fn local_slot(&self, name: &str) -> Slot {
        match self.compiled_repl || self.res.cells.contains(name) {
            true => Slot::Cell {
                frame: match self.compiled_repl {
                    true => Frame::Repl,
                    false => Frame::Method,
                },
                snapshot: None,
            },
            false => Slot::Var(None),
        }
    }

    fn fresh(&mut self, base: &str) -> String {
        self.counter += 1;
        format!("{base}@{}", self.counter)
    }

    /// A fresh Erlang variable for Beamtalk name `name`.
    fn fresh_var(&mut self, name: &str) -> String {
        self.counter += 1;
        format!("V{}_{name}", self.counter)
    }

    fn is_method(&self) -> bool {
        matches!(self.context, Context::Method { .. })
    }

    /// Whether the code is compiled (not interpreted by `erl_eval`, where a guarded direct path costs
    /// more to interpret than the send it saves).
    fn compiled(&self) -> bool {
        self.is_method() || self.compiled_repl
    }

    /// Statements in order; the value of the last (nil if none).
    fn seq(&mut self, stmts: &[Expr], env: &mut Env) -> Result<Vec<Term>, Diagnostic> {
        let mut out = stmts
            .iter()
            .map(|s| self.expr(s, env))
            .collect::<Result<Vec<_>, _>>()?;
        if out.is_empty() {
            out.push(abs_atom(0, "nil"));
        }
        Ok(out)
    }

    /// A method's statements, where a `^` at the top, or at the end of a branch of an inlined conditional
    /// at the top, ends the method without a throw.
    fn method_seq(&mut self, stmts: &[Expr], env: &mut Env) -> Result<Vec<Term>, Diagnostic> {
        let mut out = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            if let ExprKind::Return(v) = &s.kind {
                out.push(self.expr(v, env)?);
                return Ok(out);
            }
            if returning_conditional(s) {
                out.push(self.conditional_return(s, &stmts[i + 1..], env)?);
                return Ok(out);
            }
            out.push(self.expr(s, env)?);
        }
        Ok(out)
    }

    fn expr(&mut self, e: &Expr, env: &mut Env) -> Result<Term, Diagnostic> {
        let l = self.line(e.span);
        Ok(match &e.kind {
            ExprKind::Literal(lit) => literal(l, lit),
            ExprKind::Var(name) => self.read(l, name, e.span, env)?,
            // The workspace's transcript is an actor found when the code runs, not a class.
            ExprKind::Global(name) if name == "Transcript" => abi::call(l, abi::TRANSCRIPT, vec![]),
            ExprKind::Global(name) => class_ref(l, name),
            ExprKind::Field(name) if self.actor_fields() => {
                // An actor's fields are its process's `{bt_slot, Name}` entries (`beamtalk_rt:field/2`).
                let v = self.fresh("Slot");
                let found = abs_tuple(l, vec![abs_atom(l, "value"), var(l, &v)]);
                case(
                    l,
                    bif(l, "get", vec![slot_key(l, name)]),
                    vec![
                        clause(l, vec![found], vec![var(l, &v)]),
                        clause(l, vec![var(l, "_")], vec![abs_atom(l, "nil")]),
                    ],
                )
            }
            ExprKind::Field(name) => {
                let this = self.self_term(l, e.span)?;
                abi::call(l, abi::FIELD, vec![this, abs_atom(l, name)])
            }
            ExprKind::Assign {
                target: AssignTarget::Var(name),
                value,
            } => {
                let v = self.expr(value, env)?;
                self.assign(l, name, v, e.span, env)?
            }
            ExprKind::Assign {
                target: AssignTarget::Field(name),
                value,
            } => {
                let v = self.expr(value, env)?;
                if self.actor_fields() {
                    let t = self.fresh("T");
                    let stored = abs_tuple(l, vec![abs_atom(l, "value"), var(l, &t)]);
                    return Ok(begin(
                        l,
                        vec![
                            matched(l, var(l, &t), v),
                            bif(l, "put", vec![slot_key(l, name), stored]),
                            var(l, &t),
                        ],
                    ));
                }
                let this = self.self_term(l, e.span)?;
                abi::call(l, abi::SET_FIELD, vec![this, abs_atom(l, name), v])
            }
            ExprKind::Send {
                receiver,
                selector,
                args,
                cast: false,
            } if self.inline && inlined(selector, receiver, args).is_some() => {
                if self.inline_depth >= MAX_INLINE_DEPTH {
                    return self.plain_send(l, receiver, selector, args, env);
                }
                self.inline_depth += 1;
                let out = self.inline_send(l, receiver, selector, args, env);
                self.inline_depth -= 1;
                out?
            }
            ExprKind::Send {
                receiver,
                selector,
                args,
                cast,
            } => self.send(l, receiver, selector, args, *cast, env)?,
            ExprKind::SuperSend { selector, args } => {
                let Context::Method { class } = &self.context else {
                    return Err(Diagnostic::new(
                        e.span,
                        "`super` is only meaningful inside a method",
                        "no superclass here",
                    ));
                };
                let class = abs_atom(l, class);
                let (mut pre, vals) = self.operands(l, &args.iter().collect::<Vec<_>>(), env)?;
                pre.push(abi::call(
                    l,
                    abi::SUPER_SEND,
                    vec![
                        class,
                        var(l, "Self@"),
                        abs_atom(l, selector),
                        abs_list(l, vals),
                    ],
                ));
                begin(l, pre)
            }
            ExprKind::Cascade { receiver, messages } => {
                let tmp = self.fresh("Cascade");
                let r = self.expr(receiver, env)?;
                let mut body = vec![matched(l, var(l, &tmp), r)];
                for (sel, args, span) in messages {
                    let ml = self.line(*span);
                    let (pre, vals) = self.operands(ml, &args.iter().collect::<Vec<_>>(), env)?;
                    body.extend(pre);
                    body.push(send(ml, var(ml, &tmp), sel, vals));
                }
                begin(l, body)
            }
            ExprKind::Block { params, body } => self.block_fun(l, e.span, params, body, env)?,
            ExprKind::Return(v) => {
                let v = self.expr(v, env)?;
                let target = match &self.return_to {
                    Some(tag) => var(l, tag),
                    None => {
                        self.uses_return |= self.is_method();
                        self.frame_term(l, &Frame::Method)
                    }
                };
                abi::call(l, abi::NON_LOCAL_RETURN, vec![target, v])
            }
            ExprKind::Array(items) => {
                let (mut pre, vals) = self.operands(l, &items.iter().collect::<Vec<_>>(), env)?;
                pre.push(abi::call(l, abi::ARRAY, vec![abs_list(l, vals)]));
                begin(l, pre)
            }
            ExprKind::List(items) => {
                let (mut pre, vals) = self.operands(l, &items.iter().collect::<Vec<_>>(), env)?;
                pre.push(abs_list(l, vals));
                begin(l, pre)
            }
            ExprKind::Dict(pairs) => {
                let flat: Vec<&Expr> = pairs.iter().flat_map(|(k, v)| [k, v]).collect();
                let (mut pre, vals) = self.operands(l, &flat, env)?;
                let assocs = vals
                    .chunks(2)
                    .map(|kv| {
                        tuple(vec![
                            atom("map_field_assoc"),
                            int(l),
                            kv[0].clone(),
                            kv[1].clone(),
                        ])
                    })
                    .collect();
                pre.push(tuple(vec![atom("map"), int(l), list(assocs)]));
                begin(l, pre)
            }
            ExprKind::Interpolated(pieces) => {
                let exprs: Vec<&Expr> = pieces
                    .iter()
                    .filter_map(|p| match p {
                        Piece::Expr(x) => Some(x),
                        Piece::Text(_) => None,
                    })
                    .collect();
                let (mut pre, vals) = self.operands(l, &exprs, env)?;
                let mut vals = vals.into_iter();
                let parts = pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Text(t) => string(l, t),
                        Piece::Expr(_) => vals.next().unwrap_or_else(|| abs_atom(l, "nil")),
                    })
                    .collect();
                pre.push(abi::call(l, abi::INTERPOLATE, vec![abs_list(l, parts)]));
                begin(l, pre)
            }
            ExprKind::Match { value, arms } => self.match_arms(l, value, arms, env)?,
            ExprKind::Destructure { pattern, value } => {
                self.destructure(l, pattern, value, e.span, env)?
            }
        })
    }

    /// A send that could be inlined, made as an ordinary send (nested too deep to inline: each inlined
    /// level also carries its blocks as funs for the fallback, so inlining every level would generate
    /// code quadratic in the depth).
    fn plain_send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        args: &[Expr],
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let Some(inl) = inlined(selector, receiver, args) else {
            return self.send(l, receiver, selector, args, false, env);
        };
        let mut pre = Vec::new();
        let mut vals = Vec::new();
        for (part, inline) in inl.operands(receiver, args) {
            vals.push(match inline {
                true => Arg::Block(part),
                false => {
                    let t = self.expr(part, env)?;
                    Arg::Value(self.bound(l, t, &mut pre))
                }
            });
        }
        let recv = vals.remove(0);
        pre.extend(self.fallback(l, recv, selector, vals, env)?);
        Ok(begin(l, pre))
    }

    /// Lowers the operands of one construct in order. When one of them assigns a local, each is bound
    /// to a temporary first (Erlang evaluates arguments in no fixed order, and a variable bound in one
    /// argument cannot be read by another); the statements to run first and the operand terms.
    fn operands(
        &mut self,
        l: i32,
        es: &[&Expr],
        env: &mut Env,
    ) -> Result<(Vec<Term>, Vec<Term>), Diagnostic> {
        let hoist = es.len() > 1 && es.iter().any(|e| self.facts.get(e).binds);
        let mut pre = Vec::new();
        let mut vals = Vec::new();
        for e in es {
            let t = self.expr(e, env)?;
            if hoist {
                let v = self.fresh("T");
                pre.push(matched(l, var(l, &v), t));
                vals.push(var(l, &v));
            } else {
                vals.push(t);
            }
        }
        Ok((pre, vals))
    }

    /// Binds `t` to a fresh variable (in `pre`) unless it is one already; the variable.
    fn bound(&mut self, l: i32, t: Term, pre: &mut Vec<Term>) -> Term {
        if is_var(&t) {
            return t;
        }
        let v = self.fresh("T");
        pre.push(matched(l, var(l, &v), t));
        var(l, &v)
    }

    fn send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        args: &[Expr],
        cast: bool,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        if let (false, true, Some(operator), [arg]) =
            (cast, self.compiled(), number_op(selector), args)
        {
            return self.number_send(l, receiver, selector, operator, arg, env);
        }
        let ops: Vec<&Expr> = std::iter::once(receiver).chain(args).collect();
        let (mut pre, mut vals) = self.operands(l, &ops, env)?;
        let r = vals.remove(0);
        if !cast && self.own_method(receiver, selector) {
            let r = self.bound(l, r, &mut pre);
            let mut args = Vec::new();
            for v in vals {
                args.push(self.bound(l, v, &mut pre));
            }
            pre.push(self.self_send(l, r, selector, args));
            return Ok(begin(l, pre));
        }
        pre.push(match cast {
            true => abi::call(
                l,
                abi::CAST,
                vec![r, abs_atom(l, selector), abs_list(l, vals)],
            ),
            false => send(l, r, selector, vals),
        });
        Ok(begin(l, pre))
    }

    /// Whether `receiver selector` is `self` sending a method this class defines on that side.
    fn own_method(&self, receiver: &Expr, selector: &str) -> bool {
        let own = match self.class_side {
            false => &self.own.0,
            true => &self.own.1,
        };
        matches!(&receiver.kind, ExprKind::Var(n) if n == "self") && own.contains(selector)
    }

    /// `self sel args` to a method of this class: the method's function when `self` is exactly an
    /// instance of this class (an actor only in its own process), the ordinary send otherwise (a
    /// subclass may override it).
    fn self_send(&mut self, l: i32, this: Term, selector: &str, args: Vec<Term>) -> Term {
        let Context::Method { class } = &self.context else {
            return send(l, this, selector, args);
        };
        let class = class.clone();
        let mut direct_args = vec![this.clone()];
        direct_args.extend(args.iter().cloned());
        let (tag, pid) = (self.fresh("Tag"), self.fresh("Pid"));
        let slow = clause(
            l,
            vec![var(l, "_")],
            vec![send(l, this.clone(), selector, args)],
        );
        let direct = match self.class_side {
            false => {
                let pattern = abs_tuple(l, vec![var(l, &tag), abs_atom(l, &class), var(l, &pid)]);
                // `Tag =/= '$bt_actor' ; Pid =:= self()`: value objects anywhere, actors in their process.
                let guards = list(vec![
                    list(vec![op(
                        l,
                        "=/=",
                        var(l, &tag),
                        abs_atom(l, abi::ACTOR_TAG),
                    )]),
                    list(vec![op(l, "=:=", var(l, &pid), bif(l, "self", vec![]))]),
                ]);
                tuple(vec![
                    atom("clause"),
                    int(l),
                    list(vec![pattern]),
                    guards,
                    list(vec![local(
                        l,
                        &method_function(selector, false),
                        direct_args,
                    )]),
                ])
            }
            true => clause(
                l,
                vec![class_ref(l, &class)],
                vec![local(l, &method_function(selector, true), direct_args)],
            ),
        };
        case(l, this, vec![direct, slow])
    }

    /// `a + b` and friends: Erlang's own operator when both are numbers of the kind the operator cannot
    /// fail on, an ordinary send otherwise.
    fn number_send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        (operator, guard): (&str, &str),
        arg: &Expr,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let (mut pre, vals) = self.operands(l, &[receiver, arg], env)?;
        if !matches!(operator, "div" | "rem") && vals.iter().all(|v| self.is_int(v)) {
            pre.push(op(l, operator, vals[0].clone(), vals[1].clone()));
            return Ok(begin(l, pre));
        }
        let (x, y) = (self.fresh("X"), self.fresh("Y"));
        let both = || abs_tuple(l, vec![var(l, &x), var(l, &y)]);
        let mut guards = vec![
            bif(l, guard, vec![var(l, &x)]),
            bif(l, guard, vec![var(l, &y)]),
        ];
        // Erlang's `rem` truncates and Beamtalk's `\\` floors: they agree for a non-negative dividend and a
        // positive divisor, which is all the direct path takes (`div:` truncates as `div` does, and takes
        // the same path so the two stay alike).
        if matches!(operator, "div" | "rem") {
            guards.push(op(l, ">=", var(l, &x), integer(l, 0)));
            guards.push(op(l, ">", var(l, &y), integer(l, 0)));
        }
        let fast = guarded_clause(
            l,
            vec![both()],
            guards,
            vec![op(l, operator, var(l, &x), var(l, &y))],
        );
        let slow = clause(
            l,
            vec![both()],
            vec![send(l, var(l, &x), selector, vec![var(l, &y)])],
        );
        pre.push(case(l, abs_tuple(l, vals), vec![fast, slow]));
        Ok(begin(l, pre))
    }

    fn read(&mut self, l: i32, name: &str, span: Span, env: &Env) -> Result<Term, Diagnostic> {
        match name {
            "self" => {
                return Ok(match self.context {
                    Context::Repl => abs_atom(l, "nil"),
                    Context::Method { .. } => var(l, "Self@"),
                });
            }
            "super" => {
                return Err(Diagnostic::new(
                    span,
                    "`super` must be followed by a message",
                    "send a message to super",
                ));
            }
            _ => {}
        }
        Ok(match self.slot(name, span, env)? {
            Slot::Param(v) | Slot::Var(Some(v)) => var(l, &v),
            Slot::Var(None) => abs_atom(l, "nil"),
            Slot::Cell {
                frame,
                snapshot: None,
            } => abi::call(
                l,
                abi::GET,
                vec![self.frame_term(l, &frame), abs_atom(l, name)],
            ),
            Slot::Cell {
                frame,
                snapshot: Some(s),
            } => abi::call(
                l,
                abi::GET_OR,
                vec![self.frame_term(l, &frame), abs_atom(l, name), var(l, &s)],
            ),
        })
    }

    /// The slot of `name`: at the REPL every name that is not an argument is a binding.
    fn slot(&self, name: &str, span: Span, env: &Env) -> Result<Slot, Diagnostic> {
        match (env.get(name), &self.context) {
            (Some(s), _) => Ok(s.clone()),
            (None, Context::Repl) => Ok(Slot::Cell {
                frame: Frame::Repl,
                snapshot: None,
            }),
            (None, Context::Method { .. }) => Err(Diagnostic::new(
                span,
                format!("undefined variable `{name}`"),
                "not an argument, and never assigned here",
            )),
        }
    }

    fn assign(
        &mut self,
        l: i32,
        name: &str,
        value: Term,
        span: Span,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        match self.slot(name, span, env)? {
            Slot::Param(_) => Err(Diagnostic::new(
                span,
                format!("cannot assign to argument `{name}`"),
                "arguments are read-only",
            )
            .with_hint("assign to a new variable instead")),
            Slot::Var(_) => {
                let v = self.fresh_var(name);
                if self.is_int(&value) {
                    self.ints.insert(v.clone());
                }
                env.insert(name.to_owned(), Slot::Var(Some(v.clone())));
                Ok(matched(l, var(l, &v), value))
            }
            Slot::Cell { frame, .. } => Ok(abi::call(
                l,
                abi::SET,
                vec![self.frame_term(l, &frame), abs_atom(l, name), value],
            )),
        }
    }

    /// Whether the value of abstract expression `t` is surely an integer: an integer literal, a variable
    /// known to hold one, or `+ - *` of such.
    fn is_int(&self, t: &Term) -> bool {
        let Term::Tuple(t) = t else {
            return false;
        };
        match t.elements.as_slice() {
            [Term::Atom(tag), _, _] if tag.name == "integer" => true,
            [Term::Atom(tag), _, Term::Atom(name)] if tag.name == "var" => {
                self.ints.contains(&name.name)
            }
            [Term::Atom(tag), _, Term::Atom(o), a, b] if tag.name == "op" => {
                matches!(o.name.as_str(), "+" | "-" | "*") && self.is_int(a) && self.is_int(b)
            }
            _ => false,
        }
    }

    /// The current value of local `name` as a term (nil before its first assignment).
    fn current(&self, l: i32, name: &str, env: &Env) -> Term {
        match env.get(name) {
            Some(Slot::Var(Some(v)) | Slot::Param(v)) => var(l, v),
            _ => abs_atom(l, "nil"),
        }
    }

    fn frame_term(&self, l: i32, frame: &Frame) -> Term {
        match (frame, &self.context) {
            (Frame::Repl, _) | (Frame::Method, Context::Repl) => abs_atom(l, "repl"),
            (Frame::Method, Context::Method { .. }) => var(l, "Frame@"),
            (Frame::Scoped(v), _) => var(l, v),
        }
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

    /// A block that is not inlined: an Erlang fun. It captures the locals it reads by value; for each
    /// cell it reads it carries a snapshot (see `beamtalk_rt`).
    fn block_fun(
        &mut self,
        l: i32,
        span: Span,
        params: &[String],
        body: &[Expr],
        env: &Env,
    ) -> Result<Term, Diagnostic> {
        let mut inner = env.clone();
        let mut pre = Vec::new();
        let read = self.facts.of_body(body).read;
        for name in read.iter().cloned() {
            if params.contains(&name) {
                continue;
            }
            let Ok(Slot::Cell { frame, snapshot }) = self.slot(&name, span, env) else {
                continue;
            };
            let s = self.fresh("Snap");
            let mut args = vec![self.frame_term(l, &frame), abs_atom(l, &name)];
            let read = match &snapshot {
                // A block inside a block: the live cell, else the outer block's snapshot.
                Some(outer) => {
                    args.push(var(l, outer));
                    abi::GET_OR
                }
                None => abi::PEEK,
            };
            pre.push(matched(l, var(l, &s), abi::call(l, read, args)));
            inner.insert(
                name,
                Slot::Cell {
                    frame,
                    snapshot: Some(s),
                },
            );
        }
        let mut ps = Vec::new();
        for p in params {
            let v = self.fresh_var(p);
            ps.push(var(l, &v));
            inner.insert(p.clone(), Slot::Param(v));
        }
        if let Some(own) = self.res.block_locals.get(&span.start).cloned() {
            for n in own {
                let slot = self.local_slot(&n);
                inner.insert(n, slot);
            }
        }
        let b = self.seq(body, &mut inner)?;
        pre.push(fun(l, ps, b));
        Ok(begin(l, pre))
    }

    /// A `case` on `subject` whose arms may assign locals: each arm answers its value with the values of
    /// the locals any arm changed, and they are bound to fresh variables after it.
    fn join_case(&mut self, l: i32, subject: Term, arms: Vec<Arm>, env: &mut Env) -> Term {
        let changed: Vec<String> = env
            .iter()
            .filter(|(n, s)| {
                matches!(s, Slot::Var(_)) && arms.iter().any(|a| a.env.get(*n) != Some(*s))
            })
            .map(|(n, _)| n.clone())
            .collect();
        if changed.is_empty() {
            let clauses = arms
                .into_iter()
                .map(|a| guarded_clause(l, a.patterns, a.guards, a.body))
                .collect();
            return case(l, subject, clauses);
        }
        let mut clauses = Vec::new();
        for mut a in arms {
            let r = self.fresh("R");
            let last = a.body.pop().unwrap_or_else(|| abs_atom(l, "nil"));
            a.body.push(matched(l, var(l, &r), last));
            let mut out = vec![var(l, &r)];
            out.extend(changed.iter().map(|n| self.current(l, n, &a.env)));
            a.body.push(abs_tuple(l, out));
            clauses.push(guarded_clause(l, a.patterns, a.guards, a.body));
        }
        let r = self.fresh("R");
        let mut pattern = vec![var(l, &r)];
        for n in &changed {
            let v = self.fresh_var(n);
            pattern.push(var(l, &v));
            env.insert(n.clone(), Slot::Var(Some(v)));
        }
        begin(
            l,
            vec![
                matched(l, abs_tuple(l, pattern), case(l, subject, clauses)),
                var(l, &r),
            ],
        )
    }

    /// The locals (Erlang variables now) that the statements of `blocks` assign: the state an inlined
    /// loop carries, or what a fallback send's cells hold.
    fn assigned_locals(&self, blocks: &[&Expr], env: &Env) -> Vec<String> {
        let mut names = BTreeSet::new();
        for b in blocks {
            names.extend(self.facts.get(b).assigned.iter().cloned());
        }
        names
            .into_iter()
            .filter(|n| matches!(env.get(n), Some(Slot::Var(_))))
            .collect()
    }

    /// The ordinary send that an inlined construct falls back to; block arguments that assign the
    /// caller's locals get cells for the length of the send.
    fn fallback(
        &mut self,
        l: i32,
        receiver: Arg,
        selector: &str,
        args: Vec<Arg>,
        env: &mut Env,
    ) -> Result<Vec<Term>, Diagnostic> {
        let blocks: Vec<&Expr> = std::iter::once(&receiver)
            .chain(&args)
            .filter_map(|a| match a {
                Arg::Block(b) => Some(*b),
                Arg::Value(_) => None,
            })
            .collect();
        let assigned = self.assigned_locals(&blocks, env);
        let mut inner = env.clone();
        let frame = self.fresh("Cells");
        for n in &assigned {
            inner.insert(
                n.clone(),
                Slot::Cell {
                    frame: Frame::Scoped(frame.clone()),
                    snapshot: None,
                },
            );
        }
        // The blocks are already generated inline once: here they are plain funs all the way down (their
        // locals are cells either way, so behaviour is the same).
        let inline = std::mem::replace(&mut self.inline, false);
        let mut vals = Vec::new();
        for a in std::iter::once(receiver).chain(args) {
            vals.push(match a {
                Arg::Value(t) => t,
                Arg::Block(b) => match self.expr(b, &mut inner) {
                    Ok(t) => t,
                    Err(e) => {
                        self.inline = inline;
                        return Err(e);
                    }
                },
            });
        }
        self.inline = inline;
        let receiver = vals.remove(0);
        let sent = send(l, receiver, selector, vals);
        if assigned.is_empty() {
            return Ok(vec![sent]);
        }
        let names = assigned.iter().map(|n| abs_atom(l, n)).collect();
        let values = assigned.iter().map(|n| self.current(l, n, env)).collect();
        let r = self.fresh("R");
        let mut news = Vec::new();
        for n in &assigned {
            let v = self.fresh_var(n);
            news.push(var(l, &v));
            env.insert(n.clone(), Slot::Var(Some(v)));
        }
        let scoped = abi::call(
            l,
            abi::SCOPED,
            vec![
                abs_list(l, names),
                abs_list(l, values),
                fun(l, vec![var(l, &frame)], vec![sent]),
            ],
        );
        Ok(vec![
            matched(l, abs_tuple(l, vec![var(l, &r), abs_list(l, news)]), scoped),
            var(l, &r),
        ])
    }

    fn inline_send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        args: &[Expr],
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        if let Some(branches) = condition_branches(selector) {
            return self.condition(l, receiver, selector, branches, args, env);
        }
        match selector {
            "to:do:" => self.counting_loop(l, receiver, &args[0], &args[1], env),
            "timesRepeat:" => self.times_repeat(l, receiver, &args[0], env),
            "whileTrue:" | "whileFalse:" => {
                self.while_loop(l, receiver, selector == "whileTrue:", &args[0], env)
            }
            _ => self.list_send(l, receiver, selector, args, env),
        }
    }

    /// `c ifTrue: [...] ifFalse: [...]`, `and:`, `or:` with literal blocks: the blocks' statements run in
    /// place when `c` is a Boolean; any other receiver gets the ordinary send.
    fn condition(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        (on_true, on_false): (Branch, Branch),
        args: &[Expr],
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let c = self.expr(receiver, env)?;
        let mut arms = Vec::new();
        for (value, b) in [("true", on_true), ("false", on_false)] {
            let mut benv = env.clone();
            let body = self.branch(l, b, args, &mut benv)?;
            arms.push(Arm {
                patterns: vec![abs_atom(l, value)],
                guards: vec![],
                body,
                env: benv,
            });
        }
        let other = self.fresh("Other");
        let mut oenv = env.clone();
        let body = self.fallback(
            l,
            Arg::Value(var(l, &other)),
            selector,
            args.iter().map(Arg::Block).collect(),
            &mut oenv,
        )?;
        arms.push(Arm {
            patterns: vec![var(l, &other)],
            guards: vec![],
            body,
            env: oenv,
        });
        Ok(self.join_case(l, c, arms, env))
    }

    fn branch(
        &mut self,
        l: i32,
        b: Branch,
        args: &[Expr],
        env: &mut Env,
    ) -> Result<Vec<Term>, Diagnostic> {
        Ok(match b {
            Branch::Arg(i) => self.inline_body(&args[i], env)?,
            Branch::Const(v) => vec![abs_atom(l, v)],
            Branch::IsTrue(i) => {
                let mut body = self.inline_body(&args[i], env)?;
                let last = body.pop().unwrap_or_else(|| abs_atom(l, "nil"));
                body.push(op(l, "=:=", last, abs_atom(l, "true")));
                body
            }
        })
    }

    /// The statements of a literal block, run in place.
    fn inline_body(&mut self, b: &Expr, env: &mut Env) -> Result<Vec<Term>, Diagnostic> {
        match &b.kind {
            ExprKind::Block { body, .. } => self.seq(body, env),
            _ => Ok(vec![self.expr(b, env)?]),
        }
    }

    /// A top-level conditional one of whose blocks ends in `^`: its branches answer `{'$ret', V}` (the
    /// method's value) or `{'$cont', V, Locals...}`, and the statements after it run in the second case.
    fn conditional_return(
        &mut self,
        s: &Expr,
        rest: &[Expr],
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let l = self.line(s.span);
        let ExprKind::Send {
            receiver,
            selector,
            args,
            ..
        } = &s.kind
        else {
            return self.expr(s, env);
        };
        let Some((on_true, on_false)) = condition_branches(selector) else {
            return self.expr(s, env);
        };
        let c = self.expr(receiver, env)?;
        let mut arms = Vec::new();
        for (value, b) in [("true", on_true), ("false", on_false)] {
            let mut benv = env.clone();
            let (body, returns) = match b {
                Branch::Arg(i) => self.returning_branch(&args[i], &mut benv)?,
                _ => (self.branch(l, b, args, &mut benv)?, false),
            };
            arms.push((vec![abs_atom(l, value)], body, returns, benv));
        }
        // A `^` in a block sent to a non-Boolean ends the method through a throw caught right here, so
        // the usual path needs no frame.
        let (other, tag) = (self.fresh("Other"), self.fresh("Ret"));
        let mut oenv = env.clone();
        let saved = self.return_to.replace(tag.clone());
        let body = self.fallback(
            l,
            Arg::Value(var(l, &other)),
            selector,
            args.iter().map(Arg::Block).collect(),
            &mut oenv,
        );
        self.return_to = saved;
        arms.push((vec![var(l, &other)], body?, false, oenv));
        if !rest.iter().any(returning_conditional) {
            return self.continue_in_arms(l, c, arms, &tag, rest);
        }
        let changed: Vec<String> = env
            .iter()
            .filter(|(n, s)| {
                matches!(s, Slot::Var(_)) && arms.iter().any(|a| !a.2 && a.3.get(*n) != Some(*s))
            })
            .map(|(n, _)| n.clone())
            .collect();
        let mut clauses = Vec::new();
        let fallback_arm = arms.len() - 1;
        for (k, (patterns, mut body, returns, aenv)) in arms.into_iter().enumerate() {
            let r = self.fresh("R");
            let tagged = match returns {
                true => vec![abs_atom(l, "$ret"), var(l, &r)],
                false => {
                    let mut t = vec![abs_atom(l, "$cont"), var(l, &r)];
                    t.extend(changed.iter().map(|n| self.current(l, n, &aenv)));
                    t
                }
            };
            if k == fallback_arm {
                let v = self.fresh("V");
                let caught = abs_tuple(
                    l,
                    vec![
                        abs_atom(l, abi::NON_LOCAL_RETURN_TAG),
                        var(l, &tag),
                        var(l, &v),
                    ],
                );
                let attempt = try_of(
                    l,
                    body,
                    vec![clause(l, vec![var(l, &r)], vec![abs_tuple(l, tagged)])],
                    vec![clause(
                        l,
                        vec![abs_tuple(
                            l,
                            vec![abs_atom(l, "throw"), caught, var(l, "_")],
                        )],
                        vec![abs_tuple(l, vec![abs_atom(l, "$ret"), var(l, &v)])],
                    )],
                );
                let new_tag = matched(l, var(l, &tag), bif(l, "make_ref", vec![]));
                clauses.push(clause(l, patterns, vec![new_tag, attempt]));
                continue;
            }
            let last = body.pop().unwrap_or_else(|| abs_atom(l, "nil"));
            body.push(matched(l, var(l, &r), last));
            body.push(abs_tuple(l, tagged));
            clauses.push(clause(l, patterns, body));
        }
        let (ret, r) = (self.fresh("Ret"), self.fresh("R"));
        let mut cont = vec![abs_atom(l, "$cont"), var(l, &r)];
        for n in &changed {
            let v = self.fresh_var(n);
            cont.push(var(l, &v));
            env.insert(n.clone(), Slot::Var(Some(v)));
        }
        let mut after = self.method_seq(rest, env)?;
        if after.is_empty() {
            after.push(var(l, &r));
        }
        Ok(case(
            l,
            case(l, c, clauses),
            vec![
                clause(
                    l,
                    vec![abs_tuple(l, vec![abs_atom(l, "$ret"), var(l, &ret)])],
                    vec![var(l, &ret)],
                ),
                clause(l, vec![abs_tuple(l, cont)], after),
            ],
        ))
    }

    /// [`Self::conditional_return`] when no statement after it returns from a branch: the statements
    /// after it are lowered into each arm that continues (at most twice, and never nested), so no arm
    /// answers a tagged tuple.
    fn continue_in_arms(
        &mut self,
        l: i32,
        c: Term,
        arms: Vec<(Vec<Term>, Vec<Term>, bool, Env)>,
        tag: &str,
        rest: &[Expr],
    ) -> Result<Term, Diagnostic> {
        let fallback_arm = arms.len() - 1;
        let mut clauses = Vec::new();
        for (k, (patterns, mut body, returns, mut aenv)) in arms.into_iter().enumerate() {
            if k == fallback_arm {
                let (r, v) = (self.fresh("R"), self.fresh("V"));
                let mut after = self.method_seq(rest, &mut aenv)?;
                if after.is_empty() {
                    after.push(var(l, &r));
                }
                let caught = abs_tuple(
                    l,
                    vec![
                        abs_atom(l, abi::NON_LOCAL_RETURN_TAG),
                        var(l, tag),
                        var(l, &v),
                    ],
                );
                let attempt = try_of(
                    l,
                    body,
                    vec![clause(l, vec![var(l, &r)], after)],
                    vec![clause(
                        l,
                        vec![abs_tuple(
                            l,
                            vec![abs_atom(l, "throw"), caught, var(l, "_")],
                        )],
                        vec![var(l, &v)],
                    )],
                );
                let new_tag = matched(l, var(l, tag), bif(l, "make_ref", vec![]));
                clauses.push(clause(l, patterns, vec![new_tag, attempt]));
                continue;
            }
            if !returns && !rest.is_empty() {
                body.extend(self.method_seq(rest, &mut aenv)?);
            }
            clauses.push(clause(l, patterns, body));
        }
        Ok(case(l, c, clauses))
    }

    /// A branch block's statements; whether it ends in `^` (then its value is the method's).
    fn returning_branch(
        &mut self,
        b: &Expr,
        env: &mut Env,
    ) -> Result<(Vec<Term>, bool), Diagnostic> {
        let ExprKind::Block { body, .. } = &b.kind else {
            return Ok((vec![self.expr(b, env)?], false));
        };
        match body.split_last() {
            Some((
                Expr {
                    kind: ExprKind::Return(v),
                    ..
                },
                init,
            )) => {
                let mut out = init
                    .iter()
                    .map(|s| self.expr(s, env))
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(self.expr(v, env)?);
                Ok((out, true))
            }
            _ => Ok((self.seq(body, env)?, false)),
        }
    }

    /// The state an inlined loop threads, and a fresh parameter for each.
    fn loop_state(&mut self, blocks: &[&Expr], env: &Env) -> (Vec<String>, Vec<String>) {
        let state = self.assigned_locals(blocks, env);
        let params = state.iter().map(|n| self.fresh_var(n)).collect();
        (state, params)
    }

    /// For a loop whose state includes operands of number sends (`s := s + i`): fresh state parameters
    /// for a clause that takes those when they are integers, and its guards. The clause runs the body
    /// with bare Erlang operators, so the usual iteration calls nothing and needs no stack frame.
    fn int_state(
        &mut self,
        l: i32,
        state: &[String],
        body: &[Expr],
    ) -> Option<(Vec<String>, Vec<Term>)> {
        let facts = self.facts.of_body(body);
        let operands = &facts.number_operands;
        // Only innermost loops: specialising a loop that holds another would double it per level.
        if !state.iter().any(|n| operands.contains(n))
            || facts.size > SPECIALIZE_MAX
            || facts.inlined_loop
        {
            return None;
        }
        let params: Vec<String> = state.iter().map(|n| self.fresh_var(n)).collect();
        let mut guards = Vec::new();
        for (n, p) in state.iter().zip(&params) {
            if operands.contains(n) {
                self.ints.insert(p.clone());
                guards.push(bif(l, "is_integer", vec![var(l, p)]));
            }
        }
        Some((params, guards))
    }

    /// `env` with the loop state in its parameters.
    fn loop_env(env: &Env, state: &[String], params: &[String]) -> Env {
        let mut inner = env.clone();
        for (n, p) in state.iter().zip(params) {
            inner.insert(n.clone(), Slot::Var(Some(p.clone())));
        }
        inner
    }

    /// Calls loop fun `f` with `first` then the state, binding the state it answers in `env`.
    fn run_loop(
        &mut self,
        l: i32,
        f: Term,
        first: Vec<Term>,
        state: &[String],
        env: &mut Env,
    ) -> Term {
        let mut args = first;
        args.extend(state.iter().map(|n| self.current(l, n, env)));
        let run = apply(l, f, args);
        if state.is_empty() {
            return run;
        }
        let news: Vec<String> = state.iter().map(|n| self.fresh_var(n)).collect();
        let pattern = pack(l, news.iter().map(|v| var(l, v)).collect());
        for (n, v) in state.iter().zip(&news) {
            env.insert(n.clone(), Slot::Var(Some(v.clone())));
        }
        matched(l, pattern, run)
    }

    /// `a to: b do: [:i | ...]` as a local recursive fun over integers, threading the locals the body
    /// assigns; any other bounds get the ordinary send.
    fn counting_loop(
        &mut self,
        l: i32,
        from: &Expr,
        to: &Expr,
        block: &Expr,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let ExprKind::Block { params, body } = &block.kind else {
            return self.expr(block, env);
        };
        let (mut pre, vals) = self.operands(l, &[from, to], env)?;
        let (f, t, lp) = (self.fresh("From"), self.fresh("To"), self.fresh("Loop"));
        let (state, sparams) = self.loop_state(&[block], env);
        // One step of the loop with the state in `sparams`: `Loop(I, S...) when I =< To, Guards -> ...`.
        let step = |lw: &mut Self, sparams: &[String], guards: Vec<Term>| {
            let i = lw.fresh_var(&params[0]);
            // The counter runs between integer bounds.
            lw.ints.insert(i.clone());
            let mut benv = Self::loop_env(env, &state, sparams);
            benv.insert(params[0].clone(), Slot::Param(i.clone()));
            let mut b = lw.seq(body, &mut benv)?;
            let mut next = vec![op(l, "+", var(l, &i), integer(l, 1))];
            next.extend(state.iter().map(|n| lw.current(l, n, &benv)));
            b.push(apply(l, var(l, &lp), next));
            let mut head = vec![var(l, &i)];
            head.extend(sparams.iter().map(|p| var(l, p)));
            let mut all = vec![op(l, "=<", var(l, &i), var(l, &t))];
            all.extend(guards);
            Ok::<_, Diagnostic>(guarded_clause(l, head, all, b))
        };
        let mut clauses = Vec::new();
        if let Some((fast_params, guards)) = self.int_state(l, &state, body) {
            clauses.push(step(self, &fast_params, guards)?);
        }
        clauses.push(step(self, &sparams, vec![])?);
        let mut exit_head = vec![var(l, "_")];
        exit_head.extend(sparams.iter().map(|p| var(l, p)));
        clauses.push(clause(
            l,
            exit_head,
            vec![pack(l, sparams.iter().map(|p| var(l, p)).collect())],
        ));
        let looping = named_fun(l, &lp, clauses);
        let mut fenv = env.clone();
        let run = self.run_loop(l, looping, vec![var(l, &f)], &state, &mut fenv);
        let both = || abs_tuple(l, vec![var(l, &f), var(l, &t)]);
        let fast = Arm {
            patterns: vec![both()],
            guards: vec![
                bif(l, "is_integer", vec![var(l, &f)]),
                bif(l, "is_integer", vec![var(l, &t)]),
            ],
            body: vec![run, var(l, &f)],
            env: fenv,
        };
        let mut oenv = env.clone();
        let body = self.fallback(
            l,
            Arg::Value(var(l, &f)),
            "to:do:",
            vec![Arg::Value(var(l, &t)), Arg::Block(block)],
            &mut oenv,
        )?;
        let slow = Arm {
            patterns: vec![both()],
            guards: vec![],
            body,
            env: oenv,
        };
        pre.push(self.join_case(l, abs_tuple(l, vals), vec![fast, slow], env));
        Ok(begin(l, pre))
    }

    /// `n timesRepeat: [...]` as a local recursive fun counting down (integers; anything else is sent).
    fn times_repeat(
        &mut self,
        l: i32,
        count: &Expr,
        block: &Expr,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let ExprKind::Block { body, .. } = &block.kind else {
            return self.expr(block, env);
        };
        let c = self.expr(count, env)?;
        let (n, k, lp) = (self.fresh("N"), self.fresh("K"), self.fresh("Loop"));
        let (state, sparams) = self.loop_state(&[block], env);
        let mut benv = Self::loop_env(env, &state, &sparams);
        let mut b = self.seq(body, &mut benv)?;
        let mut next = vec![op(l, "-", var(l, &k), integer(l, 1))];
        next.extend(state.iter().map(|s| self.current(l, s, &benv)));
        b.push(apply(l, var(l, &lp), next));
        let mut head = vec![var(l, &k)];
        head.extend(sparams.iter().map(|p| var(l, p)));
        let mut exit_head = vec![var(l, "_")];
        exit_head.extend(sparams.iter().map(|p| var(l, p)));
        let looping = named_fun(
            l,
            &lp,
            vec![
                guarded_clause(l, head, vec![op(l, ">", var(l, &k), integer(l, 0))], b),
                clause(
                    l,
                    exit_head,
                    vec![pack(l, sparams.iter().map(|p| var(l, p)).collect())],
                ),
            ],
        );
        let mut fenv = env.clone();
        let run = self.run_loop(l, looping, vec![var(l, &n)], &state, &mut fenv);
        let fast = Arm {
            patterns: vec![var(l, &n)],
            guards: vec![bif(l, "is_integer", vec![var(l, &n)])],
            body: vec![run, abs_atom(l, "nil")],
            env: fenv,
        };
        let mut oenv = env.clone();
        let body = self.fallback(
            l,
            Arg::Value(var(l, &n)),
            "timesRepeat:",
            vec![Arg::Block(block)],
            &mut oenv,
        )?;
        let slow = Arm {
            patterns: vec![var(l, &n)],
            guards: vec![],
            body,
            env: oenv,
        };
        Ok(self.join_case(l, c, vec![fast, slow], env))
    }

    /// `[c] whileTrue: [...]` (or `whileFalse:`) as a local recursive fun; both blocks are literal, so
    /// there is nothing to fall back to.
    fn while_loop(
        &mut self,
        l: i32,
        condition: &Expr,
        expect: bool,
        block: &Expr,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let lp = self.fresh("Loop");
        let (state, sparams) = self.loop_state(&[condition, block], env);
        let mut cenv = Self::loop_env(env, &state, &sparams);
        let mut test = self.inline_body(condition, &mut cenv)?;
        let last = test.pop().unwrap_or_else(|| abs_atom(l, "nil"));
        let exit = pack(l, state.iter().map(|n| self.current(l, n, &cenv)).collect());
        let mut benv = cenv.clone();
        let mut body = self.inline_body(block, &mut benv)?;
        let next = state.iter().map(|n| self.current(l, n, &benv)).collect();
        body.push(apply(l, var(l, &lp), next));
        let expected = abs_atom(l, if expect { "true" } else { "false" });
        test.push(case(
            l,
            last,
            vec![
                clause(l, vec![expected], body),
                clause(l, vec![var(l, "_")], vec![exit]),
            ],
        ));
        let head = sparams.iter().map(|p| var(l, p)).collect();
        let looping = named_fun(l, &lp, vec![clause(l, head, test)]);
        let run = self.run_loop(l, looping, vec![], &state, env);
        Ok(begin(l, vec![run, abs_atom(l, "nil")]))
    }

    /// `do:`, `collect:`, `select:`, `reject:`, `inject:into:` with a literal block: a loop over the
    /// elements when the receiver is a List, the ordinary send otherwise.
    fn list_send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        args: &[Expr],
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let ops: Vec<&Expr> = std::iter::once(receiver)
            .chain(args.iter().take(args.len() - 1))
            .collect();
        let (mut pre, vals) = self.operands(l, &ops, env)?;
        let mut vals = vals.into_iter();
        let r = vals.next().unwrap_or_else(|| abs_atom(l, "nil"));
        // An Interval (`(1 to: n) collect: [...]`) is walked as the List of its elements.
        let r = abi::call(l, abi::ENUMERABLE, vec![r]);
        let r = self.bound(l, r, &mut pre);
        let init = vals.next();
        let init = init.map(|i| self.bound(l, i, &mut pre));
        let block = &args[args.len() - 1];
        let lst = self.fresh("List");
        let mut fenv = env.clone();
        let fast_body = self.list_loop(l, selector, &lst, init.clone(), block, &mut fenv)?;
        let fast = Arm {
            patterns: vec![var(l, &lst)],
            guards: vec![bif(l, "is_list", vec![var(l, &lst)])],
            body: fast_body,
            env: fenv,
        };
        let other = self.fresh("Other");
        let mut fargs: Vec<Arg> = init.into_iter().map(Arg::Value).collect();
        fargs.push(Arg::Block(block));
        let mut oenv = env.clone();
        let body = self.fallback(l, Arg::Value(var(l, &other)), selector, fargs, &mut oenv)?;
        let slow = Arm {
            patterns: vec![var(l, &other)],
            guards: vec![],
            body,
            env: oenv,
        };
        pre.push(self.join_case(l, r, vec![fast, slow], env));
        Ok(begin(l, pre))
    }

    /// The loop of [`Self::list_send`] over list variable `lst`; its statements (the value last).
    fn list_loop(
        &mut self,
        l: i32,
        selector: &str,
        lst: &str,
        init: Option<Term>,
        block: &Expr,
        env: &mut Env,
    ) -> Result<Vec<Term>, Diagnostic> {
        let ExprKind::Block { params, body } = &block.kind else {
            return Ok(vec![send(
                l,
                var(l, lst),
                selector,
                vec![self.expr(block, env)?],
            )]);
        };
        let (state, sparams) = self.loop_state(&[block], env);
        let (e, t, acc, lp) = (
            self.fresh("E"),
            self.fresh("Tail"),
            self.fresh("Acc"),
            self.fresh("Loop"),
        );
        let mut benv = Self::loop_env(env, &state, &sparams);
        let element = params.last().cloned().unwrap_or_default();
        benv.insert(element, Slot::Param(e.clone()));
        if selector == "inject:into:" {
            benv.insert(params[0].clone(), Slot::Param(acc.clone()));
        }
        let mut b = self.seq(body, &mut benv)?;
        let last = b.pop().unwrap_or_else(|| abs_atom(l, "nil"));
        let v = self.fresh("V");
        b.push(matched(l, var(l, &v), last));
        let with_acc = selector != "do:";
        let next_acc = match selector {
            "collect:" => cons(l, var(l, &v), var(l, &acc)),
            "select:" | "reject:" => {
                let keep = cons(l, var(l, &e), var(l, &acc));
                let (yes, no) = match selector {
                    "select:" => (keep, var(l, &acc)),
                    _ => (var(l, &acc), keep),
                };
                case(
                    l,
                    var(l, &v),
                    vec![
                        clause(l, vec![abs_atom(l, "true")], vec![yes]),
                        clause(l, vec![var(l, "_")], vec![no]),
                    ],
                )
            }
            _ => var(l, &v),
        };
        let mut next = vec![var(l, &t)];
        if with_acc {
            next.push(next_acc);
        }
        next.extend(state.iter().map(|n| self.current(l, n, &benv)));
        b.push(apply(l, var(l, &lp), next));
        let mut head = vec![cons(l, var(l, &e), var(l, &t))];
        let mut exit_head = vec![tuple(vec![atom("nil"), int(l)])];
        let finished = match selector {
            "do:" => None,
            "inject:into:" => Some(var(l, &acc)),
            _ => Some(call(l, "lists", "reverse", vec![var(l, &acc)])),
        };
        if with_acc {
            head.push(var(l, &acc));
            exit_head.push(var(l, &acc));
        }
        head.extend(sparams.iter().map(|p| var(l, p)));
        exit_head.extend(sparams.iter().map(|p| var(l, p)));
        let mut result: Vec<Term> = finished.into_iter().collect();
        result.extend(sparams.iter().map(|p| var(l, p)));
        let looping = named_fun(
            l,
            &lp,
            vec![
                clause(l, head, b),
                clause(l, exit_head, vec![pack(l, result)]),
            ],
        );
        let mut first = vec![var(l, lst)];
        if with_acc {
            first.push(init.unwrap_or_else(|| tuple(vec![atom("nil"), int(l)])));
        }
        if !with_acc {
            let run = self.run_loop(l, looping, first, &state, env);
            return Ok(vec![run, var(l, lst)]);
        }
        // The loop answers the result and then the state: bind both.
        let mut args = first;
        args.extend(state.iter().map(|n| self.current(l, n, env)));
        let out = self.fresh("Out");
        let mut pattern = vec![var(l, &out)];
        for n in &state {
            let v = self.fresh_var(n);
            pattern.push(var(l, &v));
            env.insert(n.clone(), Slot::Var(Some(v)));
        }
        Ok(vec![
            matched(l, pack(l, pattern), apply(l, looping, args)),
            var(l, &out),
        ])
    }

    fn match_arms(
        &mut self,
        l: i32,
        value: &Expr,
        arms: &[MatchArm],
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let v = self.expr(value, env)?;
        let mut patterns = Vec::new();
        for arm in arms {
            patterns.push(self.arm_pattern(l, arm, env)?);
        }
        let subject = abi::call(l, abi::MATCH_ARM, vec![v, abs_list(l, patterns)]);
        let mut out = Vec::new();
        for (k, MatchArm { pattern, body, .. }) in arms.iter().enumerate() {
            let mut aenv = env.clone();
            let (vars, mut b) = self.bind_pattern(l, pattern, body.span, &mut aenv)?;
            b.push(self.expr(body, &mut aenv)?);
            let k = i64::try_from(k + 1).unwrap_or(i64::MAX);
            out.push(Arm {
                patterns: vec![abs_tuple(l, vec![integer(l, k), abs_list(l, vars)])],
                guards: vec![],
                body: b,
                env: aenv,
            });
        }
        Ok(self.join_case(l, subject, out, env))
    }

    /// An arm's pattern for `beamtalk_rt:match_arm/2`; with a guard, `{guarded, Pattern, Fun}`, where `Fun`
    /// takes the pattern's names (in order) and runs the guard's statements.
    fn arm_pattern(&mut self, l: i32, arm: &MatchArm, env: &Env) -> Result<Term, Diagnostic> {
        let pattern = abs_pattern(l, &arm.pattern);
        let Some(guard) = &arm.guard else {
            return Ok(pattern);
        };
        let ExprKind::Block { body, .. } = &guard.kind else {
            return Err(Diagnostic::new(
                guard.span,
                "`when:` takes a block",
                "not a block",
            ));
        };
        let names: Vec<String> = arm.pattern.names().into_iter().map(str::to_owned).collect();
        let guard_fun = self.block_fun(l, guard.span, &names, body, env)?;
        Ok(abs_tuple(
            l,
            vec![abs_atom(l, "guarded"), pattern, guard_fun],
        ))
    }

    /// Fresh variables for the names of `pattern` (to match the values `beamtalk_rt` answers), and the
    /// statements that store those that are cells.
    fn bind_pattern(
        &mut self,
        l: i32,
        pattern: &Pattern,
        span: Span,
        env: &mut Env,
    ) -> Result<(Vec<Term>, Vec<Term>), Diagnostic> {
        let mut vars = Vec::new();
        let mut stores = Vec::new();
        for name in pattern.names() {
            let v = self.fresh_var(name);
            vars.push(var(l, &v));
            let value = var(l, &v);
            match self.slot(name, span, env)? {
                Slot::Var(_) => {
                    env.insert(name.to_owned(), Slot::Var(Some(v)));
                }
                _ => stores.push(self.assign(l, name, value, span, env)?),
            }
        }
        Ok((vars, stores))
    }

    fn destructure(
        &mut self,
        l: i32,
        pattern: &Pattern,
        value: &Expr,
        span: Span,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let v = self.expr(value, env)?;
        let t = self.fresh("T");
        let (vars, stores) = self.bind_pattern(l, pattern, span, env)?;
        let mut body = vec![
            matched(l, var(l, &t), v),
            matched(
                l,
                abs_list(l, vars),
                abi::call(
                    l,
                    abi::DESTRUCTURE,
                    vec![abs_pattern(l, pattern), var(l, &t)],
                ),
            ),
        ];
        body.extend(stores);
        body.push(var(l, &t));
        Ok(begin(l, body))
    }
}

/// Whether a REPL line is worth compiling to a module: it has an inlined loop, and makes no block that
/// could outlive the evaluation (a fun of the line's module would stop working once it is purged).
pub fn worth_compiling(stmts: &[Expr]) -> bool {
    let mut looping = false;
    let escapes = stmts.iter().any(|s| makes_block(s, &mut looping));
    looping && !escapes
}

/// Whether `e` makes a block that is not inlined; sets `looping` when it has an inlined loop.
fn makes_block(e: &Expr, looping: &mut bool) -> bool {
    // Every part is visited (not `any`): `looping` must see them all.
    let any = |es: Vec<&Expr>, looping: &mut bool| {
        let mut found = false;
        for x in es {
            found |= makes_block(x, looping);
        }
        found
    };
    match &e.kind {
        ExprKind::Block { .. } => true,
        ExprKind::Send {
            receiver,
            selector,
            args,
            cast: false,
        } if let Some(inl) = inlined(selector, receiver, args) => {
            *looping |= condition_branches(selector).is_none();
            // An inlined block's statements, not the block itself.
            fn inside(b: &Expr, inline: bool) -> Vec<&Expr> {
                match (&b.kind, inline) {
                    (ExprKind::Block { body, .. }, true) => body.iter().collect(),
                    _ => vec![b],
                }
            }
            let parts = inl
                .operands(receiver, args)
                .into_iter()
                .flat_map(|(part, inline)| inside(part, inline))
                .collect();
            // A collection loop's fallback (for a receiver that is no List) passes the block as a
            // real one, which the receiver may keep (a lazy Stream does): it would outlive the line's
            // module.
            let kept = matches!(
                selector.as_str(),
                "do:" | "collect:" | "select:" | "reject:" | "inject:into:"
            );
            any(parts, looping) | kept
        }
        _ => any(children(e), looping),
    }
}

/// `{bt_slot, Name}`: the process-dictionary key of an actor's field.
fn slot_key(l: i32, name: &str) -> Term {
    abs_tuple(l, vec![abs_atom(l, abi::SLOT_KEY), abs_atom(l, name)])
}

/// How deeply inlined control flow nests before the inner levels become ordinary sends (real code
/// nests a few levels; see [`Lowerer::plain_send`]).
const MAX_INLINE_DEPTH: usize = 6;

/// The largest method or loop body (in expressions) that gets a clause specialised for integers: the
/// body is generated twice.
const SPECIALIZE_MAX: usize = 80;

/// The Erlang variable of a method parameter.
pub fn param_var(name: &str) -> String {
    format!("P_{name}")
}

/// Several loop results as one: nothing is nil, one is itself, more a tuple.
fn pack(l: i32, mut items: Vec<Term>) -> Term {
    match items.len() {
        0 => abs_atom(l, "nil"),
        1 => items.remove(0),
        _ => abs_tuple(l, items),
    }
}

fn is_var(t: &Term) -> bool {
    matches!(t, Term::Tuple(t) if t.elements.first() == Some(&atom("var")))
}

/// `^` at the end of a block of a top-level inlined conditional.
fn returning_conditional(s: &Expr) -> bool {
    let ExprKind::Send {
        receiver,
        selector,
        args,
        cast: false,
    } = &s.kind
    else {
        return false;
    };
    matches!(
        selector.as_str(),
        "ifTrue:" | "ifFalse:" | "ifTrue:ifFalse:" | "ifFalse:ifTrue:"
    ) && inlined(selector, receiver, args).is_some()
        && args.iter().any(|a| {
            matches!(&a.kind, ExprKind::Block { body, .. }
                if matches!(body.last(), Some(Expr { kind: ExprKind::Return(_), .. })))
        })
}

/// The Erlang operator for a Beamtalk binary selector on numbers, and the guard under which it cannot
/// fail (so the fast path behaves exactly as `beamtalk_number` would).
pub(crate) fn number_op(selector: &str) -> Option<(&'static str, &'static str)> {
    Some(match selector {
        "+" => ("+", "is_integer"),
        "-" => ("-", "is_integer"),
        "*" => ("*", "is_integer"),
        "<" => ("<", "is_number"),
        ">" => (">", "is_number"),
        "<=" => ("=<", "is_number"),
        ">=" => (">=", "is_number"),
        "=" => ("==", "is_number"),
        "div:" => ("div", "is_integer"),
        "\\\\" => ("rem", "is_integer"),
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

/// Whether `selector` is a conditional (`ifTrue:`, `and:`, ...): inlined, it is no loop.
pub(crate) fn is_conditional(selector: &str) -> bool {
    condition_branches(selector).is_some()
}

/// The branches of the conditional selectors that are inlined, as Boolean's own methods define them.
fn condition_branches(selector: &str) -> Option<(Branch, Branch)> {
    Some(match selector {
        // A branch not taken answers the receiver (`false ifTrue: [...]` is false), as the chapters do.
        "ifTrue:" => (Branch::Arg(0), Branch::Const("false")),
        "ifFalse:" => (Branch::Const("true"), Branch::Arg(0)),
        "ifTrue:ifFalse:" => (Branch::Arg(0), Branch::Arg(1)),
        "ifFalse:ifTrue:" => (Branch::Arg(1), Branch::Arg(0)),
        "and:" => (Branch::IsTrue(0), Branch::Const("false")),
        "or:" => (Branch::Const("true"), Branch::IsTrue(0)),
        _ => return None,
    })
}

/// `beamtalk_dispatch:send(Receiver, Selector, [Args])`: the ordinary send.
fn send(l: i32, receiver: Term, selector: &str, args: Vec<Term>) -> Term {
    abi::call(
        l,
        abi::SEND,
        vec![receiver, abs_atom(l, selector), abs_list(l, args)],
    )
}

/// A destructuring pattern as the term `beamtalk_rt` reads: `{bind, Name}`, `ignore`, `{lit, Value}`,
/// `{tuple | list | array, [Pattern]}`.
fn abs_pattern(l: i32, p: &Pattern) -> Term {
    let tagged = |tag: &str, v: Term| abs_tuple(l, vec![abs_atom(l, tag), v]);
    let all = |ps: &[Pattern]| abs_list(l, ps.iter().map(|p| abs_pattern(l, p)).collect());
    match p {
        Pattern::Bind(n) => tagged("bind", abs_atom(l, n)),
        Pattern::Ignore => abs_atom(l, "ignore"),
        Pattern::Literal(lit) => tagged("lit", literal(l, lit)),
        Pattern::Tuple(ps) => tagged("tuple", all(ps)),
        Pattern::List(ps) => tagged("list", all(ps)),
        Pattern::Array(ps) => tagged("array", all(ps)),
        Pattern::Map(pairs) => tagged(
            "map",
            abs_list(
                l,
                pairs
                    .iter()
                    .map(|(k, p)| abs_tuple(l, vec![literal(l, k), abs_pattern(l, p)]))
                    .collect(),
            ),
        ),
        Pattern::Result { ok, inner } => abs_tuple(
            l,
            vec![
                abs_atom(l, "result"),
                abs_atom(l, if *ok { "ok" } else { "error" }),
                abs_pattern(l, inner),
            ],
        ),
        Pattern::Typed { name, class } => abs_tuple(
            l,
            vec![abs_atom(l, "typed"), abs_atom(l, name), abs_atom(l, class)],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Item;
    use crate::parser::{parse, parse_statements};
    use beamtalk_term::print::pretty;

    fn repl(src: &str) -> String {
        let stmts = parse_statements(src, 0).expect("parses");
        pretty(
            &Lowerer::new(src, Context::Repl)
                .repl(&stmts)
                .expect("lowers"),
        )
    }

    /// The body of the only method of a class `L` whose methods are `methods`.
    fn method(methods: &str) -> String {
        let src = format!("Object subclass: L\n{methods}");
        let items = parse(&src).expect("parses");
        let Item::Class(c) = &items[0] else {
            panic!("a class")
        };
        let own = c.methods.iter().map(|m| m.selector.clone()).collect();
        let body = Lowerer::new(
            &src,
            Context::Method {
                class: c.name.clone(),
            },
        )
        .with_selectors(own, BTreeSet::new())
        .method_body(&c.methods[0])
        .expect("lowers");
        pretty(&list(body))
    }

    #[test]
    fn repl_names_are_bindings() {
        insta::assert_snapshot!(repl("x := 3 + 4"));
        insta::assert_snapshot!(repl("#(1, 2) collect: [:e | e * x]"));
        insta::assert_snapshot!(repl("Transcript show: \"n = {n}\"; cr"));
    }

    #[test]
    fn conditionals_with_literal_blocks_run_in_place() {
        insta::assert_snapshot!(repl("x > 0 ifTrue: [1] ifFalse: [y := 2]"));
        insta::assert_snapshot!(method("  m: a =>\n    a and: [a > 2]\n"));
    }

    #[test]
    fn locals_are_erlang_variables_joined_after_branches() {
        insta::assert_snapshot!(method(
            "  m: a =>\n    x := 1\n    a > 0 ifTrue: [x := x + 1]\n    x\n"
        ));
    }

    #[test]
    fn loops_thread_the_locals_they_assign() {
        insta::assert_snapshot!(method(
            "  sum: n =>\n    s := 0\n    1 to: n do: [:i | s := s + i]\n    s\n"
        ));
        insta::assert_snapshot!(method(
            "  go: n =>\n    k := 0\n    n timesRepeat: [k := k + 1]\n    [k > 0] whileTrue: [k := k - 1]\n    k\n"
        ));
        insta::assert_snapshot!(method(
            "  total: xs =>\n    t := 0\n    xs do: [:e | t := t + e]\n    xs inject: t into: [:a :e | a + e]\n"
        ));
    }

    #[test]
    fn a_returning_branch_ends_the_method_without_a_throw() {
        let fib = method(
            "  fib: n =>\n    n < 2 ifTrue: [^n]\n    ^(self fib: n - 1) + (self fib: n - 2)\n",
        );
        assert!(!fib.contains("invoke"), "{fib}");
        assert!(fib.contains("'i:fib:'"), "a direct self send: {fib}");
        insta::assert_snapshot!(fib);
    }

    #[test]
    fn a_block_assigning_an_outer_local_uses_a_cell() {
        let m = method("  m =>\n    n := 0\n    b := [n := n + 1]\n    b value\n    n\n");
        assert!(m.contains("invoke"), "{m}");
        assert!(
            m.contains("{atom,3,set}},\n                 [{var,3,'Frame@'}"),
            "{m}"
        );
        insta::assert_snapshot!(m);
    }

    /// One snapshot per construct, as a method body (the class defines `m:` and `helper`).
    #[test]
    fn every_construct_lowers() {
        let cases = [
            ("cascade", "Transcript show: a; show: \"!\"; cr"),
            ("super_send", "super m: a + 1"),
            ("self_send_of_an_own_method", "self helper"),
            ("field_read_and_write", "self.count := self.count + a"),
            (
                "literals",
                "#(1, $a, #sym, 2.5, nil, true, \"s\", #[a], #{#k => a})",
            ),
            ("interpolation", "\"a is {a} and {a + 1}\""),
            ("cast", "a tick!"),
            (
                "match_arms",
                "r := a match: [0 -> #zero; {ok, v} -> v; _ -> #other]\nr",
            ),
            ("destructuring", "#(x, y) := a\nx + y"),
            (
                "non_local_return_from_a_block",
                "a do: [:e | e > 2 ifTrue: [^e]]\nnil",
            ),
            ("assignments_in_operands", "self helper: (x := 1) with: x"),
            ("and_or", "(a > 1 and: [a < 9]) or: [a = 0]"),
            (
                "collect_select_reject",
                "((a collect: [:e | e * 2]) select: [:e | e > 2]) reject: [:e | e = 4]",
            ),
            (
                "while_false",
                "k := a\n[k <= 0] whileFalse: [k := k - 1]\nk",
            ),
            ("block_capturing_by_value", "k := a\n[:x | x + k]"),
        ];
        for (name, body) in cases {
            let indented = body.replace('\n', "\n    ");
            let src =
                format!("  m: a =>\n    {indented}\n  helper => 1\n  helper: x with: y => x\n");
            insta::assert_snapshot!(name, method(&src));
        }
    }

    #[test]
    fn a_repl_line_with_a_loop_compiles_to_a_module() {
        let src = "s := 0\n1 to: n do: [:i | s := s + i]\ns";
        let stmts = parse_statements(src, 0).expect("parses");
        assert!(worth_compiling(&stmts));
        let module = Lowerer::new(src, Context::Repl)
            .repl_module(&stmts)
            .expect("lowers");
        insta::assert_snapshot!(pretty(&module));
        let escaping = parse_statements("bs := #(1) collect: [:e | [e]]", 0).expect("parses");
        assert!(
            !worth_compiling(&escaping),
            "a block that outlives the line"
        );
        let kept =
            parse_statements("s := (Stream from: 1) collect: [:n | n * n]", 0).expect("parses");
        assert!(
            !worth_compiling(&kept),
            "a collection loop's block may be kept by a receiver that is no List"
        );
        let plain = parse_statements("x := 3 + 4", 0).expect("parses");
        assert!(!worth_compiling(&plain), "nothing to gain");
    }

    #[test]
    fn assigning_an_argument_is_an_error() {
        let stmts = parse_statements("[:a | a := 1]", 0).expect("parses");
        let e = Lowerer::new("", Context::Repl)
            .repl(&stmts)
            .expect_err("refused");
        assert!(e.message.contains("cannot assign to argument `a`"));
    }
}
#[cfg(test)]
mod growth {
    /// The encoded size of a method whose body nests `n` levels of one shape.
    fn size(shape: &str, n: usize) -> usize {
        let body = match shape {
            "loops" => format!(
                "{}x := x + 1{}",
                "1 to: 2 do: [:i | ".repeat(n),
                "]".repeat(n)
            ),
            _ => format!(
                "{}x := x + 1{}",
                "x > 0 ifTrue: [".repeat(n),
                "] ifFalse: [x := 1]".repeat(n)
            ),
        };
        let src = format!("Object subclass: T\n  m =>\n    x := 0\n    {body}\n");
        let items = crate::parser::parse(&src).expect("parses");
        let crate::ast::Item::Class(c) = &items[0] else {
            panic!("a class")
        };
        let forms = crate::module::class_forms(c, &src).expect("lowers");
        beamtalk_term::etf::encode(&forms).expect("encodes").len()
    }

    /// Each inlined level also carries its blocks as funs for the fallback send; without a depth limit
    /// the code for nested control flow grew with the square of the depth (26 MB for 200 levels).
    #[test]
    fn code_grows_linearly_with_nesting() {
        // The stack the CLI compiles on (deep nesting recurses deeply).
        let checked = std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn(|| {
                for shape in ["loops", "conditionals"] {
                    let (a, b) = (size(shape, 100), size(shape, 200));
                    assert!(
                        b < a * 5 / 2,
                        "{shape}: {a} bytes at 100 levels, {b} at 200"
                    );
                }
            })
            .expect("thread")
            .join();
        assert!(checked.is_ok(), "see the assertion above");
    }
}
