//! Charts (plotters), as PNG (1600×900, for slides) and SVG (for the HTML report and print).
//!
//! Text is drawn with one font compiled into the binary (`fonts/NotoSansSC-subset.otf`: Latin
//! and the common Chinese characters), so a PNG has its labels on a machine with no fonts at
//! all. A label with a character the font lacks would be drawn as empty boxes: the run says
//! so in a warning instead of dropping it silently. PNG bytes are encoded here (the `png`
//! crate, no timestamps), so the same run gives the same files.

use std::sync::Once;

use ab_glyph::{Font, FontRef};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::backtest::Backtest;
use crate::classify::Tier;
use crate::lang::Lang;
use crate::pipeline::Scored;
use crate::report::summary::GroupRow;

/// The font every chart is drawn with.
static FONT: &[u8] = include_bytes!("fonts/NotoSansSC-subset.otf");
const FAMILY: &str = "sans-serif";

/// PNG size: readable when pasted into a 16:9 slide.
pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 900;

/// Which files to draw (`--chart-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ChartFormat {
    Png,
    Svg,
    #[default]
    Both,
}

impl ChartFormat {
    fn png(self) -> bool {
        self != ChartFormat::Svg
    }
    fn svg(self) -> bool {
        self != ChartFormat::Png
    }
}

/// One drawn chart: its file stem and the files' bytes.
pub struct Drawn {
    pub stem: &'static str,
    pub title: String,
    pub png: Option<Vec<u8>>,
    pub svg: Option<String>,
}

/// The names of every chart file any run may write, for removing stale ones.
pub const STEMS: [&str; 7] = [
    "revenue_concentration",
    "tiers",
    "rfm_heatmap",
    "value_scores",
    "p_alive_matrix",
    "backtest_by_frequency",
    "tier_migration",
];

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            // Cannot happen with the bytes compiled in; the charts would then have no text,
            // and the glyph check below says so for every label.
        }
    });
}

/// Characters of `text` the chart font cannot draw.
pub(crate) fn missing_glyphs(text: &str) -> Vec<char> {
    let Ok(font) = FontRef::try_from_slice(FONT) else {
        return text.chars().collect();
    };
    let mut missing: Vec<char> = text
        .chars()
        .filter(|c| !c.is_control() && font.glyph_id(*c).0 == 0)
        .collect();
    missing.dedup();
    missing
}

/// Warnings for labels that cannot be drawn.
pub fn check_labels<'a>(chart: &str, labels: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    labels
        .into_iter()
        .filter_map(|l| {
            let m = missing_glyphs(l);
            (!m.is_empty()).then(|| {
                format!(
                    "chart {chart}: the label {l:?} has characters the built-in font cannot draw ({}); they show as empty boxes in the PNG (the SVG keeps the text)",
                    m.iter().collect::<String>()
                )
            })
        })
        .collect()
}

type Area<'a, DB> = DrawingArea<DB, Shift>;
type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can be drawn on any backend.
trait Draw {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB>;
}

fn render<D: Draw>(
    d: &D,
    stem: &'static str,
    title: String,
    format: ChartFormat,
) -> anyhow::Result<Drawn> {
    register_font();
    let png = if format.png() {
        let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
            d.draw(&area)
                .map_err(|e| anyhow::anyhow!("drawing chart {stem}: {e}"))?;
            area.present()
                .map_err(|e| anyhow::anyhow!("drawing chart {stem}: {e}"))?;
        }
        Some(encode_png(&buf)?)
    } else {
        None
    };
    let svg = if format.svg() {
        let mut s = String::new();
        {
            let area = SVGBackend::with_string(&mut s, (WIDTH, HEIGHT)).into_drawing_area();
            d.draw(&area)
                .map_err(|e| anyhow::anyhow!("drawing chart {stem}: {e}"))?;
            area.present()
                .map_err(|e| anyhow::anyhow!("drawing chart {stem}: {e}"))?;
        }
        Some(s)
    } else {
        None
    };
    Ok(Drawn {
        stem,
        title,
        png,
        svg,
    })
}

/// A chart's pixels as a PNG. Compressed at zlib's fastest level: the library's default level
/// took ~0.25 G instructions for one run's charts (four times the rest of the reports of a
/// 100k-customer ledger) for files 1.6 times smaller. Each row is filtered by `Up` when it
/// repeats the row above (all zeros), else by `Sub` (each byte less the byte of the pixel on
/// its left), which leaves the long runs of a chart's flat areas.
fn encode_png(rgb: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write as _;
    let stride = WIDTH as usize * 3;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut line = Vec::with_capacity(stride + 1);
    let mut above: &[u8] = &[];
    for row in rgb.chunks_exact(stride) {
        line.clear();
        if row == above {
            line.push(2u8);
            line.resize(stride + 1, 0);
        } else {
            line.push(1u8);
            line.extend_from_slice(&row[..3]);
            line.extend(row.windows(4).map(|w| w[3].wrapping_sub(w[0])));
        }
        z.write_all(&line)?;
        above = row;
    }
    let data = z.finish()?;
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header()?;
    w.write_chunk(png::chunk::IDAT, &data)?;
    w.finish()?;
    Ok(out)
}

const BLUE: RGBColor = RGBColor(31, 86, 158);
const ORANGE: RGBColor = RGBColor(222, 125, 44);
const GREY: RGBColor = RGBColor(120, 120, 120);
/// Tier colours, strategic first.
const TIER_COLORS: [RGBColor; 4] = [
    RGBColor(122, 26, 58),
    RGBColor(31, 86, 158),
    RGBColor(80, 160, 120),
    RGBColor(180, 180, 180),
];

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// `1234567.8` → `1,234,568`.
pub fn thousands(x: f64) -> String {
    let v = x.round() as i64;
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Revenue concentration: cumulative share of net revenue against share of customers, best
/// first, with the top 20% marked.
struct Pareto {
    points: Vec<(f64, f64)>,
    top20: f64,
    customers: usize,
    lang: Lang,
}

impl Pareto {
    fn new(s: &Scored) -> Pareto {
        // Largest first, sorted as integer keys (a million floats by a stable comparison
        // sort took ~70 ms): equal values are the same value, so the order of the sums is
        // the same.
        let mut keys: Vec<u64> = (s.customers.monetary.iter())
            .map(|v| !crate::score::order_key(v.max(0.0)))
            .collect();
        keys.sort_unstable();
        let m: Vec<f64> = keys
            .into_iter()
            .map(|k| crate::score::value_of_key(!k))
            .collect();
        let total: f64 = m.iter().sum();
        let n = m.len();
        let step = (n / 2000).max(1);
        let mut points = vec![(0.0, 0.0)];
        let mut acc = 0.0;
        let mut top20 = 0.0;
        let cut = ((n as f64) * 0.2).ceil() as usize;
        for (k, v) in m.iter().enumerate() {
            acc += v;
            if k + 1 == cut {
                top20 = if total > 0.0 { acc / total } else { 0.0 };
            }
            if (k + 1) % step == 0 || k + 1 == n {
                let share = if total > 0.0 { acc / total } else { 0.0 };
                points.push(((k + 1) as f64 / n as f64 * 100.0, share * 100.0));
            }
        }
        Pareto {
            points,
            top20: top20 * 100.0,
            customers: n,
            lang: s.lang,
        }
    }
}

impl Draw for Pareto {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        area.fill(&WHITE)?;
        let l = self.lang;
        let mut chart = ChartBuilder::on(area)
            .caption(
                l.f(
                    "Revenue concentration: the top 20% of customers bring {}% of net revenue",
                    &[&format!("{:.1}", self.top20)],
                ),
                font(34),
            )
            .margin(30)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..100f64, 0f64..100f64)?;
        chart
            .configure_mesh()
            .x_desc(l.f(
                "Share of customers, best first (%, of {})",
                &[&thousands(self.customers as f64)],
            ))
            .y_desc(l.t("Cumulative share of net revenue (%)"))
            .axis_desc_style(font(26))
            .label_style(font(22))
            .draw()?;
        chart.draw_series(LineSeries::new(
            [(0.0, 0.0), (100.0, 100.0)],
            ShapeStyle::from(&GREY).stroke_width(2),
        ))?;
        chart.draw_series(LineSeries::new(
            self.points.iter().copied(),
            ShapeStyle::from(&BLUE).stroke_width(4),
        ))?;
        chart.draw_series(LineSeries::new(
            [(20.0, 0.0), (20.0, self.top20), (0.0, self.top20)],
            ShapeStyle::from(&ORANGE).stroke_width(3),
        ))?;
        chart.draw_series(std::iter::once(Circle::new(
            (20.0, self.top20),
            9,
            ORANGE.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            l.f("top 20%: {}% of revenue", &[&format!("{:.1}", self.top20)]),
            (22.0, (self.top20 - 6.0).max(3.0)),
            font(26),
        )))?;
        Ok(())
    }
}

/// Customers and net revenue per tier, side by side.
struct Tiers {
    rows: Vec<GroupRow>,
    lang: Lang,
}

impl Draw for Tiers {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        area.fill(&WHITE)?;
        let l = self.lang;
        let area = area.titled(l.t("Customers and net revenue per tier"), font(34))?;
        let (left, right) = area.split_horizontally(WIDTH / 2);
        // Each panel: its area, what it counts, the value and its share of the whole.
        type Of = fn(&GroupRow) -> f64;
        let panels: [(&Area<DB>, &str, Of, Of); 2] = [
            (
                &left,
                l.t("Customers"),
                |r| r.customers as f64,
                |r| r.customer_share,
            ),
            (
                &right,
                l.t("Net revenue"),
                |r| r.revenue,
                |r| r.revenue_share,
            ),
        ];
        for (panel, caption, value, share) in panels {
            let max = self.rows.iter().map(&value).fold(0.0, f64::max).max(1.0) * 1.15;
            let min = self.rows.iter().map(&value).fold(0.0, f64::min);
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, font(28))
                .margin(25)
                .x_label_area_size(60)
                .y_label_area_size(110)
                .build_cartesian_2d(-0.5f64..3.5f64, min..max)?;
            let names: Vec<&str> = self.rows.iter().map(|r| l.value(&r.group)).collect();
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(4)
                .x_label_formatter(&|x| {
                    let k = x.round();
                    if (x - k).abs() < 1e-6 && (0.0..4.0).contains(&k) {
                        names[k as usize].to_string()
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|y| thousands(*y))
                .x_desc(l.t("Tier"))
                .y_desc(caption)
                .axis_desc_style(font(24))
                .label_style(font(22))
                .draw()?;
            for (k, r) in self.rows.iter().enumerate() {
                let x = k as f64;
                let v = value(r);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.35, 0.0), (x + 0.35, v)],
                    TIER_COLORS[k % 4].filled(),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("{} ({:.0}%)", thousands(v), share(r) * 100.0),
                    (x - 0.33, v.max(0.0) + max * 0.03),
                    font(20),
                )))?;
            }
        }
        Ok(())
    }
}

/// Mean net revenue and customers in each R × F cell.
struct Heatmap {
    /// [r-1][f-1] = (customers, mean monetary)
    cells: [[(usize, f64); 5]; 5],
    lang: Lang,
}

impl Heatmap {
    fn new(s: &Scored) -> Heatmap {
        let mut sums = [[(0usize, 0.0f64); 5]; 5];
        for i in 0..s.customers.len() {
            let (r, f) = (s.scores.r[i] as usize, s.scores.f[i] as usize);
            if (1..=5).contains(&r) && (1..=5).contains(&f) {
                sums[r - 1][f - 1].0 += 1;
                sums[r - 1][f - 1].1 += s.customers.monetary[i];
            }
        }
        let mut cells = [[(0usize, 0.0f64); 5]; 5];
        for r in 0..5 {
            for f in 0..5 {
                let (k, sum) = sums[r][f];
                cells[r][f] = (k, if k > 0 { sum / k as f64 } else { 0.0 });
            }
        }
        Heatmap {
            cells,
            lang: s.lang,
        }
    }
}

/// White to `BLUE` by `t` in 0..1.
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(mix(240, BLUE.0), mix(244, BLUE.1), mix(250, BLUE.2))
}

impl Draw for Heatmap {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        let l = self.lang;
        area.fill(&WHITE)?;
        let max = self
            .cells
            .iter()
            .flatten()
            .map(|c| c.1)
            .fold(0.0, f64::max)
            .max(1e-9);
        let mut chart = ChartBuilder::on(area)
            .caption(
                l.t("RFM: mean net revenue and customers by R and F score"),
                font(34),
            )
            .margin(30)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d(0.5f64..5.5f64, 0.5f64..5.5f64)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|v| format!("{:.0}", v))
            .y_label_formatter(&|v| format!("{:.0}", v))
            .x_desc(l.t("R score (5 = bought most recently)"))
            .y_desc(l.t("F score (5 = most purchase days)"))
            .axis_desc_style(font(26))
            .label_style(font(22))
            .draw()?;
        for r in 0..5 {
            for f in 0..5 {
                let (k, mean) = self.cells[r][f];
                let (x, y) = ((r + 1) as f64, (f + 1) as f64);
                let t = if k > 0 { mean.max(0.0) / max } else { 0.0 };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.48, y - 0.48), (x + 0.48, y + 0.48)],
                    shade(t).filled(),
                )))?;
                let ink = if t > 0.55 { WHITE } else { BLACK };
                let (a, b) = if k > 0 {
                    (
                        l.f("mean {}", &[&thousands(mean)]),
                        format!("n = {}", thousands(k as f64)),
                    )
                } else {
                    (l.t("no customers").to_string(), String::new())
                };
                chart.draw_series([
                    Text::new(a, (x - 0.4, y + 0.12), font(24).color(&ink)),
                    Text::new(b, (x - 0.4, y - 0.12), font(22).color(&ink)),
                ])?;
            }
        }
        Ok(())
    }
}

/// Customers by value score (bins of 5 points), stacked by tier.
struct ValueScores {
    /// [bin][tier] counts
    bins: Vec<[usize; 4]>,
    lang: Lang,
}

impl ValueScores {
    fn new(s: &Scored) -> ValueScores {
        let mut bins = vec![[0usize; 4]; 20];
        for i in 0..s.customers.len() {
            let b = ((s.scores.value[i] / 5.0).floor() as usize).min(19);
            bins[b][s.tiers[i] as usize] += 1;
        }
        ValueScores { bins, lang: s.lang }
    }
}

impl Draw for ValueScores {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        let l = self.lang;
        area.fill(&WHITE)?;
        let max = self
            .bins
            .iter()
            .map(|b| b.iter().sum::<usize>())
            .max()
            .unwrap_or(1)
            .max(1) as f64
            * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(l.t("Value score distribution by tier"), font(34))
            .margin(30)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(0f64..100f64, 0f64..max)?;
        chart
            .configure_mesh()
            .x_desc(l.t("Value score (0-100, bins of 5 points)"))
            .y_desc(l.t("Customers"))
            .y_label_formatter(&|y| thousands(*y))
            .axis_desc_style(font(26))
            .label_style(font(22))
            .draw()?;
        for (t, tier) in Tier::ALL.iter().enumerate() {
            let color = TIER_COLORS[t];
            chart
                .draw_series(self.bins.iter().enumerate().map(|(b, counts)| {
                    let below: usize = counts[..t].iter().sum();
                    let x = b as f64 * 5.0;
                    Rectangle::new(
                        [
                            (x + 0.3, below as f64),
                            (x + 4.7, (below + counts[t]) as f64),
                        ],
                        color.filled(),
                    )
                }))?
                .label(l.tier(*tier))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 24, y + 8)], color.filled())
                });
        }
        legend(&mut chart)?;
        Ok(())
    }
}

/// Draws the series legend, top left, the same on every chart.
fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(font(24))
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .draw()
}

/// Mean P(alive) by repeat purchase days (rows) and days since the last purchase (columns).
struct AliveMatrix {
    /// Upper bounds (inclusive) of the recency bins, in days.
    recency_edges: Vec<i32>,
    /// Frequency rows: 0, 1, … up to the last, which is "k+".
    freq_rows: usize,
    /// [freq][recency] = (customers, sum p_alive)
    cells: Vec<Vec<(usize, f64)>>,
    lang: Lang,
}

impl AliveMatrix {
    fn new(s: &Scored) -> Option<AliveMatrix> {
        let p = &s.predictions.p_alive;
        if p.iter().all(Option::is_none) {
            return None;
        }
        let max_recency = s
            .customers
            .recency_days
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(1);
        let cols = 12usize;
        let width = (max_recency as f64 / cols as f64).ceil().max(1.0) as i32;
        let recency_edges: Vec<i32> = (1..=cols as i32).map(|k| k * width).collect();
        let freq_rows = 11usize; // 0..9, then 10+
        let mut cells = vec![vec![(0usize, 0.0f64); cols]; freq_rows];
        for (i, pa) in p.iter().enumerate() {
            let Some(pa) = *pa else { continue };
            let x = (s.customers.order_days[i].saturating_sub(1) as usize).min(freq_rows - 1);
            let c = ((s.customers.recency_days[i].max(0) / width) as usize).min(cols - 1);
            cells[x][c].0 += 1;
            cells[x][c].1 += pa;
        }
        Some(AliveMatrix {
            recency_edges,
            freq_rows,
            cells,
            lang: s.lang,
        })
    }
}

impl Draw for AliveMatrix {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        let l = self.lang;
        area.fill(&WHITE)?;
        let cols = self.recency_edges.len();
        let width = self.recency_edges[0];
        let mut chart = ChartBuilder::on(area)
            .caption(
                l.t("Probability still active, by repeat purchase days and days since the last purchase"),
                font(32),
            )
            .margin(30)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..cols as f64, -0.5f64..(self.freq_rows as f64 - 0.5))?;
        let edges = &self.recency_edges;
        let last = self.freq_rows - 1;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(cols + 1)
            .y_labels(self.freq_rows)
            .x_label_formatter(&|v| {
                let k = v.round() as usize;
                if k == 0 {
                    "0".into()
                } else {
                    edges.get(k - 1).map_or(String::new(), |e| e.to_string())
                }
            })
            .y_label_formatter(&|v| {
                let k = v.round() as usize;
                if (v - v.round()).abs() > 1e-6 || *v < 0.0 || k > last {
                    String::new()
                } else if k == last {
                    format!("{k}+")
                } else {
                    k.to_string()
                }
            })
            .x_desc(l.f("Days since the last purchase (bins of {} days)", &[&width]))
            .y_desc(l.t("Repeat purchase days"))
            .axis_desc_style(font(26))
            .label_style(font(20))
            .draw()?;
        for (f, row) in self.cells.iter().enumerate() {
            for (c, &(k, sum)) in row.iter().enumerate() {
                let (x, y) = (c as f64, f as f64);
                let color = if k == 0 {
                    RGBColor(250, 250, 250)
                } else {
                    shade(sum / k as f64)
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.02, y - 0.46), (x + 0.98, y + 0.46)],
                    color.filled(),
                )))?;
                if k > 0 {
                    let p = sum / k as f64;
                    let ink = if p > 0.55 { WHITE } else { BLACK };
                    chart.draw_series(std::iter::once(Text::new(
                        format!("{:.2}", p),
                        (x + 0.3, y + 0.2),
                        font(18).color(&ink),
                    )))?;
                }
            }
        }
        Ok(())
    }
}

/// Mean predicted against mean actual holdout purchase days by calibration frequency.
struct BacktestChart<'a> {
    bt: &'a Backtest,
    lang: Lang,
}

impl Draw for BacktestChart<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        let l = self.lang;
        area.fill(&WHITE)?;
        let rows = &self.bt.by_frequency;
        let max = rows
            .iter()
            .flat_map(|r| {
                std::iter::once(r.mean_actual).chain(r.mean_predicted.iter().flatten().copied())
            })
            .fold(0.0, f64::max)
            .max(1e-6)
            * 1.15;
        let mut chart = ChartBuilder::on(area)
            .caption(
                l.f(
                    "Backtest: holdout purchase days, predicted and actual ({} days after {})",
                    &[
                        &self.bt.holdout_days,
                        &crate::ledger::parse::format_day(self.bt.calibration_end),
                    ],
                ),
                font(32),
            )
            .margin(30)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.5f64..(rows.len() as f64 - 0.5), 0f64..max)?;
        let names: Vec<String> = rows.iter().map(|r| r.frequency.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(rows.len())
            .x_label_formatter(&|x| {
                let k = x.round();
                if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < names.len() {
                    names[k as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_desc(l.t("Repeat purchase days in the calibration period"))
            .y_desc(l.t("Mean purchase days per customer in the holdout"))
            .axis_desc_style(font(26))
            .label_style(font(22))
            .draw()?;
        let series = 1 + self.bt.models.len();
        let w = 0.8 / series as f64;
        let colors = [GREY, BLUE, ORANGE];
        let mut names_s = vec![l.t("actual").to_string()];
        names_s.extend(self.bt.models.iter().map(|m| match m.predicted_total {
            Some(_) => l.f("predicted, {}", &[&m.model.label()]),
            None => l.f("{}: not fitted", &[&m.model.label()]),
        }));
        for (s, name) in names_s.iter().enumerate() {
            let color = colors[s % 3];
            chart
                .draw_series(rows.iter().enumerate().map(|(k, r)| {
                    let v = if s == 0 {
                        r.mean_actual
                    } else {
                        // A model not fitted has no bars.
                        r.mean_predicted[s - 1].unwrap_or(0.0)
                    };
                    let x0 = k as f64 - 0.4 + w * s as f64;
                    Rectangle::new([(x0, 0.0), (x0 + w * 0.92, v)], color.filled())
                }))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 24, y + 8)], color.filled())
                });
        }
        legend(&mut chart)?;
        Ok(())
    }
}

/// Customers moving from last run's tier (or new) to this run's (or lost).
struct Migration {
    rows: Vec<crate::compare::MigrationRow>,
    lang: Lang,
}

impl Draw for Migration {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        let l = self.lang;
        area.fill(&WHITE)?;
        const FROM: [&str; 5] = ["strategic", "partner", "priority", "ordinary", "new"];
        const TO: [&str; 5] = ["strategic", "partner", "priority", "ordinary", "lost"];
        let max = self
            .rows
            .iter()
            .map(|r| r.customers)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(
                l.t("Tier migration since the previous run: customers and net revenue"),
                font(34),
            )
            .margin(30)
            .x_label_area_size(70)
            .y_label_area_size(130)
            .build_cartesian_2d(-0.5f64..4.5f64, -0.5f64..4.5f64)?;
        let label = |names: &[&str; 5], v: f64, flip: bool| {
            let k = v.round();
            if (v - k).abs() > 1e-6 || !(0.0..5.0).contains(&k) {
                return String::new();
            }
            let i = k as usize;
            l.value(names[if flip { 4 - i } else { i }]).to_string()
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|v| label(&TO, *v, false))
            .y_label_formatter(&|v| label(&FROM, *v, true))
            .x_desc(l.t("Tier now"))
            .y_desc(l.t("Tier in the previous run"))
            .axis_desc_style(font(26))
            .label_style(font(22))
            .draw()?;
        for r in &self.rows {
            let (Some(c), Some(f)) = (
                TO.iter().position(|t| *t == r.to),
                FROM.iter().position(|t| *t == r.from),
            ) else {
                continue;
            };
            let (x, y) = (c as f64, (4 - f) as f64);
            let t = r.customers as f64 / max;
            let base = if r.customers == 0 {
                RGBColor(250, 250, 250)
            } else {
                shade(0.08 + 0.92 * t)
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.48, y - 0.46), (x + 0.48, y + 0.46)],
                base.filled(),
            )))?;
            if r.customers > 0 {
                let ink = if t > 0.55 { WHITE } else { BLACK };
                chart.draw_series([
                    Text::new(
                        l.f(
                            if r.customers == 1 {
                                "{} customer"
                            } else {
                                "{} customers"
                            },
                            &[&thousands(r.customers as f64)],
                        ),
                        (x - 0.4, y + 0.15),
                        font(22).color(&ink),
                    ),
                    Text::new(
                        thousands(r.revenue),
                        (x - 0.4, y - 0.1),
                        font(20).color(&ink),
                    ),
                ])?;
            }
        }
        Ok(())
    }
}

/// Every chart of a scored run, with warnings for labels that cannot be drawn.
/// `tiers` is the run's tier table (`report::tier_rows`), computed once by the caller.
/// Text is in the run's language; the fixed text of both languages is checked against the
/// font by a unit test, the tier labels here at run time.
pub fn score_charts(
    s: &Scored,
    tiers: &[GroupRow],
    format: ChartFormat,
) -> anyhow::Result<(Vec<Drawn>, Vec<String>)> {
    let l = s.lang;
    let mut warnings = Vec::new();
    let mut out = Vec::new();
    let pareto = Pareto::new(s);
    out.push(render(
        &pareto,
        "revenue_concentration",
        l.t("Revenue concentration").into(),
        format,
    )?);
    let tiers = Tiers {
        rows: tiers.to_vec(),
        lang: l,
    };
    warnings.extend(check_labels(
        "tiers",
        tiers.rows.iter().map(|r| l.value(&r.group)),
    ));
    out.push(render(
        &tiers,
        "tiers",
        l.t("Customers and revenue per tier").into(),
        format,
    )?);
    out.push(render(
        &Heatmap::new(s),
        "rfm_heatmap",
        l.t("RFM heatmap").into(),
        format,
    )?);
    out.push(render(
        &ValueScores::new(s),
        "value_scores",
        l.t("Value score distribution").into(),
        format,
    )?);
    if let Some(m) = AliveMatrix::new(s) {
        out.push(render(
            &m,
            "p_alive_matrix",
            l.t("Probability alive").into(),
            format,
        )?);
    }
    if let Some(cmp) = &s.comparison {
        let m = Migration {
            rows: crate::compare::migration_rows(cmp, &s.run_rows()),
            lang: l,
        };
        out.push(render(
            &m,
            "tier_migration",
            l.t("Tier migration").into(),
            format,
        )?);
    }
    Ok((out, warnings))
}

/// One account's net revenue per month (bars), for its page.
struct MonthlyRevenue<'a> {
    months: &'a [(String, f64)],
    lang: Lang,
}

impl Draw for MonthlyRevenue<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &Area<DB>) -> DrawResult<DB> {
        let l = self.lang;
        area.fill(&WHITE)?;
        let n = self.months.len().max(1);
        let max = self.months.iter().map(|m| m.1).fold(0.0, f64::max).max(1.0) * 1.1;
        let min = self.months.iter().map(|m| m.1).fold(0.0, f64::min) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(l.t("Net revenue per month"), font(34))
            .margin(30)
            .x_label_area_size(80)
            .y_label_area_size(110)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), min..max)?;
        let months = self.months;
        let every = n.div_ceil(12).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                let k = x.round();
                if (x - k).abs() > 1e-6 || k < 0.0 || k as usize >= months.len() {
                    return String::new();
                }
                let k = k as usize;
                if k.is_multiple_of(every) {
                    months[k].0.clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| thousands(*y))
            .x_desc(l.t("Month"))
            .y_desc(l.t("Net revenue"))
            .axis_desc_style(font(26))
            .label_style(font(22))
            .draw()?;
        chart.draw_series(self.months.iter().enumerate().map(|(k, (_, v))| {
            let x = k as f64;
            let color = if *v < 0.0 { ORANGE } else { BLUE };
            Rectangle::new([(x - 0.4, 0.0), (x + 0.4, *v)], color.filled())
        }))?;
        Ok(())
    }
}

/// The monthly revenue chart of an account page, as SVG text.
pub fn monthly_revenue_svg(months: &[(String, f64)], lang: Lang) -> anyhow::Result<String> {
    let d = render(
        &MonthlyRevenue { months, lang },
        "monthly_revenue",
        lang.t("Net revenue per month").into(),
        ChartFormat::Svg,
    )?;
    Ok(d.svg.unwrap_or_default())
}

/// The backtest's chart.
pub fn backtest_chart(bt: &Backtest, format: ChartFormat, lang: Lang) -> anyhow::Result<Drawn> {
    render(
        &BacktestChart { bt, lang },
        "backtest_by_frequency",
        lang.t("Backtest by frequency").into(),
        format,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_draws_latin_and_common_chinese_and_says_what_it_cannot() {
        assert!(missing_glyphs("Revenue concentration (%) ≥ 1,234 €").is_empty());
        assert!(missing_glyphs("战略 伙伴 优先 普通 最可能购买 可能购买 客户").is_empty());
        assert_eq!(missing_glyphs("a😀b"), vec!['😀']);
        let w = check_labels("tiers", ["fine", "bad 😀"]);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("\"bad 😀\"") && w[0].contains("empty boxes"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn a_png_decodes_to_the_pixels_it_was_made_of() {
        // Flat bands, repeated rows (filtered by `Up`), a row like the one above but for one
        // byte, and noise.
        let stride = WIDTH as usize * 3;
        let mut rgb = vec![0u8; stride * HEIGHT as usize];
        let mut x = 5u32;
        for (y, row) in rgb.chunks_exact_mut(stride).enumerate() {
            for (i, b) in row.iter_mut().enumerate() {
                *b = match y % 90 {
                    0..=29 => (y / 90 * 40) as u8,
                    30..=59 => (i / 30 * 7) as u8,
                    _ => {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        (x >> 24) as u8
                    }
                };
            }
            if y % 90 == 45 {
                row[stride / 2] ^= 1;
            }
        }
        let png = encode_png(&rgb).unwrap();
        let mut reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
        let mut back = vec![0u8; reader.output_buffer_size()];
        let info = reader.next_frame(&mut back).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert!(back == rgb, "the decoded pixels differ");
    }

    /// Draws `text` on a small canvas and returns its pixels.
    fn ink(text: &str) -> Vec<u8> {
        register_font();
        let (w, h) = (400u32, 80u32);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            area.draw(&Text::new(text.to_string(), (5, 10), font(40)))
                .unwrap();
            area.present().unwrap();
        }
        buf
    }

    #[test]
    fn chinese_labels_are_drawn_in_png_as_glyphs_not_boxes() {
        let dark = |b: &[u8]| b.chunks(3).filter(|p| p[0] < 128).count();
        let (a, b) = (ink("战略"), ink("伙伴"));
        assert!(dark(&a) > 200 && dark(&b) > 200, "text drawn");
        // Two different words give different pixels: real glyphs. Two characters the font
        // lacks draw the same empty box, which this test would catch.
        assert_ne!(a, b);
        assert_eq!(ink("😀"), ink("🙂"), "missing glyphs all look alike");
        assert_ne!(ink("战略"), ink("😀😀"));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(-999.6), "-1,000");
        assert_eq!(thousands(12.0), "12");
    }
}
