//! Where a newline ends a statement: the layout rule of `../shared/language.md`, applied to tokens.
//!
//! Statements are separated by `.` or by a newline. A newline does not end the statement while a `(`,
//! `#(`, `#[` or `#{` is open, nor when the next line is indented deeper than the line the statement began
//! on (a continuation). Inside a block (`[ ... ]`) the block's own statements follow the same rule. Where a
//! newline ends a statement, [`separate`] inserts a `.` token, so the parser sees only explicit
//! separators and two lines are never joined silently into one message send.

use super::ast::Span;
use super::lexer::{Tok, Token};

/// What an open bracket holds.
#[derive(Debug)]
enum Context {
    /// Statements (the whole input, a block, a method body): newlines may separate them. `start` is the
    /// indentation of the line the current statement began on (`None` before its first token);
    /// `header` is true while a block's `:param ... |` header is being read.
    Statements { start: Option<usize>, header: bool },
    /// Parentheses and literal collections: newlines inside are plain whitespace.
    Group,
}

/// `toks` (spans offset by `base` into `text`) with a `.` inserted wherever a newline ends a statement.
pub fn separate(text: &str, base: usize, toks: Vec<Token>) -> Vec<Token> {
    separate_in(&LineIndex::new(text, base), toks)
}

/// [`separate`] for tokens of the text `lines` indexes: one index serves every piece of a file.
pub fn separate_in(lines: &LineIndex, toks: Vec<Token>) -> Vec<Token> {
    let mut stack = vec![Context::Statements {
        start: None,
        header: false,
    }];
    let mut out: Vec<Token> = Vec::with_capacity(toks.len());
    let mut prev_line = None;
    for tok in toks {
        let (line, indent) = lines.locate(tok.span.start);
        let new_line = prev_line.is_some_and(|p| p != line);
        prev_line = Some(line);
        if let Some(Context::Statements { start, header }) = stack.last_mut() {
            // No statement ends with `;` or starts with one (cascades and `match:` arms go on).
            let joined = matches!(tok.tok, Tok::Semi)
                || matches!(out.last().map(|t| &t.tok), Some(Tok::Dot | Tok::Semi));
            if new_line
                && !*header
                && !is_closer(&tok.tok)
                && start.is_some_and(|s| indent <= s)
                && !joined
            {
                out.push(Token {
                    tok: Tok::Dot,
                    span: Span::new(tok.span.start, tok.span.start),
                });
                *start = None;
            }
            // A block's `:a :b |` header is not part of its first statement.
            let in_header = *header && matches!(tok.tok, Tok::BlockParam(_) | Tok::Pipe);
            *header = *header && matches!(tok.tok, Tok::BlockParam(_));
            if !in_header && start.is_none() && !ends_statement(&tok.tok) && !is_closer(&tok.tok) {
                *start = Some(indent);
            }
        }
        track_brackets(&mut stack, &tok.tok);
        out.push(tok);
    }
    out
}

/// Tokens after which the next token begins a statement.
fn ends_statement(tok: &Tok) -> bool {
    // `=>` ends a method header: the body's first statement follows.
    matches!(tok, Tok::Dot | Tok::FatArrow)
}

fn is_closer(tok: &Tok) -> bool {
    matches!(tok, Tok::RParen | Tok::RBrack | Tok::RBrace)
}

fn track_brackets(stack: &mut Vec<Context>, tok: &Tok) {
    match tok {
        Tok::LBrack => stack.push(Context::Statements {
            start: None,
            header: true,
        }),
        Tok::LParen | Tok::HashParen | Tok::HashBrack | Tok::HashBrace | Tok::LBrace => {
            stack.push(Context::Group)
        }
        // A stray closer must not pop the outermost context; the parser reports it.
        Tok::RParen | Tok::RBrack | Tok::RBrace if stack.len() > 1 => {
            stack.pop();
        }
        Tok::Dot | Tok::FatArrow => {
            if let Some(Context::Statements { start, .. }) = stack.last_mut() {
                *start = None;
            }
        }
        _ => {}
    }
}

/// Line numbers and indentation by byte offset.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Where `text` starts in the source the spans point into.
    base: usize,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str, base: usize) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, base, starts }
    }

    /// The 0-based line holding source offset `at`, and that line's indentation (leading spaces and tabs).
    pub fn locate(&self, at: usize) -> (usize, usize) {
        let at = at.saturating_sub(self.base);
        let line = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        let start = self.starts[line];
        let indent = self.text.as_bytes()[start.min(self.text.len())..]
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        (line, indent)
    }

    /// For each of `toks`, its line's indentation when it is the first token on its line. A token after
    /// a string that spans lines is not: it is on the line where that string ends, after it.
    pub fn line_starts(&self, toks: &[Token]) -> Vec<Option<usize>> {
        let mut prev_line = None;
        toks.iter()
            .map(|t| {
                let (line, indent) = self.locate(t.span.start);
                let starts = prev_line.is_none_or(|p| p != line);
                prev_line = Some(
                    self.locate(t.span.end.saturating_sub(1).max(t.span.start))
                        .0,
                );
                starts.then_some(indent)
            })
            .collect()
    }

    /// The source offset where the line holding `at` ends (before its newline).
    pub fn line_end(&self, at: usize) -> usize {
        let (line, _) = self.locate(at);
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let text = &self.text[self.starts[line].min(end)..end];
        self.base + self.starts[line] + text.trim_end_matches('\r').len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    /// The source with a `.` where a separator was inserted, tokens shown by their text.
    fn separated(src: &str) -> String {
        let toks = separate(src, 0, lex(src, 0).expect("lexes"));
        let mut out = String::new();
        for t in toks {
            match t.tok {
                Tok::Dot if t.span.start == t.span.end => out.push_str(" ⏎"),
                _ => {
                    out.push(' ');
                    out.push_str(&src[t.span.start..t.span.end]);
                }
            }
        }
        out.trim_start().to_owned()
    }

    #[test]
    fn a_newline_at_the_same_indentation_ends_the_statement() {
        assert_eq!(
            separated("total := 0\nlist do: [:x | x]"),
            "total := 0 ⏎ list do: [ :x | x ]"
        );
        assert_eq!(separated("a := 1. b := 2\nc"), "a := 1 . b := 2 ⏎ c");
    }

    #[test]
    fn a_deeper_line_continues_the_statement() {
        assert_eq!(
            separated("ready := left\n    and: right\nnext"),
            "ready := left and: right ⏎ next"
        );
        assert_eq!(
            separated("t := Transcript\n  show: 1;\n  show: 2\nt"),
            "t := Transcript show: 1 ; show: 2 ⏎ t"
        );
    }

    #[test]
    fn open_brackets_hold_the_statement_and_blocks_separate_their_own() {
        assert_eq!(
            separated("x > 0 ifTrue: [\n  1\n] ifFalse: [\n  2\n]\ny"),
            "x > 0 ifTrue: [ 1 ] ifFalse: [ 2 ] ⏎ y"
        );
        assert_eq!(
            separated("items do: [:each |\n  total := total + each\n  count := count + 1]"),
            "items do: [ :each | total := total + each ⏎ count := count + 1 ]"
        );
        assert_eq!(separated("l := #(1,\n2,\n3)\nl"), "l := #( 1 , 2 , 3 ) ⏎ l");
        assert_eq!(separated("(1\n+ 2)\n3"), "( 1 + 2 ) ⏎ 3");
    }

    #[test]
    fn a_semicolon_at_either_end_of_a_line_joins_it_to_the_next() {
        assert_eq!(
            separated("v match: [\n  1 -> 2;\n  _ -> 3\n]"),
            "v match: [ 1 -> 2 ; _ -> 3 ]"
        );
        assert_eq!(
            separated("v match: [\n  1 -> 2\n  ; _ -> 3]\nw"),
            "v match: [ 1 -> 2 ; _ -> 3 ] ⏎ w"
        );
    }

    #[test]
    fn a_method_body_starts_after_its_header() {
        assert_eq!(
            separated("deposit: n =>\n    self.balance := self.balance + n\n    self.balance"),
            "deposit: n => self.balance := self.balance + n ⏎ self.balance"
        );
    }
}
