//! Deeply nested funs lifted into functions of their own. OTP's linter and Core optimiser take time
//! superlinear in how deeply funs nest (each level sees every variable bound around it): 100 nested
//! conditionals — each non-Boolean fallback passing its blocks as funs — took seconds to compile. A fun
//! nested [`DEPTH`] deep or more is replaced by a call to a new local function that takes the variables
//! the fun uses from around it and answers the fun, so no function of the module nests funs deeper than
//! that and each is analysed on its own.
//!
//! Lowering names every variable it binds afresh, so a variable's free uses are exactly those not bound
//! inside the fun; a fun binding a name also bound around it (which would make a pattern a test) is
//! left in place.

use std::collections::{BTreeSet, HashMap};

use eetf::{Atom, FixInteger, List, Term, Tuple};

/// Funs nested this deep (a fun inside a top-level function being 1 deep) are lifted.
pub const DEPTH: usize = 4;

/// The most variables a lifted function takes (Erlang's limit on arity).
const MAX_ARITY: usize = 255;

/// `function` (an abstract `{function, ...}` form) with its deep funs lifted: the function, then the
/// functions made, named `'$lift<N>'` from `counter` on (unique within a module).
pub fn function(form: Term, counter: &mut usize) -> Vec<Term> {
    // Most functions nest no fun that deep: they are answered as they are, not rebuilt.
    if !nests_funs(&form, DEPTH) {
        return vec![form];
    }
    let mut bindings = HashMap::new();
    count_bindings(&form, &mut bindings);
    let mut lifter = Lifter {
        counter,
        bindings,
        lifted: Vec::new(),
    };
    let form = lifter.walk(&form, 0);
    let mut out = vec![form];
    out.extend(lifter.lifted);
    out
}

/// Whether `t` holds a fun nested `depth` deep (a fun not inside another being 1 deep). Explicit, not
/// recursive, as [`Lifter::walk`] is.
fn nests_funs(t: &Term, depth: usize) -> bool {
    let mut todo = vec![(t, 0)];
    while let Some((t, outer)) = todo.pop() {
        let here = outer + usize::from(is_fun(t));
        if here >= depth {
            return true;
        }
        match t {
            Term::Tuple(tuple) => todo.extend(tuple.elements.iter().map(|e| (e, here))),
            Term::List(list) => todo.extend(list.elements.iter().map(|e| (e, here))),
            _ => {}
        }
    }
    false
}

struct Lifter<'a> {
    counter: &'a mut usize,
    /// How often each variable is bound in the whole function.
    bindings: HashMap<String, usize>,
    lifted: Vec<Term>,
}

/// What is left to do while a term is rebuilt: visit a term (at a fun depth), or build a tuple or list
/// of the last `len` terms rebuilt. Explicit, not recursive: generated code can nest thousands deep.
enum Step<'t> {
    Visit(&'t Term, usize),
    Build {
        list: bool,
        len: usize,
        /// The fun this builds, and its depth, when it is one deep enough to lift.
        lift: bool,
    },
}

impl Lifter<'_> {
    /// `t` rebuilt, every fun nested [`DEPTH`] deep or more (counting from `depth`) lifted.
    fn walk(&mut self, t: &Term, depth: usize) -> Term {
        let mut steps = vec![Step::Visit(t, depth)];
        let mut done: Vec<Term> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Visit(t, depth) => {
                    let inner = depth + usize::from(is_fun(t));
                    let (list, elements) = match t {
                        Term::Tuple(tuple) => (false, &tuple.elements),
                        Term::List(list) => (true, &list.elements),
                        other => {
                            done.push(other.clone());
                            continue;
                        }
                    };
                    steps.push(Step::Build {
                        list,
                        len: elements.len(),
                        lift: is_fun(t) && inner >= DEPTH,
                    });
                    steps.extend(elements.iter().rev().map(|e| Step::Visit(e, inner)));
                }
                Step::Build { list, len, lift } => {
                    let elements = done.split_off(done.len() - len);
                    let built = match list {
                        true => Term::List(List::from(elements)),
                        false => Term::Tuple(Tuple::from(elements)),
                    };
                    done.push(match lift {
                        true => self.lift(built),
                        false => built,
                    });
                }
            }
        }
        done.pop().unwrap_or_else(|| t.clone())
    }

    /// `fun` replaced by a call of a new function answering it, when that is safe.
    fn lift(&mut self, fun: Term) -> Term {
        let mut used = BTreeSet::new();
        vars(&fun, &mut used);
        let mut bound = HashMap::new();
        count_bindings(&fun, &mut bound);
        let also_outside = bound
            .iter()
            .any(|(name, n)| self.bindings.get(name).is_some_and(|all| all > n));
        let free: Vec<String> = used
            .into_iter()
            .filter(|v| !bound.contains_key(v))
            .collect();
        if also_outside || free.len() > MAX_ARITY {
            return fun;
        }
        let line = line_of(&fun);
        *self.counter += 1;
        let name = format!("$lift{}", self.counter);
        let args: Vec<Term> = free.iter().map(|v| var(line.clone(), v)).collect();
        let clause = tagged(
            "clause",
            vec![
                line.clone(),
                Term::List(List::from(args.clone())),
                Term::List(List::nil()),
                Term::List(List::from(vec![fun])),
            ],
        );
        let arity = i32::try_from(free.len()).unwrap_or(0);
        self.lifted.push(tagged(
            "function",
            vec![
                line.clone(),
                Term::Atom(Atom::from(name.as_str())),
                Term::FixInteger(FixInteger::from(arity)),
                Term::List(List::from(vec![clause])),
            ],
        ));
        tagged(
            "call",
            vec![
                line.clone(),
                tagged("atom", vec![line, Term::Atom(Atom::from(name.as_str()))]),
                Term::List(List::from(args)),
            ],
        )
    }
}

/// The variables `t` uses that it does not bind itself (lowering names every binding afresh, so a name
/// bound inside `t` is bound nowhere else).
pub fn free_vars(t: &Term) -> Vec<String> {
    let mut used = BTreeSet::new();
    vars(t, &mut used);
    let mut bound = HashMap::new();
    count_bindings(t, &mut bound);
    each(t, |t| {
        if let (Some("named_fun"), Some(Term::Atom(name))) = (tag(t), element(t, 2)) {
            bound.insert(name.name.clone(), 1);
        }
    });
    used.into_iter()
        .filter(|v| !bound.contains_key(v))
        .collect()
}

fn tag(t: &Term) -> Option<&str> {
    match t {
        Term::Tuple(tuple) => match tuple.elements.first() {
            Some(Term::Atom(a)) => Some(a.name.as_str()),
            _ => None,
        },
        _ => None,
    }
}

fn element(t: &Term, i: usize) -> Option<&Term> {
    match t {
        Term::Tuple(tuple) => tuple.elements.get(i),
        _ => None,
    }
}

/// `{'fun', L, {clauses, ...}}`: a fun with a body (not `fun m:f/1`).
fn is_fun(t: &Term) -> bool {
    tag(t) == Some("fun") && element(t, 2).and_then(tag) == Some("clauses")
}

fn line_of(t: &Term) -> Term {
    element(t, 1)
        .cloned()
        .unwrap_or(Term::FixInteger(FixInteger::from(0)))
}

fn tagged(name: &str, mut rest: Vec<Term>) -> Term {
    rest.insert(0, Term::Atom(Atom::from(name)));
    Term::Tuple(Tuple::from(rest))
}

fn var(line: Term, name: &str) -> Term {
    tagged("var", vec![line, Term::Atom(Atom::from(name))])
}

/// The name of `{var, L, Name}`, unless it is `_`.
fn var_name(t: &Term) -> Option<&str> {
    match (tag(t), element(t, 2)) {
        (Some("var"), Some(Term::Atom(a))) if a.name != "_" => Some(&a.name),
        _ => None,
    }
}

/// Every term in `t`, `t` first (iteratively: generated code can nest thousands deep).
fn each(t: &Term, mut f: impl FnMut(&Term)) {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        f(t);
        stack.extend(children(t));
    }
}

/// Every variable occurring in `t`.
fn vars(t: &Term, out: &mut BTreeSet<String>) {
    each(t, |t| {
        if let Some(name) = var_name(t) {
            out.insert(name.to_owned());
        }
    });
}

/// How often each variable is bound in `t`: in a clause's patterns and on a match's left side.
fn count_bindings(t: &Term, out: &mut HashMap<String, usize>) {
    each(t, |t| {
        let pattern = match tag(t) {
            Some("clause") | Some("match") => element(t, 2),
            _ => None,
        };
        if let Some(p) = pattern {
            each(p, |v| {
                if let Some(name) = var_name(v) {
                    *out.entry(name.to_owned()).or_default() += 1;
                }
            });
        }
    });
}

fn children(t: &Term) -> &[Term] {
    match t {
        Term::Tuple(tuple) => &tuple.elements,
        Term::List(list) => &list.elements,
        _ => &[],
    }
}
