//! Column roles and how a file's header is matched to them.
//!
//! Each role has default names (matched case-insensitively, ignoring spaces, `_` and `-`) in
//! English and Chinese; `--columns role=NAME` maps a role to any column. Called once per input
//! file by the readers.

use std::fmt;
use std::path::Path;

use crate::error::InputError;

/// What a ledger column means to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Date,
    Amount,
    Invoice,
    Product,
    Quantity,
    Industry,
    /// A unit price: with a quantity, the amount of a ledger that has no amount column.
    Price,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Customer,
        Role::Date,
        Role::Amount,
        Role::Invoice,
        Role::Product,
        Role::Quantity,
        Role::Industry,
        Role::Price,
    ];

    /// The name used in `--columns` and in messages.
    pub fn key(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Date => "date",
            Role::Amount => "amount",
            Role::Invoice => "invoice",
            Role::Product => "product",
            Role::Quantity => "quantity",
            Role::Industry => "industry",
            Role::Price => "price",
        }
    }

    /// What a value of the role is called in a message about it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Customer => "customer id",
            Role::Price => "unit price",
            r => r.key(),
        }
    }

    /// Customer and date. The amount is required too, but a quantity and a unit price may
    /// stand in for it: [`Resolved::from_header`] asks for one or the other.
    pub fn required(self) -> bool {
        matches!(self, Role::Customer | Role::Date)
    }

    /// Header names recognised without a mapping, in order of preference.
    pub fn default_names(self) -> &'static [&'static str] {
        match self {
            Role::Customer => &[
                "customer_id",
                "customer",
                "customer_no",
                "client_id",
                "cust_id",
                "客户编号",
                "客户id",
                "客户代码",
                "客户",
            ],
            Role::Date => &[
                "date",
                "order_date",
                "invoice_date",
                "sale_date",
                "transaction_date",
                "日期",
                "订单日期",
                "销售日期",
                "开票日期",
            ],
            Role::Amount => &[
                "amount",
                "net_amount",
                "revenue",
                "sales",
                "value",
                "金额",
                "销售额",
                "销售金额",
            ],
            Role::Invoice => &[
                "invoice_id",
                "invoice",
                "invoice_no",
                "order_id",
                "order_no",
                "发票号",
                "订单号",
                "单号",
            ],
            Role::Product => &[
                "product_line",
                "product",
                "category",
                "产品线",
                "产品类别",
                "产品",
            ],
            Role::Quantity => &["quantity", "qty", "数量"],
            Role::Industry => &["industry", "sector", "行业"],
            Role::Price => &["unit_price", "price", "单价"],
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// `--columns` mappings, role → column name as written in the file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ColumnMap(pub Vec<(Role, String)>);

impl ColumnMap {
    /// Parses `customer=客户编号,date=日期`.
    pub fn parse(spec: &str) -> Result<ColumnMap, InputError> {
        let mut out: Vec<(Role, String)> = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (role, name) = part.split_once('=').ok_or_else(|| {
                InputError::flag("--columns", format!("{part:?} is not ROLE=COLUMN"))
            })?;
            let role = Role::from_key(role.trim()).ok_or_else(|| {
                let roles: Vec<_> = Role::ALL.iter().map(|r| r.key()).collect();
                InputError::flag(
                    "--columns",
                    format!(
                        "unknown role {:?}; roles are {}",
                        role.trim(),
                        roles.join(", ")
                    ),
                )
            })?;
            if out.iter().any(|(r, _)| *r == role) {
                return Err(InputError::flag(
                    "--columns",
                    format!("role {role} is mapped twice"),
                ));
            }
            out.push((role, name.trim().to_string()));
        }
        Ok(ColumnMap(out))
    }

    fn get(&self, role: Role) -> Option<&str> {
        self.0
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, n)| n.as_str())
    }
}

/// Normalises a header name for matching: lower case, no spaces, `_` or `-`.
fn norm(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which column index fills each role, for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    idx: [Option<usize>; 8],
    /// The header names of the columns used, per role (for the manifest).
    pub names: Vec<(Role, String)>,
}

impl Resolved {
    pub fn get(&self, role: Role) -> Option<usize> {
        self.idx[role as usize]
    }

    /// Matches a header to the roles. Fails on a missing required role, a mapped name that is
    /// not there, or a role whose column name is duplicated.
    pub fn from_header(
        path: &Path,
        header: &[String],
        map: &ColumnMap,
    ) -> Result<Resolved, InputError> {
        let columns = || {
            header
                .iter()
                .map(|h| format!("{h:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut idx = [None; 8];
        let mut names = Vec::new();
        for role in Role::ALL {
            let found = if let Some(name) = map.get(role) {
                let exact: Vec<usize> = (0..header.len())
                    .filter(|&i| header[i].trim() == name)
                    .collect();
                let hits = if exact.is_empty() {
                    (0..header.len())
                        .filter(|&i| norm(&header[i]) == norm(name))
                        .collect()
                } else {
                    exact
                };
                if hits.is_empty() {
                    return Err(InputError::MappedColumnNotFound {
                        path: path.to_path_buf(),
                        role: role.key(),
                        name: name.to_string(),
                        columns: columns(),
                    });
                }
                Some(hits)
            } else {
                role.default_names().iter().find_map(|cand| {
                    let hits: Vec<usize> = (0..header.len())
                        .filter(|&i| norm(&header[i]) == norm(cand))
                        .collect();
                    (!hits.is_empty()).then_some(hits)
                })
            };
            match found {
                Some(hits) if hits.len() > 1 => {
                    return Err(InputError::DuplicateColumn {
                        path: path.to_path_buf(),
                        name: header[hits[0]].clone(),
                        count: hits.len(),
                    })
                }
                Some(hits) => {
                    idx[role as usize] = Some(hits[0]);
                    names.push((role, header[hits[0]].clone()));
                }
                None if role.required() => {
                    return Err(InputError::MissingColumn {
                        path: path.to_path_buf(),
                        role: role.key(),
                        looked_for: role.default_names().join(", "),
                        columns: columns(),
                    })
                }
                None => {}
            }
        }
        let has = |r: Role| idx[r as usize].is_some();
        let priced = has(Role::Quantity) && has(Role::Price);
        if !has(Role::Amount) && !priced {
            let names = |r: Role| r.default_names().join(", ");
            return Err(InputError::MissingColumn {
                path: path.to_path_buf(),
                role: Role::Amount.key(),
                looked_for: format!(
                    "{}; or a quantity ({}) and a unit price ({}) to multiply",
                    names(Role::Amount),
                    names(Role::Quantity),
                    names(Role::Price)
                ),
                columns: columns(),
            });
        }
        // One column cannot fill two roles (e.g. `--columns invoice=date`).
        for (i, (r1, n1)) in names.iter().enumerate() {
            if let Some((r2, _)) = names[i + 1..].iter().find(|(_, n2)| n2 == n1) {
                return Err(InputError::flag(
                    "--columns",
                    format!("column {n1:?} would fill both the {r1} and the {r2} role"),
                ));
            }
        }
        Ok(Resolved { idx, names })
    }

    /// Where each row's amount comes from: the amount column, or, in a ledger without one,
    /// its quantity times its unit price.
    pub fn amount_source(&self) -> AmountSource {
        match (
            self.get(Role::Amount),
            self.get(Role::Quantity),
            self.get(Role::Price),
        ) {
            (Some(a), _, _) => AmountSource::Column(a),
            (None, Some(quantity), Some(price)) => AmountSource::Product { quantity, price },
            _ => unreachable!("from_header refuses a header without either"),
        }
    }
}

/// Where a row's amount comes from ([`Resolved::amount_source`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountSource {
    Column(usize),
    Product { quantity: usize, price: usize },
}

impl AmountSource {
    /// A row's amount from its cells, `number(i)` reading column `i` as an amount is read
    /// (`--amount-format`): the amount column's, or the quantity times the unit price. An
    /// error names the role whose cell failed.
    pub fn amount(
        self,
        mut number: impl FnMut(usize) -> Result<f64, String>,
    ) -> Result<f64, (Role, String)> {
        match self {
            AmountSource::Column(i) => number(i).map_err(|e| (Role::Amount, e)),
            AmountSource::Product { quantity, price } => {
                let q = number(quantity).map_err(|e| (Role::Quantity, e))?;
                let p = number(price).map_err(|e| (Role::Price, e))?;
                super::parse::check_amount(q * p)
                    .map_err(|e| (Role::Price, format!("{p} × quantity {q} {e}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_names_match_in_any_case_and_language() {
        let h = header(&[
            "Invoice ID",
            "Customer_ID",
            "ORDER-DATE",
            "Amount",
            "Product Line",
        ]);
        let r = Resolved::from_header(Path::new("l.csv"), &h, &ColumnMap::default()).unwrap();
        assert_eq!(r.get(Role::Customer), Some(1));
        assert_eq!(r.get(Role::Date), Some(2));
        assert_eq!(r.get(Role::Amount), Some(3));
        assert_eq!(r.get(Role::Invoice), Some(0));
        assert_eq!(r.get(Role::Product), Some(4));
        assert_eq!(r.get(Role::Industry), None);
        let h = header(&["客户编号", "日期", "金额"]);
        assert!(Resolved::from_header(Path::new("l.csv"), &h, &ColumnMap::default()).is_ok());
    }

    #[test]
    fn a_mapping_overrides_the_defaults() {
        let h = header(&["kunde", "datum", "betrag", "amount"]);
        let map = ColumnMap::parse("customer=kunde, date=datum,amount=betrag").unwrap();
        let r = Resolved::from_header(Path::new("l.csv"), &h, &map).unwrap();
        assert_eq!(
            (
                r.get(Role::Customer),
                r.get(Role::Date),
                r.get(Role::Amount)
            ),
            (Some(0), Some(1), Some(2))
        );
    }

    #[test]
    fn a_quantity_and_a_unit_price_stand_in_for_a_missing_amount() {
        let resolve = |names: &[&str]| {
            Resolved::from_header(Path::new("l.csv"), &header(names), &ColumnMap::default())
        };
        let r = resolve(&["CustomerID", "InvoiceDate", "Quantity", "UnitPrice"]).unwrap();
        assert_eq!(
            r.amount_source(),
            AmountSource::Product {
                quantity: 2,
                price: 3
            }
        );
        // An amount column wins over them.
        let r = resolve(&["customer_id", "date", "qty", "price", "amount"]).unwrap();
        assert_eq!(r.amount_source(), AmountSource::Column(4));
        // One without the other is not enough, and the error says what would do.
        for names in [
            ["customer_id", "date", "quantity"],
            ["customer_id", "date", "单价"],
        ] {
            let e = resolve(&names).unwrap_err().to_string();
            assert!(e.contains("no column for the amount role"), "{e}");
            assert!(
                e.contains("or a quantity (quantity, qty, 数量) and a unit price"),
                "{e}"
            );
        }
        // Mapped by name like any role.
        let map = ColumnMap::parse("quantity=Menge,price=Einzelpreis").unwrap();
        let h = header(&["customer_id", "date", "Menge", "Einzelpreis"]);
        let r = Resolved::from_header(Path::new("l.csv"), &h, &map).unwrap();
        assert_eq!(
            r.amount_source(),
            AmountSource::Product {
                quantity: 2,
                price: 3
            }
        );
    }

    #[test]
    fn missing_duplicate_and_misnamed_columns_are_errors_that_name_them() {
        let e = Resolved::from_header(
            Path::new("l.csv"),
            &header(&["customer_id", "date"]),
            &ColumnMap::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("no column for the amount role"),
            "{e}"
        );
        let e = Resolved::from_header(
            Path::new("l.csv"),
            &header(&["customer_id", "date", "amount", "amount"]),
            &ColumnMap::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"amount\" appears 2 times"), "{e}");
        let map = ColumnMap::parse("amount=金额").unwrap();
        let e = Resolved::from_header(
            Path::new("l.csv"),
            &header(&["customer_id", "date", "amount"]),
            &map,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("--columns amount=金额: no such column"),
            "{e}"
        );
        assert!(ColumnMap::parse("buyer=x")
            .unwrap_err()
            .to_string()
            .contains("unknown role"));
        assert!(ColumnMap::parse("customer")
            .unwrap_err()
            .to_string()
            .contains("not ROLE=COLUMN"));
    }
}
