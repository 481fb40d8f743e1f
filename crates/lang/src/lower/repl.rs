//! REPL lines: expressions for `erl_eval`, or a module whose `run/0` evaluates a line with a loop.

use eetf::Term;

use super::*;

impl Lowerer {
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
        // No table of deferred code: the node loads each line under a name of its own, which the
        // line's code could not name; its deferred code keeps its expressions inline.
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
}

/// Whether a REPL line is worth compiling to a module: it has an inlined loop, and makes no block that
/// could outlive the evaluation (a fun of the line's module would stop working once it is purged).
pub fn worth_compiling(stmts: &[Expr]) -> bool {
    let mut looping = false;
    let escapes = stmts.iter().any(|s| makes_block(s, &mut looping));
    looping && !escapes
}

/// Whether `e` makes a block that is not inlined; sets `looping` when it has an inlined loop.
pub(super) fn makes_block(e: &Expr, looping: &mut bool) -> bool {
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
