//! When is a REPL input complete? Open brackets or strings continue it, as does a class definition (until
//! an empty line) or a method definition whose body has not started.

use crate::lang::parser::{is_class_header, is_incomplete, method_header};

/// Whether `buffer` (lines read so far, each ending in `\n`) needs another line.
pub fn needs_more(buffer: &str) -> bool {
    if is_incomplete(buffer) {
        return true;
    }
    let first = buffer.lines().next().unwrap_or_default();
    let last = buffer.lines().last().unwrap_or_default();
    if last.trim_end().ends_with("=>") {
        return true;
    }
    let opens_block =
        is_class_header(first) || (buffer.lines().count() > 1 && method_header(first));
    opens_block && !buffer.ends_with("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_rules() {
        assert!(!needs_more("3 + 4\n"));
        assert!(needs_more("[:x |\n"));
        assert!(needs_more("#(1, 2,\n"));
        assert!(needs_more("\"unfinished\n"));
        assert!(needs_more("Object subclass: Foo\n"));
        assert!(needs_more("Object subclass: Foo\n  bar => 1\n"));
        assert!(!needs_more("Object subclass: Foo\n  bar => 1\n\n"));
        assert!(needs_more("Foo >> bar =>\n"));
        assert!(!needs_more("Foo >> bar => 1\n"));
    }
}
