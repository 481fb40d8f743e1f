//! The compiler↔runtime contract (`beamtalk_lang::abi`): every runtime function generated code calls is
//! exported by the runtime the binary ships, with the arity the compiler calls it with.

mod common;

use beamtalk::lang::abi::RUNTIME_FNS;
use common::Project;

#[test]
fn every_runtime_function_generated_code_calls_is_exported() {
    let p = Project::new();
    // One evaluation asks the workspace node about all of them and answers those it does not export.
    let listed: Vec<String> = RUNTIME_FNS
        .iter()
        .map(|f| format!("#(#{}, #{}, {})", f.module, f.name, f.arity))
        .collect();
    let expr = format!(
        "#({}) reject: [:f | Erlang code ensure_loaded: (f at: 1). \
         Erlang erlang function_exported: (f at: 1) with: (f at: 2) with: (f at: 3)]",
        listed.join(", ")
    );
    assert_eq!(p.eval_ok(&expr), "#()", "not exported by the runtime");
    // The check can fail: a function the runtime does not have is reported.
    assert_eq!(
        p.eval_ok(
            "#(#(#beamtalk_rt, #no_such_function, 1)) reject: [:f | Erlang code ensure_loaded: (f at: 1). \
             Erlang erlang function_exported: (f at: 1) with: (f at: 2) with: (f at: 3)]"
        ),
        "#(#(#beamtalk_rt, #no_such_function, 1))"
    );
}
