//! Items: a source cut into classes, `Class >> selector => body` methods and statements by its lines (a
//! line that starts inside a token is never the start of anything), and a class's body into members.

use super::*;

/// Parses a whole REPL input or `.bt` file.
pub fn parse(src: &str) -> Result<Vec<Item>, Diagnostic> {
    let lines = split_lines(src, &lex(src, 0)?);
    let mut items = Vec::new();
    let mut i = 0;
    let mut chunk: Option<(usize, usize)> = None;
    let flush =
        |chunk: &mut Option<(usize, usize)>, items: &mut Vec<Item>| -> Result<(), Diagnostic> {
            if let Some((start, end)) = chunk.take() {
                let stmts = parse_statements(&src[start..end], start)?;
                if !stmts.is_empty() {
                    items.push(Item::Statements(stmts));
                }
            }
            Ok(())
        };
    while i < lines.len() {
        let Line {
            offset: start,
            text,
            ..
        } = lines[i];
        let body_end = block_end(&lines, i, src.len());
        let margin = lines[i].indent() == 0;
        if margin && class_header(text).is_some() {
            flush(&mut chunk, &mut items)?;
            items.push(Item::Class(parse_class(src, &lines[i..body_end.0], start)?));
            i = body_end.0;
        } else if margin && method_header(text) {
            flush(&mut chunk, &mut items)?;
            items.push(parse_method_item(&src[start..body_end.1], start)?);
            i = body_end.0;
        } else {
            let end = start + text.len();
            chunk = Some(match chunk {
                Some((s, _)) => (s, end),
                None => (start, end),
            });
            i += 1;
        }
    }
    flush(&mut chunk, &mut items)?;
    Ok(items)
}

/// One line of the source.
#[derive(Clone, Copy)]
pub(super) struct Line<'a> {
    offset: usize,
    text: &'a str,
    /// The line starts inside a token (a string literal that spans lines): it continues whatever that
    /// token is part of, whatever it looks like.
    inside: bool,
}

impl Line<'_> {
    /// How far the line is indented (a line inside a token counts as indented without limit).
    fn indent(&self) -> usize {
        match self.inside {
            true => usize::MAX,
            false => self.text.len() - self.text.trim_start().len(),
        }
    }

    fn is_blank(&self) -> bool {
        let t = self.text.trim();
        !self.inside && (t.is_empty() || t.starts_with("//"))
    }
}

/// The lines of `src`, marking those that start inside one of its tokens.
pub(super) fn split_lines<'a>(src: &'a str, toks: &[Token]) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut t = 0;
    for line in src.split_inclusive('\n') {
        while t < toks.len() && toks[t].span.end <= offset {
            t += 1;
        }
        let inside = toks
            .get(t)
            .is_some_and(|tok| tok.span.start < offset && offset < tok.span.end);
        out.push(Line {
            offset,
            text: line.trim_end_matches(['\n', '\r']),
            inside,
        });
        offset += line.len();
    }
    out
}

pub(super) fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The index after the lines indented under line `i` (blank lines included), and that end's byte offset.
pub(super) fn block_end(lines: &[Line], i: usize, src_len: usize) -> (usize, usize) {
    let mut j = i + 1;
    let mut last = i;
    while j < lines.len() && (lines[j].is_blank() || lines[j].indent() > 0) {
        if !lines[j].is_blank() {
            last = j;
        }
        j += 1;
    }
    let end = lines.get(last).map_or(src_len, |l| l.offset + l.text.len());
    (last + 1, end)
}

/// `(superclass, name)` of a `Super subclass: Name` line.
/// A class header: `[abstract|sealed|typed ...] Super[(Params)] subclass: Name`.
pub(super) struct Header<'a> {
    modifiers: Vec<&'a str>,
    superclass: &'a str,
    params: Option<&'a str>,
    name: &'a str,
}

/// The modifiers a class header may start with. `internal` (ADR 0071) restricts naming a class to its own package; a project is one package here, so it
/// is kept (the class lists it) and restricts nothing.
pub(super) const MODIFIERS: [&str; 4] = ["abstract", "sealed", "typed", "internal"];

pub(super) fn class_header(line: &str) -> Option<Header<'_>> {
    let upper = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_uppercase())
            && w.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    let mut rest = line.trim();
    let mut modifiers = Vec::new();
    while let Some((word, after)) = rest.split_once(char::is_whitespace)
        && MODIFIERS.contains(&word)
    {
        modifiers.push(word);
        rest = after.trim_start();
    }
    let (sup, name) = rest.split_once(" subclass: ")?;
    let name = name.trim();
    let (superclass, params) = match sup.trim().split_once('(') {
        Some((s, p)) => (s, Some(p.strip_suffix(')')?)),
        None => (sup.trim(), None),
    };
    (upper(superclass) && upper(name)).then_some(Header {
        modifiers,
        superclass,
        params,
        name,
    })
}

/// Whether a line starts a class definition (the REPL reads on until the class body ends).
pub fn is_class_header(line: &str) -> bool {
    class_header(line).is_some()
}

/// Whether a line is `Name >> ...` or `Name class >> ...`.
pub fn method_header(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().take(4).collect();
    let upper = |w: &str| w.starts_with(|c: char| c.is_ascii_uppercase());
    // `Counter >> #increment` reads a method: an expression, not a definition.
    let defines = |rest: &[&str]| rest.first().is_none_or(|w| !w.starts_with('#'));
    match words.as_slice() {
        [name, ">>", rest @ ..] => upper(name) && defines(rest),
        [name, "class", ">>", rest @ ..] => upper(name) && defines(rest),
        _ => false,
    }
}

pub(super) fn parse_class(src: &str, lines: &[Line], start: usize) -> Result<ClassDef, Diagnostic> {
    let Line {
        offset: header_offset,
        text: header,
        ..
    } = lines[0];
    let Some(h) = class_header(header) else {
        return Err(Diagnostic::new(
            Span::new(header_offset, header_offset + header.len()),
            "expected a class header (`Super subclass: Name`)",
            "not a class header",
        ));
    };
    let mut class = ClassDef {
        name: h.name.to_owned(),
        superclass: h.superclass.to_owned(),
        superclass_params: h.params.map(str::to_owned),
        modifiers: h.modifiers.into_iter().map(str::to_owned).collect(),
        slots: Vec::new(),
        class_slots: Vec::new(),
        methods: Vec::new(),
        class_methods: Vec::new(),
        span: Span::new(header_offset, header_offset + header.len()),
    };
    let body: Vec<Line> = lines[1..]
        .iter()
        .copied()
        .filter(|l| !l.is_blank())
        .collect();
    let Some(base_indent) = body.first().map(Line::indent) else {
        return Ok(class);
    };
    let mut k = 0;
    while k < body.len() {
        let Line {
            offset, text: line, ..
        } = body[k];
        if body[k].indent() < base_indent {
            return Err(Diagnostic::new(
                Span::new(offset, offset + line.len()),
                "this line is indented less than the class body above it",
                "inconsistent indentation",
            ));
        }
        let mut end = offset + line.len();
        k += 1;
        while k < body.len() && body[k].indent() > base_indent {
            end = body[k].offset + body[k].text.len();
            k += 1;
        }
        let member_start = offset + indent(line);
        member(&src[member_start..end], member_start, &mut class)?;
    }
    class.span = Span::new(
        start,
        lines.last().map_or(start, |l| l.offset + l.text.len()),
    );
    Ok(class)
}

/// The most members (slots and methods, both sides) one class may declare: far beyond any real class,
/// and small enough that the node compiles it in seconds.
pub const MAX_MEMBERS: usize = 10_000;

pub(super) fn member(text: &str, base: usize, class: &mut ClassDef) -> Result<(), Diagnostic> {
    if class.slots.len() + class.methods.len() + class.class_methods.len() >= MAX_MEMBERS {
        return Err(Diagnostic::new(
            Span::new(base, base + text.len()),
            format!(
                "class {} declares more than {MAX_MEMBERS} members",
                class.name
            ),
            "one too many",
        )
        .with_hint("split the class (a superclass, or extension methods in another file)"));
    }
    let toks = layout::separate(text, base, lex(text, base)?);
    let mut p = Parser::new(toks, base + text.len());
    if p.skip_pragma() && p.peek_tok().is_none() {
        return Ok(());
    }
    match p.peek_tok() {
        Some(Tok::Keyword(k))
            if matches!(k.as_str(), "field:" | "state:" | "classState:")
                && matches!(p.peek_at(1), Some(Tok::Ident(_))) =>
        {
            let class_side = k == "classState:";
            let slot = p.slot(base, text.len())?;
            match class_side {
                true => class.class_slots.push(slot),
                false => class.slots.push(slot),
            }
        }
        Some(Tok::Ident(w)) if w == "class" && !matches!(p.peek_at(1), Some(Tok::FatArrow)) => {
            p.pos += 1;
            class.class_methods.push(p.method_def()?);
        }
        _ => class.methods.push(p.method_def()?),
    }
    Ok(())
}

pub(super) fn parse_method_item(text: &str, base: usize) -> Result<Item, Diagnostic> {
    let toks = layout::separate(text, base, lex(text, base)?);
    let mut p = Parser::new(toks, base + text.len());
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
