//! The report stage: every output file, each format in a file of its own, all written into a
//! staging folder inside `--out` and renamed into place only when every file is complete, so
//! a killed run never leaves a half-written file under a final name.

pub mod charts;
pub mod csvfmt;
pub mod html;
mod manifest;
mod rejects;
pub mod scores;
mod summary;
pub mod table;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub use manifest::{Manifest, Timings};
pub use summary::{segment_rows, tier_rows, GroupRow, GroupTable};

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

    /// The staging folder: for temporary files that must go when the run ends or is killed.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Writes one file into the staging folder through `write`.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let path = self.staging.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let file =
            fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = Writeback::new(file);
        write(&mut w).with_context(|| format!("cannot write {}", self.dir.join(name).display()))?;
        let file = w
            .finish()
            .with_context(|| format!("cannot write {}", self.dir.join(name).display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync {}", path.display()))?;
        self.staged.push(name.to_string());
        Ok(())
    }

    /// Renames every staged file into place, in the order written (the manifest last), and
    /// removes files of ours that this run did not produce (a stale `rejects.csv`).
    pub fn commit(mut self, stale: &[String]) -> anyhow::Result<()> {
        for name in &self.staged {
            let to = self.dir.join(name);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            fs::rename(self.staging.join(name), &to)
                .with_context(|| format!("cannot move {} into place", to.display()))?;
        }
        for name in stale {
            if !self.staged.iter().any(|s| s == name) {
                let _ = fs::remove_file(self.dir.join(name));
            }
        }
        // A chart folder left empty (a run with --no-charts after one with charts) goes too.
        let _ = fs::remove_dir(self.dir.join("charts"));
        self.committed = true;
        let _ = fs::remove_dir_all(&self.staging);
        Ok(())
    }
}

/// A file being written in 8 MiB blocks. Past its first block a file goes around the page
/// cache (Linux `O_DIRECT`): an output of a million customers (170 MB) is written to disk
/// once and read by nobody in this run, and through the cache the kernel would copy it into
/// fresh pages and then write them back on its own threads, both on the cores the run
/// needs. The `fsync` at the end waits for the disk either way. Where the file system
/// refuses direct writes, the blocks go through the cache, each 8 MiB handed to the disk as
/// soon as it is complete (`sync_file_range`) so that the `fsync` waits for the last few
/// megabytes only. A file smaller than a block (all but the customer table) is one plain
/// write.
struct Writeback {
    file: fs::File,
    /// The first block, as it grows (most files end within it).
    first: Vec<u8>,
    /// A later block's bytes at `start..start + STEP`, aligned for direct writes.
    buf: Vec<u8>,
    start: usize,
    len: usize,
    direct: bool,
    /// Whole blocks written: the first through the cache, the later ones directly when the
    /// file system allows it.
    blocks: u64,
}

impl Writeback {
    const STEP: usize = 8 << 20;
    /// Alignment of a direct write's memory, offset and length: the page size, a multiple
    /// of every disk's logical block.
    const ALIGN: usize = 4096;

    fn new(file: fs::File) -> Writeback {
        Writeback {
            file,
            first: Vec::new(),
            buf: Vec::new(),
            start: 0,
            len: 0,
            direct: false,
            blocks: 0,
        }
    }

    /// Writes the first block, through the cache.
    fn write_first(&mut self) -> std::io::Result<()> {
        self.file.write_all(&self.first)?;
        self.first = Vec::new();
        self.blocks = 1;
        self.start_writeback();
        self.direct = set_direct(&self.file, true);
        self.buf = vec![0; Self::STEP + Self::ALIGN];
        self.start = self.buf.as_ptr().align_offset(Self::ALIGN);
        Ok(())
    }

    /// Writes a later block, whole.
    fn write_block(&mut self) -> std::io::Result<()> {
        let (at, end) = (self.start, self.start + self.len);
        let mut done = 0;
        while at + done < end {
            match self.file.write(&self.buf[at + done..end]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // Refused (a file system without direct writes, or a short write that left
                // the offset unaligned): the rest through the cache.
                Err(e) if self.direct && e.raw_os_error() == Some(libc::EINVAL) => {
                    self.direct = !set_direct(&self.file, false);
                    if self.direct {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        self.len = 0;
        self.blocks += 1;
        if !self.direct {
            self.start_writeback();
        }
        Ok(())
    }

    /// Writes what is left and returns the file, to be synced.
    fn finish(mut self) -> std::io::Result<fs::File> {
        if self.blocks == 0 {
            self.file.write_all(&self.first)?;
        } else if self.len > 0 {
            // The tail is not a whole number of aligned blocks: through the cache.
            if self.direct {
                self.direct = !set_direct(&self.file, false);
            }
            let (at, end) = (self.start, self.start + self.len);
            self.file.write_all(&self.buf[at..end])?;
        }
        Ok(self.file)
    }

    #[cfg(target_os = "linux")]
    fn start_writeback(&mut self) {
        use std::os::fd::AsRawFd;
        let step = Self::STEP as i64;
        // SAFETY: a plain system call on a file descriptor we own; it reads no memory of
        // ours. A failure only means the data is written at the fsync instead.
        unsafe {
            libc::sync_file_range(
                self.file.as_raw_fd(),
                (self.blocks as i64 - 1) * step,
                step,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn start_writeback(&mut self) {}
}

/// Turns direct writes on or off for `file`; whether they are now as asked.
#[cfg(target_os = "linux")]
fn set_direct(file: &fs::File, on: bool) -> bool {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a file descriptor we own, with integer arguments only.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return !on;
        }
        let flags = if on {
            flags | libc::O_DIRECT
        } else {
            flags & !libc::O_DIRECT
        };
        libc::fcntl(fd, libc::F_SETFL, flags) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &fs::File, on: bool) -> bool {
    !on
}

impl Write for Writeback {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.blocks == 0 {
            let n = data.len().min(Self::STEP - self.first.len());
            self.first.extend_from_slice(&data[..n]);
            if self.first.len() == Self::STEP {
                self.write_first()?;
            }
            return Ok(n);
        }
        let (at, n) = (self.start + self.len, data.len().min(Self::STEP - self.len));
        self.buf[at..at + n].copy_from_slice(&data[..n]);
        self.len += n;
        if self.len == Self::STEP {
            self.write_block()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
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

/// Format of the customer table (`--format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    #[default]
    Csv,
    Parquet,
    Json,
}

impl TableFormat {
    /// The customer table's file name in this format.
    pub fn scores_file(self) -> &'static str {
        match self {
            TableFormat::Csv => "scores.csv",
            TableFormat::Parquet => "scores.parquet",
            TableFormat::Json => "scores.json",
        }
    }
}

/// What to write besides the fixed set of files.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outputs {
    /// Charts under `charts/` (`None`: `--no-charts`).
    pub charts: Option<charts::ChartFormat>,
    /// `rejects.csv` (`--skip-bad-rows`).
    pub rejects: bool,
    pub format: TableFormat,
    /// `custscore.xlsx` (`--xlsx`).
    pub xlsx: bool,
}

/// The workbook `--xlsx` writes.
pub const XLSX_FILE: &str = "custscore.xlsx";

/// Every file the `score` command may write, in writing order. A file of this list that a
/// run does not write is removed from `--out` when the run commits, so nothing stale (last
/// month's `rejects.csv`, a `scores.csv` beside this month's `scores.parquet`) stays beside it.
pub const FILES: [&str; 12] = [
    "scores.csv",
    "scores.parquet",
    "scores.json",
    "tiers.csv",
    "segments.csv",
    "prospects.csv",
    "migration.csv",
    "changes.csv",
    "rejects.csv",
    XLSX_FILE,
    "report.html",
    "manifest.json",
];

/// Writes every report of a scored run into `out` and commits them. Returns warnings for
/// the user (a customer table too long for one worksheet).
pub fn write_all(
    scored: &Scored,
    mut out: OutDir,
    outputs: Outputs,
    timings: &mut Timings,
) -> anyhow::Result<Vec<String>> {
    let t = std::time::Instant::now();
    let mut warnings = Vec::new();
    let customers = scores::ScoresTable(scored);
    let (tier_rows, segment_rows) = (tier_rows(scored), segment_rows(scored));
    let tiers = GroupTable {
        key: "tier",
        rows: &tier_rows,
        lang: scored.lang,
    };
    let segments = GroupTable {
        key: "segment",
        rows: &segment_rows,
        lang: scored.lang,
    };
    // The charts and report.html are drawn on a thread of their own while the tables are
    // written: on a large base the customer table and the charts take about as long.
    // The report always has the charts as SVG; the chart files follow --chart-format.
    let draw = match outputs.charts {
        Some(charts::ChartFormat::Svg) | None => charts::ChartFormat::Svg,
        Some(_) => charts::ChartFormat::Both,
    };
    let (drawn, tables) = crate::par::join(
        || -> anyhow::Result<_> {
            let (drawn, chart_warnings) = charts::score_charts(scored, &tier_rows, draw)?;
            let html = html::render(scored, &tier_rows, &segment_rows, &drawn);
            Ok((drawn, chart_warnings, html))
        },
        || write_tables(scored, &mut out, outputs, &customers, &tiers, &segments),
    );
    let migration = tables?;
    let (drawn, chart_warnings, report) = drawn?;
    warnings.extend(chart_warnings);
    if let Some(format) = outputs.charts {
        write_charts(&mut out, &drawn, format)?;
    }
    out.write("report.html", |w| Ok(w.write_all(report.as_bytes())?))?;
    if outputs.xlsx {
        let bytes = workbook(
            scored,
            &customers,
            &tiers,
            &segments,
            migration.as_ref(),
            out.staging(),
            &mut warnings,
        )?;
        out.write(XLSX_FILE, |w| Ok(w.write_all(&bytes)?))?;
    }
    timings.write_ms = t.elapsed().as_millis() as u64;
    for input in &scored.inputs {
        input.sha256.get()?;
    }
    let mut manifest = Manifest::new(scored, timings);
    manifest.files = out.staged.clone();
    out.write("manifest.json", |w| {
        serde_json::to_writer_pretty(&mut *w, &manifest)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    // The memory freed by the stages is given back while the files are renamed into place
    // (the renames wait on the file system; replacing the last run's 170 MB table took
    // ~40 ms), instead of by the kernel at exit after them.
    let trim = std::thread::spawn(crate::alloc::trim);
    let committed = out.commit(&all_files());
    let _ = trim.join();
    committed?;
    Ok(warnings)
}

/// Writes the customer table, `tiers.csv`, `segments.csv` and, as the run asks,
/// `prospects.csv`, `migration.csv`, `changes.csv` and `rejects.csv`. Returns the
/// migration table (for the workbook).
fn write_tables(
    scored: &Scored,
    out: &mut OutDir,
    outputs: Outputs,
    customers: &scores::ScoresTable,
    tiers: &GroupTable,
    segments: &GroupTable,
) -> anyhow::Result<Option<crate::compare::MigrationTable>> {
    out.write(outputs.format.scores_file(), |w| match outputs.format {
        TableFormat::Csv => table::csv(customers, w),
        TableFormat::Parquet => table::parquet(customers, w),
        TableFormat::Json => table::json(customers, w),
    })?;
    out.write("tiers.csv", |w| table::csv(tiers, w))?;
    out.write("segments.csv", |w| table::csv(segments, w))?;
    if scored.attributes.is_some() {
        let prospects = crate::prospects::classify(scored);
        out.write("prospects.csv", |w| crate::prospects::write(&prospects, w))?;
    }
    let mut migration = None;
    if let Some(cmp) = &scored.comparison {
        let rows = scored.run_rows();
        let m = crate::compare::MigrationTable {
            rows: crate::compare::migration_rows(cmp, &rows),
            lang: scored.lang,
        };
        out.write("migration.csv", |w| table::csv(&m, w))?;
        migration = Some(m);
        out.write("changes.csv", |w| {
            crate::compare::write_changes(cmp, &rows, scored.lang, w)
        })?;
    }
    if outputs.rejects {
        out.write("rejects.csv", |w| rejects::write(&scored.rejects, w))?;
    }
    Ok(migration)
}

/// Every file a `score` run may write, charts included: what a run does not write this time
/// is removed as stale.
pub fn all_files() -> Vec<String> {
    let mut files: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    files.extend(chart_files());
    files
}

fn chart_files() -> Vec<String> {
    charts::STEMS
        .iter()
        .flat_map(|s| [format!("charts/{s}.png"), format!("charts/{s}.svg")])
        .collect()
}

/// Stages drawn charts under `charts/`, the files `format` asks for.
pub fn write_charts(
    out: &mut OutDir,
    drawn: &[charts::Drawn],
    format: charts::ChartFormat,
) -> anyhow::Result<()> {
    for d in drawn {
        if let Some(png) = d
            .png
            .as_ref()
            .filter(|_| format != charts::ChartFormat::Svg)
        {
            out.write(&format!("charts/{}.png", d.stem), |w| Ok(w.write_all(png)?))?;
        }
        if let Some(svg) = d
            .svg
            .as_ref()
            .filter(|_| format != charts::ChartFormat::Png)
        {
            out.write(&format!("charts/{}.svg", d.stem), |w| {
                Ok(w.write_all(svg.as_bytes())?)
            })?;
        }
    }
    Ok(())
}

/// `custscore.xlsx`: one sheet per table, dated the run's as-of day (not today), so the same
/// run gives the same bytes.
fn workbook(
    scored: &Scored,
    customers: &scores::ScoresTable,
    tiers: &GroupTable,
    segments: &GroupTable,
    migration: Option<&crate::compare::MigrationTable>,
    temp: &Path,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
    let mut book = Workbook::new();
    book.set_tempdir(temp)?;
    let (y, m, d) = crate::ledger::parse::civil_from_days(scored.as_of);
    let day = ExcelDateTime::from_ymd(y as u16, m as u8, d as u8)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("custscore customer scores")
            .set_creation_datetime(&day),
    );
    let n = scored.customers.len();
    let left_out = table::xlsx_sheet(customers, &mut book, "scores", n)?;
    if left_out > 0 {
        warnings.push(format!(
            "{XLSX_FILE}: the scores sheet holds the top {} customers of {n} (a worksheet's limit); \
             the customer table file has them all",
            n - left_out
        ));
    }
    table::xlsx_sheet(tiers, &mut book, "tiers", tiers.rows.len())?;
    table::xlsx_sheet(segments, &mut book, "segments", segments.rows.len())?;
    if let Some(m) = migration {
        table::xlsx_sheet(m, &mut book, "migration", m.rows.len())?;
    }
    Ok(book.save_to_buffer()?)
}

pub use csvfmt::fixed;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_several_blocks_is_written_whole_in_order() {
        // Two whole blocks and a tail, in writes of odd sizes that straddle the blocks: the
        // first through the cache, the second directly (where the file system allows it),
        // the tail through the cache again.
        let tmp = tempfile::tempdir().unwrap();
        let want: Vec<u8> = (0..2 * Writeback::STEP + 12_345)
            .map(|i| (i % 251) as u8)
            .collect();
        for (name, sizes) in [
            ("odd", [1usize, 4093, 65_537, 3 << 20]),
            ("big", [Writeback::STEP + 7; 4]),
        ] {
            let path = tmp.path().join(name);
            let mut w = Writeback::new(fs::File::create(&path).unwrap());
            let mut at = 0;
            for size in sizes.iter().cycle() {
                if at == want.len() {
                    break;
                }
                let end = (at + size).min(want.len());
                w.write_all(&want[at..end]).unwrap();
                at = end;
            }
            assert_eq!(w.blocks, 2, "{name}");
            w.finish().unwrap().sync_all().unwrap();
            let got = fs::read(&path).unwrap();
            assert_eq!(got.len(), want.len(), "{name}");
            assert!(got == want, "{name}: the bytes differ");
        }
    }

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
