//! The parser's tests: statements and expressions, then items.

mod statements {
    use super::super::*;

    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Literal(Literal::Integer(i)) => i.to_string(),
            ExprKind::Literal(l) => format!("{l:?}"),
            ExprKind::Var(v) | ExprKind::Global(v) => v.clone(),
            ExprKind::Send {
                receiver,
                selector,
                args,
                cast,
            } => format!(
                "({} {selector}{}{})",
                show(receiver),
                args.iter()
                    .map(|a| format!(" {}", show(a)))
                    .collect::<String>(),
                if *cast { "!" } else { "" }
            ),
            ExprKind::Assign {
                target: AssignTarget::Var(v),
                value,
            } => format!("{v} := {}", show(value)),
            ExprKind::Cascade { receiver, messages } => format!(
                "{}; {}",
                show(receiver),
                messages
                    .iter()
                    .map(|(s, a, _)| format!("{s}/{}", a.len()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            ExprKind::Block { params, body } => format!(
                "[{params:?} {}]",
                body.iter().map(show).collect::<Vec<_>>().join(". ")
            ),
            ExprKind::Array(items) => format!(
                "#[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            other => format!("{other:?}"),
        }
    }

    fn one(src: &str) -> String {
        let stmts = parse_statements(src, 0).expect("parses");
        stmts.iter().map(show).collect::<Vec<_>>().join(". ")
    }

    #[test]
    fn precedence_follows_the_table() {
        assert_eq!(one("1 + 2 * 3"), "(1 + (2 * 3))");
        assert_eq!(one("a | b & c"), "((a | b) & c)");
        assert_eq!(one("2 ** 3 * 2"), "((2 ** 3) * 2)");
        assert_eq!(one("2 ** 3 ** 2"), "(2 ** (3 ** 2))");
        assert_eq!(one("1 - 2 - 3"), "((1 - 2) - 3)");
        assert_eq!(one("1 + 2 < 4 =:= true"), "(((1 + 2) < 4) =:= True)");
        assert_eq!(
            one("3 factorial + 4 max: 2"),
            "(((3 factorial) + 4) max: 2)"
        );
        assert_eq!(one("dict at: #a put: 1"), "(dict at:put: Symbol(\"a\") 1)");
    }

    #[test]
    fn cascades_blocks_collections_and_casts() {
        assert_eq!(
            one("Transcript show: 1; cr; show: 2"),
            "Transcript; show:/1; cr/0; show:/1"
        );
        assert_eq!(one("[:a :b | a + b]"), "[[\"a\", \"b\"] (a + b)]");
        assert_eq!(one("#[1, 2 + 3, x foo]"), "#[1, (2 + 3), (x foo)]");
        assert_eq!(one("acc deposit: 5!"), "(acc deposit: 5!)");
        assert_eq!(one("x := y := 3"), "x := y := 3");
    }

    #[test]
    fn classes_by_indentation() {
        let src = "Actor subclass: Account\n  state: balance = 0\n  deposit: n =>\n    self.balance := self.balance + n.\n    self.balance\n  class new: x => self new\n\nx := 1";
        let items = parse(src).expect("parses");
        let Item::Class(c) = &items[0] else {
            panic!("class first")
        };
        assert_eq!(
            (c.name.as_str(), c.superclass.as_str()),
            ("Account", "Actor")
        );
        assert_eq!(c.slots[0].name, "balance");
        assert_eq!(c.methods[0].selector, "deposit:");
        assert_eq!(c.methods[0].body.len(), 2);
        assert_eq!(c.class_methods[0].selector, "new:");
        assert!(matches!(items[1], Item::Statements(_)));
        let items = parse("Counter >> increment => self.n := self.n + 1").expect("parses");
        assert!(matches!(&items[0], Item::Method { class, .. } if class == "Counter"));
    }

    #[test]
    fn errors_say_what_was_expected_and_where() {
        let e = parse_statements("[1 + 2", 0).expect_err("unclosed");
        assert!(
            e.message.contains("expected `]` to close the block"),
            "{}",
            e.message
        );
        assert_eq!(e.span.start, 6);
        let e = parse_statements("3 + ", 0).expect_err("dangling operator");
        assert!(
            e.message.contains("expected an expression"),
            "{}",
            e.message
        );
        let e = parse_statements("#(1, 2", 0).expect_err("unclosed list");
        assert!(e.message.contains("`,` or `)`"), "{}", e.message);
    }

    #[test]
    fn incompleteness_for_multi_line_input() {
        assert!(is_incomplete("[1 +"));
        assert!(is_incomplete("#(1, 2,"));
        assert!(is_incomplete("\"abc"));
        assert!(!is_incomplete("3 + 4"));
    }

    #[test]
    fn type_annotations_are_kept_in_the_tree() {
        let items = parse(
            "Object subclass: A\n  field: n :: Integer = 0\n  at: i :: Integer put: v -> Array(Integer) | Nil => v\n",
        )
        .expect("parses");
        let Item::Class(c) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(c.slots[0].ty.as_deref(), Some("Integer"));
        let m = &c.methods[0];
        assert_eq!(m.selector, "at:put:");
        assert_eq!(m.params, ["i", "v"]);
        assert_eq!(m.param_types, [Some("Integer".to_owned()), None]);
        assert_eq!(m.return_type.as_deref(), Some("Array(Integer) | Nil"));
        assert!(
            parse("x :: Integer 3").is_err(),
            "a typed temporary needs `:=`"
        );
    }

    #[test]
    fn headers_with_modifiers_and_parameterised_superclasses_and_pragmas() {
        let src = "abstract sealed Object subclass: Shape\n  @expect dnu\n  area => 0\n\nDynamicSupervisor(Worker) subclass: Pool\n  size => 3\n";
        let items = parse(src).expect("parses");
        let [Item::Class(shape), Item::Class(pool)] = &items[..] else {
            panic!("{items:?}")
        };
        assert_eq!(shape.modifiers, ["abstract", "sealed"]);
        assert_eq!(
            (shape.superclass.as_str(), shape.methods.len()),
            ("Object", 1)
        );
        assert_eq!(pool.superclass, "DynamicSupervisor");
        assert_eq!(pool.superclass_params.as_deref(), Some("Worker"));
        let stmts = parse_statements("@expect dnu\n3 foo\nx := 1", 0).expect("parses");
        assert_eq!(stmts.len(), 2, "the pragma is set aside: {stmts:?}");
        assert!(is_class_header("typed Value subclass: Money"));
        assert!(!is_class_header("Object subclass: money"));
    }

    #[test]
    fn type_parameters_and_protocols() {
        let src = "Value subclass: Pair(K, V :: Printable)\n  field: k :: K = nil\n\nProtocol define: Sized(E)\n  /// How many.\n  size -> Integer\n  at: i :: Integer put: e :: E -> E\n  < other :: Self -> Boolean\n";
        let items = parse(src).expect("parses");
        let [Item::Class(pair), Item::Class(sized)] = &items[..] else {
            panic!("{items:?}")
        };
        assert_eq!(pair.type_params, ["K", "V"]);
        assert_eq!(pair.protocol, None);
        assert_eq!(pair.slots.len(), 1);
        assert_eq!(sized.superclass, "Protocol");
        assert_eq!(sized.type_params, ["E"]);
        assert_eq!(
            sized.protocol.as_deref(),
            Some(&["size".to_owned(), "at:put:".to_owned(), "<".to_owned()][..])
        );
        assert!(is_class_header("Protocol define: Printable"));
        let err = parse("Protocol define: Odd\n  #notASignature\n").expect_err("refused");
        assert!(
            err.message.contains("message signatures"),
            "{}",
            err.message
        );
    }

    #[test]
    fn destructuring_patterns() {
        let stmts =
            parse_statements("{ok, #(h, _)} := x. #[1, \"s\", nil] := y", 0).expect("parses");
        let ExprKind::Destructure { pattern, .. } = &stmts[0].kind else {
            panic!("{stmts:?}")
        };
        assert_eq!(
            *pattern,
            Pattern::Tuple(vec![
                Pattern::Literal(Literal::Symbol("ok".into())),
                Pattern::List(vec![Pattern::Bind("h".into()), Pattern::Ignore]),
            ])
        );
        assert_eq!(pattern.names(), ["h"]);
        assert!(
            matches!(&stmts[1].kind, ExprKind::Destructure { pattern: Pattern::Array(ps), .. } if ps.len() == 3)
        );
        assert!(
            parse_statements("#(1, 2) size", 0).is_ok(),
            "a literal that is not assigned to"
        );
        let e = parse_statements("{a + 1} := x", 0).expect_err("not a pattern");
        assert!(e.message.contains("to close the pattern"), "{}", e.message);
    }

    #[test]
    fn internal_is_a_class_modifier() {
        let items = parse("internal sealed Object subclass: Helper\n  x => 1\n").expect("parses");
        let Item::Class(c) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(c.modifiers, ["internal", "sealed"]);
    }

    #[test]
    fn sealed_and_internal_modify_a_method_and_a_metaclass_is_a_type() {
        let src = "Object subclass: A\n  internal sealed x -> Integer => 1\n  class sealed y => 2\n  \
                   sealed class z => 3\n  sealed => 4\n  internal -> Integer => 5\n  \
                   run: c :: Activity class => c\n";
        let items = parse(src).expect("parses");
        let Item::Class(c) = &items[0] else {
            panic!("{items:?}")
        };
        let shown = |ms: &[MethodDef]| -> Vec<(String, Vec<String>)> {
            ms.iter()
                .map(|m| (m.selector.clone(), m.modifiers.clone()))
                .collect()
        };
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            shown(&c.methods),
            [
                ("x".to_owned(), words(&["internal", "sealed"])),
                ("sealed".to_owned(), vec![]),
                ("internal".to_owned(), vec![]),
                ("run:".to_owned(), vec![]),
            ]
        );
        assert_eq!(
            shown(&c.class_methods),
            [
                ("y".to_owned(), words(&["sealed"])),
                ("z".to_owned(), words(&["sealed"]))
            ]
        );
        assert_eq!(
            c.methods[3].param_types,
            [Some("Activity class".to_owned())]
        );
    }

    #[test]
    fn a_type_alias_is_a_statement_that_does_nothing() {
        let stmts = parse_statements(
            "type Money = Integer. type Pair = Tuple(Integer, String). 1",
            0,
        )
        .expect("parses");
        assert_eq!(stmts.len(), 3);
        assert!(matches!(stmts[0].kind, ExprKind::Literal(Literal::Nil)));
        let e = parse_statements("type Money = ", 0).expect_err("no type");
        assert!(e.message.contains("expected a type name"), "{}", e.message);
        // `type` is still an ordinary name otherwise.
        assert!(parse_statements("type := 3. type + 1", 0).is_ok());
    }

    #[test]
    fn dictionary_result_typed_and_guarded_patterns() {
        let stmts = parse_statements(
            "#{#a => x, \"k\" => #[y, x]} := d. v match: [Result ok: n when: [n > 1] -> n; s :: String -> s; _ -> 0]",
            0,
        )
        .expect("parses");
        let ExprKind::Destructure { pattern, .. } = &stmts[0].kind else {
            panic!("{stmts:?}")
        };
        assert!(matches!(pattern, Pattern::Map(pairs) if pairs.len() == 2));
        assert_eq!(pattern.names(), ["x", "y"], "each name once, in order");
        let ExprKind::Match { arms, .. } = &stmts[1].kind else {
            panic!("{stmts:?}")
        };
        assert!(matches!(&arms[0].pattern, Pattern::Result { ok: true, .. }));
        assert!(arms[0].guard.is_some());
        assert_eq!(
            arms[1].pattern,
            Pattern::Typed {
                name: "s".into(),
                class: "String".into()
            }
        );
        let e = parse_statements("v match: [Result done: x -> x]", 0).expect_err("no such kind");
        assert!(e.message.contains("`ok:` or `error:`"), "{}", e.message);
        let e = parse_statements("v match: [x :: y -> x]", 0).expect_err("not a class");
        assert!(e.message.contains("class name after `::`"), "{}", e.message);
        let e = parse_statements("#{x => 1} := d", 0).expect_err("a key must be a literal");
        assert!(e.message.contains("expected a key"), "{}", e.message);
    }

    #[test]
    fn selectors_longer_than_an_atom_are_a_diagnostic() {
        let long_keyword = format!("x {}", "ab: 1 ".repeat(90));
        let e = parse_statements(&long_keyword, 0).expect_err("too long");
        assert!(e.message.contains("270 characters long"), "{}", e.message);
        let long_unary = format!("x {}", "a".repeat(300));
        assert!(parse_statements(&long_unary, 0).is_err());
        assert!(parse_statements(&format!("x {}", "a".repeat(255)), 0).is_ok());
    }
}

mod items {
    use super::super::*;

    #[test]
    fn reading_a_method_is_an_expression_not_a_definition() {
        assert!(method_header(
            "Counter >> increment => self.n := self.n + 1"
        ));
        assert!(method_header("Integer class >> answer => 42"));
        assert!(!method_header("Counter >> #increment"));
        let items = parse("Counter >> #increment").expect("parses");
        assert!(matches!(&items[..], [Item::Statements(_)]), "{items:?}");
    }

    #[test]
    fn a_line_inside_a_string_starts_nothing() {
        let src = "Object subclass: Doc\n  text => \"first\nObject subclass: Foo\nBar >> x => 1\n  not a member\"\n  size => self text size\nx := 1\n";
        let items = parse(src).expect("parses");
        assert_eq!(items.len(), 2, "{items:?}");
        let Item::Class(c) = &items[0] else {
            panic!("a class")
        };
        assert_eq!(c.name, "Doc");
        let selectors: Vec<&str> = c.methods.iter().map(|m| m.selector.as_str()).collect();
        assert_eq!(selectors, ["text", "size"]);
        let ExprKind::Literal(Literal::String(text)) = &c.methods[0].body[0].kind else {
            panic!("a string")
        };
        assert!(
            text.contains("Object subclass: Foo\nBar >> x => 1"),
            "{text}"
        );
        assert!(matches!(items[1], Item::Statements(_)));
    }

    #[test]
    fn items_are_found_from_tokens_not_from_the_look_of_lines() {
        // A header needs its line to itself; spacing inside it does not matter.
        let items = parse("Object   subclass:\tFoo // a comment\n  x => 1").expect("parses");
        assert!(
            matches!(&items[..], [Item::Class(c)] if c.name == "Foo"),
            "{items:?}"
        );
        let items = parse("Object subclass: Foo. 3").expect("parses");
        assert!(matches!(&items[..], [Item::Statements(_)]), "{items:?}");
        // A comment after the last member belongs to the class's source; a comment line between
        // members breaks nothing.
        let src = "Object subclass: Foo\n  a => 1\n  // between\n  b => 2 // last\n\nx := 1";
        let items = parse(src).expect("parses");
        let Item::Class(c) = &items[0] else {
            panic!("a class")
        };
        assert_eq!(c.methods.len(), 2);
        assert!(src[c.span.start..c.span.end].ends_with("b => 2 // last"));
        // A member line indented less than the first member is reported where it is.
        let e = parse("Object subclass: Foo\n    a => 1\n  b => 2").expect_err("indentation");
        assert!(e.message.contains("indented less"), "{}", e.message);
        assert_eq!(e.span.start, "Object subclass: Foo\n    a => 1\n  ".len());
    }
}
