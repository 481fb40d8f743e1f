//! The contracts with the runtime: every runtime function generated code calls (`beamtalk_lang::abi`)
//! and every one the CLI calls (`beamtalk::workspace::node_api`) is exported by the runtime the binary
//! ships, with the arity it is called with.

mod common;

use beamtalk::lang::abi::RUNTIME_FNS;
use beamtalk::workspace::node_api;
use common::Project;

/// Those of `fns` (`(module, name, arity)`) the workspace node does not export, as Beamtalk prints them.
fn not_exported(p: &Project, fns: &[(&str, &str, usize)]) -> String {
    let listed: Vec<String> = fns
        .iter()
        .map(|(m, f, a)| format!("#(#{m}, #{f}, {a})"))
        .collect();
    p.eval_ok(&format!(
        "#({}) reject: [:f | Erlang code ensure_loaded: (f at: 1). \
         Erlang erlang function_exported: (f at: 1) with: (f at: 2) with: (f at: 3)]",
        listed.join(", ")
    ))
}

#[test]
fn every_runtime_function_the_cli_calls_is_exported() {
    let p = Project::new();
    let fns: Vec<(&str, &str, usize)> = node_api::ALL
        .iter()
        .map(|f| (f.module, f.name, f.arity))
        .collect();
    assert_eq!(not_exported(&p, &fns), "#()", "not exported by the runtime");
    assert_eq!(
        not_exported(&p, &[("beamtalk_workspace_meta", "info", 3)]),
        "#(#(#beamtalk_workspace_meta, #info, 3))",
        "the check can fail"
    );
}

#[test]
fn every_runtime_function_generated_code_calls_is_exported() {
    let p = Project::new();
    // One evaluation asks the workspace node about all of them and answers those it does not export.
    let fns: Vec<(&str, &str, usize)> = RUNTIME_FNS
        .iter()
        .map(|f| (f.module, f.name, f.arity))
        .collect();
    assert_eq!(not_exported(&p, &fns), "#()", "not exported by the runtime");
    // The check can fail: a function the runtime does not have is reported.
    assert_eq!(
        not_exported(&p, &[("beamtalk_rt", "no_such_function", 1)]),
        "#(#(#beamtalk_rt, #no_such_function, 1))"
    );
}
