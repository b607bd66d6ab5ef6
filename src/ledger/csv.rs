//! CSV ledger reader: delimiter sniffing, BOM, header matching, row-by-row validation.
//!
//! Streams the file: a large ledger is never held in memory as text.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::{parse, Builder, InputStats, Resolved, Role};
use crate::error::InputError;
use crate::progress::Progress;

const BOM: &[u8] = b"\xEF\xBB\xBF";
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Files smaller than this are read by one thread.
const PARALLEL_MIN_BYTES: u64 = 16 << 20;

/// Reads one CSV file into the builder; returns its header.
///
/// A large file is split at line breaks into one part per core, each parsed by its own
/// thread into its own builder, and the parts are joined in file order (a file without
/// quotes is shared out further as it is read: [`Shares`]). A split is only
/// trusted when the part before it ends exactly there: a line break inside a quoted field
/// makes the parts disagree, and the file is then read again by one thread. The SHA-256 of
/// the whole file is taken by another thread from the same (cached) bytes.
///
/// `name` is the file as the user gave it, for messages and the manifest (`path` differs for
/// an input read from a copy, whose SHA-256, taken as it was copied, is `sha256`).
pub(super) fn read(
    path: &Path,
    name: &Path,
    sha256: Option<String>,
    b: &mut Builder,
    progress: &Progress,
) -> anyhow::Result<Vec<String>> {
    let shown = name.display().to_string();
    let file = File::open(path).with_context(|| format!("cannot open ledger {shown}"))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let head = read_head(path)?;
    let encoding = bom_encoding(&head)
        .or(b.opts.encoding)
        .filter(|e| *e != encoding_rs::UTF_8);
    let delimiter = b.opts.delimiter.unwrap_or_else(|| match encoding {
        // Sniffed on the text: a UTF-16 character's bytes can look like a delimiter.
        Some(enc) => sniff(enc.decode_without_bom_handling(&head).0.as_bytes()),
        None => sniff(&head),
    });
    if encoding.is_none() {
        check_utf8(name, &head)?;
    }
    let hasher = match sha256 {
        Some(hex) => super::FileDigest::ready(hex),
        None => super::FileDigest::spawn(path, &shown, bytes),
    };
    if let Some(enc) = encoding {
        // Another encoding: one reader, decoding to UTF-8 as it goes.
        let bar = progress.bytes(&format!("reading {shown}"), bytes);
        let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(enc))
            .bom_override(true)
            .build(Counting {
                inner: file,
                bar: &bar,
            });
        let mut rdr = reader(Lines::new(decoded), delimiter);
        let header = read_header(&mut rdr, &shown)?;
        let cols = Resolved::from_header(name, &header, &b.opts.columns)?;
        b.roles(&cols);
        let part = Part {
            path,
            shown: &shown,
            header: &header,
            cols: &cols,
            delimiter,
            bar: &bar,
        };
        let mut local = Builder::new(b.opts);
        let (counts, _) = part.parse_records(&mut rdr, &mut local, 0, None)?;
        b.absorb(local, 0);
        bar.finish_and_clear();
        b.add_input(input_stats(
            hasher,
            &shown,
            bytes,
            counts,
            delimiter,
            Some(enc),
            &cols,
        ));
        return Ok(header);
    }

    // Without a quote in the first 64 KiB the plain reader is tried; it gives up at the
    // first quote or lone carriage return, and the file is then read by the CSV reader.
    let mut plain = memchr::memchr(b'"', &head).is_none();

    // The header, and where the data starts.
    let mut rdr = reader(file, delimiter);
    let header = read_header(&mut rdr, &shown)?;
    let cols = Resolved::from_header(name, &header, &b.opts.columns)?;
    b.roles(&cols);
    let data_start = rdr.position().byte();
    // The line the parts count from (the CSV reader's own stops before a CRLF's `\n`).
    let first_line = match usize::try_from(data_start) {
        Ok(at) if at < head.len() => line_of(&head, at),
        _ => rdr.position().line(),
    };
    drop(rdr);

    let bar = progress.bytes(&format!("reading {shown}"), bytes);
    bar.inc(data_start);
    let threads = crate::par::cores();
    let parallel_min = b.opts.parallel_min_bytes.unwrap_or(PARALLEL_MIN_BYTES);
    let splits = if threads > 1 && bytes - data_start >= parallel_min {
        split_points(path, data_start, bytes, threads)?
    } else {
        Vec::new()
    };
    let part = Part {
        path,
        shown: &shown,
        header: &header,
        cols: &cols,
        delimiter,
        bar: &bar,
    };

    let mut counts = Counts::default();
    let mut parallel_ok = false;
    if !splits.is_empty() {
        let mut bounds = vec![data_start];
        bounds.extend(&splits);
        // A file read by the plain reader is shared out as it goes: a thread done with its
        // part reads the second half of what is left of another's (`Shares`).
        let shares = plain.then(|| Shares::new(&bounds, bytes, parallel_min));
        let steal_from = File::open(path).with_context(|| format!("cannot open ledger {shown}"))?;
        let mut started: Vec<(u64, anyhow::Result<Option<PartResult>>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..bounds.len())
                .map(|k| {
                    let (start, end) = (bounds[k], bounds.get(k + 1).copied());
                    let part = &part;
                    let opts = b.opts;
                    let head = &head;
                    let shares = shares.as_ref();
                    let steal_from = &steal_from;
                    s.spawn(move || {
                        let read = |start: u64, end: Option<u64>, share: usize| {
                            let mut local = Builder::new(opts);
                            local.expect_rows(expected_rows(
                                end.unwrap_or(bytes).saturating_sub(start),
                                head,
                            ));
                            if plain {
                                let share = shares.map(|sh| (sh, share));
                                let read =
                                    part.parse_plain(&mut local, (start, end, bytes), share)?;
                                return Ok(read.map(|(counts, stop)| (local, counts, stop)));
                            }
                            let (counts, boundary) = part.parse(&mut local, start, end)?;
                            Ok(Some((local, counts, boundary)))
                        };
                        let mut done = vec![(start, read(start, end, k))];
                        let line_start = |from, to| next_line_start(steal_from, from, to);
                        while let Some((k, start, end)) = shares.and_then(|sh| sh.steal(line_start))
                        {
                            done.push((start, read(start, Some(end), k)));
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a reader thread panicked"))
                .collect()
        });
        started.sort_unstable_by_key(|(start, _)| *start);
        // Every part's start but the first, for the check below.
        let splits: Vec<u64> = started.iter().skip(1).map(|(start, _)| *start).collect();
        let mut results: Vec<anyhow::Result<Option<PartResult>>> =
            started.into_iter().map(|(_, r)| r).collect();
        // The plain reader stops at a quote (`None`) and fails only when the file cannot be
        // read (it shrank): an error of the file, in whichever part.
        if plain {
            if let Some(k) = results.iter().position(Result::is_err) {
                results.swap_remove(k)?;
            }
        }
        // A later part that started inside a quoted field may fail to parse: that only means
        // the split was wrong. An error in the first part is an error of the file.
        // A part that met a quote (`None`) sends the whole file to the CSV reader.
        let mut results = results.into_iter();
        let first = results.next().expect("at least one part")?;
        let mut parts: Vec<PartResult> = first.into_iter().collect();
        parts.extend(results.map_while(|r| r.ok().flatten()));
        if parts.len() < splits.len() + 1 {
            plain = false;
        }
        // Every part but the last must have stopped exactly at the next part's start.
        parallel_ok = parts.len() == splits.len() + 1
            && parts[..splits.len()]
                .iter()
                .zip(&splits)
                .all(|((_, _, boundary), &split)| boundary.is_some_and(|(byte, _)| byte == split));
        if parallel_ok {
            let mut offset = first_line - 1;
            for (local, c, boundary) in parts {
                b.absorb(local, offset);
                counts.add(&c);
                if let Some((_, line)) = boundary {
                    offset += line - 1;
                }
            }
        } else {
            bar.set_position(data_start);
        }
    }
    if !parallel_ok {
        let mut read = None;
        let rows = expected_rows(bytes - data_start, &head);
        if plain {
            let mut local = Builder::new(b.opts);
            local.expect_rows(rows);
            read = part
                .parse_plain(&mut local, (data_start, None, bytes), None)?
                .map(|(c, _)| (local, c));
            if read.is_none() {
                bar.set_position(data_start);
            }
        }
        let (local, c) = match read {
            Some(done) => done,
            None => {
                let mut local = Builder::new(b.opts);
                local.expect_rows(rows);
                let (c, _) = part.parse(&mut local, data_start, None)?;
                (local, c)
            }
        };
        b.absorb(local, first_line - 1);
        counts = c;
    }
    bar.finish_and_clear();
    b.add_input(input_stats(
        hasher, &shown, bytes, counts, delimiter, None, &cols,
    ));
    Ok(header)
}

/// A file's facts for the manifest once its rows are read (its hash may still be under way).
/// `encoding` is the one it was decoded from, when not UTF-8.
fn input_stats(
    sha256: super::FileDigest,
    shown: &str,
    bytes: u64,
    counts: Counts,
    delimiter: u8,
    encoding: Option<&'static encoding_rs::Encoding>,
    cols: &Resolved,
) -> InputStats {
    InputStats {
        path: shown.to_string(),
        format: "csv",
        bytes,
        sha256,
        rows_read: counts.rows,
        rows_rejected: counts.rejected,
        rows_after_as_of: counts.after,
        delimiter: Some(delimiter_name(delimiter)),
        columns: cols.names.iter().cloned().collect(),
        compression: None,
        encoding: encoding.map(encoding_rs::Encoding::name),
        header: Vec::new(),
    }
}

/// The first record, as trimmed column names (a UTF-8 BOM dropped).
fn read_header<R: Read>(rdr: &mut csv::Reader<R>, shown: &str) -> anyhow::Result<Vec<String>> {
    let mut record = csv::ByteRecord::new();
    let has_header = rdr
        .read_byte_record(&mut record)
        .with_context(|| format!("cannot read {shown}"))?;
    if !has_header {
        return Err(InputError::Empty(format!(
            "{shown}: the file is empty (expected a header line and rows)"
        ))
        .into());
    }
    Ok(record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i == 0 {
                f.strip_prefix(BOM).unwrap_or(f)
            } else {
                f
            };
            String::from_utf8_lossy(f).trim().to_string()
        })
        .collect())
}

/// `UTF-16LE` or `UTF-16BE` when `head` reads like UTF-16 text without its byte-order mark:
/// most of its odd (LE) or even (BE) bytes are 0, as the high bytes of Latin text are. Such
/// bytes are valid UTF-8, so without this the header would be read as names full of NULs.
fn looks_like_utf16(head: &[u8]) -> Option<&'static str> {
    memchr::memchr(0, head)?;
    let zeros = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&c| c == 0)
            .count()
    };
    let (even, odd, half) = (zeros(0), zeros(1), head.len() / 2);
    if odd * 2 > half && even * 8 < half {
        Some("UTF-16LE")
    } else if even * 2 > half && odd * 8 < half {
        Some("UTF-16BE")
    } else {
        None
    }
}

/// The encoding a UTF-16 byte-order mark at the start of `head` shows (Excel's "Unicode
/// Text" is UTF-16LE with one): such a file is read as UTF-16 without `--encoding`, and
/// whatever `--encoding` says. A UTF-8 mark is dropped with the header.
pub(crate) fn bom_encoding(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    match head {
        [0xFF, 0xFE, ..] => Some(encoding_rs::UTF_16LE),
        [0xFE, 0xFF, ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// Refuses a file whose first 64 KiB are not UTF-8, naming the line and suggesting
/// `--encoding` (Excel in a Chinese locale writes GBK).
pub(crate) fn check_utf8(path: &Path, head: &[u8]) -> Result<(), InputError> {
    if let Some(utf16) = looks_like_utf16(head) {
        return Err(InputError::Format {
            path: path.to_path_buf(),
            message: format!(
                "every other byte is 0: the file looks like {utf16} without a byte-order mark; try --encoding {}",
                utf16.to_ascii_lowercase()
            ),
        });
    }
    match std::str::from_utf8(head) {
        Ok(_) => Ok(()),
        // Cut inside a character by the 64 KiB window: not an error.
        Err(e) if e.error_len().is_none() => Ok(()),
        Err(e) => {
            let at = e.valid_up_to();
            let line = 1 + head[..at].iter().filter(|&&c| c == b'\n').count();
            Err(InputError::Format {
                path: path.to_path_buf(),
                message: format!(
                    "line {line}: byte 0x{:02X} is not UTF-8; the file is in another encoding. A CSV saved by Excel in a Chinese locale is usually GBK: try --encoding gbk (or gb18030, big5, shift_jis, utf-16le, windows-1252)",
                    head[at]
                ),
            })
        }
    }
}

fn reader<R: Read>(r: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(r)
}

/// A part's builder, counts, and where it stopped (byte offset and local line).
type PartResult<'o> = (Builder<'o>, Counts, Option<(u64, u64)>);

/// A part's counts and where it stopped (byte offset and local line), if it stopped at its end.
type PartEnd = (Counts, Option<(u64, u64)>);

/// Row counts of one file or part.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    rows: u64,
    rejected: u64,
    after: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.rows += o.rows;
        self.rejected += o.rejected;
        self.after += o.after;
    }
}

/// The first byte after a line break at or after each of `parts - 1` evenly spaced offsets.
fn split_points(path: &Path, start: u64, end: u64, parts: usize) -> anyhow::Result<Vec<u64>> {
    let mut f = File::open(path)?;
    let mut out: Vec<u64> = Vec::new();
    let mut window = vec![0u8; 1 << 16];
    for k in 1..parts as u64 {
        let target = start + (end - start) * k / parts as u64;
        f.seek(SeekFrom::Start(target))?;
        let n = f.read(&mut window)?;
        if let Some(p) = memchr::memchr(b'\n', &window[..n]) {
            let split = target + p as u64 + 1;
            if split < end && out.last().is_none_or(|&l| split > l) {
                out.push(split);
            }
        }
    }
    Ok(out)
}

/// What every part of one file shares.
struct Part<'a> {
    path: &'a Path,
    shown: &'a str,
    header: &'a [String],
    cols: &'a Resolved,
    delimiter: u8,
    bar: &'a indicatif::ProgressBar,
}

impl Part<'_> {
    /// Parses the records that start in `[start, end)` (to the end of the file without
    /// `end`). Line numbers are counted from `start`, the first line being 1. Returns the
    /// counts and, when it stopped at `end`, the byte offset and local line of the record
    /// it stopped at.
    fn parse(&self, b: &mut Builder, start: u64, end: Option<u64>) -> anyhow::Result<PartEnd> {
        let mut file =
            File::open(self.path).with_context(|| format!("cannot open ledger {}", self.shown))?;
        file.seek(SeekFrom::Start(start))
            .with_context(|| format!("cannot read {}", self.shown))?;
        let mut rdr = reader(
            Lines::new(Counting {
                inner: file,
                bar: self.bar,
            }),
            self.delimiter,
        );
        self.parse_records(&mut rdr, b, start, end)
    }

    /// Parses records from a reader already past the header (or positioned at `start`).
    fn parse_records<R: Read>(
        &self,
        rdr: &mut csv::Reader<Lines<R>>,
        b: &mut Builder,
        start: u64,
        end: Option<u64>,
    ) -> anyhow::Result<PartEnd> {
        let mut rows = Rows::new(self, b);
        let mut record = csv::ByteRecord::new();
        loop {
            match rdr.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok((rows.counts, None)),
                Err(e) => {
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        return Err(
                            anyhow::Error::new(e).context(format!("cannot read {}", self.shown))
                        );
                    }
                    return Err(InputError::Format {
                        path: self.shown.into(),
                        message: e.to_string(),
                    }
                    .into());
                }
            }
            let pos = record
                .position()
                .expect("records read from a reader have a position");
            let (at, line) = rdr.get_mut().starts.record_at(pos.byte());
            if let Some(end) = end {
                if start + at >= end {
                    return Ok((rows.counts, Some((start + at, line))));
                }
            }
            rows.take(b, line, &record);
        }
    }

    /// Parses the lines that start in `[start, end)` of a file with no quote characters,
    /// faster than the CSV reader: lines end at `\n` (a `\r` before it is dropped), fields at
    /// the delimiter, and each field is read where it lies in the buffer. Line numbers and
    /// the stopping point are those of [`Part::parse`]. Returns `None` as soon as it meets a
    /// quote or a lone `\r`, which only the CSV reader reads right; the builder then holds
    /// part of the rows and must be dropped.
    ///
    /// The file is read a chunk at a time at its own offset (`pread`), into a buffer that
    /// keeps the cut line at the end of one chunk for the next. With `share`, the chunks are
    /// claimed from the part's [`Shares`], whose end moves back when another thread takes the
    /// rest. The part's end is `end`, or `len`, the file's size when it was opened: a file
    /// that has shrunk since is an error naming it; one that has grown is read to that size.
    fn parse_plain(
        &self,
        b: &mut Builder,
        (start, end, len): (u64, Option<u64>, u64),
        share: Option<(&Shares, usize)>,
    ) -> anyhow::Result<Option<PartEnd>> {
        let mut rows = Rows::new(self, b);
        let mut wide: Vec<(usize, usize)> = Vec::new();
        let mut line = 1u64;
        let file =
            File::open(self.path).with_context(|| format!("cannot open ledger {}", self.shown))?;
        let limit = end.unwrap_or(len);
        let mut buf: Vec<u8> = Vec::new();
        let (mut at, mut carry) = (start, 0usize);
        loop {
            let (to, limit, stop) = match share {
                Some((shares, k)) => shares.claim(k, at),
                None => ((at + PLAIN_CHUNK as u64).min(limit), limit, end),
            };
            let filled = carry + (to - at) as usize;
            if buf.len() < filled {
                buf.resize(filled, 0);
            }
            read_at(&file, &mut buf[carry..filled], at).map_err(|e| self.read_error(e))?;
            self.bar.inc(to - at);
            // The whole lines: all of them at the part's end (a line start, or the file's
            // end), else up to the last line break (none in a line longer than a chunk).
            let whole = match to == limit {
                true => filled,
                false => memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |i| i + 1),
            };
            if !self.plain_lines(&buf[..whole], &mut rows, b, &mut line, &mut wide) {
                return Ok(None);
            }
            if to == limit {
                return Ok(Some((rows.counts, stop.map(|e| (e, line)))));
            }
            buf.copy_within(whole..filled, 0);
            carry = filled - whole;
            at = to;
        }
    }

    /// The error of a read that failed, or came short of the size the file had when opened.
    fn read_error(&self, e: io::Error) -> anyhow::Error {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return InputError::Format {
                path: self.shown.into(),
                message: "the file shrank while it was being read (another program truncated or rewrote it); run again once it is complete".into(),
            }
            .into();
        }
        anyhow::Error::new(e).context(format!("cannot read {}", self.shown))
    }

    /// Takes the lines of `data` (whole lines; the last may lack its break) into the builder,
    /// `line` being the number of the first and, on return, of the line after the last.
    /// `false` when `data` holds a quote or a lone `\r` (module doc of [`Part::parse_plain`]).
    ///
    /// The lines go in pieces of about [`PLAIN_PIECE`] bytes, each checked for a quote or
    /// a carriage return just before it is split (while it is in the cache), so that the
    /// split itself looks for delimiters and line breaks only.
    fn plain_lines(
        &self,
        data: &[u8],
        rows: &mut Rows,
        b: &mut Builder,
        line: &mut u64,
        wide: &mut Vec<(usize, usize)>,
    ) -> bool {
        let mut at = 0;
        while at < data.len() {
            let to = lines_end(data, at, PLAIN_PIECE, data.len());
            let piece = &data[at..to];
            if let Some(i) = memchr::memchr2(b'"', b'\r', piece) {
                // A quote, or a carriage return not followed by a line feed (the last byte of
                // the data may be the `\r` of a CRLF cut off).
                let lone_cr = |i: usize| i + 1 < piece.len() && piece[i + 1] != b'\n';
                if piece[i] == b'"'
                    || memchr::memchr(b'"', &piece[i..]).is_some()
                    || memchr::memchr_iter(b'\r', &piece[i..]).any(|k| lone_cr(i + k))
                {
                    return false;
                }
            }
            self.split_lines(piece, rows, b, line, wide);
            at = to;
        }
        true
    }

    /// [`Part::plain_lines`] for a piece free of quotes and lone carriage returns. A line's
    /// fields are noted in an array on the stack; a line of more than [`SPLIT_FIELDS`] fields
    /// is split again into `wide`.
    fn split_lines(
        &self,
        data: &[u8],
        rows: &mut Rows,
        b: &mut Builder,
        line: &mut u64,
        wide: &mut Vec<(usize, usize)>,
    ) {
        // One pass finds every delimiter and line break.
        let mut spans = [(0usize, 0usize); SPLIT_FIELDS];
        let (mut start, mut field, mut n) = (0, 0, 0);
        let mut hits = super::split::Hits::new(data, self.delimiter);
        loop {
            let hit = hits.next();
            match hit {
                Some(i) if data[i] != b'\n' => {
                    if n < SPLIT_FIELDS {
                        spans[n] = (field, i);
                    }
                    n += 1;
                    field = i + 1;
                    continue;
                }
                None if start >= data.len() => break,
                _ => {}
            }
            let brk = hit.unwrap_or(data.len());
            let mut end = brk;
            if end > start && data[end - 1] == b'\r' {
                end -= 1;
            }
            if end > start {
                if n < SPLIT_FIELDS {
                    spans[n] = (field, end);
                }
                n += 1;
                let bounds = if n <= SPLIT_FIELDS {
                    &spans[..n]
                } else {
                    wide.clear();
                    let mut from = start;
                    for d in memchr::memchr_iter(self.delimiter, &data[start..end]) {
                        wide.push((from, start + d));
                        from = start + d + 1;
                    }
                    wide.push((from, end));
                    &wide[..]
                };
                let record = Fields {
                    data,
                    line: (start, end),
                    bounds,
                };
                rows.take(b, *line, &record);
            }
            n = 0;
            *line += 1;
            (start, field) = (brk + 1, brk + 1);
            if hit.is_none() {
                break;
            }
        }
    }
}

/// The parts of a file being read by the plain reader, shared by its threads. Each part's
/// owner claims its next chunk under the lock; a thread done with its own part takes the
/// second half of what is left of the part with the most left (at a line start), when that
/// is at least two chunks, as a new part: which thread finishes first depends on the hash's
/// thread and the lines, and the one left alone ran on alone for up to a seventh of the read
/// (10M-row ledger, perf timelines).
struct Shares {
    parts: std::sync::Mutex<Vec<Share>>,
    /// The bytes claimed at a time.
    chunk: u64,
}

/// One part: claimed (taken to be read by its owner) up to `claimed`, ending at `end` (a line
/// start, or the end of the file when `eof`). `claimed` may fall inside a line: its owner
/// keeps the cut line for its next chunk.
#[derive(Debug, Clone, Copy)]
struct Share {
    claimed: u64,
    end: u64,
    eof: bool,
}

impl Shares {
    /// The parts starting at `bounds` in a file of `len` bytes. The chunk is
    /// [`PLAIN_CHUNK`], or a fraction of `parallel_min` when that is set low (tests, to
    /// share out small files).
    fn new(bounds: &[u64], len: u64, parallel_min: u64) -> Shares {
        let parts = bounds
            .iter()
            .enumerate()
            .map(|(k, &start)| Share {
                claimed: start,
                end: bounds.get(k + 1).copied().unwrap_or(len),
                eof: k + 1 == bounds.len(),
            })
            .collect();
        Shares {
            parts: std::sync::Mutex::new(parts),
            chunk: (parallel_min / 4).clamp(64, PLAIN_CHUNK as u64),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Share>> {
        self.parts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims part `k`'s next chunk from `at`: its end, the part's end, and where the part
    /// stops (`None` at the end of the file).
    fn claim(&self, k: usize, at: u64) -> (u64, u64, Option<u64>) {
        let mut parts = self.lock();
        let p = &mut parts[k];
        let to = (at + self.chunk).min(p.end);
        p.claimed = to;
        (to, p.end, (!p.eof).then_some(p.end))
    }

    /// Takes the second half of the rest of the part with the most left as a new part: its
    /// index, start and end (for the estimate of its rows: the part's own end, which can move
    /// back in turn, is read from [`Shares::claim`]). `line_start(from, to)` is the first
    /// line start after `from` and before `to`, if any.
    fn steal(&self, line_start: impl FnOnce(u64, u64) -> Option<u64>) -> Option<(usize, u64, u64)> {
        let mut parts = self.lock();
        let (k, left) = parts
            .iter()
            .map(|p| p.end - p.claimed)
            .enumerate()
            .max_by_key(|&(_, left)| left)?;
        if left < 2 * self.chunk {
            return None;
        }
        let p = parts[k];
        let split = line_start(p.claimed + left / 2, p.end)?;
        if split >= p.end {
            return None;
        }
        parts[k].end = split;
        parts[k].eof = false;
        parts.push(Share {
            claimed: split,
            end: p.end,
            eof: p.eof,
        });
        Some((parts.len() - 1, split, p.end))
    }
}

/// The first line start after `from` and before `to` in `file`: just after the first line
/// break at or after `from`. `None` when there is none, or the file cannot be read there (its
/// owner meets the error).
fn next_line_start(file: &File, from: u64, to: u64) -> Option<u64> {
    let mut window = vec![0u8; 64 << 10];
    let mut at = from;
    while at < to {
        let n = window
            .len()
            .min(usize::try_from(to - at).unwrap_or(usize::MAX));
        read_at(file, &mut window[..n], at).ok()?;
        if let Some(i) = memchr::memchr(b'\n', &window[..n]) {
            return Some(at + i as u64 + 1);
        }
        at += n as u64;
    }
    None
}

/// Fills `buf` from `file` at byte `offset`, without moving a cursor the threads share;
/// `UnexpectedEof` when the file ends first.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(file, buf, offset) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        // A seek and a read under one lock, so that threads sharing a handle do not race.
        static CURSOR: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _held = CURSOR.lock().unwrap_or_else(|e| e.into_inner());
        let mut f = file;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }
}

/// The end of the whole lines from `at` that reach `size` bytes past it: just after the
/// first line break at or past `at + size`, or `limit` (the end of the data to read).
fn lines_end(bytes: &[u8], at: usize, size: usize, limit: usize) -> usize {
    match at + size {
        far if far >= limit => limit,
        far => memchr::memchr(b'\n', &bytes[far..limit]).map_or(limit, |i| far + i + 1),
    }
}

/// Fields of a line [`Part::split_lines`] notes on the stack (a line of more is split again).
const SPLIT_FIELDS: usize = 64;

/// Bytes of lines [`Part::plain_lines`] checks and splits at a time: small enough to stay in
/// the core's cache between the check and the split.
const PLAIN_PIECE: usize = 64 << 10;

/// Bytes the plain reader reads at a time.
const PLAIN_CHUNK: usize = 4 << 20;

/// One record's fields, however it was split.
trait Record {
    fn len(&self) -> usize;
    fn field(&self, i: usize) -> &[u8];
    /// The fields joined by the delimiter, for `rejects.csv`.
    fn joined(&self, delimiter: u8) -> String;
}

impl Record for csv::ByteRecord {
    fn len(&self) -> usize {
        csv::ByteRecord::len(self)
    }
    fn field(&self, i: usize) -> &[u8] {
        &self[i]
    }
    fn joined(&self, delimiter: u8) -> String {
        join(self, delimiter)
    }
}

/// A line of the plain reader and where it and its fields lie in the buffer.
struct Fields<'a> {
    data: &'a [u8],
    line: (usize, usize),
    bounds: &'a [(usize, usize)],
}

impl Record for Fields<'_> {
    fn len(&self) -> usize {
        self.bounds.len()
    }
    fn field(&self, i: usize) -> &[u8] {
        let (a, z) = self.bounds[i];
        &self.data[a..z]
    }
    fn joined(&self, _: u8) -> String {
        String::from_utf8_lossy(&self.data[self.line.0..self.line.1]).into_owned()
    }
}

/// Turns records into rows for a builder: the columns to read, the counts, and the last
/// date seen (rows come in runs of one date, and a repeated date is not parsed again).
struct Rows<'p> {
    part: &'p Part<'p>,
    cols: [usize; 2],
    amount: super::AmountSource,
    optional: [Option<usize>; 3],
    date_format: super::DateFormat,
    amount_format: super::AmountFormat,
    /// The last row's date and its day: an invoice's lines repeat it.
    last_date: super::Last<i32>,
    counts: Counts,
}

impl<'p> Rows<'p> {
    fn new(part: &'p Part<'p>, b: &Builder) -> Self {
        let idx = |r: Role| part.cols.get(r);
        Rows {
            part,
            cols: [
                idx(Role::Customer).unwrap_or(0),
                idx(Role::Date).unwrap_or(0),
            ],
            amount: part.cols.amount_source(),
            optional: [idx(Role::Invoice), idx(Role::Product), idx(Role::Industry)],
            date_format: b.opts.date_format.clone(),
            amount_format: b.opts.amount_format,
            last_date: super::Last::new(),
            counts: Counts::default(),
        }
    }

    /// Validates one record (at local line `line`) and hands it to the builder.
    fn take<R: Record>(&mut self, b: &mut Builder, line: u64, record: &R) {
        let part = self.part;
        // A blank line is not a row, nor is a line of empty fields (`,,,`: what a spreadsheet
        // writes for a row that only had formatting). Either fails below (too few fields, or
        // no customer id), so this is asked only of a row that fails, off the common path.
        let all_empty = || (0..record.len()).all(|i| record.field(i).trim_ascii().is_empty());
        let c = &mut self.counts;
        c.rows += 1;
        if record.len() != part.header.len() {
            if all_empty() {
                c.rows -= 1;
                return;
            }
            let e = super::FieldError {
                column: String::new(),
                value: String::new(),
                reason: format!(
                    "the row has {} fields but the header has {} (wrong delimiter, or an unclosed quote?)",
                    record.len(),
                    part.header.len()
                ),
            };
            c.rejected += 1;
            b.bad(part.shown, line, e, record.joined(part.delimiter));
            return;
        }
        let [ci, di] = self.cols;
        let raw_date = record.field(di);
        let day = match self.last_date.get(raw_date) {
            Some(d) => Ok(d),
            None => {
                let day = parse::parse_date(raw_date, &self.date_format);
                if let Ok(d) = day {
                    self.last_date.set(raw_date, d);
                }
                day
            }
        };
        let amount = self
            .amount
            .amount(|i| parse::parse_amount_as(record.field(i), self.amount_format));
        let get = |i: Option<usize>| i.map(|i| record.field(i));
        let [ii, pi, ni] = self.optional;
        match b.push(
            record.field(ci),
            day,
            amount,
            get(ii),
            get(pi),
            get(ni),
            part.cols,
        ) {
            Ok(true) => {}
            Ok(false) => c.after += 1,
            Err(_) if all_empty() => c.rows -= 1,
            Err(mut e) => {
                c.rejected += 1;
                if let Some(i) = part
                    .header
                    .iter()
                    .position(|h| *h == e.column)
                    .filter(|_| e.value.is_empty())
                {
                    e.value = String::from_utf8_lossy(record.field(i)).into_owned();
                }
                b.bad(part.shown, line, e, record.joined(part.delimiter));
            }
        }
    }
}

/// The SHA-256 of a file's first `len` bytes (its size when the run opened it, which is what
/// the readers read and the manifest's `bytes` says: a file appended to meanwhile is hashed as
/// it was read), read in order through a 128 KiB buffer. Not through a map: on a 676 MB
/// ledger the map's faults and releases cost more than copying into a buffer that stays in
/// cache (CPU 2.37 → 2.30 s and wall −2.8% over 20 alternating runs; benches/README.md).
/// A file shorter than `len` is an error.
pub(crate) fn sha256_of(path: &Path, len: u64) -> io::Result<String> {
    let mut f = File::open(path)?.take(len);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 128 << 10];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            if total < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being read",
                ));
            }
            return Ok(format!("{:x}", h.finalize()));
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
}

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        d => (d as char).to_string(),
    }
}

fn join(record: &csv::ByteRecord, delimiter: u8) -> String {
    let sep = (delimiter as char).to_string();
    record
        .iter()
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(&sep)
}

/// About how many lines `bytes` of the file hold, from the mean line length of its head.
fn expected_rows(bytes: u64, head: &[u8]) -> u64 {
    super::memory::estimate_rows(bytes, head).unwrap_or(0)
}

/// The first 64 KiB of a file.
pub(super) fn read_head(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(64 << 10);
    File::open(path)
        .and_then(|f| f.take(64 << 10).read_to_end(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(head)
}

/// Picks the delimiter from the first lines: the candidate that splits the header into the
/// most fields and every sampled line into as many; failing that, the one most frequent in the
/// header; failing that, a comma. Quoted text is skipped.
pub fn sniff(head: &[u8]) -> u8 {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let mut lines: Vec<&[u8]> = head.split(|&c| c == b'\n').take(21).collect();
    if lines.len() > 1 && !head.ends_with(b"\n") {
        lines.pop(); // the last line may be cut by the 64 KiB window
    }
    lines.retain(|l| !l.trim_ascii().is_empty());
    let Some(first) = lines.first() else {
        return b',';
    };
    let count = |line: &[u8], d: u8| {
        let mut quoted = false;
        line.iter()
            .filter(|&&c| {
                if c == b'"' {
                    quoted = !quoted;
                }
                !quoted && c == d
            })
            .count()
    };
    let consistent = CANDIDATES
        .iter()
        .map(|&d| (d, count(first, d)))
        .filter(|&(d, n)| n > 0 && lines.iter().all(|l| count(l, d) == n))
        .max_by_key(|&(_, n)| n);
    if let Some((d, _)) = consistent {
        return d;
    }
    CANDIDATES
        .iter()
        .map(|&d| (d, count(first, d)))
        .filter(|&(_, n)| n > 0)
        .max_by_key(|&(_, n)| n)
        .map_or(b',', |(d, _)| d)
}

/// Where the lines that hold something start, and their numbers, in a stream of bytes read
/// in pieces. The CSV reader's own record positions point before the blank lines it skips
/// and, in a CRLF file, before the `\n` that ends the line above: its line numbers came out
/// one short there. A record really starts at the first line start at or after its
/// position. Line breaks are `\n`, `\r\n` and a lone `\r`.
#[derive(Debug)]
struct LineStarts {
    /// Bytes scanned so far.
    offset: u64,
    /// The line of the next byte, 1-based (a `\r` just scanned not yet counted).
    line: u64,
    /// The next byte that is not a line break starts a line.
    at_start: bool,
    /// The last byte scanned was `\r`: a line break unless a `\n` follows.
    cr: bool,
    /// (offset, line) of the line starts scanned and not yet passed.
    starts: std::collections::VecDeque<(u64, u64)>,
}

impl LineStarts {
    fn new() -> Self {
        LineStarts {
            offset: 0,
            line: 1,
            at_start: true,
            cr: false,
            starts: std::collections::VecDeque::new(),
        }
    }

    fn scan(&mut self, buf: &[u8]) {
        let mut i = 0;
        while i < buf.len() {
            let c = buf[i];
            if std::mem::take(&mut self.cr) && c != b'\n' {
                self.line += 1;
            }
            match c {
                b'\n' => self.line += 1,
                b'\r' => self.cr = true,
                _ => {
                    if std::mem::take(&mut self.at_start) {
                        self.starts.push_back((self.offset + i as u64, self.line));
                    }
                    // The rest of the line, to its break.
                    i += memchr::memchr2(b'\n', b'\r', &buf[i..]).unwrap_or(buf.len() - i);
                    continue;
                }
            }
            self.at_start = true;
            i += 1;
        }
        self.offset += buf.len() as u64;
    }

    /// The offset and line of the record the CSV reader placed at `byte`: the first line
    /// start at or after it. Starts before it are forgotten (records come in order).
    fn record_at(&mut self, byte: u64) -> (u64, u64) {
        while let Some(&(at, line)) = self.starts.front() {
            if at >= byte {
                return (at, line);
            }
            self.starts.pop_front();
        }
        // Not scanned yet (a record always holds a byte that is not a line break, so the
        // reader has passed its start): the position as given.
        (byte, self.line)
    }

    /// The line of the byte after the scanned ones, given that byte.
    fn line_before(&self, next: Option<u8>) -> u64 {
        self.line + u64::from(self.cr && next != Some(b'\n'))
    }
}

/// The line number of byte `pos` of `bytes`, the first line being 1.
fn line_of(bytes: &[u8], pos: usize) -> u64 {
    let mut s = LineStarts::new();
    s.scan(&bytes[..pos]);
    s.line_before(bytes.get(pos).copied())
}

/// Notes the line starts of the bytes the CSV reader pulls ([`LineStarts`]). Also read
/// under the attributes file and an earlier run's table, whose errors name lines too.
pub(crate) struct Lines<R> {
    inner: R,
    starts: LineStarts,
}

impl<R: Read> Lines<R> {
    pub(crate) fn new(inner: R) -> Self {
        Lines {
            inner,
            starts: LineStarts::new(),
        }
    }

    /// The line of the record the CSV reader placed at `byte` (its `Position::byte`), records
    /// asked for in order.
    pub(crate) fn line_of_record(&mut self, byte: u64) -> u64 {
        self.starts.record_at(byte).1
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.starts.scan(&buf[..n]);
        Ok(n)
    }
}

/// Moves the progress bar as the CSV parser pulls bytes.
struct Counting<'a> {
    inner: File,
    bar: &'a indicatif::ProgressBar,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn utf16_without_its_mark_is_named_and_utf8_with_a_stray_nul_is_not() {
        let text = "客户编号,日期,金额\r\n甲001,2025/1/2,1200.50\r\n乙002,2025/1/15,80\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(super::looks_like_utf16(&le), Some("UTF-16LE"));
        assert_eq!(super::looks_like_utf16(&be), Some("UTF-16BE"));
        let e = super::check_utf8(std::path::Path::new("l.csv"), &le).unwrap_err();
        assert!(e.to_string().contains("try --encoding utf-16le"), "{e}");
        assert_eq!(super::looks_like_utf16(text.as_bytes()), None);
        let stray = "customer_id,date,amount\nC1,2025-01-02,5\0\n".as_bytes();
        assert_eq!(super::looks_like_utf16(stray), None);
    }

    #[test]
    fn shared_parts_cover_the_file_and_end_at_line_starts() {
        // Two parts of a file of lines of every length; part 0's owner claims a chunk, then
        // threads done with their own take halves of the rest, then every part is claimed
        // to its end. The parts stay contiguous, start at line starts and end where the next
        // starts; only the last ends at the end of the file.
        let mut bytes = Vec::new();
        for i in 0..400 {
            bytes.extend(std::iter::repeat_n(b'x', i % 37));
            bytes.push(b'\n');
        }
        let len = bytes.len() as u64;
        let line_start = |from: u64, to: u64| {
            let i = memchr::memchr(b'\n', &bytes[from as usize..to as usize])?;
            Some(from + i as u64 + 1)
        };
        let mid = line_start(len / 2, len).unwrap();
        let shares = super::Shares::new(&[0, mid], len, 1024);
        assert_eq!(shares.chunk, 256);
        assert_eq!(shares.claim(0, 0), (256, mid, Some(mid)));
        let mut starts = vec![0, mid];
        while let Some((k, start, end)) = shares.steal(line_start) {
            assert_eq!(bytes[start as usize - 1], b'\n');
            assert!(end > start && k == starts.len());
            starts.push(start);
        }
        // Nothing is taken from a part with less than two chunks left.
        assert!(shares
            .lock()
            .iter()
            .all(|p| p.end - p.claimed < 2 * shares.chunk));
        let parts = shares.lock().clone();
        for (k, p) in parts.iter().enumerate() {
            let (mut at, mut last) = (p.claimed, None);
            while at < p.end {
                let (next, end, stop) = shares.claim(k, at);
                assert!(next > at && next - at <= shares.chunk && next <= end && end == p.end);
                (at, last) = (next, Some(stop));
            }
            let stop = last.unwrap_or((!p.eof).then_some(at));
            if at == len {
                assert_eq!(stop, None);
            } else {
                // The part ends where the next one starts.
                assert_eq!(stop, Some(at));
                assert!(starts.contains(&at));
            }
        }
        assert_eq!(parts.iter().filter(|p| p.eof).count(), 1);
        assert!(starts.len() > 3, "halves were taken: {starts:?}");
    }

    #[test]
    fn the_hash_covers_the_bytes_the_file_had_when_opened() {
        use sha2::Digest;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.csv");
        let text: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &text).unwrap();
        let hex = |b: &[u8]| format!("{:x}", sha2::Sha256::digest(b));
        let len = text.len() as u64;
        assert_eq!(super::sha256_of(&path, len).unwrap(), hex(&text));
        // Appended to after it was opened: the first `len` bytes, as the readers read them.
        assert_eq!(
            super::sha256_of(&path, 200_001).unwrap(),
            hex(&text[..200_001])
        );
        let e = super::sha256_of(&path, len + 1).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
        assert!(e.to_string().contains("shrank"), "{e}");
    }

    #[test]
    fn a_line_start_is_found_past_a_window_and_not_past_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.csv");
        let mut text = vec![b'x'; 100_000];
        text.extend(b"\nnext\n");
        std::fs::write(&path, &text).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        assert_eq!(
            super::next_line_start(&f, 10, text.len() as u64),
            Some(100_001)
        );
        assert_eq!(super::next_line_start(&f, 10, 100_000), None);
        assert_eq!(
            super::next_line_start(&f, 100_001, text.len() as u64),
            Some(100_006)
        );
    }

    #[test]
    fn a_file_shorter_than_when_it_was_opened_is_an_error_naming_it() {
        use super::super::{Builder, ColumnMap, ReadOptions, Resolved};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.csv");
        let body = "C1,2025-01-02,5\nC2,2025-01-03,6\n";
        std::fs::write(&path, body).unwrap();
        let header: Vec<String> = ["customer_id", "date", "amount"].map(String::from).into();
        let cols = Resolved::from_header(&path, &header, &ColumnMap::default()).unwrap();
        let bar = indicatif::ProgressBar::hidden();
        let part = super::Part {
            path: &path,
            shown: "ledger.csv",
            header: &header,
            cols: &cols,
            delimiter: b',',
            bar: &bar,
        };
        let opts = ReadOptions::default();
        let read = |len: u64| {
            let mut b = Builder::new(&opts);
            b.roles(&cols);
            part.parse_plain(&mut b, (0, None, len), None)
        };
        let (counts, stop) = read(body.len() as u64).unwrap().unwrap();
        assert_eq!((counts.rows, counts.rejected, stop), (2, 0, None));
        // The size taken at the start, 1 KiB more than the file now holds.
        let e = read(body.len() as u64 + 1024).unwrap_err();
        let message = format!("{e:#}");
        assert!(
            message.contains("ledger.csv") && message.contains("shrank"),
            "{message}"
        );
        assert!(e.downcast_ref::<crate::error::InputError>().is_some());
    }

    #[test]
    fn line_starts_are_found_whatever_the_pieces() {
        use super::{line_of, LineStarts};
        let text = b"h1,h2\r\na,b\n\n\r\nc\rd\r\r\n\"e\nf\"\n  \n";
        let whole = {
            let mut s = LineStarts::new();
            s.scan(text);
            s.starts.iter().copied().collect::<Vec<_>>()
        };
        // Lines: 1 h1,h2 | 2 a,b | 3 (blank) | 4 (blank) | 5 c | 6 d | 7 (blank) |
        // 8 "e | 9 f" | 10 two spaces | 11 (empty, after the last break).
        assert_eq!(
            whole,
            [(0, 1), (7, 2), (14, 5), (16, 6), (20, 8), (23, 9), (26, 10)]
        );
        for size in 1..text.len() {
            let mut s = LineStarts::new();
            text.chunks(size).for_each(|c| s.scan(c));
            assert_eq!(
                s.starts.iter().copied().collect::<Vec<_>>(),
                whole,
                "{size}"
            );
            assert_eq!(s.line, 11);
            // A record placed before blank lines starts at the next line start.
            assert_eq!(s.record_at(11), (14, 5));
            assert_eq!(s.record_at(14), (14, 5));
        }
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 6), 1); // the `\n` of the first CRLF
        assert_eq!(line_of(text, 7), 2);
        assert_eq!(line_of(text, 16), 6); // after a lone `\r`
        assert_eq!(line_of(b"a\rb", 2), 2);
        assert_eq!(line_of(b"a\r", 2), 2);
    }

    #[test]
    fn sniffs_the_common_delimiters() {
        assert_eq!(sniff(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff(b"a;b;c\n1;2,5;3\n"), b';');
        assert_eq!(sniff(b"\xEF\xBB\xBFa\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff(b"a|b|c\n1|2|3"), b'|');
        assert_eq!(sniff(b"name,amount\n\"Smith; Jones\",3\n"), b',');
        assert_eq!(sniff(b"single\n1\n"), b',');
        assert_eq!(sniff(b""), b',');
    }
}
