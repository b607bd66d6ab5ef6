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
