//! [`eetf::Term`] → text, the way Erlang's `~p` prints it.
//!
//! Flat output matches `io_lib:format("~p", [T])` exactly (printable latin-1 lists as strings, quoted atoms,
//! shortest round-trip floats, map keys in term order). Terms wider than the line (80 columns) break the way
//! `io_lib_pretty` does in the common cases: lists of short elements fill lines, other containers put one
//! element per line aligned after the opening bracket.

use eetf::{InternalFun, Map, Term};
use num_bigint::BigInt;

use super::list_view;
use super::order::sorted_map_entries;

/// Line width `~p` uses.
pub const LINE_WIDTH: usize = 80;

/// Pretty-prints `term` starting at column 0.
pub fn pretty(term: &Term) -> String {
    let mut out = String::new();
    layout(term, 0, &mut out);
    out
}

/// The single-line form of `term`.
pub fn flat(term: &Term) -> String {
    let mut out = String::new();
    write_flat(term, &mut out);
    out
}

fn write_flat(term: &Term, out: &mut String) {
    match term {
        Term::Atom(a) => out.push_str(&atom(&a.name)),
        Term::FixInteger(i) => out.push_str(&i.value.to_string()),
        Term::BigInteger(b) => out.push_str(&b.value.to_string()),
        Term::Float(f) => out.push_str(&float(f.value)),
        Term::Pid(p) => out.push_str(&format!("<{}.{}.{}>", p.node.name, p.id, p.serial)),
        Term::Port(p) => out.push_str(&format!("#Port<{}.{}>", p.node.name, p.id)),
        Term::Reference(r) => {
            out.push_str(&format!("#Ref<{}", r.node.name));
            for id in r.id.iter().rev() {
                out.push_str(&format!(".{id}"));
            }
            out.push('>');
        }
        Term::ExternalFun(f) => out.push_str(&format!(
            "fun {}:{}/{}",
            atom(&f.module.name),
            atom(&f.function.name),
            f.arity
        )),
        Term::InternalFun(f) => out.push_str(&internal_fun(f)),
        Term::Binary(b) => out.push_str(&binary(&b.bytes, 8)),
        Term::BitBinary(b) => out.push_str(&binary(&b.bytes, b.tail_bits_size)),
        Term::Tuple(t) => {
            out.push('{');
            join_flat(&t.elements, out);
            out.push('}');
        }
        Term::Map(m) => {
            out.push_str("#{");
            for (i, (k, v)) in sorted_map_entries(m).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_flat(k, out);
                out.push_str(" => ");
                write_flat(v, out);
            }
            out.push('}');
        }
        Term::List(_) | Term::ByteList(_) | Term::ImproperList(_) => write_list_flat(term, out),
    }
}

fn join_flat(elements: &[Term], out: &mut String) {
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_flat(e, out);
    }
}

fn write_list_flat(term: &Term, out: &mut String) {
    if let Some(s) = printable_string(term) {
        out.push_str(&s);
        return;
    }
    let (elements, tail) = list_view(term);
    out.push('[');
    join_flat(&elements, out);
    if let Some(t) = tail {
        out.push('|');
        write_flat(t, out);
    }
    out.push(']');
}

/// Code points of a proper list of integers, if it is one.
fn code_points(term: &Term) -> Option<Vec<u32>> {
    match term {
        Term::ByteList(b) => Some(b.bytes.iter().map(|&x| u32::from(x)).collect()),
        Term::List(l) => l
            .elements
            .iter()
            .map(|e| match e {
                Term::FixInteger(i) => u32::try_from(i.value).ok(),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Latin-1 printability as `io_lib:printable_list/1` judges it under the default `+pc latin1`.
fn is_printable(c: u32) -> bool {
    matches!(c, 32..=126 | 160..=255 | 8..=13 | 27)
}

fn printable_string(term: &Term) -> Option<String> {
    let cps = code_points(term)?;
    if cps.is_empty() || !cps.iter().all(|&c| is_printable(c)) {
        return None;
    }
    Some(quote_chars(&cps, '"'))
}

fn quote_chars(cps: &[u32], quote: char) -> String {
    let mut s = String::with_capacity(cps.len() + 2);
    s.push(quote);
    for &c in cps {
        match c {
            10 => s.push_str("\\n"),
            13 => s.push_str("\\r"),
            9 => s.push_str("\\t"),
            11 => s.push_str("\\v"),
            8 => s.push_str("\\b"),
            12 => s.push_str("\\f"),
            27 => s.push_str("\\e"),
            92 => s.push_str("\\\\"),
            c if c == u32::from(quote) => {
                s.push('\\');
                s.push(quote);
            }
            c => s.push(char::from_u32(c).unwrap_or('?')),
        }
    }
    s.push(quote);
    s
}

fn binary(bytes: &[u8], tail_bits: u8) -> String {
    let whole = if tail_bits < 8 {
        &bytes[..bytes.len().saturating_sub(1)]
    } else {
        bytes
    };
    let mut s = String::from("<<");
    // `~p` shows only whole binaries as text; a bitstring's bytes are always numbers.
    let text =
        tail_bits == 8 && !whole.is_empty() && whole.iter().all(|&b| is_printable(u32::from(b)));
    if text {
        let cps: Vec<u32> = whole.iter().map(|&b| u32::from(b)).collect();
        s.push_str(&quote_chars(&cps, '"'));
    } else {
        let parts: Vec<String> = whole.iter().map(u8::to_string).collect();
        s.push_str(&parts.join(","));
    }
    if let (true, Some(last)) = (tail_bits < 8, bytes.last()) {
        if !whole.is_empty() {
            s.push(',');
        }
        s.push_str(&format!("{last}:{tail_bits}"));
    }
    s.push_str(">>");
    s
}

fn internal_fun(f: &InternalFun) -> String {
    match f {
        InternalFun::New {
            module,
            index,
            uniq,
            ..
        } => {
            let uniq = BigInt::from_bytes_be(num_bigint::Sign::Plus, &uniq[..4]);
            format!("#Fun<{}.{}.{}>", module.name, index, uniq)
        }
        InternalFun::Old {
            module,
            index,
            uniq,
            ..
        } => format!("#Fun<{}.{}.{}>", module.name, index, uniq),
    }
}

const RESERVED: &[&str] = &[
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive",
    "rem", "try", "when", "xor",
];

/// An atom as Erlang writes it, quoted when it must be.
pub fn atom(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars.next().is_some_and(|c| {
        c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
    }) && chars.all(|c| {
        c.is_ascii_alphanumeric()
            || c == '_'
            || c == '@'
            || (('\u{c0}'..='\u{ff}').contains(&c) && c != '\u{d7}' && c != '\u{f7}')
    }) && !RESERVED.contains(&name);
    if bare {
        return name.to_owned();
    }
    let cps: Vec<u32> = name.chars().map(u32::from).collect();
    quote_chars(&cps, '\'')
}

/// A float as `float_to_list(F, [short])` writes it: the shortest digits that round-trip, in plain notation
/// unless scientific is shorter or the value is at least 2^53.
pub fn float(f: f64) -> String {
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mantissa = if mantissa.contains('.') {
        mantissa.to_owned()
    } else {
        format!("{mantissa}.0")
    };
    let scientific = format!("{mantissa}e{exp}");
    let plain = {
        let p = format!("{f}");
        if p.contains('.') { p } else { format!("{p}.0") }
    };
    if f.abs() < 9_007_199_254_740_992.0 && plain.len() <= scientific.len() {
        plain
    } else {
        scientific
    }
}

fn layout(term: &Term, indent: usize, out: &mut String) {
    let flat_form = flat(term);
    if indent + flat_form.chars().count() <= LINE_WIDTH || !is_container(term) {
        out.push_str(&flat_form);
        return;
    }
    match term {
        Term::Tuple(t) => layout_tuple(&t.elements, indent, out),
        Term::Map(m) => layout_map(m, indent, out),
        _ => layout_list(term, indent, out),
    }
}

fn is_container(term: &Term) -> bool {
    match term {
        Term::Tuple(t) => !t.elements.is_empty(),
        Term::Map(m) => !m.map.is_empty(),
        Term::List(_) | Term::ImproperList(_) | Term::ByteList(_) => {
            printable_string(term).is_none()
        }
        _ => false,
    }
}

fn newline(indent: usize, out: &mut String) {
    out.push('\n');
    out.push_str(&" ".repeat(indent));
}

fn layout_list(term: &Term, indent: usize, out: &mut String) {
    let (elements, tail) = list_view(term);
    out.push('[');
    let inner = indent + 1;
    let flats: Vec<String> = elements.iter().map(flat).collect();
    let short = flats
        .iter()
        .all(|f| inner + f.chars().count() < LINE_WIDTH && !f.contains('\n'))
        && elements
            .iter()
            .all(|e| !is_container(e) || flat(e).chars().count() < 16);
    if short {
        fill(&flats, inner, out);
    } else {
        for (i, e) in elements.iter().enumerate() {
            if i > 0 {
                out.push(',');
                newline(inner, out);
            }
            layout(e, inner, out);
        }
    }
    if let Some(t) = tail {
        out.push('|');
        layout(t, current_column(out), out);
    }
    out.push(']');
}

/// Packs short elements onto lines of at most [`LINE_WIDTH`] columns.
fn fill(flats: &[String], indent: usize, out: &mut String) {
    let mut column = indent;
    for (i, f) in flats.iter().enumerate() {
        let w = f.chars().count();
        if i > 0 {
            out.push(',');
            column += 1;
            // io_lib_pretty keeps three columns free at the end of a filled line.
            if column + w + 3 > LINE_WIDTH {
                newline(indent, out);
                column = indent;
            }
        }
        out.push_str(f);
        column += w;
    }
}

fn current_column(out: &str) -> usize {
    out.rsplit('\n').next().map_or(0, |l| l.chars().count())
}

fn layout_tuple(elements: &[Term], indent: usize, out: &mut String) {
    out.push('{');
    let inner = indent + 1;
    let mut rest = elements;
    if let [first @ Term::Atom(_), second, tail @ ..] = elements {
        write_flat(first, out);
        out.push(',');
        layout(second, current_column(out), out);
        rest = tail;
        if !rest.is_empty() {
            out.push(',');
            newline(inner, out);
        }
    }
    for (i, e) in rest.iter().enumerate() {
        if i > 0 {
            out.push(',');
            newline(inner, out);
        }
        layout(e, inner, out);
    }
    out.push('}');
}

fn layout_map(m: &Map, indent: usize, out: &mut String) {
    out.push_str("#{");
    let inner = indent + 2;
    for (i, (k, v)) in sorted_map_entries(m).into_iter().enumerate() {
        if i > 0 {
            out.push(',');
            newline(inner, out);
        }
        layout(k, inner, out);
        out.push_str(" =>");
        let column = current_column(out) + 1;
        if column + flat(v).chars().count() < LINE_WIDTH || !is_container(v) {
            out.push(' ');
            layout(v, column, out);
        } else {
            newline(inner + 4, out);
            layout(v, inner + 4, out);
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn p(text: &str) -> String {
        pretty(&parse(text).expect("parses"))
    }

    #[test]
    fn flat_forms_match_erlang() {
        assert_eq!(p("[1,2,3]"), "[1,2,3]");
        assert_eq!(p("\"abc\\n\""), "\"abc\\n\"");
        assert_eq!(p("[97,34,98,92,99,127]"), "[97,34,98,92,99,127]");
        assert_eq!(p("'hello world'"), "'hello world'");
        assert_eq!(p("'and'"), "'and'");
        assert_eq!(p("a@b"), "a@b");
        assert_eq!(p("'A'"), "'A'");
        assert_eq!(p("<<1,2:3>>"), "<<1,2:3>>");
        assert_eq!(p("<<\"ab\",1:3>>"), "<<97,98,1:3>>");
        assert_eq!(p("<<\"abc\">>"), "<<\"abc\">>");
        assert_eq!(p("#{b => 1, a => {x,y}}"), "#{a => {x,y},b => 1}");
        assert_eq!(p("[1|2]"), "[1|2]");
        assert_eq!(p("[]"), "[]");
        assert_eq!(p("<<>>"), "<<>>");
    }

    #[test]
    fn floats_match_float_to_list_short() {
        for (f, s) in [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (1.0e3, "1.0e3"),
            (1.0e10, "1.0e10"),
            (1234567.0, "1234567.0"),
            (1.5e6, "1.5e6"),
            (0.0001, "0.0001"),
            (1.5e-4, "1.5e-4"),
            (0.00125, "0.00125"),
            (1.2345678901234568e17, "1.2345678901234568e17"),
            (9007199254740992.0, "9.007199254740992e15"),
            (1234567890123456.0, "1234567890123456.0"),
            (-2.5, "-2.5"),
            (5.0e-324, "5.0e-324"),
        ] {
            assert_eq!(float(f), s, "{f:e}");
        }
    }

    #[test]
    fn long_lists_fill_lines_like_erlang() {
        let text = format!(
            "[{}]",
            (1..=40)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(
            p(&text),
            "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n 29,30,31,32,33,34,35,36,37,38,39,40]"
        );
    }

    #[test]
    fn lists_of_tuples_go_one_per_line() {
        let seq = (1..=15)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let text = format!("[{{a,[{seq}]}},{{b,[{seq}]}},{{c,1}}]");
        assert_eq!(
            p(&text),
            format!("[{{a,[{seq}]}},\n {{b,[{seq}]}},\n {{c,1}}]")
        );
    }
}
