//! Builders for Erlang abstract format (the `erl_parse` terms `compile:forms/2` and `erl_eval` read), as
//! `eetf` terms. Every builder takes the source line `l` the construct came from.

use eetf::{ByteList, FixInteger, Float, Term};
use num_bigint::BigInt;

use super::ast::Literal;
use beamtalk_term::etf::int_term;
use beamtalk_term::{atom, list, tuple};

/// A line number as a term.
pub fn int(l: i32) -> Term {
    Term::from(FixInteger::from(l))
}

pub fn abs_atom(l: i32, name: &str) -> Term {
    tuple(vec![atom("atom"), int(l), atom(name)])
}

pub fn var(l: i32, name: &str) -> Term {
    tuple(vec![atom("var"), int(l), atom(name)])
}

pub fn integer(l: i32, n: i64) -> Term {
    tuple(vec![atom("integer"), int(l), int_term(BigInt::from(n))])
}

/// `M:F(Args)`.
pub fn call(l: i32, m: &str, f: &str, args: Vec<Term>) -> Term {
    let remote = tuple(vec![atom("remote"), int(l), abs_atom(l, m), abs_atom(l, f)]);
    tuple(vec![atom("call"), int(l), remote, list(args)])
}

/// `F(Args)` of a local function `name`.
pub fn local(l: i32, name: &str, args: Vec<Term>) -> Term {
    tuple(vec![atom("call"), int(l), abs_atom(l, name), list(args)])
}

/// `F(Args)` for any fun-valued expression `F`.
pub fn apply(l: i32, f: Term, args: Vec<Term>) -> Term {
    tuple(vec![atom("call"), int(l), f, list(args)])
}

/// `Pattern = Value`.
pub fn matched(l: i32, pattern: Term, value: Term) -> Term {
    tuple(vec![atom("match"), int(l), pattern, value])
}

/// `begin E1, ..., En end` (the value of the last; variables it binds stay bound after it).
pub fn begin(l: i32, mut exprs: Vec<Term>) -> Term {
    match exprs.len() {
        0 => abs_atom(l, "nil"),
        1 => exprs.remove(0),
        _ => tuple(vec![atom("block"), int(l), list(exprs)]),
    }
}

/// One clause without guards: `Params -> Body`.
pub fn clause(l: i32, params: Vec<Term>, body: Vec<Term>) -> Term {
    guarded_clause(l, params, vec![], body)
}

/// One clause with guards (all must hold): `Params when G1, G2 -> Body`.
pub fn guarded_clause(l: i32, params: Vec<Term>, guards: Vec<Term>, body: Vec<Term>) -> Term {
    let guards = match guards.is_empty() {
        true => list(vec![]),
        false => list(vec![list(guards)]),
    };
    tuple(vec![
        atom("clause"),
        int(l),
        list(params),
        guards,
        list(body),
    ])
}

/// `case Subject of Clauses end`.
pub fn case(l: i32, subject: Term, clauses: Vec<Term>) -> Term {
    tuple(vec![atom("case"), int(l), subject, list(clauses)])
}

/// `A Op B`.
pub fn op(l: i32, name: &str, a: Term, b: Term) -> Term {
    tuple(vec![atom("op"), int(l), atom(name), a, b])
}

/// `{E1, ..., En}`.
pub fn abs_tuple(l: i32, items: Vec<Term>) -> Term {
    tuple(vec![atom("tuple"), int(l), list(items)])
}

/// `fun (Params) -> Body end`.
pub fn fun(l: i32, params: Vec<Term>, body: Vec<Term>) -> Term {
    tuple(vec![
        atom("fun"),
        int(l),
        tuple(vec![atom("clauses"), list(vec![clause(l, params, body)])]),
    ])
}

/// `fun Name(...) -> ... end`: a fun that can call itself by `Name`.
pub fn named_fun(l: i32, name: &str, clauses: Vec<Term>) -> Term {
    tuple(vec![atom("named_fun"), int(l), atom(name), list(clauses)])
}

/// A call of an auto-imported BIF (a type test in a guard, `self()`).
pub fn bif(l: i32, name: &str, args: Vec<Term>) -> Term {
    tuple(vec![atom("call"), int(l), abs_atom(l, name), list(args)])
}

/// An abstract list expression (or pattern) of `items`.
pub fn abs_list(l: i32, items: Vec<Term>) -> Term {
    items
        .into_iter()
        .rev()
        .fold(tuple(vec![atom("nil"), int(l)]), |tail, head| {
            tuple(vec![atom("cons"), int(l), head, tail])
        })
}

/// `[Head | Tail]`.
pub fn cons(l: i32, head: Term, tail: Term) -> Term {
    tuple(vec![atom("cons"), int(l), head, tail])
}

/// A binary literal of raw bytes, written `erlang:list_to_binary("...")`: OTP folds that call into the
/// binary at compile time (a pure BIF of a literal), where a `<<"...">>` form is first expanded into a
/// segment per byte and folded back.
pub fn bytes(l: i32, b: &[u8]) -> Term {
    let chars = tuple(vec![
        atom("string"),
        int(l),
        Term::ByteList(ByteList::from(b.to_vec())),
    ]);
    call(l, "erlang", "list_to_binary", vec![chars])
}

/// `<<A/binary, B/binary>>`.
pub fn binary_append(l: i32, a: Term, b: Term) -> Term {
    let elem = |v: Term| {
        tuple(vec![
            atom("bin_element"),
            int(l),
            v,
            atom("default"),
            list(vec![atom("binary")]),
        ])
    };
    tuple(vec![atom("bin"), int(l), list(vec![elem(a), elem(b)])])
}

/// A UTF-8 binary literal.
pub fn string(l: i32, s: &str) -> Term {
    if s.is_empty() {
        return tuple(vec![atom("bin"), int(l), list(vec![])]);
    }
    // Characters below 256 are a byte list (one byte each in the external format, and no term per
    // character to build); any other text is a list of code points.
    let chars = match s.chars().all(|c| u32::from(c) < 256) {
        true => Term::ByteList(ByteList::from(
            s.chars()
                .filter_map(|c| u8::try_from(u32::from(c)).ok())
                .collect::<Vec<u8>>(),
        )),
        false => list(
            s.chars()
                .map(|c| int_term(BigInt::from(u32::from(c))))
                .collect(),
        ),
    };
    let elem = tuple(vec![
        atom("bin_element"),
        int(l),
        tuple(vec![atom("string"), int(l), chars]),
        atom("default"),
        list(vec![atom("utf8")]),
    ]);
    tuple(vec![atom("bin"), int(l), list(vec![elem])])
}

pub fn literal(l: i32, lit: &Literal) -> Term {
    match lit {
        Literal::Integer(i) => tuple(vec![atom("integer"), int(l), int_term(i.clone())]),
        Literal::Float(f) => tuple(vec![atom("float"), int(l), Term::from(Float { value: *f })]),
        Literal::String(s) => string(l, s),
        Literal::Symbol(s) => abs_atom(l, s),
        Literal::Char(c) => tuple(vec![atom("integer"), int(l), int_term(BigInt::from(*c))]),
        Literal::Nil => abs_atom(l, "nil"),
        Literal::True => abs_atom(l, "true"),
        Literal::False => abs_atom(l, "false"),
    }
}

/// A class as a value: `{'$bt_class', Name}`.
pub fn class_ref(l: i32, name: &str) -> Term {
    abs_tuple(
        l,
        vec![abs_atom(l, crate::abi::CLASS_TAG), abs_atom(l, name)],
    )
}

/// `Name() -> Body.` (or with parameters): one function of one clause.
pub fn function(l: i32, name: &str, params: Vec<Term>, body: Vec<Term>) -> Term {
    function_of(l, name, params.len(), vec![clause(l, params, body)])
}

/// A function of several clauses.
pub fn function_of(l: i32, name: &str, arity: usize, clauses: Vec<Term>) -> Term {
    let arity = Term::from(FixInteger::from(i32::try_from(arity).unwrap_or(0)));
    tuple(vec![
        atom("function"),
        int(l),
        atom(name),
        arity,
        list(clauses),
    ])
}

/// `-Name(Value).`
pub fn attribute(l: i32, name: &str, value: Term) -> Term {
    tuple(vec![atom("attribute"), int(l), atom(name), value])
}

/// `try Body of OfClauses catch CatchClauses end` (catch clauses match `{Class, Reason, Stack}`).
pub fn try_of(l: i32, body: Vec<Term>, of: Vec<Term>, catches: Vec<Term>) -> Term {
    tuple(vec![
        atom("try"),
        int(l),
        list(body),
        list(of),
        list(catches),
        list(vec![]),
    ])
}

/// `t` as people read generated code (snapshots, dumps): the expression of each
/// `beamtalk_rt:deferred(<<...>>, Bindings)` decoded in place of its bytes, shown as `{deferred, Expr}`,
/// and the value of each [`packed`] literal as `{packed, Value}`.
/// Recursive: for code of a size people read.
pub fn shown(t: &Term) -> Term {
    if let Some(value) = packed_value(t) {
        return tuple(vec![atom("packed"), value]);
    }
    if let Some((expr, rest)) = deferred_call(t) {
        let mut call = rest.clone();
        if let Term::Tuple(c) = &mut call
            && let Some(Term::List(args)) = c.elements.get_mut(3)
            && let Some(first) = args.elements.first_mut()
        {
            *first = tuple(vec![atom("deferred"), shown(&expr)]);
        }
        return call;
    }
    match t {
        Term::Tuple(x) => tuple(x.elements.iter().map(shown).collect()),
        Term::List(x) => list(x.elements.iter().map(shown).collect()),
        other => other.clone(),
    }
}

/// The value a [`packed`] literal keeps, decoded.
fn packed_value(t: &Term) -> Option<Term> {
    let Term::Tuple(call) = t else { return None };
    let [Term::Atom(tag), _, Term::Tuple(target), Term::List(args)] = call.elements.as_slice()
    else {
        return None;
    };
    let is_packed = tag.name == "call"
        && matches!(target.elements.as_slice(),
            [_, _, Term::Tuple(m), Term::Tuple(f)]
                if m.elements.get(2) == Some(&atom("erlang"))
                    && f.elements.get(2) == Some(&atom("binary_to_term")));
    if !is_packed {
        return None;
    }
    Term::decode(blob_of(args.elements.first()?)?).ok()
}

/// The bytes of a binary literal [`bytes`] built.
fn blob_of(bin: &Term) -> Option<&[u8]> {
    let Term::Tuple(call) = bin else { return None };
    let Some(Term::List(args)) = call.elements.get(3) else {
        return None;
    };
    let Some(Term::Tuple(string)) = args.elements.first() else {
        return None;
    };
    match string.elements.get(2) {
        Some(Term::ByteList(blob)) => Some(blob.bytes.as_slice()),
        _ => None,
    }
}

/// The expression a `beamtalk_rt:deferred/2` call keeps, decoded, and the call.
fn deferred_call(t: &Term) -> Option<(Term, &Term)> {
    let Term::Tuple(call) = t else { return None };
    let [Term::Atom(tag), _, target, Term::List(args)] = call.elements.as_slice() else {
        return None;
    };
    let Term::Tuple(target) = target else {
        return None;
    };
    let is_deferred = tag.name == "call"
        && matches!(target.elements.as_slice(),
            [_, _, Term::Tuple(m), Term::Tuple(f)]
                if m.elements.get(2) == Some(&atom(crate::abi::DEFERRED.module))
                    && f.elements.get(2) == Some(&atom(crate::abi::DEFERRED.name)));
    if !is_deferred {
        return None;
    }
    // The names of its variables, and the expression.
    match Term::decode(blob_of(args.elements.first()?)?).ok()? {
        Term::Tuple(kept) if kept.elements.len() == 2 => Some((kept.elements[1].clone(), t)),
        _ => None,
    }
}

/// `erlang:binary_to_term(<<...>>)` of the value of `literal` (an abstract literal: atoms, integers,
/// binaries, tuples and lists), for data only the runtime reads (a class's cross-reference and
/// documentation tables): OTP's compiler passes then see one binary, not the term node by node (such
/// tables were a fifth of the compile time of a class of one-line methods). `literal` itself where it is
/// not such a literal.
pub fn packed(l: i32, literal: &Term) -> Term {
    match literal_value(literal) {
        Some(value) => packed_term(l, &value),
        None => literal.clone(),
    }
}

/// `erlang:binary_to_term(<<...>>)` of `value`, compressed where that makes it smaller: the passes of
/// OTP's compiler cost about ten reductions a byte of literal, and a class's source and tables shrink
/// three to ten times.
pub fn packed_term(l: i32, value: &Term) -> Term {
    call(l, "erlang", "binary_to_term", vec![bytes(l, &etf(value))])
}

/// The external term format of `value`, compressed (tag 80: its size, then zlib) when that is shorter.
fn etf(value: &Term) -> Vec<u8> {
    // Our encoder, not eetf's (which writes a byte list over 65,535 long with a wrapped length). It
    // fails only for a part over 4 GB, which no source text makes.
    let plain = beamtalk_term::etf::encode(value).unwrap_or_default();
    if plain.is_empty() {
        return plain;
    }
    let Ok(size) = u32::try_from(plain.len() - 1) else {
        return plain;
    };
    let Some(deflated) = zlib(&plain[1..]) else {
        return plain;
    };
    match deflated.len() + 6 < plain.len() {
        true => {
            let mut packed = vec![131, 80];
            packed.extend(size.to_be_bytes());
            packed.extend(deflated);
            packed
        }
        false => plain,
    }
}

fn zlib(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = libflate::zlib::Encoder::new(Vec::new()).ok()?;
    encoder.write_all(bytes).ok()?;
    encoder.finish().into_result().ok()
}

/// The value an abstract literal stands for.
fn literal_value(t: &Term) -> Option<Term> {
    let Term::Tuple(form) = t else { return None };
    let tag = match form.elements.first() {
        Some(Term::Atom(tag)) => tag.name.as_str(),
        _ => return None,
    };
    match (tag, &form.elements[1..]) {
        ("atom" | "integer", [_, value]) => Some(value.clone()),
        ("nil", [_]) => Some(list(vec![])),
        ("cons", [_, head, tail]) => {
            let mut items = vec![literal_value(head)?];
            let mut rest = tail;
            loop {
                match rest {
                    Term::Tuple(c) if c.elements.first() == Some(&atom("cons")) => {
                        items.push(literal_value(c.elements.get(2)?)?);
                        rest = c.elements.get(3)?;
                    }
                    Term::Tuple(c) if c.elements.first() == Some(&atom("nil")) => break,
                    _ => return None,
                }
            }
            Some(list(items))
        }
        ("tuple", [_, Term::List(items)]) => Some(tuple(
            items
                .elements
                .iter()
                .map(literal_value)
                .collect::<Option<Vec<_>>>()?,
        )),
        ("bin", [_, Term::List(elems)]) => binary_value(&elems.elements),
        _ => None,
    }
}

/// The bytes of a binary literal as [`bytes`] and [`string`] build it.
fn binary_value(elems: &[Term]) -> Option<Term> {
    let mut out = Vec::new();
    for elem in elems {
        let Term::Tuple(e) = elem else { return None };
        let Some(Term::Tuple(s)) = e.elements.get(2) else {
            return None;
        };
        let utf8 = e.elements.get(4) == Some(&list(vec![atom("utf8")]));
        match s.elements.get(2)? {
            Term::ByteList(b) if utf8 => {
                // Code points below 256, one a byte.
                let text: String = b.bytes.iter().map(|&c| char::from(c)).collect();
                out.extend_from_slice(text.as_bytes());
            }
            Term::ByteList(b) => out.extend_from_slice(&b.bytes),
            Term::List(cps) if utf8 => {
                for cp in &cps.elements {
                    let c = match cp {
                        Term::FixInteger(i) => char::from_u32(u32::try_from(i.value).ok()?)?,
                        _ => return None,
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            _ => return None,
        }
    }
    Some(Term::Binary(eetf::Binary::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a packed literal holds comes back whole: compressed or not, and with a byte list longer
    /// than the 65,535 the external format's short string takes (eetf's own encoder wraps that length).
    #[test]
    fn a_packed_literal_decodes_to_its_value() {
        let small = tuple(vec![atom("ok"), int(1)]);
        assert_eq!(
            shown(&packed_term(1, &small)),
            tuple(vec![atom("packed"), small])
        );
        let long = Term::ByteList(ByteList::from(vec![b'x'; 70_000]));
        let Term::Tuple(back) = shown(&packed_term(1, &long)) else {
            panic!("not packed")
        };
        // Decoded as a list of 70,000 integers (the external format's long list).
        let n = match &back.elements[1] {
            Term::List(l) => l.elements.len(),
            Term::ByteList(b) => b.bytes.len(),
            _ => 0,
        };
        assert_eq!(n, 70_000, "the long byte list came back whole");
        // Compression is used where it pays: 70,000 equal bytes take a few hundred.
        assert!(etf(&long).len() < 1_000);
        assert_eq!(etf(&atom("ok")), [131, 119, 2, b'o', b'k']);
    }
}
