//! A document's outline and diagnostics, read from source that is being typed and so often does not
//! parse: a member (or item) that does not parse is reported and blanked out, and the rest is read.

use std::collections::HashMap;

use crate::ast::{ClassDef, Item, MethodDef, Span};
use crate::diagnostic::Diagnostic;
use crate::layout::LineIndex;
use crate::module::{doc_above, method_header};

/// The most parse errors reported (and members blanked) in one document.
const MAX_ERRORS: usize = 20;

#[derive(Debug, Clone, Default)]
pub struct Outline {
    /// The text the items were parsed from: the document with what did not parse blanked out.
    pub text: String,
    /// What parsed, with spans into the document.
    pub items: Vec<Item>,
    pub classes: Vec<ClassSymbol>,
    /// `Class >> selector => ...` methods outside class bodies.
    pub extensions: Vec<MethodSymbol>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassSymbol {
    pub name: String,
    pub superclass: String,
    pub span: Span,
    /// The class's name in its header.
    pub name_span: Span,
    pub doc: String,
    pub slots: Vec<(String, Span)>,
    pub methods: Vec<MethodSymbol>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MethodSymbol {
    pub class: String,
    pub selector: String,
    pub class_side: bool,
    pub span: Span,
    /// The header as written, on one line: `deposit: amount`.
    pub header: String,
    pub doc: String,
    pub params: Vec<String>,
}

impl Outline {
    /// Every method of the document, in classes and outside them.
    pub fn methods(&self) -> impl Iterator<Item = &MethodSymbol> {
        self.classes
            .iter()
            .flat_map(|c| c.methods.iter())
            .chain(self.extensions.iter())
    }

    /// The class whose span holds `offset`.
    pub fn class_at(&self, offset: usize) -> Option<&ClassSymbol> {
        self.classes
            .iter()
            .find(|c| c.span.start <= offset && offset <= c.span.end)
    }

    /// The method whose span holds `offset`.
    pub fn method_at(&self, offset: usize) -> Option<&MethodSymbol> {
        self.methods()
            .find(|m| m.span.start <= offset && offset <= m.span.end)
    }
}

/// The outline of `src`, with its parse errors ([`check`] finds the rest).
pub fn outline(src: &str) -> Outline {
    let (text, diagnostics) = parseable(src);
    let items = crate::parser::parse(&text).unwrap_or_default();
    let mut out = Outline::default();
    for item in &items {
        match item {
            Item::Class(c) => out.classes.push(class_symbol(c, src)),
            Item::Method {
                class,
                class_side,
                method,
            } => out
                .extensions
                .push(method_symbol(class, *class_side, method, src)),
            Item::Statements(_) => {}
        }
    }
    out.items = items;
    out.diagnostics = diagnostics;
    out.text = text;
    out
}

/// What compiling an item found, by the item's text: an item unchanged since the last check is not
/// compiled again (a keystroke in one class of a large file recompiles that class alone).
#[derive(Debug, Default)]
pub struct CheckCache {
    /// Diagnostics with spans relative to the item's start.
    items: HashMap<String, Vec<Diagnostic>>,
}

/// The outline's parse errors and what compiling its items finds: compile errors and warnings.
pub fn check(outline: &Outline, cache: &mut CheckCache) -> Vec<Diagnostic> {
    let text = &outline.text;
    let mut fresh = HashMap::new();
    let mut out = outline.diagnostics.clone();
    for item in &outline.items {
        let (key, start) = match item {
            Item::Class(c) => (text.get(c.span.start..c.span.end), c.span.start),
            Item::Method { method, .. } => (
                text.get(method.span.start..method.span.end),
                method.span.start,
            ),
            Item::Statements(_) => continue,
        };
        let key = match item {
            Item::Method {
                class, class_side, ..
            } => {
                format!(
                    "{class}{}\0{}",
                    if *class_side { " class" } else { "" },
                    key.unwrap_or("")
                )
            }
            _ => key.unwrap_or("").to_owned(),
        };
        let found = match cache.items.remove(&key) {
            Some(found) => found,
            None => compile_item(item, text)
                .into_iter()
                .map(|d| shift(d, start, false))
                .collect(),
        };
        out.extend(found.iter().cloned().map(|d| shift(d, start, true)));
        fresh.insert(key, found);
    }
    cache.items = fresh;
    out.sort_by_key(|d| d.span.start);
    out.dedup();
    out
}

fn compile_item(item: &Item, text: &str) -> Vec<Diagnostic> {
    match item {
        Item::Class(c) => {
            let mut found: Vec<Diagnostic> =
                crate::compile::class(c, text).err().into_iter().collect();
            found.extend(crate::lint::class(c));
            found
        }
        Item::Method {
            class,
            class_side,
            method,
        } => {
            let (inst, cls) = match class_side {
                true => (&[][..], std::slice::from_ref(method)),
                false => (std::slice::from_ref(method), &[][..]),
            };
            crate::compile::extension(class, inst, cls, text)
                .err()
                .into_iter()
                .collect()
        }
        Item::Statements(_) => Vec::new(),
    }
}

/// `d` with its spans moved to (`forward`) or from an item starting at `start`.
fn shift(mut d: Diagnostic, start: usize, forward: bool) -> Diagnostic {
    d.span = moved(d.span, start, forward);
    d.opened = d.opened.map(|s| moved(s, start, forward));
    d
}

fn moved(s: Span, start: usize, forward: bool) -> Span {
    match forward {
        true => Span::new(s.start + start, s.end + start),
        false => Span::new(s.start.saturating_sub(start), s.end.saturating_sub(start)),
    }
}

/// `src` with each member or item that does not parse blanked out (offsets kept), and their errors.
fn parseable(src: &str) -> (String, Vec<Diagnostic>) {
    let mut text = src.to_owned();
    let mut errors = Vec::new();
    while errors.len() < MAX_ERRORS {
        let Err(d) = crate::parser::parse(&text) else {
            break;
        };
        let at = d.opened.map_or(d.span.start, |o| o.start).min(text.len());
        errors.push(d);
        match blank(&text, at) {
            Some(next) => text = next,
            None => break,
        }
    }
    (text, errors)
}

/// `text` with the member or item around `at` replaced by spaces, or `None` if nothing was left to blank.
fn blank(text: &str, at: usize) -> Option<String> {
    let lines = LineIndex::new(text, 0);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let code = |line: usize| {
        let l = line_text(text, &starts, line);
        let t = l.trim_start();
        (!t.is_empty() && !t.starts_with("//")).then(|| l.len() - t.len())
    };
    let (line, _) = lines.locate(at);
    // Up to the member or item the error is in: a line indented at most as deep as a member.
    let first = (0..=line)
        .rev()
        .find(|&l| code(l).is_some_and(|i| i <= 2))
        .unwrap_or(line);
    let depth = code(first).unwrap_or(0);
    let last = (first + 1..starts.len())
        .find(|&l| code(l).is_some_and(|i| i <= depth))
        .unwrap_or(starts.len());
    let from = starts[first];
    let to = starts.get(last).copied().unwrap_or(text.len());
    if text[from..to].bytes().all(|b| b == b' ' || b == b'\n') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..from]);
    out.extend(text[from..to].bytes().map(|b| match b {
        b'\n' => '\n',
        _ => ' ',
    }));
    out.push_str(&text[to..]);
    Some(out)
}

fn line_text<'a>(text: &'a str, starts: &[usize], line: usize) -> &'a str {
    let from = starts[line];
    let to = starts.get(line + 1).map_or(text.len(), |&n| n - 1);
    &text[from..to]
}

fn class_symbol(c: &ClassDef, src: &str) -> ClassSymbol {
    let methods = c
        .methods
        .iter()
        .map(|m| method_symbol(&c.name, false, m, src))
        .chain(
            c.class_methods
                .iter()
                .map(|m| method_symbol(&c.name, true, m, src)),
        )
        .collect();
    ClassSymbol {
        name: c.name.clone(),
        superclass: c.superclass.clone(),
        span: c.span,
        name_span: name_span(src, c),
        doc: doc_above(src, c.span.start),
        slots: c
            .slots
            .iter()
            .chain(c.class_slots.iter())
            .map(|s| (s.name.clone(), s.span))
            .collect(),
        methods,
    }
}

/// Where the class's name stands in its header (`subclass: Name`), else the header's start.
fn name_span(src: &str, c: &ClassDef) -> Span {
    let head = src.get(c.span.start..c.span.end).unwrap_or_default();
    let line = head.lines().next().unwrap_or_default();
    line.find("subclass:")
        .and_then(|k| {
            let after = &line[k + "subclass:".len()..];
            let pad = after.len() - after.trim_start().len();
            after
                .trim_start()
                .starts_with(c.name.as_str())
                .then(|| c.span.start + k + "subclass:".len() + pad)
        })
        .map_or(Span::new(c.span.start, c.span.start), |s| {
            Span::new(s, s + c.name.len())
        })
}

fn method_symbol(class: &str, class_side: bool, m: &MethodDef, src: &str) -> MethodSymbol {
    MethodSymbol {
        class: class.to_owned(),
        selector: m.selector.clone(),
        class_side,
        span: m.span,
        header: method_header(src, m),
        doc: doc_above(src, m.span.start),
        params: m.params.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "/// Counts.\nActor subclass: Counter\n  state: n = 0\n\n  /// One more.\n  increment => self.n := self.n + 1\n  broken => (1 +\n  get => self.n\n\nCounter >> twice => self increment; increment\n";

    #[test]
    fn a_member_that_does_not_parse_is_reported_and_the_rest_is_read() {
        let o = outline(SRC);
        assert_eq!(o.diagnostics.len(), 1, "{:?}", o.diagnostics);
        let c = &o.classes[0];
        assert_eq!(c.name, "Counter");
        assert_eq!(&SRC[c.name_span.start..c.name_span.end], "Counter");
        assert_eq!(c.doc, "Counts.");
        let sels: Vec<_> = c.methods.iter().map(|m| m.selector.as_str()).collect();
        assert_eq!(sels, ["increment", "get"]);
        assert_eq!(c.methods[0].doc, "One more.");
        assert_eq!(o.extensions[0].selector, "twice");
    }

    #[test]
    fn compile_errors_and_warnings_are_diagnostics_found_again_after_an_edit_elsewhere() {
        let src = "Object subclass: A\n  m => y + 1\n";
        let mut cache = CheckCache::default();
        let found = check(&outline(src), &mut cache);
        assert!(
            found[0].message.contains("undefined variable `y`"),
            "{found:?}"
        );
        // Text added above: the class is not compiled again, and its error moves with it.
        let moved = format!("Object subclass: Z\n  k => 1\n\n{src}");
        let again = check(&outline(&moved), &mut cache);
        assert_eq!(again.len(), 1, "{again:?}");
        assert_eq!(&moved[again[0].span.start..again[0].span.end], "y");
    }
}
