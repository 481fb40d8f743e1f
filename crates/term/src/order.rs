//! Erlang's standard term order, used to print and encode map keys in the order the BEAM uses.
//!
//! number < atom < reference < fun < port < pid < tuple < map < nil < list < bit string. This is the *exact*
//! order the BEAM sorts map keys by: every integer sorts before every float, whatever their values
//! (`maps:keys(#{1 => a, 0.5 => b})` is `[1, 0.5]`).

use std::cmp::Ordering;

use eetf::{Map, Term};

use super::list_view;
use num_bigint::BigInt;

/// `(key, value)` pairs of a map in term order of the keys.
pub fn sorted_map_entries(m: &Map) -> Vec<(&Term, &Term)> {
    let mut entries: Vec<_> = m.map.iter().collect();
    entries.sort_by(|a, b| compare(a.0, b.0));
    entries
}

/// Compares two terms in Erlang's exact term order (integers before floats).
pub fn compare(a: &Term, b: &Term) -> Ordering {
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Term::Atom(x), Term::Atom(y)) => x.name.cmp(&y.name),
        (Term::Tuple(x), Term::Tuple(y)) => x
            .elements
            .len()
            .cmp(&y.elements.len())
            .then_with(|| compare_seq(&x.elements, &y.elements)),
        (Term::Map(x), Term::Map(y)) => compare_maps(x, y),
        (Term::Pid(x), Term::Pid(y)) => (x.id, x.serial, &x.node.name, x.creation).cmp(&(
            y.id,
            y.serial,
            &y.node.name,
            y.creation,
        )),
        (Term::Port(x), Term::Port(y)) => (x.id, &x.node.name).cmp(&(y.id, &y.node.name)),
        (Term::Reference(x), Term::Reference(y)) => {
            (x.id.iter().rev().collect::<Vec<_>>(), &x.node.name)
                .cmp(&(y.id.iter().rev().collect::<Vec<_>>(), &y.node.name))
        }
        _ if ra == Rank::Number => compare_numbers(a, b),
        _ if ra == Rank::List => compare_lists(a, b),
        _ if ra == Rank::Bits => compare_bits(a, b),
        _ => Ordering::Equal,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Number,
    Atom,
    Reference,
    Fun,
    Port,
    Pid,
    Tuple,
    Map,
    Nil,
    List,
    Bits,
}

fn rank(t: &Term) -> Rank {
    match t {
        Term::FixInteger(_) | Term::BigInteger(_) | Term::Float(_) => Rank::Number,
        Term::Atom(_) => Rank::Atom,
        Term::Reference(_) => Rank::Reference,
        Term::ExternalFun(_) | Term::InternalFun(_) => Rank::Fun,
        Term::Port(_) => Rank::Port,
        Term::Pid(_) => Rank::Pid,
        Term::Tuple(_) => Rank::Tuple,
        Term::Map(_) => Rank::Map,
        Term::List(l) if l.is_nil() => Rank::Nil,
        Term::ByteList(l) if l.bytes.is_empty() => Rank::Nil,
        Term::List(_) | Term::ByteList(_) | Term::ImproperList(_) => Rank::List,
        Term::Binary(_) | Term::BitBinary(_) => Rank::Bits,
    }
}

fn compare_seq(a: &[Term], b: &[Term]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match compare(x, y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

fn compare_maps(a: &Map, b: &Map) -> Ordering {
    let (ea, eb) = (sorted_map_entries(a), sorted_map_entries(b));
    a.map.len().cmp(&b.map.len()).then_with(|| {
        let keys = ea.iter().zip(&eb).map(|(x, y)| compare(x.0, y.0));
        let values = ea.iter().zip(&eb).map(|(x, y)| compare(x.1, y.1));
        keys.chain(values)
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    })
}

fn compare_numbers(a: &Term, b: &Term) -> Ordering {
    match (a, b) {
        (Term::Float(x), Term::Float(y)) => x.value.total_cmp(&y.value),
        (Term::Float(_), _) => Ordering::Greater,
        (_, Term::Float(_)) => Ordering::Less,
        _ => int_value(a).cmp(&int_value(b)),
    }
}

fn int_value(t: &Term) -> BigInt {
    match t {
        Term::FixInteger(i) => BigInt::from(i.value),
        Term::BigInteger(b) => b.value.clone(),
        _ => BigInt::from(0),
    }
}

fn compare_lists(a: &Term, b: &Term) -> Ordering {
    let ((ea, ta), (eb, tb)) = (list_view(a), list_view(b));
    for (x, y) in ea.iter().zip(&eb) {
        match compare(x, y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    let nil = Term::from(eetf::List::nil());
    match ea.len().cmp(&eb.len()) {
        Ordering::Equal => compare(ta.unwrap_or(&nil), tb.unwrap_or(&nil)),
        Ordering::Less => compare(
            ta.unwrap_or(&nil),
            &Term::from(eetf::List::from(eb[ea.len()..].to_vec())),
        ),
        Ordering::Greater => compare(
            &Term::from(eetf::List::from(ea[eb.len()..].to_vec())),
            tb.unwrap_or(&nil),
        ),
    }
}

fn bits(t: &Term) -> (&[u8], u8) {
    match t {
        Term::Binary(b) => (&b.bytes, 8),
        Term::BitBinary(b) => (&b.bytes, b.tail_bits_size),
        _ => (&[], 8),
    }
}

fn compare_bits(a: &Term, b: &Term) -> Ordering {
    let ((ba, ta), (bb, tb)) = (bits(a), bits(b));
    ba.cmp(bb).then(ta.cmp(&tb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use eetf::{Atom, FixInteger, Float, List, Tuple};

    #[test]
    fn ranks_follow_erlang() {
        let one = Term::from(FixInteger::from(1));
        let atom = Term::from(Atom::from("a"));
        let tuple = Term::from(Tuple::from(vec![]));
        let nil = Term::from(List::nil());
        assert_eq!(compare(&one, &atom), Ordering::Less);
        assert_eq!(compare(&atom, &tuple), Ordering::Less);
        assert_eq!(compare(&tuple, &nil), Ordering::Less);
    }

    #[test]
    fn every_integer_sorts_before_every_float() {
        let i = Term::from(FixInteger::from(3));
        let f = Term::from(Float { value: 0.5 });
        assert_eq!(compare(&i, &f), Ordering::Less);
        assert_eq!(compare(&f, &i), Ordering::Greater);
    }
}
