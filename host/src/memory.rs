//! The binary's allocator and giving memory back.
//!
//! The `switchyard` binary allocates with mimalloc: a proxied request makes a few
//! hundred small allocations (headers, JSON, the adapter's buffers, the log record), and
//! glibc's malloc spent about a sixth of the request's CPU in them; mimalloc's
//! thread-local free lists take a third off the CPU per request (tests/bench.sh). Its
//! default commits each 1 GiB arena eagerly on Linux, which with transparent huge pages
//! turns scattered small allocations into whole 2 MiB pages (about 25 MiB more at
//! idle), so [`tune_allocator`] has arenas commit on demand instead.
//!
//! After a compile in this process (a hot swap, or a first start whose compiling child
//! could not run; see `plugins::precompile`) Cranelift has freed memory on many
//! threads, and both allocators keep it: [`release_free_memory`] hands it back.

/// mimalloc's `mi_option_arena_eager_commit` (`mimalloc.h`, mimalloc 3), which the
/// `libmimalloc-sys` bindings do not name.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Sets mimalloc's options. The binary calls it before `main` (a constructor): the
/// option applies to arenas reserved after it is set, and the Rust runtime's first
/// allocation, before `main`, reserves the first one.
pub fn tune_allocator() {
    #[expect(
        unsafe_code,
        reason = "mi_option_set only stores an option value; it has no preconditions"
    )]
    // SAFETY: mi_option_set writes one option slot and may be called at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
    }
}

/// Returns both allocators' free memory to the system: mimalloc's (the Rust heap of
/// the binary) and the C library's (SQLite's, and everything in tests).
pub fn release_free_memory() {
    #[expect(
        unsafe_code,
        reason = "mi_collect only returns free pages to the OS; it has no preconditions"
    )]
    // SAFETY: mi_collect may be called from any thread at any time.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
    trim_c_heap();
}

/// glibc's free pages back to the kernel. A no-op where the C library is not glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_c_heap() {
    #[expect(
        unsafe_code,
        reason = "malloc_trim has no preconditions: it only hands free pages back to the kernel"
    )]
    // SAFETY: glibc's malloc_trim may be called at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// glibc's free pages back to the kernel. A no-op where the C library is not glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_c_heap() {}
