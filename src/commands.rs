//! Runs a parsed command line: resolves flags into a pipeline request, runs it and writes
//! the reports. The only place where clap types meet the core.

use anyhow::Context;

use crate::cli::{
    BacktestArgs, Cli, Command, CompareArgs, ConfigCommand, InspectArgs, LedgerArgs, ScoreArgs,
};
use crate::compare;
use crate::config::{ModelKind, Settings, TimeUnit};
use crate::error::InputError;
use crate::ledger::{parse, AmountFormat, ColumnMap, DateFormat, ReadOptions};
use crate::pipeline::{self, Request};
use crate::progress::Progress;
use crate::report::{self, OutDir, Timings};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Score(args) => score(&args),
        Command::Backtest(args) => backtest(&args),
        Command::Compare(args) => compare_runs(&args),
        Command::Inspect(args) => inspect(&args),
        Command::Account(args) => crate::account::run(&args),
        Command::Config(ConfigCommand::Init { file }) => config_init(file.as_deref()),
        Command::Config(ConfigCommand::Check { file }) => {
            let s = Settings::from_file(&file)?;
            eprintln!(
                "custscore: {}: valid (tiers by {:?}, model {:?})",
                file.display(),
                s.tiers.method,
                s.model.model
            );
            Ok(())
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "custscore", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(())
        }
    }
}

fn inspect(args: &InspectArgs) -> anyhow::Result<()> {
    let read = read_options(&args.ledger)?;
    let req = Request {
        ledgers: args.ledgers.clone(),
        read,
        ..Request::default()
    };
    check_ledgers(&req)?;
    let p = crate::inspect::profile(&req.ledgers, &req.read, &Progress::new(false))?;
    if args.json {
        println!("{}", serde_json::to_string(&p)?);
    } else {
        print!("{}", crate::inspect::render(&p));
    }
    Ok(())
}

/// The reading flags every ledger-reading command shares, resolved; each problem names its flag.
pub fn read_options(l: &LedgerArgs) -> Result<ReadOptions, InputError> {
    Ok(ReadOptions {
        columns: l
            .columns
            .as_deref()
            .map(ColumnMap::parse)
            .transpose()?
            .unwrap_or_default(),
        delimiter: l.delimiter.as_deref().map(parse_delimiter).transpose()?,
        date_format: date_format(l.date_format.as_deref())?,
        encoding: encoding(l.encoding.as_deref())?,
        amount_format: l
            .amount_format
            .as_deref()
            .map(AmountFormat::parse_flag)
            .transpose()
            .map_err(|e| InputError::flag("--amount-format", e))?
            .unwrap_or_default(),
        sheet: l.sheet.clone(),
        ..ReadOptions::default()
    })
}

fn encoding(label: Option<&str>) -> Result<Option<&'static encoding_rs::Encoding>, InputError> {
    label
        .map(|l| {
            encoding_rs::Encoding::for_label(l.trim().as_bytes()).ok_or_else(|| {
                InputError::flag("--encoding", format!("{l:?} is not an encoding name; expected e.g. utf-8, gbk, gb18030, big5, shift_jis, utf-16le, windows-1252"))
            })
        })
        .transpose()
}

fn date_format(f: Option<&str>) -> Result<DateFormat, InputError> {
    match f {
        Some(f) if f.trim().is_empty() => Err(InputError::flag("--date-format", "is empty")),
        Some(f) => Ok(DateFormat::Pattern(f.to_string())),
        None => Ok(DateFormat::Auto),
    }
}

fn config_init(file: Option<&std::path::Path>) -> anyhow::Result<()> {
    use std::io::Write;
    match file {
        None => {
            std::io::stdout().write_all(crate::config::DEFAULT_TOML.as_bytes())?;
        }
        Some(path) => {
            if path.exists() {
                return Err(InputError::flag(
                    "FILE",
                    format!("{} exists; not overwritten", path.display()),
                )
                .into());
            }
            std::fs::write(path, crate::config::DEFAULT_TOML)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "custscore: wrote the default settings to {}",
                path.display()
            );
        }
    }
    Ok(())
}

fn compare_runs(args: &CompareArgs) -> anyhow::Result<()> {
    let prev = compare::read_run(&args.previous, "PREV_DIR")?;
    let curr = compare::read_run(&args.current, "CURR_DIR")?;
    let mut out = OutDir::prepare(&args.out)?;
    let cmp = compare::compare(&prev, &curr.rows, curr.settings.as_ref());
    // Labels in the language asked for, else the later run's.
    let lang = args.lang.unwrap_or(curr.lang);
    let migration = compare::MigrationTable {
        rows: compare::migration_rows(&cmp, &curr.rows),
        lang,
    };
    out.write("migration.csv", |w| report::table::csv(&migration, w))?;
    out.write("changes.csv", |w| {
        compare::write_changes(&cmp, &curr.rows, lang, w)
    })?;
    let summary = cmp.summary();
    out.write("comparison.json", |w| {
        serde_json::to_writer_pretty(&mut *w, &summary)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    out.commit(&[])?;
    if !args.quiet {
        if let Some(w) = cmp.settings_warning() {
            eprintln!("custscore: warning: {w}");
        }
        eprintln!(
            "custscore: {} customers up, {} down, {} same, {} new, {} lost -> {}",
            summary.up,
            summary.down,
            summary.same,
            summary.new,
            summary.lost,
            args.out.display()
        );
    }
    Ok(())
}

fn backtest(args: &BacktestArgs) -> anyhow::Result<()> {
    let a = &args.score;
    if a.as_of.is_some() {
        return Err(InputError::flag(
            "--as-of",
            "backtest takes --calibration-end and --holdout-end instead",
        )
        .into());
    }
    if a.horizon.is_some() {
        return Err(InputError::flag(
            "--horizon",
            "in a backtest the holdout period is the horizon",
        )
        .into());
    }
    let date = |flag: &'static str, d: &str| {
        parse::parse_date(d.as_bytes(), &DateFormat::Auto)
            .map_err(|e| InputError::flag(flag, format!("{e}; expected YYYY-MM-DD")))
    };
    let calibration_end = date("--calibration-end", &args.calibration_end)?;
    let holdout_end = args
        .holdout_end
        .as_deref()
        .map(|d| date("--holdout-end", d))
        .transpose()?;
    if holdout_end.is_some_and(|h| h <= calibration_end) {
        return Err(InputError::flag("--holdout-end", "must be after --calibration-end").into());
    }
    let mut req = request(a)?;
    req.read.as_of = holdout_end;
    // Both count models side by side unless one is asked for.
    let models = match req.settings.model.model {
        _ if a.model.is_none() => vec![ModelKind::Bgnbd, ModelKind::Pnbd],
        ModelKind::None => {
            return Err(InputError::flag(
                "--model",
                "a backtest needs a model: bgnbd or pnbd (without --model, both)",
            )
            .into())
        }
        m => vec![m],
    };
    let out = OutDir::prepare(&a.out)?;
    check_ledgers(&req)?;
    let progress = Progress::new(a.quiet);
    let bt = crate::backtest::run(&req, calibration_end, &models, &progress)?;
    let charts = (!a.no_charts).then_some(a.chart_format);
    crate::backtest::write(&bt, out, charts, req.lang).context("writing the backtest reports")?;
    if !a.quiet {
        for m in &bt.models {
            for w in &m.fit.warnings {
                eprintln!("custscore: warning: {w}");
            }
        }
        let predicted: Vec<String> = bt
            .models
            .iter()
            .map(|m| match (m.predicted_total, m.mae) {
                (Some(total), Some(mae)) => {
                    format!("{} predicted {total:.1} (MAE {mae:.3})", m.model.label())
                }
                _ => format!("{} not fitted", m.model.label()),
            })
            .collect();
        eprintln!(
            "custscore: backtest of {} customer{}, calibration to {}, holdout to {}: {} repeat purchases actual; {} -> {}",
            bt.customers.len(),
            if bt.customers.len() == 1 { "" } else { "s" },
            parse::format_day(bt.calibration_end),
            parse::format_day(bt.holdout_end),
            bt.actual_total,
            predicted.join(", "),
            a.out.display()
        );
    }
    Ok(())
}

/// Every LEDGER is a file, `-` (standard input) or a pipe; a folder or a missing file is an
/// error before any work.
fn check_ledgers(req: &Request) -> anyhow::Result<()> {
    for path in &req.ledgers {
        if path.is_file() || crate::ledger::stream::is_stream(path) {
            continue;
        }
        let message = if path.is_dir() {
            format!(
                "{} is a folder: name the ledger files in it (for example {})",
                path.display(),
                path.join("*.csv").display()
            )
        } else {
            format!("{}: no such file", path.display())
        };
        return Err(InputError::flag("LEDGER", message).into());
    }
    Ok(())
}

fn score(args: &ScoreArgs) -> anyhow::Result<()> {
    let req = request(args)?;
    // Output folder first: a bad --out fails now, not after the work.
    let out = OutDir::prepare(&args.out)?;
    check_ledgers(&req)?;
    let progress = Progress::new(args.quiet);
    let mut timings = Timings::default();
    let scored = pipeline::score(&req, &progress, &mut timings)?;
    let outputs = report::Outputs {
        rejects: args.skip_bad_rows,
        format: args.format,
        xlsx: args.xlsx,
        charts: (!args.no_charts).then_some(args.chart_format),
    };
    let write_warnings =
        report::write_all(&scored, out, outputs, &mut timings).context("writing the reports")?;
    if args.summary_json {
        let m = crate::report::Manifest::new(&scored, &timings);
        let summary = serde_json::json!({
            "as_of": m.as_of,
            "out": args.out.display().to_string(),
            "rows": m.rows,
            "customers": m.customers,
            "model_fitted": scored.model.bgnbd.is_some() || scored.model.pnbd.is_some(),
            "warnings": scored.model.warnings,
            "comparison": m.comparison,
        });
        println!("{summary}");
    }
    if !args.quiet {
        for w in scored.model.warnings.iter().chain(&write_warnings) {
            eprintln!("custscore: warning: {w}");
        }
        if let Some(w) = scored
            .comparison
            .as_ref()
            .and_then(|c| c.settings_warning())
        {
            eprintln!("custscore: warning: {w}");
        }
    }
    if !args.quiet && scored.facts.duplicate_rows > 0 {
        eprintln!(
            "custscore: warning: {} rows repeat another row of the same customer exactly (date, amount, invoice, product); they are counted, see manifest.json base.duplicate_rows",
            scored.facts.duplicate_rows
        );
    }
    if !args.quiet {
        let rows: u64 = scored.inputs.iter().map(|i| i.rows_read).sum();
        let rejected = scored.rejects.len();
        eprintln!(
            "custscore: scored {} customers from {rows} rows{} as of {} -> {}",
            scored.customers.len(),
            if rejected > 0 {
                format!(" ({rejected} rejected, see rejects.csv)")
            } else {
                String::new()
            },
            parse::format_day(scored.as_of),
            args.out.display()
        );
    }
    // The process ends here: freeing a million customers' strings and columns one by one
    // took a quarter of a second on a 10M-row ledger, and the system takes the memory back
    // at once.
    std::mem::forget(scored);
    Ok(())
}

/// Resolves the flags into a request; every problem names its flag.
pub fn request(args: &ScoreArgs) -> anyhow::Result<Request> {
    let mut settings = match &args.config {
        Some(p) => Settings::from_file(p)?,
        None => Settings::default(),
    };
    // Flags override the file.
    if let Some(m) = &args.model {
        settings.model.model = match m.as_str() {
            "bgnbd" => ModelKind::Bgnbd,
            "none" => ModelKind::None,
            "pnbd" => ModelKind::Pnbd,
            other => {
                return Err(InputError::flag(
                    "--model",
                    format!("{other:?}: expected bgnbd, pnbd or none"),
                )
                .into())
            }
        };
    }
    if let Some(h) = args.horizon {
        if h == 0 {
            return Err(InputError::flag("--horizon", "expected at least 1 day").into());
        }
        settings.model.horizon_days = h;
    }
    if let Some(d) = args.discount_rate {
        if !(0.0..=10.0).contains(&d) {
            return Err(InputError::flag(
                "--discount-rate",
                format!("{d}: expected an annual rate from 0 to 10 (0.1 is 10%)"),
            )
            .into());
        }
        settings.model.discount_rate = d;
    }
    if let Some(u) = &args.time_unit {
        settings.model.time_unit = match u.as_str() {
            "days" | "day" | "d" => TimeUnit::Days,
            "weeks" | "week" | "w" => TimeUnit::Weeks,
            other => {
                return Err(InputError::flag(
                    "--time-unit",
                    format!("{other:?}: expected days or weeks"),
                )
                .into())
            }
        };
    }
    let as_of = args
        .as_of
        .as_deref()
        .map(|d| {
            parse::parse_date(d.as_bytes(), &DateFormat::Auto)
                .map_err(|e| InputError::flag("--as-of", format!("{e}; expected YYYY-MM-DD")))
        })
        .transpose()?;
    Ok(Request {
        ledgers: args.ledgers.clone(),
        read: ReadOptions {
            as_of,
            skip_bad_rows: args.skip_bad_rows,
            ..read_options(&args.ledger)?
        },
        attributes: args.attributes.clone(),
        attributes_sheet: args.attributes_sheet.clone(),
        previous: args.previous.clone(),
        settings,
        detail: Vec::new(),
        lang: args.lang.unwrap_or_default(),
        read_flags: pipeline::ReadFlags {
            ledger: args.ledger.clone(),
            skip_bad_rows: args.skip_bad_rows,
            attributes_sheet: args.attributes_sheet.clone(),
        },
    })
}

fn parse_delimiter(s: &str) -> Result<u8, InputError> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1
            && s.as_bytes()[0].is_ascii()
            && !matches!(s.as_bytes()[0], b'"' | b'\n' | b'\r') =>
        {
            Ok(s.as_bytes()[0])
        }
        _ => Err(InputError::flag(
            "--delimiter",
            format!("{s:?}: expected one ASCII character such as ',' ';' '|' or 'tab'"),
        )),
    }
}
