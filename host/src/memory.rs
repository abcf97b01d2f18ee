//! Giving memory back after a compile in this process (a hot swap, or a first start
//! whose compiling child could not run; see `plugins::precompile`). Cranelift compiles
//! on many threads, and glibc keeps what they freed in per-thread arenas: without a
//! trim the process stays about 70 MB larger than a restart that loads the same
//! components from the compile cache.

/// Returns the allocator's free memory to the system. A no-op where the C library is
/// not glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_memory() {
    #[expect(
        unsafe_code,
        reason = "malloc_trim has no preconditions: it only hands free pages back to the kernel"
    )]
    // SAFETY: glibc's malloc_trim may be called at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Returns the allocator's free memory to the system. A no-op where the C library is
/// not glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}
