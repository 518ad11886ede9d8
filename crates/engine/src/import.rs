//! Importing a client list (CSV from a PSA or accounting system), with a dry run.
//!
//! The whole file is checked first; rows are written only when every row is valid, so an
//! import never stops half-way. A dry run reports every row; a real import with any invalid
//! row is refused (422) with every row's errors, and writes nothing. Rows match existing companies by `external_ref` when given,
//! else by name (case-insensitive).

use std::collections::HashMap;

use serde::Serialize;
use unitbill_domain::money::Currency;
use unitbill_domain::setup::CompanyStatus;
use unitbill_domain::usage::FieldError;
use unitbill_store::{CompanyImport, CompanyRecord};

use crate::{Engine, EngineError, EngineResult};

/// What happened (or would happen) to one row.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRow {
    /// 1-based line in the file, the header being line 1.
    pub line: usize,
    pub name: String,
    /// create, update, unchanged or error.
    pub action: String,
    /// Fields that change on an update.
    pub changes: Vec<String>,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    /// False when any row has errors: then nothing was written.
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: usize,
    pub rows: Vec<ImportRow>,
}

/// Columns, by header name (case-insensitive): name (required), status, currency, tax_rates
/// (names separated by `;`, or `exempt`), payment_terms_days, bill_to (parent company name),
/// external_ref.
pub const COLUMNS: [&str; 7] = [
    "name",
    "status",
    "currency",
    "tax_rates",
    "payment_terms_days",
    "bill_to",
    "external_ref",
];

impl Engine {
    pub async fn import_companies(
        &self,
        tenant_id: i64,
        csv_text: &str,
        dry_run: bool,
    ) -> EngineResult<ImportReport> {
        let tenant = self.store.tenant(tenant_id).await?;
        let existing = self.store.companies(tenant_id).await?;
        let rates: Vec<String> = self
            .store
            .tax_rates(tenant_id)
            .await?
            .into_iter()
            .map(|r| r.name)
            .collect();
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(csv_text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| EngineError::field("file", format!("header line: {e}")))?
            .iter()
            .map(|h| h.to_lowercase())
            .collect();
        if !headers.iter().any(|h| h == "name") {
            return Err(EngineError::field(
                "file",
                "the header line needs a `name` column",
            ));
        }
        if let Some(unknown) = headers.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
            return Err(EngineError::field(
                "file",
                format!(
                    "unknown column {unknown:?}; columns are {}",
                    COLUMNS.join(", ")
                ),
            ));
        }
        let by_name: HashMap<String, &CompanyRecord> = existing
            .iter()
            .map(|c| (c.name.to_lowercase(), c))
            .collect();
        let by_ref: HashMap<&str, &CompanyRecord> = existing
            .iter()
            .filter_map(|c| c.external_ref.as_deref().map(|r| (r, c)))
            .collect();

        // First pass: each row becomes a planned record (id 0 = new).
        let mut plans: Vec<(ImportRow, CompanyRecord, Option<String>)> = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let mut errors = Vec::new();
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    plans.push((
                        ImportRow {
                            line,
                            name: String::new(),
                            action: "error".into(),
                            changes: vec![],
                            errors: vec![FieldError::new("line", e.to_string())],
                        },
                        empty(&tenant.currency),
                        None,
                    ));
                    continue;
                }
            };
            check_cells(&headers, &record, &mut errors);
            let get = |col: &str| {
                headers
                    .iter()
                    .position(|h| h == col)
                    .and_then(|i| record.get(i))
                    .filter(|v| !v.is_empty())
            };
            let name = get("name").unwrap_or_default().to_owned();
            if name.is_empty() {
                errors.push(FieldError::new("name", "is required"));
            }
            let current = get("external_ref")
                .and_then(|r| by_ref.get(r).copied())
                .or_else(|| by_name.get(&name.to_lowercase()).copied());
            let mut c = current.cloned().unwrap_or_else(|| empty(&tenant.currency));
            c.name = name.clone();
            if let Some(s) = get("status") {
                match CompanyStatus::parse(&s.to_lowercase()) {
                    Some(s) => c.status = s,
                    None => errors.push(FieldError::new(
                        "status",
                        format!("{s:?}: use active, inactive, dead or cancelled"),
                    )),
                }
            }
            if let Some(cur) = get("currency") {
                match Currency::parse(&cur.to_uppercase()) {
                    Ok(cur) => c.currency = cur.code().to_owned(),
                    Err(e) => errors.push(FieldError::new("currency", e.to_string())),
                }
            }
            if let Some(t) = get("tax_rates") {
                c.tax_rates = if t.eq_ignore_ascii_case("exempt") {
                    Vec::new()
                } else {
                    t.split(';')
                        .map(|r| r.trim().to_owned())
                        .filter(|r| !r.is_empty())
                        .collect()
                };
                for r in &c.tax_rates {
                    if !rates.contains(r) {
                        errors.push(FieldError::new(
                            "tax_rates",
                            format!("{r:?} is not a tax rate of this tenant"),
                        ));
                    }
                }
            }
            if let Some(d) = get("payment_terms_days") {
                match d.parse::<i64>() {
                    Ok(d) if (0..=365).contains(&d) => c.payment_terms_days = d,
                    _ => errors.push(FieldError::new(
                        "payment_terms_days",
                        format!("{d:?}: a whole number of days from 0 to 365"),
                    )),
                }
            }
            if let Some(r) = get("external_ref") {
                c.external_ref = Some(r.to_owned());
            }
            let changes = match current {
                None => Vec::new(),
                Some(old) => diff(old, &c),
            };
            let action = if !errors.is_empty() {
                "error"
            } else if current.is_none() {
                "create"
            } else if changes.is_empty() && get("bill_to").is_none() {
                "unchanged"
            } else {
                "update"
            };
            plans.push((
                ImportRow {
                    line,
                    name,
                    action: action.into(),
                    changes,
                    errors,
                },
                c,
                get("bill_to").map(str::to_owned),
            ));
        }

        // Second pass: bill-to parents, from the file or the existing list; one level, same currency.
        let planned: HashMap<String, (Option<String>, String)> = plans
            .iter()
            .map(|(r, c, parent)| (r.name.to_lowercase(), (parent.clone(), c.currency.clone())))
            .collect();
        for (row, c, parent) in &mut plans {
            let Some(parent) = parent.clone() else {
                continue;
            };
            let key = parent.to_lowercase();
            let (parent_has_parent, parent_currency) = match (planned.get(&key), by_name.get(&key))
            {
                (Some((pp, cur)), _) => (pp.is_some(), cur.clone()),
                (None, Some(p)) => (p.bill_to_id.is_some(), p.currency.clone()),
                (None, None) => {
                    row.errors.push(FieldError::new(
                        "bill_to",
                        format!("no company named {parent:?} in the file or the company list"),
                    ));
                    row.action = "error".into();
                    continue;
                }
            };
            if key == row.name.to_lowercase() {
                row.errors.push(FieldError::new(
                    "bill_to",
                    "a company cannot bill to itself",
                ));
            } else if parent_has_parent {
                row.errors.push(FieldError::new(
                    "bill_to",
                    format!("{parent:?} bills to another company: bill-to is one level deep"),
                ));
            } else if parent_currency != c.currency {
                row.errors.push(FieldError::new(
                    "bill_to",
                    format!(
                        "{parent:?} invoices in {parent_currency}, this company in {}",
                        c.currency
                    ),
                ));
            }
            if !row.errors.is_empty() {
                row.action = "error".into();
            }
        }
        let mut seen = HashMap::new();
        for (row, _, _) in &mut plans {
            if let Some(first) = seen.insert(row.name.to_lowercase(), row.line) {
                row.errors
                    .push(FieldError::new("name", format!("also on line {first}")));
                row.action = "error".into();
            }
        }

        let count = |a: &str| plans.iter().filter(|(r, _, _)| r.action == a).count();
        let errors = count("error");
        let mut report = ImportReport {
            dry_run,
            applied: false,
            created: count("create"),
            updated: count("update"),
            unchanged: count("unchanged"),
            errors,
            rows: Vec::new(),
        };
        if !dry_run && errors > 0 {
            // Nothing is written; the refusal lists every row's errors, by column and line.
            return Err(EngineError::Invalid(
                plans
                    .iter()
                    .flat_map(|(row, _, _)| {
                        row.errors.iter().map(move |e| {
                            FieldError::new(
                                e.field.clone(),
                                format!("line {}: {}", row.line, e.message),
                            )
                        })
                    })
                    .collect(),
            ));
        }
        if !dry_run {
            // Parents first, so children can name them.
            plans.sort_by_key(|(_, _, parent)| parent.is_some());
            let rows: Vec<CompanyImport> = plans
                .iter()
                .filter(|(row, _, _)| row.action != "unchanged")
                .map(|(_, c, parent)| CompanyImport {
                    company: c.clone(),
                    bill_to_name: parent.clone(),
                })
                .collect();
            // All rows or none: one transaction.
            self.store
                .import_companies(tenant_id, &rows, &self.now_text())
                .await?;
            plans.sort_by_key(|(r, _, _)| r.line);
            report.applied = true;
        }
        report.rows = plans.into_iter().map(|(r, _, _)| r).collect();
        Ok(report)
    }
}

/// Every cell is text a company record can hold: the domain's text rule with no control
/// characters at all (a NUL would fail on PostgreSQL; a newline has no place in a name).
fn check_cells(headers: &[String], record: &csv::StringRecord, errors: &mut Vec<FieldError>) {
    for (column, cell) in headers.iter().zip(record.iter()) {
        for why in unitbill_domain::text::problems(cell, &[]) {
            errors.push(FieldError::new(column.clone(), why));
        }
    }
}

fn empty(currency: &str) -> CompanyRecord {
    CompanyRecord {
        id: 0,
        name: String::new(),
        status: CompanyStatus::Active,
        currency: currency.to_owned(),
        tax_rates: Vec::new(),
        payment_terms_days: 30,
        bill_to_id: None,
        external_ref: None,
    }
}

fn diff(old: &CompanyRecord, new: &CompanyRecord) -> Vec<String> {
    let mut out = Vec::new();
    if old.name != new.name {
        out.push(format!("name: {:?} -> {:?}", old.name, new.name));
    }
    if old.status != new.status {
        out.push(format!(
            "status: {} -> {}",
            old.status.as_str(),
            new.status.as_str()
        ));
    }
    if old.currency != new.currency {
        out.push(format!("currency: {} -> {}", old.currency, new.currency));
    }
    if old.tax_rates != new.tax_rates {
        out.push(format!(
            "tax_rates: {:?} -> {:?}",
            old.tax_rates, new.tax_rates
        ));
    }
    if old.payment_terms_days != new.payment_terms_days {
        out.push(format!(
            "payment_terms_days: {} -> {}",
            old.payment_terms_days, new.payment_terms_days
        ));
    }
    if old.external_ref != new.external_ref {
        out.push(format!(
            "external_ref: {:?} -> {:?}",
            old.external_ref, new.external_ref
        ));
    }
    out
}
