//! Labels in English or Chinese (`--lang en|zh`).
//!
//! Two kinds of text change with the language:
//! - **values** in the tables (tier, buyer class, segment, flag, tier change): one fixed word
//!   per canonical English name, by [`Lang::value`]; column names never change;
//! - **prose** in charts, `report.html` and account pages: headings, captions, sentences, by
//!   [`Lang::t`] (a fixed string) and [`Lang::f`] (a template with `{}` holes, so a Chinese
//!   sentence can put its figures in its own order).
//!
//! The English text is the key; [`ZH`] holds its Chinese. Every Chinese string is checked by
//! a unit test: same number of holes as its key, and every character in the chart font.
//! Customer data (ids, names, industries) and segment names from a settings file are never
//! translated. Reading a run back ([`canonical_tier`]) accepts either language.

use std::fmt::Display;

use crate::classify::{BuyerClass, Flag, Tier};

/// The language of labels and prose (`--lang`).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The HTML `lang` attribute.
    pub fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }

    /// A tier's label.
    pub fn tier(self, t: Tier) -> &'static str {
        match self {
            Lang::En => t.as_str(),
            Lang::Zh => match t {
                Tier::Strategic => "战略",
                Tier::Partner => "伙伴",
                Tier::Priority => "优先",
                Tier::Ordinary => "普通",
            },
        }
    }

    /// A buyer class's label.
    pub fn buyer(self, b: BuyerClass) -> &'static str {
        match self {
            Lang::En => b.as_str(),
            Lang::Zh => match b {
                BuyerClass::Likely => "最可能购买",
                BuyerClass::Possible => "可能购买",
                BuyerClass::Unlikely => "不太可能购买",
            },
        }
    }

    /// A flag's label.
    pub fn flag(self, f: Flag) -> &'static str {
        match self {
            Lang::En => f.as_str(),
            Lang::Zh => match f {
                Flag::SingleProductLine => "单一产品线",
                Flag::Declining => "收入下滑",
                Flag::Overdue => "逾期未购",
                Flag::OneOffProject => "一次性项目",
                Flag::HighValueAtRisk => "高价值流失风险",
            },
        }
    }

    /// The label of any canonical value a table holds: a tier, buyer class, flag, tier
    /// change (`up`, `down`, `same`, `new`, `lost`) or default segment name. Anything else
    /// (a segment named in a settings file, customer data) is returned as it is.
    pub fn value(self, v: &str) -> &str {
        if self == Lang::En {
            return v;
        }
        VALUES_ZH
            .iter()
            .find(|(en, _)| *en == v)
            .map_or(v, |(_, zh)| zh)
    }

    /// A fixed piece of prose.
    pub fn t(self, en: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh(en),
        }
    }

    /// A template with `{}` holes, filled in order.
    pub fn f(self, en: &'static str, args: &[&dyn Display]) -> String {
        fill(self.t(en), args)
    }
}

/// The Chinese of `en`; English when there is none (a debug build stops there, so the tests
/// find an untranslated string).
fn zh(en: &'static str) -> &'static str {
    match ZH.iter().find(|(e, _)| *e == en) {
        Some((_, z)) => z,
        None => {
            debug_assert!(false, "no Chinese for {en:?}");
            en
        }
    }
}

/// The holes of a template: `{}` takes the next argument, `{N}` the N-th (from 0), so a
/// translation can reorder them. Returns (start, end, argument index) for each.
fn holes(template: &str) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut next = 0;
    let b = template.as_bytes();
    let mut k = 0;
    while k < b.len() {
        if b[k] == b'{' {
            let digits = b[k + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if b.get(k + 1 + digits) == Some(&b'}') {
                let index = if digits == 0 {
                    next += 1;
                    next - 1
                } else {
                    template[k + 1..k + 1 + digits]
                        .parse()
                        .unwrap_or(usize::MAX)
                };
                out.push((k, k + 2 + digits, index));
                k += 2 + digits;
                continue;
            }
        }
        k += 1;
    }
    out
}

fn fill(template: &str, args: &[&dyn Display]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut at = 0;
    for (start, end, index) in holes(template) {
        out.push_str(&template[at..start]);
        if let Some(a) = args.get(index) {
            let _ = write!(out, "{a}");
        }
        at = end;
    }
    out.push_str(&template[at..]);
    out
}

/// A tier name of either language as its canonical (English) name.
pub fn canonical_tier(name: &str) -> Option<&'static str> {
    Tier::ALL
        .iter()
        .find_map(|&t| (name == t.as_str() || name == Lang::Zh.tier(t)).then_some(t.as_str()))
}

/// Table values in Chinese: tiers, buyer classes, flags, tier changes, default segments.
const VALUES_ZH: &[(&str, &str)] = &[
    ("strategic", "战略"),
    ("partner", "伙伴"),
    ("priority", "优先"),
    ("ordinary", "普通"),
    ("likely", "最可能购买"),
    ("possible", "可能购买"),
    ("unlikely", "不太可能购买"),
    ("single_product_line", "单一产品线"),
    ("declining", "收入下滑"),
    ("overdue", "逾期未购"),
    ("one_off_project", "一次性项目"),
    ("high_value_at_risk", "高价值流失风险"),
    ("up", "升级"),
    ("down", "降级"),
    ("same", "不变"),
    ("new", "新增"),
    ("lost", "流失"),
    ("new_key_account", "新增重点客户"),
    ("lost_key_account", "失去重点客户"),
    ("lost_customer", "流失客户"),
    ("mover_up", "上升最多"),
    ("mover_down", "下降最多"),
    ("Champions", "冠军客户"),
    ("Loyal", "忠诚客户"),
    ("Potential Loyalist", "潜在忠诚客户"),
    ("New", "新客户"),
    ("Promising", "有潜力客户"),
    ("Need Attention", "需要关注"),
    ("About to Sleep", "即将沉睡"),
    ("At Risk", "有流失风险"),
    ("Can't Lose", "不能失去"),
    ("Hibernating", "休眠客户"),
    ("Lost", "已流失"),
    ("Other", "其他"),
];

/// Prose in Chinese, keyed by its English.
const ZH: &[(&str, &str)] = &[
    ("Account review: {} ({})", "客户回顾：{}（{}）"),
    ("Account review: {}", "客户回顾：{}"),
    ("As of {} · ledger {} to {} · {} rows", "截至 {} · 台账 {} 至 {} · {} 行"),
    ("As of {} · {} · {}", "截至 {} · {} · {}"),
    ("Backtest by frequency", "按购买频次回测"),
    ("Backtest: holdout purchase days, predicted and actual ({} days after {})", "回测：验证期购买天数，预测与实际（{1} 之后 {0} 天）"),
    ("Buyer class", "购买可能性"),
    ("Buys a single product line: room to cross-sell.", "只购买一条产品线：有交叉销售的空间。"),
    ("Charts", "图表"),
    ("Cumulative share of net revenue (%)", "净收入累计占比（%）"),
    ("Current score", "当前得分"),
    ("Customer scores as of {}", "客户评分（截至 {}）"),
    ("Customer scores", "客户评分"),
    ("Customer", "客户"),
    ("Customers and net revenue per tier", "各层级的客户数与净收入"),
    ("Customers and revenue per tier", "各层级的客户数与收入"),
    ("Customers", "客户数"),
    ("Cycle variation (CV)", "周期波动（变异系数）"),
    ("Days since last purchase", "距上次购买天数"),
    ("Days since the last purchase (bins of {} days)", "距上次购买天数（每格 {} 天）"),
    ("Days since the last purchase", "距上次购买天数"),
    ("Discounted value of that time (CLV)", "该期间的折现价值（CLV）"),
    ("Expected purchase days", "预期购买天数"),
    ("Expected spend per purchase day", "每个购买日的预期消费"),
    ("F score (5 = most purchase days)", "F 得分（5 = 购买天数最多）"),
    ("First purchase", "首次购买"),
    ("Flags and what they suggest", "标记及建议"),
    ("Flags to act on", "需要跟进的标记"),
    ("Flags", "标记"),
    ("How the scores were computed", "评分方法"),
    ("Last bought", "最近购买"),
    ("Last purchase", "最近购买"),
    ("Lost", "流失"),
    ("Mean purchase days per customer in the holdout", "验证期内每位客户的平均购买天数"),
    ("Mean value score", "平均价值得分"),
    ("Metrics", "指标"),
    ("Month", "月份"),
    ("Monthly net revenue", "每月净收入"),
    ("Name", "名称"),
    ("Net revenue per month", "每月净收入"),
    ("Net revenue", "净收入"),
    ("New", "新增"),
    ("None", "无"),
    ("One large purchase and nothing since: a project customer, or a relationship to build.", "一次大额购买后再无购买：项目型客户，或有待建立的关系。"),
    ("Overdue (days since last / cycle)", "逾期程度（距上次购买天数 / 周期）"),
    ("P(alive)", "活跃概率"),
    ("Past the usual interval between purchases by two cycles or more: a call is due.", "已超过平常购买间隔两个周期以上：应当联系了。"),
    ("Potential score", "潜力得分"),
    ("Predicted", "预测"),
    ("Previous run", "上次运行"),
    ("Probability alive", "活跃概率"),
    ("Probability of buying in that time", "该期间内购买的概率"),
    ("Probability still active", "仍然活跃的概率"),
    ("Probability still active, by repeat purchase days and days since the last purchase", "仍然活跃的概率：按重复购买天数与距上次购买天数"),
    ("Product line", "产品线"),
    ("Product lines bought", "购买过的产品线"),
    ("Product lines", "产品线数"),
    ("Purchase cycle (median days)", "购买周期（中位天数）"),
    ("Purchase days", "购买天数"),
    ("Purchase occasions (frequency)", "购买次数（频次）"),
    ("R / F / M scores", "R / F / M 得分"),
    ("R score (5 = bought most recently)", "R 得分（5 = 最近刚购买）"),
    ("R, F and M are scored 1 to 5 by quantile (recency reversed; ties never split). The current score combines them with the weights below; the potential score combines trend, breadth headroom, steadiness, industry influence, size and predicted value; the value score combines the two. Customers are ranked by value score and placed in tiers by the tier rule. Every setting in force:", "R、F、M 按分位数评为 1 到 5 分（近度反向；相同值不拆分到不同档）。当前得分按下列权重组合三者；潜力得分组合趋势、品类拓展空间、稳定性、行业影响力、规模与预测价值；价值得分组合两者。客户按价值得分排名，并按层级规则分层。当前生效的全部设置："),
    ("RFM heatmap", "RFM 热力图"),
    ("RFM segments", "RFM 客户分群"),
    ("RFM: mean net revenue and customers by R and F score", "RFM：按 R、F 得分的平均净收入与客户数"),
    ("Rank", "排名"),
    ("Repeat purchase days in the calibration period", "校准期内的重复购买天数"),
    ("Repeat purchase days", "重复购买天数"),
    ("Returns", "退货"),
    ("Revenue concentration", "收入集中度"),
    ("Revenue concentration: the top 20% of customers bring {}% of net revenue", "收入集中度：前 20% 的客户带来 {}% 的净收入"),
    ("Revenue in the recent window is well below the window before: ask why.", "近期收入明显低于之前：了解原因。"),
    ("Revenue share", "收入占比"),
    ("Rows", "行数"),
    ("Rule", "规则"),
    ("Same tier", "层级不变"),
    ("Scores", "得分"),
    ("Segment", "分群"),
    ("Setting", "设置"),
    ("Share of customers, best first (%, of {})", "客户占比，从最好开始（%，共 {} 位）"),
    ("Share", "占比"),
    ("Since the previous run (as of {})", "与上次运行相比（截至 {}）"),
    ("Since the previous run", "与上次运行相比"),
    ("Tenure (days)", "客户时长（天）"),
    ("The first {} by rank; scores.csv lists all {}.", "按排名列出前 {} 位；scores.csv 列出全部 {} 位。"),
    ("The tier migration chart is with the charts; changes.csv lists new and lost key accounts and the biggest movers.", "层级迁移图见图表部分；changes.csv 列出新增与失去的重点客户以及变化最大的客户。"),
    ("The two runs' settings differ: {}.", "两次运行的设置不同：{}。"),
    ("Tier down", "降级"),
    ("Tier in the previous run", "上次运行的层级"),
    ("Tier migration since the previous run: customers and net revenue", "与上次运行相比的层级迁移：客户数与净收入"),
    ("Tier migration", "层级迁移"),
    ("Tier now", "当前层级"),
    ("Tier up", "升级"),
    ("Tier", "层级"),
    ("Tiers", "客户层级"),
    ("Top {} accounts", "前 {} 位客户"),
    ("Trend (recent vs prior window)", "趋势（近期与之前相比）"),
    ("Value score (0-100, bins of 5 points)", "价值得分（0-100，每格 5 分）"),
    ("Value score distribution by tier", "按层级的价值得分分布"),
    ("Value score distribution", "价值得分分布"),
    ("Value score", "价值得分"),
    ("Value", "值"),
    ("Warning: {}", "警告：{}"),
    ("actual", "实际"),
    ("by rank share: top {}% strategic, next {}% partner, next {}% priority; this account is rank {} of {} (top {}%)", "按排名比例：前 {}% 为战略，其后 {}% 为伙伴，再后 {}% 为优先；该客户排名第 {} 位，共 {} 位（前 {}%）"),
    ("by value score: at least {} strategic, {} partner, {} priority; this account scores {}", "按价值得分：至少 {} 为战略，{} 为伙伴，{} 为优先；该客户得分 {}"),
    ("by revenue share in rank order: the first {}% of revenue strategic, the next {}% partner, the next {}% priority; this account is rank {} of {}", "按排名顺序的收入占比：前 {}% 的收入为战略，其后 {}% 为伙伴，再后 {}% 为优先；该客户排名第 {} 位，共 {} 位"),
    ("converged", "已收敛"),
    ("did not converge", "未收敛"),
    ("customers scored", "已评分客户"),
    ("custscore {}. The run's manifest.json has the inputs with their SHA-256, the bin edges and the timings.", "custscore {}。本次运行的 manifest.json 记录了输入文件及其 SHA-256、分档边界与各阶段用时。"),
    ("mean {}", "平均 {}"),
    ("net revenue", "净收入"),
    ("no customers", "无客户"),
    ("no flag raised", "没有标记"),
    ("of revenue from strategic and partner accounts", "收入来自战略与伙伴客户"),
    ("predicted, {}", "预测，{}"),
    ("{}: not fitted", "{}：未拟合"),
    ("strategic and partner accounts", "战略与伙伴客户"),
    ("top 20%: {}% of revenue", "前 20%：{}% 的收入"),
    ("unknown (left out)", "未知（不计入）"),
    ("{} (weights R {}, F {}, M {})", "{}（权重 R {}，F {}，M {}）"),
    ("{} / {} / {} (segment {})", "{} / {} / {}（分群：{}）"),
    ("{} = {} × current + {} × potential", "{} = {} × 当前 + {} × 潜力"),
    ("{} accounts", "{} 位客户"),
    ("{} customer", "{} 位客户"),
    ("{} customers", "{} 位客户"),
    ("{} fitted on {} customers: log-likelihood {}, {}.", "{} 拟合了 {} 位客户：对数似然 {}，{}。"),
    ("{} in the next {} days", "未来 {1} 天内 {0}"),
    ("{} of {}", "第 {} 位，共 {} 位"),
    ("{} × weight {}", "{} × 权重 {}"),
    ("· breadth headroom", "· 品类拓展空间"),
    ("· growth (trend)", "· 增长（趋势）"),
    ("· industry influence", "· 行业影响力"),
    ("· predicted value", "· 预测价值"),
    ("· size", "· 规模"),
    ("· steadiness", "· 稳定性"),
    ("High value, low probability of still being active: the accounts to visit first.", "价值高但仍活跃的概率低：最应优先拜访的客户。"),
    ("Industry rule", "行业规则"),
    ("the rule for {}", "{} 行业的规则"),
    ("industry unknown", "行业未知"),
    ("(none)", "（无）"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chinese_text_has_the_same_holes_and_can_be_drawn() {
        for (en, zh) in ZH.iter().chain(VALUES_ZH) {
            // The same arguments, each used once, whatever their order.
            let args = |t: &str| {
                let mut a: Vec<usize> = holes(t).iter().map(|h| h.2).collect();
                a.sort_unstable();
                a
            };
            assert_eq!(args(en), args(zh), "{en:?} → {zh:?}");
            let missing = crate::report::charts::missing_glyphs(zh);
            assert!(
                missing.is_empty(),
                "{zh:?} lacks {missing:?} in the chart font"
            );
        }
        let mut keys: Vec<&str> = ZH.iter().map(|(e, _)| *e).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key twice in ZH");
    }

    #[test]
    fn values_and_tiers_in_both_languages() {
        assert_eq!(Lang::Zh.value("strategic"), "战略");
        assert_eq!(Lang::Zh.value("Champions"), "冠军客户");
        assert_eq!(Lang::Zh.value("My own segment"), "My own segment");
        assert_eq!(Lang::En.value("Champions"), "Champions");
        for t in Tier::ALL {
            assert_eq!(Lang::Zh.value(t.as_str()), Lang::Zh.tier(t));
            assert_eq!(canonical_tier(Lang::Zh.tier(t)), Some(t.as_str()));
            assert_eq!(canonical_tier(t.as_str()), Some(t.as_str()));
        }
        assert_eq!(canonical_tier("gold"), None);
        for b in [
            BuyerClass::Likely,
            BuyerClass::Possible,
            BuyerClass::Unlikely,
        ] {
            assert_eq!(Lang::Zh.value(b.as_str()), Lang::Zh.buyer(b));
        }
        for f in Flag::ALL.into_iter().chain([Flag::HighValueAtRisk]) {
            assert_eq!(Lang::Zh.value(f.as_str()), Lang::Zh.flag(f));
        }
        let defaults = crate::config::Settings::default();
        for s in &defaults.segments {
            assert_ne!(Lang::Zh.value(&s.name), s.name, "{} has no Chinese", s.name);
        }
    }

    #[test]
    fn templates_fill_in_order() {
        assert_eq!(fill("a {} b {} c", &[&1, &"x"]), "a 1 b x c");
        assert_eq!(fill("{}", &[]), "");
        assert_eq!(fill("no holes", &[&1]), "no holes");
        assert_eq!(
            fill("{1} before {0}, {{x}}", &[&"a", &"b"]),
            "b before a, {{x}}"
        );
        assert_eq!(fill("{}%", &[&5]), "5%");
    }
}
