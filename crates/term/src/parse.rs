//! Erlang term text syntax → [`eetf::Term`]: what a user types as an `rpc` argument, and what `~p` prints.
//!
//! Integers of any size (`42`, `-7`, `16#FF`, `1_000`), floats, characters (`$a`), atoms (`ok`, `'quoted'`),
//! strings (adjacent ones concatenate), binaries (`<<"x">>`, `<<1,2>>`, `<<"é"/utf8>>`, `<<5:3>>`), lists
//! (proper and improper), tuples and maps. Pids, references, ports and funs cannot be written as text, as in
//! Erlang; errors say where (column) and what was expected.

use eetf::{Atom, BitBinary, ByteList, FixInteger, Float, ImproperList, List, Map, Term, Tuple};
use num_bigint::BigInt;

use super::etf::int_term;

/// A term text that does not parse: 1-based column (in characters) and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

/// Deepest bracket nesting accepted, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Parses exactly one term; an optional final `.` is allowed, as in the Erlang shell.
pub fn parse(text: &str) -> Result<Term, ParseError> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let term = p.term()?;
    p.skip_ws();
    if p.peek() == Some('.') {
        p.pos += 1;
        p.skip_ws();
    }
    match p.peek() {
        None => Ok(term),
        Some(c) => Err(p.error(format!("unexpected `{c}` after the term"))),
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            column: self.pos + 1,
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c == '%' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
            } else if c.is_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), ParseError> {
        self.skip_ws();
        for (i, c) in s.chars().enumerate() {
            if self.peek_at(i) != Some(c) {
                return Err(self.error(format!("expected `{s}`{}", self.found())));
            }
        }
        self.pos += s.chars().count();
        Ok(())
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        let matches = s
            .chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c));
        if matches {
            self.pos += s.chars().count();
        }
        matches
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(c) => format!(", found `{c}`"),
            None => ", found the end of the input".to_owned(),
        }
    }

    fn term(&mut self) -> Result<Term, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("terms nest deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let result = self.untracked_term();
        self.depth -= 1;
        result
    }

    fn untracked_term(&mut self) -> Result<Term, ParseError> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.error("expected a term, found the end of the input")),
            Some('[') => self.list(),
            Some('{') => self.tuple(),
            Some('#') if self.peek_at(1) == Some('{') => self.map(),
            Some('<') if self.peek_at(1) == Some('<') => self.binary(),
            Some('<') => Err(self.error(
                "pids cannot be written as terms; pass a registered name or call `erlang:list_to_pid/1` remotely",
            )),
            Some('#') => Err(self.error(
                "references, ports and funs cannot be written as terms",
            )),
            Some('"') => Ok(string_term(self.strings()?)),
            Some('\'') => Ok(Term::from(Atom::from(self.quoted('\'')?))),
            Some('$') => self.char_literal(),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.number(),
            Some(c) if is_atom_start(c) => Ok(Term::from(Atom::from(self.bare_atom()))),
            Some(c) => Err(self.error(format!(
                "expected a term (number, atom, string, list, tuple, map or binary), found `{c}`"
            ))),
        }
    }

    fn elements(&mut self, close: char) -> Result<Vec<Term>, ParseError> {
        let mut out = Vec::new();
        if self.eat(&close.to_string()) {
            return Ok(out);
        }
        loop {
            out.push(self.term()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(self.error(format!("expected `,` or `{close}`{}", self.found()))),
            }
        }
    }

    fn tuple(&mut self) -> Result<Term, ParseError> {
        self.pos += 1;
        Ok(Term::from(Tuple::from(self.elements('}')?)))
    }

    fn list(&mut self) -> Result<Term, ParseError> {
        self.pos += 1;
        let mut elements = Vec::new();
        if self.eat("]") {
            return Ok(Term::from(List::nil()));
        }
        loop {
            elements.push(self.term()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(Term::from(List::from(elements)));
                }
                Some('|') => {
                    self.pos += 1;
                    let tail = self.term()?;
                    self.expect("]")?;
                    return Ok(improper(elements, tail));
                }
                _ => return Err(self.error(format!("expected `,`, `|` or `]`{}", self.found()))),
            }
        }
    }

    fn map(&mut self) -> Result<Term, ParseError> {
        self.pos += 2;
        let mut map = std::collections::HashMap::new();
        if self.eat("}") {
            return Ok(Term::from(Map::from(map)));
        }
        loop {
            let key = self.term()?;
            self.expect("=>")?;
            let value = self.term()?;
            map.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(Term::from(Map::from(map)));
                }
                _ => return Err(self.error(format!("expected `,` or `}}`{}", self.found()))),
            }
        }
    }

    fn binary(&mut self) -> Result<Term, ParseError> {
        self.pos += 2;
        let mut bits = BitWriter::default();
        if self.eat(">>") {
            return Ok(bits.finish());
        }
        loop {
            self.segment(&mut bits)?;
            if self.eat(">>") {
                return Ok(bits.finish());
            }
            self.expect(",")?;
        }
    }

    /// One segment of a binary: a string or an integer, with an optional `:Size` (in bits) and `/utf8` type.
    fn segment(&mut self, bits: &mut BitWriter) -> Result<(), ParseError> {
        self.skip_ws();
        let start = self.pos;
        let value = if self.peek() == Some('"') {
            Segment::Text(self.strings()?)
        } else {
            match self.term()? {
                Term::FixInteger(i) => Segment::Int(BigInt::from(i.value)),
                Term::BigInteger(b) => Segment::Int(b.value),
                _ => {
                    self.pos = start;
                    return Err(self.error("a binary segment must be an integer or a string"));
                }
            }
        };
        let size = if self.eat(":") {
            self.skip_ws();
            let at = self.pos;
            let digits = self.digits(10);
            match digits.parse::<u32>() {
                Ok(n) if (1..=64).contains(&n) => Some(n),
                _ => {
                    self.pos = at;
                    return Err(self.error("segment size must be an integer from 1 to 64"));
                }
            }
        } else {
            None
        };
        let utf8 = if self.eat("/") {
            let ty = self.bare_atom();
            match ty.as_str() {
                "utf8" => true,
                "integer" | "binary" | "bytes" => false,
                other => return Err(self.error(format!("unsupported segment type `{other}`"))),
            }
        } else {
            false
        };
        match value {
            Segment::Text(chars) if utf8 => {
                for c in chars.iter().filter_map(|&c| char::from_u32(c)) {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf)
                        .bytes()
                        .for_each(|b| bits.push(u64::from(b), 8));
                }
            }
            Segment::Text(chars) => {
                let n = size.unwrap_or(8);
                chars.iter().for_each(|&c| bits.push(u64::from(c), n));
            }
            Segment::Int(v) if utf8 => {
                let c = u32::try_from(&v)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| self.error("not a Unicode code point"))?;
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .for_each(|b| bits.push(u64::from(b), 8));
            }
            Segment::Int(v) => {
                let (_, digits) = v.to_u64_digits();
                let low = digits.first().copied().unwrap_or(0);
                let low = if v.sign() == num_bigint::Sign::Minus {
                    low.wrapping_neg()
                } else {
                    low
                };
                bits.push(low, size.unwrap_or(8));
            }
        }
        Ok(())
    }

    /// One or more adjacent string literals, as code points.
    fn strings(&mut self) -> Result<Vec<u32>, ParseError> {
        let mut out = Vec::new();
        loop {
            out.extend(self.quoted('"')?.chars().map(u32::from));
            self.skip_ws();
            if self.peek() != Some('"') {
                return Ok(out);
            }
        }
    }

    fn quoted(&mut self, quote: char) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    self.pos = start;
                    return Err(self.error(format!("unterminated {quote}...{quote} literal")));
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(c) => {
                    self.pos += 1;
                    out.push(c);
                }
            }
        }
    }

    /// The character after a backslash, per Erlang's escape sequences.
    fn escape(&mut self) -> Result<char, ParseError> {
        let Some(c) = self.peek() else {
            return Err(self.error("unfinished escape sequence"));
        };
        self.pos += 1;
        Ok(match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            'e' => '\u{1b}',
            's' => ' ',
            'd' => '\u{7f}',
            '0'..='7' => {
                let mut v = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                char::from_u32(v).ok_or_else(|| self.error("bad octal escape"))?
            }
            'x' => self.hex_escape()?,
            '^' => {
                let Some(ctl) = self.peek() else {
                    return Err(self.error("unfinished control escape"));
                };
                self.pos += 1;
                char::from_u32(u32::from(ctl) & 31).unwrap_or('\0')
            }
            other => other,
        })
    }

    fn hex_escape(&mut self) -> Result<char, ParseError> {
        let value = if self.peek() == Some('{') {
            self.pos += 1;
            let digits = self.digits(16);
            self.expect("}")?;
            digits
        } else {
            let mut d = String::new();
            for _ in 0..2 {
                if let Some(c) = self.peek().filter(char::is_ascii_hexdigit) {
                    d.push(c);
                    self.pos += 1;
                }
            }
            d
        };
        u32::from_str_radix(&value, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| self.error("bad \\x escape"))
    }

    fn char_literal(&mut self) -> Result<Term, ParseError> {
        self.pos += 1;
        let c = match self.peek() {
            None => return Err(self.error("expected a character after `$`")),
            Some('\\') => {
                self.pos += 1;
                self.escape()?
            }
            Some(c) => {
                self.pos += 1;
                c
            }
        };
        Ok(int_term(BigInt::from(u32::from(c))))
    }

    fn bare_atom(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|&c| is_atom_char(c)) {
            s.push(c);
            self.pos += 1;
        }
        s
    }

    fn digits(&mut self, radix: u32) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if c.is_digit(radix) {
                s.push(c);
            } else if c != '_'
                || !self.peek_at(1).is_some_and(|d| d.is_digit(radix))
                || s.is_empty()
            {
                break;
            }
            self.pos += 1;
        }
        s
    }

    fn number(&mut self) -> Result<Term, ParseError> {
        let start = self.pos;
        let negative = match self.peek() {
            Some('-') => {
                self.pos += 1;
                true
            }
            Some('+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        self.skip_ws();
        let int_part = self.digits(10);
        if int_part.is_empty() {
            return Err(self.error(format!("expected digits{}", self.found())));
        }
        if self.peek() == Some('#') {
            self.pos += 1;
            return self.radix_number(&int_part, negative, start);
        }
        let is_float =
            self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit());
        if !is_float {
            let mut v: BigInt = int_part.parse().map_err(|_| self.error("bad integer"))?;
            if negative {
                v = -v;
            }
            return Ok(int_term(v));
        }
        self.pos += 1;
        let frac = self.digits(10);
        let mut text = format!("{}{int_part}.{frac}", if negative { "-" } else { "" });
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            text.push('e');
            if let Some(sign @ ('-' | '+')) = self.peek() {
                text.push(sign);
                self.pos += 1;
            }
            let exp = self.digits(10);
            if exp.is_empty() {
                return Err(self.error("expected exponent digits"));
            }
            text.push_str(&exp);
        }
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Term::from(Float { value })),
            _ => {
                self.pos = start;
                Err(self.error("float out of range"))
            }
        }
    }

    fn radix_number(
        &mut self,
        base: &str,
        negative: bool,
        start: usize,
    ) -> Result<Term, ParseError> {
        let radix = match base.parse::<u32>() {
            Ok(r) if (2..=36).contains(&r) => r,
            _ => {
                self.pos = start;
                return Err(self.error("radix must be from 2 to 36"));
            }
        };
        let digits = self.digits(radix);
        let mut v = BigInt::parse_bytes(digits.as_bytes(), radix)
            .ok_or_else(|| self.error(format!("expected base-{radix} digits{}", self.found())))?;
        if negative {
            v = -v;
        }
        Ok(int_term(v))
    }
}

enum Segment {
    Text(Vec<u32>),
    Int(BigInt),
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bits_in_last: u8,
}

impl BitWriter {
    /// Appends the low `n` bits of `value`, most significant first.
    fn push(&mut self, value: u64, n: u32) {
        for i in (0..n).rev() {
            let bit = u8::from((value >> i) & 1 == 1);
            if self.bits_in_last == 0 || self.bits_in_last == 8 {
                self.bytes.push(0);
                self.bits_in_last = 0;
            }
            if let Some(last) = self.bytes.last_mut() {
                *last |= bit << (7 - self.bits_in_last);
            }
            self.bits_in_last += 1;
        }
    }

    fn finish(mut self) -> Term {
        match self.bits_in_last {
            0 | 8 => Term::from(eetf::Binary::from(self.bytes)),
            n => {
                if let Some(last) = self.bytes.last_mut() {
                    *last >>= 8 - n;
                }
                Term::from(BitBinary::from((self.bytes, n)))
            }
        }
    }
}

fn is_atom_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

fn is_atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '_'
        || c == '@'
        || (('\u{c0}'..='\u{ff}').contains(&c) && c != '\u{d7}' && c != '\u{f7}')
}

/// A string as Erlang holds it: a list of code points (written as `STRING_EXT` when all are bytes).
pub fn string_term(code_points: Vec<u32>) -> Term {
    if code_points.iter().all(|&c| c < 256) {
        let bytes: Vec<u8> = code_points.iter().map(|&c| c as u8).collect();
        if bytes.is_empty() {
            return Term::from(List::nil());
        }
        return Term::from(ByteList::from(bytes));
    }
    Term::from(List::from(
        code_points
            .into_iter()
            .map(|c| int_term(BigInt::from(c)))
            .collect::<Vec<_>>(),
    ))
}

/// `[E1, E2 | Tail]`, normalised the way the BEAM holds it: a list tail is spliced in.
fn improper(mut elements: Vec<Term>, tail: Term) -> Term {
    match tail {
        Term::List(l) => {
            elements.extend(l.elements);
            Term::from(List::from(elements))
        }
        Term::ByteList(b) => {
            elements.extend(b.bytes.into_iter().map(|x| Term::from(FixInteger::from(x))));
            Term::from(List::from(elements))
        }
        Term::ImproperList(l) => {
            elements.extend(l.elements);
            Term::from(ImproperList::from((elements, *l.last)))
        }
        tail => Term::from(ImproperList::from((elements, tail))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etf::encode;

    fn enc(text: &str) -> Vec<u8> {
        encode(&parse(text).expect("parses")).expect("encodes")
    }

    #[test]
    fn scalars() {
        assert_eq!(enc("42"), [131, 97, 42]);
        assert_eq!(enc("-1"), [131, 98, 255, 255, 255, 255]);
        assert_eq!(enc("16#FF"), [131, 97, 255]);
        assert_eq!(enc("$a"), [131, 97, 97]);
        assert_eq!(enc("ok"), [131, 119, 2, b'o', b'k']);
        assert_eq!(enc("'hello world'").len(), 2 + 1 + 11);
        assert_eq!(
            parse("1_000").expect("parses"),
            Term::from(FixInteger::from(1000))
        );
    }

    #[test]
    fn strings_and_binaries() {
        assert_eq!(enc("\"ab\""), [131, 107, 0, 2, b'a', b'b']);
        assert_eq!(enc("\"a\" \"b\""), [131, 107, 0, 2, b'a', b'b']);
        assert_eq!(enc("<<\"x\">>"), [131, 109, 0, 0, 0, 1, b'x']);
        assert_eq!(enc("<<1,2>>"), [131, 109, 0, 0, 0, 2, 1, 2]);
        assert_eq!(enc("<<\"é\"/utf8>>"), [131, 109, 0, 0, 0, 2, 0xc3, 0xa9]);
        assert_eq!(enc("<<5:3>>"), [131, 77, 0, 0, 0, 1, 3, 0b1010_0000]);
    }

    #[test]
    fn containers() {
        assert_eq!(enc("[1|2]"), [131, 108, 0, 0, 0, 1, 97, 1, 97, 2]);
        assert_eq!(enc("[1|[2]]"), enc("[1,2]"));
        assert_eq!(enc("{}"), [131, 104, 0]);
        assert_eq!(enc("#{b => 1, a => 2}"), enc("#{a => 2, b => 1}"));
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = parse("[1, 2").expect_err("unterminated");
        assert_eq!(e.column, 6);
        let e = parse("{a, b]").expect_err("mismatched");
        assert_eq!(e.column, 6);
        assert!(e.message.contains("expected `,` or `}`"), "{}", e.message);
        assert!(parse("<0.1.0>").is_err());
        assert!(parse("'abc").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        assert!(parse(&text).is_err());
    }
}
