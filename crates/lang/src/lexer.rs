//! Source text → tokens with spans. Never panics; bad input becomes a [`Diagnostic`].

use num_bigint::BigInt;

use super::ast::Span;
use super::diagnostic::Diagnostic;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Int(BigInt),
    Float(f64),
    /// A string's pieces: literal text, or the source of an interpolated `{expression}` and its offset.
    Str(Vec<StrPart>),
    Sym(String),
    Char(u32),
    Ident(String),
    /// `name:` (the colon included).
    Keyword(String),
    /// `:name` in a block header.
    BlockParam(String),
    /// `self.name`.
    Field(String),
    Binary(String),
    Assign,
    Caret,
    Dot,
    Semi,
    Bang,
    Pipe,
    FatArrow,
    /// `::` before a type annotation.
    TypeColon,
    /// A `:` on its own: the size of a binary segment, `<<x:8>>`, `<<65 :8>>`.
    Colon,
    LParen,
    RParen,
    LBrack,
    RBrack,
    HashBrack,
    HashParen,
    HashBrace,
    /// `{`, which opens a tuple pattern.
    LBrace,
    RBrace,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Text(String),
    Code(String, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

const OP_CHARS: &str = "+-*/\\%<>=~,&?@";

/// Tokenises `src`; spans are offset by `base` (for pieces of a larger file).
pub fn lex(src: &str, base: usize) -> Result<Vec<Token>, Diagnostic> {
    Lexer {
        src,
        pos: 0,
        base,
        out: Vec::new(),
    }
    .run()
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    base: usize,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.base + start, self.base + self.pos)
    }

    fn error(
        &self,
        start: usize,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(
            self.span(start)
                .to(Span::new(self.base + start, self.base + start + 1)),
            message,
            label,
        )
    }

    fn push(&mut self, tok: Tok, start: usize) {
        let span = self.span(start);
        self.out.push(Token { tok, span });
    }

    /// Whether only whitespace stands between the start of its line and `at`: a `-1` beginning a line is
    /// a number (a statement of its own, or an argument), not a subtraction from the line before.
    fn line_start(&self, at: usize) -> bool {
        self.src[..at]
            .chars()
            .rev()
            .take_while(|c| *c != '\n')
            .all(|c| c == ' ' || c == '\t' || c == '\r')
    }

    /// Whether the previous token ends an operand, which makes a following `-` binary.
    fn after_operand(&self) -> bool {
        matches!(
            self.out.last().map(|t| &t.tok),
            Some(
                Tok::Int(_)
                    | Tok::Float(_)
                    | Tok::Str(_)
                    | Tok::Sym(_)
                    | Tok::Char(_)
                    | Tok::Ident(_)
                    | Tok::Field(_)
                    | Tok::RParen
                    | Tok::RBrack
                    | Tok::RBrace
            )
        )
    }

    fn run(mut self) -> Result<Vec<Token>, Diagnostic> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                c if c.is_whitespace() => {
                    self.bump();
                }
                // `//` is always a comment: integer division is `div:`.
                '/' if self.peek_at(1) == Some('/') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                '"' => self.string(start)?,
                '$' => {
                    self.bump();
                    let ch = self.bump().ok_or_else(|| {
                        self.error(
                            start,
                            "a character literal needs a character after `$`",
                            "here",
                        )
                    })?;
                    self.push(Tok::Char(u32::from(ch)), start);
                }
                '#' => self.hash(start)?,
                '0'..='9' => self.number(start, false)?,
                '-' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit())
                    && (!self.after_operand() || self.line_start(start)) =>
                {
                    self.bump();
                    self.number(start, true)?;
                }
                c if c.is_alphabetic() || c == '_' => self.word(start),
                ':' if self.peek_at(1) == Some('=') => {
                    self.pos += 2;
                    self.push(Tok::Assign, start);
                }
                ':' if self.peek_at(1) == Some(':') => {
                    self.pos += 2;
                    self.push(Tok::TypeColon, start);
                }
                ':' if self
                    .peek_at(1)
                    .is_some_and(|c| c.is_alphabetic() || c == '_') =>
                {
                    self.bump();
                    let name = self.ident_chars();
                    self.push(Tok::BlockParam(name), start);
                }
                ':' => {
                    self.bump();
                    self.push(Tok::Colon, start);
                }
                '=' if self.src[self.pos..].starts_with("=:=") => {
                    self.pos += 3;
                    self.push(Tok::Binary("=:=".to_owned()), start);
                }
                '=' if self.peek_at(1) == Some('>') => {
                    self.pos += 2;
                    self.push(Tok::FatArrow, start);
                }
                c if OP_CHARS.contains(c) => {
                    while self.peek().is_some_and(|c| OP_CHARS.contains(c)) {
                        // `x >=-1`: a `-` right before a digit starts a literal, not more operator.
                        if self.pos > start
                            && self.peek() == Some('-')
                            && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())
                        {
                            break;
                        }
                        self.bump();
                    }
                    let op = self.src[start..self.pos].to_owned();
                    self.push(Tok::Binary(op), start);
                }
                _ => {
                    self.bump();
                    let tok = match c {
                        '^' => Tok::Caret,
                        '.' => Tok::Dot,
                        ';' => Tok::Semi,
                        '!' => Tok::Bang,
                        '|' => Tok::Pipe,
                        '(' => Tok::LParen,
                        ')' => Tok::RParen,
                        '[' => Tok::LBrack,
                        ']' => Tok::RBrack,
                        '{' => Tok::LBrace,
                        '}' => Tok::RBrace,
                        other => {
                            return Err(self.error(
                                start,
                                format!("unexpected character `{other}`"),
                                "not valid here",
                            ));
                        }
                    };
                    self.push(tok, start);
                }
            }
        }
        Ok(self.out)
    }

    fn ident_chars(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.bump();
        }
        self.src[start..self.pos].to_owned()
    }

    fn word(&mut self, start: usize) {
        let name = self.ident_chars();
        if self.peek() == Some(':') && !matches!(self.peek_at(1), Some('=' | ':')) {
            self.bump();
            self.push(Tok::Keyword(format!("{name}:")), start);
            return;
        }
        if name == "self"
            && self.peek() == Some('.')
            && self
                .peek_at(1)
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        {
            self.bump();
            let field = self.ident_chars();
            self.push(Tok::Field(field), start);
            return;
        }
        self.push(Tok::Ident(name), start);
    }

    fn digits(&mut self, radix: u32) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_digit(radix) || c == '_') {
            self.bump();
        }
        self.src[start..self.pos].replace('_', "")
    }

    fn number(&mut self, start: usize, negative: bool) -> Result<(), Diagnostic> {
        let int = self.digits(10);
        if self.peek() == Some('r') && self.peek_at(1).is_some_and(|c| c.is_ascii_alphanumeric()) {
            let radix: u32 = int
                .parse()
                .ok()
                .filter(|r| (2..=36).contains(r))
                .ok_or_else(|| {
                    self.error(
                        start,
                        format!("radix {int} is not between 2 and 36"),
                        "bad radix",
                    )
                })?;
            self.bump();
            let digits = self.digits(radix);
            let mut v = BigInt::parse_bytes(digits.as_bytes(), radix).ok_or_else(|| {
                self.error(start, format!("expected base-{radix} digits"), "here")
            })?;
            if negative {
                v = -v;
            }
            self.push(Tok::Int(v), start);
            return Ok(());
        }
        let mut text = format!("{}{int}", if negative { "-" } else { "" });
        let mut is_float = false;
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            text.push('.');
            text.push_str(&self.digits(10));
            is_float = true;
        }
        if self.peek() == Some('e')
            && (self.peek_at(1).is_some_and(|c| c.is_ascii_digit())
                || (self.peek_at(1) == Some('-')
                    && self.peek_at(2).is_some_and(|c| c.is_ascii_digit())))
        {
            self.bump();
            text.push('e');
            if self.peek() == Some('-') {
                self.bump();
                text.push('-');
            }
            text.push_str(&self.digits(10));
            is_float = true;
        }
        let tok = if is_float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Tok::Float(f),
                _ => return Err(self.error(start, "float literal out of range", "here")),
            }
        } else {
            Tok::Int(
                text.parse()
                    .map_err(|_| self.error(start, "bad integer literal", "here"))?,
            )
        };
        self.push(tok, start);
        Ok(())
    }

    fn hash(&mut self, start: usize) -> Result<(), Diagnostic> {
        self.bump();
        match self.peek() {
            Some('[') => {
                self.bump();
                self.push(Tok::HashBrack, start);
            }
            Some('(') => {
                self.bump();
                self.push(Tok::HashParen, start);
            }
            Some('{') => {
                self.bump();
                self.push(Tok::HashBrace, start);
            }
            Some('\'') => {
                self.bump();
                let mut name = String::new();
                loop {
                    match self.bump() {
                        None => {
                            return Err(self.error(
                                start,
                                "unterminated quoted symbol",
                                "starts here",
                            ));
                        }
                        Some('\'') if self.peek() == Some('\'') => {
                            self.bump();
                            name.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => name.push(c),
                    }
                }
                self.push(Tok::Sym(name), start);
            }
            Some(c) if c.is_alphabetic() || c == '_' => {
                let mut name = String::new();
                loop {
                    name.push_str(&self.ident_chars());
                    if self.peek() == Some(':') {
                        self.bump();
                        name.push(':');
                        if self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
                            continue;
                        }
                    }
                    break;
                }
                self.push(Tok::Sym(name), start);
            }
            Some(c) if OP_CHARS.contains(c) || c == '|' => {
                self.bump();
                // A `,` after the first character separates list items: `#(#+, #~~, #,)`.
                while self
                    .peek()
                    .is_some_and(|c| (OP_CHARS.contains(c) && c != ',') || c == '|')
                {
                    self.bump();
                }
                let op = self.src[start + 1..self.pos].to_owned();
                self.push(Tok::Sym(op), start);
            }
            _ => {
                return Err(self.error(
                    start,
                    "expected a symbol, `#[`, `#(` or `#{` after `#`",
                    "here",
                ));
            }
        }
        Ok(())
    }

    fn string(&mut self, start: usize) -> Result<(), Diagnostic> {
        self.bump();
        let mut parts = Vec::new();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(self.error(start, "unterminated string", "the string starts here"));
                }
                Some('"') if self.peek() == Some('"') => {
                    self.bump();
                    text.push('"');
                }
                Some('"') => break,
                // `\{` and `\}` are literal braces (no interpolation); a backslash before anything else
                // is itself.
                Some('\\') if matches!(self.peek(), Some('{' | '}')) => {
                    text.extend(self.bump());
                }
                Some('{') => {
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text)));
                    }
                    let code_start = self.pos;
                    let mut depth = 1;
                    loop {
                        match self.bump() {
                            None => {
                                return Err(self.error(
                                    code_start - 1,
                                    "unterminated `{` in string interpolation",
                                    "opened here",
                                ));
                            }
                            Some('{') => depth += 1,
                            Some('}') => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            Some(_) => {}
                        }
                    }
                    let code = self.src[code_start..self.pos - 1].to_owned();
                    parts.push(StrPart::Code(code, self.base + code_start));
                }
                Some(c) => text.push(c),
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(StrPart::Text(text));
        }
        self.push(Tok::Str(parts), start);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src, 0)
            .expect("lexes")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn negative_literals_and_binary_minus() {
        assert_eq!(toks("3 - -7")[1], Tok::Binary("-".into()));
        assert_eq!(toks("3 - -7")[2], Tok::Int((-7).into()));
        assert_eq!(toks("x-1")[1], Tok::Binary("-".into()));
        assert_eq!(toks("-7"), [Tok::Int((-7).into())]);
    }

    #[test]
    fn escaped_braces_in_strings_are_text() {
        assert_eq!(
            toks(r#""a \{b} {1} \}""#)[0],
            Tok::Str(vec![
                StrPart::Text("a {b} ".into()),
                StrPart::Code("1".into(), 9),
                StrPart::Text(" }".into()),
            ])
        );
        assert_eq!(
            toks(r#""a\b""#)[0],
            Tok::Str(vec![StrPart::Text("a\\b".into())])
        );
    }

    #[test]
    fn literals() {
        assert_eq!(toks("16rFF"), [Tok::Int(255.into())]);
        assert_eq!(toks("1.0e10"), [Tok::Float(1.0e10)]);
        assert_eq!(toks("#at:put:"), [Tok::Sym("at:put:".into())]);
        assert_eq!(toks("#'with space'"), [Tok::Sym("with space".into())]);
        assert_eq!(toks("#+"), [Tok::Sym("+".into())]);
        assert_eq!(toks("$a"), [Tok::Char(97)]);
        assert_eq!(toks("self.count"), [Tok::Field("count".into())]);
        assert_eq!(
            toks("\"n = {n + 1}!\""),
            [Tok::Str(vec![
                StrPart::Text("n = ".into()),
                StrPart::Code("n + 1".into(), 6),
                StrPart::Text("!".into())
            ])]
        );
    }

    #[test]
    fn keywords_params_and_operators() {
        assert_eq!(
            toks("[:a :b | a >= b] value: 1 value: 2"),
            [
                Tok::LBrack,
                Tok::BlockParam("a".into()),
                Tok::BlockParam("b".into()),
                Tok::Pipe,
                Tok::Ident("a".into()),
                Tok::Binary(">=".into()),
                Tok::Ident("b".into()),
                Tok::RBrack,
                Tok::Keyword("value:".into()),
                Tok::Int(1.into()),
                Tok::Keyword("value:".into()),
                Tok::Int(2.into()),
            ]
        );
        assert_eq!(
            toks("x := 1 // c"),
            [Tok::Ident("x".into()), Tok::Assign, Tok::Int(1.into())]
        );
        assert_eq!(toks("7 // 2"), [Tok::Int(7.into())]);
        assert_eq!(
            toks("area := w * h // 40"),
            [
                Tok::Ident("area".into()),
                Tok::Assign,
                Tok::Ident("w".into()),
                Tok::Binary("*".into()),
                Tok::Ident("h".into())
            ]
        );
        assert_eq!(toks("// just a comment"), []);
        // A `-1` that begins a line is a number, whatever ended the line before.
        assert_eq!(
            toks("x := 1\n-1"),
            [
                Tok::Ident("x".into()),
                Tok::Assign,
                Tok::Int(1.into()),
                Tok::Int((-1).into())
            ]
        );
        assert_eq!(
            toks("#(#~~, #,, #+)"),
            [
                Tok::HashParen,
                Tok::Sym("~~".into()),
                Tok::Binary(",".into()),
                Tok::Sym(",".into()),
                Tok::Binary(",".into()),
                Tok::Sym("+".into()),
                Tok::RParen
            ]
        );
    }

    #[test]
    fn errors_do_not_panic() {
        for src in ["\"abc", "#", "$", "\"{abc\"", "99r1", "`"] {
            assert!(lex(src, 0).is_err(), "{src:?}");
        }
    }
}
