//! Inlined loops (`to:do:`, `timesRepeat:`, `whileTrue:`, `do:`/`collect:`/`select:`/`reject:`/
//! `inject:into:` over Lists): local recursive funs that take and answer the locals they assign.

use eetf::Term;

use super::*;

impl Lowerer {
    /// The state an inlined loop threads, and a fresh parameter for each.
    pub(super) fn loop_state(&mut self, blocks: &[&Expr], env: &Env) -> (Vec<String>, Vec<String>) {
        let state = self.assigned_locals(blocks, env);
        let params = state.iter().map(|n| self.fresh_var(n)).collect();
        (state, params)
    }

    /// For a loop whose state includes operands of number sends (`s := s + i`): fresh state parameters
    /// for a clause that takes those when they are integers, and its guards. The clause runs the body
    /// with bare Erlang operators, so the usual iteration calls nothing and needs no stack frame.
    pub(super) fn int_state(
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
    pub(super) fn loop_env(env: &Env, state: &[String], params: &[String]) -> Env {
        let mut inner = env.clone();
        for (n, p) in state.iter().zip(params) {
            inner.insert(n.clone(), Slot::Var(Some(p.clone())));
        }
        inner
    }

    /// Calls loop fun `f` with `first` then the state, binding the state it answers in `env`.
    pub(super) fn run_loop(
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
    pub(super) fn counting_loop(
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
        // Bounds surely integers (`1 to: 10`, a counter): no other case to compile.
        if vals.iter().all(|v| self.is_int(v)) {
            pre.push(self.join_case(l, abs_tuple(l, vals), vec![fast], env));
            return Ok(begin(l, pre));
        }
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
    pub(super) fn times_repeat(
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
    pub(super) fn while_loop(
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
    pub(super) fn list_send(
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
    pub(super) fn list_loop(
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
}
