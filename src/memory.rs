//! Process-wide allocator tuning for moving large terms.
//!
//! glibc serves allocations above 128 KiB with fresh `mmap`s and returns them on free, so every large
//! frame or binary (a 10 MB argument, a big reply) pays a page fault per 4 KiB page, each time; on the
//! machines measured here that made a 10 MB copy cost 5.5 ms instead of 1.2 ms. Raising the mmap and
//! trim thresholds lets freed memory be reused. The cost is that up to the trim threshold of freed memory
//! stays with the process, which suits a CLI and a REPL.

/// Allocations below this come from the heap and are reused after being freed.
const MMAP_THRESHOLD: i32 = 64 << 20;
/// Freed memory at the top of the heap beyond this is returned to the system.
const TRIM_THRESHOLD: i32 = 128 << 20;

/// Applies the tuning; call once at start-up, before other threads allocate.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts glibc's allocator parameters; it is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
