//! The language by example: one snapshot per construct, each showing the Beamtalk source it came from and
//! what the compiler makes of it — the Erlang abstract forms it lowers to, or the diagnostic it renders.
//! Grouped by feature (the snapshot's name starts with its group). Review changes with `cargo insta
//! review`; a change here is a change in generated code or in what users are told.

use beamtalk_lang::ast::Item;
use beamtalk_lang::compile;
use beamtalk_lang::parser::parse;
use beamtalk_term::print::pretty;

/// What `src` compiles to: each item's forms (a REPL line's expressions or module, a class's module, with
/// its warnings), or the rendered diagnostic of the first error.
fn compiled(src: &str) -> String {
    let items = match parse(src) {
        Ok(items) => items,
        Err(d) => return d.render(src, "example.bt"),
    };
    let mut out = Vec::new();
    for item in items {
        let forms = match &item {
            Item::Statements(stmts) => compile::repl_line(src, stmts).map(|c| c.into_term()),
            Item::Class(c) => compile::class(c, src),
            Item::Method {
                class,
                class_side,
                method,
            } => {
                let (m, cm) = match class_side {
                    false => (vec![method.clone()], vec![]),
                    true => (vec![], vec![method.clone()]),
                };
                compile::extension(class, &m, &cm, src)
            }
        };
        out.push(match forms {
            Ok(t) => pretty(&beamtalk_lang::forms::shown(&t)),
            Err(d) => d.render(src, "example.bt"),
        });
        if let Item::Class(c) = &item {
            let warnings = beamtalk_lang::lint::class(c);
            out.extend(warnings.iter().map(|w| w.render(src, "example.bt")));
        }
    }
    out.join("\n")
}

fn check(cases: &[(&str, &str)]) {
    for (name, src) in cases {
        let shown = format!("{src}\n---\n{}", compiled(src));
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false, description => *src }, {
            insta::assert_snapshot!(*name, shown);
        });
    }
}

#[test]
fn literals() {
    check(&[
        ("literals__integer", "42"),
        ("literals__negative_integer", "-7"),
        ("literals__big_integer", "1000000000000000000000"),
        ("literals__radix_integer", "16rFF"),
        ("literals__float", "3.14"),
        ("literals__float_with_exponent", "1.0e10"),
        ("literals__string", "\"hello\""),
        ("literals__string_with_a_quote", "\"say \"\"hi\"\"\""),
        ("literals__interpolation", "n := 2. \"n + 1 = {n + 1}\""),
        ("literals__symbol", "#ok"),
        ("literals__keyword_symbol", "#at:put:"),
        ("literals__quoted_symbol", "#'with space'"),
        ("literals__character", "$a"),
        ("literals__nil_true_false", "#(nil, true, false)"),
        ("literals__array", "#[1, 2, 3]"),
        ("literals__list", "#(1, #two, \"three\")"),
        ("literals__dictionary", "#{#a => 1, \"k\" => 2}"),
        ("literals__nested_collections", "#(#[1, 2], #{#k => #(3)})"),
    ]);
}

#[test]
fn messages() {
    check(&[
        ("messages__unary", "3 factorial"),
        ("messages__binary", "3 + 4"),
        (
            "messages__keyword",
            "#(1, 2) inject: 0 into: [:a :b | a + b]",
        ),
        (
            "messages__unary_binds_tighter_than_binary",
            "2 + 3 factorial",
        ),
        ("messages__math_precedence", "1 + 2 * 3 - 4 / 2"),
        ("messages__power_is_right_associative", "2 ** 3 ** 2"),
        ("messages__comparison_before_equality", "1 < 2 =:= true"),
        ("messages__parentheses", "(1 + 2) * 3"),
        (
            "messages__cascade",
            "Transcript show: \"a\"; show: \"b\"; cr",
        ),
        ("messages__concatenation", "\"ab\" ++ \"cd\""),
        (
            "messages__integer_division",
            "#(7 div: 2, 7 \\\\ 2, 7 rem: 2)",
        ),
        ("messages__cast", "Transcript cr!"),
        ("messages__erlang_call", "Erlang lists reverse: #(1, 2, 3)"),
        (
            "messages__erlang_call_with_more_arguments",
            "Erlang maps merge: #{#a => 1} with: #{#b => 2}",
        ),
    ]);
}

#[test]
fn layout() {
    check(&[
        (
            "layout__a_newline_ends_a_statement",
            "x := 1\ny := x + 1\ny",
        ),
        (
            "layout__an_open_bracket_continues",
            "x := 3\nx > 0 ifTrue: [\n  #pos\n] ifFalse: [\n  #neg\n]",
        ),
        (
            "layout__an_indented_line_continues",
            "ready := true\n  and: [false]\nready",
        ),
        (
            "layout__a_cascade_continued_on_indented_lines",
            "Transcript show: \"a\"\n  ; show: \"b\"\n  ; cr",
        ),
        (
            "layout__a_comment_after_an_operand",
            "area := 5 * 8 // 40 is the area\narea",
        ),
        (
            "layout__dots_and_newlines_together",
            "a := 1. b := 2\na + b",
        ),
    ]);
}

#[test]
fn blocks() {
    check(&[
        ("blocks__no_arguments", "[42] value"),
        ("blocks__arguments", "[:a :b | a + b] value: 1 value: 2"),
        ("blocks__arity", "[:a | a] numArgs"),
        (
            "blocks__capture_by_value",
            "k := 1. b := [k]. k := 2. b value",
        ),
        (
            "blocks__assigning_an_outer_local_uses_a_cell",
            "n := 0. b := [n := n + 1]. b value. b value. n",
        ),
        (
            "blocks__value_with_arguments",
            "[:a :b | a * b] valueWithArguments: #(3, 4)",
        ),
        (
            "blocks__non_local_return",
            "Object subclass: Finder\n  class firstOver: n in: xs =>\n    xs do: [:x | x > n ifTrue: [^x]]\n    nil\n",
        ),
    ]);
}

#[test]
fn control_flow() {
    check(&[
        ("control__if_true", "x := 3. x > 0 ifTrue: [#pos]"),
        (
            "control__if_true_if_false",
            "x := 3. x > 0 ifTrue: [#pos] ifFalse: [#neg]",
        ),
        ("control__if_false", "x := 3. x > 0 ifFalse: [#neg]"),
        (
            "control__and_or",
            "x := 3. (x > 0 and: [x < 10]) or: [x = 100]",
        ),
        ("control__not", "(3 > 4) not"),
        (
            "control__if_nil",
            "x := nil. x ifNil: [0] ifNotNil: [:v | v + 1]",
        ),
        (
            "control__while_true",
            "i := 0. [i < 5] whileTrue: [i := i + 1]. i",
        ),
        (
            "control__times_repeat",
            "c := 0. 3 timesRepeat: [c := c + 2]. c",
        ),
        (
            "control__to_do",
            "s := 0. 1 to: 10 do: [:i | s := s + i]. s",
        ),
        (
            "control__to_by_do",
            "s := 0. 10 to: 1 by: -3 do: [:i | s := s + i]. s",
        ),
        ("control__do", "s := 0. #(1, 2, 3) do: [:e | s := s + e]. s"),
        (
            "control__collect_select_reject",
            "#(1, 2, 3, 4) collect: [:e | e * 2]",
        ),
        ("control__select", "#(1, 2, 3, 4) select: [:e | e > 2]"),
        (
            "control__inject_into",
            "#(1, 2, 3) inject: 0 into: [:a :e | a + e]",
        ),
        (
            "control__a_block_variable_is_not_inlined",
            "b := [#yes]. true ifTrue: b",
        ),
        (
            "control__nested_conditionals",
            "x := 5. x > 0 ifTrue: [x > 3 ifTrue: [#big] ifFalse: [#small]] ifFalse: [#neg]",
        ),
    ]);
}

#[test]
fn patterns() {
    check(&[
        ("patterns__destructure_a_list", "#(a, b) := #(1, 2). a + b"),
        (
            "patterns__destructure_an_array",
            "#[x, _, z] := #[1, 2, 3]. x + z",
        ),
        (
            "patterns__destructure_an_ok_tuple",
            "{ok, data} := Erlang file read_file: \"/etc/hostname\". data",
        ),
        (
            "patterns__destructure_a_dictionary",
            "#{#host => h, #port => p} := #{#host => \"a\", #port => 80}. p",
        ),
        (
            "patterns__nested",
            "#(#(a, b), c) := #(#(1, 2), 3). a + b + c",
        ),
        (
            "patterns__match_literals",
            "3 match: [1 -> #one; 3 -> #three; _ -> #other]",
        ),
        (
            "patterns__match_binds",
            "#(1, 2) match: [#(h, t) -> h + t; _ -> 0]",
        ),
        (
            "patterns__binary_segments",
            "\"ABC\" match: [<<\"A\", n:8, rest/binary>> -> n; <<c/utf8, _/bits>> -> c; _ -> 0]",
        ),
        (
            "patterns__binary_sized_by_an_earlier_segment",
            "<<len:16/little, body:len/binary, _/binary>> := frame. body",
        ),
        (
            "patterns__match_guard",
            "5 match: [n when: [n > 3] -> #big; _ -> #small]",
        ),
        (
            "patterns__match_result",
            "(Result ok: 4) match: [Result ok: v -> v; Result error: e -> e]",
        ),
        (
            "patterns__match_type",
            "\"s\" match: [s :: String -> s size; _ -> 0]",
        ),
        (
            "patterns__match_nil",
            "nil match: [nil -> #none; _ -> #some]",
        ),
        (
            "patterns__repeated_name",
            "#[2, 2] match: [#[x, x] -> #same; _ -> #different]",
        ),
        (
            "patterns__match_dictionary",
            "#{#kind => #click} match: [#{#kind => k} -> k; _ -> nil]",
        ),
    ]);
}

#[test]
fn classes() {
    check(&[
        (
            "classes__object",
            "Object subclass: Greeter\n  greet: name => \"Hello, {name}!\"\n  class default => self new\n",
        ),
        (
            "classes__value",
            "Value subclass: Money\n  field: amount = 0\n  field: currency = #EUR\n  + other => Money amount: self.amount + other amount currency: self.currency\n",
        ),
        (
            "classes__actor",
            "Actor subclass: Account\n  state: balance = 0\n  deposit: n => self.balance := self.balance + n. self.balance\n  balance => self.balance\n",
        ),
        (
            "classes__class_state",
            "Object subclass: Registry\n  classState: count = 0\n  class register => self.count := self.count + 1\n",
        ),
        (
            "classes__super",
            "Object subclass: Base\n  describe => #base\n\nBase subclass: Derived\n  describe => #(super describe, #derived)\n",
        ),
        (
            "classes__self_send",
            "Object subclass: Fib\n  class fib: n =>\n    n < 2 ifTrue: [^n]\n    (self fib: n - 1) + (self fib: n - 2)\n",
        ),
        (
            "classes__initialize",
            "Actor subclass: Log\n  state: lines = #()\n  initialize => self.lines := #(#started)\n",
        ),
        (
            "classes__modifiers",
            "abstract sealed Object subclass: Shape\n  area => 0\n",
        ),
        (
            "classes__typed",
            "typed Actor subclass: Conn\n  state: db :: String\n  initialize => self.db := \"main\"\n",
        ),
        (
            "classes__type_annotations",
            "Object subclass: Bank\n  deposit: amount :: Integer -> Integer => amount\n",
        ),
        (
            "classes__doc_comments",
            "/// Says hello.\nObject subclass: Hi\n  /// The greeting.\n  hi => #hi\n",
        ),
        (
            "classes__supervision_policy",
            "Actor subclass: Sturdy\n  class supervisionPolicy => #permanent\n",
        ),
        (
            "classes__supervisor",
            "Supervisor subclass: App\n  class children => #(Worker)\n  class strategy => #oneForOne\n",
        ),
        (
            "classes__parameterised_superclass",
            "DynamicSupervisor(Worker) subclass: Pool\n",
        ),
        (
            "classes__extension_of_a_built_in_class",
            "Integer >> double => self * 2",
        ),
        (
            "classes__class_side_extension",
            "Integer class >> answer => 42",
        ),
        ("classes__type_alias", "type Money = Integer\nMoney"),
        (
            "classes__method_with_temporaries",
            "Object subclass: T\n  class sum: xs =>\n    total := 0\n    xs do: [:x | total := total + x]\n    total\n",
        ),
        (
            "classes__integer_specialised_clause",
            "Object subclass: Loop\n  class upTo: n =>\n    s := 0\n    1 to: n do: [:i | s := s + i]\n    s\n",
        ),
        (
            "classes__early_return_in_a_recursive_method",
            "Object subclass: Fib\n  class fib: n =>\n    n < 2 ifTrue: [^n]\n    (self fib: n - 1) + (self fib: n - 2)\n",
        ),
        (
            "classes__number_sends_once_and_repeated",
            "Object subclass: Scale\n  scaled: k =>\n    times := [:x | x * k]\n    times value: k + 1\n",
        ),
        (
            "classes__string_concatenation_in_a_method",
            "Object subclass: Greeter\n  greet: name => \"Hello, \" ++ name\n",
        ),
    ]);
}

#[test]
fn diagnostics() {
    check(&[
        ("diagnostics__unclosed_block", "[1 + 2"),
        ("diagnostics__dangling_operator", "3 + "),
        ("diagnostics__unclosed_list", "#(1, 2"),
        (
            "diagnostics__binary_rest_not_last",
            "x match: [<<a/binary, b:8>> -> a]",
        ),
        (
            "diagnostics__binary_size_not_bound",
            "x match: [<<a:n/binary>> -> a]",
        ),
        (
            "diagnostics__binary_unknown_type",
            "x match: [<<a:8/integr>> -> a]",
        ),
        (
            "diagnostics__redundant_super_initialize",
            "Actor subclass: A\n  initialize =>\n    super initialize\n",
        ),
        (
            "diagnostics__undefined_variable",
            "Object subclass: U\n  m => nope + 1\n",
        ),
        (
            "diagnostics__assigning_an_argument",
            "Object subclass: A\n  m: a => a := 1\n",
        ),
        ("diagnostics__not_a_pattern", "{a + 1} := x"),
        (
            "diagnostics__result_pattern_kind",
            "x := 1. x match: [Result done: v -> v]",
        ),
        (
            "diagnostics__type_pattern_class",
            "x := 1. x match: [v :: thing -> v]",
        ),
        ("diagnostics__dictionary_pattern_key", "#{k => v} := d"),
        (
            "diagnostics__guard_needs_a_block",
            "x := 1. x match: [v when: v -> v]",
        ),
        ("diagnostics__self_field_at_the_repl", "self.count"),
        ("diagnostics__super_at_the_repl", "super foo"),
        (
            "diagnostics__interpolation_in_a_pattern",
            "x := 1. x match: [\"a{x}\" -> 1]",
        ),
        ("diagnostics__unexpected_character", "3 ` 4"),
        (
            "diagnostics__missing_arrow_in_a_match",
            "x := 1. x match: [1 2]",
        ),
        ("diagnostics__type_alias_without_a_type", "type Money = "),
        ("diagnostics__assign_to_self", "self := 3"),
    ]);
}
