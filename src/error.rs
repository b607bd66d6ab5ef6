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
    #[error("{}\n{total} bad rows in all{}; use --skip-bad-rows to write them to rejects.csv and go on", shown.join("\n"), if *total > shown.len() { format!(" (the first {} are listed)", shown.len()) } else { String::new() })]
    BadRows { shown: Vec<String>, total: usize },

    /// Nothing left to score.
    #[error("{0}")]
    Empty(String),

    /// A file that cannot be read as the format it claims to be.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
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
