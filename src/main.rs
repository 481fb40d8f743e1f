//! The `beamtalk` binary: everything happens in `beamtalk::cli::start`.
//!
//! Most of a cold `beamtalk rpc` is process start, so the binary skips the Rust runtime's start-up
//! (`no_main`): on Linux it locates the main thread's stack by reading `/proc/self/maps`, ~0.15 ms here,
//! a tenth of a whole remote call. `start` does what the rest of it would (SIGPIPE ignored, stdout
//! flushed at exit). A stack overflow still stops the process (the kernel's guard gap), by SIGSEGV
//! rather than with Rust's message. Test builds keep the harness's `main`.
#![cfg_attr(not(test), no_main)]

/// The C entry point. Arguments reach `std::env::args` without it: glibc hands them to std first.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    beamtalk::cli::start()
}
