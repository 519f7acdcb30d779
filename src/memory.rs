//! Giving back to the system the memory the allocator keeps free.
//!
//! glibc's allocator gives each thread that allocates an arena of its own
//! and keeps what is freed there for reuse, never returning it: once the
//! screen's reading threads end, their arenas held 7-16 MiB, nearly all
//! free, resident until the program exits. `malloc_trim` returns the free
//! pages of every arena. No crate offers this call without `unsafe`, so it
//! is the one place the crate allows `unsafe` (the lint denies it
//! everywhere else).

/// Return the allocator's free pages to the system (glibc's
/// `malloc_trim(0)`); whether any were. Elsewhere (musl, macOS, Windows,
/// whose allocators give memory back themselves) nothing is done. It
/// walks and locks every arena in turn: call it after a burst of work
/// (the screen: every 256 blocks read, and once the read ends), not on
/// every small step.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() -> bool {
    // SAFETY: `malloc_trim` takes no pointer and only rearranges the
    // allocator's own free lists, under the allocator's locks.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// See the glibc version above: nothing to do here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    false
}

#[cfg(test)]
mod tests {
    /// Memory freed in an ended thread's arena goes back to the system:
    /// resident memory falls by most of what the thread freed.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_memory_in_an_ended_threads_arena_goes_back() {
        let rss = || {
            let s = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = s.lines().find(|l| l.starts_with("VmRSS")).unwrap().to_owned();
            line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
        };
        // Blocks of 16 KiB (below the size glibc maps on its own), written
        // so their pages are resident, each followed by a small one that
        // is kept: freed, the large ones leave holes between live blocks,
        // which the allocator keeps (only a free top is given back).
        let kept = std::thread::spawn(|| {
            let mut kept = Vec::new();
            let mut freed = Vec::new();
            for i in 0..4_000u32 {
                freed.push(vec![i as u8; 16 << 10]);
                kept.push(vec![i as u8; 64]);
            }
            drop(freed);
            kept
        })
        .join()
        .unwrap();
        let before = rss();
        assert!(super::release_free_memory(), "something was free to give back");
        let after = rss();
        assert!(before.saturating_sub(after) >= 40_000_000, "{before} → {after} bytes resident");
        drop(kept);
    }
}
