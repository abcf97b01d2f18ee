//! Giving memory back after the first start's compile. Cranelift compiles the
//! adapters on many threads, and glibc keeps what they freed in per-thread arenas:
//! without a trim the process stays about 70 MB larger than a restart that loads the
//! same adapters from the compile cache.

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
