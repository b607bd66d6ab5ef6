//! Command-line types (clap derive) and nothing else; `commands.rs` turns them into a
//! pipeline request.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Turn a sales ledger into a ranked, tiered view of its customers.
#[derive(Debug, Parser)]
#[command(name = "custscore", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score every customer of a ledger and write the ranked reports.
    #[command(after_help = SCORE_EXAMPLES)]
    Score(ScoreArgs),
    /// Fit the models on a calibration period and compare their predictions with what
    /// happened in the holdout period after it.
    #[command(after_help = BACKTEST_EXAMPLES)]
    Backtest(BacktestArgs),
    /// Compare two finished runs: tier migration, new and lost key accounts, biggest movers.
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Profile a ledger before scoring: columns and roles, rows, dates, customers, problems.
    #[command(
        after_help = "Examples:\n  custscore inspect testdata/sample_ledger.csv\n  custscore inspect 销售.csv --columns customer=客户编号,date=日期,amount=金额 --json"
    )]
    Inspect(InspectArgs),
    /// One page per account for a review meeting: metrics, scores and their parts, tier and
    /// why, flags, monthly revenue, product lines, predicted value (HTML and Markdown).
    ///
    /// LEDGER may instead be the folder of a finished `score` run: its inputs and settings are
    /// used. --out is a folder (account-ID.html and .md), or FILE.html / FILE.md for one
    /// customer.
    #[command(after_help = ACCOUNT_EXAMPLES)]
    Account(AccountArgs),
    /// Write or check a settings file.
    #[command(subcommand, after_help = CONFIG_EXAMPLES)]
    Config(ConfigCommand),
    /// Print a shell completion script on stdout.
    #[command(
        after_help = "Example:\n  custscore completions bash > ~/.local/share/bash-completion/completions/custscore"
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout.
    #[command(after_help = "Example:\n  custscore man > custscore.1 && man ./custscore.1")]
    Man,
}

const ACCOUNT_EXAMPLES: &str = "\
Examples:
  custscore account testdata/sample_ledger.csv --customer C00054 --out pages/
  custscore account out/ --customer C00054 --out C00054.html      (from a finished run)
  custscore account ledger.csv --customer C1 --customer C2 --attributes attrs.csv --out pages/";

#[derive(Debug, Args)]
pub struct AccountArgs {
    /// The customer id (repeat the flag for several pages).
    #[arg(long, required = true, value_name = "ID")]
    pub customer: Vec<String>,

    /// Everything `score` takes: the ledger (or the folder of a finished `score` run, whose
    /// inputs and settings are then used), reading flags, settings, attributes, model. The
    /// pages go to --out DIR as account-ID.html and account-ID.md, or, for one customer, to
    /// --out FILE.html or FILE.md.
    #[command(flatten)]
    pub score: ScoreArgs,
}

const CONFIG_EXAMPLES: &str = "\
Examples:
  custscore config init custscore.toml
  custscore config check custscore.toml";

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write the default settings, every key documented, to FILE (or stdout).
    Init {
        /// Where to write; refused if it exists. Without it, stdout.
        file: Option<PathBuf>,
    },
    /// Check a settings file: unknown keys and out-of-range values are errors naming the key.
    Check { file: PathBuf },
}

const COMPARE_EXAMPLES: &str = "\
Examples:
  custscore compare runs/2026-09 runs/2026-10 --out runs/2026-10-vs-09";

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The earlier run's folder.
    #[arg(value_name = "PREV_DIR")]
    pub previous: PathBuf,

    /// The later run's folder.
    #[arg(value_name = "CURR_DIR")]
    pub current: PathBuf,

    /// Output folder for migration.csv, changes.csv and comparison.json.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// Language of the tier and change labels: en or zh [default: the later run's]
    #[arg(long, value_name = "LANG", value_enum)]
    pub lang: Option<crate::lang::Lang>,

    /// No warnings or summary on stderr (errors are still printed)
    #[arg(long, short)]
    pub quiet: bool,
}

const BACKTEST_EXAMPLES: &str = "\
Examples:
  custscore backtest testdata/sample_ledger.csv --calibration-end 2026-04-30 --out bt/
  custscore backtest ledger.csv --calibration-end 1997-09-30 --holdout-end 1998-06-30 --time-unit weeks --out bt/";

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Last day of the calibration period (YYYY-MM-DD): the models see the rows up to it.
    #[arg(long, value_name = "DATE")]
    pub calibration_end: String,

    /// Last day of the holdout period [default: the ledger's last date]
    #[arg(long, value_name = "DATE")]
    pub holdout_end: Option<String>,

    #[command(flatten)]
    pub score: ScoreArgs,
}

const SCORE_EXAMPLES: &str = "\
Examples:
  custscore score testdata/sample_ledger.csv --out out/
  custscore score jan.csv feb.csv mar.csv --as-of 2025-03-31 --out out/
  custscore score 销售.csv --columns customer=客户编号,date=日期,amount=金额 --out out/
  custscore score ledger.csv --skip-bad-rows --config custscore.toml --out out/
  custscore score sales.xlsx --sheet 2026 --amount-format grouped --xlsx --out out/
  custscore score online_retail.csv --date-format %m/%d/%Y --skip-bad-rows --out out/
    (no amount column: each line's Quantity × UnitPrice)";

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Ledger files (CSV, Parquet or Excel .xlsx, by extension); several files form one ledger.
    /// CSV or Parquet may be gzip or zstd compressed (`ledger.csv.gz`); `-` reads one from
    /// standard input, and a pipe such as `<(some-export)` works too.
    #[arg(required = true, value_name = "LEDGER")]
    pub ledgers: Vec<PathBuf>,

    /// Output folder (created if missing).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub ledger: LedgerArgs,

    /// Score as of this date (YYYY-MM-DD); later rows are ignored [default: the ledger's last date]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    /// Write bad rows to DIR/rejects.csv and go on, instead of failing
    #[arg(long)]
    pub skip_bad_rows: bool,

    /// Settings file (TOML): weights, bins, tier rules, segment map, flag thresholds
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print a one-object JSON summary of the run on stdout (for pipelines)
    #[arg(long)]
    pub summary_json: bool,

    /// A finished earlier run (its --out folder) to compare with: tier changes, migration.csv, changes.csv
    #[arg(long, value_name = "PREV_DIR")]
    pub previous: Option<PathBuf>,

    /// Customer attributes (CSV or .xlsx, one row per customer): name, industry, size, influence, …
    #[arg(long, value_name = "FILE")]
    pub attributes: Option<PathBuf>,

    /// Worksheet of an .xlsx attributes file [default: the first sheet]
    #[arg(long, value_name = "NAME")]
    pub attributes_sheet: Option<String>,

    /// Format of the customer table: csv (scores.csv), parquet (scores.parquet) or json (scores.json)
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t)]
    pub format: crate::report::TableFormat,

    /// Do not draw the charts (DIR/charts/)
    #[arg(long)]
    pub no_charts: bool,

    /// Chart files: png (1600×900), svg or both
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t)]
    pub chart_format: crate::report::charts::ChartFormat,

    /// Also write DIR/custscore.xlsx: scores, tiers, segments (and migration) sheets, formatted for people
    #[arg(long)]
    pub xlsx: bool,

    /// Language of the labels in tables, charts and report.html: en or zh (战略 / 伙伴 / 优先 / 普通, 最可能购买 / 可能购买, …); column names stay English [default: en]
    #[arg(long, value_name = "LANG", value_enum)]
    pub lang: Option<crate::lang::Lang>,

    /// Buy-till-you-die model: bgnbd (BG/NBD) or pnbd (Pareto/NBD), both with Gamma-Gamma spend; or none [default: bgnbd]
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Days ahead for expected_purchases, p_buy and clv [default: 90]
    #[arg(long, value_name = "DAYS")]
    pub horizon: Option<u32>,

    /// Annual discount rate for clv, e.g. 0.1 for 10% [default: 0.1]
    #[arg(long, value_name = "RATE")]
    pub discount_rate: Option<f64>,

    /// Unit of the model parameters in the manifest: days or weeks [default: days]
    #[arg(long, value_name = "UNIT")]
    pub time_unit: Option<String>,

    /// No progress bars and no summary on stderr (errors are still printed)
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Ledger files (CSV, Parquet or Excel .xlsx); `-` reads CSV or Parquet from standard input.
    #[arg(required = true, value_name = "LEDGER")]
    pub ledgers: Vec<PathBuf>,

    #[command(flatten)]
    pub ledger: LedgerArgs,

    /// The profile as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// How to read the ledger files: shared by every command that reads one. Recorded as given
/// in a run's manifest (`read`), so that `account RUN_DIR` reads the ledger the same way.
#[derive(Debug, Clone, Default, Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LedgerArgs {
    /// Map roles to column names: customer=…,date=…,amount=…,invoice=…,product=…,quantity=…,industry=…,price=…
    #[arg(long, value_name = "ROLE=COLUMN,...")]
    pub columns: Option<String>,

    /// CSV delimiter: ',', ';', tab, '|' or any single character [default: detected]
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,

    /// Encoding of the CSV files when not UTF-8: gbk, gb18030, big5, shift_jis, utf-16le, windows-1252, … (a file with a UTF-16 byte-order mark is read as UTF-16 without it)
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,

    /// Date format (chrono strftime), for dates like 03/04/2025: %d/%m/%Y or %m/%d/%Y
    #[arg(long, value_name = "FORMAT")]
    pub date_format: Option<String>,

    /// How amounts are written: plain (1234.50), grouped (¥1,234.50, $1 234.50, (1,234.50)) or grouped-decimal-comma (1.234,50 €) [default: plain]
    #[arg(long, value_name = "STYLE")]
    pub amount_format: Option<String>,

    /// Worksheet of .xlsx/.xls/.ods ledgers [default: the first sheet]
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
}
