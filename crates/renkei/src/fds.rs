//! The process's file-descriptor table, grown once at start-up.
//!
//! Linux grows a process's descriptor table when a new descriptor does not fit (to the next
//! power of two) and then waits for an RCU grace period before the old table may be freed —
//! with the thread that opened the descriptor blocked meanwhile. In a server that thread is a
//! runtime worker accepting or opening a connection, and on this network's 2-core machines the
//! wait took 20–100 ms: every inquiry in flight stalled once each time the connection count
//! crossed 256, 512, 1024, … (seen as `expand_files` → `synchronize_rcu` in the worker threads'
//! kernel stacks during `renkei bench inquire --rate 5000`). Taking one descriptor near the
//! limit at start-up, before any traffic, grows the table once, to its final size.

/// Most descriptors the table is grown for (128 KiB of table at most).
const TABLE: u64 = 16_384;

/// Raises the soft limit on open files to the hard limit and grows the descriptor table to
/// that size (at most [`TABLE`]). Failures are ignored: the process works as before, only
/// with the stalls described above.
pub fn presize_descriptor_table() {
    // SAFETY: getrlimit/setrlimit read and write the plain struct passed; fcntl(F_DUPFD_CLOEXEC)
    // on standard error returns a new descriptor (or -1), which is closed at once and owned by
    // nothing else.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
        let size = limit.rlim_cur.min(TABLE);
        if size < 1_024 {
            return;
        }
        let fd = libc::fcntl(2, libc::F_DUPFD_CLOEXEC, (size - 1) as libc::c_int);
        if fd >= 0 {
            libc::close(fd);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The table is grown to the soft limit (at most [`super::TABLE`]) and the descriptor taken
    /// to grow it is closed again.
    #[test]
    fn the_descriptor_table_is_grown_once_at_start() {
        super::presize_descriptor_table();
        let field = |file: &str, prefix: &str, index: usize| -> u64 {
            std::fs::read_to_string(file)
                .unwrap()
                .lines()
                .find(|l| l.starts_with(prefix))
                .and_then(|l| l.split_whitespace().nth(index))
                .and_then(|v| v.parse().ok())
                .unwrap()
        };
        let size = field("/proc/self/status", "FDSize:", 1);
        let soft = field("/proc/self/limits", "Max open files", 3);
        let target = soft.min(super::TABLE);
        if target >= 1_024 {
            assert!(size >= target, "FDSize {size}, soft limit {soft}");
            let top = format!("/proc/self/fd/{}", target - 1);
            assert!(!std::path::Path::new(&top).exists(), "{top} left open");
        }
    }
}
