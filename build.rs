//! Builds the Erlang runtime (`runtime/`, a rebar3 umbrella) and embeds its compiled applications in the
//! binary, so `beamtalk` can install them on first use wherever it runs (see `src/workspace/runtime.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn main() {
    println!("cargo:rerun-if-changed=runtime/rebar.config");
    println!("cargo:rerun-if-changed=runtime/apps");
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
    std::fs::write(out.join("runtime_files.rs"), code).expect("write runtime_files.rs");
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
