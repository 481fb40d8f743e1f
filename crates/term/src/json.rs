//! [`eetf::Term`] → JSON for `--json` output.
//!
//! The mapping favours what a script wants: numbers stay numbers (integers beyond 64 bits become decimal
//! strings), `true`/`false` become booleans, `undefined`/`null`/`nil` become `null`, other atoms and printable
//! strings and UTF-8 binaries become strings, lists and tuples become arrays, and maps become objects when every
//! key renders as a string (otherwise an array of `[key, value]` pairs). The exact Erlang form is always
//! available beside it as `~p` text, so nothing is lost.

use eetf::Term;
use serde_json::{Map, Value, json};

use super::order::sorted_map_entries;
use super::print::flat;

/// The JSON rendering of `term`.
pub fn to_json(term: &Term) -> Value {
    match term {
        Term::Atom(a) => match a.name.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "undefined" | "null" | "nil" => Value::Null,
            name => Value::String(name.to_owned()),
        },
        Term::FixInteger(i) => json!(i.value),
        Term::BigInteger(b) => i64::try_from(&b.value)
            .map(|v| json!(v))
            .unwrap_or_else(|_| Value::String(b.value.to_string())),
        Term::Float(f) => json!(f.value),
        Term::Binary(b) => match std::str::from_utf8(&b.bytes) {
            Ok(s) => Value::String(s.to_owned()),
            Err(_) => Value::Array(b.bytes.iter().map(|&x| json!(x)).collect()),
        },
        Term::ByteList(_) | Term::List(_) => list(term),
        Term::ImproperList(l) => {
            let mut items: Vec<Value> = l.elements.iter().map(to_json).collect();
            items.push(to_json(&l.last));
            Value::Array(items)
        }
        Term::Tuple(t) => Value::Array(t.elements.iter().map(to_json).collect()),
        Term::Map(m) => {
            let entries = sorted_map_entries(m);
            let keys: Option<Vec<String>> = entries.iter().map(|(k, _)| key_string(k)).collect();
            match keys {
                Some(keys) => Value::Object(
                    keys.into_iter()
                        .zip(entries.iter().map(|(_, v)| to_json(v)))
                        .collect::<Map<_, _>>(),
                ),
                None => Value::Array(
                    entries
                        .iter()
                        .map(|(k, v)| Value::Array(vec![to_json(k), to_json(v)]))
                        .collect(),
                ),
            }
        }
        other => Value::String(flat(other)),
    }
}

fn list(term: &Term) -> Value {
    let text = flat(term);
    if let (true, Some(s)) = (text.starts_with('"'), string_of(term)) {
        return Value::String(s);
    }
    match term {
        Term::ByteList(b) => Value::Array(b.bytes.iter().map(|&x| json!(x)).collect()),
        Term::List(l) => Value::Array(l.elements.iter().map(to_json).collect()),
        _ => Value::Null,
    }
}

fn string_of(term: &Term) -> Option<String> {
    match term {
        Term::ByteList(b) => Some(b.bytes.iter().map(|&x| char::from(x)).collect()),
        Term::List(l) => l
            .elements
            .iter()
            .map(|e| match e {
                Term::FixInteger(i) => u32::try_from(i.value).ok().and_then(char::from_u32),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn key_string(k: &Term) -> Option<String> {
    match to_json(k) {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn j(text: &str) -> Value {
        to_json(&parse(text).expect("parses"))
    }

    #[test]
    fn natural_mapping() {
        assert_eq!(j("[3,2,1]"), json!([3, 2, 1]));
        assert_eq!(j("\"hi\""), json!("hi"));
        assert_eq!(j("{ok, true}"), json!(["ok", true]));
        assert_eq!(
            j("#{a => 1, <<\"b\">> => undefined}"),
            json!({"a": 1, "b": null})
        );
        assert_eq!(j("#{{x} => 1}"), json!([[["x"], 1]]));
        assert_eq!(
            j("100000000000000000000000"),
            json!("100000000000000000000000")
        );
    }
}
