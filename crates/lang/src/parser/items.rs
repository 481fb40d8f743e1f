//! Items: a source cut into classes, `Class >> selector => body` methods and statements, and a class's
//! body into members — all from the one token stream of the file. An item starts with a token at the
//! left margin (the first on its line, not indented) and runs until the next such token; a class's
//! members start at the indentation of its first member.

use super::*;
use crate::layout::{LineIndex, separate_in};

/// Parses a whole REPL input or `.bt` file.
pub fn parse(src: &str) -> Result<Vec<Item>, Diagnostic> {
    let file = File::new(src)?;
    let mut items = Vec::new();
    let mut statements: Option<usize> = None;
    let mut i = 0;
    while i < file.toks.len() {
        let end = file.next_margin(i);
        let item = match file.class_header(i).or_else(|| file.protocol_header(i)) {
            Some((header, body)) => Some(Item::Class(file.class(i, header, body, end)?)),
            None if file.method_header(i) => Some(file.method_item(i, end)?),
            None => None,
        };
        match item {
            Some(item) => {
                if let Some(start) = statements.take() {
                    file.statements(start, i, &mut items)?;
                }
                items.push(item);
            }
            None => {
                statements.get_or_insert(i);
            }
        }
        i = end;
    }
    if let Some(start) = statements {
        file.statements(start, file.toks.len(), &mut items)?;
    }
    Ok(items)
}

/// A source and its tokens, each marked with its line's indentation when it is the first on its line.
struct File<'a> {
    src: &'a str,
    toks: Vec<Token>,
    lines: LineIndex<'a>,
    /// `Some(indent)` for a token that begins its line (a token continuing a string that spans lines
    /// never does: it starts on the line where the string starts).
    first: Vec<Option<usize>>,
}

impl<'a> File<'a> {
    fn new(src: &'a str) -> Result<Self, Diagnostic> {
        let toks = lex(src, 0)?;
        let lines = LineIndex::new(src, 0);
        let first = lines.line_starts(&toks);
        Ok(Self {
            src,
            toks,
            lines,
            first,
        })
    }

    fn tok(&self, i: usize) -> Option<&Tok> {
        self.toks.get(i).map(|t| &t.tok)
    }

    /// Whether token `i` starts a line at the left margin.
    fn at_margin(&self, i: usize) -> bool {
        self.first.get(i) == Some(&Some(0))
    }

    /// The first token after `i` at the left margin (or the end).
    fn next_margin(&self, i: usize) -> usize {
        (i + 1..self.toks.len())
            .find(|&j| self.at_margin(j))
            .unwrap_or(self.toks.len())
    }

    /// A class header alone on its line at token `i`: `[abstract|sealed|typed|internal ...]
    /// Super[(Params)] subclass: Name`, and the index of the token after it.
    fn class_header(&self, i: usize) -> Option<(Header<'a>, usize)> {
        if !self.at_margin(i) {
            return None;
        }
        let upper = |k: usize| match self.tok(k) {
            Some(Tok::Ident(w)) if w.starts_with(|c: char| c.is_ascii_uppercase()) => {
                Some(self.text(k))
            }
            _ => None,
        };
        let mut k = i;
        let mut modifiers = Vec::new();
        while let Some(Tok::Ident(w)) = self.tok(k)
            && MODIFIERS.contains(&w.as_str())
        {
            modifiers.push(self.text(k));
            k += 1;
        }
        let superclass = upper(k)?;
        k += 1;
        let mut params = None;
        if self.tok(k) == Some(&Tok::LParen) {
            let close = (k + 1..self.toks.len()).find(|&j| self.tok(j) == Some(&Tok::RParen))?;
            params = Some(&self.src[self.toks[k].span.end..self.toks[close].span.start]);
            k = close + 1;
        }
        if !matches!(self.tok(k), Some(Tok::Keyword(w)) if w == "subclass:") {
            return None;
        }
        let name = upper(k + 1)?;
        let (type_params, end) = self.type_params(k + 2)?;
        let one_line = (i + 1..end).all(|j| self.first[j].is_none());
        let alone = end == self.toks.len() || self.first[end].is_some();
        (one_line && alone).then_some((
            Header {
                modifiers,
                superclass,
                params,
                name,
                type_params,
                protocol: false,
            },
            end,
        ))
    }

    /// `(T, E)` or `(T :: Printable)` after a class's name at token `k`: the parameters' names, and the
    /// index of the token after them (`k` itself when there are none).
    fn type_params(&self, k: usize) -> Option<(Vec<&'a str>, usize)> {
        if self.tok(k) != Some(&Tok::LParen) {
            return Some((Vec::new(), k));
        }
        let close = (k + 1..self.toks.len()).find(|&j| self.tok(j) == Some(&Tok::RParen))?;
        let names = (k + 1..close)
            .filter(|&j| {
                // A name starts the list or follows a comma (a bound's class follows `::`).
                matches!(self.tok(j), Some(Tok::Ident(_)))
                    && (j == k + 1 || matches!(self.tok(j - 1), Some(Tok::Binary(c)) if c == ","))
            })
            .map(|j| self.text(j))
            .collect();
        Some((names, close + 1))
    }

    /// `Protocol define: Printable` (or `Comparable(T)`) alone on its line at token `i`: a protocol,
    /// whose body lists the signatures a conforming class answers (chapter 27).
    fn protocol_header(&self, i: usize) -> Option<(Header<'a>, usize)> {
        let starts = self.at_margin(i)
            && matches!(self.tok(i), Some(Tok::Ident(w)) if w == "Protocol")
            && matches!(self.tok(i + 1), Some(Tok::Keyword(w)) if w == "define:");
        let name = match self.tok(i + 2) {
            Some(Tok::Ident(w)) if starts && w.starts_with(|c: char| c.is_ascii_uppercase()) => {
                self.text(i + 2)
            }
            _ => return None,
        };
        let (type_params, end) = self.type_params(i + 3)?;
        let one_line = (i + 1..end).all(|j| self.first[j].is_none());
        let alone = end == self.toks.len() || self.first[end].is_some();
        (one_line && alone).then_some((
            Header {
                modifiers: Vec::new(),
                superclass: "Protocol",
                params: None,
                name,
                type_params,
                protocol: true,
            },
            end,
        ))
    }

    /// One signature of a protocol's body (`asString -> String`, `< other :: Self -> Boolean`, `do:
    /// block :: Block(E, Object)`): its selector.
    fn signature(&self, from: usize, to: usize) -> Result<String, Diagnostic> {
        let mut depth = 0usize;
        let mut keywords = String::new();
        for j in from..to {
            match self.tok(j) {
                Some(Tok::LParen) => depth += 1,
                Some(Tok::RParen) => depth = depth.saturating_sub(1),
                Some(Tok::Keyword(w)) if depth == 0 => keywords.push_str(w),
                _ => {}
            }
        }
        let span = self.toks[from].span.to(self.toks[to - 1].span);
        match (self.tok(from), keywords.is_empty()) {
            (_, false) => Ok(keywords),
            (Some(Tok::Ident(w)), true) | (Some(Tok::Binary(w)), true) => Ok(w.clone()),
            _ => Err(Diagnostic::new(
                span,
                "a protocol lists message signatures: `asString -> String`, `< other :: Self -> Boolean`, `do: block`",
                "not a signature",
            )),
        }
    }

    /// Whether token `i` starts `Name >> ...` or `Name class >> ...` at the margin (`Counter >> #sel`
    /// reads a method: an expression, not a definition).
    fn method_header(&self, i: usize) -> bool {
        let upper = matches!(self.tok(i), Some(Tok::Ident(w)) if w.starts_with(|c: char| c.is_ascii_uppercase()));
        let k = match self.tok(i + 1) {
            Some(Tok::Ident(w)) if w == "class" => i + 2,
            _ => i + 1,
        };
        self.at_margin(i)
            && upper
            && matches!(self.tok(k), Some(Tok::Binary(op)) if op == ">>")
            && !matches!(self.tok(k + 1), Some(Tok::Sym(_)))
    }

    /// Where the line holding the end of `span` ends.
    fn line_end(&self, span: Span) -> usize {
        self.lines
            .line_end(span.end.saturating_sub(1).max(span.start))
    }

    fn text(&self, i: usize) -> &'a str {
        let span = self.toks[i].span;
        &self.src[span.start..span.end]
    }

    /// Tokens `from..to` laid out into statements, for a parser.
    fn parser(&self, from: usize, to: usize) -> Parser {
        // "The end of the input" is where the last line ends, past trailing blanks, as the user sees it.
        let end = self.toks[from..to]
            .last()
            .map_or(self.src.len(), |t| self.line_end(t.span));
        Parser::new(separate_in(&self.lines, self.toks[from..to].to_vec()), end)
    }

    fn statements(&self, from: usize, to: usize, items: &mut Vec<Item>) -> Result<(), Diagnostic> {
        let mut p = self.parser(from, to);
        let stmts = p.statements(None)?;
        p.expect_end()?;
        if !stmts.is_empty() {
            items.push(Item::Statements(stmts));
        }
        Ok(())
    }

    /// The class whose header starts at token `at` and whose body is tokens `body..end`.
    fn class(
        &self,
        at: usize,
        h: Header<'a>,
        body: usize,
        end: usize,
    ) -> Result<ClassDef, Diagnostic> {
        let start = self.toks[at].span.start;
        let last = self.toks[end - 1].span;
        let mut class = ClassDef {
            name: h.name.to_owned(),
            superclass: h.superclass.to_owned(),
            superclass_params: h.params.map(|p| p.trim().to_owned()),
            type_params: h.type_params.iter().map(|t| (*t).to_owned()).collect(),
            protocol: h.protocol.then(Vec::new),
            modifiers: h.modifiers.into_iter().map(str::to_owned).collect(),
            slots: Vec::new(),
            class_slots: Vec::new(),
            methods: Vec::new(),
            class_methods: Vec::new(),
            // The last line whole: a comment after the last member is part of the class's source.
            span: Span::new(start, self.line_end(last)),
        };
        let Some(base_indent) = self
            .first
            .get(body)
            .copied()
            .flatten()
            .filter(|_| body < end)
        else {
            return Ok(class);
        };
        let mut k = body;
        while k < end {
            let mut next = k + 1;
            while next < end && self.first[next].is_none_or(|ind| ind > base_indent) {
                next += 1;
            }
            if next < end && self.first[next].is_some_and(|ind| ind < base_indent) {
                let line = self.toks[next].span.start;
                return Err(Diagnostic::new(
                    Span::new(line, self.lines.line_end(line)),
                    "this line is indented less than the class body above it",
                    "inconsistent indentation",
                ));
            }
            match class.protocol.as_mut() {
                Some(signatures) => signatures.push(self.signature(k, next)?),
                None => self.member(k, next, &mut class)?,
            }
            k = next;
        }
        Ok(class)
    }

    fn member(&self, from: usize, to: usize, class: &mut ClassDef) -> Result<(), Diagnostic> {
        let span = self.toks[from].span.to(self.toks[to - 1].span);
        if class.slots.len() + class.methods.len() + class.class_methods.len() >= MAX_MEMBERS {
            return Err(Diagnostic::new(
                span,
                format!(
                    "class {} declares more than {MAX_MEMBERS} members",
                    class.name
                ),
                "one too many",
            )
            .with_hint("split the class (a superclass, or extension methods in another file)"));
        }
        let mut p = self.parser(from, to);
        if p.skip_pragma() && p.peek_tok().is_none() {
            return Ok(());
        }
        match p.peek_tok() {
            Some(Tok::Keyword(k))
                if matches!(k.as_str(), "field:" | "state:" | "classState:")
                    && matches!(p.peek_at(1), Some(Tok::Ident(_))) =>
            {
                let class_side = k == "classState:";
                let slot = p.slot(span)?;
                match class_side {
                    true => class.class_slots.push(slot),
                    false => class.slots.push(slot),
                }
            }
            _ => {
                // `sealed class foo =>` and `class sealed foo =>` alike.
                let before = p.method_modifiers();
                let class_side = matches!(p.peek_tok(), Some(Tok::Ident(w)) if w == "class")
                    && !matches!(p.peek_at(1), Some(Tok::FatArrow));
                if class_side {
                    p.pos += 1;
                }
                let mut method = p.method_def()?;
                method.modifiers.splice(0..0, before);
                match class_side {
                    true => class.class_methods.push(method),
                    false => class.methods.push(method),
                }
            }
        }
        Ok(())
    }

    /// `Class >> selector => body` (tokens `from..to`).
    fn method_item(&self, from: usize, to: usize) -> Result<Item, Diagnostic> {
        let mut p = self.parser(from, to);
        let class = match p.next_tok() {
            Some(Tok::Ident(n)) => n,
            _ => return Err(p.error_here("expected a class name", "here")),
        };
        let class_side = matches!(p.peek_tok(), Some(Tok::Ident(w)) if w == "class");
        if class_side {
            p.pos += 1;
        }
        if !p.eat_binary(">>") {
            return Err(p.error_here("expected `>>` after the class name", "expected `>>`"));
        }
        let method = p.method_def()?;
        Ok(Item::Method {
            class,
            class_side,
            method,
        })
    }
}

/// A class header: `[abstract|sealed|typed ...] Super[(Params)] subclass: Name`.
struct Header<'a> {
    modifiers: Vec<&'a str>,
    superclass: &'a str,
    params: Option<&'a str>,
    name: &'a str,
    type_params: Vec<&'a str>,
    /// `Protocol define: Name`.
    protocol: bool,
}

/// The modifiers a class header may start with. `internal` (ADR 0071) restricts naming a class to its
/// own package; a project is one package here, so it is kept (the class lists it) and restricts nothing.
const MODIFIERS: [&str; 4] = ["abstract", "sealed", "typed", "internal"];

/// Whether a line starts a class definition (the REPL reads on until the class body ends).
pub fn is_class_header(line: &str) -> bool {
    File::new(line.trim_end())
        .is_ok_and(|f| f.class_header(0).is_some() || f.protocol_header(0).is_some())
}

/// Whether a line is `Name >> ...` or `Name class >> ...`.
pub fn method_header(line: &str) -> bool {
    File::new(line.trim_end()).is_ok_and(|f| f.method_header(0))
}

/// The most members (slots and methods, both sides) one class may declare: far beyond any real class,
/// and small enough that the node compiles it in seconds.
pub const MAX_MEMBERS: usize = 10_000;
