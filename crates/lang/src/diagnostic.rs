//! Errors and warnings in Beamtalk source, rendered the way rustc and Gleam do: what, where (line and a
//! caret under the column), and a hint.

use super::ast::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    pub label: String,
    pub hint: Option<String>,
    /// Where the construct that this error is about was opened (an unclosed bracket).
    pub opened: Option<Span>,
    pub severity: Severity,
}

/// An error stops the source from loading; a warning is reported and loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            label: label.into(),
            hint: None,
            opened: None,
            severity: Severity::Error,
        }
    }

    /// A warning: worth telling the user, not worth refusing the source for.
    pub fn warning(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::new(span, message, label)
        }
    }

    pub fn opened_at(mut self, span: Span) -> Self {
        self.opened = Some(span);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// 1-based line and column (in characters) of the start of the span.
    pub fn line_col(&self, src: &str) -> (usize, usize) {
        line_col(src, self.span)
    }

    /// The full report for source `src` named `name`.
    pub fn render(&self, src: &str, name: &str) -> String {
        let (line, col) = self.line_col(src);
        let text = src.lines().nth(line - 1).unwrap_or("");
        let width = line.to_string().len();
        let pad = " ".repeat(width);
        let len = src
            .get(self.span.start..self.span.end.min(src.len()))
            .map_or(1, |s| {
                s.lines().next().map_or(1, |l| l.chars().count().max(1))
            });
        let (shown, caret_col, len) = window(text, col, len);
        let mut out = format!(
            "{}: {}\n{pad}--> {name}:{line}:{col}\n{pad} |\n{line} | {shown}\n{pad} | {}{} {}\n",
            match self.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            self.message,
            " ".repeat(caret_col - 1),
            "^".repeat(len),
            self.label
        );
        if let Some(open) = self.opened {
            let (ol, oc) = line_col(src, open);
            out.push_str(&format!("{pad} = note: opened at line {ol}, column {oc}\n"));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("{pad} = hint: {hint}\n"));
        }
        out
    }
}

/// Characters of a source line shown on either side of the error's column.
const WINDOW: usize = 60;

/// A long line cut to the part around 1-based character column `col` (elided ends marked `...`), the
/// caret's column in what is shown, and the caret's length (clipped to what is shown).
fn window(text: &str, col: usize, len: usize) -> (String, usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 2 * WINDOW {
        return (text.to_owned(), col, len);
    }
    let from = col.saturating_sub(1).saturating_sub(WINDOW);
    let to = (col - 1 + WINDOW).min(chars.len());
    let mut shown: String = chars[from..to].iter().collect();
    let mut caret = col - from;
    if from > 0 {
        shown.insert_str(0, "...");
        caret += 3;
    }
    if to < chars.len() {
        shown.push_str("...");
    }
    (shown, caret, len.min(to.saturating_sub(col - 1)).max(1))
}

/// 1-based line and column (in characters) of the start of `span` in `src`.
fn line_col(src: &str, span: Span) -> (usize, usize) {
    let start = span.start.min(src.len());
    let start = (0..=start)
        .rev()
        .find(|&i| src.is_char_boundary(i))
        .unwrap_or(0);
    let before = &src[..start];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_around_the_error() {
        let src = format!("{}x{}", "a".repeat(500), "b".repeat(500));
        let d = Diagnostic::new(Span::new(500, 501), "bad", "here");
        let text = d.render(&src, "<input>");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[3].len() < 140, "{}", lines[3]);
        assert!(lines[3].contains("...aaa") && lines[3].ends_with("bbb..."));
        let caret = lines[4].find('^').expect("caret");
        assert_eq!(&lines[3][caret..=caret], "x", "{text}");
    }

    #[test]
    fn renders_line_caret_and_hint() {
        let src = "x := 1.\ny := [1 + 2";
        let d = Diagnostic::new(
            Span::new(19, 19),
            "expected `]` to close the block",
            "expected `]`",
        )
        .opened_at(Span::new(13, 14))
        .with_hint("every `[` needs a `]`");
        assert_eq!(
            d.render(src, "<input>"),
            "error: expected `]` to close the block\n --> <input>:2:12\n  |\n2 | y := [1 + 2\n  |            ^ expected `]`\n  = note: opened at line 2, column 6\n  = hint: every `[` needs a `]`\n"
        );
    }
}
