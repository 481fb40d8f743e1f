//! A class → the forms of one Erlang module `bt_class_<Name>` for `compile:forms/2`.
//!
//! Each method is a function of its own (`'i:sel'/N+1` instance side, `'c:sel'/N+1` class side, the
//! receiver first), so a `self` send to the class's own method can call it directly. The runtime finds
//! the methods by their exports (its method tables hold `fun Module:'i:sel'/N+1`, and a send calls the
//! one it looked up); the other exports describe the class to the runtime.

use std::collections::BTreeSet;

use eetf::{FixInteger, Term};

use super::abi::{self, method_function};
pub use super::abi::{class_module, extension_module};
use super::ast::{ClassDef, ExprKind, MethodDef, SlotDef};
use super::diagnostic::Diagnostic;
use super::forms::*;
use super::lower::{Context, Lowerer};
use beamtalk_term::{atom, list, tuple};

/// The forms of the module for `class`; `src` is the text the spans point into.
pub fn class_forms(class: &ClassDef, src: &str) -> Result<Term, Diagnostic> {
    let l = i32::try_from(src[..class.span.start.min(src.len())].matches('\n').count() + 1)
        .unwrap_or(1);
    let selectors = |ms: &[MethodDef]| {
        ms.iter()
            .map(|m| m.selector.clone())
            .collect::<BTreeSet<_>>()
    };
    let mut lw = Lowerer::new(
        src,
        Context::Method {
            class: class.name.clone(),
        },
    )
    .with_selectors(selectors(&class.methods), selectors(&class.class_methods))
    .actor_class(class.superclass == "Actor")
    .in_module(&class_module(&class.name));
    let mut exports: Vec<(String, usize)> = abi::CLASS_CALLBACKS
        .iter()
        .map(|&(name, arity)| (name.to_owned(), arity))
        .collect();
    let mut methods = Vec::new();
    let mut lifted = 0;
    let exact = exact_methods(class, &lw);
    for (side, ms) in [(false, &class.methods), (true, &class.class_methods)] {
        for m in ms {
            let name = method_function(&m.selector, side);
            exports.push((name.clone(), m.params.len() + 1));
            match side && exact.contains(&m.selector) {
                true => methods.extend(exact_method_forms(
                    &mut lw,
                    m,
                    (&class.name, &exact),
                    &name,
                    &mut lifted,
                )?),
                false => {
                    methods.extend(method_function_form(&mut lw, m, side, &name, &mut lifted)?)
                }
            }
        }
    }
    // A protocol's signatures, for `requiredMethods` and `conformsTo:`.
    if class.protocol.is_some() {
        exports.push((abi::PROTOCOL_CALLBACK.to_owned(), 0));
    }
    let class_src = src
        .get(class.span.start..class.span.end)
        .unwrap_or_default();
    let atoms = |names: Vec<&str>| abs_list(l, names.into_iter().map(|n| abs_atom(l, n)).collect());
    let mut forms = vec![
        attribute(l, "module", atom(&class_module(&class.name))),
        function(
            l,
            "__superclass__",
            vec![],
            vec![abs_atom(l, &class.superclass)],
        ),
        function(l, "__source__", vec![], vec![packed_source(l, class_src)]),
        function(l, "__modifiers__", vec![], vec![modifiers(l, class)]),
        function(
            l,
            "__selectors__",
            vec![],
            vec![atoms(
                class.methods.iter().map(|m| m.selector.as_str()).collect(),
            )],
        ),
    ];
    // `DynamicSupervisor(Worker) subclass: Pool`: the names between the parentheses.
    let params = class
        .superclass_params
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    forms.push(function(
        l,
        "__superclass_params__",
        vec![],
        vec![atoms(params)],
    ));
    forms.push(docs_function(l, class, src));
    forms.push(xref_function(l, src, sided(class)));
    forms.push(slot_uses_function(l, class, &lw));
    forms.push(required_function(l, class));
    forms.push(self_free_defaults_function(l, class));
    forms.push(method_sources_function(l, src, sided(class)));
    if let Some(signatures) = &class.protocol {
        forms.push(function(
            l,
            abi::PROTOCOL_CALLBACK,
            vec![],
            vec![atoms(signatures.iter().map(String::as_str).collect())],
        ));
    }
    let fields = slot_defaults(&mut lw, &class.slots)?;
    forms.push(function(l, "__fields__", vec![], vec![abs_list(l, fields)]));
    let class_state = slot_defaults(&mut lw, &class.class_slots)?;
    forms.push(function(
        l,
        "__class_state__",
        vec![],
        vec![abs_list(l, class_state)],
    ));
    forms.extend(methods);
    Ok(finished(l, &mut lw, forms, exports))
}

/// A module's forms completed: its export attribute after the module attribute (with the table of its
/// deferred code, which lowering every function may have added to), that table, and the end.
fn finished(
    l: i32,
    lw: &mut Lowerer,
    mut forms: Vec<Term>,
    mut exports: Vec<(String, usize)>,
) -> Term {
    let table = lw.deferred_table(l);
    if table.is_some() {
        exports.push((abi::DEFERRED_TABLE.to_owned(), 0));
    }
    forms.insert(1, attribute(l, "export", export_list(&exports)));
    forms.extend(table);
    forms.push(tuple(vec![atom("eof"), int(l)]));
    list(forms)
}

/// A module's `'__source__'/0` body: the text, packed (see [`packed_term`]).
fn packed_source(l: i32, src: &str) -> Term {
    packed_term(l, &Term::Binary(eetf::Binary::from(src.as_bytes())))
}

/// `'__modifiers__'/0`: the class's modifiers (`abstract`, ...), then `{sealed, Side, Selector}` for
/// each method no subclass may override.
fn modifiers(l: i32, class: &ClassDef) -> Term {
    let own = class.modifiers.iter().map(|m| abs_atom(l, m));
    let sealed = sided(class)
        .filter(|(_, m)| m.modifiers.iter().any(|w| w == "sealed"))
        .map(|(side, m)| {
            abs_tuple(
                l,
                vec![
                    abs_atom(l, "sealed"),
                    abs_atom(l, side),
                    abs_atom(l, &m.selector),
                ],
            )
        });
    abs_list(l, own.chain(sealed).collect())
}

/// The forms of the extension module of `class` holding `methods` and `class_methods`; `src` is the text
/// the spans point into, kept as the module's `'__source__'/0` so a later extension can be added to it.
pub fn extension_forms(
    class: &str,
    methods: &[MethodDef],
    class_methods: &[MethodDef],
    src: &str,
) -> Result<Term, Diagnostic> {
    let l = 1;
    // No direct self sends: `self` is a built-in value here, never an instance tuple.
    let mut lw = Lowerer::new(
        src,
        Context::Method {
            class: class.to_owned(),
        },
    )
    .in_module(&extension_module(class));
    let mut exports = vec![
        ("__selectors__".to_owned(), 0),
        ("__source__".to_owned(), 0),
        ("__method_sources__".to_owned(), 0),
        ("__xref__".to_owned(), 0),
    ];
    let mut functions = Vec::new();
    let mut lifted = 0;
    for (side, ms) in [(false, methods), (true, class_methods)] {
        for m in ms {
            let name = method_function(&m.selector, side);
            exports.push((name.clone(), m.params.len() + 1));
            functions.extend(method_function_form(&mut lw, m, side, &name, &mut lifted)?);
        }
    }
    let selectors = abs_list(
        l,
        methods.iter().map(|m| abs_atom(l, &m.selector)).collect(),
    );
    let mut forms = vec![
        attribute(l, "module", atom(&extension_module(class))),
        function(l, "__selectors__", vec![], vec![selectors]),
        function(l, "__source__", vec![], vec![packed_source(l, src)]),
        method_sources_function(
            l,
            src,
            methods
                .iter()
                .map(|m| ("instance", m))
                .chain(class_methods.iter().map(|m| ("class", m))),
        ),
        xref_function(
            l,
            src,
            methods
                .iter()
                .map(|m| ("instance", m))
                .chain(class_methods.iter().map(|m| ("class", m))),
        ),
    ];
    forms.extend(functions);
    Ok(finished(l, &mut lw, forms, exports))
}

fn export_list(exports: &[(String, usize)]) -> Term {
    list(
        exports
            .iter()
            .map(|(f, a)| {
                let a = i32::try_from(*a).unwrap_or(0);
                tuple(vec![atom(f), Term::from(FixInteger::from(a))])
            })
            .collect(),
    )
}

/// `'i:sel'(Self@, P_a, ...) -> Body.`, and the functions its deeply nested funs were lifted into
/// (numbered from `lifted` on).
fn method_function_form(
    lw: &mut Lowerer,
    m: &MethodDef,
    class_side: bool,
    name: &str,
    lifted: &mut usize,
) -> Result<Vec<Term>, Diagnostic> {
    let ml = lw.line(m.span);
    let clauses = lw.method_clauses(m, class_side)?;
    Ok(crate::lift::function(
        function_of(ml, name, m.params.len() + 1, clauses),
        lifted,
    ))
}

/// The class-side methods that send `self` one of the class's own class-side methods (a recursion,
/// a helper): they get an exact variant (see [`exact_method_forms`]).
fn exact_methods(class: &ClassDef, lw: &Lowerer) -> BTreeSet<String> {
    class
        .class_methods
        .iter()
        .filter(|m| lw.sends_own_methods(m, true))
        .map(|m| m.selector.clone())
        .collect()
}

/// A class-side method with an exact variant: its function first hands a call whose `self` is exactly
/// the class to the variant (`cx:sel`, local), whose own `self` sends then go straight to the methods;
/// any other `self` (a subclass inheriting the method) takes the method's clauses as they are.
fn exact_method_forms(
    lw: &mut Lowerer,
    m: &MethodDef,
    (class, exact): (&str, &BTreeSet<String>),
    name: &str,
    lifted: &mut usize,
) -> Result<Vec<Term>, Diagnostic> {
    let ml = lw.line(m.span);
    let arity = m.params.len() + 1;
    let params: Vec<Term> = (0..m.params.len())
        .map(|i| var(ml, &format!("A{i}")))
        .collect();
    let mut head = vec![class_ref(ml, class)];
    head.extend(params.iter().cloned());
    let mut call_args = vec![class_ref(ml, class)];
    call_args.extend(params);
    let variant = abi::exact_method_function(&m.selector);
    let mut clauses = vec![clause(ml, head, vec![local(ml, &variant, call_args)])];
    clauses.extend(lw.method_clauses(m, true)?);
    let exact_clauses = lw.exact_method_clauses(m, exact)?;
    let mut forms = crate::lift::function(function_of(ml, name, arity, clauses), lifted);
    forms.extend(crate::lift::function(
        function_of(ml, &variant, arity, exact_clauses),
        lifted,
    ));
    Ok(forms)
}

/// `[{Name, fun() -> Default end}, ...]` for slot declarations: each default is computed when needed.
fn slot_defaults(lw: &mut Lowerer, slots: &[SlotDef]) -> Result<Vec<Term>, Diagnostic> {
    let mut out = Vec::new();
    for slot in slots {
        let sl = lw.line(slot.span);
        let body = match &slot.default {
            Some(e) => lw.default_body(e)?,
            None => vec![abs_atom(sl, "nil")],
        };
        out.push(abs_tuple(
            sl,
            vec![abs_atom(sl, &slot.name), fun(sl, vec![], body)],
        ));
    }
    Ok(out)
}

/// Each method of `class` with its side: `instance` or `class`.
fn sided(class: &ClassDef) -> impl Iterator<Item = (&'static str, &MethodDef)> {
    let instance = class.methods.iter().map(|m| ("instance", m));
    instance.chain(class.class_methods.iter().map(|m| ("class", m)))
}

/// `'__docs__'() -> {ClassDoc, [{Side, Selector, Header, Doc}]}`, what `Beamtalk help:` shows: the `///`
/// lines just above the class and above each method, and each method's header as written.
fn docs_function(l: i32, class: &ClassDef, src: &str) -> Term {
    let methods = sided(class)
        .map(|(side, m)| {
            abs_tuple(
                l,
                vec![
                    abs_atom(l, side),
                    abs_atom(l, &m.selector),
                    string(l, &method_header(src, m)),
                    string(l, &doc_above(src, m.span.start)),
                ],
            )
        })
        .collect();
    let docs = abs_tuple(
        l,
        vec![
            string(l, &doc_above(src, class.span.start)),
            abs_list(l, methods),
        ],
    );
    function(l, "__docs__", vec![], vec![packed(l, &docs)])
}

/// `'__xref__'() -> [{Side, Selector, Line, [{Sent, Line}], [{Class, Line}]}]`: where each method is, and
/// each selector it sends and each class it names with their lines (its blocks' included): what the
/// workspace's cross-reference index holds (`SystemNavigation default sendersOf:`, `referencesTo:`).
fn xref_function<'m>(
    l: i32,
    src: &str,
    methods: impl Iterator<Item = (&'static str, &'m MethodDef)>,
) -> Term {
    let lines = crate::layout::LineIndex::new(src, 0);
    let line = |at: usize| i64::try_from(lines.locate(at).0 + 1).unwrap_or(0);
    let pairs = |set: BTreeSet<(String, i64)>| {
        abs_list(
            l,
            set.into_iter()
                .map(|(name, at)| abs_tuple(l, vec![abs_atom(l, &name), integer(l, at)]))
                .collect(),
        )
    };
    let entries = methods
        .map(|(side, m)| {
            let (mut sent, mut named) = (BTreeSet::new(), BTreeSet::new());
            for e in &m.body {
                crate::ast::walk(e, &mut |e| match &e.kind {
                    ExprKind::Send { selector, .. } | ExprKind::SuperSend { selector, .. } => {
                        sent.insert((selector.clone(), line(e.span.start)));
                    }
                    ExprKind::Cascade { messages, .. } => {
                        sent.extend(
                            messages
                                .iter()
                                .map(|(s, _, sp)| (s.clone(), line(sp.start))),
                        );
                    }
                    ExprKind::Global(name) => {
                        named.insert((name.clone(), line(e.span.start)));
                    }
                    _ => {}
                });
            }
            abs_tuple(
                l,
                vec![
                    abs_atom(l, side),
                    abs_atom(l, &m.selector),
                    integer(l, line(m.span.start)),
                    pairs(sent),
                    pairs(named),
                ],
            )
        })
        .collect();
    function(
        l,
        "__xref__",
        vec![],
        vec![packed(l, &abs_list(l, entries))],
    )
}

/// `'__method_sources__'() -> [{Side, Selector, Source}]`: each method as written, what `Counter >>
/// #increment` answers (a CompiledMethod).
fn method_sources_function<'m>(
    l: i32,
    src: &str,
    methods: impl Iterator<Item = (&'static str, &'m MethodDef)>,
) -> Term {
    let entries = methods
        .map(|(side, m)| {
            let text = src.get(m.span.start..m.span.end).unwrap_or_default();
            abs_tuple(
                l,
                vec![abs_atom(l, side), abs_atom(l, &m.selector), string(l, text)],
            )
        })
        .collect();
    function(
        l,
        "__method_sources__",
        vec![],
        vec![packed(l, &abs_list(l, entries))],
    )
}

/// `'__required__'() -> [{Slot, Type}]`: in a class declared `typed`, the slots with a type and no default,
/// which `initialize` must set (checked when an instance starts); none in any other class.
fn required_function(l: i32, class: &ClassDef) -> Term {
    let typed = class.modifiers.iter().any(|m| m == "typed");
    let required = class
        .slots
        .iter()
        .filter(|s| typed && s.default.is_none())
        .filter_map(|s| {
            let ty = s.ty.as_deref()?;
            Some(abs_tuple(l, vec![abs_atom(l, &s.name), string(l, ty)]))
        })
        .collect();
    function(l, "__required__", vec![], vec![abs_list(l, required)])
}

/// `'__self_free_defaults__'() -> boolean()`: whether no slot default mentions `self` (or `super`, or a
/// slot), so that a spawner may compute them itself and not wait for the new actor to start.
fn self_free_defaults_function(l: i32, class: &ClassDef) -> Term {
    let mut free = true;
    for default in class.slots.iter().filter_map(|s| s.default.as_ref()) {
        crate::ast::walk(default, &mut |e| {
            free &= !matches!(&e.kind, ExprKind::Field(_) | ExprKind::SuperSend { .. })
                && !matches!(&e.kind, ExprKind::Var(v) if v == "self" || v == "super");
        });
    }
    function(
        l,
        "__self_free_defaults__",
        vec![],
        vec![abs_atom(l, if free { "true" } else { "false" })],
    )
}

/// `self.x` in the class's methods where the class itself declares no `x` (on that side): `{Side, Name,
/// Line}`, the first use of each. Only the workspace knows the superclasses' slots, so the class loader
/// checks these against them; one declared nowhere is an error at load, not a hidden slot at run time.
fn slot_uses_function(l: i32, class: &ClassDef, lw: &Lowerer) -> Term {
    let declared = |side: &str| -> BTreeSet<&str> {
        let slots = match side {
            "class" => &class.class_slots,
            _ => &class.slots,
        };
        slots.iter().map(|s| s.name.as_str()).collect()
    };
    let mut seen = BTreeSet::new();
    let mut uses = Vec::new();
    for (side, m) in sided(class) {
        let own = declared(side);
        for e in &m.body {
            crate::ast::walk(e, &mut |e| {
                let name = match &e.kind {
                    ExprKind::Field(n)
                    | ExprKind::Assign {
                        target: crate::ast::AssignTarget::Field(n),
                        ..
                    } => n,
                    _ => return,
                };
                if !own.contains(name.as_str()) && seen.insert((side, name.clone())) {
                    uses.push(abs_tuple(
                        l,
                        vec![
                            abs_atom(l, side),
                            abs_atom(l, name),
                            integer(l, i64::from(lw.line(e.span))),
                        ],
                    ));
                }
            });
        }
    }
    function(l, "__slot_uses__", vec![], vec![abs_list(l, uses)])
}

/// A method's header as written, on one line: `deposit: amount :: Integer -> Integer`.
pub fn method_header(src: &str, m: &MethodDef) -> String {
    let text = src.get(m.span.start..m.span.end).unwrap_or_default();
    let head = text.split("=>").next().unwrap_or_default();
    head.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `///` comment lines just above the line holding byte `at`, without their markers.
pub fn doc_above(src: &str, at: usize) -> String {
    let line_start = src
        .get(..at)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1);
    let mut lines: Vec<&str> = src
        .get(..line_start)
        .unwrap_or_default()
        .lines()
        .rev()
        .map(str::trim_start)
        .take_while(|line| line.starts_with("///"))
        .map(|line| {
            line.trim_start_matches('/')
                .strip_prefix(' ')
                .unwrap_or(line.trim_start_matches('/'))
        })
        .collect();
    lines.reverse();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Item;
    use crate::parser::parse;
    use beamtalk_term::print::pretty;

    #[test]
    fn a_value_class_module() {
        let src = "Value subclass: Money\n  field: amount = 0\n  + other => Money amount: self.amount + other amount\n  double => self + self\n";
        let items = parse(src).expect("parses");
        let Item::Class(c) = &items[0] else {
            panic!("a class")
        };
        insta::assert_snapshot!(pretty(&shown(&class_forms(c, src).expect("generates"))));
    }

    #[test]
    fn an_actors_fields_are_its_process_slots_but_class_state_is_not() {
        let src = "Actor subclass: Counter\n  state: n = 0\n  classState: made = 0\n  bump => self.n := self.n + 1\n  class made => self.made\n";
        let items = parse(src).expect("parses");
        let Item::Class(c) = &items[0] else {
            panic!("a class")
        };
        let forms = pretty(&class_forms(c, src).expect("generates"));
        // The method functions come last: `'i:bump'`, then `'c:made'`.
        let bump = &forms[forms.rfind("'i:bump'").expect("bump")..];
        let bump = &bump[..bump.find("'c:made'").unwrap_or(bump.len())];
        assert!(
            bump.contains("{atom,4,bt_slot}") && bump.contains("{atom,4,put}"),
            "{bump}"
        );
        assert!(!bump.contains("set_field"), "{bump}");
        let made = &forms[forms.rfind("'c:made'").expect("made")..];
        assert!(
            made.contains("{atom,5,field}"),
            "class state goes through beamtalk_rt: {made}"
        );
    }
}
