//! Erlang terms for the CLI: the bounded binary codec ([`etf`]), the text syntax users type ([`parse`]), the
//! `~p`-style printer ([`print`]), the JSON rendering ([`json`]), and Erlang's term order ([`order`]).
//!
//! Terms are [`eetf::Term`] values at the version `erl_dist` uses, so they pass straight to the dist layer.

pub mod etf;
pub mod json;
pub mod order;
pub mod parse;
pub mod print;

use eetf::{Atom, Binary, List, Term, Tuple};

/// A binary term holding `text`'s UTF-8 bytes (what Beamtalk has for a String).
pub fn binary(text: &str) -> Term {
    Term::from(Binary::from(text.as_bytes().to_vec()))
}

/// An atom term.
pub fn atom(name: &str) -> Term {
    Term::from(Atom::from(name))
}

/// A tuple term.
pub fn tuple(elements: Vec<Term>) -> Term {
    Term::from(Tuple::from(elements))
}

/// A proper list term.
pub fn list(elements: Vec<Term>) -> Term {
    Term::from(List::from(elements))
}

/// The elements of a proper list in any of its representations.
pub fn list_elements(term: &Term) -> Option<Vec<Term>> {
    match term {
        Term::List(l) => Some(l.elements.clone()),
        Term::ByteList(b) => Some(
            b.bytes
                .iter()
                .map(|&x| Term::from(eetf::FixInteger::from(x)))
                .collect(),
        ),
        _ => None,
    }
}

/// The elements and improper tail of a list in any of its representations (empty for non-lists).
pub fn list_view(term: &Term) -> (Vec<Term>, Option<&Term>) {
    match term {
        Term::ImproperList(l) => (l.elements.clone(), Some(&l.last)),
        other => (list_elements(other).unwrap_or_default(), None),
    }
}

/// The value under atom key `key` in a map term.
pub fn map_get<'a>(term: &'a Term, key: &str) -> Option<&'a Term> {
    match term {
        Term::Map(m) => m.map.get(&atom(key)),
        _ => None,
    }
}

/// An integer term as `i64`, if it fits.
pub fn as_i64(term: &Term) -> Option<i64> {
    match term {
        Term::FixInteger(i) => Some(i64::from(i.value)),
        Term::BigInteger(b) => i64::try_from(&b.value).ok(),
        _ => None,
    }
}

/// A binary, atom or printable list term as text.
pub fn as_text(term: &Term) -> Option<String> {
    match term {
        Term::Binary(b) => Some(String::from_utf8_lossy(&b.bytes).into_owned()),
        Term::Atom(a) => Some(a.name.clone()),
        _ => list_elements(term)?
            .iter()
            .map(|e| {
                as_i64(e)
                    .and_then(|c| u32::try_from(c).ok())
                    .and_then(char::from_u32)
            })
            .collect(),
    }
}
