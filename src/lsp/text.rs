//! LSP positions (line, UTF-16 column) and byte offsets into a document's text.

use lsp_types::{Position, Range};

use crate::lang::ast::Span;

/// Where each line of a text starts.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// The byte offset of `pos` (clamped to its line, and to the text).
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |&n| n - 1);
        let mut units = 0u32;
        for (i, c) in text[start..end].char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        end
    }

    /// The position of byte `offset` (clamped to the text and to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let character = text[self.starts[line]..offset]
            .chars()
            .map(|c| c.len_utf16() as u32)
            .sum();
        Position::new(line as u32, character)
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start),
            self.position(text, span.end),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        let text = "a := \"é😀\" size\nb";
        let lines = Lines::new(text);
        let size = text.find("size").expect("size");
        let pos = lines.position(text, size);
        assert_eq!(pos, Position::new(0, 11));
        assert_eq!(lines.offset(text, pos), size);
        assert_eq!(lines.offset(text, Position::new(1, 0)), text.len() - 1);
        assert_eq!(lines.offset(text, Position::new(9, 9)), text.len());
        assert_eq!(
            lines.offset(text, Position::new(0, 999)),
            text.find('\n').expect("nl")
        );
    }
}
