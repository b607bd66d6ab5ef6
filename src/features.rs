//! Per-customer metrics from the ledger rows (DOMAIN.md, "The model").
//!
//! Rows are grouped by customer with a counting sort (one pass, no hashing), then each
//! customer's rows are sorted by (day, amount) so that every sum is taken in the same order
//! whatever the order of the input rows or files: the output never depends on it.

use crate::ledger::{Interner, Ledger, Row, NONE};

/// A column of texts kept end to end in one buffer: `texts[i]` is the i-th as a `str`.
/// A million customer ids as separate `String`s were a million allocations, moved one by
/// one into rank order and read back from wherever each was put; here they are two
/// buffers, copied in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Texts {
    text: String,
    /// Where each text ends in `text`.
    ends: Vec<usize>,
}

impl Texts {
    pub fn with_capacity(texts: usize, bytes: usize) -> Texts {
        Texts {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(texts),
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    /// The i-th text, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator + Clone {
        (0..self.len()).map(|i| &self[i])
    }

    /// Appends another column's texts after these.
    pub fn append(&mut self, o: Texts) {
        let base = self.text.len();
        self.text.push_str(&o.text);
        self.ends.extend(o.ends.iter().map(|e| e + base));
    }

    /// The texts in the given order (`order[k]` is the index of the k-th).
    pub fn gather(&self, order: &[usize]) -> Texts {
        // Each text is two reads at random, the second depending on the first (its end,
        // then its bytes): the end is loaded ahead of time, and the bytes it points to once
        // it has come (ahead, but less far).
        const ENDS_AHEAD: usize = 16;
        const TEXT_AHEAD: usize = 8;
        let mut out = Texts::with_capacity(order.len(), self.text.len());
        for (k, &i) in order.iter().enumerate() {
            if let Some(&j) = order.get(k + ENDS_AHEAD) {
                crate::hint::prefetch(self.ends.as_ptr().wrapping_add(j.wrapping_sub(1)));
            }
            if let Some(&j) = order.get(k + TEXT_AHEAD) {
                let start = if j == 0 { 0 } else { self.ends[j - 1] };
                crate::hint::prefetch(self.text.as_ptr().wrapping_add(start));
            }
            out.push(&self[i]);
        }
        out
    }
}

impl std::ops::Index<usize> for Texts {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(s) => s,
            None => panic!("text {i} of {}", self.len()),
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for Texts {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Texts {
        let mut t = Texts::default();
        for s in iter {
            t.push(s.as_ref());
        }
        t
    }
}

impl<S: AsRef<str>> Extend<S> for Texts {
    fn extend<I: IntoIterator<Item = S>>(&mut self, iter: I) {
        for s in iter {
            self.push(s.as_ref());
        }
    }
}

/// A text column of few distinct values (industries): each customer's value is an index
/// into one table of the texts. A `String` per customer was a million allocations, each
/// moved into rank order and read back from wherever it was put.
#[derive(Debug, Default, Clone)]
pub struct Labels {
    names: Interner,
    /// Per customer, an index in `names`, or [`NONE`] for no value.
    codes: Vec<u32>,
}

impl Labels {
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The i-th value (`None` for no value); panics past the end, like indexing.
    pub fn get(&self, i: usize) -> Option<&str> {
        let code = self.codes[i];
        (code != NONE).then(|| self.names.get(code))
    }

    /// Sets the i-th value.
    pub fn set(&mut self, i: usize, text: &str) {
        self.codes[i] = self.names.intern(text);
    }

    pub fn push(&mut self, text: Option<&str>) {
        let code = text.map_or(NONE, |t| self.names.intern(t));
        self.codes.push(code);
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Option<&str>> + ExactSizeIterator {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Appends another column's values after these.
    fn append(&mut self, o: Labels) {
        let to_mine: Vec<u32> = o.names.iter().map(|t| self.names.intern(t)).collect();
        self.codes.extend(
            o.codes
                .iter()
                .map(|&c| if c == NONE { NONE } else { to_mine[c as usize] }),
        );
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for Labels {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Labels {
        let mut l = Labels::default();
        for s in iter {
            l.push(s.as_ref().map(AsRef::as_ref));
        }
        l
    }
}

/// Everything measured about the customers, one `Vec` per column, one entry per customer
/// with at least one purchase row (amount >= 0) on or before the as-of date.
#[derive(Debug, Default, Clone)]
pub struct Customers {
    /// Customer id as written in the ledger (trimmed).
    pub id: Texts,
    /// Most frequent industry on the customer's rows (ties: alphabetical), if the ledger has
    /// one; an attributes file's industry replaces it.
    pub industry: Labels,
    /// Days from the last purchase to the as-of date.
    pub recency_days: Vec<i32>,
    /// Purchase occasions: distinct invoice ids on purchase rows, or distinct purchase days
    /// when the ledger has no invoice column.
    pub frequency: Vec<u32>,
    /// Distinct days with a purchase row.
    pub order_days: Vec<u32>,
    /// Net revenue: all amounts up to the as-of date, returns netted.
    pub monetary: Vec<f64>,
    /// Gross purchases (sum of positive amounts).
    pub gross: Vec<f64>,
    /// Returns and credit notes (sum of negative amounts, as a positive number).
    pub returns: Vec<f64>,
    pub first_purchase: Vec<i32>,
    pub last_purchase: Vec<i32>,
    /// Days from the first purchase to the as-of date.
    pub tenure_days: Vec<i32>,
    /// Distinct product lines on purchase rows; `None` when the ledger has no product column.
    pub product_lines: Vec<Option<u32>>,
    /// Median days between consecutive purchase days; `None` with fewer than two purchase days.
    pub cycle_days: Vec<Option<f64>>,
    /// Coefficient of variation (population sd / mean) of those gaps; `None` with fewer than two gaps.
    pub cycle_cv: Vec<Option<f64>>,
    /// Net revenue in the recent and the prior trend window.
    pub revenue_recent: Vec<f64>,
    pub revenue_prior: Vec<f64>,
    /// (recent − prior) / (|recent| + |prior|), in −1..1; 0 when both are 0.
    pub trend: Vec<f64>,
    /// Recency divided by the purchase cycle; `None` without a cycle.
    pub overdue: Vec<Option<f64>>,
    /// Mean net value of the repeat purchase days (every purchase day but the first; a day's
    /// net value is the sum of all its rows, returns on that day included), over the days
    /// whose net value is positive; `None` when there is no such day. The Gamma-Gamma input.
    pub repeat_value: Vec<Option<f64>>,
}

/// Facts about the whole base that scores and the manifest need.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BaseFacts {
    /// Customers with rows but no purchase row (only returns): not scored.
    pub customers_without_purchases: usize,
    /// Distinct product lines in the ledger (the ceiling for breadth).
    pub product_lines: usize,
    /// Length in days of each trend window.
    pub trend_window_days: i32,
    pub return_rows: u64,
    pub zero_amount_rows: u64,
    /// Rows identical to another row of the same customer in every field we read (date,
    /// amount, invoice, product line): kept and counted (an invoice may list the same line
    /// twice), and reported on stderr, since they are often a double export.
    pub duplicate_rows: u64,
}

/// The trend window: 365 days, or half the ledger's span when it covers less than two years,
/// so that a short ledger still compares two equal periods.
pub fn trend_window(first_day: i32, as_of: i32, configured: Option<u32>) -> i32 {
    if let Some(w) = configured {
        return w as i32;
    }
    let span = as_of - first_day + 1;
    if span >= 730 {
        365
    } else {
        (span / 2).max(1)
    }
}

/// Computes every metric for every customer as of `as_of`. Rows after `as_of` must already be
/// gone (the reader drops them). Customers come out in the ledger's customer order.
pub fn compute(ledger: &Ledger, as_of: i32, window: i32) -> (Customers, BaseFacts) {
    compute_parts(ledger, as_of, window).join()
}

/// The metrics of every customer in parts, one per thread, to be joined (after the ledger's
/// rows are freed, when the caller is done with them: the joined columns then take the
/// rows' memory instead of adding to the peak).
pub struct Parts {
    /// Per thread's range of blocks, in block order: the customers of the blocks its owner
    /// computed (a run from the range's start), then those of the blocks other threads took
    /// from its end, one part per block, in block order.
    parts: Vec<(Customers, BaseFacts)>,
    product_lines: usize,
    window: i32,
}

impl Parts {
    /// The customers of every part, in the ledger's customer order.
    pub fn join(self) -> (Customers, BaseFacts) {
        // The first part is the base, so only the later parts are copied (and a large base
        // grows in place rather than being copied).
        let mut parts = self.parts.into_iter();
        let (mut c, mut facts) = parts.next().unwrap_or_default();
        facts.product_lines = self.product_lines;
        facts.trend_window_days = self.window;
        for (part, f) in parts {
            c.append(part);
            facts.customers_without_purchases += f.customers_without_purchases;
            facts.return_rows += f.return_rows;
            facts.zero_amount_rows += f.zero_amount_rows;
            facts.duplicate_rows += f.duplicate_rows;
        }
        (c, facts)
    }
}

/// [`compute`] without the join.
///
/// Blocks are independent. Each thread owns a contiguous range of them with about the same
/// number of rows and takes its blocks from the range's start; a thread done with its own
/// takes the last block left in the range with the most blocks left. Equal shares of rows
/// were not equal shares of time (one thread ran alone for a tenth of the stage).
pub fn compute_parts(ledger: &Ledger, as_of: i32, window: i32) -> Parts {
    compute_on(
        ledger,
        as_of,
        window,
        crate::par::threads_for(ledger.row_count()),
    )
}

/// [`compute_parts`] on `threads` threads.
fn compute_on(ledger: &Ledger, as_of: i32, window: i32, threads: usize) -> Parts {
    use std::sync::Mutex;
    let rows = ledger.row_count();
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut from, mut seen) = (0, 0);
    for (k, b) in ledger.blocks.iter().enumerate() {
        seen += b.row_count();
        if seen * threads >= rows * (ranges.len() + 1) && ranges.len() + 1 < threads {
            ranges.push(from..k + 1);
            from = k + 1;
        }
    }
    ranges.push(from..ledger.blocks.len());
    // The blocks of each range not yet taken.
    let left: Vec<Mutex<std::ops::Range<usize>>> = ranges.iter().cloned().map(Mutex::new).collect();
    let take = |r: usize, from_end: bool| {
        let mut range = left[r].lock().unwrap_or_else(|e| e.into_inner());
        if from_end {
            range.next_back()
        } else {
            range.next()
        }
    };
    // A part's columns, with room for the customers of `ids` ids.
    let part = |ids: usize| {
        let mut c = Customers::with_capacity(ids);
        c.industry.names = ledger.industries.clone();
        let facts = BaseFacts {
            trend_window_days: window,
            ..BaseFacts::default()
        };
        (c, facts)
    };
    let run = |own: usize| {
        let mut work = Work::new(ledger, as_of, window);
        let ids = ledger.blocks[ranges[own].clone()].iter();
        let mut mine = part(ids.map(|b| b.ids.len()).sum());
        while let Some(k) = take(own, false) {
            work.block(k, &mut mine);
        }
        let mut taken = Vec::new();
        loop {
            let most = (0..left.len())
                .max_by_key(|&r| left[r].lock().map_or(0, |range| range.len()))
                .unwrap_or(own);
            let Some(k) = take(most, true) else { break };
            let mut theirs = part(ledger.blocks[k].ids.len());
            work.block(k, &mut theirs);
            taken.push((k, theirs));
        }
        (mine, taken)
    };
    let mut done: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..ranges.len())
            .map(|own| s.spawn(move || run(own)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut taken: Vec<_> = done.iter_mut().flat_map(|(_, t)| t.drain(..)).collect();
    taken.sort_unstable_by_key(|(k, _)| *k);
    // In block order: each range's own part, then the blocks taken from its end.
    let mut ordered = Vec::with_capacity(done.len() + taken.len());
    let mut taken = taken.into_iter().peekable();
    for ((mine, _), range) in done.into_iter().zip(&ranges) {
        ordered.push(mine);
        while let Some((_, part)) = taken.next_if(|(k, _)| range.contains(k)) {
            ordered.push(part);
        }
    }
    Parts {
        parts: ordered,
        product_lines: ledger.products.len(),
        window,
    }
}

/// Computes blocks' metrics, with scratch space reused from block to block.
struct Work<'l> {
    ledger: &'l Ledger,
    as_of: i32,
    window: i32,
    start: Vec<u32>,
    grouped: Vec<Row>,
    scratch_u64: Vec<u64>,
    hash_table: Vec<u64>,
    scratch_u32: Vec<u32>,
    products: Vec<u32>,
    days: Vec<i32>,
    gap_days: Vec<i32>,
    gaps: Vec<f64>,
}

impl<'l> Work<'l> {
    fn new(ledger: &'l Ledger, as_of: i32, window: i32) -> Self {
        Work {
            ledger,
            as_of,
            window,
            start: Vec::new(),
            grouped: Vec::new(),
            scratch_u64: Vec::new(),
            hash_table: Vec::new(),
            scratch_u32: Vec::new(),
            products: Vec::new(),
            days: Vec::new(),
            gap_days: Vec::new(),
            gaps: Vec::new(),
        }
    }

    /// Appends the metrics of the customers of block `k` to `c` and counts its rows' facts.
    fn block(&mut self, k: usize, (c, facts): &mut (Customers, BaseFacts)) {
        let Work {
            ledger,
            as_of,
            window,
            start,
            grouped,
            scratch_u64,
            hash_table,
            scratch_u32,
            products,
            days,
            gap_days,
            gaps,
        } = self;
        let (ledger, as_of, window) = (*ledger, *as_of, *window);
        let block = &ledger.blocks[k];
        // The block's rows grouped by customer with a counting sort (a block fits in cache).
        let n = block.ids.len();
        start.clear();
        start.resize(n + 1, 0);
        for r in block.rows() {
            start[r.customer as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        // The counting sort below writes every slot (the starts share out 0..rows), so the
        // rows of the last block left in place need no clearing: only new room is filled.
        grouped.resize(block.row_count(), Row::default());
        {
            let mut fill = start[..n].to_vec();
            for r in block.rows() {
                let slot = &mut fill[r.customer as usize];
                grouped[*slot as usize] = *r;
                *slot += 1;
            }
        }
        for cust in 0..n {
            let mine = &mut grouped[start[cust] as usize..start[cust + 1] as usize];
            sort_nearly_sorted(mine, row_order);
            let mine = &*mine;
            // One pass over the customer's rows for the counts, the sums and the purchase
            // rows' days, invoices and product lines (sums in row order, as before).
            // A purchase row is any row that is not a return: a zero amount (free goods, a
            // promotional order) is still an order, as in the buy-till-you-die literature.
            let (mut net, mut gross, mut ret, mut recent, mut prior) = (0.0, 0.0, 0.0, 0.0, 0.0);
            let (mut first, mut last) = (None, 0);
            let mut previous: Option<&Row> = None;
            days.clear();
            scratch_u64.clear();
            products.clear();
            for r in mine {
                facts.return_rows += u64::from(r.amount < 0.0);
                facts.zero_amount_rows += u64::from(r.amount == 0.0);
                // Sorted by every field: a duplicate sits next to its twin.
                facts.duplicate_rows += u64::from(previous == Some(r));
                previous = Some(r);
                net += r.amount;
                if r.amount > 0.0 {
                    gross += r.amount;
                } else {
                    ret -= r.amount;
                }
                if r.day > as_of - window {
                    recent += r.amount;
                } else if r.day > as_of - 2 * window {
                    prior += r.amount;
                }
                if r.amount >= 0.0 {
                    first.get_or_insert(r.day);
                    last = r.day;
                    if days.last() != Some(&r.day) {
                        days.push(r.day);
                    }
                    if ledger.has_invoice {
                        scratch_u64.push(r.invoice);
                    }
                    if ledger.has_product {
                        products.push(r.product);
                    }
                }
            }
            let Some(first) = first else {
                facts.customers_without_purchases += 1;
                continue;
            };
            let frequency = if ledger.has_invoice {
                count_distinct_hashes(scratch_u64, hash_table)
            } else {
                days.len()
            } as u32;
            let product_lines = ledger
                .has_product
                .then(|| distinct_codes(products.iter().copied(), scratch_u32));

            // The days are distinct and in order, so each gap is a whole number of days,
            // at least 1: sorted as integers, in the same order as by value.
            gap_days.clear();
            gap_days.extend(days.windows(2).map(|w| w[1] - w[0]));
            gap_days.sort_unstable();
            gaps.clear();
            gaps.extend(gap_days.iter().map(|&g| f64::from(g)));
            let cycle = median_of_sorted(gaps);
            let cv = (gaps.len() >= 2).then(|| coefficient_of_variation(gaps));
            let recency = as_of - last;
            let trend = if recent == 0.0 && prior == 0.0 {
                0.0
            } else {
                (recent - prior) / (recent.abs() + prior.abs())
            };

            c.id.push(block.ids.get(cust as u32));
            c.industry.codes.push(if ledger.has_industry {
                main_industry(mine, ledger, scratch_u32)
            } else {
                NONE
            });
            c.recency_days.push(recency);
            c.frequency.push(frequency);
            c.order_days.push(days.len() as u32);
            c.monetary.push(net);
            c.gross.push(gross);
            c.returns.push(ret);
            c.first_purchase.push(first);
            c.last_purchase.push(last);
            c.tenure_days.push(as_of - first);
            c.product_lines.push(product_lines);
            c.cycle_days.push(cycle);
            c.cycle_cv.push(cv);
            c.revenue_recent.push(recent);
            c.revenue_prior.push(prior);
            c.trend.push(trend);
            c.overdue.push(cycle.map(|cy| f64::from(recency) / cy));
            c.repeat_value.push(repeat_value(mine, first));
        }
    }
}

impl Customers {
    /// Room for `n` customers, the number columns' pages mapped at once
    /// ([`crate::alloc::prefault_spare`]): each is written in full.
    fn with_capacity(n: usize) -> Customers {
        fn mapped<T>(n: usize) -> Vec<T> {
            let v = Vec::with_capacity(n);
            crate::alloc::prefault_spare(&v, n);
            v
        }
        Customers {
            // Ids are usually short; a longer one grows the buffer.
            id: Texts::with_capacity(n, 12 * n),
            industry: Labels {
                names: Interner::default(),
                codes: mapped(n),
            },
            recency_days: mapped(n),
            frequency: mapped(n),
            order_days: mapped(n),
            monetary: mapped(n),
            gross: mapped(n),
            returns: mapped(n),
            first_purchase: mapped(n),
            last_purchase: mapped(n),
            tenure_days: mapped(n),
            product_lines: mapped(n),
            cycle_days: mapped(n),
            cycle_cv: mapped(n),
            revenue_recent: mapped(n),
            revenue_prior: mapped(n),
            trend: mapped(n),
            overdue: mapped(n),
            repeat_value: mapped(n),
        }
    }

    /// Appends another set of customers after these. On a large set, half the columns are
    /// copied on a second thread (the copy's page faults are most of its time).
    pub fn append(&mut self, o: Customers) {
        let threads = crate::par::threads_for(o.len());
        let Customers {
            id,
            industry,
            recency_days,
            frequency,
            order_days,
            monetary,
            gross,
            returns,
            first_purchase,
            last_purchase,
            tenure_days,
            product_lines,
            cycle_days,
            cycle_cv,
            revenue_recent,
            revenue_prior,
            trend,
            overdue,
            repeat_value,
        } = self;
        let first = move || {
            id.append(o.id);
            industry.append(o.industry);
            recency_days.extend(o.recency_days);
            frequency.extend(o.frequency);
            order_days.extend(o.order_days);
            monetary.extend(o.monetary);
            gross.extend(o.gross);
            returns.extend(o.returns);
        };
        let second = move || {
            first_purchase.extend(o.first_purchase);
            last_purchase.extend(o.last_purchase);
            tenure_days.extend(o.tenure_days);
            product_lines.extend(o.product_lines);
            cycle_days.extend(o.cycle_days);
            cycle_cv.extend(o.cycle_cv);
            revenue_recent.extend(o.revenue_recent);
            revenue_prior.extend(o.revenue_prior);
            trend.extend(o.trend);
            overdue.extend(o.overdue);
            repeat_value.extend(o.repeat_value);
        };
        if threads > 1 {
            crate::par::join(first, second);
        } else {
            first();
            second();
        }
    }

    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// The customers in the given order (`order[k]` is the index of the k-th). One column at
    /// a time, so each pass reads one column at random and writes one in order; columns of
    /// one type take turns with one spare buffer ([`Regather`]).
    pub fn gather(mut self, order: &[usize]) -> Customers {
        // Each column is a pass of reads at random: half of them on a second thread.
        let Customers {
            id,
            industry,
            recency_days,
            frequency,
            order_days,
            monetary,
            gross,
            returns,
            first_purchase,
            last_purchase,
            tenure_days,
            product_lines,
            cycle_days,
            cycle_cv,
            revenue_recent,
            revenue_prior,
            trend,
            overdue,
            repeat_value,
        } = &mut self;
        // About as much time on each side: the ids (two reads at random each), 4- and 8-byte
        // columns on one; the 16-byte options and two 8-byte columns on the other (with the
        // split by bytes alone, the ids' side ran alone for a third of the gather).
        crate::par::join(
            || {
                *id = id.gather(order);
                Regather::new(order).apply(&mut industry.codes);
                let mut days = Regather::new(order);
                for v in [recency_days, first_purchase, last_purchase, tenure_days] {
                    days.apply(v);
                }
                let mut counts = Regather::new(order);
                counts.apply(frequency);
                counts.apply(order_days);
                let mut sums = Regather::new(order);
                for v in [monetary, gross, returns, revenue_recent] {
                    sums.apply(v);
                }
            },
            || {
                let mut opt = Regather::new(order);
                for v in [cycle_days, cycle_cv, overdue, repeat_value] {
                    opt.apply(v);
                }
                Regather::new(order).apply(product_lines);
                let mut sums = Regather::new(order);
                for v in [revenue_prior, trend] {
                    sums.apply(v);
                }
            },
        );
        self
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

/// Puts columns of one type into a new order, one after the other, with a single spare
/// buffer: each column is gathered into the spare, and the column's old buffer becomes the
/// spare for the next. On a million customers that is one fresh buffer per type instead of
/// one per column (fresh memory costs a page fault per 4 KiB on first touch).
pub(crate) struct Regather<'o, T> {
    order: &'o [usize],
    spare: Vec<T>,
}

impl<'o, T: Copy> Regather<'o, T> {
    pub(crate) fn new(order: &'o [usize]) -> Self {
        Regather {
            order,
            spare: Vec::new(),
        }
    }

    /// Replaces `v` with its values in the order: `v[order[0]]`, `v[order[1]]`, …
    pub(crate) fn apply(&mut self, v: &mut Vec<T>) {
        self.spare.clear();
        self.spare.extend(self.order.iter().map(|&i| v[i]));
        std::mem::swap(v, &mut self.spare);
    }
}

/// The order of a customer's rows: by day, then by every other field, so that the sums run
/// in an order of the values alone and a duplicate row sits next to its twin.
fn row_order(a: &Row, b: &Row) -> std::cmp::Ordering {
    a.day
        .cmp(&b.day)
        .then(a.amount.total_cmp(&b.amount))
        .then(a.invoice.cmp(&b.invoice))
        .then(a.product.cmp(&b.product))
        .then(a.industry.cmp(&b.industry))
}

/// Sorts `v` by `order`, in one pass when it is nearly in order already. A ledger kept in date
/// order leaves each customer's rows so but for the lines of one day, and the library sort
/// does not see that: from 21 rows on it partitions (on a 10M-row ledger half the rows belong
/// to such customers). An insertion sort moves each row past the few rows it belongs before;
/// once it has moved more than a few rows per row (a ledger in another order) it hands the
/// rest to the library sort, so the worst case stays O(n log n). Rows equal by `order` are
/// equal in every field, so the result is the library sort's.
fn sort_nearly_sorted<T: Copy>(v: &mut [T], order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    let less = |a: &T, b: &T| order(a, b) == std::cmp::Ordering::Less;
    let budget = 4 * v.len() + 16;
    let mut moved = 0;
    for i in 1..v.len() {
        if !less(&v[i], &v[i - 1]) {
            continue;
        }
        let x = v[i];
        let mut j = i;
        while j > 0 && less(&x, &v[j - 1]) {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        moved += i - j;
        if moved > budget {
            v.sort_unstable_by(order);
            return;
        }
    }
}

/// Mean net value of the purchase days after `first` with a positive net value (rows sorted
/// by day).
fn repeat_value(rows: &[Row], first: i32) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u32);
    for day in rows.chunk_by(|a, b| a.day == b.day) {
        if day[0].day > first && day.iter().any(|r| r.amount >= 0.0) {
            let net: f64 = day.iter().map(|r| r.amount).sum();
            if net > 0.0 {
                sum += net;
                n += 1;
            }
        }
    }
    (n > 0).then(|| sum / f64::from(n))
}

/// Median of the values (sorts them); `None` when empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_unstable_by(f64::total_cmp);
    median_of_sorted(v)
}

/// Median of values already in order; `None` when empty.
fn median_of_sorted(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// Population standard deviation over the mean; 0 for a zero mean.
pub fn coefficient_of_variation(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return 0.0;
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// [`count_distinct`] for 64-bit hashes (the invoices'): past a few, counted in an open
/// addressing table (`table`, reused) rather than by sorting them; a customer's invoice
/// hashes are random, so the sort partitioned every one of them.
fn count_distinct_hashes(v: &mut Vec<u64>, table: &mut Vec<u64>) -> usize {
    if v.len() <= 32 {
        return count_distinct(v);
    }
    let bits = (2 * v.len()).next_power_of_two().trailing_zeros();
    table.clear();
    table.resize(1 << bits, 0);
    let mask = table.len() - 1;
    // 0 marks a free slot; a hash of 0 is counted apart.
    let (mut count, mut zero) = (0, false);
    for &h in v.iter() {
        if h == 0 {
            zero = true;
            continue;
        }
        let mut at = (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize;
        loop {
            match table[at] {
                0 => {
                    table[at] = h;
                    count += 1;
                    break;
                }
                x if x == h => break,
                _ => at = (at + 1) & mask,
            }
        }
    }
    count + usize::from(zero)
}

/// How many distinct values `v` holds (reordering it). An invoice's lines sit together, so
/// runs of one value go first; a few values left are compared with each other, without
/// the cost of a sort (a sort call per customer per column was ~5% of a large run's CPU).
fn count_distinct<T: Ord + Copy>(v: &mut Vec<T>) -> usize {
    v.dedup();
    if v.len() <= 16 {
        (0..v.len()).filter(|&k| !v[..k].contains(&v[k])).count()
    } else {
        v.sort_unstable();
        v.dedup();
        v.len()
    }
}

/// How many distinct codes (product lines) there are, `NONE` not counted: codes under 64 in
/// a bit set, any others through `scratch`.
fn distinct_codes(codes: impl Iterator<Item = u32>, scratch: &mut Vec<u32>) -> u32 {
    let mut low = 0u64;
    scratch.clear();
    for c in codes {
        if c < 64 {
            low |= 1 << c;
        } else if c != NONE {
            scratch.push(c);
        }
    }
    low.count_ones() + count_distinct(scratch) as u32
}

/// The industry on most of the customer's rows; ties go to the alphabetically first.
/// `ids` is scratch space.
fn main_industry(rows: &[Row], ledger: &Ledger, ids: &mut Vec<u32>) -> u32 {
    ids.clear();
    ids.extend(rows.iter().map(|r| r.industry).filter(|&i| i != NONE));
    // Mostly one industry on every row: no counting needed.
    match ids.first() {
        None => return NONE,
        Some(&one) if ids.iter().all(|&i| i == one) => return one,
        _ => {}
    }
    ids.sort_unstable();
    let mut best: Option<(usize, &str, u32)> = None;
    for run in ids.chunk_by(|a, b| a == b) {
        let name = ledger.industries.get(run[0]);
        let better = match best {
            None => true,
            Some((n, b, _)) => run.len() > n || (run.len() == n && name < b),
        };
        if better {
            best = Some((run.len(), name, run[0]));
        }
    }
    best.map_or(NONE, |(_, _, code)| code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::parse::days_from_civil;
    use crate::ledger::Interner;

    fn ledger(rows: &[(&str, &str, f64, &str, &str)], with_invoice: bool) -> Ledger {
        let (mut ids, mut products, mut industries) = (
            Interner::default(),
            Interner::default(),
            Interner::default(),
        );
        let mut all = Vec::new();
        for &(c, d, a, inv, p) in rows {
            let day = crate::ledger::parse::parse_date(d.as_bytes(), &Default::default()).unwrap();
            let customer = ids.intern(c);
            let product = products.intern(p);
            let industry = industries.intern(if c == "B" { "Retail" } else { "Finance" });
            let invoice = if with_invoice {
                crate::ledger::hash64(inv.as_bytes())
            } else {
                day as u64
            };
            all.push(Row {
                customer,
                day,
                amount: a,
                invoice,
                product,
                industry,
            });
        }
        Ledger {
            has_invoice: with_invoice,
            has_product: true,
            has_industry: true,
            products,
            industries,
            ..Ledger::from_rows(all, ids)
        }
    }

    #[test]
    fn metrics_of_a_hand_computed_customer() {
        // A buys on Jan 1 (two lines, one invoice), Jan 11, Jan 31 and returns 20 on Feb 5.
        let l = ledger(
            &[
                ("A", "2025-01-01", 100.0, "I1", "Hardware"),
                ("A", "2025-01-01", 50.0, "I1", "Software"),
                ("A", "2025-01-11", 30.0, "I2", "Hardware"),
                ("A", "2025-01-31", 70.0, "I3", "Hardware"),
                ("A", "2025-02-05", -20.0, "R1", "Hardware"),
                ("B", "2025-02-01", 10.0, "I4", "Services"),
                ("Z", "2025-01-15", -5.0, "R2", "Services"),
            ],
            true,
        );
        let as_of = days_from_civil(2025, 2, 10);
        let (c, f) = compute(&l, as_of, 20);
        assert_eq!(c.id.iter().collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(f.customers_without_purchases, 1);
        assert_eq!((f.return_rows, f.product_lines), (2, 3));
        assert_eq!(c.frequency[0], 3);
        assert_eq!(c.order_days[0], 3);
        assert_eq!(c.monetary[0], 230.0);
        assert_eq!((c.gross[0], c.returns[0]), (250.0, 20.0));
        assert_eq!(c.recency_days[0], 10);
        assert_eq!(c.tenure_days[0], 40);
        assert_eq!(c.product_lines[0], Some(2));
        // Gaps 10 and 20 days: median 15, mean 15, sd 5.
        assert_eq!(c.cycle_days[0], Some(15.0));
        assert!((c.cycle_cv[0].unwrap() - 5.0 / 15.0).abs() < 1e-12);
        assert!((c.overdue[0].unwrap() - 10.0 / 15.0).abs() < 1e-12);
        // Window 20 days: recent is (Jan 21, Feb 10] = 70 - 20 = 50; prior (Jan 1, Jan 21] = 30.
        assert_eq!((c.revenue_recent[0], c.revenue_prior[0]), (50.0, 30.0));
        assert!((c.trend[0] - 20.0 / 80.0).abs() < 1e-12);
        assert_eq!(
            c.industry.iter().collect::<Vec<_>>(),
            [Some("Finance"), Some("Retail")]
        );
        // Repeat days Jan 11 (30) and Jan 31 (70); the Feb 5 return is not an occasion.
        assert_eq!(c.repeat_value[0], Some(50.0));
        assert_eq!(c.repeat_value[1], None);
        // One purchase: no cycle, no cv, no overdue; new revenue only is the top trend.
        assert_eq!(
            (c.cycle_days[1], c.cycle_cv[1], c.overdue[1]),
            (None, None, None)
        );
        assert_eq!(c.trend[1], 1.0);
    }

    #[test]
    fn without_invoices_frequency_counts_days() {
        let l = ledger(
            &[
                ("A", "2025-01-01", 1.0, "", "P"),
                ("A", "2025-01-01", 2.0, "", "P"),
                ("A", "2025-01-02", 3.0, "", "P"),
            ],
            false,
        );
        let (c, _) = compute(&l, days_from_civil(2025, 1, 2), 10);
        assert_eq!(
            (c.frequency[0], c.order_days[0], c.recency_days[0]),
            (2, 2, 0)
        );
        assert_eq!((c.cycle_days[0], c.cycle_cv[0]), (Some(1.0), None));
    }

    #[test]
    fn row_order_does_not_change_any_metric() {
        let mut rows = vec![
            ("A", "2025-01-01", 0.1, "I1", "P"),
            ("A", "2025-01-01", 0.2, "I2", "Q"),
            ("A", "2025-01-01", 0.3, "I3", "P"),
            ("B", "2025-01-03", 5.0, "I4", "P"),
        ];
        let as_of = days_from_civil(2025, 1, 5);
        let (a, _) = compute(&ledger(&rows, true), as_of, 3);
        rows.reverse();
        let (b, _) = compute(&ledger(&rows, true), as_of, 3);
        let by_id = |c: &Customers, id: &str| c.id.iter().position(|x| x == id).unwrap();
        for id in ["A", "B"] {
            assert_eq!(
                a.monetary[by_id(&a, id)].to_bits(),
                b.monetary[by_id(&b, id)].to_bits()
            );
            assert_eq!(a.frequency[by_id(&a, id)], b.frequency[by_id(&b, id)]);
        }
    }

    #[test]
    fn texts_keep_each_text_whole_through_append_and_gather() {
        let mut a: Texts = ["C1", "", "客户"].into_iter().collect();
        let b: Texts = ["x,y", "C1"].into_iter().collect();
        a.append(b);
        assert_eq!(a.len(), 5);
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            ["C1", "", "客户", "x,y", "C1"]
        );
        assert_eq!(a.iter().next_back(), Some("C1"));
        assert_eq!((&a[2], a.get(4), a.get(5)), ("客户", Some("C1"), None));
        let g = a.gather(&[3, 0, 2, 1]);
        assert_eq!(g.iter().collect::<Vec<_>>(), ["x,y", "C1", "客户", ""]);
        assert_eq!(Texts::default().get(0), None);
        assert!(std::panic::catch_unwind(|| a[5].len()).is_err());
    }

    #[test]
    fn labels_keep_each_value_through_append_set_and_gather() {
        let mut a: Labels = [Some("Retail"), None, Some("Finance")]
            .into_iter()
            .collect();
        // Its own table of names, in another order, with one name `a` lacks.
        let b: Labels = [Some("Energy"), Some("Finance"), None]
            .into_iter()
            .collect();
        a.append(b);
        fn all(l: &Labels) -> Vec<Option<&str>> {
            l.iter().collect()
        }
        assert_eq!(
            all(&a),
            [
                Some("Retail"),
                None,
                Some("Finance"),
                Some("Energy"),
                Some("Finance"),
                None
            ]
        );
        a.set(1, "Retail");
        a.set(5, "Mining");
        assert_eq!(
            (a.get(1), a.get(5), a.len()),
            (Some("Retail"), Some("Mining"), 6)
        );
        let mut codes = a.codes.clone();
        Regather::new(&[5, 3, 0]).apply(&mut codes);
        let g = Labels {
            names: a.names.clone(),
            codes,
        };
        assert_eq!(all(&g), [Some("Mining"), Some("Energy"), Some("Retail")]);
        assert!(std::panic::catch_unwind(|| a.get(6)).is_err());
    }

    #[test]
    fn any_number_of_threads_gives_the_customers_of_one_in_the_same_order() {
        // A ledger of 256 blocks, as the readers make them, with customers in every block.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.csv");
        let mut csv = String::from("customer_id,date,amount,invoice_id,product_line,industry\n");
        let mut x = 11u64;
        for i in 0..6000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (c, d, p) = ((x >> 33) % 1500, (x >> 20) % 700, (x >> 12) % 7);
            let sign = if i % 17 == 0 { "-" } else { "" };
            csv += &format!(
                "C{c},2024-{:02}-{:02},{sign}{}.{:02},I{},P{p},Ind{}\n",
                1 + d % 12,
                1 + d % 28,
                (x >> 40) % 900,
                (x >> 8) % 100,
                i / 2,
                c % 5
            );
        }
        std::fs::write(&path, csv).unwrap();
        let ledger = crate::ledger::read_ledger(
            &[path],
            &Default::default(),
            &crate::progress::Progress::new(true),
        )
        .unwrap();
        assert!(ledger.blocks.len() > 8);
        let as_of = days_from_civil(2024, 12, 31);
        let (one, one_facts) = compute_on(&ledger, as_of, 180, 1).join();
        assert!(one.len() > 1000);
        for threads in [2, 3, 8] {
            // Which thread takes which block depends on timing: a few runs each.
            for _ in 0..5 {
                let (c, facts) = compute_on(&ledger, as_of, 180, threads).join();
                assert_eq!(c.id, one.id, "{threads} threads");
                assert_eq!(
                    c.industry.iter().collect::<Vec<_>>(),
                    one.industry.iter().collect::<Vec<_>>()
                );
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&c.monetary), bits(&one.monetary));
                assert_eq!(bits(&c.trend), bits(&one.trend));
                assert_eq!(c.frequency, one.frequency);
                assert_eq!(c.first_purchase, one.first_purchase);
                assert_eq!(c.cycle_cv, one.cycle_cv);
                assert_eq!(c.repeat_value, one.repeat_value);
                assert_eq!(facts.return_rows, one_facts.return_rows);
                assert_eq!(
                    facts.customers_without_purchases,
                    one_facts.customers_without_purchases
                );
            }
        }
    }

    #[test]
    fn regather_puts_every_column_in_the_order_with_one_spare() {
        let order = [2, 0, 3, 1];
        let mut r = Regather::new(&order);
        let mut x = vec![10, 11, 12, 13];
        let mut y = vec![20, 21, 22, 23];
        r.apply(&mut x);
        r.apply(&mut y);
        assert_eq!((x, y), (vec![12, 10, 13, 11], vec![22, 20, 23, 21]));
        // A shorter order (customers dropped) shortens the column.
        let mut z = vec![1.5, 2.5, 3.5];
        Regather::new(&[1]).apply(&mut z);
        assert_eq!(z, [2.5]);
    }

    #[test]
    fn main_industry_is_the_most_frequent_with_ties_alphabetical() {
        let mut l = Ledger::default();
        let (retail, finance) = (
            l.industries.intern("Retail"),
            l.industries.intern("Finance"),
        );
        let rows = |codes: &[u32]| -> Vec<Row> {
            codes
                .iter()
                .map(|&industry| Row {
                    industry,
                    ..Row::default()
                })
                .collect()
        };
        let mut scratch = Vec::new();
        let mut of = |codes: &[u32]| main_industry(&rows(codes), &l, &mut scratch);
        assert_eq!(of(&[]), NONE);
        assert_eq!(of(&[NONE, NONE]), NONE);
        assert_eq!(of(&[NONE, retail, retail]), retail);
        assert_eq!(of(&[retail, finance, retail, NONE]), retail);
        assert_eq!(of(&[finance, NONE, retail, finance]), finance);
        // A tie: Finance before Retail, whichever came first.
        assert_eq!(of(&[retail, finance]), finance);
        assert_eq!(of(&[finance, retail, retail, finance]), finance);
    }

    #[test]
    fn distinct_counts_agree_with_sort_and_dedup() {
        // Lengths on both sides of the compare-without-sorting limit and of the hash table's;
        // few and many values (0 among them), in runs and not; product codes under 64, above
        // it, and none.
        let mut next = crate::test_rng(0x2545_f491_4f6c_dd1du64);
        let (mut scratch, mut table) = (Vec::new(), Vec::new());
        for case in 0..2000 {
            // Past 32 values the hashes' table counts them.
            let len = (next() % if case % 3 == 0 { 300 } else { 40 }) as usize;
            let spread = [2, 5, 70, 1 << 20, u64::MAX][case % 5];
            let mut v: Vec<u64> = Vec::new();
            while v.len() < len {
                let x = next() % spread;
                let run = 1 + (next() % 3) as usize;
                v.extend(std::iter::repeat_n(x, run.min(len - v.len())));
            }
            let mut want = v.clone();
            want.sort_unstable();
            want.dedup();
            let codes: Vec<u32> = v
                .iter()
                .map(|&x| if x % 7 == 6 { NONE } else { x as u32 })
                .collect();
            let mut want_codes: Vec<u32> = codes.iter().copied().filter(|&c| c != NONE).collect();
            want_codes.sort_unstable();
            want_codes.dedup();
            assert_eq!(count_distinct(&mut v.clone()), want.len(), "{v:?}");
            assert_eq!(
                count_distinct_hashes(&mut v.clone(), &mut table),
                want.len(),
                "{v:?}"
            );
            assert_eq!(
                distinct_codes(codes.iter().copied(), &mut scratch) as usize,
                want_codes.len(),
                "{codes:?}"
            );
        }
    }

    #[test]
    fn nearly_sorted_rows_sort_as_the_library_sorts() {
        // Rows in day order with each day's lines shuffled, rows reversed (over the budget:
        // the library sort takes over), rows at random, and short and empty slices.
        let mut x = 11u64;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        for case in 0..400 {
            let n = [0, 1, 2, 5, 20, 21, 64, 300][case % 8];
            let mut rows: Vec<Row> = (0..n)
                .map(|i| Row {
                    customer: 3,
                    day: match case % 3 {
                        0 => i as i32 / 3,
                        1 => (n - i) as i32,
                        _ => next(50) as i32,
                    },
                    amount: [-0.0, 0.0, 1.5, -2.0, 7.25][next(5) as usize],
                    invoice: next(4),
                    product: next(3) as u32,
                    industry: next(2) as u32,
                })
                .collect();
            if case % 5 == 4 && n > 1 {
                // A duplicate row.
                rows[n / 2] = rows[0];
            }
            let mut want = rows.clone();
            want.sort_unstable_by(row_order);
            sort_nearly_sorted(&mut rows, row_order);
            assert_eq!(
                rows.iter()
                    .map(|r| (r.day, r.amount.to_bits(), r.invoice, r.product, r.industry))
                    .collect::<Vec<_>>(),
                want.iter()
                    .map(|r| (r.day, r.amount.to_bits(), r.invoice, r.product, r.industry))
                    .collect::<Vec<_>>(),
                "case {case}"
            );
        }
    }

    #[test]
    fn median_cv_and_window_edge_cases() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(coefficient_of_variation(&[7.0, 7.0, 7.0]), 0.0);
        assert_eq!(trend_window(0, 1000, None), 365);
        assert_eq!(trend_window(0, 99, None), 50);
        assert_eq!(trend_window(0, 0, None), 1);
        assert_eq!(trend_window(0, 1000, Some(90)), 90);
    }
}
