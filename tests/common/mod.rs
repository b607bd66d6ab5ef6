//! Helpers shared by the integration tests: run the real binary on fixtures in a temporary
//! folder and read back what it wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn custscore() -> Command {
    let mut c = Command::cargo_bin("custscore").expect("binary built");
    c.env_remove("RUST_LOG");
    c
}

pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Runs `score` on the given ledgers with extra args into `out`, expecting success.
pub fn score_ok(ledgers: &[&Path], out: &Path, extra: &[&str]) {
    let mut c = custscore();
    c.arg("score")
        .args(ledgers)
        .arg("--out")
        .arg(out)
        .args(extra)
        .arg("--quiet");
    c.assert().success();
}

/// A CSV file as a header and rows of strings.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Table {
        let mut r =
            csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect();
        Table { header, rows }
    }

    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// The values of one column.
    pub fn column(&self, name: &str) -> Vec<&str> {
        let i = self.col(name);
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }

    /// The row whose `customer_id` is `id`.
    pub fn customer(&self, id: &str) -> Vec<String> {
        let i = self.col("customer_id");
        self.rows
            .iter()
            .find(|r| r[i] == id)
            .unwrap_or_else(|| panic!("no customer {id}"))
            .clone()
    }

    pub fn get(&self, id: &str, column: &str) -> String {
        self.customer(id)[self.col(column)].clone()
    }
}

pub fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap()
}

fn run_ok(cmd: &mut std::process::Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Python interpreter with the given pinned packages: the one named by the environment
/// variable `env_var` if set, else a virtual environment made once under cargo's target
/// folder (`name`) and filled from PyPI.
pub fn python_with(name: &str, env_var: &str, pins: &[&str]) -> PathBuf {
    // Set and not empty: that interpreter (an empty value counts as unset).
    if let Some(p) = std::env::var_os(env_var).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    // Tests of one binary run in parallel: one makes the environment, the others wait for it
    // (two `venv --clear` and pip installs at once into one folder break each other).
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let py = venv.join("bin").join("python");
    let ready = venv.join(".ready");
    let want = pins.join("\n");
    if std::fs::read_to_string(&ready).ok().as_deref() != Some(want.as_str()) {
        run_ok(
            std::process::Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv),
        );
        run_ok(
            std::process::Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(pins),
        );
        std::fs::write(&ready, want).unwrap();
    }
    py
}

/// Runs a command and panics with its output if it fails.
pub fn run(cmd: &mut std::process::Command) {
    run_ok(cmd)
}
