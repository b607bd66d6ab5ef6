//! The SHA-256 of an input file for the manifest, taken on a background thread of the lowest
//! priority: on a large ledger hashing takes as long as a third of reading, and at low
//! priority it runs in the time the later single-threaded stages leave a core idle instead
//! of taking a core from the readers. It is waited for only when it is needed.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

/// A file's SHA-256 as lowercase hex, done or under way.
#[derive(Clone)]
pub struct FileDigest(Arc<Inner>);

struct Inner {
    /// The hex digest, or why the file could not be read.
    value: OnceLock<Result<String, String>>,
    worker: Mutex<Option<JoinHandle<Result<String, String>>>>,
}

impl FileDigest {
    /// A digest already taken.
    pub fn ready(hex: String) -> FileDigest {
        FileDigest(Arc::new(Inner {
            value: OnceLock::from(Ok(hex)),
            worker: Mutex::new(None),
        }))
    }

    /// Starts hashing the first `len` bytes of `path` (its size when opened; shown as
    /// `shown` in an error) on a thread of its own.
    pub fn spawn(path: &Path, shown: &str, len: u64) -> FileDigest {
        let (path, shown) = (path.to_path_buf(), shown.to_string());
        let worker = std::thread::spawn(move || {
            lower_priority();
            super::csv::sha256_of(&path, len).map_err(|e| format!("cannot read {shown}: {e}"))
        });
        FileDigest(Arc::new(Inner {
            value: OnceLock::new(),
            worker: Mutex::new(Some(worker)),
        }))
    }

    /// The hex digest, waiting for it if it is still being taken.
    pub fn get(&self) -> anyhow::Result<&str> {
        let value = self.0.value.get_or_init(|| {
            let worker = self.0.worker.lock().map(|mut w| w.take());
            match worker {
                Ok(Some(w)) => w
                    .join()
                    .unwrap_or_else(|_| Err("the hashing thread panicked".into())),
                _ => Err("the file's hash was lost".into()),
            }
        });
        value.as_deref().map_err(|e| anyhow::anyhow!("{e}"))
    }
}

impl std::fmt::Debug for FileDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.value.get() {
            Some(Ok(hex)) => write!(f, "{hex}"),
            Some(Err(e)) => write!(f, "error: {e}"),
            None => write!(f, "(being taken)"),
        }
    }
}

impl serde::Serialize for FileDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.get().map_err(serde::ser::Error::custom)?)
    }
}

/// Gives the calling thread the lowest scheduling priority (Linux: each thread has its own
/// nice value). Elsewhere it keeps the normal one.
fn lower_priority() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: setpriority on the calling thread's own id; no memory is involved.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
    }
}
