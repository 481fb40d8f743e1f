//! Checking a workspace export completely before anything starts: `workspace import` either imports the
//! whole file into a new workspace or leaves nothing behind.
//!
//! The export is untrusted input. Every class must parse; every actor must name an exported actor class
//! and hold only slots that class declares; every value must be plain data (numbers, atoms, text, lists,
//! tuples, maps, and references to the export's own actors) — no pids, ports, references or funs; and the
//! whole file may name at most [`MAX_ATOMS`] distinct atoms, since each new atom stays in the node's atom
//! table for good.

use std::collections::{HashMap, HashSet};

use eetf::Term;

use crate::lang::ast::{ClassDef, Item};
use crate::term::{as_i64, as_text};

/// Distinct atoms an export may name (a node's atom table never shrinks).
pub const MAX_ATOMS: usize = 10_000;

/// An export that passed every check.
pub struct Checked {
    /// The exported workspace's name, if it gave one.
    pub workspace: Option<String>,
    /// The classes to load, in order, each with its source.
    pub classes: Vec<(ClassDef, String)>,
}

/// Checks `data`, the term of an export file; the error says what is wrong and where.
pub fn check(data: &Term) -> Result<Checked, String> {
    let top = as_map(data, "the export")?;
    count_atoms(data)?;
    match top.get("version") {
        Some(v) if as_i64(v) == Some(1) => {}
        Some(v) => return Err(format!("unknown export version {}", short(v))),
        None => return Err("the export has no version".to_owned()),
    }
    if let Some(f) = top.get("format")
        && atom_name(f) != Some("beamtalk_workspace_export")
    {
        return Err(format!(
            "format is {}, not beamtalk_workspace_export",
            short(f)
        ));
    }
    let classes = classes(required(&top, "classes")?)?;
    let slots = declared_slots(&classes);
    let keys = actors(required(&top, "actors")?, &slots)?;
    if let Some(durable) = top.get("durable") {
        durable_actors(durable)?;
    }
    let bindings = as_map(required(&top, "bindings")?, "bindings")?;
    for (name, value) in &bindings {
        plain(value, &keys, &format!("binding {name}"))?;
    }
    Ok(Checked {
        workspace: top.get("workspace").and_then(|w| as_text(w)),
        classes,
    })
}

fn required<'a>(top: &HashMap<String, &'a Term>, key: &str) -> Result<&'a Term, String> {
    top.get(key)
        .copied()
        .ok_or_else(|| format!("the export has no {key}"))
}

/// A map whose keys are all atoms, by name.
fn as_map<'a>(term: &'a Term, what: &str) -> Result<HashMap<String, &'a Term>, String> {
    let Term::Map(m) = term else {
        return Err(format!("{what} is {}, not a map", kind(term)));
    };
    m.map
        .iter()
        .map(|(k, v)| match atom_name(k) {
            Some(name) => Ok((name.to_owned(), v)),
            None => Err(format!("{what} has the key {}, not a name", short(k))),
        })
        .collect()
}

fn as_list<'a>(term: &'a Term, what: &str) -> Result<Vec<&'a Term>, String> {
    match term {
        Term::List(l) => Ok(l.elements.iter().collect()),
        Term::ByteList(b) if b.bytes.is_empty() => Ok(Vec::new()),
        other => Err(format!("{what} is {}, not a list", kind(other))),
    }
}

/// The exported classes, each parsed, with their sources.
fn classes(term: &Term) -> Result<Vec<(ClassDef, String)>, String> {
    let mut out = Vec::new();
    for (i, entry) in as_list(term, "classes")?.into_iter().enumerate() {
        let Term::Tuple(t) = entry else {
            return Err(format!(
                "class {} is {}, not {{Name, Source}}",
                i + 1,
                kind(entry)
            ));
        };
        let (Some(name), Some(src)) = (
            t.elements.first().and_then(atom_name),
            t.elements.get(1).and_then(as_text),
        ) else {
            return Err(format!("class {} is not {{Name, Source}}", i + 1));
        };
        let items = crate::lang::parser::parse(&src).map_err(|d| {
            let (line, col) = d.line_col(&src);
            format!("class {name} does not parse: {line}:{col}: {}", d.message)
        })?;
        for item in items {
            if let Item::Class(c) = item {
                out.push((c, src.clone()));
            }
        }
        if !out.iter().any(|(c, _)| c.name == name) {
            return Err(format!(
                "the source given for class {name} does not define it"
            ));
        }
    }
    Ok(out)
}

/// The state slots of each exported actor class (its own and its exported superclasses'); classes that
/// are not actors are absent.
fn declared_slots(classes: &[(ClassDef, String)]) -> HashMap<String, HashSet<String>> {
    let by_name: HashMap<&str, &ClassDef> =
        classes.iter().map(|(c, _)| (c.name.as_str(), c)).collect();
    let mut out = HashMap::new();
    for (class, _) in classes {
        let mut slots = HashSet::new();
        let mut at = Some(class);
        let mut hops = 0;
        while let Some(c) = at {
            slots.extend(c.slots.iter().map(|s| s.name.clone()));
            if c.superclass == "Actor" {
                out.insert(class.name.clone(), slots);
                break;
            }
            at = by_name.get(c.superclass.as_str()).copied();
            hops += 1;
            if hops > by_name.len() {
                break;
            }
        }
    }
    out
}

/// Checks the actors; answers their keys.
fn actors(term: &Term, slots: &HashMap<String, HashSet<String>>) -> Result<HashSet<i64>, String> {
    let list = as_list(term, "actors")?;
    let mut keys = HashSet::new();
    for (i, a) in list.iter().enumerate() {
        let what = format!("actor {}", i + 1);
        let fields = as_map(a, &what)?;
        let key = required(&fields, "key")
            .map_err(|_| format!("{what} has no key"))
            .and_then(|k| as_i64(k).ok_or_else(|| format!("{what}'s key is not an integer")))?;
        if !keys.insert(key) {
            return Err(format!("{what} repeats the key {key}"));
        }
    }
    for (i, a) in list.iter().enumerate() {
        let what = format!("actor {}", i + 1);
        let fields = as_map(a, &what)?;
        let class = required(&fields, "class")
            .ok()
            .and_then(|c| atom_name(c))
            .ok_or_else(|| format!("{what} names no class"))?;
        let Some(declared) = slots.get(class) else {
            return Err(format!(
                "{what} is of class {class}, which is not an actor class of the export"
            ));
        };
        let values = as_map(
            required(&fields, "slots").map_err(|_| format!("{what} has no slots"))?,
            &format!("{what}'s slots"),
        )?;
        for (slot, value) in &values {
            if !declared.contains(slot) {
                return Err(format!(
                    "{what} ({class}) has a slot {slot} its class does not declare"
                ));
            }
            plain(value, &keys, &format!("slot {slot} of {what} ({class})"))?;
        }
    }
    Ok(keys)
}

/// Checks the stored state of durable actors (optional: exports made before them have none). Each has a
/// name of its own, a class (loaded now or later: its state waits for it) and a state of plain data.
fn durable_actors(term: &Term) -> Result<(), String> {
    let mut names = HashSet::new();
    for (i, d) in as_list(term, "durable")?.iter().enumerate() {
        let what = format!("durable actor {}", i + 1);
        let fields = as_map(d, &what)?;
        let name = required(&fields, "name")
            .ok()
            .and_then(|n| atom_name(n))
            .ok_or_else(|| format!("{what} has no name"))?;
        if !names.insert(name) {
            return Err(format!("{what} repeats the name #{name}"));
        }
        let class = required(&fields, "class")
            .ok()
            .and_then(|c| atom_name(c))
            .ok_or_else(|| format!("{what} (#{name}) names no class"))?;
        let state = as_map(
            required(&fields, "state").map_err(|_| format!("{what} (#{name}) has no state"))?,
            &format!("the state of {what} (#{name})"),
        )?;
        for (slot, value) in &state {
            plain(
                value,
                &HashSet::new(),
                &format!("slot {slot} of durable #{name} ({class})"),
            )?;
        }
    }
    Ok(())
}

/// Data that means the same on any node; `{'$bt_actor_key', N}` must name one of the export's actors.
fn plain(term: &Term, keys: &HashSet<i64>, at: &str) -> Result<(), String> {
    let refuse = |what: &str| Err(format!("{at} holds {what}, which cannot be imported"));
    match term {
        Term::Atom(_)
        | Term::FixInteger(_)
        | Term::BigInteger(_)
        | Term::Float(_)
        | Term::Binary(_)
        | Term::ByteList(_) => Ok(()),
        Term::List(l) => l.elements.iter().try_for_each(|e| plain(e, keys, at)),
        Term::Map(m) => m
            .map
            .iter()
            .try_for_each(|(k, v)| plain(k, keys, at).and_then(|()| plain(v, keys, at))),
        Term::Tuple(t) => match t.elements.as_slice() {
            [tag, n] if atom_name(tag) == Some("$bt_actor_key") => match as_i64(n) {
                Some(k) if keys.contains(&k) => Ok(()),
                _ => Err(format!(
                    "{at} refers to actor {}, which the export does not hold",
                    short(n)
                )),
            },
            elements => elements.iter().try_for_each(|e| plain(e, keys, at)),
        },
        Term::Pid(_) => refuse("a pid"),
        Term::Port(_) => refuse("a port"),
        Term::Reference(_) => refuse("a reference"),
        Term::ExternalFun(_) | Term::InternalFun(_) => refuse("a fun"),
        Term::BitBinary(_) => refuse("a bitstring"),
        Term::ImproperList(_) => refuse("an improper list"),
    }
}

/// Refuses an export naming more than [`MAX_ATOMS`] distinct atoms (counted without recursion, so a
/// deeply nested term cannot exhaust the stack here either).
fn count_atoms(data: &Term) -> Result<(), String> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack = vec![data];
    while let Some(t) = stack.pop() {
        match t {
            Term::Atom(a) => {
                seen.insert(a.name.as_str());
                if seen.len() > MAX_ATOMS {
                    return Err(format!(
                        "the export names more than {MAX_ATOMS} distinct atoms; each would stay in the node for good"
                    ));
                }
            }
            Term::List(l) => stack.extend(l.elements.iter()),
            Term::ImproperList(l) => {
                stack.extend(l.elements.iter());
                stack.push(&l.last);
            }
            Term::Tuple(tu) => stack.extend(tu.elements.iter()),
            Term::Map(m) => {
                for (k, v) in &m.map {
                    stack.push(k);
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn atom_name(t: &Term) -> Option<&str> {
    match t {
        Term::Atom(a) => Some(a.name.as_str()),
        _ => None,
    }
}

fn kind(t: &Term) -> &'static str {
    match t {
        Term::Map(_) => "a map",
        Term::List(_) | Term::ByteList(_) | Term::ImproperList(_) => "a list",
        Term::Tuple(_) => "a tuple",
        Term::Atom(_) => "an atom",
        Term::Binary(_) | Term::BitBinary(_) => "a binary",
        Term::FixInteger(_) | Term::BigInteger(_) => "an integer",
        Term::Float(_) => "a float",
        _ => "a value of another kind",
    }
}

/// A term's printed form, cut short for an error message.
fn short(t: &Term) -> String {
    let text = crate::term::print::flat(t);
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::parse::parse;

    const GOOD: &str = r#"#{format => beamtalk_workspace_export, version => 1, workspace => <<"w">>,
        classes => [{'Counter', <<"Actor subclass: Counter\n  state: n = 0\n  n => self.n\n">>}],
        actors => [#{key => 1, class => 'Counter', slots => #{n => 3}}],
        durable => [#{name => main, class => 'Counter', state => #{n => 9}}],
        bindings => #{c => {'$bt_actor_key', 1}, x => [1, 2.5, <<"t">>, #{a => b}]}, skipped => []}"#;

    fn checked(text: &str) -> Result<Checked, String> {
        check(&parse(text).expect("term"))
    }

    fn with(replace: &str, by: &str) -> String {
        assert!(GOOD.contains(replace), "{replace}");
        GOOD.replace(replace, by)
    }

    #[test]
    fn a_good_export_passes() {
        let c = checked(GOOD).expect("passes");
        assert_eq!(c.workspace.as_deref(), Some("w"));
        assert_eq!(c.classes.len(), 1);
    }

    #[test]
    fn every_wrong_shape_is_refused_with_its_place() {
        for (replace, by, says) in [
            ("version => 1", "version => 7", "version 7"),
            ("slots => #{n => 3}", "slots => [1]", "not a map"),
            (
                "class => 'Counter'",
                "class => 'Nope'",
                "not an actor class",
            ),
            ("#{n => 3}", "#{m => 3}", "does not declare"),
            ("{'$bt_actor_key', 1}", "{'$bt_actor_key', 9}", "actor 9"),
            (
                "Actor subclass: Counter\\n",
                "Actor subclass: Counter\\n  x => (\\n",
                "does not parse",
            ),
            (
                "actors => [",
                "actors => [#{key => 1, class => 'Counter', slots => #{}}, ",
                "repeats the key",
            ),
            (
                "durable => [#{name",
                "durable => [1, #{name",
                "durable actor 1",
            ),
            ("name => main", "name => <<\"main\">>", "has no name"),
            (
                "state => #{n => 9}",
                "state => #{n => {'$bt_actor_key', 1}}",
                "durable #main",
            ),
            (
                "durable => [",
                "durable => [#{name => main, class => 'X', state => #{}}, ",
                "repeats the name #main",
            ),
        ] {
            let e = checked(&with(replace, by)).err().unwrap_or_default();
            assert!(e.contains(says), "{by}: {e}");
        }
        assert!(checked("[1]").is_err());
    }

    #[test]
    fn values_that_only_mean_something_on_one_node_are_refused() {
        let pid = eetf::Term::from(eetf::Pid::new("n@h", 1, 2, 3));
        let mut data = parse(GOOD).expect("term");
        if let Term::Map(m) = &mut data
            && let Some(Term::Map(b)) = m.map.get_mut(&crate::term::atom("bindings"))
        {
            b.map.insert(crate::term::atom("p"), pid);
        }
        let e = check(&data).err().unwrap_or_default();
        assert!(e.contains("binding p holds a pid"), "{e}");
    }

    #[test]
    fn an_atom_flood_is_refused() {
        let atoms: Vec<String> = (0..=MAX_ATOMS).map(|i| format!("a{i}")).collect();
        let flood = with("x => [", &format!("x => [{}, ", atoms.join(", ")));
        let e = checked(&flood).err().unwrap_or_default();
        assert!(e.contains("distinct atoms"), "{e}");
    }
}
