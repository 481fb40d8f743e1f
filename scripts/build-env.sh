# Sourced by the other scripts: `triple` (this host's target) and, where it applies, the flags of the fast
# static build.
#
# A cold `beamtalk rpc` is mostly process start-up, and loading and relocating shared libraries was
# ~0.5 ms of it (README, Benchmarks), so on x86_64 Linux (glibc) the binary is linked statically
# (`crt-static`). The flags go to the target only, and are applied only when the target is named with
# `--target "$triple"`: then build scripts and proc-macros, which must stay dynamic, do not get them. A
# plain `cargo build` works on any host and gives an ordinary dynamic binary.
# `pack-relative-relocs` (RELR, binutils >= 2.38, glibc >= 2.36) shrinks the start-up relocation table
# from 146 KB to 2 KB. `getrandom_backend` makes the `getrandom` crate call glibc's getrandom(2) wrapper
# directly: in a static binary it cannot find it by `dlsym` and would open and poll /dev/random instead.
triple="$(rustc -vV | sed -n 's/^host: //p')"
if [ "$triple" = "x86_64-unknown-linux-gnu" ]; then
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS='-C target-feature=+crt-static -C link-arg=-Wl,-z,pack-relative-relocs --cfg getrandom_backend="linux_getrandom"'
fi
