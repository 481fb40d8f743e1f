//! `beamtalk eval` and `beamtalk load` against a real workspace, one test per section of language.md.

mod common;

use common::run;

type Lang = common::Project;

impl Lang {
    fn started() -> Self {
        let lang = common::Project::new();
        let (code, _, err, _) = run(&mut lang.cmd(&["workspace", "create", "lang"]));
        assert_eq!(code, 0, "{err}");
        lang
    }

    /// Evaluates and returns (exit code, stdout without the final newline).
    fn eval(&self, src: &str) -> (i32, String) {
        let (code, out, err, _) = run(&mut self.cmd(&["eval", "-w", "lang", src]));
        assert!(
            code != 0 || err.is_empty(),
            "{src}: unexpected stderr {err}"
        );
        (code, out.strip_suffix('\n').unwrap_or(&out).to_owned())
    }

    /// Asserts that `src` evaluates to `expected`.
    fn check(&self, src: &str, expected: &str) {
        let (code, out) = self.eval(src);
        assert_eq!((code, out.as_str()), (0, expected), "{src}");
    }

    /// Asserts that `src` fails with an error line starting `ERROR: <kind>`.
    fn check_error(&self, src: &str, kind: &str) {
        let (code, out) = self.eval(src);
        assert_eq!(code, 1, "{src}: {out}");
        assert!(out.starts_with(&format!("ERROR: {kind}")), "{src}: {out}");
    }

    fn load(&self, name: &str, src: &str) -> (i32, String, String) {
        let path = self.project.path().join(name);
        std::fs::write(&path, src).expect("write");
        let (code, out, err, _) =
            run(&mut self.cmd(&["load", "-w", "lang", path.to_str().expect("utf8")]));
        (code, out, err)
    }
}

#[test]
fn literals_and_printing() {
    let l = Lang::started();
    for (src, want) in [
        ("42", "42"),
        ("-7", "-7"),
        ("1000000000000000000000", "1000000000000000000000"),
        ("16rFF", "255"),
        ("3.14", "3.14"),
        ("1.0e10", "1.0e10"),
        ("5.0", "5.0"),
        ("10 / 3", "3.3333333333333335"),
        ("\"hello\"", "hello"),
        ("#(\"a\", \"b\")", "#(\"a\", \"b\")"),
        ("\"say \"\"hi\"\"\"", "say \"hi\""),
        // A result shows as its displayString: a symbol bare, its printString with `#`.
        ("#ok", "ok"),
        ("#ok printString", "#ok"),
        ("#at:put:", "at:put:"),
        ("#'with space'", "with space"),
        ("#'with space' printString", "#'with space'"),
        ("$a", "97"),
        ("nil", "nil"),
        ("true", "true"),
        ("#[1, 2, 3]", "#[1, 2, 3]"),
        ("#(1, 2, 3)", "#(1, 2, 3)"),
        ("#{#b => 2, #a => 1}", "#{#a => 1, #b => 2}"),
        ("Erlang erlang list_to_tuple: #(1, 2)", "{1, 2}"),
        ("[:a :b | a]", "a Block/2"),
        ("Integer", "Integer"),
    ] {
        l.check(src, want);
    }
}

#[test]
fn arithmetic_precedence_and_bindings() {
    let l = Lang::started();
    l.check("3 + 4", "7");
    l.check("2 + 3 * 4", "14");
    l.check("2 ** 3 * 2", "16");
    l.check("(2 + 3) * 4", "20");
    l.check("7 div: 2", "3");
    // `//` is a comment wherever it stands, after an operand too.
    l.check("7 // 2", "7");
    l.check("-7 \\\\ 2", "1");
    l.check("7 rem: -2", "1");
    l.check("1 + 2 < 4", "true");
    l.check("3 factorial + 4 max: 20", "20");
    l.check("x := 41", "41");
    l.check("x + 1", "42");
    l.check("y := x := 5. x + y", "10");
    l.check("17 gcd: 51", "17");
    l.check("2 sqrt > 1.41", "true");
    l.check("3 between: 1 and: 5", "true");
    l.check("255 printString: 16", "ff");
    l.check("3.7 rounded", "4");
}

#[test]
fn strings_and_interpolation() {
    let l = Lang::started();
    l.check("n := 6", "6");
    l.check("\"n = {n + 1}\"", "n = 7");
    l.check("\"nested {\"in {n}\"} ok\"", "nested in 6 ok");
    l.check("\"abc\" reversed", "cba");
    l.check("\"abc\" size", "3");
    l.check("\"hello\" , \" world\"", "hello world");
    l.check("\"hello\" asUppercase", "HELLO");
    l.check("\"a,b,c\" split: \",\"", "#(\"a\", \"b\", \"c\")");
    l.check("\"hello\" includesSubstring: \"ell\"", "true");
    l.check("\"42\" asInteger + 1", "43");
    l.check("\"  x \" trim", "x");
    l.check("\"abc\" asSymbol", "abc");
}

/// A class method that sends its class's own methods runs them directly when `self` is exactly that
/// class; a subclass that inherits it still reaches its own overrides, from the method and from its
/// blocks alike.
#[test]
fn an_inherited_class_method_reaches_the_subclass_overrides() {
    let l = Lang::started();
    let src = "Object subclass: Walker\n  class steps: n => n = 0 ifTrue: [0] ifFalse: [self step + (self steps: n - 1)]\n  class step => 1\n  class sumTo: n => (1 to: n) inject: 0 into: [:a :i | a + self step]\n  class fib: n =>\n    n < 2 ifTrue: [^n]\n    (self fib: n - 1) + (self fib: n - 2)\n\nWalker subclass: Runner\n  class step => 2\n";
    let (code, out, err) = l.load("walker.bt", src);
    assert_eq!(code, 0, "{out}{err}");
    l.check("Walker steps: 3", "3");
    l.check("Runner steps: 3", "6");
    l.check("Walker sumTo: 3", "3");
    l.check("Runner sumTo: 3", "6");
    l.check("Walker fib: 20", "6765");
    l.check("Runner fib: 10", "55");
    l.check("Runner fib: 2.5", "2.0");
    l.check("Walker fib: 2.5", "2.0");
}

/// `++` and `,` in a method join Strings in place (the compiler's direct path), and anything else is
/// still the ordinary send: a List's `++`, text shown as itself, a value printed.
#[test]
fn concatenation_in_a_method_means_what_the_send_means() {
    let l = Lang::started();
    let src = "Object subclass: Joiner\n  class join: a with: b => a ++ b\n  class comma: a with: b => a , b\n  class grow: n =>\n    s := \"\"\n    1 to: n do: [:i | s := s ++ \"ab\"]\n    s size\n";
    let (code, out, err) = l.load("joiner.bt", src);
    assert_eq!(code, 0, "{out}{err}");
    l.check("Joiner join: \"ab\" with: \"cd\"", "abcd");
    l.check("Joiner comma: \"ab\" with: \"cd\"", "abcd");
    l.check("Joiner join: \"héllo \" with: \"wörld\"", "héllo wörld");
    l.check("Joiner join: \"n=\" with: 3", "n=3");
    l.check("Joiner join: \"s=\" with: #sym", "s=sym");
    l.check("Joiner join: #(1, 2) with: #(3)", "#(1, 2, 3)");
    l.check("Joiner grow: 1000", "2000");
}

#[test]
fn blocks_control_flow_and_non_local_return() {
    let l = Lang::started();
    l.check("[:a :b | a + b] value: 1 value: 2", "3");
    l.check("[42] value", "42");
    l.check("[:a | a] numArgs", "1");
    l.check_error("[:a | a] value", "wrong_arity");
    l.check("(3 > 2) ifTrue: [\"yes\"] ifFalse: [\"no\"]", "yes");
    l.check("false and: [1 / 0]", "false");
    l.check("nil ifNil: [\"was nil\"]", "was nil");
    l.check("i := 0. [i < 5] whileTrue: [i := i + 1]. i", "5");
    l.check("s := 0. 1 to: 10 do: [:k | s := s + k]. s", "55");
    l.check("s := 0. 10 to: 1 by: -3 do: [:k | s := s + k]. s", "22");
    l.check("c := 0. 3 timesRepeat: [c := c + 1]. c", "3");
    l.check("#(1, 2, 3) do: [:e | e > 1 ifTrue: [^e * 10]]. 0", "20");
    l.check("Transcript show: \"a\"; show: \"b\"; cr. 1", "ab\n1");
}

#[test]
fn collections_and_iteration() {
    let l = Lang::started();
    l.check("#(1, 2, 3) collect: [:e | e * e]", "#(1, 4, 9)");
    l.check("#[1, 2, 3, 4] select: [:e | e even]", "#[2, 4]");
    l.check("#(1, 2, 3) reject: [:e | e = 2]", "#(1, 3)");
    l.check("#(1, 2, 3) inject: 0 into: [:a :e | a + e]", "6");
    l.check("#(1, 2, 3) detect: [:e | e > 5] ifNone: [#none]", "none");
    l.check("#(3, 1, 2) sort", "#(1, 2, 3)");
    l.check("#(3, 1, 2) sort: [:a :b | a > b]", "#(3, 2, 1)");
    l.check("#[1, 2, 3] at: 2", "2");
    l.check("#[1, 2, 3] at: 2 put: 9", "#[1, 9, 3]");
    l.check_error("#[1, 2, 3] at: 9", "index_out_of_bounds");
    l.check("d := #{#a => 1}. d at: #b put: 2", "#{#a => 1, #b => 2}");
    l.check("#{#a => 1, #b => 2} keys", "#(#a, #b)");
    l.check("#{#a => 1, #b => 2} values", "#(1, 2)");
    l.check(
        "t := 0. #{#a => 1, #b => 2} keysAndValuesDo: [:k :v | t := t + v]. t",
        "3",
    );
    l.check("#(1, 2) includes: 2", "true");
    l.check("#() isEmpty", "true");
    l.check("#(1, 2, 3) first + #(1, 2, 3) last", "4");
    l.check("(1 to: 5) inject: 0 into: [:a :b | a + b]", "15");
}

#[test]
fn erlang_interop() {
    let l = Lang::started();
    l.check("Erlang lists reverse: #(1, 2, 3)", "#(3, 2, 1)");
    l.check(
        "Erlang maps merge: #{#a => 1} with: #{#b => 2}",
        "#{#a => 1, #b => 2}",
    );
    l.check("Erlang erlang abs: -3", "3");
    l.check_error("Erlang erlang binary_to_atom: 42", "badarg");
    l.check(
        "[Erlang erlang error: #boom] on: Error do: [:e | e kind]",
        "boom",
    );
}

#[test]
fn errors_and_handlers() {
    let l = Lang::started();
    l.check(
        "[1 / 0] on: ZeroDivide do: [:e | e messageText]",
        "1 / 0: division by zero",
    );
    l.check("[1 / 0] on: Error do: [:e | e class]", "ZeroDivide");
    l.check(
        "[Error signal: \"custom\"] on: Error do: [:e | e messageText]",
        "custom",
    );
    l.check(
        "[3 foo] on: DoesNotUnderstand do: [:e | e messageText]",
        "Integer does not understand #foo",
    );
    l.check_error(
        "3 foo",
        "does_not_understand: Integer does not understand #foo",
    );
    l.check_error("1 / 0", "badarith");
    l.check(
        "r := 0. [[1 / 0] ensure: [r := 1]] on: ZeroDivide do: [:e | 0]. r",
        "1",
    );
    l.check(
        "r := 0. [[1 / 0] ifCurtailed: [r := 2]] on: ZeroDivide do: [:e | 0]. r",
        "2",
    );
    l.check("[[1 / 0] on: ZeroDivide do: [:e | e return: 5]] value", "5");
    l.check(
        "n := 0. [n := n + 1. n < 3 ifTrue: [1 / 0]. n] on: ZeroDivide do: [:e | e retry]",
        "3",
    );
    l.check("after := 7. after", "7");
}

#[test]
fn classes_values_actors_inheritance_and_super() {
    let l = Lang::started();
    let (code, out, err) = l.load(
        "classes.bt",
        "/// A greeter.\nObject subclass: Greeter\n  greet: name => \"Hello, {name}!\"\n  class default => self new\n\n\
         Greeter subclass: LoudGreeter\n  greet: name => (super greet: name) asUppercase\n\n\
         Value subclass: Money\n  field: amount = 0\n  field: currency = #EUR\n  + other => Money amount: self.amount + other amount currency: self.currency\n\n\
         Actor subclass: Account\n  state: balance = 0\n  deposit: n =>\n    self.balance := self.balance + n.\n    self.balance\n  balance => self.balance\n  fail => 1 / 0\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "Loaded: Greeter, LoudGreeter, Money, Account\n");
    l.check("Greeter default greet: \"Ada\"", "Hello, Ada!");
    l.check("Greeter new", "a Greeter");
    l.check("LoudGreeter new greet: \"bob\"", "HELLO, BOB!");
    l.check(
        "Money amount: 5 currency: #USD",
        "Money(amount: 5, currency: #USD)",
    );
    l.check(
        "(Money amount: 5) + (Money amount: 7)",
        "Money(amount: 12, currency: #EUR)",
    );
    l.check("(Money amount: 3) =:= (Money amount: 3)", "true");
    l.check("(Money new: #{#amount => 9}) amount", "9");
    let (code, spawned) = l.eval("acc := Account spawn");
    assert_eq!(code, 0);
    assert!(
        spawned.starts_with("Actor(Account, <"),
        "actors print as Actor(Class, pid): {spawned}"
    );
    l.check("acc", &spawned);
    l.check("acc deposit: 10", "10");
    l.check("acc deposit: 5", "15");
    l.check("acc deposit: 1!", "nil");
    l.check("acc balance", "16");
    l.check_error("acc fail", "badarith");
    l.check("acc balance", "16");
    l.check("(Account spawnWith: #{#balance => 100}) balance", "100");
    l.check(
        "Account >> balance => self.balance * 2",
        "a CompiledMethod (#balance in Account)",
    );
    l.check("acc balance", "32");
    l.check("Greeter name", "Greeter");
    l.check("LoudGreeter superclass", "Greeter");
}

/// Blocks nested deeper than the compiler keeps them in one function (it lifts them into functions of
/// their own): captured variables, `^` out of five blocks, and 150 nested conditionals (which took OTP's
/// compiler time superlinear in the depth before) all behave, and load within the default timeout.
#[test]
fn deeply_nested_blocks_behave_and_load_promptly() {
    let l = Lang::started();
    let mut body = "y := 1".to_owned();
    for i in 0..150 {
        body = format!("y > {i} ifTrue: [{body}] ifFalse: [y := {i}]");
    }
    let src = format!(
        "Object subclass: Nest\n  run: x =>\n    y := x\n    {body}\n    y\n  \
         find: k =>\n    b1 := [:a | b2 := [:b | b3 := [:c | b4 := [:d | b5 := [:e | e = k ifTrue: [^a + b + c + d + e]. 0]. \
         b5 value: 5]. b4 value: 4]. b3 value: 3]. b2 value: 2]\n    b1 value: 1\n    0\n"
    );
    let (code, out, err) = l.load("nest.bt", &src);
    assert_eq!(code, 0, "{out}{err}");
    l.check("Nest new run: 500", "1");
    l.check("Nest new run: 100", "149");
    l.check("Nest new find: 5", "15");
    l.check("Nest new find: 6", "0");
}

#[test]
fn load_errors_leave_the_loaded_version() {
    let l = Lang::started();
    let (code, _, _) = l.load("a.bt", "Object subclass: Thing\n  value => 1\n");
    assert_eq!(code, 0);
    let (code, _, err) = l.load("b.bt", "Object subclass: Thing\n  value => [1 +\n");
    assert_eq!(code, 2, "a syntax error is a usage error");
    assert!(err.contains("b.bt:2:"), "{err}");
    assert!(err.contains('^'), "caret diagnostic: {err}");
    let (code, out, _) = l.load("c.bt", "Nope subclass: Other\n  value => 2\n");
    assert_eq!(code, 1);
    assert!(out.contains("unknown_class"), "{out}");
    l.check("Thing new value", "1");
}

/// A conditional whose receiver is no Boolean is an ordinary send of the conditional's selector, its
/// blocks real blocks: a class may answer `ifTrue:ifFalse:` itself, the blocks assign the method's
/// locals and return from it; anything else does not understand. (That rare path is kept as data and
/// evaluated, not compiled into every method.)
#[test]
fn a_conditional_sent_to_something_else_than_a_boolean_is_an_ordinary_send() {
    let l = Lang::started();
    let (code, out, err) = l.load(
        "maybe.bt",
        "Object subclass: Maybe\n  ifTrue: t ifFalse: f => f value\n  ifTrue: t => t value\n  and: b => #maybe\n\nObject subclass: User\n  run: c =>\n    n := 1\n    c ifTrue: [n := 10] ifFalse: [n := n + 20]\n    n\n  early: c =>\n    c ifTrue: [^#yes]\n    #no\n  both: c => c and: [#never]\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    l.check("User new run: true", "10");
    l.check("User new run: Maybe new", "21");
    l.check("User new early: false", "no");
    l.check("User new early: Maybe new", "yes");
    l.check("User new both: Maybe new", "maybe");
    l.check_error("User new run: 3", "does_not_understand");
    // The same in a REPL line compiled to a module of its own (it loops).
    l.check(
        "s := 0. 1 to: 2 do: [:i | s := s + (Maybe new ifTrue: [1] ifFalse: [5])]. s",
        "10",
    );
}

/// A directory's classes are compiled side by side on the node but installed in order: each is checked
/// against the classes installed before it (a superclass from the same load is known, a sealed one
/// refuses), and nothing after the first failure loads although it was compiled already.
#[test]
fn a_directory_installs_in_order_each_class_checked_against_those_before_it() {
    let l = Lang::started();
    let dir = l.project.path().join("batch");
    std::fs::create_dir(&dir).expect("mkdir");
    let files = [
        (
            "a.bt",
            "sealed Object subclass: Base\n  m => 1\n\nValue subclass: Parent\n  field: x = 7\n",
        ),
        ("b.bt", "Parent subclass: Child\n  m => self.x + 1\n"),
        ("c.bt", "Base subclass: Sub\n  m => 2\n"),
        ("d.bt", "Object subclass: Later\n  m => 3\n"),
    ];
    for (name, src) in files {
        std::fs::write(dir.join(name), src).expect("write");
    }
    let (code, out, err, _) = run(&mut l.cmd(&["load", "-w", "lang", "batch"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("cannot subclass Base: it is sealed"),
        "{out}{err}"
    );
    l.check("Child new m", "8");
    let (code, out) = l.eval("Later new m");
    assert_eq!(
        code, 1,
        "Later comes after the failure and must not load: {out}"
    );
}

/// Method modifiers (ADR 0071 and the generics chapter): `sealed` and `internal` before a method's
/// pattern, on either side and in either order with `class`; a subclass may not override a sealed
/// method (refused at load, naming the method), may override an internal one, and `sealed => ...`
/// still defines a method named `sealed`.
#[test]
fn sealed_methods_cannot_be_overridden_and_internal_ones_can() {
    let l = Lang::started();
    let base = "Value subclass: Shape\n  sealed area -> Integer => 0\n  class sealed make => self new\n  \
                sealed class unit => 1\n  internal helper => 1\n  sealed => 7\n\n\
                Shape subclass: Square\n  side => 2\n  internal helper => 3\n";
    let (code, out, err) = l.load("shape.bt", base);
    assert_eq!(code, 0, "{out}{err}");
    l.check(
        "Square new area + Square new helper + Shape new sealed + Shape unit",
        "11",
    );
    l.check("Square make side", "2");
    for (file, src, refused) in [
        ("a.bt", "Shape subclass: A\n  area => 5\n", "Shape>>area"),
        (
            "b.bt",
            "Shape subclass: B\n  class make => 5\n",
            "Shape class>>make",
        ),
        (
            "c.bt",
            "Square subclass: C\n  class unit => 2\n",
            "Shape class>>unit",
        ),
    ] {
        let (code, out, err) = l.load(file, src);
        assert_eq!(code, 1, "{file}: {out}{err}");
        let shown = format!("{out}{err}");
        assert!(
            shown.contains(&format!("cannot override {refused}: it is sealed")),
            "{file}: {shown}"
        );
    }
    l.check_error("A new", "unknown_class");
}

/// A class's own `doesNotUnderstand: selector args: arguments` answers every message no method answers
/// (a value's, an inherited one, an actor's in its own process, changing its state), with the selector
/// and the arguments as a List; a class without one still raises `does_not_understand`.
#[test]
fn a_class_of_its_own_doesnotunderstand_answers_unknown_messages() {
    let l = Lang::started();
    let src = "Object subclass: Ghost\n  doesNotUnderstand: sel args: args => \"{sel} {args size}\"\n\n\
               Ghost subclass: Shade\n  known => 1\n\n\
               Actor subclass: Proxy\n  state: seen = #()\n  \
               doesNotUnderstand: sel args: args =>\n    self.seen := self.seen , #(sel)\n    args\n  \
               seen => self.seen\n";
    let (code, out, err) = l.load("ghost.bt", src);
    assert_eq!(code, 0, "{out}{err}");
    l.check("Ghost new foo: 1 bar: 2", "foo:bar: 2");
    l.check("Shade new zork", "zork 0");
    l.check("Shade new known", "1");
    l.check("p := Proxy spawn. p zork. p blah: 3", "#(3)");
    l.check("p seen", "#(#zork, #blah:)");
    l.check("Ghost new respondsTo: #zork", "false");
    l.check_error("Object new zork", "does_not_understand");
}

/// `Counter >> #increment` reads a method: a CompiledMethod with its selector, source as written and
/// class; defining one at the REPL answers the CompiledMethod it installed; a misspelt selector is an
/// error with the closest one as its hint.
#[test]
fn methods_are_read_as_compiled_methods() {
    let l = Lang::started();
    let (code, out, err) = l.load(
        "ctr.bt",
        "Actor subclass: Ctr\n  state: n = 0\n  increment => self.n := self.n + 1\n  add: k to: m => k + m\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    l.check("Ctr >> #increment", "a CompiledMethod (#increment in Ctr)");
    l.check(
        "(Ctr >> #increment) source",
        "increment => self.n := self.n + 1",
    );
    l.check("(Ctr >> #add:to:) argumentCount", "2");
    l.check("(Ctr >> #increment) methodClass", "Ctr");
    l.check(
        "Ctr >> bump => self.n := self.n + 2",
        "a CompiledMethod (#bump in Ctr)",
    );
    l.check("(Ctr >> #bump) source", "bump => self.n := self.n + 2");
    let (code, out) = l.eval("Ctr >> #incremnt");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("hint: did you mean #increment?"), "{out}");
}

/// A result, an interpolated value and `Transcript show:` use `displayString`: a class that defines it
/// decides how people see its instances; `printString` (and collections) keep the developer's form.
#[test]
fn display_string_is_what_people_see() {
    let l = Lang::started();
    let (code, out, err) = l.load(
        "money.bt",
        "Value subclass: Money\n  field: cents = 0\n  displayString => \"$\" , (self.cents / 100) printString\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    l.check("Money new: #{#cents => 250}", "$2.5");
    l.check("\"total: {Money new: #{#cents => 250}}\"", "total: $2.5");
    l.check(
        "(Money new: #{#cents => 250}) printString",
        "Money(cents: 250)",
    );
    l.check("#(#a, \"s\")", "#(#a, \"s\")");
    l.check("#sym", "sym");
}

/// Every class's own `initialize` runs when an actor starts, the most distant ancestor's first; a class
/// without one runs its parents' alone (ADR 0078: nobody writes `super initialize`).
#[test]
fn initialize_runs_up_the_class_chain_parents_first() {
    let l = Lang::started();
    let (code, out, err) = l.load(
        "chain.bt",
        "Actor subclass: Base\n  state: log = #()\n  initialize => self.log := self.log , #(#base)\n  log => self.log\n\nBase subclass: Middle\n\nMiddle subclass: Leaf\n  initialize => self.log := self.log , #(#leaf)\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    l.check("Leaf spawn log", "#(#base, #leaf)");
    // A `super initialize` written out of habit runs nothing twice.
    let (code, out, err) = l.load(
        "habit.bt",
        "Base subclass: Habit\n  initialize =>\n    super initialize\n    self.log := self.log , #(#habit)\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("warning: `super initialize` is redundant") && err.contains("habit.bt:3:5"),
        "the load warns where the send is: {err}"
    );
    l.check("Habit spawn log", "#(#base, #habit)");
    l.check("Middle spawn log", "#(#base)");
    l.check("Base spawn log", "#(#base)");
}

/// In a class declared `typed`, state with a type and no default must be set by the `initialize` chain
/// (a parent's `initialize` counts); one left nil fails the spawn with an InstantiationError naming it.
/// Anywhere else types change nothing.
#[test]
fn a_typed_class_requires_its_untyped_defaults_to_be_initialized() {
    let l = Lang::started();
    let (code, out, err) = l.load(
        "typed.bt",
        "typed Actor subclass: Conn\n  state: db :: String\n  state: port :: Integer = 5\n  port => self.port\n\nConn subclass: Ready\n  initialize => self.db := \"main\"\n\nActor subclass: Loose\n  state: db :: String\n  db => self.db\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out) = l.eval("Conn spawn");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(
            "ERROR: uninitialized_state: Conn state `db` (:: String) was not set by initialize"
        ),
        "{out}"
    );
    l.check(
        "[Conn spawn] on: InstantiationError do: [:e | e kind]",
        "uninitialized_state",
    );
    l.check("Ready spawn port", "5");
    l.check("Loose spawn db", "nil");
}

/// `self.x` names a slot the class or a superclass declares; a typo is an error at load naming the line
/// and the closest slot, and nothing of that class loads (it used to write a hidden slot, or read nil).
#[test]
fn a_slot_no_class_declares_is_an_error_at_load() {
    let l = Lang::started();
    let (code, _, _) = l.load(
        "base.bt",
        "Actor subclass: Tally\n  state: total = 0\n  total => self.total\n",
    );
    assert_eq!(code, 0);
    let (code, out, _) = l.load(
        "typo.bt",
        "Tally subclass: Sub\n  add: n => self.totl := self.total + n\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "line 2: `self.totl`: Sub has no state `totl`; hint: did you mean `self.total`?"
        ),
        "{out}"
    );
    l.check_error("Sub", "unknown_class");
    // Inherited slots and the class side's own classState are known.
    let (code, out, _) = l.load(
        "fine.bt",
        "Tally subclass: Sub\n  classState: made = 0\n  add: n => self.total := self.total + n\n  class made => self.made\n",
    );
    assert_eq!(code, 0, "{out}");
    l.check("s := Sub spawn. s add: 2. s total", "2");
}

#[test]
fn syntax_errors_exit_2_with_a_caret_and_nothing_runs() {
    let l = Lang::started();
    let (code, out, err, _) = run(&mut l.cmd(&["eval", "-w", "lang", "z := 1. [1 + 2"]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("expected `]` to close the block"), "{err}");
    assert!(err.contains("<eval>:1:15"), "{err}");
    assert!(err.contains("opened at line 1, column 9"), "{err}");
    let (code, out) = l.eval("z");
    assert_eq!(
        (code, out.as_str()),
        (1, "ERROR: undefined variable: z"),
        "nothing ran"
    );
}

#[test]
fn an_infinite_loop_is_stopped_by_the_timeout_and_the_workspace_survives() {
    let l = Lang::started();
    let (code, _, err, elapsed) = run(&mut l.cmd(&[
        "--timeout",
        "500ms",
        "eval",
        "-w",
        "lang",
        "[true] whileTrue: []",
    ]));
    assert_eq!(code, 5, "{err}");
    assert!(elapsed < std::time::Duration::from_secs(3));
    assert!(
        err.contains("stopped on the node") && err.contains("--timeout"),
        "says what happened and how to give it longer: {err}"
    );
    l.check("1 + 1", "2");
}

#[test]
fn standard_library_classes_written_in_beamtalk_are_there_without_loading() {
    let l = Lang::started();
    l.check(
        "(Point x: 1 y: 2) + (Point x: 10 y: 20)",
        "Point(x: 11, y: 22)",
    );
    l.check("(Point x: 3 y: 4) dist: Point origin", "5.0");
    l.check("Association key: #a value: 1", "#a -> 1");
    l.check("s := Stack spawn. s push: 1. s push: 2. s pop", "2");
    l.check("s size", "1");
    l.check("s pop. s pop", "nil");
    // Methods of built-in classes written in Beamtalk (`Number.bt`, `Collection.bt`).
    for (src, want) in [
        ("3 squared", "9"),
        ("-2 sign", "-1"),
        ("0.0 isZero", "true"),
        ("5 between: 1 and: 10", "true"),
        ("3 max: 7", "7"),
        ("2.5 min: 1", "1"),
        ("4 even", "true"),
        ("3 odd", "true"),
        ("#(1, 2, 3) anySatisfy: [:e | e > 2]", "true"),
        ("#(1, 2, 3) allSatisfy: [:e | e > 2]", "false"),
        ("#(1, 2, 3) count: [:e | e odd]", "2"),
        ("#{#a => 1} notEmpty", "true"),
        ("#() isNotEmpty", "false"),
        ("#[4, 5] count: [:e | e even]", "1"),
        ("3 respondsTo: #squared", "true"),
        (
            "#(nil isNil, 3 isNil, nil notNil, 3 notNil, 4 yourself)",
            "#(true, false, false, true, 4)",
        ),
        (
            "#(true & false, true | false, true xor: true, false not)",
            "#(false, true, false, true)",
        ),
        ("#(1, 2, 3) detect: [:e | e > 1]", "2"),
        ("#(1, 2, 3) detect: [:e | e > 5]", "nil"),
        (
            "#(#(1, 2) includes: 2, #(1, 2) includes: 2.0)",
            "#(true, false)",
        ),
        ("#{#a => 1, #b => 2} sum", "3"),
        ("#(1, 2, 3) sum", "6"),
        ("#(-3 abs, 2.5 negated, 12 gcd: -18)", "#(3, -2.5, 6)"),
        ("#(1, 2) detect: [:e | e > 5] ifNone: [#none]", "none"),
    ] {
        l.check(src, want);
    }
    l.check_error("2.5 even", "does_not_understand");
    // A user's extension of a class the library extends keeps the library's methods.
    l.check(
        "Integer >> double => self * 2",
        "a CompiledMethod (#double in Integer)",
    );
    l.check("#(4 even, 4 double)", "#(true, 8)");
}

#[test]
fn statements_end_at_newlines_unless_a_bracket_is_open_or_the_next_line_is_deeper() {
    let lang = Lang::started();
    lang.check("total := 0\ntotal := total + 5\ntotal", "5");
    lang.check("ok := true\n  and: [false]\nok", "false");
    lang.check(
        "n := 0\n#(1, 2,\n  3) do: [:x |\n  n := n + x\n  n := n * 10]\nn",
        "1230",
    );
    let (code, out, err) = lang.load(
        "tally.bt",
        "Object subclass: Tally\n  sumOf: list =>\n    total := 0\n    list do: [:x |\n      total := total + x]\n    total\n  describe: list =>\n    sum := self sumOf: list\n    \"sum {sum}\"\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    lang.check("Tally new sumOf: #(1, 2, 3)", "6");
    lang.check("Tally new describe: #(4, 5)", "sum 9");
    // Two lines are never joined into one send: the second line alone is not an expression.
    let (code, out) = lang.eval("x := 1\n+ 2");
    assert_eq!(code, 2, "{out}");
}

#[test]
fn type_annotations_are_kept_out_of_the_way_and_files_may_extend_their_classes() {
    let lang = Lang::started();
    let (code, out, err) = lang.load(
        "account.bt",
        "Actor subclass: Account\n  state: balance :: Integer = 0\n  deposit: amount :: Integer -> Integer =>\n    self.balance := self.balance + amount\n    self.balance\n\nAccount >> withdraw: amount :: Integer -> Integer =>\n  self.balance := self.balance - amount\n  self.balance\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "Loaded: Account, Account>>withdraw:", "{out}");
    lang.check("a := Account spawn. a deposit: 10. a withdraw: 3", "7");
    lang.check(
        "x :: Integer := 5\ny :: Array(Integer) | Nil := x + 1\ny",
        "6",
    );
    let (code, out) = lang.eval("z :: := 1");
    assert_eq!(code, 2, "{out}");
}

#[test]
fn unknown_names_and_classes_are_errors_at_the_right_time() {
    let lang = Lang::started();
    let (code, out) = lang.eval("nosuch + 1");
    assert_eq!(
        (code, out.as_str()),
        (1, "ERROR: undefined variable: nosuch")
    );
    let (code, out) = lang.eval("Nosuch new");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown class Nosuch"), "{out}");
    assert!(!out.contains("bt_class_"), "no Erlang internals: {out}");
    // In a method, a name neither passed nor assigned is a compile error with a caret.
    let (code, out, err) = lang.load(
        "typo.bt",
        "Object subclass: Typo\n  sum: list =>\n    total := 0\n    list do: [:x | total := totl + x]\n    total\n",
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("undefined variable `totl`"), "{err}");
    assert!(err.contains("typo.bt:4:"), "{err}");
}

#[test]
fn an_actor_calling_a_method_with_temporaries_does_not_grow() {
    let lang = Lang::started();
    let (code, out, err) = lang.load(
        "temps.bt",
        "Actor subclass: Temps\n  work: x =>\n    a := x + 1\n    b := a * 2\n    b - x\n  loop: n =>\n    s := 0\n    1 to: n do: [:i | s := s + (self work: i)]\n    s\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let entries = "(Erlang erlang element: 2 with: (Erlang erlang process_info: t pid with: #dictionary)) size";
    lang.check("t := Temps spawn. t work: 1", "3");
    let (_, before) = lang.eval(entries);
    lang.check("1000 timesRepeat: [t work: 5]. t work: 5", "7");
    let (_, after) = lang.eval(entries);
    assert_eq!(before, after, "the actor's process dictionary grew");
}

#[test]
fn direct_paths_answer_as_the_ordinary_sends_do() {
    let lang = Lang::started();
    lang.check("(3 > 2) ifTrue: [#yes] ifFalse: [#no]", "yes");
    lang.check("x := 0. (1 > 2) ifFalse: [x := 5]. x", "5");
    lang.check("(1 > 2) ifTrue: [#never]", "false");
    lang.check(
        "#(true class, false class, true class superclass)",
        "#(True, False, Boolean)",
    );
    lang.check("(1 < 2) ifFalse: [#never]", "true");
    lang.check("(1 < 2) and: [3]", "false");
    lang.check("(1 > 2) or: [true]", "true");
    lang.check(
        "1000000000000 * 1000000000000 + 1",
        "1000000000000000000000001",
    );
    lang.check("1.5 + 2", "3.5");
    lang.check("1 = 1.0", "true");
    lang.check_error("nil ifTrue: [1]", "does_not_understand");
    lang.check_error("3 + nil", "");
    // In a method, `div:` and `\\` take Erlang's `div`/`rem` directly for a non-negative dividend and a
    // positive divisor; any other operands get the ordinary send (`div:` truncates, `\\` floors).
    let (code, out, err) = lang.load(
        "ops.bt",
        "Object subclass: Ops\n  class q: a by: b => #(a div: b, a \\\\ b)\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    lang.check("Ops q: 7 by: 2", "#(3, 1)");
    lang.check("Ops q: -7 by: 2", "#(-3, 1)");
    lang.check("Ops q: 7 by: -2", "#(-3, -1)");
    lang.check_error("Ops q: 7.5 by: 2", "does_not_understand");
    lang.check_error("Ops q: 1 by: 0", "");
}

#[test]
fn loops_in_methods_behave_as_the_sends_they_replace() {
    let lang = Lang::started();
    let (code, out, err) = lang.load(
        "loops.bt",
        "Object subclass: Loops\n  class sumTo: n =>\n    s := 0\n    1 to: n do: [:i | s := s + i]\n    s\n  class answer: n =>\n    1 to: n do: [:i | i * i > 50 ifTrue: [^i]]\n    nil\n  class toDoValue => 3 to: 1 do: [:i | i]\n  class floats =>\n    s := 0\n    1.5 to: 3 do: [:x | s := s + x]\n    s\n  class times: n =>\n    c := 0\n    r := n timesRepeat: [c := c + 2]\n    #(c, r)\n  class halve: n =>\n    k := n\n    steps := 0\n    [k > 1] whileTrue: [k := k div: 2. steps := steps + 1]\n    steps\n  class firstOver: n =>\n    k := 0\n    [true] whileTrue: [k := k + 1. k * k > n ifTrue: [^k]]\n  class mixed =>\n    s := 0\n    1 to: 4 do: [:i | s := s + (i = 2 ifTrue: [0.5] ifFalse: [1])]\n    s\n  class fact: n =>\n    n < 2 ifTrue: [^1]\n    ^n * (self fact: n - 1)\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    // Clauses specialised for integers hand over to the general ones for anything else.
    lang.check("Loops mixed", "3.5");
    lang.check("Loops fact: 25", "15511210043330985984000000");
    lang.check("Loops fact: 3.0", "6.0");
    lang.check("Loops sumTo: 100", "5050");
    lang.check("Loops answer: 100", "8");
    lang.check("Loops toDoValue", "3");
    lang.check("Loops floats", "4.0");
    lang.check("Loops times: 4", "#(8, nil)");
    lang.check("Loops halve: 1000", "9");
    lang.check("Loops firstOver: 99", "10");
    lang.check_error("Loops times: nil", "does_not_understand");
}

#[test]
fn class_modifiers_pragmas_and_escaped_braces() {
    let lang = Lang::started();
    let (code, out, err) = lang.load(
        "shapes.bt",
        "abstract Object subclass: Shape\n  @expect dnu\n  describe => \"\\{shape} {self area}\"\n\nObject subclass: Square\n  area => 4\n\nsealed Shape subclass: Circle\n  area => 3\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    lang.check("Circle new describe", "{shape} 3");
    let (code, out) = lang.eval("Shape new");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("instantiation_error") && out.contains("abstract"),
        "{out}"
    );
    let (code, out, err) = lang.load("sub.bt", "Circle subclass: Oval\n  area => 2\n");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("cannot subclass Circle: it is sealed"),
        "{out}{err}"
    );
}

#[test]
fn destructuring_assignment_binds_each_part_or_names_the_mismatch() {
    let lang = Lang::started();
    lang.check("#(a, b) := #(1, 2). a + b", "3");
    lang.check(
        "{ok, v} := Erlang erlang list_to_tuple: #(#ok, 42). v",
        "42",
    );
    lang.check("{#ok, w} := Erlang erlang list_to_tuple: #(#ok, 7). w", "7");
    lang.check("#[_, #(x, y)] := #[0, #(5, 6)]. x * y", "30");
    let (code, out) = lang.eval("#(p, q) := #(1, 2, 3)");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("bad_match") && out.contains("#(p, q) does not match #(1, 2, 3)"),
        "{out}"
    );
    let (code, out) = lang.eval("p");
    assert_eq!(
        (code, out.as_str()),
        (1, "ERROR: undefined variable: p"),
        "nothing was bound"
    );
    let (code, out, err) = lang.load(
        "pairs.bt",
        "Object subclass: Pairs\n  class swap: pair =>\n    #(a, b) := pair\n    #(b, a)\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    lang.check("Pairs swap: #(1, 2)", "#(2, 1)");
}

#[test]
fn match_runs_the_first_arm_whose_pattern_matches() {
    let lang = Lang::started();
    lang.check(
        "1 match: [1 -> \"one\"; #(h, t) -> h; _ -> \"other\"]",
        "one",
    );
    lang.check(
        "#(7, 8) match: [1 -> \"one\"; #(h, t) -> h + t; _ -> \"other\"]",
        "15",
    );
    lang.check("#ok match: [1 -> \"one\"; _ -> \"other\"]", "other");
    let (code, out) = lang.eval("5 match: [1 -> 2]");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no arm of match: matches 5"), "{out}");
    let (code, out, err) = lang.load(
        "shape.bt",
        "Object subclass: Shape\n  class area: s =>\n    s match: [{#circle, r} -> 3 * r * r; {#rect, w, h} -> w * h; _ -> 0]\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    lang.check(
        "Shape area: (Erlang erlang list_to_tuple: #(#rect, 2, 5))",
        "10",
    );
    lang.check("Shape area: #none", "0");
}

/// `<<...>>` patterns cut a String's UTF-8 bytes (or any binary) into segments, in `match:` arms (with
/// guards) and destructuring, in compiled methods as at the prompt.
#[test]
fn binary_patterns_read_bytes_from_the_left() {
    let lang = Lang::started();
    lang.check(
        "\"ABC\" match: [<<first:8, _/binary>> -> first; _ -> 0]",
        "65",
    );
    lang.check(
        "\"ABC\" match: [<<_:8, rest/binary>> -> rest size; _ -> 0]",
        "2",
    );
    lang.check(
        "\"X\" match: [<<b:8, _/binary>> when: [b > 200] -> \"high\"; _ -> \"low\"]",
        "low",
    );
    lang.check(
        "<<n:16/little, tail/binary>> := (Erlang erlang list_to_binary: #(1, 0, 111, 107)). \"{n} {tail}\"",
        "1 ok",
    );
    let (code, out, err) = lang.load(
        "frames.bt",
        "Object subclass: Frames\n  class read: bin =>\n    bin match: [\n      <<\"BT\", len:8, body:len/binary>> -> body\n      ; <<c/utf8, _/binary>> -> c\n      ; _ -> nil]\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    lang.check(
        "Frames read: \"BT\" , (Erlang erlang list_to_binary: #(2)) , \"hi\"",
        "hi",
    );
    lang.check(
        "Frames read: \"BT\" , (Erlang erlang list_to_binary: #(5)) , \"hi\"",
        "66",
    );
    lang.check("Frames read: \"éa\"", "233");
    lang.check("Frames read: #notABinary", "nil");
    let (code, out) = lang.eval("<<a:8>> := \"ab\"");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("<<a:8/integer>> does not match"), "{out}");
    let (code, _, err, _) =
        run(&mut lang.cmd(&["eval", "-w", "lang", "x match: [<<a/binary, b:8>> -> a]"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("must be the last") && err.contains("<eval>:1:23"),
        "{err}"
    );
}

#[test]
fn class_state_is_shared_by_the_class_and_kept_across_reloads() {
    let lang = Lang::started();
    let src = "Object subclass: Registry\n  classState: count :: Integer = 0\n  classState: names = #()\n  class register: n =>\n    self.count := self.count + 1\n    self.names := self.names ++ #(n)\n    self.count\n  class names => self.names\n";
    let (code, out, err) = lang.load("registry.bt", src);
    assert_eq!(code, 0, "{out}{err}");
    lang.check("Registry register: #a. Registry register: #b", "2");
    lang.check("Registry names", "#(#a, #b)");
    let (code, out, err) = lang.load("registry.bt", &format!("{src}  class size => self.count\n"));
    assert_eq!(code, 0, "{out}{err}");
    lang.check("Registry size", "2");
    let (code, out) =
        lang.eval("Registry register: #c. Erlang beamtalk_rt field: Registry with: #nope");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("has no class state nope"), "{out}");
}

#[test]
fn locals_are_values_threaded_through_inlined_code_and_captured_by_blocks() {
    let lang = Lang::started();
    let (code, out, err) = lang.load(
        "vars.bt",
        "Actor subclass: Runner\n  run: b => b value\n\nObject subclass: Vars\n  class pipeline: xs =>\n    total := 0\n    count := 0\n    xs do: [:e | total := total + e. count := count + 1]\n    doubled := xs collect: [:e | e * 2]\n    evens := xs select: [:e | e \\\\ 2 = 0]\n    odds := xs reject: [:e | e \\\\ 2 = 0]\n    sum := xs inject: 0 into: [:a :e | a + e]\n    #(total, count, doubled, evens, odds, sum)\n  class onArray: arr =>\n    total := 0\n    arr do: [:e | total := total + e]\n    total\n  class nested: n =>\n    s := 0\n    1 to: n do: [:i | 1 to: i do: [:j | s := s + j]]\n    s\n  class adder: k => [:x | x + k]\n  class counter =>\n    n := 0\n    b := [n := n + 1]\n    b value. b value\n    n\n  class escaping =>\n    n := 0\n    ^[n := n + 1]\n  class branches: x =>\n    r := 0\n    x > 0 ifTrue: [r := 1] ifFalse: [r := -1]\n    x = 0 ifTrue: [r := 0]\n    r\n  class sign: x =>\n    x > 0 ifTrue: [^#positive]\n    x < 0 ifTrue: [^#negative]\n    #zero\n  class counted: xs =>\n    seen := 0\n    big := xs select: [:e | seen := seen + 1. e > 2]\n    #(big, seen)\n  class remote: r =>\n    k := 41\n    r run: [k + 1]\n  class captured =>\n    k := 1\n    b := [k]\n    k := 2\n    b value\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    lang.check(
        "Vars pipeline: #(1, 2, 3, 4)",
        "#(10, 4, #(2, 4, 6, 8), #(2, 4), #(1, 3), 10)",
    );
    // Not a List: the ordinary send, with the assigned local in a cell for its length.
    lang.check("Vars onArray: #[1, 2, 3]", "6");
    lang.check("Vars nested: 4", "20");
    lang.check("Vars counter", "2");
    lang.check("Vars branches: 5", "1");
    lang.check("Vars branches: -2", "-1");
    lang.check("Vars branches: 0", "0");
    lang.check("Vars sign: 3", "positive");
    lang.check("Vars sign: -3", "negative");
    lang.check("Vars sign: 0", "zero");
    lang.check("Vars counted: #(1, 2, 3, 4)", "#(#(3, 4), 4)");
    // Blocks capture by value when they are made...
    lang.check("Vars captured", "1");
    // ... so a block returned from a method, or run in another process, still sees its values.
    lang.check("adder := Vars adder: 5", "a Block/1");
    lang.check("adder value: 1", "6");
    lang.check("Vars remote: Runner spawn", "42");
    lang.check("k := 10. r := Runner spawn. r run: [k + 1]", "11");
    // Assigning a variable whose owner is gone, or from another process, is an error, not a lost write.
    lang.check_error("(Vars escaping) value", "invalid assignment");
    lang.check_error("r run: [k := 5]", "invalid assignment");
    lang.check("k", "10");
}

#[test]
fn a_repl_line_with_a_loop_is_compiled_and_behaves_as_an_interpreted_one() {
    let lang = Lang::started();
    lang.check(
        "s := 0. 1 to: 100000 do: [:i | s := s + i]. s",
        "5000050000",
    );
    lang.check("s", "5000050000");
    lang.check("n := 5. #(1, 2, 3) do: [:e | n := n + e]. n", "11");
    lang.check("k := 0. [k < 10] whileTrue: [k := k + 1]. k", "10");
    lang.check("#(1, 2, 3) collect: [:e | e * k]", "#(10, 20, 30)");
    lang.check("t := 0. #[1, 2] do: [:e | t := t + e]. t", "3");
    // Statements before a failing one complete; the failing one changes nothing.
    lang.check_error(
        "q := 3. r := 0. 1 to: q do: [:i | r := r + nowhere]",
        "undefined variable: nowhere",
    );
    lang.check("#(q, r)", "#(3, 0)");
    // `^` ends the line with its value; what the line assigned before it stays.
    lang.check("w := 0. 1 to: 3 do: [:i | w := w + i]. ^w. 99", "6");
    lang.check("w", "6");
    // Blocks made in a loop outlive the line (such a line is not compiled, so they keep working).
    lang.check(
        "bs := #(1, 2) collect: [:e | [e * 10]]. (bs at: 2) value",
        "20",
    );
    lang.check("(bs at: 1) value", "10");
}

#[test]
fn built_in_classes_are_open_to_extension_methods() {
    let lang = Lang::started();
    lang.check(
        "Integer >> double => self * 2",
        "a CompiledMethod (#double in Integer)",
    );
    lang.check("21 double", "42");
    lang.check("3 respondsTo: #double", "true");
    lang.check("3.5 respondsTo: #double", "false");
    // respondsTo: and dispatch read the same selectors (this was false while `3 isString` answered).
    lang.check("3 respondsTo: #isString", "true");
    lang.check("(Point x: 1 y: 2) respondsTo: #x", "true");
    lang.check("nil respondsTo: #ifNil:", "true");
    lang.check(
        "String >> shout => self asUppercase ++ \"!\"",
        "a CompiledMethod (#shout in String)",
    );
    lang.check("\"hi\" shout", "HI!");
    // Redefining replaces; other extensions of the class stay.
    lang.check(
        "Integer >> double => self * 3",
        "a CompiledMethod (#double in Integer)",
    );
    lang.check("2 double", "6");
    lang.check(
        "Integer class >> answer => 42",
        "a CompiledMethod (#answer in Integer class)",
    );
    lang.check("Integer answer + 2 double", "48");
    // An extension of a superclass reaches every subclass, user classes included.
    lang.check(
        "Number >> twice => self + self",
        "a CompiledMethod (#twice in Number)",
    );
    lang.check("2.5 twice", "5.0");
    lang.check(
        "Object >> hello => \"hello\"",
        "a CompiledMethod (#hello in Object)",
    );
    let (code, out, err) = lang.load(
        "ext.bt",
        "Object subclass: Plain\n  id => 1\n\nInteger >> triple =>\n  a := self\n  a + a\n    + a\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    lang.check("4 triple", "12");
    lang.check("Plain new hello", "hello");
    lang.check_error("Bogus >> x => 1", "unknown_class");
}

/// The constructs of the lowering's snapshot tests, compiled and run (in an actor, so fields are live).
#[test]
fn every_construct_compiles_and_runs_in_a_method() {
    let lang = Lang::started();
    let (code, out, err) = lang.load(
        "all.bt",
        "Actor subclass: All\n  state: count = 0\n  bump: a =>\n    self.count := self.count + a\n  literals: a => #(1, #sym, 2.5, nil, true, \"s\", #[a], #{#k => a})\n  interp: a => \"a is {a} and {a + 1}\"\n  matching: a =>\n    r := a match: [0 -> #zero; {ok, v} -> v; _ -> #other]\n    r\n  destr: a =>\n    #(x, y) := a\n    x + y\n  nlr: a =>\n    a do: [:e | e > 2 ifTrue: [^e]]\n    nil\n  operands: a => self helper: (x := 1) with: x\n  andor: a => (a > 1 and: [a < 9]) or: [a = 0]\n  csr: a => ((a collect: [:e | e * 2]) select: [:e | e > 2]) reject: [:e | e = 4]\n  wf: a =>\n    k := a\n    [k <= 0] whileFalse: [k := k - 1]\n    k\n  capture: a =>\n    k := a\n    [:x | x + k]\n  helper => 1\n  helper: x with: y => x + y\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    for (src, want) in [
        ("a := All spawn. a bump: 5. a bump: 2", "7"),
        (
            "a literals: 3",
            "#(1, #sym, 2.5, nil, true, \"s\", #[3], #{#k => 3})",
        ),
        ("a interp: 4", "a is 4 and 5"),
        (
            "#(a matching: 0, a matching: (Erlang erlang list_to_tuple: #(#ok, 7)), a matching: 3)",
            "#(#zero, 7, #other)",
        ),
        ("a destr: #(3, 4)", "7"),
        ("a nlr: #(1, 5, 9)", "5"),
        ("a operands: 0", "2"),
        (
            "#(a andor: 5, a andor: 0, a andor: 20)",
            "#(true, true, false)",
        ),
        ("a csr: #(1, 2, 3)", "#(6)"),
        ("a wf: 3", "0"),
        ("(a capture: 10) value: 1", "11"),
    ] {
        lang.check(src, want);
    }
}

#[test]
fn loading_a_directory_takes_its_subdirectories_too() {
    let lang = Lang::started();
    let dir = lang.project.path().join("src");
    std::fs::create_dir_all(dir.join("shapes/round")).expect("dirs");
    std::fs::create_dir_all(dir.join(".hidden")).expect("dirs");
    std::fs::write(
        dir.join("base.bt"),
        "Object subclass: Shape\n  sides => 0\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("shapes/round/circle.bt"),
        "Shape subclass: Circle\n  sides => 1\n",
    )
    .expect("write");
    std::fs::write(dir.join(".hidden/x.bt"), "this is not beamtalk (\n").expect("write");
    let (code, out, err, _) =
        run(&mut lang.cmd(&["load", "-w", "lang", dir.to_str().expect("utf8")]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Loaded: Shape, Circle"), "{out}");
    lang.check("Circle new sides + Shape new sides", "1");
}

#[test]
fn misspelt_selectors_classes_and_variables_get_a_did_you_mean_hint() {
    let l = Lang::started();
    let (code, _, err) = l.load("shop.bt", "Actor subclass: Basket\n  total => 0\n");
    assert_eq!(code, 0, "{err}");
    for (src, want) in [
        ("3.7 flor", "; hint: did you mean #floor?"),
        (
            "Baskett spawn",
            "unknown class Baskett; hint: did you mean Basket?",
        ),
        ("Strng new", "; hint: did you mean String?"),
        (
            "basket := 1. baskte + 1",
            "undefined variable: baskte; hint: did you mean basket?",
        ),
        ("Basket spawn totl", "; hint: did you mean #total?"),
    ] {
        let (code, out) = l.eval(src);
        assert_eq!(code, 1, "{src}: {out}");
        assert!(
            out.starts_with("ERROR: ") && out.ends_with(want),
            "{src}: {out}"
        );
    }
    // Nothing close: no hint rather than a wild guess.
    let (_, out) = l.eval("3 frobnicateWildly");
    assert!(!out.contains("hint"), "{out}");
}

/// `eval --json`: one document with the value as data (where it has a JSON form), its printString, the
/// output the evaluation wrote, and for a failure the error's kind, class, message and hint.
#[test]
fn eval_json_carries_value_print_string_output_and_error_parts() {
    let l = Lang::started();
    let json = |src: &str| {
        let (code, out, err, _) = run(&mut l.cmd(&["--json", "eval", "-w", "lang", src]));
        let doc: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{src}: {e}: {out}{err}"));
        (code, doc)
    };
    let (code, doc) =
        json("Transcript show: \"hi\"; cr. #(1, #two, \"three\", nil, true, 2.5, #{#a => 1})");
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        doc["value"],
        serde_json::json!([1, "two", "three", null, true, 2.5, {"a": 1}])
    );
    assert_eq!(
        doc["printString"],
        "#(1, #two, \"three\", nil, true, 2.5, #{#a => 1})"
    );
    assert_eq!(doc["output"], "hi\n");
    // No JSON form: the print string alone.
    let (_, doc) = json("Object new");
    assert_eq!(doc["printString"], "an Object");
    assert!(doc.get("value").is_none(), "{doc}");
    let (code, doc) = json("3.7 flor");
    assert_eq!(code, 1);
    assert_eq!(
        doc["error"],
        serde_json::json!({
            "kind": "does_not_understand",
            "class": "DoesNotUnderstand",
            "message": "Float does not understand #flor",
            "hint": "did you mean #floor?",
            "text": "ERROR: does_not_understand: Float does not understand #flor; hint: did you mean #floor?",
        })
    );
}

/// A block made at the REPL and kept by a value (a lazy Stream keeps its `collect:` block) still runs in
/// a later evaluation: lines whose blocks may be kept are never compiled to a module of their own
/// (which goes when the line ends).
#[test]
fn a_block_kept_by_a_stream_outlives_its_repl_line() {
    let l = Lang::started();
    l.check("s := (Stream from: 1) collect: [:n | n * n]. 0", "0");
    l.check("s take: 3", "#(1, 4, 9)");
}
