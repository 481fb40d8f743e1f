//! Sends: the ordinary send, direct paths under a guard (number operators, String concatenation,
//! `self` sends to the class's own methods), and the fallback an inlined construct takes for a
//! receiver it cannot inline.

use eetf::Term;

use super::*;

impl Lowerer {
    /// A send that could be inlined, made as an ordinary send (nested too deep to inline: each inlined
    /// level also carries its blocks as funs for the fallback, so inlining every level would generate
    /// code quadratic in the depth).
    pub(super) fn plain_send(
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
    pub(super) fn operands(
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
    pub(super) fn bound(&mut self, l: i32, t: Term, pre: &mut Vec<Term>) -> Term {
        if is_var(&t) {
            return t;
        }
        let v = self.fresh("T");
        pre.push(matched(l, var(l, &v), t));
        var(l, &v)
    }

    pub(super) fn send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        args: &[Expr],
        cast: bool,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        // Inside a fallback's blocks (`self.inline` off) every send is plain: that code runs only for
        // a receiver that is no Boolean or number, and direct paths there would double its size.
        if let (false, true, true, Some(operator), [arg]) = (
            cast,
            self.compiled(),
            self.inline,
            number_op(selector),
            args,
        ) {
            return self.number_send(l, receiver, selector, operator, arg, env);
        }
        if let (false, true, true, "++" | ",", [arg]) =
            (cast, self.compiled(), self.inline, selector, args)
        {
            return self.concat_send(l, receiver, selector, arg, env);
        }
        let ops: Vec<&Expr> = std::iter::once(receiver).chain(args).collect();
        let (mut pre, mut vals) = self.operands(l, &ops, env)?;
        let r = vals.remove(0);
        if !cast && self.inline && self.own_method(receiver, selector) {
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
    pub(super) fn own_method(&self, receiver: &Expr, selector: &str) -> bool {
        let own = match self.class_side {
            false => &self.own.0,
            true => &self.own.1,
        };
        matches!(&receiver.kind, ExprKind::Var(n) if n == "self") && own.contains(selector)
    }

    /// `self sel args` to a method of this class: the method's function when `self` is exactly an
    /// instance of this class (an actor only in its own process), the ordinary send otherwise (a
    /// subclass may override it).
    pub(super) fn self_send(
        &mut self,
        l: i32,
        this: Term,
        selector: &str,
        args: Vec<Term>,
    ) -> Term {
        let Context::Method { class } = &self.context else {
            return send(l, this, selector, args);
        };
        let class = class.clone();
        let mut direct_args = vec![this.clone()];
        direct_args.extend(args.iter().cloned());
        if let (true, Some(exact)) = (self.class_side, &self.exact) {
            let target = match exact.contains(selector) {
                true => abi::exact_method_function(selector),
                false => method_function(selector, true),
            };
            return local(l, &target, direct_args);
        }
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
    /// fail on, an ordinary send otherwise. Tested inline where the code repeats; where it runs once per
    /// call, by a call to the runtime function that makes the same test (a fraction of the code to
    /// compile, for a call's worth of time).
    pub(super) fn number_send(
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
        if let (true, Some(f)) = (self.runs_once(), abi::number_operator(operator)) {
            pre.push(abi::call(l, f, vals));
            return Ok(begin(l, pre));
        }
        if !matches!(operator, "div" | "rem")
            && let Some(k) = vals.iter().position(|v| self.is_int(v))
        {
            pre.push(self.one_guard_send(l, selector, (operator, guard), vals, k));
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

    /// `a ++ b` (and `a , b`): the two joined where they are Strings (binaries), as `String` does it
    /// (text shown as itself), an ordinary send otherwise. Built in the sending function, a String grown
    /// in a loop is appended to in place, which a call into the runtime for each append prevents.
    fn concat_send(
        &mut self,
        l: i32,
        receiver: &Expr,
        selector: &str,
        arg: &Expr,
        env: &mut Env,
    ) -> Result<Term, Diagnostic> {
        let (mut pre, vals) = self.operands(l, &[receiver, arg], env)?;
        let y = self.bound(l, vals[1].clone(), &mut pre);
        let x = self.fresh("X");
        let fast = guarded_clause(
            l,
            vec![var(l, &x)],
            vec![
                bif(l, "is_binary", vec![var(l, &x)]),
                bif(l, "is_binary", vec![y.clone()]),
            ],
            vec![binary_append(l, var(l, &x), y.clone())],
        );
        let slow = clause(
            l,
            vec![var(l, &x)],
            vec![send(l, var(l, &x), selector, vec![y])],
        );
        pre.push(case(l, vals[0].clone(), vec![fast, slow]));
        Ok(begin(l, pre))
    }

    /// A number send one of whose operands (`known`) is an integer already (a literal, mostly): only
    /// the other is tested, and no tuple is built to test both.
    fn one_guard_send(
        &mut self,
        l: i32,
        selector: &str,
        (operator, guard): (&str, &str),
        vals: Vec<Term>,
        known: usize,
    ) -> Term {
        let x = self.fresh("X");
        let with = |x: Term| {
            let mut pair = vals.clone();
            pair[1 - known] = x;
            pair
        };
        let fast_pair = with(var(l, &x));
        let fast = guarded_clause(
            l,
            vec![var(l, &x)],
            vec![bif(l, guard, vec![var(l, &x)])],
            vec![op(l, operator, fast_pair[0].clone(), fast_pair[1].clone())],
        );
        let mut slow_pair = with(var(l, &x));
        let receiver = slow_pair.remove(0);
        let slow = clause(
            l,
            vec![var(l, &x)],
            vec![send(l, receiver, selector, slow_pair)],
        );
        case(l, vals[1 - known].clone(), vec![fast, slow])
    }

    /// The locals (Erlang variables now) that the statements of `blocks` assign: the state an inlined
    /// loop carries, or what a fallback send's cells hold.
    pub(super) fn assigned_locals(&self, blocks: &[&Expr], env: &Env) -> Vec<String> {
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
    pub(super) fn fallback(
        &mut self,
        l: i32,
        receiver: Arg,
        selector: &str,
        args: Vec<Arg>,
        env: &mut Env,
    ) -> Result<Vec<Term>, Diagnostic> {
        self.fallback_of(l, (receiver, selector, args), env, false)
    }

    /// [`Self::fallback`] for a receiver that is hardly ever there (a conditional sent to something
    /// that is no Boolean): the send and its blocks are kept as data and evaluated if it comes to that,
    /// not compiled — compiled, they were most of a method's code and of its compile time.
    pub(super) fn rare_fallback(
        &mut self,
        l: i32,
        receiver: Arg,
        selector: &str,
        args: Vec<Arg>,
        env: &mut Env,
    ) -> Result<Vec<Term>, Diagnostic> {
        let defer = self.compiled();
        self.fallback_of(l, (receiver, selector, args), env, defer)
    }

    fn fallback_of(
        &mut self,
        l: i32,
        (receiver, selector, args): (Arg, &str, Vec<Arg>),
        env: &mut Env,
        defer: bool,
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
            return Ok(vec![self.kept(l, defer, sent)]);
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
            matched(
                l,
                abs_tuple(l, vec![var(l, &r), abs_list(l, news)]),
                self.kept(l, defer, scoped),
            ),
            var(l, &r),
        ])
    }

    pub(super) fn inline_send(
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
        self.repeating(|lw| match selector {
            "to:do:" => lw.counting_loop(l, receiver, &args[0], &args[1], env),
            "timesRepeat:" => lw.times_repeat(l, receiver, &args[0], env),
            "whileTrue:" | "whileFalse:" => {
                lw.while_loop(l, receiver, selector == "whileTrue:", &args[0], env)
            }
            _ => lw.list_send(l, receiver, selector, args, env),
        })
    }
}

impl Lowerer {
    /// `expr`, or with `defer` the same kept as data and evaluated only when it runs (see `deferred`).
    fn kept(&mut self, l: i32, defer: bool, expr: Term) -> Term {
        match defer {
            true => self.deferred(l, expr),
            false => expr,
        }
    }

    /// `expr` kept as data with the names of the variables it uses from around it, evaluated with their
    /// values. In a module: `beamtalk_rt:deferred_at(Module, Key, Value, ...)`, its entry in the module's
    /// table (see [`Lowerer::deferred_table`]; one entry for an expression a method's variants share),
    /// `Key` its index and the table's tag (code still running when its module was replaced must not
    /// read the new table). The values are arguments of their own up to [`abi::DEFERRED_AT_MAX`], a
    /// tuple beyond: either is cheaper for OTP's compiler than a list. Elsewhere (an interpreted REPL
    /// line): `beamtalk_rt:deferred(<<...>>, [Value, ...])`.
    fn deferred(&mut self, l: i32, expr: Term) -> Term {
        let names = crate::lift::free_vars(&expr);
        let mut values: Vec<Term> = names.iter().map(|v| var(l, v)).collect();
        let kept = beamtalk_term::tuple(vec![
            beamtalk_term::list(names.iter().map(|v| beamtalk_term::atom(v)).collect()),
            expr,
        ]);
        // Fails only for a part over 4 GB, which no source text makes (see `forms::packed_term`).
        let blob = beamtalk_term::etf::encode(&kept).unwrap_or_default();
        let Some(module) = self.module.clone() else {
            return abi::call(l, abi::DEFERRED, vec![bytes(l, &blob), abs_list(l, values)]);
        };
        let index = match self.kept_index.get(&blob) {
            Some(&i) => i,
            None => {
                self.kept.push(kept);
                self.kept_index.insert(blob, self.kept.len() - 1);
                self.kept.len() - 1
            }
        };
        let key = (self.tag << 16) | i64::try_from(index + 1).unwrap_or(0);
        let mut args = vec![abs_atom(l, &module), integer(l, key)];
        match values
            .len()
            .checked_sub(1)
            .and_then(|i| abi::DEFERRED_AT.get(i))
        {
            Some(&f) => {
                args.append(&mut values);
                abi::call(l, f, args)
            }
            None => {
                args.push(abs_tuple(l, values));
                abi::call(l, abi::DEFERRED_MANY, args)
            }
        }
    }
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
