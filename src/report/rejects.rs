//! `rejects.csv` (with `--skip-bad-rows`): every row that was not used, where it was and why.

use std::io::Write;

use crate::ledger::Reject;
use crate::report::csvfmt::cell;

pub fn write(rejects: &[Reject], w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = csv::WriterBuilder::new().from_writer(w);
    out.write_record(["file", "line", "column", "value", "reason", "record"])?;
    for r in rejects {
        let line = r.line.to_string();
        let cells = [
            cell(&r.file),
            cell(&line),
            cell(&r.column),
            cell(&r.value),
            cell(&r.reason),
            cell(&r.record),
        ];
        out.write_record(cells.iter().map(|c| c.as_bytes()))?;
    }
    out.flush()?;
    Ok(())
}
