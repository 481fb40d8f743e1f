//! The symbol at a place in a document, and where a symbol occurs: classes by name, selectors where they
//! are sent and defined (each keyword part located), locals within their method.

use crate::ast::{Expr, ExprKind, Item, MethodDef, Span, walk};
use crate::lexer::{Tok, Token, lex};

use super::outline::Outline;

/// What a name in the source stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Symbol {
    Class(String),
    Selector(String),
    /// A parameter, block parameter or local variable.
    Local(String),
    /// `self.name`.
    Slot(String),
}

/// One place a selector occurs: the spans of its parts (`at:` and `put:`), and whether it is the
/// method's definition rather than a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub selector: String,
    pub parts: Vec<Span>,
    pub definition: bool,
}

/// The tokens of `src`; when it does not lex, those of the lines before the first error.
pub fn tokens(src: &str) -> Vec<Token> {
    match lex(src, 0) {
        Ok(t) => t,
        Err(d) => {
            let cut = src[..d.span.start.min(src.len())]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            lex(&src[..cut], 0).unwrap_or_default()
        }
    }
}

/// The token whose span holds `offset` (or ends right at it: the word just typed).
pub fn token_at(tokens: &[Token], offset: usize) -> Option<&Token> {
    let i = tokens.partition_point(|t| t.span.end < offset);
    tokens
        .get(i)
        .filter(|t| t.span.start <= offset && offset <= t.span.end)
}

/// Every send and definition of a selector in the outline's items.
pub fn occurrences(outline: &Outline, tokens: &[Token]) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut sends = |e: &Expr| sends_in(e, tokens, &mut out);
    for item in &outline.items {
        match item {
            Item::Statements(stmts) => stmts.iter().for_each(|e| walk(e, &mut sends)),
            Item::Method { method, .. } => method.body.iter().for_each(|e| walk(e, &mut sends)),
            Item::Class(c) => {
                for s in c.slots.iter().chain(c.class_slots.iter()) {
                    if let Some(d) = &s.default {
                        walk(d, &mut sends);
                    }
                }
                for m in c.methods.iter().chain(c.class_methods.iter()) {
                    m.body.iter().for_each(|e| walk(e, &mut sends));
                }
            }
        }
    }
    let mut defs = Vec::new();
    for m in outline_methods(outline) {
        let head_end = m.body.first().map_or(m.span.end, |b| b.span.start);
        defs.push(Occurrence {
            selector: m.selector.clone(),
            parts: parts(tokens, m.span.start, head_end, &m.selector),
            definition: true,
        });
    }
    out.extend(defs);
    out
}

fn outline_methods(outline: &Outline) -> impl Iterator<Item = &MethodDef> {
    outline.items.iter().flat_map(|item| match item {
        Item::Class(c) => c.methods.iter().chain(c.class_methods.iter()).collect(),
        Item::Method { method, .. } => vec![method],
        Item::Statements(_) => Vec::new(),
    })
}

fn sends_in(e: &Expr, tokens: &[Token], out: &mut Vec<Occurrence>) {
    let mut push = |selector: &str, from: usize, to: usize| {
        let parts = parts(tokens, from, to, selector);
        if !parts.is_empty() {
            out.push(Occurrence {
                selector: selector.to_owned(),
                parts,
                definition: false,
            });
        }
    };
    match &e.kind {
        ExprKind::Send {
            receiver, selector, ..
        } => push(selector, receiver.span.end, e.span.end),
        ExprKind::SuperSend { selector, .. } => push(selector, e.span.start + 1, e.span.end),
        ExprKind::Cascade { messages, .. } => {
            for (selector, _, span) in messages {
                push(selector, span.start, span.end);
            }
        }
        _ => {}
    }
}

/// The spans of `selector`'s parts among the tokens in `[from, to)` outside any bracket.
pub fn parts(tokens: &[Token], from: usize, to: usize, selector: &str) -> Vec<Span> {
    let keywords: Vec<&str> = match selector.ends_with(':') {
        true => selector.split_inclusive(':').collect(),
        false => vec![selector],
    };
    let mut found = Vec::new();
    let mut depth = 0usize;
    let start = tokens.partition_point(|t| t.span.start < from);
    for t in tokens[start..].iter().take_while(|t| t.span.end <= to) {
        match &t.tok {
            Tok::LParen
            | Tok::LBrack
            | Tok::LBrace
            | Tok::HashParen
            | Tok::HashBrack
            | Tok::HashBrace => depth += 1,
            Tok::RParen | Tok::RBrack | Tok::RBrace => depth = depth.saturating_sub(1),
            Tok::Keyword(k) | Tok::Ident(k) | Tok::Binary(k)
                if depth == 0 && keywords.get(found.len()) == Some(&k.as_str()) =>
            {
                found.push(t.span);
                if found.len() == keywords.len() {
                    break;
                }
            }
            _ => {}
        }
    }
    match found.len() == keywords.len() {
        true => found,
        false => Vec::new(),
    }
}

/// What the token at `offset` stands for.
pub fn symbol_at(outline: &Outline, tokens: &[Token], offset: usize) -> Option<(Symbol, Span)> {
    let t = token_at(tokens, offset)?;
    let as_selector = || {
        occurrences(outline, tokens)
            .into_iter()
            .find(|o| o.parts.contains(&t.span))
            .map(|o| (Symbol::Selector(o.selector), t.span))
    };
    match &t.tok {
        Tok::Ident(n) if n.starts_with(|c: char| c.is_uppercase()) => {
            Some((Symbol::Class(n.clone()), t.span))
        }
        Tok::Ident(n) => as_selector().or_else(|| match n.as_str() {
            "self" | "super" | "nil" | "true" | "false" | "thisContext" => None,
            _ => Some((Symbol::Local(n.clone()), t.span)),
        }),
        Tok::BlockParam(n) => Some((Symbol::Local(n.clone()), t.span)),
        Tok::Keyword(_) | Tok::Binary(_) => as_selector(),
        Tok::Field(n) => Some((Symbol::Slot(n.clone()), t.span)),
        _ => None,
    }
}

/// Where class `name` is named in the tokens.
pub fn class_references(tokens: &[Token], name: &str) -> Vec<Span> {
    tokens
        .iter()
        .filter(|t| matches!(&t.tok, Tok::Ident(n) if n == name))
        .map(|t| t.span)
        .collect()
}

/// The places local `name` at `offset` is written, within its method (or the whole document outside
/// methods); a send of a selector spelled alike is not one of them.
pub fn local_references(
    outline: &Outline,
    tokens: &[Token],
    offset: usize,
    name: &str,
) -> Vec<Span> {
    let scope = outline
        .method_at(offset)
        .map_or(Span::new(0, usize::MAX), |m| m.span);
    let selectors: Vec<Span> = occurrences(outline, tokens)
        .into_iter()
        .flat_map(|o| o.parts)
        .collect();
    tokens
        .iter()
        .filter(|t| t.span.start >= scope.start && t.span.end <= scope.end)
        .filter_map(|t| match &t.tok {
            Tok::Ident(n) if n == name && !selectors.contains(&t.span) => Some(t.span),
            // `:name`: the name itself, after the colon.
            Tok::BlockParam(n) if n == name => Some(Span::new(t.span.start + 1, t.span.end)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::outline::outline;
    use super::*;

    const SRC: &str = "Object subclass: Box\n  field: items = nil\n\n  at: i put: v => self.items at: i put: v\n  size => self.items size\n  each: b => self.items do: [:x | b value: x]\n";

    fn at(src: &str, needle: &str, nth: usize) -> usize {
        src.match_indices(needle).nth(nth).expect("the needle").0
    }

    #[test]
    fn keyword_parts_are_one_selector_sent_and_defined() {
        let o = outline(SRC);
        let toks = tokens(SRC);
        let (sym, _) = symbol_at(&o, &toks, at(SRC, "put:", 1) + 1).expect("a symbol");
        assert_eq!(sym, Symbol::Selector("at:put:".into()));
        let occ: Vec<_> = occurrences(&o, &toks)
            .into_iter()
            .filter(|x| x.selector == "at:put:")
            .collect();
        assert_eq!(occ.len(), 2);
        assert!(occ.iter().any(|x| x.definition));
        assert!(occ.iter().all(|x| x.parts.len() == 2));
    }

    #[test]
    fn a_unary_send_is_a_selector_and_a_parameter_a_local() {
        let o = outline(SRC);
        let toks = tokens(SRC);
        let size = at(SRC, "size", 1);
        assert_eq!(
            symbol_at(&o, &toks, size).map(|s| s.0),
            Some(Symbol::Selector("size".into()))
        );
        let x = at(SRC, "value: x", 0) + "value: ".len();
        assert_eq!(
            symbol_at(&o, &toks, x).map(|s| s.0),
            Some(Symbol::Local("x".into()))
        );
        let refs = local_references(&o, &toks, x, "x");
        assert_eq!(refs.len(), 2, "{refs:?}");
        assert!(refs.iter().all(|s| &SRC[s.start..s.end] == "x"));
    }

    #[test]
    fn a_class_is_found_wherever_it_is_named() {
        assert_eq!(
            class_references(&tokens("x := Box new. Box"), "Box").len(),
            2
        );
    }
}
