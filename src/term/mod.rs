//! Erlang terms for the CLI: the bounded binary codec ([`etf`]), the text syntax users type ([`parse`]), the
//! `~p`-style printer ([`print`]), the JSON rendering ([`json`]), and Erlang's term order ([`order`]).
//!
//! Terms are [`eetf::Term`] values at the version `erl_dist` uses, so they pass straight to the dist layer.

pub mod etf;
pub mod json;
pub mod order;
pub mod parse;
pub mod print;

use eetf::{Atom, List, Term, Tuple};

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
