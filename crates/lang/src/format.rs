//! The one standard layout of Beamtalk source (`beamtalk fmt`, the editor server's formatting).
//!
//! The formatter rewrites whitespace only, token by token, and keeps every line break where it is:
//! Beamtalk's layout rule gives newlines and indentation meaning, so joining or splitting lines is not a
//! formatter's call. What it does:
//! - indentation: each line is indented two spaces deeper than the nearest line above it that is less
//!   indented in the source, or as deep as a line above it that was indented alike (tabs become spaces);
//! - spacing inside a line: one space around `:=`, `=>`, `->`, `::`, `|` and binary operators and after
//!   keywords, `.`, `;` and `,`; none inside brackets, before `.`, `;`, a collection's `,` or a closing
//!   bracket, nor after `^`; elsewhere one space where the source had any. Binary patterns (`<<...>>`)
//!   keep their own spacing;
//! - comments are kept as written (trailing whitespace dropped), a trailing comment one space after its
//!   code, a comment on a line of its own indented like the code line after it;
//! - at most one blank line in a row, none at the start or end, and one newline at the end.
//!
//! It never changes meaning: the result is checked to lex, separate into statements and parse exactly as
//! the source did; if a layout would not, a plainer one is tried (indentation ranked by depth, then the
//! source's own indentation), and if none holds the source is refused, not changed.

use crate::diagnostic::Diagnostic;
use crate::layout::{LineIndex, separate};
use crate::lexer::{Tok, Token, lex};

/// Why a source was not formatted.
#[derive(Debug, Clone, PartialEq)]
pub enum FormatError {
    /// The source does not parse: nothing is formatted until it does.
    Syntax(Diagnostic),
    /// No layout kept the meaning of this source (a bug of the formatter, reported rather than risked).
    Unsafe,
}

/// `src` in the standard layout.
pub fn format(src: &str) -> Result<String, FormatError> {
    let toks = lex(src, 0).map_err(FormatError::Syntax)?;
    let items = crate::parser::parse(src).map_err(FormatError::Syntax)?;
    let before = shape(src, toks.clone(), &items);
    let lines = LineIndex::new(src, 0);
    let starts = lines.line_starts(&toks);
    for indent in [Indent::Nested, Indent::Ranked, Indent::Kept] {
        let widths = indent.widths(&starts);
        let out = Printer::new(src, &toks, &starts, &widths).print();
        let after = lex(&out, 0)
            .ok()
            .zip(crate::parser::parse(&out).ok())
            .map(|(t, i)| shape(&out, t, &i));
        if after.as_ref() == Some(&before) {
            return Ok(out);
        }
    }
    Err(FormatError::Unsafe)
}

/// What the parser sees of a source (its tokens `toks`, its `items`): the tokens with the statement
/// separators the layout inserts, and the items with every span left out.
fn shape(src: &str, toks: Vec<Token>, items: &[crate::ast::Item]) -> (Vec<Tok>, String) {
    (
        separate(src, 0, toks).into_iter().map(|t| t.tok).collect(),
        without_spans(&format!("{items:?}")),
    )
}

/// A syntax tree's debug text without its `Span { start: .., end: .. }`s.
fn without_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find("Span { start: ") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match rest.find('}') {
            Some(end) => rest = &rest[end + 1..],
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// How lines are indented.
#[derive(Debug, Clone, Copy)]
enum Indent {
    /// Two spaces deeper than the nearest less indented line above.
    Nested,
    /// The n-th smallest indentation of the file at 2n spaces.
    Ranked,
    /// As in the source (tabs made spaces one for one, as the layout counts them).
    Kept,
}

impl Indent {
    /// The new indentation of each line-starting token.
    fn widths(self, starts: &[Option<usize>]) -> Vec<Option<usize>> {
        match self {
            Indent::Nested => {
                let mut stack: Vec<(usize, usize)> = Vec::new();
                starts
                    .iter()
                    .map(|s| {
                        s.map(|w| {
                            while stack.last().is_some_and(|&(o, _)| o > w) {
                                stack.pop();
                            }
                            match stack.last() {
                                Some(&(o, n)) if o == w => n,
                                Some(&(_, n)) => {
                                    stack.push((w, n + 2));
                                    n + 2
                                }
                                None => {
                                    stack.push((w, 0));
                                    0
                                }
                            }
                        })
                    })
                    .collect()
            }
            Indent::Ranked => {
                let mut seen: Vec<usize> = starts.iter().flatten().copied().collect();
                seen.sort_unstable();
                seen.dedup();
                starts
                    .iter()
                    .map(|s| s.map(|w| 2 * seen.partition_point(|&x| x < w)))
                    .collect()
            }
            Indent::Kept => starts.to_vec(),
        }
    }
}

struct Printer<'a> {
    src: &'a str,
    toks: &'a [Token],
    starts: &'a [Option<usize>],
    widths: &'a [Option<usize>],
    out: String,
    /// The brackets open at this point: a `,` directly inside a collection literal separates items.
    open: Vec<Tok>,
    /// For each bracket open, whether it holds type parameters (`Block(T, R)`, `Box(T)`: a `(` right
    /// after a capitalised name), whose `,` separates items too.
    type_params: Vec<bool>,
    /// Whether the last token was a capitalised name.
    after_class_name: bool,
    /// Inside a binary pattern `<<...>>`, whose spacing is kept.
    binary: bool,
}

impl<'a> Printer<'a> {
    fn new(
        src: &'a str,
        toks: &'a [Token],
        starts: &'a [Option<usize>],
        widths: &'a [Option<usize>],
    ) -> Self {
        Self {
            src,
            toks,
            starts,
            widths,
            out: String::with_capacity(src.len()),
            open: Vec::new(),
            type_params: Vec::new(),
            after_class_name: false,
            binary: false,
        }
    }

    fn print(mut self) -> String {
        let mut prev_end = 0;
        for (i, tok) in self.toks.iter().enumerate() {
            let gap = &self.src[prev_end..tok.span.start];
            match self.starts[i] {
                Some(_) => {
                    let width = self.widths[i].unwrap_or(0);
                    self.lines_between(gap, i > 0, width, false);
                    if !self.out.is_empty() {
                        self.out.push('\n');
                    }
                    push_indent(&mut self.out, width);
                }
                None => {
                    let space =
                        i > 0 && self.space(&self.toks[i - 1].tok, &tok.tok, !gap.is_empty());
                    if space {
                        self.out.push(' ');
                    }
                }
            }
            self.out.push_str(&self.src[tok.span.start..tok.span.end]);
            self.track(&tok.tok);
            prev_end = tok.span.end;
        }
        let tail = &self.src[prev_end..];
        self.lines_between(tail, !self.toks.is_empty(), 0, true);
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out
    }

    /// Writes what lies between two lines of code: the previous line's trailing comment (when `after_code`),
    /// then the comment lines indented `width`, with at most one blank line in a row (none at the end).
    fn lines_between(&mut self, gap: &str, after_code: bool, width: usize, at_end: bool) {
        let mut lines = gap.split('\n');
        if after_code
            && let Some(trailing) = lines.next().map(str::trim)
            && !trailing.is_empty()
        {
            self.out.push(' ');
            self.out.push_str(trailing);
        }
        let mut rest: Vec<&str> = lines.collect();
        // The last piece is the indentation before the next token (or what ends the file).
        if rest.last().is_some_and(|l| l.trim().is_empty()) {
            rest.pop();
        }
        let mut blank = false;
        for line in rest {
            let text = line.trim();
            if text.is_empty() {
                blank = !self.out.is_empty();
                continue;
            }
            if !self.out.is_empty() {
                self.out.push('\n');
            }
            if std::mem::take(&mut blank) {
                self.out.push('\n');
            }
            push_indent(&mut self.out, width);
            self.out.push_str(text);
        }
        if blank && !at_end {
            self.out.push('\n');
        }
    }

    /// Whether a space goes between `prev` and `next` on one line (`had` whether the source had one).
    fn space(&self, prev: &Tok, next: &Tok, had: bool) -> bool {
        if self.binary {
            return had;
        }
        if is_opener(prev) || is_closer(next) || matches!(prev, Tok::Caret) {
            return false;
        }
        match next {
            Tok::Dot | Tok::Semi => return false,
            Tok::Binary(op) if op == "," && (self.in_collection() || self.in_type_params()) => {
                return false;
            }
            _ => {}
        }
        spaced(prev) || spaced(next) || had
    }

    fn in_collection(&self) -> bool {
        matches!(
            self.open.last(),
            Some(Tok::HashParen | Tok::HashBrack | Tok::HashBrace | Tok::LBrace)
        )
    }

    fn in_type_params(&self) -> bool {
        self.type_params.last() == Some(&true)
    }

    fn track(&mut self, tok: &Tok) {
        let after_class_name = std::mem::replace(
            &mut self.after_class_name,
            matches!(tok, Tok::Ident(w) if w.starts_with(|c: char| c.is_ascii_uppercase())),
        );
        match tok {
            t if is_opener(t) => {
                self.open.push(t.clone());
                self.type_params
                    .push(after_class_name && matches!(t, Tok::LParen));
            }
            t if is_closer(t) => {
                self.open.pop();
                self.type_params.pop();
            }
            Tok::Binary(op) if op == "<<" => self.binary = true,
            Tok::Binary(op) if op.ends_with(">>") => self.binary = false,
            _ => {}
        }
    }
}

fn push_indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

fn is_opener(t: &Tok) -> bool {
    matches!(
        t,
        Tok::LParen | Tok::LBrack | Tok::HashParen | Tok::HashBrack | Tok::HashBrace | Tok::LBrace
    )
}

fn is_closer(t: &Tok) -> bool {
    matches!(t, Tok::RParen | Tok::RBrack | Tok::RBrace)
}

/// Tokens with one space on each side of them (unless a bracket or separator says otherwise).
fn spaced(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Assign
            | Tok::FatArrow
            | Tok::TypeColon
            | Tok::Pipe
            | Tok::Keyword(_)
            | Tok::BlockParam(_)
            | Tok::Binary(_)
            | Tok::Dot
            | Tok::Semi
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(src: &str) -> String {
        format(src).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn spacing_inside_a_line_is_made_standard() {
        assert_eq!(fmt("x:=3+4"), "x := 3 + 4\n");
        assert_eq!(fmt("l := #( 1 ,2,  3 )"), "l := #(1, 2, 3)\n");
        assert_eq!(
            fmt("d := #{ #a=>1 , #b => 2}"),
            "d := #{#a => 1, #b => 2}\n"
        );
        assert_eq!(fmt("s := \"a\",\"b\""), "s := \"a\" , \"b\"\n");
        assert_eq!(
            fmt(
                "Value subclass: Box(K ,V)\n  map: b :: Block(K,V) -> Box(K , V) => b value: 1 , 2\n"
            ),
            "Value subclass: Box(K, V)\n  map: b :: Block(K, V) -> Box(K, V) => b value: 1 , 2\n",
            "a comma between type parameters separates them; elsewhere it is a message"
        );
        assert_eq!(fmt("b := [ :x :y|x+y ]"), "b := [:x :y | x + y]\n");
        assert_eq!(
            fmt("t := Transcript show: 1 ;show: 2 . t"),
            "t := Transcript show: 1; show: 2. t\n"
        );
        assert_eq!(fmt("f := [ ^ 3 ]"), "f := [^3]\n");
        assert_eq!(fmt("x := 3 - -1"), "x := 3 - -1\n");
    }

    #[test]
    fn indentation_is_two_spaces_a_level_and_lines_stay_where_they_are() {
        let src = "Object subclass: A\n    field: x = 1\n\n    x =>\n          self.x\n    y: n =>\n\t\t\t\t\tn\n";
        assert_eq!(
            fmt(src),
            "Object subclass: A\n  field: x = 1\n\n  x =>\n    self.x\n  y: n =>\n    n\n"
        );
    }

    #[test]
    fn comments_and_blank_lines_are_kept_tidy() {
        let src = "\n\n// head   \nx := 1   //  why\n\n\n\n  // about y\ny := 2\n\n\n";
        assert_eq!(fmt(src), "// head\nx := 1 //  why\n\n// about y\ny := 2\n");
    }

    #[test]
    fn binary_patterns_keep_their_spacing() {
        let src = "b match: [<<len:8, rest/binary>> -> rest; _ -> 0]";
        assert_eq!(fmt(src), format!("{src}\n"));
    }

    #[test]
    fn multi_line_strings_are_left_as_written() {
        let src = "s := \"one  \n   two\"\nt := 1\n";
        assert_eq!(fmt(src), src);
    }

    #[test]
    fn a_source_that_does_not_parse_is_refused() {
        assert!(matches!(format("x := (1"), Err(FormatError::Syntax(_))));
    }

    #[test]
    fn formatting_twice_changes_nothing() {
        for src in [
            "a := 1\n      + 2\n  + 3\nb",
            "Object subclass: A\n   m =>\n       x := 1\n         + 2\n       x\n",
        ] {
            let once = fmt(src);
            assert_eq!(fmt(&once), once);
        }
    }
}
