//! Patterns: `match:` arms (with their guards) and destructuring assignments, matched by `beamtalk_rt`.

use eetf::Term;

use super::*;

impl Lowerer {
    pub(super) fn match_arms(
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
    pub(super) fn arm_pattern(
        &mut self,
        l: i32,
        arm: &MatchArm,
        env: &Env,
    ) -> Result<Term, Diagnostic> {
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
    pub(super) fn bind_pattern(
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

    pub(super) fn destructure(
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

/// A destructuring pattern as the term `beamtalk_rt` reads: `{bind, Name}`, `ignore`, `{lit, Value}`,
/// `{tuple | list | array, [Pattern]}`.
pub(super) fn abs_pattern(l: i32, p: &Pattern) -> Term {
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
        Pattern::Binary(segments) => tagged(
            "binary",
            abs_list(l, segments.iter().map(|s| abs_segment(l, s)).collect()),
        ),
    }
}

/// `{Value, Size, Type, Signed, Endian}`, `Size` being `default`, an integer or `{name, Name}`.
fn abs_segment(l: i32, s: &Segment) -> Term {
    let size = match &s.size {
        None => abs_atom(l, "default"),
        Some(SegmentSize::Bits(n)) => integer(l, i64::from(*n)),
        Some(SegmentSize::Name(n)) => abs_tuple(l, vec![abs_atom(l, "name"), abs_atom(l, n)]),
    };
    let kind = match s.kind {
        SegmentKind::Integer => "integer",
        SegmentKind::Float => "float",
        SegmentKind::Binary => "binary",
        SegmentKind::Bitstring => "bitstring",
        SegmentKind::Utf8 => "utf8",
        SegmentKind::Utf16 => "utf16",
        SegmentKind::Utf32 => "utf32",
    };
    let endian = match s.endian {
        Endian::Big => "big",
        Endian::Little => "little",
        Endian::Native => "native",
    };
    abs_tuple(
        l,
        vec![
            abs_pattern(l, &s.value),
            size,
            abs_atom(l, kind),
            abs_atom(l, if s.signed { "true" } else { "false" }),
            abs_atom(l, endian),
        ],
    )
}
