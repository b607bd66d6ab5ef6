//! `rejects.csv` (with `--skip-bad-rows`): every row that was not used, where it was and why.

use std::io::Write;

use crate::ledger::Reject;

pub fn write(rejects: &[Reject], w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = csv::WriterBuilder::new().from_writer(w);
    out.write_record(["file", "line", "column", "value", "reason", "record"])?;
    for r in rejects {
        out.write_record([
            r.file.as_str(),
            &r.line.to_string(),
            &r.column,
            &r.value,
            &r.reason,
            &r.record,
        ])?;
    }
    out.flush()?;
    Ok(())
}
