//! The contract between the code the compiler generates and the runtime it runs on: every runtime
//! function generated code calls, every tag of the terms it builds or matches, and the naming schemes of
//! class modules and method functions. Nothing else in the compiler spells a runtime name.
//!
//! The runtime's side of the same contract is `runtime/apps/beamtalk_runtime/include/beamtalk_abi.hrl`
//! (the tags and naming schemes its Erlang code parses back); `tests/abi.rs` loads the built runtime and
//! checks that every function listed here is exported with its arity.

use eetf::Term;

use crate::forms;

/// A runtime function that generated code calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeFn {
    pub module: &'static str,
    pub name: &'static str,
    pub arity: usize,
}

macro_rules! runtime_fns {
    ($($(#[doc = $doc:literal])* $id:ident = $module:literal : $name:literal / $arity:literal;)*) => {
        $($(#[doc = $doc])* pub const $id: RuntimeFn = RuntimeFn { module: $module, name: $name, arity: $arity };)*
        /// Every runtime function generated code may call.
        pub const RUNTIME_FNS: &[RuntimeFn] = &[$($id),*];
    };
}

runtime_fns! {
    /// `get(Frame, Name)`: a cell's value.
    GET = "beamtalk_rt": "get" / 2;
    /// `get(Frame, Name, Default)`: a cell's value, else `Default` (inside a block: the live cell, else the
    /// block's snapshot; at the REPL: a binding, else nil).
    GET_OR = "beamtalk_rt": "get" / 3;
    /// `peek(Frame, Name)`: a cell's value when a block is made (its snapshot).
    PEEK = "beamtalk_rt": "peek" / 2;
    /// `set(Frame, Name, Value)`.
    SET = "beamtalk_rt": "set" / 3;
    /// `invoke(CellNames, fun(Frame) -> Body end)`: a method body with cells, catching its `^`.
    INVOKE = "beamtalk_rt": "invoke" / 2;
    /// `scoped(Names, Values, fun(Frame) -> Send end)`: cells for the length of one send.
    SCOPED = "beamtalk_rt": "scoped" / 3;
    /// `deferred(Kept, Values)`: evaluates an expression kept as data (`term_to_binary` of the names of
    /// its variables and its abstract form) with those variables' values: code that runs too rarely to be
    /// worth compiling.
    DEFERRED = "beamtalk_rt": "deferred" / 2;
    /// `deferred_at(Module, Key, Value, ...)`: the same for an entry of `Module`'s table of deferred code
    /// ([`DEFERRED_TABLE`]), `Key` holding its index and the table's tag; one to [`DEFERRED_AT_MAX`] values.
    DEFERRED_AT_1 = "beamtalk_rt": "deferred_at" / 3;
    DEFERRED_AT_2 = "beamtalk_rt": "deferred_at" / 4;
    DEFERRED_AT_3 = "beamtalk_rt": "deferred_at" / 5;
    DEFERRED_AT_4 = "beamtalk_rt": "deferred_at" / 6;
    DEFERRED_AT_5 = "beamtalk_rt": "deferred_at" / 7;
    DEFERRED_AT_6 = "beamtalk_rt": "deferred_at" / 8;
    /// `deferred_many(Module, Key, {Value, ...})`: the same with the values in a tuple (none, or more
    /// than [`DEFERRED_AT_MAX`]).
    DEFERRED_MANY = "beamtalk_rt": "deferred_many" / 3;
    /// `non_local_return(Frame, Value)`: `^` inside a block.
    NON_LOCAL_RETURN = "beamtalk_rt": "non_local_return" / 2;
    /// The workspace's Transcript.
    TRANSCRIPT = "beamtalk_rt": "transcript" / 0;
    /// `field(Self, Name)`: a slot of a value or object.
    FIELD = "beamtalk_rt": "field" / 2;
    /// `set_field(Self, Name, Value)`.
    SET_FIELD = "beamtalk_rt": "set_field" / 3;
    /// `super_send(Class, Self, Selector, Args)`.
    SUPER_SEND = "beamtalk_rt": "super_send" / 4;
    /// `cast(Receiver, Selector, Args)`: `actor msg!`.
    CAST = "beamtalk_rt": "cast" / 3;
    /// `array(Items)`: `#[...]`.
    ARRAY = "beamtalk_rt": "array" / 1;
    /// `interpolate(Parts)`: `"a {b} c"`.
    INTERPOLATE = "beamtalk_rt": "interpolate" / 1;
    /// `match_arm(Value, Arms)`: the arm of a `match:` that applies, with the values of its names.
    MATCH_ARM = "beamtalk_rt": "match_arm" / 2;
    /// `destructure(Pattern, Value)`: the values of a pattern's names.
    DESTRUCTURE = "beamtalk_rt": "destructure" / 2;
    /// `send(Receiver, Selector, Args)`: an ordinary message send.
    SEND = "beamtalk_dispatch": "send" / 3;
    /// `enumerable(Collection)`: what an inlined collection loop walks.
    ENUMERABLE = "beamtalk_collection": "enumerable" / 1;
    /// A compiled REPL line saves the bindings its statements changed.
    CHECKPOINT = "beamtalk_repl_eval": "checkpoint" / 0;
    /// `'+'(X, Y)`, and the other number operators below, each named after its Erlang operator: the
    /// operator when both are numbers it cannot fail on, the send otherwise (see [`number_operator`]).
    OP_ADD = "beamtalk_op": "+" / 2;
    OP_SUB = "beamtalk_op": "-" / 2;
    OP_MUL = "beamtalk_op": "*" / 2;
    OP_LT = "beamtalk_op": "<" / 2;
    OP_GT = "beamtalk_op": ">" / 2;
    OP_LE = "beamtalk_op": "=<" / 2;
    OP_GE = "beamtalk_op": ">=" / 2;
    OP_EQ = "beamtalk_op": "==" / 2;
    OP_DIV = "beamtalk_op": "div" / 2;
    OP_REM = "beamtalk_op": "rem" / 2;
}

/// The runtime function for a number send whose fast path is Erlang operator `operator`: the same test,
/// operator and fallback as the inline form, in one call (code that runs once per call is smaller so).
pub fn number_operator(operator: &str) -> Option<RuntimeFn> {
    RUNTIME_FNS
        .iter()
        .find(|f| f.module == "beamtalk_op" && f.name == operator)
        .copied()
}

/// `Module:Function(Args)` for one of the runtime's functions.
pub fn call(l: i32, f: RuntimeFn, args: Vec<Term>) -> Term {
    debug_assert_eq!(args.len(), f.arity, "{}:{}", f.module, f.name);
    forms::call(l, f.module, f.name, args)
}

/// `{'$bt_class', Name}`: a class as a value.
pub const CLASS_TAG: &str = "$bt_class";
/// `{'$bt_actor', Class, Pid}`: an actor as a value.
pub const ACTOR_TAG: &str = "$bt_actor";
/// `throw({'$bt_nlr', Frame, Value})`: a `^` inside a block, caught by its method.
pub const NON_LOCAL_RETURN_TAG: &str = "$bt_nlr";
/// `{bt_slot, Name}`: the process-dictionary key of an actor's slot.
pub const SLOT_KEY: &str = "bt_slot";
/// The module a REPL line with a loop is compiled to; it exports `run/0`.
pub const REPL_MODULE: &str = "bt_repl_line";

/// The module of user class `class`.
pub fn class_module(class: &str) -> String {
    format!("bt_class_{class}")
}

/// The module that holds the extension methods of a class (`Integer >> double => self * 2`): the class
/// answers them before its own (see `beamtalk_class:responders/1`).
pub fn extension_module(class: &str) -> String {
    format!("bt_ext_{class}")
}

/// The function a method compiles to in its class's module: `i:sel` (instance side), `c:sel` (class side).
pub fn method_function(selector: &str, class_side: bool) -> String {
    match class_side {
        false => format!("i:{selector}"),
        true => format!("c:{selector}"),
    }
}

/// The local function a class-side method is also compiled to for when `self` is exactly its class
/// (`cx:fib:`): entered from the method's function, its `self` sends to the class's own methods call
/// them directly, with no test of `self` (it cannot change within a call).
pub fn exact_method_function(selector: &str) -> String {
    format!("cx:{selector}")
}

/// `deferred_at` by the number of values it passes (one to [`DEFERRED_AT_MAX`]).
pub const DEFERRED_AT: [RuntimeFn; DEFERRED_AT_MAX] = [
    DEFERRED_AT_1,
    DEFERRED_AT_2,
    DEFERRED_AT_3,
    DEFERRED_AT_4,
    DEFERRED_AT_5,
    DEFERRED_AT_6,
];
pub const DEFERRED_AT_MAX: usize = 6;

/// The function of a module whose code keeps expressions as data: `'__deferred__'() -> {Tag, Entries}`.
pub const DEFERRED_TABLE: &str = "__deferred__";

/// The functions every class module exports for the runtime (name, arity), besides its methods.
pub const CLASS_CALLBACKS: &[(&str, usize)] = &[
    ("__superclass__", 0),
    ("__modifiers__", 0),
    ("__fields__", 0),
    ("__class_state__", 0),
    ("__selectors__", 0),
    ("__source__", 0),
    ("__docs__", 0),
    ("__xref__", 0),
    ("__slot_uses__", 0),
    ("__required__", 0),
    ("__self_free_defaults__", 0),
    ("__method_sources__", 0),
    ("__superclass_params__", 0),
];

/// `'__protocol__'() -> [Selector]`: made only for a protocol (`Protocol define: Printable`), the
/// selectors a conforming class answers.
pub const PROTOCOL_CALLBACK: &str = "__protocol__";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_runtime_function_is_listed_once() {
        let mut seen: Vec<(&str, &str, usize)> = RUNTIME_FNS
            .iter()
            .map(|f| (f.module, f.name, f.arity))
            .collect();
        seen.sort_unstable();
        let before = seen.len();
        seen.dedup();
        assert_eq!(seen.len(), before);
    }

    #[test]
    fn naming_schemes() {
        assert_eq!(class_module("Counter"), "bt_class_Counter");
        assert_eq!(extension_module("Integer"), "bt_ext_Integer");
        assert_eq!(method_function("at:put:", false), "i:at:put:");
        assert_eq!(method_function("new", true), "c:new");
    }
}
