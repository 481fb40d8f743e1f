//! Tokens → syntax tree.
//!
//! The whole source is lexed first; then it is cut into items by its lines, where a line that starts
//! inside a token (a string literal spanning lines) is never the start of anything: a line `Super subclass:
//! Name` at the left margin starts a class whose body is the lines indented under it (one member per line
//! at the body's indentation; deeper lines continue a member), a line `Name >> selector => body` defines one
//! method, and everything else is statements. Each piece is then parsed from tokens with spans into the
//! whole source. Binary operators bind by the precedence table in `language.md`.

use super::ast::*;
use super::diagnostic::Diagnostic;
use super::layout;
use super::lexer::{StrPart, Tok, Token, lex};

mod items;
#[cfg(test)]
mod tests;

pub use items::{is_class_header, method_header, parse};

/// Deepest nesting of parentheses, blocks and literals accepted (a guard against stack exhaustion).
/// How deep an expression may nest: brackets, blocks and message chains (`a + b + c` nests `a + b`)
/// each add a level. The compiler recurses once per level.
pub const MAX_DEPTH: usize = 1000;

/// Parses statements only (`eval` of an expression sequence).
pub fn parse_statements(src: &str, base: usize) -> Result<Vec<Expr>, Diagnostic> {
    let toks = layout::separate(src, base, lex(src, base)?);
    let mut p = Parser::new(toks, base + src.len());
    let stmts = p.statements(None)?;
    p.expect_end()?;
    Ok(stmts)
}

/// Words that may come before a method's pattern.
const METHOD_MODIFIERS: [&str; 2] = ["sealed", "internal"];

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    end: usize,
    depth: usize,
    /// Inside `#[...]`/`#(...)`, a top-level `,` separates elements instead of concatenating.
    no_comma: bool,
}

impl Parser {
    fn new(toks: Vec<Token>, end: usize) -> Self {
        Self {
            toks,
            pos: 0,
            end,
            depth: 0,
            no_comma: false,
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }

    fn next_tok(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos)?.tok.clone();
        self.pos += 1;
        Some(t)
    }

    fn span(&self) -> Span {
        self.peek()
            .map_or(Span::new(self.end, self.end), |t| t.span)
    }

    fn prev_span(&self) -> Span {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(Span::new(self.end, self.end), |t| t.span)
    }

    fn describe(&self) -> String {
        match self.peek_tok() {
            None => "the end of the input".to_owned(),
            Some(t) => format!("`{}`", describe(t)),
        }
    }

    fn error_here(&self, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        let message = format!("{}, found {}", message.into(), self.describe());
        Diagnostic::new(self.span(), message, label)
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek_tok() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_binary(&mut self, op: &str) -> bool {
        self.eat(&Tok::Binary(op.to_owned()))
    }

    fn expect(&mut self, tok: Tok, what: &str, opened: Option<Span>) -> Result<(), Diagnostic> {
        if self.eat(&tok) {
            return Ok(());
        }
        let mut d = self.error_here(format!("expected {what}"), format!("expected {what}"));
        if let Some(open) = opened {
            d = d.opened_at(open);
        }
        Err(d)
    }

    fn expect_end(&self) -> Result<(), Diagnostic> {
        match self.peek_tok() {
            None => Ok(()),
            Some(_) => Err(self.error_here(
                "expected `.` or the end of the statement",
                "unexpected here",
            )),
        }
    }

    fn ident(&mut self) -> Result<String, Diagnostic> {
        match self.peek_tok() {
            Some(Tok::Ident(n)) => {
                let n = n.clone();
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.error_here("expected a name", "expected a name")),
        }
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        self.deeper()?;
        let saved = self.no_comma;
        let r = f(self);
        self.no_comma = saved;
        self.depth -= 1;
        r
    }

    /// `sel => body`, `+ other => body`, `at: i put: v => body`, each after its modifiers
    /// (`sealed`, `internal`).
    pub(crate) fn method_def(&mut self) -> Result<MethodDef, Diagnostic> {
        let start = self.span();
        let modifiers = self.method_modifiers();
        let (selector, typed_params) = match self.peek_tok().cloned() {
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                (name, Vec::new())
            }
            Some(Tok::Binary(op)) => {
                self.pos += 1;
                (op, vec![self.typed_param()?])
            }
            Some(Tok::Pipe) => {
                self.pos += 1;
                ("|".to_owned(), vec![self.typed_param()?])
            }
            Some(Tok::Keyword(_)) => self.keyword_parts(Self::typed_param)?,
            _ => {
                return Err(self.error_here(
                    "expected a method pattern (`name`, `+ other` or `key: arg`)",
                    "expected a method",
                ));
            }
        };
        let return_type = match self.peek_tok() {
            Some(Tok::Binary(op)) if op == "->" => {
                self.pos += 1;
                Some(self.type_expr()?)
            }
            _ => None,
        };
        self.expect(
            Tok::FatArrow,
            "`=>` between the method pattern and its body",
            None,
        )?;
        let body = self.statements(None)?;
        self.expect_end()?;
        let (params, param_types) = typed_params.into_iter().unzip();
        Ok(MethodDef {
            selector,
            params,
            param_types,
            return_type,
            modifiers,
            body,
            span: start.to(self.prev_span()),
        })
    }

    /// The modifiers before a method's pattern. A word is a modifier only when a pattern follows it:
    /// `sealed => ...` and `sealed -> T => ...` define a method named `sealed`.
    pub(crate) fn method_modifiers(&mut self) -> Vec<String> {
        let mut modifiers = Vec::new();
        while let Some(Tok::Ident(w)) = self.peek_tok() {
            let word = w.clone();
            let pattern_follows = match self.peek_at(1) {
                Some(Tok::FatArrow) | None => false,
                Some(Tok::Binary(op)) => op != "->",
                _ => true,
            };
            if !METHOD_MODIFIERS.contains(&word.as_str()) || !pattern_follows {
                break;
            }
            self.pos += 1;
            modifiers.push(word);
        }
        modifiers
    }

    /// `field: name :: Type = default` (the keyword at the cursor): one slot declaration.
    /// `member` is the span of the whole member (the slot's span).
    fn slot(&mut self, member: Span) -> Result<SlotDef, Diagnostic> {
        let span = self.span();
        self.pos += 1;
        let name = self.ident()?;
        let ty = self.type_annotation()?;
        let default = if self.eat_binary("=") {
            Some(self.expr()?)
        } else {
            None
        };
        self.expect_end()?;
        Ok(SlotDef {
            name,
            ty,
            default,
            span: span.to(member),
        })
    }

    /// A parameter name and its optional `:: Type`.
    fn typed_param(&mut self) -> Result<(String, Option<String>), Diagnostic> {
        let name = self.ident()?;
        Ok((name, self.type_annotation()?))
    }

    /// `:: Type` if one follows.
    fn type_annotation(&mut self) -> Result<Option<String>, Diagnostic> {
        if self.eat(&Tok::TypeColon) {
            Ok(Some(self.type_expr()?))
        } else {
            Ok(None)
        }
    }

    /// A type as written: `Integer`, `Array(Integer)`, `Integer | Nil`, `#ok`.
    fn type_expr(&mut self) -> Result<String, Diagnostic> {
        let mut text = self.type_name()?;
        while self.eat(&Tok::Pipe) {
            text.push_str(" | ");
            text.push_str(&self.type_name()?);
        }
        Ok(text)
    }

    /// `Integer`, `List(E)`, `#ok`, `Activity class` (the class itself, not an instance).
    fn type_name(&mut self) -> Result<String, Diagnostic> {
        let mut text = match self.next_tok() {
            Some(Tok::Ident(n)) => n,
            Some(Tok::Sym(s)) => format!("#{s}"),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return Err(self.error_here("expected a type name", "expected a type"));
            }
        };
        if self.eat(&Tok::LParen) {
            let mut args = vec![self.type_expr()?];
            while self.eat_binary(",") {
                args.push(self.type_expr()?);
            }
            self.expect(Tok::RParen, "`)` after the type's parameters", None)?;
            text = format!("{text}({})", args.join(", "));
        }
        if matches!(self.peek_tok(), Some(Tok::Ident(w)) if w == "class") {
            self.pos += 1;
            text.push_str(" class");
        }
        Ok(text)
    }

    /// `key1: part key2: part ...`: the selector and each part, parsed by `part`.
    fn keyword_parts<T>(
        &mut self,
        mut part: impl FnMut(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<(String, Vec<T>), Diagnostic> {
        let start = self.span();
        let mut selector = String::new();
        let mut parts = Vec::new();
        while let Some(Tok::Keyword(k)) = self.peek_tok().cloned() {
            self.pos += 1;
            selector.push_str(&k);
            parts.push(part(self)?);
        }
        check_selector(&selector, start)?;
        Ok((selector, parts))
    }

    /// Whether a pragma starts here: `@name` (with words after it on its line), not a binary method `@`.
    fn at_pragma(&self) -> bool {
        matches!(self.peek_tok(), Some(Tok::Binary(op)) if op == "@")
            && matches!(self.peek_at(1), Some(Tok::Ident(_)))
            && self.peek_at(2) != Some(&Tok::FatArrow)
    }

    /// `@expect dnu` and the like annotate what follows; they are read and set aside (nothing checks
    /// them yet). Returns whether one was there.
    fn skip_pragma(&mut self) -> bool {
        if !self.at_pragma() {
            return false;
        }
        self.pos += 2;
        while matches!(self.peek_tok(), Some(Tok::Ident(_) | Tok::Sym(_))) {
            self.pos += 1;
        }
        self.eat(&Tok::Dot);
        true
    }

    fn statements(&mut self, close: Option<&Tok>) -> Result<Vec<Expr>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            match self.peek_tok() {
                None => break,
                Some(t) if Some(t) == close => break,
                Some(Tok::Dot) => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            if self.skip_pragma() {
                continue;
            }
            out.push(self.statement()?);
            if !self.eat(&Tok::Dot) {
                break;
            }
        }
        Ok(out)
    }

    fn statement(&mut self) -> Result<Expr, Diagnostic> {
        if self.eat(&Tok::Caret) {
            let start = self.prev_span();
            let value = self.expr()?;
            let span = start.to(value.span);
            return Ok(Expr {
                kind: ExprKind::Return(Box::new(value)),
                span,
            });
        }
        if let Some(alias) = self.type_alias()? {
            return Ok(alias);
        }
        self.expr()
    }

    /// `type Money = Integer`: a type alias, kept for documentation like every annotation; as a statement
    /// it does nothing and answers nil.
    fn type_alias(&mut self) -> Result<Option<Expr>, Diagnostic> {
        let is_alias = matches!(
            (self.peek_tok(), self.peek_at(1), self.peek_at(2)),
            (Some(Tok::Ident(t)), Some(Tok::Ident(name)), Some(Tok::Binary(eq)))
                if t == "type" && name.starts_with(char::is_uppercase) && eq == "="
        );
        if !is_alias {
            return Ok(None);
        }
        let start = self.span();
        self.pos += 3;
        self.type_expr()?;
        Ok(Some(Expr {
            kind: ExprKind::Literal(Literal::Nil),
            span: start.to(self.prev_span()),
        }))
    }

    fn expr(&mut self) -> Result<Expr, Diagnostic> {
        if self.destructuring_ahead() {
            return self.destructure();
        }
        let target = match (self.peek_tok(), self.peek_at(1)) {
            (Some(Tok::Ident(n)), Some(Tok::Assign | Tok::TypeColon)) => {
                AssignTarget::Var(n.clone())
            }
            (Some(Tok::Field(n)), Some(Tok::Assign)) => AssignTarget::Field(n.clone()),
            _ => return self.cascade(),
        };
        let start = self.span();
        if let AssignTarget::Var(n) = &target
            && matches!(n.as_str(), "self" | "super" | "nil" | "true" | "false")
        {
            return Err(Diagnostic::new(
                start,
                format!("cannot assign to `{n}`"),
                "not a variable",
            ));
        }
        self.pos += 1;
        // `x :: Type := value`: the type is documentation; the assignment is as without it.
        self.type_annotation()?;
        self.expect(Tok::Assign, "`:=`", None)?;
        let value = self.nested(|p| p.expr())?;
        let span = start.to(value.span);
        Ok(Expr {
            kind: ExprKind::Assign {
                target,
                value: Box::new(value),
            },
            span,
        })
    }

    /// `value match: [pattern -> expr; pattern -> expr; ...]`.
    fn match_arms(&mut self, value: Expr) -> Result<Expr, Diagnostic> {
        self.pos += 1;
        let open = self.span();
        self.pos += 1;
        let mut arms = Vec::new();
        loop {
            let pattern = self.nested(|p| p.pattern())?;
            let guard = match self.peek_tok() {
                Some(Tok::Keyword(k)) if k == "when:" => {
                    self.pos += 1;
                    let open = self.span();
                    self.expect(Tok::LBrack, "a block `[...]` after `when:`", None)?;
                    Some(self.nested(|p| p.block(open))?)
                }
                _ => None,
            };
            if !self.eat_binary("->") {
                return Err(self.error_here(
                    "expected `->` between a match arm's pattern and its value",
                    "expected `->`",
                ));
            }
            let body = self.nested(|p| p.keyword_expr())?;
            arms.push(MatchArm {
                pattern,
                guard,
                body,
            });
            if !self.eat(&Tok::Semi) {
                break;
            }
        }
        self.expect(Tok::RBrack, "`]` to close the match arms", Some(open))?;
        let span = value.span.to(self.prev_span());
        Ok(Expr {
            kind: ExprKind::Match {
                value: Box::new(value),
                arms,
            },
            span,
        })
    }

    /// Whether a bracketed pattern followed by `:=` starts here (`#(a, b) := ...`, `{ok, v} := ...`).
    fn destructuring_ahead(&self) -> bool {
        if matches!(self.peek_tok(), Some(Tok::Binary(op)) if op == "<<") {
            return self.toks[self.pos..]
                .iter()
                .position(|t| matches!(&t.tok, Tok::Binary(op) if op == ">>"))
                .is_some_and(|i| self.peek_at(i + 1) == Some(&Tok::Assign));
        }
        if !matches!(
            self.peek_tok(),
            Some(Tok::LBrace | Tok::HashParen | Tok::HashBrack | Tok::HashBrace)
        ) {
            return false;
        }
        let mut depth = 0usize;
        for (i, t) in self.toks[self.pos..].iter().enumerate() {
            match t.tok {
                Tok::LBrace
                | Tok::HashParen
                | Tok::HashBrack
                | Tok::HashBrace
                | Tok::LParen
                | Tok::LBrack => depth += 1,
                Tok::RBrace | Tok::RParen | Tok::RBrack => {
                    depth -= 1;
                    if depth == 0 {
                        return self.peek_at(i + 1) == Some(&Tok::Assign);
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// `pattern := value`.
    fn destructure(&mut self) -> Result<Expr, Diagnostic> {
        let start = self.span();
        let pattern = self.nested(|p| p.pattern())?;
        self.expect(Tok::Assign, "`:=` after the pattern", None)?;
        let value = self.nested(|p| p.expr())?;
        let span = start.to(value.span);
        Ok(Expr {
            kind: ExprKind::Destructure {
                pattern,
                value: Box::new(value),
            },
            span,
        })
    }

    /// A name (`name :: Class` for a type test), `_`, a literal, a `{...}`, `#(...)`, `#[...]` or
    /// `#{k => ...}` of patterns, or `Result ok: p` / `Result error: p`.
    fn pattern(&mut self) -> Result<Pattern, Diagnostic> {
        let open = self.span();
        let Some(tok) = self.next_tok() else {
            return Err(self.error_here("expected a pattern", "expected a pattern"));
        };
        Ok(match tok {
            Tok::Ident(n) if n == "Result" => {
                let ok = match self.next_tok() {
                    Some(Tok::Keyword(k)) if k == "ok:" => true,
                    Some(Tok::Keyword(k)) if k == "error:" => false,
                    _ => {
                        self.pos -= 1;
                        return Err(self.error_here(
                            "expected `ok:` or `error:` after `Result` in a pattern",
                            "expected `ok:` or `error:`",
                        ));
                    }
                };
                let inner = Box::new(self.nested(|p| p.pattern())?);
                Pattern::Result { ok, inner }
            }
            Tok::Ident(n) if self.peek_tok() == Some(&Tok::TypeColon) => {
                self.pos += 1;
                match self.next_tok() {
                    Some(Tok::Ident(class)) if class.starts_with(char::is_uppercase) => {
                        Pattern::Typed { name: n, class }
                    }
                    _ => {
                        self.pos -= 1;
                        return Err(self.error_here(
                            "expected a class name after `::` in a pattern",
                            "expected a class",
                        ));
                    }
                }
            }
            Tok::Ident(n) => match n.as_str() {
                "_" => Pattern::Ignore,
                "nil" => Pattern::Literal(Literal::Nil),
                "true" => Pattern::Literal(Literal::True),
                "false" => Pattern::Literal(Literal::False),
                _ => Pattern::Bind(n),
            },
            Tok::Int(i) => Pattern::Literal(Literal::Integer(i)),
            Tok::Sym(sym) => Pattern::Literal(Literal::Symbol(sym)),
            Tok::Char(c) => Pattern::Literal(Literal::Char(c)),
            Tok::Str(parts) => match &parts[..] {
                [StrPart::Text(t)] => Pattern::Literal(Literal::String(t.clone())),
                [] => Pattern::Literal(Literal::String(String::new())),
                _ => {
                    return Err(Diagnostic::new(
                        open,
                        "a string in a pattern cannot interpolate",
                        "not a literal",
                    ));
                }
            },
            Tok::LBrace => Pattern::Tuple(
                self.patterns(Tok::RBrace, "`}`", open)?
                    .into_iter()
                    .map(erlang_tag)
                    .collect(),
            ),
            Tok::HashParen => Pattern::List(self.patterns(Tok::RParen, "`)`", open)?),
            Tok::HashBrack => Pattern::Array(self.patterns(Tok::RBrack, "`]`", open)?),
            Tok::HashBrace => Pattern::Map(self.map_pattern(open)?),
            Tok::Binary(op) if op == "<<" => Pattern::Binary(self.segments(open)?),
            _ => {
                self.pos -= 1;
                return Err(self.error_here(
                    "expected a pattern (a name, `_`, a literal, `{...}`, `#(...)`, `#[...]`, `#{...}`, \
                     `<<...>>` or `Result ok: ...`)",
                    "not a pattern",
                ));
            }
        })
    }

    /// `#{key => pattern, ...}` after its `#{`: keys are literals (symbols, strings, integers).
    fn map_pattern(&mut self, open: Span) -> Result<Vec<(Literal, Pattern)>, Diagnostic> {
        let mut pairs = Vec::new();
        if self.eat(&Tok::RBrace) {
            return Ok(pairs);
        }
        loop {
            let key = match self.next_tok() {
                Some(Tok::Sym(s)) => Literal::Symbol(s),
                Some(Tok::Int(i)) => Literal::Integer(i),
                Some(Tok::Str(parts)) => match &parts[..] {
                    [StrPart::Text(t)] => Literal::String(t.clone()),
                    [] => Literal::String(String::new()),
                    _ => {
                        return Err(Diagnostic::new(
                            self.prev_span(),
                            "a key in a pattern cannot interpolate",
                            "not a literal",
                        ));
                    }
                },
                _ => {
                    self.pos -= 1;
                    return Err(self.error_here(
                        "expected a key (a symbol, string or integer) in a dictionary pattern",
                        "expected a key",
                    ));
                }
            };
            self.expect(Tok::FatArrow, "`=>` after the key", None)?;
            pairs.push((key, self.nested(|p| p.pattern())?));
            if !self.eat_binary(",") {
                break;
            }
        }
        self.expect(Tok::RBrace, "`}` to close the pattern", Some(open))?;
        Ok(pairs)
    }

    /// The segments of a binary pattern after its `<<`, up to `>>`.
    fn segments(&mut self, open: Span) -> Result<Vec<Segment>, Diagnostic> {
        let mut segments: Vec<Segment> = Vec::new();
        if self.eat_binary(">>") {
            return Ok(segments);
        }
        loop {
            if let Some(last) = segments.last()
                && last.size.is_none()
                && matches!(last.kind, SegmentKind::Binary | SegmentKind::Bitstring)
            {
                return Err(Diagnostic::new(
                    self.span(),
                    "a segment that takes the rest of the binary must be the last",
                    "after the rest",
                )
                .with_hint("give the earlier segment a size, `data:4/binary`"));
            }
            let bound: Vec<String> = segments
                .iter()
                .filter_map(Segment::name)
                .map(str::to_owned)
                .collect();
            segments.push(self.segment(&bound)?);
            if !self.eat_binary(",") {
                break;
            }
        }
        self.expect(
            Tok::Binary(">>".to_owned()),
            "`>>` to close the binary pattern",
            Some(open),
        )?;
        Ok(segments)
    }

    /// `value[:size][/type-qualifiers]`; `bound` are the names earlier segments bind (a size may be one).
    fn segment(&mut self, bound: &[String]) -> Result<Segment, Diagnostic> {
        let start = self.span();
        let (value, sized) = match self.next_tok() {
            Some(Tok::Keyword(k)) => {
                let name = k.trim_end_matches(':');
                (segment_name(name), true)
            }
            Some(Tok::Ident(n)) => (segment_name(&n), self.eat(&Tok::Colon)),
            Some(Tok::Int(i)) => (Pattern::Literal(Literal::Integer(i)), self.eat(&Tok::Colon)),
            Some(Tok::Char(c)) => (Pattern::Literal(Literal::Char(c)), self.eat(&Tok::Colon)),
            Some(Tok::Str(parts)) => match &parts[..] {
                [StrPart::Text(t)] => (Pattern::Literal(Literal::String(t.clone())), false),
                [] => (Pattern::Literal(Literal::String(String::new())), false),
                _ => {
                    return Err(Diagnostic::new(
                        start,
                        "a string in a pattern cannot interpolate",
                        "not a literal",
                    ));
                }
            },
            _ => {
                self.pos -= 1;
                return Err(self.error_here(
                    "expected a segment (a name, `_`, an integer or a string) in a binary pattern",
                    "expected a segment",
                ));
            }
        };
        let size = match sized {
            false => None,
            true => {
                Some(match self.next_tok() {
                    Some(Tok::Int(n)) => SegmentSize::Bits(u32::try_from(n).map_err(|_| {
                        Diagnostic::new(
                            self.prev_span(),
                            "a segment size is at most 4294967295",
                            "too big",
                        )
                    })?),
                    Some(Tok::Ident(n)) if bound.contains(&n) => SegmentSize::Name(n),
                    Some(Tok::Ident(n)) => {
                        return Err(Diagnostic::new(
                        self.prev_span(),
                        format!("the size `{n}` is not bound by an earlier segment"),
                        "not bound here",
                    )
                    .with_hint("a size is an integer, or a name an earlier segment of this pattern binds"));
                    }
                    _ => {
                        self.pos -= 1;
                        return Err(self.error_here("expected a size after `:`", "expected a size"));
                    }
                })
            }
        };
        let qualifiers = match self.eat_binary("/") {
            true => self.qualifiers()?,
            false => Vec::new(),
        };
        let segment = Segment::new(value, size, &qualifiers).map_err(|(message, hint)| {
            Diagnostic::new(start.to(self.prev_span()), message, "this segment").with_hint(hint)
        })?;
        Ok(segment)
    }

    /// `integer-signed-little` after a segment's `/`.
    fn qualifiers(&mut self) -> Result<Vec<String>, Diagnostic> {
        let mut words = Vec::new();
        loop {
            match self.next_tok() {
                Some(Tok::Ident(w)) => words.push(w),
                _ => {
                    self.pos -= 1;
                    return Err(self.error_here(
                        "expected a segment type (`integer`, `binary`, `utf8`, ...) after `/`",
                        "expected a type",
                    ));
                }
            }
            if !self.eat_binary("-") {
                return Ok(words);
            }
        }
    }

    /// Comma-separated patterns up to `close`.
    fn patterns(&mut self, close: Tok, what: &str, open: Span) -> Result<Vec<Pattern>, Diagnostic> {
        let mut items = Vec::new();
        if self.eat(&close) {
            return Ok(items);
        }
        loop {
            items.push(self.nested(|p| p.pattern())?);
            if !self.eat_binary(",") {
                break;
            }
        }
        self.expect(close, &format!("{what} to close the pattern"), Some(open))?;
        Ok(items)
    }

    fn cascade(&mut self) -> Result<Expr, Diagnostic> {
        let first = self.keyword_expr()?;
        if self.peek_tok() != Some(&Tok::Semi) {
            return Ok(first);
        }
        let span = first.span;
        let (receiver, selector, args) = match first.kind {
            ExprKind::Send {
                receiver,
                selector,
                args,
                cast: false,
            } => (receiver, selector, args),
            _ => {
                return Err(self.error_here(
                    "a cascade `;` must follow a message send",
                    "nothing to cascade",
                ));
            }
        };
        let mut messages = vec![(selector, args, span)];
        while self.eat(&Tok::Semi) {
            let start = self.span();
            let (sel, args) = self.cascade_message()?;
            messages.push((sel, args, start.to(self.prev_span())));
        }
        let span = span.to(self.prev_span());
        Ok(Expr {
            kind: ExprKind::Cascade { receiver, messages },
            span,
        })
    }

    fn cascade_message(&mut self) -> Result<(String, Vec<Expr>), Diagnostic> {
        match self.peek_tok().cloned() {
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                Ok((name, Vec::new()))
            }
            Some(Tok::Binary(op)) => {
                self.pos += 1;
                Ok((op, vec![self.unary_expr()?]))
            }
            Some(Tok::Keyword(_)) => self.keyword_parts(|p| p.binary_expr(0)),
            _ => Err(self.error_here("expected a message after `;`", "expected a message")),
        }
    }

    fn keyword_expr(&mut self) -> Result<Expr, Diagnostic> {
        let receiver = self.binary_expr(0)?;
        if matches!(self.peek_tok(), Some(Tok::Keyword(k)) if k == "match:")
            && self.peek_at(1) == Some(&Tok::LBrack)
        {
            return self.match_arms(receiver);
        }
        let mut expr = if let Some(Tok::Keyword(_)) = self.peek_tok() {
            let (sel, args) = self.keyword_parts(|p| p.binary_expr(0))?;
            send(receiver, sel, args, self.prev_span())
        } else {
            receiver
        };
        if self.eat(&Tok::Bang) {
            match &mut expr.kind {
                ExprKind::Send { cast, .. } => *cast = true,
                _ => {
                    // `b ! spin` is Erlang's order; Beamtalk marks the send itself.
                    let example = match self.peek_tok() {
                        Some(Tok::Ident(name)) => format!("`receiver {name}!`"),
                        _ => "`counter increment!`".to_owned(),
                    };
                    return Err(Diagnostic::new(
                        self.prev_span(),
                        "`!` must follow a message send",
                        "nothing to send",
                    )
                    .with_hint(format!(
                        "a cast (fire-and-forget send) puts `!` after the message: {example}"
                    )));
                }
            }
        }
        Ok(expr)
    }

    fn binary_expr(&mut self, min: u8) -> Result<Expr, Diagnostic> {
        let left = self.unary_expr()?;
        let outer = self.depth;
        let r = self.binary_chain(left, min);
        self.depth = outer;
        r
    }

    /// The binary sends after `left`; each nests `left` one level deeper, so each counts as depth.
    fn binary_chain(&mut self, mut left: Expr, min: u8) -> Result<Expr, Diagnostic> {
        loop {
            let op = match self.peek_tok() {
                Some(Tok::Binary(op)) if !(self.no_comma && op == ",") => op.clone(),
                // After an operand `|` is Boolean's "or"; it only separates block parameters.
                Some(Tok::Pipe) => "|".to_owned(),
                _ => return Ok(left),
            };
            let prec = precedence(&op);
            if prec < min {
                return Ok(left);
            }
            self.deeper()?;
            self.pos += 1;
            // `**` is right-associative (`2 ** 3 ** 2` is `2 ** 9`): its right operand may hold another.
            let right_min = if op == "**" { prec } else { prec + 1 };
            let right = self.nested(|p| p.binary_expr(right_min))?;
            let span = right.span;
            left = send(left, op, vec![right], span);
        }
    }

    fn unary_expr(&mut self) -> Result<Expr, Diagnostic> {
        let mut expr = self.primary()?;
        let outer = self.depth;
        while let Some(Tok::Ident(name)) = self.peek_tok().cloned() {
            if let Err(e) = self
                .deeper()
                .and_then(|()| check_selector(&name, self.span()))
            {
                self.depth = outer;
                return Err(e);
            }
            self.pos += 1;
            expr = send(expr, name, Vec::new(), self.prev_span());
        }
        self.depth = outer;
        Ok(expr)
    }

    /// One more level of nesting, or the "too deep" diagnostic past [`MAX_DEPTH`].
    fn deeper(&mut self) -> Result<(), Diagnostic> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_here(
                format!("expressions nest deeper than {MAX_DEPTH} levels (nested brackets and message chains count alike); split the expression with temporaries"),
                "too deep",
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let span = self.span();
        let lit = |kind| Ok(Expr { kind, span });
        let Some(tok) = self.peek_tok().cloned() else {
            return Err(self.error_here("expected an expression", "expected an expression"));
        };
        self.pos += 1;
        match tok {
            Tok::Int(i) => lit(ExprKind::Literal(Literal::Integer(i))),
            Tok::Float(f) => lit(ExprKind::Literal(Literal::Float(f))),
            Tok::Char(c) => lit(ExprKind::Literal(Literal::Char(c))),
            Tok::Sym(s) => lit(ExprKind::Literal(Literal::Symbol(s))),
            Tok::Str(parts) => self.string(parts, span),
            Tok::Field(f) => lit(ExprKind::Field(f)),
            Tok::Ident(name) => lit(match name.as_str() {
                "nil" => ExprKind::Literal(Literal::Nil),
                "true" => ExprKind::Literal(Literal::True),
                "false" => ExprKind::Literal(Literal::False),
                n if n.starts_with(|c: char| c.is_uppercase()) => ExprKind::Global(name),
                _ => ExprKind::Var(name),
            }),
            Tok::LParen => self.nested(|p| {
                p.no_comma = false;
                let e = p.expr()?;
                p.expect(Tok::RParen, "`)`", Some(span))?;
                Ok(Expr {
                    kind: e.kind,
                    span: span.to(p.prev_span()),
                })
            }),
            Tok::LBrack => self.nested(|p| p.block(span)),
            Tok::HashBrack => self.nested(|p| {
                let items = p.elements(Tok::RBrack, span)?;
                Ok(Expr {
                    kind: ExprKind::Array(items),
                    span: span.to(p.prev_span()),
                })
            }),
            Tok::HashParen => self.nested(|p| {
                let items = p.elements(Tok::RParen, span)?;
                Ok(Expr {
                    kind: ExprKind::List(items),
                    span: span.to(p.prev_span()),
                })
            }),
            Tok::HashBrace => self.nested(|p| p.dict(span)),
            other => {
                self.pos -= 1;
                Err(self.error_here(
                    "expected an expression",
                    format!("`{}` cannot start an expression", describe(&other)),
                ))
            }
        }
    }

    fn block(&mut self, open: Span) -> Result<Expr, Diagnostic> {
        self.no_comma = false;
        let mut params = Vec::new();
        while let Some(Tok::BlockParam(p)) = self.peek_tok().cloned() {
            self.pos += 1;
            params.push(p);
        }
        if !params.is_empty() {
            self.expect(Tok::Pipe, "`|` after the block parameters", None)?;
        } else {
            self.eat(&Tok::Pipe);
        }
        let body = self.statements(Some(&Tok::RBrack))?;
        self.expect(Tok::RBrack, "`]` to close the block", Some(open))?;
        Ok(Expr {
            kind: ExprKind::Block { params, body },
            span: open.to(self.prev_span()),
        })
    }

    fn elements(&mut self, close: Tok, open: Span) -> Result<Vec<Expr>, Diagnostic> {
        self.no_comma = true;
        let mut items = Vec::new();
        if self.eat(&close) {
            return Ok(items);
        }
        loop {
            items.push(self.keyword_expr()?);
            if self.eat_binary(",") {
                continue;
            }
            let what = if close == Tok::RBrack {
                "`,` or `]`"
            } else {
                "`,` or `)`"
            };
            self.expect(close, what, Some(open))?;
            return Ok(items);
        }
    }

    fn dict(&mut self, open: Span) -> Result<Expr, Diagnostic> {
        self.no_comma = true;
        let mut pairs = Vec::new();
        if !self.eat(&Tok::RBrace) {
            loop {
                let k = self.keyword_expr()?;
                self.expect(Tok::FatArrow, "`=>` between key and value", None)?;
                let v = self.keyword_expr()?;
                pairs.push((k, v));
                if self.eat_binary(",") {
                    continue;
                }
                self.expect(Tok::RBrace, "`,` or `}`", Some(open))?;
                break;
            }
        }
        Ok(Expr {
            kind: ExprKind::Dict(pairs),
            span: open.to(self.prev_span()),
        })
    }

    fn string(&mut self, parts: Vec<StrPart>, span: Span) -> Result<Expr, Diagnostic> {
        if let [StrPart::Text(t)] = parts.as_slice() {
            return Ok(Expr {
                kind: ExprKind::Literal(Literal::String(t.clone())),
                span,
            });
        }
        let mut pieces = Vec::new();
        for part in parts {
            match part {
                StrPart::Text(t) => pieces.push(Piece::Text(t)),
                StrPart::Code(code, offset) => {
                    let toks = lex(&code, offset)?;
                    let mut inner = Parser::new(toks, offset + code.len());
                    inner.depth = self.depth + 1;
                    let e = inner.nested(|p| p.expr())?;
                    inner.expect_end()?;
                    pieces.push(Piece::Expr(e));
                }
            }
        }
        Ok(Expr {
            kind: ExprKind::Interpolated(pieces),
            span,
        })
    }
}

/// The longest selector: selectors are Erlang atoms, which hold at most 255 characters.
pub const MAX_SELECTOR: usize = 255;

fn check_selector(selector: &str, at: Span) -> Result<(), Diagnostic> {
    let n = selector.chars().count();
    if n <= MAX_SELECTOR {
        return Ok(());
    }
    let shown: String = selector.chars().take(40).collect();
    Err(Diagnostic::new(
        at,
        format!(
            "selector `{shown}...` is {n} characters long; selectors hold at most {MAX_SELECTOR}"
        ),
        "too long",
    ))
}

fn send(receiver: Expr, selector: String, args: Vec<Expr>, end: Span) -> Expr {
    let span = receiver.span.to(end);
    if let ExprKind::Var(v) = &receiver.kind
        && v == "super"
    {
        return Expr {
            kind: ExprKind::SuperSend { selector, args },
            span,
        };
    }
    Expr {
        kind: ExprKind::Send {
            receiver: Box::new(receiver),
            selector,
            args,
            cast: false,
        },
        span,
    }
}

/// Binding strength of a binary operator (higher binds tighter).
fn precedence(op: &str) -> u8 {
    match op {
        "**" => 5,
        "*" | "/" | "//" | "\\\\" | "%" => 4,
        "+" | "-" | "++" | "," => 3,
        "<" | ">" | "<=" | ">=" => 2,
        "->" => 0,
        _ => 1,
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Int(i) => i.to_string(),
        Tok::Float(f) => f.to_string(),
        Tok::Str(_) => "string".to_owned(),
        Tok::Sym(s) => format!("#{s}"),
        Tok::Char(_) => "character".to_owned(),
        Tok::Ident(s) | Tok::Keyword(s) | Tok::Binary(s) => s.clone(),
        Tok::BlockParam(s) => format!(":{s}"),
        Tok::Field(s) => format!("self.{s}"),
        Tok::Assign => ":=".to_owned(),
        Tok::Caret => "^".to_owned(),
        Tok::Dot => ".".to_owned(),
        Tok::Semi => ";".to_owned(),
        Tok::Bang => "!".to_owned(),
        Tok::Pipe => "|".to_owned(),
        Tok::FatArrow => "=>".to_owned(),
        Tok::TypeColon => "::".to_owned(),
        Tok::Colon => ":".to_owned(),
        Tok::LParen => "(".to_owned(),
        Tok::RParen => ")".to_owned(),
        Tok::LBrack => "[".to_owned(),
        Tok::RBrack => "]".to_owned(),
        Tok::HashBrack => "#[".to_owned(),
        Tok::HashParen => "#(".to_owned(),
        Tok::HashBrace => "#{".to_owned(),
        Tok::LBrace => "{".to_owned(),
        Tok::RBrace => "}".to_owned(),
    }
}

/// Whether `src` looks unfinished (open brackets or string), so a REPL should read another line.
pub fn is_incomplete(src: &str) -> bool {
    match lex(src, 0) {
        Err(d) => d.message.starts_with("unterminated"),
        Ok(toks) => {
            let mut depth: i64 = 0;
            for t in &toks {
                match t.tok {
                    Tok::LParen
                    | Tok::LBrack
                    | Tok::HashBrack
                    | Tok::HashParen
                    | Tok::HashBrace
                    | Tok::LBrace => depth += 1,
                    Tok::RParen | Tok::RBrack | Tok::RBrace => depth -= 1,
                    _ => {}
                }
            }
            depth > 0
        }
    }
}

/// A binary segment's value: a name, or `_`.
fn segment_name(name: &str) -> Pattern {
    match name {
        "_" => Pattern::Ignore,
        _ => Pattern::Bind(name.to_owned()),
    }
}

/// Inside a tuple pattern a bare `ok` or `error` is Erlang's tag, not a name: `{ok, v} := ...` matches
/// only a success (a Result or an `{ok, _}` tuple), as it would in Erlang.
fn erlang_tag(p: Pattern) -> Pattern {
    match p {
        Pattern::Bind(n) if n == "ok" || n == "error" => Pattern::Literal(Literal::Symbol(n)),
        other => other,
    }
}
