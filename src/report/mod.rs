//! The report stage: every output file, each format in a file of its own, all written into a
//! staging folder inside `--out` and renamed into place only when every file is complete, so
//! a killed run never leaves a half-written file under a final name.

pub mod csvfmt;
mod manifest;
mod rejects;
mod scores;
mod summary;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

pub use manifest::{Manifest, Timings};
pub use summary::{segment_rows, tier_rows, GroupRow};

use crate::error::InputError;
use crate::pipeline::Scored;

/// The output folder, checked and staged before any work starts.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    staging: PathBuf,
    staged: Vec<String>,
    committed: bool,
}

impl OutDir {
    /// Creates `dir` if missing and a staging folder in it. Fails fast (before reading any
    /// ledger) when the folder cannot be created or written.
    pub fn prepare(dir: &Path) -> anyhow::Result<OutDir> {
        if dir.exists() && !dir.is_dir() {
            return Err(InputError::flag(
                "--out",
                format!("{} exists and is not a folder", dir.display()),
            )
            .into());
        }
        fs::create_dir_all(dir).map_err(|e| {
            InputError::flag("--out", format!("cannot create {}: {e}", dir.display()))
        })?;
        remove_stale_staging(dir);
        let staging = dir.join(format!(".custscore-tmp-{}", std::process::id()));
        fs::create_dir_all(&staging).map_err(|e| {
            InputError::flag("--out", format!("{} is not writable: {e}", dir.display()))
        })?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
            staging,
            staged: Vec::new(),
            committed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes one file into the staging folder through `write`.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let path = self.staging.join(name);
        let file =
            fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write(&mut w).with_context(|| format!("cannot write {}", self.dir.join(name).display()))?;
        let file = w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", path.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync {}", path.display()))?;
        self.staged.push(name.to_string());
        Ok(())
    }

    /// Renames every staged file into place, in the order written (the manifest last), and
    /// removes files of ours that this run did not produce (a stale `rejects.csv`).
    pub fn commit(mut self, stale: &[&str]) -> anyhow::Result<()> {
        for name in &self.staged {
            let to = self.dir.join(name);
            fs::rename(self.staging.join(name), &to)
                .with_context(|| format!("cannot move {} into place", to.display()))?;
        }
        for name in stale {
            if !self.staged.iter().any(|s| s == name) {
                let _ = fs::remove_file(self.dir.join(name));
            }
        }
        self.committed = true;
        let _ = fs::remove_dir(&self.staging);
        Ok(())
    }
}

/// Removes staging folders left by killed runs: those whose process is gone (Linux: no
/// `/proc/PID`). A folder of a run still going is left alone.
fn remove_stale_staging(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".custscore-tmp-"))
        else {
            continue;
        };
        let alive = Path::new("/proc")
            .exists()
            .then(|| Path::new("/proc").join(pid).exists());
        if alive == Some(false) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Every file the `score` command may write, in writing order.
pub const FILES: [&str; 8] = [
    "scores.csv",
    "tiers.csv",
    "segments.csv",
    "prospects.csv",
    "migration.csv",
    "changes.csv",
    "rejects.csv",
    "manifest.json",
];

/// Writes every report of a scored run into `out` and commits them.
pub fn write_all(
    scored: &Scored,
    mut out: OutDir,
    skip_bad_rows: bool,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    out.write("scores.csv", |w| scores::write(scored, w))?;
    out.write("tiers.csv", |w| {
        summary::write(&tier_rows(scored), "tier", w)
    })?;
    out.write("segments.csv", |w| {
        summary::write(&segment_rows(scored), "segment", w)
    })?;
    if scored.attributes.is_some() {
        let prospects = crate::prospects::classify(scored);
        out.write("prospects.csv", |w| crate::prospects::write(&prospects, w))?;
    }
    if let Some(cmp) = &scored.comparison {
        let rows = scored.run_rows();
        out.write("migration.csv", |w| {
            crate::compare::write_migration(cmp, &rows, w)
        })?;
        out.write("changes.csv", |w| {
            crate::compare::write_changes(cmp, &rows, w)
        })?;
    }
    if skip_bad_rows {
        out.write("rejects.csv", |w| rejects::write(&scored.rejects, w))?;
    }
    timings.write_ms = t.elapsed().as_millis() as u64;
    let manifest = Manifest::new(scored, timings);
    out.write("manifest.json", |w| {
        serde_json::to_writer_pretty(&mut *w, &manifest)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    out.commit(&FILES)
}

pub use csvfmt::fixed;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_only_on_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let mut out = OutDir::prepare(&dir).unwrap();
        out.write("a.csv", |w| Ok(w.write_all(b"x\n")?)).unwrap();
        assert!(!dir.join("a.csv").exists());
        out.commit(&[]).unwrap();
        assert_eq!(fs::read_to_string(dir.join("a.csv")).unwrap(), "x\n");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "staging folder removed"
        );
        // A run that fails before commit leaves nothing behind.
        let mut out = OutDir::prepare(&dir).unwrap();
        out.write("a.csv", |w| Ok(w.write_all(b"new\n")?)).unwrap();
        drop(out);
        assert_eq!(fs::read_to_string(dir.join("a.csv")).unwrap(), "x\n");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    }
}
