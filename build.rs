//! Compiles the Erlang io proxy that the CLI loads onto nodes lacking it (see `src/dist/io_server.rs`).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = "runtime/apps/beamtalk_runtime/src/beamtalk_io_proxy.erl";
    println!("cargo:rerun-if-changed={src}");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let status = Command::new("erlc")
        .arg("-o")
        .arg(&out)
        .arg("+deterministic")
        .arg(src)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("erlc failed on {src} ({s})"),
        Err(e) => panic!(
            "cannot run erlc ({e}): Erlang/OTP is needed to build beamtalk; run `scripts/setup.sh` (installs it from Debian packages)"
        ),
    }
}
