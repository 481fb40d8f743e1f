//! Builds the Erlang runtime (`runtime/`, a rebar3 umbrella) and embeds its compiled applications in the
//! binary, so `beamtalk` can install them on first use wherever it runs (see `src/workspace/runtime.rs`).
//!
//! The standard library's classes are written in Beamtalk (`runtime/apps/beamtalk_stdlib/src/*.bt`); they
//! are compiled here by the compiler crate (`crates/lang`, a build dependency) into abstract forms, which
//! `compile:forms/2` turns into BEAM files in the stdlib application.

use beamtalk_lang as lang;
use beamtalk_term as term;
use lang::ast::{Item, MethodDef};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn main() {
    println!("cargo:rerun-if-changed=runtime/rebar.config");
    println!("cargo:rerun-if-changed=runtime/apps");
    // The standard library is compiled by the crate's own compiler.
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let base = out.join("rebar3");
    let status = Command::new("rebar3")
        .arg("compile")
        .current_dir("runtime")
        .env("REBAR_BASE_DIR", &base)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("`rebar3 compile` in runtime/ failed ({s})"),
        Err(e) => panic!(
            "cannot run rebar3 ({e}): Erlang/OTP and rebar3 are needed to build beamtalk; run `scripts/setup.sh` (installs them from Debian packages)"
        ),
    }
    let lib = base.join("default/lib");
    compile_stdlib(
        Path::new(STDLIB_SRC),
        &out.join("stdlib-forms"),
        &lib.join("beamtalk_stdlib/ebin"),
    );
    write_catalog(&lib, &out.join("catalog.etf"));
    let mut files = Vec::new();
    for app in ["beamtalk_stdlib", "beamtalk_runtime", "beamtalk_workspace"] {
        collect(
            &lib.join(app).join("ebin"),
            &format!("{app}/ebin"),
            &mut files,
        );
    }
    files.sort();
    let mut hasher = Sha256::new();
    for (rel, abs) in &files {
        hasher.update(rel.as_bytes());
        hasher.update(std::fs::read(abs).expect("read compiled runtime file"));
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut code = format!(
        "/// Identifies this build of the runtime: a digest of every file below.\npub const VERSION: &str = {digest:?};\n"
    );
    code.push_str("/// Compiled runtime files: (path under the lib dir, contents).\npub static FILES: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .expect("write to string");
    }
    code.push_str("];\n");
    code.push_str("/// The standard library's Beamtalk sources: (file name, text).\npub static STDLIB_SOURCES: &[(&str, &str)] = &[\n");
    let src_dir = Path::new(STDLIB_SRC)
        .canonicalize()
        .expect("the stdlib sources");
    for path in &bt_sources(&src_dir) {
        let name = path.file_name().expect("a file name").to_string_lossy();
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to string");
    }
    code.push_str("];\n");
    std::fs::write(out.join("runtime_files.rs"), code).expect("write runtime_files.rs");
}

/// The classes a bare node of this runtime knows, as `beamtalk_catalog:classes/0` lists them (ETF): what
/// the editor server knows of the built-in classes when no workspace runs.
fn write_catalog(lib: &Path, out: &Path) {
    let code = "ok = file:write_file(os:getenv(\"BT_CATALOG\"), term_to_binary(beamtalk_catalog:classes())), halt(0).";
    let mut cmd = Command::new("erl");
    cmd.args(["-noshell", "-noinput"]);
    for app in ["beamtalk_stdlib", "beamtalk_runtime", "beamtalk_workspace"] {
        cmd.arg("-pa").arg(lib.join(app).join("ebin"));
    }
    let status = cmd
        .args(["-eval", code])
        .env("BT_CATALOG", out)
        .status()
        .expect("run erl to list the built-in classes");
    assert!(status.success(), "listing the built-in classes failed");
}

fn write_forms(dir: &Path, name: &str, forms: &eetf::Term) {
    let bytes = term::etf::encode(forms).expect("encode the forms");
    std::fs::write(dir.join(format!("{name}.forms")), bytes).expect("write the forms");
}

fn collect(dir: &Path, rel: &str, files: &mut Vec<(String, PathBuf)>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".beam") || name.ends_with(".app") {
            files.push((format!("{rel}/{name}"), path));
        }
    }
}

/// Where the standard library's Beamtalk sources are.
const STDLIB_SRC: &str = "runtime/apps/beamtalk_stdlib/src";

/// The `.bt` files of `dir`, sorted.
fn bt_sources(dir: &Path) -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the stdlib sources")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "bt"))
        .collect();
    sources.sort();
    sources
}

/// Compiles every `.bt` class of the standard library into `ebin`.
fn compile_stdlib(src_dir: &Path, forms_dir: &Path, ebin: &Path) {
    let _ = std::fs::remove_dir_all(forms_dir);
    std::fs::create_dir_all(forms_dir).expect("create the forms directory");
    let sources = bt_sources(src_dir);
    let mut extended = std::collections::BTreeSet::new();
    for path in &sources {
        println!("cargo:rerun-if-changed={}", path.display());
        let src = std::fs::read_to_string(path).expect("read a stdlib source");
        let name = path.display().to_string();
        let items =
            lang::parser::parse(&src).unwrap_or_else(|d| panic!("{}", d.render(&src, &name)));
        // Extension methods (`Integer >> even => ...`) of each built-in class: one module per class.
        let mut extensions: BTreeMap<String, (Vec<MethodDef>, Vec<MethodDef>)> = BTreeMap::new();
        for item in items {
            match item {
                Item::Class(class) => {
                    let forms = lang::compile::class(&class, &src)
                        .unwrap_or_else(|d| panic!("{}", d.render(&src, &name)));
                    write_forms(forms_dir, &class.name, &forms);
                }
                Item::Method {
                    class,
                    class_side,
                    method,
                } => {
                    let entry = extensions.entry(class).or_default();
                    match class_side {
                        true => entry.1.push(method),
                        false => entry.0.push(method),
                    }
                }
                Item::Statements(_) => {
                    panic!("{name}: only classes and methods belong in the library")
                }
            }
        }
        for (class, (methods, class_methods)) in extensions {
            assert!(
                extended.insert(class.clone()),
                "{name}: {class} is extended in two files; keep a class's extensions in one"
            );
            let forms = lang::compile::extension(&class, &methods, &class_methods, &src)
                .unwrap_or_else(|d| panic!("{}", d.render(&src, &name)));
            write_forms(forms_dir, &format!("ext_{class}"), &forms);
        }
    }
    let code = "Dir = os:getenv(\"BT_FORMS\"), Out = os:getenv(\"BT_EBIN\"), \
        [case compile:forms(binary_to_term(element(2, file:read_file(F))), [binary, return_errors]) of \
           {ok, M, Beam} -> ok = file:write_file(filename:join(Out, atom_to_list(M) ++ \".beam\"), Beam); \
           {ok, M, Beam, _} -> ok = file:write_file(filename:join(Out, atom_to_list(M) ++ \".beam\"), Beam); \
           Error -> io:format(standard_error, \"~s: ~p~n\", [F, Error]), halt(1) \
         end || F <- filelib:wildcard(filename:join(Dir, \"*.forms\"))], halt(0).";
    let status = Command::new("erl")
        .args(["-noshell", "-noinput", "-eval", code])
        .env("BT_FORMS", forms_dir)
        .env("BT_EBIN", ebin)
        .status()
        .expect("run erl to compile the standard library");
    assert!(status.success(), "compiling the standard library failed");
}
