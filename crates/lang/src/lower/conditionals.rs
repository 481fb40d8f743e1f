//! Inlined conditionals (`ifTrue:ifFalse:`, `and:`, `or:` with literal blocks): the branches run in
//! place for a Boolean, and a `^` at the end of a branch ends the method without a throw.

use eetf::Term;

use super::*;

impl Lowerer {
    /// `c ifTrue: [...] ifFalse: [...]`, `and:`, `or:` with literal blocks: the blocks' statements run in
    /// place when `c` is a Boolean; any other receiver gets the ordinary send.
    pub(super) fn condition(
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
        // A comparison of numbers Erlang makes itself answers a Boolean: nothing to fall back to.
        if !is_comparison(&c) {
            let other = self.fresh("Other");
            let mut oenv = env.clone();
            let body = self.rare_fallback(
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
        }
        Ok(self.join_case(l, c, arms, env))
    }

    pub(super) fn branch(
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
    pub(super) fn inline_body(&mut self, b: &Expr, env: &mut Env) -> Result<Vec<Term>, Diagnostic> {
        match &b.kind {
            ExprKind::Block { body, .. } => self.seq(body, env),
            _ => Ok(vec![self.expr(b, env)?]),
        }
    }

    /// A top-level conditional one of whose blocks ends in `^`: its branches answer `{'$ret', V}` (the
    /// method's value) or `{'$cont', V, Locals...}`, and the statements after it run in the second case.
    pub(super) fn conditional_return(
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
        let body = self.rare_fallback(
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
    pub(super) fn continue_in_arms(
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
    pub(super) fn returning_branch(
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
}

/// Whether `t` is an Erlang comparison (which answers `true` or `false`, never anything else).
fn is_comparison(t: &Term) -> bool {
    let Term::Tuple(t) = t else {
        return false;
    };
    matches!(t.elements.as_slice(),
        [Term::Atom(tag), _, Term::Atom(o), _, _]
            if tag.name == "op"
                && matches!(o.name.as_str(), "<" | ">" | "=<" | ">=" | "==" | "/=" | "=:=" | "=/="))
}

/// `^` at the end of a block of a top-level inlined conditional.
pub(super) fn returning_conditional(s: &Expr) -> bool {
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

/// What an inlined conditional answers for `true` and for `false`.
#[derive(Clone, Copy)]
pub(super) enum Branch {
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
pub(super) fn condition_branches(selector: &str) -> Option<(Branch, Branch)> {
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
