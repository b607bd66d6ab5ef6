//! The optional customer attributes file (`--attributes`): one row per customer with its
//! name, industry, size, industry influence, region and referrer. Joined to the ledger by
//! customer id; an id with no purchases is a prospect.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use crate::error::InputError;

/// One customer's attributes; every field but the id is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attribute {
    pub name: Option<String>,
    pub industry: Option<String>,
    /// Any positive measure of size (employees, turnover): only its rank among customers is used.
    pub size: Option<f64>,
    /// Industry influence on any non-negative scale: scaled by the largest value.
    pub influence: Option<f64>,
    pub region: Option<String>,
    /// Id of the customer who referred this one.
    pub referrer: Option<String>,
}

/// Attributes by customer id (sorted, so iteration is deterministic).
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub by_id: BTreeMap<String, Attribute>,
    pub path: String,
    pub sha256: String,
}

const ID: &[&str] = &[
    "customer_id",
    "customer",
    "customer_no",
    "client_id",
    "cust_id",
    "id",
    "客户编号",
    "客户id",
    "客户代码",
];
const NAME: &[&str] = &["name", "customer_name", "company", "客户名称", "名称"];
const INDUSTRY: &[&str] = &["industry", "sector", "行业"];
const SIZE: &[&str] = &["size", "employees", "headcount", "规模", "员工数"];
const INFLUENCE: &[&str] = &["influence", "industry_influence", "影响力", "行业影响力"];
const REGION: &[&str] = &["region", "地区", "区域"];
const REFERRER: &[&str] = &["referrer", "referred_by", "referral", "推荐人", "推荐客户"];

fn norm(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

impl Attributes {
    /// Reads the file. `id_column` is the ledger's customer column mapping, if any (tried
    /// first); `encoding` is `--encoding` (the file must be UTF-8 without it).
    pub fn read(
        path: &Path,
        id_column: Option<&str>,
        encoding: Option<&'static encoding_rs::Encoding>,
        sheet: Option<&str>,
    ) -> anyhow::Result<Attributes> {
        let shown = path.display().to_string();
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read attributes {shown}"))?;
        let sha256 = {
            use sha2::Digest;
            format!("{:x}", sha2::Sha256::digest(&bytes))
        };
        // Header and records with where each came from ("line 3", "sheet \"A\" row 3").
        let (header, records): (Vec<String>, Vec<(String, Vec<String>)>) =
            if crate::ledger::xlsx::is_workbook(path) {
                let sheet = crate::ledger::xlsx::read_sheet(path, sheet, "--attributes-sheet")?;
                let records = sheet
                    .rows
                    .iter()
                    .map(|(row, cells)| {
                        (
                            format!("sheet {:?} row {row}", sheet.name),
                            cells.iter().map(|c| c.text()).collect(),
                        )
                    })
                    .collect();
                (sheet.header, records)
            } else {
                read_csv(path, &bytes, encoding)?
            };
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| header.iter().position(|h| norm(h) == norm(n)))
        };
        let id = id_column
            .and_then(|c| header.iter().position(|h| h == c))
            .or_else(|| find(ID))
            .ok_or_else(|| InputError::MissingColumn {
                path: path.to_path_buf(),
                role: "customer",
                looked_for: ID.join(", "),
                columns: header.join(", "),
            })?;
        let (name, industry, size, influence, region, referrer) = (
            find(NAME),
            find(INDUSTRY),
            find(SIZE),
            find(INFLUENCE),
            find(REGION),
            find(REFERRER),
        );
        let mut by_id = BTreeMap::new();
        for (at, rec) in &records {
            let field = |i: Option<usize>| {
                i.and_then(|i| rec.get(i))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let number = |i: Option<usize>, what: &str| -> Result<Option<f64>, InputError> {
                match field(i) {
                    None => Ok(None),
                    Some(v) => match v.parse::<f64>() {
                        Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                        _ => Err(InputError::Format {
                            path: path.to_path_buf(),
                            message: format!(
                                "{at}, column {:?}: {v:?} is not a number of 0 or more (the {what})",
                                header[i.unwrap_or(0)]
                            ),
                        }),
                    },
                }
            };
            let Some(cid) = field(Some(id)) else {
                return Err(InputError::Format {
                    path: path.to_path_buf(),
                    message: format!("{at}, column {:?}: customer id is empty", header[id]),
                }
                .into());
            };
            let attr = Attribute {
                name: field(name),
                industry: field(industry),
                size: number(size, "size")?,
                influence: number(influence, "influence")?,
                region: field(region),
                referrer: field(referrer),
            };
            if by_id.insert(cid.clone(), attr).is_some() {
                return Err(InputError::Format {
                    path: path.to_path_buf(),
                    message: format!("{at}: customer id {cid:?} appears twice"),
                }
                .into());
            }
        }
        Ok(Attributes {
            by_id,
            path: shown,
            sha256,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Attribute> {
        self.by_id.get(id)
    }

    pub fn influence(&self, id: &str) -> Option<f64> {
        self.get(id).and_then(|a| a.influence)
    }

    pub fn size(&self, id: &str) -> Option<f64> {
        self.get(id).and_then(|a| a.size)
    }
}

/// A CSV attributes file as header and records (decoded with `encoding`, or as UTF-16 when
/// it starts with that byte-order mark, else UTF-8 only).
#[allow(clippy::type_complexity)]
fn read_csv(
    path: &Path,
    bytes: &[u8],
    encoding: Option<&'static encoding_rs::Encoding>,
) -> anyhow::Result<(Vec<String>, Vec<(String, Vec<String>)>)> {
    let decoded;
    let encoding = crate::ledger::bom_encoding(bytes).or(encoding);
    let text: &[u8] = match encoding.filter(|e| *e != encoding_rs::UTF_8) {
        Some(enc) => {
            // A byte-order mark wins over `encoding`, as for the ledger.
            decoded = enc.decode(bytes).0.into_owned();
            decoded.as_bytes()
        }
        None => {
            crate::ledger::check_utf8(path, bytes)?;
            bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
        }
    };
    let delimiter = crate::ledger::sniff_delimiter(text);
    // Line numbers from the ledger reader's own count (the CSV reader's falls short in CRLF
    // files and after blank lines).
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(crate::ledger::Lines::new(text));
    let header: Vec<String> = rdr
        .byte_headers()?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let mut records = Vec::new();
    let mut rec = csv::ByteRecord::new();
    while rdr
        .read_byte_record(&mut rec)
        .with_context(|| format!("cannot read attributes {}", path.display()))?
    {
        // A line of empty fields (`,,,` from a spreadsheet) is no row, as in a ledger.
        if rec.iter().all(|v| v.trim_ascii().is_empty()) {
            continue;
        }
        let line = rdr
            .get_mut()
            .line_of_record(rec.position().map_or(0, |p| p.byte()));
        records.push((
            format!("line {line}"),
            rec.iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect(),
        ));
    }
    Ok((header, records))
}

#[cfg(test)]
mod tests {
    use super::Attributes;

    #[test]
    fn a_utf16_file_is_read_by_its_byte_order_mark() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("attributes.txt");
        let text = "客户编号\tname\tindustry\tsize\r\nC1\t华为 有限公司\t制造业\t5000\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(&path, &bytes).unwrap();
        // An --encoding that the mark contradicts is overruled, as for a ledger.
        for encoding in [None, Some(encoding_rs::GBK)] {
            let a = Attributes::read(&path, None, encoding, None).unwrap();
            let c1 = a.get("C1").expect("C1 read");
            assert_eq!(c1.name.as_deref(), Some("华为 有限公司"));
            assert_eq!(c1.industry.as_deref(), Some("制造业"));
            assert_eq!(c1.size, Some(5000.0));
        }
        // Without the mark the same bytes are not UTF-8: refused, not misread.
        std::fs::write(&path, &bytes[2..]).unwrap();
        assert!(Attributes::read(&path, None, None, None).is_err());
    }

    #[test]
    fn lines_of_empty_fields_are_skipped_as_in_a_ledger() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("attributes.csv");
        let rows = "customer_id,name\n,\nC1,Acme\n , \n,,,\nC2,Initech\n";
        std::fs::write(&path, rows).unwrap();
        let a = Attributes::read(&path, None, None, None).unwrap();
        assert_eq!(a.by_id.keys().collect::<Vec<_>>(), ["C1", "C2"]);
        assert_eq!(a.get("C2").and_then(|c| c.name.as_deref()), Some("Initech"));
    }

    #[test]
    fn an_error_names_the_line_whatever_the_line_ends() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("attributes.csv");
        // Line 6 is blank, the quoted name spans lines 7 and 8, line 9 has a name but no id.
        let rows = "customer_id,name\n,\nC1,Acme\n , \n,,,\n\n\"C2\",\"Initech\nLtd\"\n,x\n";
        for (ends, text) in [
            ("LF", rows.to_string()),
            ("CRLF", rows.replace('\n', "\r\n")),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = Attributes::read(&path, None, None, None).unwrap_err();
            assert!(
                format!("{e:#}").contains("line 9, column \"customer_id\": customer id is empty"),
                "{ends}: {e:#}"
            );
        }
    }
}
