//! Erlang external term format (ETF) ⇄ [`eetf::Term`], bounded and panic-free.
//!
//! This owns the byte-level codec for every term that crosses a distribution connection. It does no I/O.
//!
//! Why not `eetf::Term::decode`/`encode` (0.11, the version `erl_dist` 0.8 is built on)? Its decoder panics on
//! atom-cache references (`unimplemented!`), reserves `Vec::with_capacity(count)` straight from untrusted
//! 32-bit counts, and recurses without a depth limit; its encoder writes a list such as `[-1]` as `STRING_EXT`
//! with the byte 255. Frames come from the network, so this module decodes with three bounds — every element
//! consumes at least one input byte (so allocation is proportional to the input), nesting depth is capped, and
//! compressed terms are refused — and encodes exactly as `term_to_binary(T, [{minor_version, 2}])` does, with
//! map keys in term order.

use eetf::{
    Atom, BigInteger, Binary, BitBinary, ByteList, ExternalFun, FixInteger, Float, ImproperList,
    InternalFun, List, Map, Pid, Port, Reference, Term, Tuple,
};
use num_bigint::{BigInt, Sign};

use super::order::sorted_map_entries;

/// The version byte that starts every standalone external term.
pub const VERSION: u8 = 131;

/// Deepest nesting of tuples, lists, maps and funs accepted from the network.
pub const MAX_DEPTH: usize = 512;

const NEW_FLOAT_EXT: u8 = 70;
const BIT_BINARY_EXT: u8 = 77;
const COMPRESSED: u8 = 80;
const ATOM_CACHE_REF: u8 = 82;
const NEW_PID_EXT: u8 = 88;
const NEW_PORT_EXT: u8 = 89;
const NEWER_REFERENCE_EXT: u8 = 90;
const SMALL_INTEGER_EXT: u8 = 97;
const INTEGER_EXT: u8 = 98;
const FLOAT_EXT: u8 = 99;
const ATOM_EXT: u8 = 100;
const REFERENCE_EXT: u8 = 101;
const PORT_EXT: u8 = 102;
const PID_EXT: u8 = 103;
const SMALL_TUPLE_EXT: u8 = 104;
const LARGE_TUPLE_EXT: u8 = 105;
const NIL_EXT: u8 = 106;
const STRING_EXT: u8 = 107;
const LIST_EXT: u8 = 108;
const BINARY_EXT: u8 = 109;
const SMALL_BIG_EXT: u8 = 110;
const LARGE_BIG_EXT: u8 = 111;
const NEW_FUN_EXT: u8 = 112;
const EXPORT_EXT: u8 = 113;
const NEW_REFERENCE_EXT: u8 = 114;
const SMALL_ATOM_EXT: u8 = 115;
const MAP_EXT: u8 = 116;
const FUN_EXT: u8 = 117;
const ATOM_UTF8_EXT: u8 = 118;
const SMALL_ATOM_UTF8_EXT: u8 = 119;
const V4_PORT_EXT: u8 = 120;

/// Why a byte sequence is not an acceptable external term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("term ends early at byte {offset}")]
    Truncated { offset: usize },
    #[error("expected version byte 131 at byte {offset}, found {found}")]
    BadVersion { offset: usize, found: u8 },
    #[error("unknown term tag {tag} at byte {offset}")]
    UnknownTag { offset: usize, tag: u8 },
    #[error("unsupported term encoding ({what}) at byte {offset}")]
    Unsupported { offset: usize, what: &'static str },
    #[error("malformed term at byte {offset}: {what}")]
    Malformed { offset: usize, what: &'static str },
    #[error("term nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("{count} trailing bytes after the term")]
    Trailing { count: usize },
}

/// Why a term cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("atom longer than 255 characters: {0:?}")]
    AtomTooLong(String),
    #[error("term too large to encode ({0})")]
    TooLarge(&'static str),
}

/// Decodes one complete term (with version byte); trailing bytes are an error.
pub fn decode(bytes: &[u8]) -> Result<Term, DecodeError> {
    let mut d = Decoder::new(bytes);
    let term = d.versioned()?;
    match d.remaining() {
        0 => Ok(term),
        count => Err(DecodeError::Trailing { count }),
    }
}

/// Encodes a term with the version byte, as `term_to_binary(T, [{minor_version, 2}])` would.
pub fn encode(term: &Term) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(64);
    encode_into(term, &mut out)?;
    Ok(out)
}

/// Appends a versioned encoding of `term` to `out`.
pub fn encode_into(term: &Term, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.push(VERSION);
    Encoder { out }.term(term)
}

/// A cursor over untrusted bytes that decodes a sequence of versioned terms.
pub struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Decoder<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            depth: 0,
        }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Decodes the next term, which must start with the version byte.
    pub fn versioned(&mut self) -> Result<Term, DecodeError> {
        let offset = self.pos;
        match self.u8()? {
            VERSION => self.term(),
            found => Err(DecodeError::BadVersion { offset, found }),
        }
    }

    /// The first `n` elements of the versioned tuple at the cursor (fewer if it is smaller), without
    /// decoding the rest: what a message says about itself when its body cannot be decoded.
    pub fn versioned_tuple_prefix(&mut self, n: usize) -> Result<Vec<Term>, DecodeError> {
        let offset = self.pos;
        match self.u8()? {
            VERSION => {}
            found => return Err(DecodeError::BadVersion { offset, found }),
        }
        let arity = match self.u8()? {
            SMALL_TUPLE_EXT => usize::from(self.u8()?),
            LARGE_TUPLE_EXT => self.u32()? as usize,
            _ => return Err(self.malformed("not a tuple")),
        };
        (0..arity.min(n)).map(|_| self.term()).collect()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(DecodeError::Truncated {
                offset: self.bytes.len(),
            })?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A count of elements that each take at least one byte: larger than what is left is malformed, so no
    /// allocation ever exceeds the input's size.
    fn count(&mut self, n: usize) -> Result<usize, DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated {
                offset: self.bytes.len(),
            });
        }
        Ok(n)
    }

    fn malformed(&self, what: &'static str) -> DecodeError {
        DecodeError::Malformed {
            offset: self.pos,
            what,
        }
    }

    fn term(&mut self) -> Result<Term, DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        self.depth += 1;
        let result = self.untracked_term();
        self.depth -= 1;
        result
    }

    fn untracked_term(&mut self) -> Result<Term, DecodeError> {
        let offset = self.pos;
        let tag = self.u8()?;
        match tag {
            SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT => self.integer(tag),
            NEW_FLOAT_EXT | FLOAT_EXT => self.float(tag),
            ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_EXT | SMALL_ATOM_UTF8_EXT => {
                self.atom_with_tag(tag)
            }
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => self.tuple(tag),
            NIL_EXT | STRING_EXT | LIST_EXT => self.list(tag),
            MAP_EXT => self.map(),
            BINARY_EXT | BIT_BINARY_EXT => self.binary(tag),
            PID_EXT | NEW_PID_EXT => self.pid(tag),
            PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT => self.port(tag),
            REFERENCE_EXT | NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => self.reference(tag),
            EXPORT_EXT => self.export(),
            NEW_FUN_EXT => self.new_fun(),
            FUN_EXT => Err(DecodeError::Unsupported {
                offset,
                what: "FUN_EXT (pre-R10 fun)",
            }),
            COMPRESSED => Err(DecodeError::Unsupported {
                offset,
                what: "compressed term",
            }),
            ATOM_CACHE_REF => Err(DecodeError::Unsupported {
                offset,
                what: "atom cache reference",
            }),
            tag => Err(DecodeError::UnknownTag { offset, tag }),
        }
    }

    #[inline(never)]
    fn integer(&mut self, tag: u8) -> Result<Term, DecodeError> {
        match tag {
            SMALL_INTEGER_EXT => Ok(Term::from(FixInteger::from(self.u8()?))),
            INTEGER_EXT => Ok(Term::from(FixInteger::from(self.u32()? as i32))),
            SMALL_BIG_EXT => {
                let n = usize::from(self.u8()?);
                self.big(n)
            }
            _ => {
                let n = self.u32()? as usize;
                self.big(n)
            }
        }
    }

    #[inline(never)]
    fn float(&mut self, tag: u8) -> Result<Term, DecodeError> {
        if tag == FLOAT_EXT {
            return self.old_float();
        }
        let value = f64::from_bits(self.u64()?);
        if !value.is_finite() {
            return Err(self.malformed("non-finite float"));
        }
        Ok(Term::from(Float { value }))
    }

    #[inline(never)]
    fn atom_with_tag(&mut self, tag: u8) -> Result<Term, DecodeError> {
        let n = match tag {
            ATOM_EXT | ATOM_UTF8_EXT => usize::from(self.u16()?),
            _ => usize::from(self.u8()?),
        };
        let utf8 = matches!(tag, ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT);
        Ok(Term::from(self.atom_body(n, utf8)?))
    }

    #[inline(never)]
    fn tuple(&mut self, tag: u8) -> Result<Term, DecodeError> {
        let n = match tag {
            SMALL_TUPLE_EXT => usize::from(self.u8()?),
            _ => self.u32()? as usize,
        };
        Ok(Term::from(Tuple::from(self.terms(n)?)))
    }

    #[inline(never)]
    fn binary(&mut self, tag: u8) -> Result<Term, DecodeError> {
        if tag == BIT_BINARY_EXT {
            return self.bit_binary();
        }
        let n = self.u32()? as usize;
        Ok(Term::from(Binary::from(self.take(n)?.to_vec())))
    }

    #[inline(never)]
    fn pid(&mut self, tag: u8) -> Result<Term, DecodeError> {
        Ok(Term::from(self.pid_body(tag == NEW_PID_EXT)?))
    }

    fn terms(&mut self, n: usize) -> Result<Vec<Term>, DecodeError> {
        let n = self.count(n)?;
        // No `with_capacity(n)`: nested containers would each reserve for their claimed count.
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(self.term()?);
        }
        Ok(v)
    }

    fn big(&mut self, n: usize) -> Result<Term, DecodeError> {
        let sign = match self.u8()? {
            0 => Sign::Plus,
            1 => Sign::Minus,
            _ => return Err(self.malformed("bignum sign byte is not 0 or 1")),
        };
        let digits = self.take(n)?;
        Ok(int_term(BigInt::from_bytes_le(sign, digits)))
    }

    fn old_float(&mut self) -> Result<Term, DecodeError> {
        let raw = self.take(31)?;
        let text = std::str::from_utf8(raw)
            .map_err(|_| self.malformed("FLOAT_EXT is not ASCII"))?
            .trim_end_matches('\0');
        let value: f64 = text
            .trim()
            .parse()
            .map_err(|_| self.malformed("FLOAT_EXT text is not a float"))?;
        Ok(Term::from(Float { value }))
    }

    fn atom_body(&mut self, n: usize, utf8: bool) -> Result<Atom, DecodeError> {
        let raw = self.take(n)?;
        let name = if utf8 {
            std::str::from_utf8(raw)
                .map_err(|_| self.malformed("atom is not UTF-8"))?
                .to_owned()
        } else {
            raw.iter().map(|&b| char::from(b)).collect()
        };
        Ok(Atom::from(name))
    }

    fn atom(&mut self) -> Result<Atom, DecodeError> {
        match self.term()? {
            Term::Atom(a) => Ok(a),
            _ => Err(self.malformed("expected an atom")),
        }
    }

    #[inline(never)]
    fn list(&mut self, tag: u8) -> Result<Term, DecodeError> {
        match tag {
            NIL_EXT => return Ok(Term::from(List::nil())),
            STRING_EXT => {
                let n = usize::from(self.u16()?);
                return Ok(Term::from(ByteList::from(self.take(n)?.to_vec())));
            }
            _ => {}
        }
        let n = self.u32()? as usize;
        let elements = self.terms(n)?;
        let tail = self.term()?;
        Ok(match tail {
            Term::List(l) if l.is_nil() => Term::from(List::from(elements)),
            tail => Term::from(ImproperList::from((elements, tail))),
        })
    }

    #[inline(never)]
    fn map(&mut self) -> Result<Term, DecodeError> {
        let n = self.u32()? as usize;
        let n = self.count(n)?;
        let mut map = std::collections::HashMap::new();
        for _ in 0..n {
            let k = self.term()?;
            let v = self.term()?;
            map.insert(k, v);
        }
        Ok(Term::from(Map::from(map)))
    }

    fn bit_binary(&mut self) -> Result<Term, DecodeError> {
        let n = self.u32()? as usize;
        let bits = self.u8()?;
        if !(1..=8).contains(&bits) || n == 0 {
            return Err(self.malformed("bit binary with a bad tail bit count"));
        }
        let mut bytes = self.take(n)?.to_vec();
        if bits == 8 {
            return Ok(Term::from(Binary::from(bytes)));
        }
        if let Some(last) = bytes.last_mut() {
            *last >>= 8 - bits;
        }
        Ok(Term::from(BitBinary::from((bytes, bits))))
    }

    fn pid_body(&mut self, new: bool) -> Result<Pid, DecodeError> {
        let node = self.atom()?;
        let id = self.u32()?;
        let serial = self.u32()?;
        let creation = if new {
            self.u32()?
        } else {
            u32::from(self.u8()?)
        };
        Ok(Pid {
            node,
            id,
            serial,
            creation,
        })
    }

    #[inline(never)]
    fn port(&mut self, tag: u8) -> Result<Term, DecodeError> {
        let node = self.atom()?;
        let id = match tag {
            V4_PORT_EXT => self.u64()?,
            _ => u64::from(self.u32()?),
        };
        let creation = match tag {
            PORT_EXT => u32::from(self.u8()?),
            _ => self.u32()?,
        };
        Ok(Term::from(Port { node, id, creation }))
    }

    #[inline(never)]
    fn reference(&mut self, tag: u8) -> Result<Term, DecodeError> {
        if tag == REFERENCE_EXT {
            let node = self.atom()?;
            let id = vec![self.u32()?];
            let creation = u32::from(self.u8()?);
            return Ok(Term::from(Reference { node, id, creation }));
        }
        let n = usize::from(self.u16()?);
        let node = self.atom()?;
        let creation = match tag {
            NEWER_REFERENCE_EXT => self.u32()?,
            _ => u32::from(self.u8()?),
        };
        let n = self.count(n)?;
        let mut id = Vec::new();
        for _ in 0..n {
            id.push(self.u32()?);
        }
        Ok(Term::from(Reference { node, id, creation }))
    }

    #[inline(never)]
    fn export(&mut self) -> Result<Term, DecodeError> {
        let module = self.atom()?;
        let function = self.atom()?;
        let arity = match self.term()? {
            Term::FixInteger(FixInteger { value }) => {
                u8::try_from(value).map_err(|_| self.malformed("export arity out of range"))?
            }
            _ => return Err(self.malformed("export arity is not an integer")),
        };
        Ok(Term::from(ExternalFun {
            module,
            function,
            arity,
        }))
    }

    #[inline(never)]
    fn new_fun(&mut self) -> Result<Term, DecodeError> {
        let _size = self.u32()?;
        let arity = self.u8()?;
        let uniq: [u8; 16] = self.array()?;
        let index = self.u32()?;
        let num_free = self.u32()? as usize;
        let module = self.atom()?;
        let old_index = self.fix_int()?;
        let old_uniq = self.fix_int()?;
        let pid = match self.term()? {
            Term::Pid(p) => p,
            _ => return Err(self.malformed("fun pid is not a pid")),
        };
        let free_vars = self.terms(num_free)?;
        Ok(Term::from(InternalFun::New {
            module,
            arity,
            pid,
            free_vars,
            index,
            uniq,
            old_index,
            old_uniq,
        }))
    }

    fn fix_int(&mut self) -> Result<i32, DecodeError> {
        match self.term()? {
            Term::FixInteger(FixInteger { value }) => Ok(value),
            _ => Err(self.malformed("expected a small integer")),
        }
    }
}

/// An integer term in its canonical representation: `FixInteger` when it fits in 32 bits.
pub fn int_term(value: BigInt) -> Term {
    match i32::try_from(&value) {
        Ok(v) => Term::from(FixInteger::from(v)),
        Err(_) => Term::from(BigInteger { value }),
    }
}

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
}

impl Encoder<'_> {
    fn u8(&mut self, b: u8) {
        self.out.push(b);
    }
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }
    fn len32(&mut self, n: usize, what: &'static str) -> Result<(), EncodeError> {
        self.u32(u32::try_from(n).map_err(|_| EncodeError::TooLarge(what))?);
        Ok(())
    }

    /// The last element of a tuple is encoded by looping rather than recursing, so right-nested terms
    /// (abstract-format lists, `{cons, L, H, Tail}`, as long as the source list) need no stack.
    fn term(&mut self, mut t: &Term) -> Result<(), EncodeError> {
        while let Term::Tuple(tuple) = t {
            self.tuple_header(tuple.elements.len())?;
            let Some((last, rest)) = tuple.elements.split_last() else {
                return Ok(());
            };
            rest.iter().try_for_each(|e| self.term(e))?;
            t = last;
        }
        self.non_tuple(t)
    }

    fn non_tuple(&mut self, t: &Term) -> Result<(), EncodeError> {
        match t {
            Term::Atom(a) => self.atom(a)?,
            Term::FixInteger(i) => self.int(i.value),
            Term::BigInteger(b) => self.big(&b.value)?,
            Term::Float(f) => {
                self.u8(NEW_FLOAT_EXT);
                self.out.extend_from_slice(&f.value.to_bits().to_be_bytes());
            }
            Term::Pid(p) => self.pid(p)?,
            Term::Port(p) => self.port(p)?,
            Term::Reference(r) => self.reference(r)?,
            Term::ExternalFun(f) => {
                self.u8(EXPORT_EXT);
                self.atom(&f.module)?;
                self.atom(&f.function)?;
                self.int(i32::from(f.arity));
            }
            Term::InternalFun(f) => self.internal_fun(f)?,
            Term::Binary(b) => {
                self.u8(BINARY_EXT);
                self.len32(b.bytes.len(), "binary")?;
                self.out.extend_from_slice(&b.bytes);
            }
            Term::BitBinary(b) => self.bit_binary(b)?,
            Term::ByteList(l) => self.byte_list(&l.bytes)?,
            Term::List(l) => self.list(&l.elements, None)?,
            Term::ImproperList(l) => self.list(&l.elements, Some(&l.last))?,
            Term::Tuple(_) => self.term(t)?,
            Term::Map(m) => self.map(m)?,
        }
        Ok(())
    }

    fn atom(&mut self, a: &Atom) -> Result<(), EncodeError> {
        if a.name.chars().count() > 255 {
            return Err(EncodeError::AtomTooLong(a.name.clone()));
        }
        match u8::try_from(a.name.len()) {
            Ok(n) => {
                self.u8(SMALL_ATOM_UTF8_EXT);
                self.u8(n);
            }
            Err(_) => {
                self.u8(ATOM_UTF8_EXT);
                // At most 255 chars of at most 4 bytes each, so this always fits.
                self.u16(a.name.len() as u16);
            }
        }
        self.out.extend_from_slice(a.name.as_bytes());
        Ok(())
    }

    fn int(&mut self, v: i32) {
        match u8::try_from(v) {
            Ok(b) => {
                self.u8(SMALL_INTEGER_EXT);
                self.u8(b);
            }
            Err(_) => {
                self.u8(INTEGER_EXT);
                self.out.extend_from_slice(&v.to_be_bytes());
            }
        }
    }

    fn big(&mut self, v: &BigInt) -> Result<(), EncodeError> {
        if let Ok(small) = i32::try_from(v) {
            self.int(small);
            return Ok(());
        }
        let (sign, digits) = v.to_bytes_le();
        match u8::try_from(digits.len()) {
            Ok(n) => {
                self.u8(SMALL_BIG_EXT);
                self.u8(n);
            }
            Err(_) => {
                self.u8(LARGE_BIG_EXT);
                self.len32(digits.len(), "integer")?;
            }
        }
        self.u8(u8::from(sign == Sign::Minus));
        self.out.extend_from_slice(&digits);
        Ok(())
    }

    fn pid(&mut self, p: &Pid) -> Result<(), EncodeError> {
        self.u8(NEW_PID_EXT);
        self.atom(&p.node)?;
        self.u32(p.id);
        self.u32(p.serial);
        self.u32(p.creation);
        Ok(())
    }

    #[inline(never)]
    fn port(&mut self, p: &Port) -> Result<(), EncodeError> {
        match u32::try_from(p.id) {
            Ok(id) => {
                self.u8(NEW_PORT_EXT);
                self.atom(&p.node)?;
                self.u32(id);
            }
            Err(_) => {
                self.u8(V4_PORT_EXT);
                self.atom(&p.node)?;
                self.out.extend_from_slice(&p.id.to_be_bytes());
            }
        }
        self.u32(p.creation);
        Ok(())
    }

    fn reference(&mut self, r: &Reference) -> Result<(), EncodeError> {
        self.u8(NEWER_REFERENCE_EXT);
        self.u16(u16::try_from(r.id.len()).map_err(|_| EncodeError::TooLarge("reference"))?);
        self.atom(&r.node)?;
        self.u32(r.creation);
        for id in &r.id {
            self.u32(*id);
        }
        Ok(())
    }

    fn internal_fun(&mut self, f: &InternalFun) -> Result<(), EncodeError> {
        let InternalFun::New {
            module,
            arity,
            pid,
            free_vars,
            index,
            uniq,
            old_index,
            old_uniq,
        } = f
        else {
            return Err(EncodeError::TooLarge("pre-R10 fun"));
        };
        self.u8(NEW_FUN_EXT);
        let size_at = self.out.len();
        self.u32(0);
        self.u8(*arity);
        self.out.extend_from_slice(uniq);
        self.u32(*index);
        self.len32(free_vars.len(), "fun environment")?;
        self.atom(module)?;
        self.int(*old_index);
        self.int(*old_uniq);
        self.pid(pid)?;
        for v in free_vars {
            self.term(v)?;
        }
        let size = u32::try_from(self.out.len() - size_at + 1)
            .map_err(|_| EncodeError::TooLarge("fun"))?;
        self.out[size_at..size_at + 4].copy_from_slice(&size.to_be_bytes());
        Ok(())
    }

    fn bit_binary(&mut self, b: &BitBinary) -> Result<(), EncodeError> {
        if b.tail_bits_size >= 8 || b.tail_bits_size == 0 || b.bytes.is_empty() {
            self.u8(BINARY_EXT);
            self.len32(b.bytes.len(), "binary")?;
            self.out.extend_from_slice(&b.bytes);
            return Ok(());
        }
        self.u8(BIT_BINARY_EXT);
        self.len32(b.bytes.len(), "bitstring")?;
        self.u8(b.tail_bits_size);
        let (last, init) = b.bytes.split_last().unwrap_or((&0, &[]));
        self.out.extend_from_slice(init);
        self.u8(last << (8 - b.tail_bits_size));
        Ok(())
    }

    fn byte_list(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        if bytes.is_empty() {
            self.u8(NIL_EXT);
        } else if let Ok(n) = u16::try_from(bytes.len()) {
            self.u8(STRING_EXT);
            self.u16(n);
            self.out.extend_from_slice(bytes);
        } else {
            self.u8(LIST_EXT);
            self.len32(bytes.len(), "list")?;
            for &b in bytes {
                self.int(i32::from(b));
            }
            self.u8(NIL_EXT);
        }
        Ok(())
    }

    fn list(&mut self, elements: &[Term], tail: Option<&Term>) -> Result<(), EncodeError> {
        if let (None, Some(bytes)) = (tail, as_byte_string(elements)) {
            return self.byte_list(&bytes);
        }
        if elements.is_empty() {
            return match tail {
                Some(t) => self.term(t),
                None => {
                    self.u8(NIL_EXT);
                    Ok(())
                }
            };
        }
        self.u8(LIST_EXT);
        self.len32(elements.len(), "list")?;
        for e in elements {
            self.term(e)?;
        }
        match tail {
            Some(t) => self.term(t),
            None => {
                self.u8(NIL_EXT);
                Ok(())
            }
        }
    }

    fn tuple_header(&mut self, arity: usize) -> Result<(), EncodeError> {
        match u8::try_from(arity) {
            Ok(n) => {
                self.u8(SMALL_TUPLE_EXT);
                self.u8(n);
            }
            Err(_) => {
                self.u8(LARGE_TUPLE_EXT);
                self.len32(arity, "tuple")?;
            }
        }
        Ok(())
    }

    fn map(&mut self, m: &Map) -> Result<(), EncodeError> {
        self.u8(MAP_EXT);
        self.len32(m.map.len(), "map")?;
        for (k, v) in sorted_map_entries(m) {
            self.term(k)?;
            self.term(v)?;
        }
        Ok(())
    }
}

/// The bytes of a non-empty list whose elements are all integers 0..=255 and that fits `STRING_EXT`, which
/// is how `term_to_binary` writes such a list.
fn as_byte_string(elements: &[Term]) -> Option<Vec<u8>> {
    if elements.is_empty() || elements.len() > usize::from(u16::MAX) {
        return None;
    }
    elements
        .iter()
        .map(|e| match e {
            Term::FixInteger(FixInteger { value }) => u8::try_from(*value).ok(),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(t: Term) {
        let bytes = encode(&t).expect("encodes");
        let back = decode(&bytes).expect("decodes");
        assert_eq!(encode(&back).expect("re-encodes"), bytes);
    }

    #[test]
    fn negative_small_ints_in_a_list_are_not_a_string() {
        let t = Term::from(List::from(vec![
            Term::from(FixInteger::from(-1)),
            Term::from(FixInteger::from(2)),
        ]));
        let bytes = encode(&t).expect("encodes");
        assert_eq!(
            bytes,
            [131, 108, 0, 0, 0, 2, 98, 255, 255, 255, 255, 97, 2, 106]
        );
    }

    #[test]
    fn small_int_lists_are_strings() {
        let t = Term::from(List::from(vec![
            Term::from(FixInteger::from(104)),
            Term::from(FixInteger::from(105)),
        ]));
        assert_eq!(encode(&t).expect("encodes"), [131, 107, 0, 2, 104, 105]);
    }

    #[test]
    fn bignums_round_trip_and_normalise() {
        round_trip(int_term(BigInt::from(1u64 << 40)));
        round_trip(int_term(-BigInt::from(10u64).pow(40)));
        let small = Term::from(BigInteger {
            value: BigInt::from(5),
        });
        assert_eq!(encode(&small).expect("encodes"), [131, 97, 5]);
    }

    #[test]
    fn huge_counts_are_rejected_without_allocating() {
        let bytes = [131, 108, 0xff, 0xff, 0xff, 0xff, 106];
        assert!(matches!(decode(&bytes), Err(DecodeError::Truncated { .. })));
        let bytes = [131, 109, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(decode(&bytes), Err(DecodeError::Truncated { .. })));
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let mut bytes = vec![131];
        for _ in 0..10_000 {
            bytes.extend_from_slice(&[104, 1]);
        }
        bytes.push(106);
        assert_eq!(decode(&bytes), Err(DecodeError::TooDeep));
    }

    #[test]
    fn atom_cache_refs_and_compression_are_errors_not_panics() {
        assert!(decode(&[131, 82, 0]).is_err());
        assert!(decode(&[131, 80, 0, 0, 0, 1, 1, 2]).is_err());
        assert!(decode(&[131, 77, 0, 0, 0, 1, 0, 0xff]).is_err());
    }

    #[test]
    fn improper_lists_and_bitstrings_round_trip() {
        round_trip(Term::from(ImproperList::from((
            vec![Term::from(Atom::from("a"))],
            Term::from(Atom::from("b")),
        ))));
        round_trip(Term::from(BitBinary::from((vec![1, 5], 3))));
    }
}
