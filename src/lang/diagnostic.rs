//! Errors in Beamtalk source, rendered the way rustc and Gleam do: what, where (line and a caret under the
//! column), and a hint.

use super::ast::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    pub label: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            label: label.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// 1-based line and column (in characters) of the start of the span.
    pub fn line_col(&self, src: &str) -> (usize, usize) {
        let start = self.span.start.min(src.len());
        let start = (0..=start).rev().find(|&i| src.is_char_boundary(i)).unwrap_or(0);
        let before = &src[..start];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// The full report for source `src` named `name`.
    pub fn render(&self, src: &str, name: &str) -> String {
        let (line, col) = self.line_col(src);
        let text = src.lines().nth(line - 1).unwrap_or("");
        let width = line.to_string().len();
        let pad = " ".repeat(width);
        let len = src
            .get(self.span.start..self.span.end.min(src.len()))
            .map_or(1, |s| s.lines().next().map_or(1, |l| l.chars().count().max(1)));
        let mut out = format!(
            "error: {}\n{pad}--> {name}:{line}:{col}\n{pad} |\n{line} | {text}\n{pad} | {}{} {}\n",
            self.message,
            " ".repeat(col - 1),
            "^".repeat(len),
            self.label
        );
        if let Some(hint) = &self.hint {
            out.push_str(&format!("{pad} = hint: {hint}\n"));
        }
        out
    }
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
    fn renders_line_caret_and_hint() {
        let src = "x := 1.\ny := [1 + 2";
        let d = Diagnostic::new(Span::new(19, 19), "expected `]` to close the block", "expected `]`")
            .with_hint("the block opened at line 2, column 6");
        assert_eq!(
            d.render(src, "<input>"),
            "error: expected `]` to close the block\n --> <input>:2:12\n  |\n2 | y := [1 + 2\n  |            ^ expected `]`\n  = hint: the block opened at line 2, column 6\n"
        );
    }
}
