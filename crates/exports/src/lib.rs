//! unitbill's document outputs: a PDF for people, UBL 2.1 (EN 16931) for e-invoicing, CSV
//! imports for QuickBooks Online and Xero, and an hledger journal for the books.
//!
//! Every renderer is a pure function of stored documents and an [`ExportContext`]: the engine
//! gathers both from the store, so the outputs of one document are the same bytes whenever
//! and wherever they are made (the API, the CLI, the tests). The renderers never recompute an
//! amount: lines, taxes and totals are printed as the invoice math stored them, so every
//! output agrees with the document to the minor unit.

pub mod csv;
mod format;
pub mod journal;
pub mod pdf;
mod settings;
pub mod ubl;

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::civil::Date;
use rust_decimal::Decimal;
use unitbill_domain::document::{Document, DocumentKind, DocumentLine, DocumentStatus};
use unitbill_domain::invoice::credit_note_line;
use unitbill_domain::period::Period;

pub use format::{amount, grouped_amount, minor_units, price, quantity};
pub use settings::{
    Address, ExportSettings, JournalMapping, PageSize, PartySettings, PdfSettings,
    QuickBooksMapping, XeroMapping,
};

/// Why an output could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// E-invoices and accounting imports carry the document number: a draft has none yet.
    #[error("document {0} is a draft: only posted documents have a number to export")]
    Draft(i64),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("the CSV could not be written: {0}")]
    Csv(String),
    #[error("export settings {path}: {message}")]
    Settings { path: String, message: String },
}

pub type ExportResult<T> = Result<T, ExportError>;

/// A party of a document (the MSP as seller, a client as buyer), as printed and as EN 16931
/// needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub address: Address,
    /// VAT identifier with its country prefix (BT-31 / BT-48).
    pub vat_id: Option<String>,
    /// Any other tax registration (a US EIN or sales-tax permit; BT-32).
    pub tax_registration_id: Option<String>,
    /// The company registry number (BT-30). EN 16931 wants it or a VAT identifier on every
    /// invoice (BR-CO-26); when absent the tax registration stands in, as a US EIN
    /// identifies the business itself.
    pub legal_registration_id: Option<String>,
    pub email: Option<String>,
}

/// A client company as the outputs need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyInfo {
    pub id: i64,
    pub name: String,
    pub party: Party,
    pub currency: String,
    pub payment_terms_days: i64,
}

/// Everything besides the documents that the renderers print: who sells, who buys, the
/// names behind line ids, and the tenant's accounting mapping.
#[derive(Debug, Clone)]
pub struct ExportContext {
    pub seller: Party,
    /// A PNG printed at the top of PDFs; skipped when absent or unreadable.
    pub logo: Option<PathBuf>,
    /// The tenant's currency (documents carry their own).
    pub currency: String,
    pub companies: BTreeMap<i64, CompanyInfo>,
    /// Service id -> name: the key of the accounting mapping and of journal revenue accounts.
    pub services: BTreeMap<i64, String>,
    /// Contract id -> name: the PDF groups lines by contract.
    pub contracts: BTreeMap<i64, String>,
    /// Document id -> number, for credit notes that name the invoice they void.
    pub document_numbers: BTreeMap<i64, String>,
    pub settings: ExportSettings,
}

impl ExportContext {
    /// The company a document or line is for; an unknown id still prints (as `#id`), so one
    /// missing row never stops an export.
    pub fn company(&self, id: i64) -> CompanyInfo {
        self.companies
            .get(&id)
            .cloned()
            .unwrap_or_else(|| CompanyInfo {
                id,
                name: format!("#{id}"),
                party: Party {
                    name: format!("#{id}"),
                    ..Party::default()
                },
                currency: self.currency.clone(),
                payment_terms_days: 0,
            })
    }

    /// The service a line bills, by name (`None` for one-off lines).
    pub fn service_name(&self, line: &DocumentLine) -> Option<&str> {
        line.service_id
            .and_then(|id| self.services.get(&id))
            .map(String::as_str)
    }
}

/// True for credit notes (void, run or goodwill).
pub fn is_credit_note(doc: &Document) -> bool {
    doc.is_credit_note()
}

/// The title printed on a document.
pub fn document_title(doc: &Document) -> &'static str {
    match (doc.kind, doc.status) {
        (DocumentKind::CreditNote, DocumentStatus::Draft) => "Draft credit note",
        (DocumentKind::CreditNote, _) => "Credit note",
        (DocumentKind::Invoice, DocumentStatus::Draft) => "Draft invoice",
        (DocumentKind::Invoice, DocumentStatus::Void) => "Invoice (void)",
        (DocumentKind::Invoice, _) => "Invoice",
    }
}

/// The number, or `draft-<id>` for a draft (PDF previews only).
pub fn document_label(doc: &Document) -> String {
    doc.number
        .clone()
        .unwrap_or_else(|| format!("draft-{}", doc.id))
}

/// A file name for one document: its number, made safe for every file system.
pub fn document_filename(doc: &Document, extension: &str) -> String {
    let stem: String = document_label(doc)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.{extension}")
}

/// A document's number, required by e-invoices and accounting imports.
pub fn require_number(doc: &Document) -> ExportResult<&str> {
    doc.number.as_deref().ok_or(ExportError::Draft(doc.id))
}

/// The first and last day of a `YYYY-MM` period.
pub fn period_days(period: &str) -> Option<(Date, Date)> {
    Period::parse(period)
        .ok()
        .map(|p| (p.first_day(), p.last_day()))
}

/// The service period a document covers: from the first day of its earliest line period to
/// the last day of its latest (adjustments reach back; advance charges reach forward).
pub fn service_period(doc: &Document) -> Option<(Date, Date)> {
    let mut span: Option<(Date, Date)> = None;
    for line in &doc.lines {
        if let Some((first, last)) = period_days(&line.period) {
            span = Some(match span {
                None => (first, last),
                Some((a, b)) => (a.min(first), b.max(last)),
            });
        }
    }
    span.or_else(|| period_days(&doc.period))
}

/// What a line says beyond its description: the child company it is for, on a parent's
/// invoice.
pub fn line_label(line: &DocumentLine) -> String {
    match &line.for_child {
        Some(child) => format!("{} ({child})", line.description),
        None => line.description.clone(),
    }
}

/// A line as an invoice would state it: itself on an invoice; on a credit note the negation
/// of the positive amounts the note states (quantity negated, or the unit price of an
/// adjustment), so `amount = quantity × unit price` still holds. Used where the target
/// system books a credit as an invoice with a negative total (Xero) or needs signed amounts.
pub fn invoice_style(doc: &Document, line: &DocumentLine) -> (Decimal, Decimal, Decimal) {
    if !is_credit_note(doc) {
        return (line.quantity, line.unit_price, line.amount);
    }
    let negated = credit_note_line(&line.priced());
    (negated.quantity, negated.unit_price, negated.amount)
}

/// The rates a line is actually taxed at: none when it is not taxable.
pub fn line_rates(line: &DocumentLine) -> &[unitbill_domain::invoice::TaxRate] {
    if line.taxable { &line.tax_rates } else { &[] }
}

/// The key of a line's tax treatment in the accounting mappings: its rate names, sorted and
/// joined with ` + ` (`Kings County + NY State`), empty when the line is not taxed.
pub fn tax_key(line: &DocumentLine) -> String {
    let mut names: Vec<&str> = line_rates(line).iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(" + ")
}

/// The sum of a line's distinct rates (`4` + `4.875` = `8.875`): the one rate EN 16931 and
/// the CSV imports allow per line.
pub fn combined_percent(line: &DocumentLine) -> Decimal {
    let mut seen: Vec<(&str, Decimal)> = Vec::new();
    for rate in line_rates(line) {
        if !seen
            .iter()
            .any(|(n, p)| *n == rate.name && *p == rate.percent)
        {
            seen.push((rate.name.as_str(), rate.percent));
        }
    }
    seen.iter().map(|(_, p)| *p).sum::<Decimal>().normalize()
}

/// The payment terms sentence printed on invoices and put in e-invoices.
pub fn payment_terms(doc: &Document, days: i64) -> String {
    if is_credit_note(doc) {
        return "Credit to your account: it is applied to open or later invoices.".to_owned();
    }
    match doc.due_date {
        Some(due) if days > 0 => format!("Net {days} days: payable by {due}."),
        Some(due) => format!("Due on receipt: payable by {due}."),
        None => "Due on receipt.".to_owned(),
    }
}
