//! Typed errors for mistakes in what the user gave us (files, flags, configuration).
//!
//! Every variant names the place (file, line, column, flag or key) and says what was expected.
//! `main` maps an [`InputError`] anywhere in the error chain to exit code 2, a
//! [`ResourceError`] (not enough memory) to 3; every other error (I/O on the output side, a
//! bug) exits with 1.

use std::path::PathBuf;

/// A problem with the user's input: the ledger, the attributes file, a flag or the config file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A flag's value cannot be used.
    #[error("{flag}: {message}")]
    Flag { flag: &'static str, message: String },

    /// The configuration file has an unknown key, a bad type or an out-of-range value.
    #[error("{path}: {message}")]
    Config { path: String, message: String },

    /// A ledger file lacks a column that a required role needs.
    #[error("{path}: no column for the {role} role (looked for {looked_for}); columns are: {columns}. Map it with --columns {role}=NAME")]
    MissingColumn {
        path: PathBuf,
        role: &'static str,
        looked_for: String,
        columns: String,
    },

    /// A column name asked for with `--columns` is not in the file.
    #[error("{path}: --columns {role}={name}: no such column; columns are: {columns}")]
    MappedColumnNotFound {
        path: PathBuf,
        role: &'static str,
        name: String,
        columns: String,
    },

    /// Two columns of one file would both fill the same role.
    #[error("{path}: column {name:?} appears {count} times in the header; rename one or map the role to another column")]
    DuplicateColumn {
        path: PathBuf,
        name: String,
        count: usize,
    },

    /// Files of one ledger disagree on their columns.
    #[error("{path}: its columns differ from those of {first}: {detail}")]
    ColumnsDiffer {
        path: PathBuf,
        first: PathBuf,
        detail: String,
    },

    /// Rows that could not be read, without `--skip-bad-rows`: the first few, and how many in all.
    #[error("{}\n{}", shown.join("\n"), bad_rows_summary(*total, shown.len()))]
    BadRows { shown: Vec<String>, total: usize },

    /// Nothing left to score.
    #[error("{0}")]
    Empty(String),

    /// A file that cannot be read as the format it claims to be.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
}

/// The last line of [`InputError::BadRows`]: how many rows were bad, how many of them are
/// listed, and how to go on without them.
fn bad_rows_summary(total: usize, shown: usize) -> String {
    if total == 1 {
        return "1 bad row in all; use --skip-bad-rows to write it to rejects.csv and go on".into();
    }
    let listed = if total > shown {
        format!(" (the first {shown} are listed)")
    } else {
        String::new()
    };
    format!("{total} bad rows in all{listed}; use --skip-bad-rows to write them to rejects.csv and go on")
}

impl InputError {
    pub fn flag(flag: &'static str, message: impl Into<String>) -> Self {
        InputError::Flag {
            flag,
            message: message.into(),
        }
    }
}

/// The machine cannot do the job as asked: not enough memory for the ledger.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ResourceError(pub String);

/// Exit code for an error chain: 3 when any link is a [`ResourceError`], 2 when any link is an
/// [`InputError`], else 1.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err
        .chain()
        .any(|e| e.downcast_ref::<ResourceError>().is_some())
    {
        return 3;
    }
    if err
        .chain()
        .any(|e| e.downcast_ref::<InputError>().is_some())
    {
        2
    } else {
        1
    }
}

/// Panics of a library call now being caught by [`catch_panic`], on any thread; while there
/// are any, panics print nothing (the caller reports them as an error of its own).
static CATCHING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Set by [`main_guard`]: a panic is then shown as custscore's internal error.
static IN_MAIN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The text of a panic's payload.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// A panic's message and where it was raised, as the hook last saw one it kept quiet
/// because some thread was in [`catch_panic`]: that panic may be on another thread and not
/// caught at all, and [`main_guard`] then shows it.
static QUIET: std::sync::Mutex<Option<(String, String)>> = std::sync::Mutex::new(None);

/// Whether the hook has shown an internal error.
static SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Tells the user that custscore has a bug: the panic's message and where it was raised.
fn show_internal_error(message: &str, at: &str) {
    SHOWN.store(true, std::sync::atomic::Ordering::SeqCst);
    eprintln!(
        "custscore: internal error: {message}{at}\nthis is a bug in custscore, not a problem with the input: please report it with the command line"
    );
}

/// The process's panic hook, once: quiet while [`catch_panic`] runs, one plain message under
/// [`main_guard`], and Rust's own message otherwise (the library used by another program).
fn install_panic_hook() {
    use std::sync::atomic::Ordering;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let shown = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = || {
                info.location()
                    .map(|l| format!(" (at {}:{})", l.file(), l.line()))
                    .unwrap_or_default()
            };
            if CATCHING.load(Ordering::SeqCst) > 0 {
                if let Ok(mut quiet) = QUIET.lock() {
                    *quiet = Some((panic_message(info.payload()), at()));
                }
                return;
            }
            if !IN_MAIN.load(Ordering::SeqCst) {
                return shown(info);
            }
            show_internal_error(&panic_message(info.payload()), &at());
            let trace = std::backtrace::Backtrace::capture();
            if trace.status() == std::backtrace::BacktraceStatus::Captured {
                eprintln!("{trace}");
            }
        }));
    });
}

/// Runs the binary's command and returns its exit code: `run`'s own, or 1 when custscore
/// panics (a bug, never the input's fault), as the README's exit-code table says, with the
/// panic on one line instead of Rust's message and exit code 101. The staging folder is
/// removed as the panic unwinds, as on any error. A panic raised while another thread was
/// in [`catch_panic`] (the hook kept quiet) is shown here: no run ends with exit 1 and no
/// word.
pub fn main_guard(run: impl FnOnce() -> i32) -> i32 {
    IN_MAIN.store(true, std::sync::atomic::Ordering::SeqCst);
    install_panic_hook();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|p| {
        let quiet = QUIET.lock().ok().and_then(|q| q.clone());
        let shown = SHOWN.load(std::sync::atomic::Ordering::SeqCst);
        if let Some((message, at)) = unshown(panic_message(&*p), shown, quiet) {
            show_internal_error(&message, &at);
        }
        1
    })
}

/// What [`main_guard`] still has to show of a panic it caught with `message`: nothing when
/// the hook showed an internal error, else the message, with the place the hook noted when
/// it kept quiet about a panic with the same message.
fn unshown(
    message: String,
    shown: bool,
    quiet: Option<(String, String)>,
) -> Option<(String, String)> {
    if shown {
        return None;
    }
    let at = quiet
        .filter(|(m, _)| *m == message)
        .map(|(_, at)| at)
        .unwrap_or_default();
    Some((message, at))
}

/// Runs `f`, a call into a library that can panic on a damaged file instead of returning an
/// error (polars' Parquet reader does, on some damaged footers), and returns the panic's
/// message as the error: the caller turns it into an [`InputError`] that names the file,
/// which exits 2 like any other bad input rather than as custscore's internal error.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    use std::sync::atomic::Ordering;
    install_panic_hook();
    CATCHING.fetch_add(1, Ordering::SeqCst);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.fetch_sub(1, Ordering::SeqCst);
    caught.map_err(|p| panic_message(&*p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_under_main_guard_exits_1() {
        assert_eq!(main_guard(|| 2), 2);
        assert_eq!(main_guard(|| -> i32 { panic!("a bug") }), 1);
        // A panic on another thread reaches the guard through its join.
        let joined = main_guard(|| {
            let h = std::thread::spawn(|| -> i32 { panic!("a worker's bug") });
            h.join().expect("a worker panicked")
        });
        assert_eq!(joined, 1);
    }

    #[test]
    fn a_panic_the_hook_kept_quiet_about_is_shown_by_the_guard() {
        let quiet = || Some(("boom".to_string(), " (at src/x.rs:3)".to_string()));
        assert_eq!(unshown("boom".into(), true, quiet()), None);
        assert_eq!(
            unshown("boom".into(), false, quiet()),
            Some(("boom".into(), " (at src/x.rs:3)".into()))
        );
        // The quiet panic was another one (caught where it was raised): no place.
        assert_eq!(
            unshown("other".into(), false, quiet()),
            Some(("other".into(), String::new()))
        );
        assert_eq!(
            unshown("boom".into(), false, None),
            Some(("boom".into(), String::new()))
        );
    }

    #[test]
    fn a_library_panic_is_returned_as_its_message() {
        assert_eq!(catch_panic(|| 7), Ok(7));
        let e = catch_panic(|| -> u8 { panic!("thrift bool field") }).unwrap_err();
        assert_eq!(e, "thrift bool field");
        let n = 3;
        let e = catch_panic(|| -> u8 { panic!("field {n}") }).unwrap_err();
        assert_eq!(e, "field 3");
    }
}
