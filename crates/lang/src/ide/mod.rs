//! What editors ask of Beamtalk source: an outline of a document (classes, methods, their comments,
//! diagnostics), completion at a place, the symbol at a place and where else it occurs. The editor server
//! (`beamtalk lsp`) and the REPL's Tab completion are both built on it. Knowledge of classes not defined
//! in the document comes in as a [`Catalog`]: the built-in classes, the project's files, a live workspace.

pub mod complete;
pub mod find;
pub mod outline;

use std::collections::{BTreeMap, HashSet};

/// Where a class of the catalog was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Shipped with beamtalk (built in, or the standard library).
    Builtin,
    /// Defined in a source file of the project (its path).
    File(String),
    /// Loaded in the running workspace (and in no file the editor knows).
    Workspace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassInfo {
    pub name: String,
    pub superclass: Option<String>,
    /// Selectors its instances answer that its superclass's do not.
    pub selectors: Vec<String>,
    /// Selectors the class itself answers (its class methods and every class's).
    pub class_selectors: Vec<String>,
    /// What `Beamtalk help:` says of it, or its `///` comment.
    pub help: String,
    pub origin: Origin,
}

/// The classes known besides those of the document at hand.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    classes: BTreeMap<String, ClassInfo>,
}

impl Catalog {
    /// Adds `class`, replacing what was known under its name.
    pub fn insert(&mut self, class: ClassInfo) {
        self.classes.insert(class.name.clone(), class);
    }

    /// Adds every class of `other` (its entries win).
    pub fn merge(&mut self, other: &Catalog) {
        for c in other.classes.values() {
            self.insert(c.clone());
        }
    }

    pub fn get(&self, name: &str) -> Option<&ClassInfo> {
        self.classes.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.classes.contains_key(name)
    }

    pub fn classes(&self) -> impl Iterator<Item = &ClassInfo> {
        self.classes.values()
    }

    /// `class` and its superclasses, nearest first (a cycle or an unknown superclass ends the chain).
    pub fn chain<'a>(&'a self, class: &str) -> Vec<&'a ClassInfo> {
        let mut out: Vec<&ClassInfo> = Vec::new();
        let mut next = self.get(class);
        while let Some(c) = next {
            if out.iter().any(|seen| seen.name == c.name) {
                break;
            }
            out.push(c);
            next = c.superclass.as_deref().and_then(|s| self.get(s));
        }
        out
    }

    /// Every selector instances of `class` answer, its own first.
    pub fn instance_selectors(&self, class: &str) -> Vec<String> {
        collect(self.chain(class).iter().map(|c| &c.selectors))
    }

    /// Every selector `class` itself answers.
    pub fn class_selectors(&self, class: &str) -> Vec<String> {
        collect(self.chain(class).iter().map(|c| &c.class_selectors))
    }

    /// Every selector of every class, each once.
    pub fn all_selectors(&self) -> Vec<String> {
        collect(
            self.classes
                .values()
                .flat_map(|c| [&c.selectors, &c.class_selectors]),
        )
    }
}

fn collect<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> Vec<String> {
    let mut seen = HashSet::new();
    lists
        .flatten()
        .filter(|s| seen.insert(s.as_str()))
        .cloned()
        .collect()
}

/// The name of `names` closest to `name` by edit distance, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // Names past this length are compared by their first characters only: a bound on the work.
    const LONGEST: usize = 64;
    let a: Vec<char> = name.chars().take(LONGEST).collect();
    let limit = (a.len() / 3).max(1);
    names
        .filter(|n| *n != name)
        .map(|n| {
            let b: Vec<char> = n.chars().take(LONGEST).collect();
            (distance(&a, &b), n)
        })
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, n)| n)
}

fn distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_typo_finds_the_name_meant_and_nothing_far_off() {
        let names = ["Counter", "Account", "Integer"];
        assert_eq!(super::closest("Countr", names.into_iter()), Some("Counter"));
        assert_eq!(super::closest("Zebra", names.into_iter()), None);
    }
}
