//! glibc's malloc arenas, limited before the worker starts its threads.
//!
//! glibc gives each thread that contends for the heap an arena of its own (up to 8 per core), and
//! memory freed in one arena is not reused by another: a worker whose runtimes (the host's, each
//! plugin's) and blocking pool move work between threads keeps several half-empty arenas resident.
//! Two arenas hold the worker's few live allocations well; the measurement is in docs/NOTES.md
//! (G11, host RSS during a call). `MALLOC_ARENA_MAX` in the environment still wins.

/// Most arenas glibc may create.
const MAX_ARENAS: i32 = 2;

/// Limits glibc's arenas for this process (call before any thread starts); a no-op on other C
/// libraries and when `MALLOC_ARENA_MAX` is set.
pub fn limit() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // mallopt(3) is unsafe to call (it touches allocator state); the workspace denies unsafe
        // code, so it is allowed for this one call.
        // SAFETY: called from `main` before any other thread exists; M_ARENA_MAX takes any
        // positive value and only bounds future arena creation.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, MAX_ARENAS);
        }
    }
}
