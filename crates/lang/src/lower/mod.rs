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
//!
//! This module holds the lowerer's state, expressions and variables; each family of constructs has its
//! own emitter: `sends`, `conditionals`, `loops`, `patterns`, and `repl` (a REPL line). What they ask
//! about a subtree (what it assigns or reads) comes from `analyse`, computed once per body.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::collections::HashMap;

use eetf::Term;

use super::abi::{self, method_function};
use super::analyse::{Analysis, Facts, children};
use super::ast::*;
use super::diagnostic::Diagnostic;
use super::forms::*;
use super::resolve::{self, Resolution, inlined, resolve};
use beamtalk_term::{atom, list, tuple};

mod conditionals;
mod loops;
mod patterns;
mod repl;
mod sends;

pub(crate) use conditionals::is_conditional;
use conditionals::{condition_branches, returning_conditional};
pub use repl::worth_compiling;
pub(crate) use sends::number_op;

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
    /// While a class-side method's exact variant is lowered ([`Lowerer::exact_method_clauses`]): the
    /// class-side methods that have one.
    exact: Option<BTreeSet<String>>,
    /// How many constructs around the code being lowered run it repeatedly in one call of the method
    /// (see [`Lowerer::repeating`]).
    repeats: u32,
    /// The expressions kept as data for the module's deferred code, `{Names, Expr}` each, in the order
    /// of their indexes (see [`Lowerer::deferred_table`]).
    kept: Vec<Term>,
    /// The index in `kept` of each expression, by its encoding (finding one by comparing terms made a
    /// class of thousands of conditionals quadratic).
    kept_index: HashMap<Vec<u8>, usize>,
    /// The module being compiled, which deferred code names to find its table; none where nothing is
    /// compiled to a module (an interpreted REPL line, a method only checked).
    module: Option<String>,
    /// Tells this source's table of deferred code from another version's: a hash of the source text.
    tag: i64,
}

/// 24 bits of the FNV-1a hash of `src` (see [`Lowerer::deferred`]).
fn source_tag(src: &str) -> i64 {
    let hash = src.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    i64::try_from(hash & 0xff_ffff).unwrap_or(0)
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
            exact: None,
            repeats: 0,
            kept: Vec::new(),
            kept_index: HashMap::new(),
            module: None,
            tag: source_tag(src),
        }
    }

    /// Compiles into module `name` (see [`Lowerer::deferred_table`]).
    pub fn in_module(mut self, name: &str) -> Self {
        self.module = Some(name.to_owned());
        self
    }

    /// `'__deferred__'() -> {Tag, {Kept, ...}}`: the expressions the module's deferred code keeps,
    /// packed into one literal (compressed, they are a tenth of their size apart), or nothing when it
    /// keeps none. `Tag` tells this table from another version's (see [`Lowerer::deferred`]).
    pub fn deferred_table(&mut self, l: i32) -> Option<Term> {
        if self.kept.is_empty() {
            return None;
        }
        self.kept_index.clear();
        let entries = beamtalk_term::tuple(std::mem::take(&mut self.kept));
        let table =
            beamtalk_term::tuple(vec![beamtalk_term::etf::int_term(self.tag.into()), entries]);
        Some(function(
            l,
            abi::DEFERRED_TABLE,
            vec![],
            vec![packed_term(l, &table)],
        ))
    }

    /// Lowers with `f` code that may run many times in one call of its method: a loop's body, a block,
    /// a method that loops or sends its class's own methods (recursion). Such code keeps its number sends'
    /// tests inline; a method's other code calls the runtime for them (see `number_send`).
    fn repeating<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.repeats += 1;
        let out = f(self);
        self.repeats -= 1;
        out
    }

    /// Whether the code being lowered runs at most once per call of its method.
    fn runs_once(&self) -> bool {
        self.repeats == 0 && self.is_method()
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
        self.facts = Analysis::of(&m.body);
        let facts = self.facts.of_body(&m.body);
        // Integer facts pay where they compound: in loops and in a method sending to its class's own
        // methods (recursion). Straight-line arithmetic gains a few type tests from a second copy of
        // the method, and its compile time doubles.
        let compounds = facts.inlined_loop || self.any_own(&facts.self_sends, class_side);
        let clauses = match compounds {
            true => self.repeating(|lw| lw.method_copies(m, &facts, true, head)),
            false => self.method_copies(m, &facts, false, head),
        };
        self.class_side = false;
        clauses
    }

    /// [`Lowerer::method_clauses`]: the generic clause, after the integer-specialised one where facts
    /// compound (`facts` are the method body's; its analysis is in `self.facts`).
    fn method_copies(
        &mut self,
        m: &MethodDef,
        facts: &Facts,
        compounds: bool,
        head: impl Fn(&[String]) -> Vec<Term>,
    ) -> Result<Vec<Term>, Diagnostic> {
        let l = self.line(m.span);
        let generic_params: Vec<String> = m.params.iter().map(|p| param_var(p)).collect();
        let generic = self.analysed_body(&m.params, &generic_params, &m.body, l)?;
        let guarded: Vec<&String> = m
            .params
            .iter()
            .filter(|p| facts.number_operands.contains(*p))
            .collect();
        let mut clauses = Vec::new();
        if compounds && !guarded.is_empty() && facts.size <= SPECIALIZE_MAX {
            let fast_params: Vec<String> = m.params.iter().map(|p| format!("PI_{p}")).collect();
            let guards = guarded
                .iter()
                .map(|p| {
                    let v = format!("PI_{p}");
                    self.ints.insert(v.clone());
                    bif(l, "is_integer", vec![var(l, &v)])
                })
                .collect();
            let fast = self.analysed_body(&m.params, &fast_params, &m.body, l)?;
            clauses.push(guarded_clause(l, head(&fast_params), guards, fast));
        }
        clauses.push(clause(l, head(&generic_params), generic));
        Ok(clauses)
    }

    /// Whether method `m` (of the given side) sends `self` one of its class's own methods of that side.
    pub fn sends_own_methods(&self, m: &MethodDef, class_side: bool) -> bool {
        self.any_own(
            &Analysis::of(&m.body).of_body(&m.body).self_sends,
            class_side,
        )
    }

    fn any_own(&self, selectors: &BTreeSet<String>, class_side: bool) -> bool {
        let own = match class_side {
            false => &self.own.0,
            true => &self.own.1,
        };
        selectors.iter().any(|s| own.contains(s))
    }

    /// The clauses of class-side method `m` for when `self` is exactly its class: its `self` sends to
    /// the class's own methods call them directly (the exact variants of those in `exact`). Entered
    /// once from the method's own function, a recursion then tests `self` no more, and Erlang's type
    /// analysis sees every call of it.
    pub fn exact_method_clauses(
        &mut self,
        m: &MethodDef,
        exact: &BTreeSet<String>,
    ) -> Result<Vec<Term>, Diagnostic> {
        self.exact = Some(exact.clone());
        let clauses = self.method_clauses(m, true);
        self.exact = None;
        clauses
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
        self.facts = Analysis::of(stmts);
        self.analysed_body(params, vars, stmts, l)
    }

    /// [`Lowerer::body`] with the facts of `stmts` in `self.facts` already (a method's copies share them).
    fn analysed_body(
        &mut self,
        params: &[String],
        vars: &[String],
        stmts: &[Expr],
        l: i32,
    ) -> Result<Vec<Term>, Diagnostic> {
        self.res = resolve(params, stmts)?;
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
        // A block may run any number of times (`collect:`, `inject:into:`, a callback).
        let b = self.repeating(|lw| lw.seq(body, &mut inner))?;
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

/// `beamtalk_dispatch:send(Receiver, Selector, [Args])`: the ordinary send.
fn send(l: i32, receiver: Term, selector: &str, args: Vec<Term>) -> Term {
    abi::call(
        l,
        abi::SEND,
        vec![receiver, abs_atom(l, selector), abs_list(l, args)],
    )
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
        pretty(&crate::forms::shown(&list(body)))
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
        insta::assert_snapshot!(pretty(&crate::forms::shown(&module)));
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
