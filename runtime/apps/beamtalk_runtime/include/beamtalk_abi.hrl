%% The runtime's side of its contract with the code the compiler generates; the compiler's side is
%% `crates/lang/src/abi.rs', which also lists every runtime function generated code calls (`tests/abi.rs'
%% checks that each is exported). Runtime code that parses a module or function name back, or builds one,
%% uses these names rather than spelling the schemes again.

%% `bt_class_Counter': the module of user class `Counter'.
-define(BT_CLASS_MODULE_PREFIX, "bt_class_").
%% `bt_ext_Integer': the extension methods of a class (`Integer >> double => ...').
-define(BT_EXTENSION_MODULE_PREFIX, "bt_ext_").
%% `'i:increment'', `'c:new:'': the functions of instance-side and class-side methods.
-define(BT_INSTANCE_METHOD_PREFIX, "i:").
-define(BT_CLASS_METHOD_PREFIX, "c:").
%% A module's table of the expressions its rarely run code keeps as data: `'__deferred__'() -> {Tag, Entries}'
%% (see `beamtalk_rt:deferred_at').
-define(BT_DEFERRED_TABLE, '__deferred__').
%% The selectors a protocol's conforming classes answer (`Protocol define: Printable'): `'__protocol__'/0'.
-define(BT_PROTOCOL_CALLBACK, '__protocol__').
%% The module a compiled REPL line is loaded as; it exports `run/0'.
-define(BT_REPL_MODULE, bt_repl_line).
