//! Accounting imports: QuickBooks Online's invoice import and Xero's sales invoice import.
//!
//! One row per document line; the rows of one document share its number, which is how both
//! importers group lines into invoices. Amounts are tax-exclusive (pick "exclusive of tax" in
//! the import), and each line carries the tax code its rates map to in the tenant's
//! [`crate::QuickBooksMapping`] / [`crate::XeroMapping`], so the accounting system computes the
//! same taxes the document shows.
//!
//! Every text cell is neutralised against CSV injection ([`neutralise`]): a company named
//! `=HYPERLINK(...)` arrives as text, never as a formula.
//!
//! Credit notes: Xero books an imported invoice whose total is negative as a credit note, so
//! they go in the same file with the invoice-style (negated) lines. QuickBooks Online's
//! import takes invoices only: credit notes go to a second file with the same columns, to be
//! entered as credit memos (or loaded with an importer that takes them).

use ::csv::WriterBuilder;
use unitbill_domain::document::{Document, DocumentLine};

use crate::{
    ExportContext, ExportError, ExportResult, amount, invoice_style, is_credit_note, line_label,
    period_days, price, quantity, require_number, tax_key,
};

/// The columns QuickBooks Online maps without asking.
pub const QUICKBOOKS_HEADER: [&str; 13] = [
    "Invoice number",
    "Customer",
    "Invoice date",
    "Due date",
    "Terms",
    "Memo",
    "Item (Product/Service)",
    "Item description",
    "Item quantity",
    "Item rate",
    "Item amount",
    "Item tax code",
    "Service date",
];

/// The columns of Xero's sales invoice template that unitbill fills.
pub const XERO_HEADER: [&str; 11] = [
    "ContactName",
    "InvoiceNumber",
    "Reference",
    "InvoiceDate",
    "DueDate",
    "Description",
    "Quantity",
    "UnitAmount",
    "AccountCode",
    "TaxType",
    "Currency",
];

/// One output file: its name and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn write(rows: &[Vec<String>], header: &[&str]) -> ExportResult<Vec<u8>> {
    let mut w = WriterBuilder::new().from_writer(Vec::new());
    w.write_record(header)
        .map_err(|e| ExportError::Csv(e.to_string()))?;
    for row in rows {
        for cell in row {
            w.write_field(neutralise(cell).as_bytes())
                .map_err(|e| ExportError::Csv(e.to_string()))?;
        }
        w.write_record(None::<&[u8]>)
            .map_err(|e| ExportError::Csv(e.to_string()))?;
    }
    w.into_inner().map_err(|e| ExportError::Csv(e.to_string()))
}

/// A cell a spreadsheet will not run as a formula (CSV injection): text that starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which spreadsheets show
/// as text and accounting importers keep as part of a name. Numbers (`-84.00`) stay numbers.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<rust_decimal::Decimal>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn date(d: jiff::civil::Date, format: &str) -> String {
    d.strftime(format).to_string()
}

/// The memo of a document: its period, purchase orders and the invoice a void takes back.
fn memo(ctx: &ExportContext, doc: &Document) -> String {
    let mut parts = vec![format!("Period {}", doc.period)];
    if !doc.purchase_orders.is_empty() {
        parts.push(format!("PO {}", doc.purchase_orders.join(", ")));
    }
    if let Some(voided) = doc
        .voids_document_id
        .and_then(|id| ctx.document_numbers.get(&id))
    {
        parts.push(format!("Voids {voided}"));
    }
    parts.join("; ")
}

fn posted(documents: &[Document]) -> impl Iterator<Item = &Document> {
    documents.iter().filter(|d| d.status.is_posted())
}

/// QuickBooks Online files named `<stem>-quickbooks-invoices.csv` and, when the documents
/// include credit notes, `<stem>-quickbooks-credit-memos.csv`.
pub fn quickbooks(
    ctx: &ExportContext,
    documents: &[Document],
    stem: &str,
) -> ExportResult<Vec<CsvFile>> {
    let map = &ctx.settings.quickbooks;
    let mut invoices = Vec::new();
    let mut credits = Vec::new();
    for doc in posted(documents) {
        let number = require_number(doc)?;
        let company = ctx.company(doc.company_id);
        let terms = if is_credit_note(doc) {
            String::new()
        } else if company.payment_terms_days > 0 {
            format!("Net {}", company.payment_terms_days)
        } else {
            "Due on receipt".to_owned()
        };
        let due = doc
            .due_date
            .map(|d| date(d, &map.date_format))
            .unwrap_or_default();
        for line in &doc.lines {
            let item = match ctx.service_name(line) {
                Some(service) => map
                    .items
                    .get(service)
                    .cloned()
                    .unwrap_or_else(|| service.to_owned()),
                None => map.one_off_item.clone(),
            };
            let key = tax_key(line);
            let code = map.tax_codes.get(&key).cloned().unwrap_or_else(|| {
                if key.is_empty() {
                    map.exempt_code.clone()
                } else {
                    map.taxable_code.clone()
                }
            });
            let row = vec![
                number.to_owned(),
                company.name.clone(),
                date(doc.issue_date, &map.date_format),
                due.clone(),
                terms.clone(),
                memo(ctx, doc),
                item,
                line_label(line),
                quantity(line.quantity),
                price(line.unit_price, &doc.currency),
                amount(line.amount, &doc.currency),
                code,
                service_date(line, &map.date_format),
            ];
            if is_credit_note(doc) {
                credits.push(row);
            } else {
                invoices.push(row);
            }
        }
    }
    let mut files = vec![CsvFile {
        name: format!("{stem}-quickbooks-invoices.csv"),
        bytes: write(&invoices, &QUICKBOOKS_HEADER)?,
    }];
    if !credits.is_empty() {
        files.push(CsvFile {
            name: format!("{stem}-quickbooks-credit-memos.csv"),
            bytes: write(&credits, &QUICKBOOKS_HEADER)?,
        });
    }
    Ok(files)
}

fn service_date(line: &DocumentLine, format: &str) -> String {
    period_days(&line.period)
        .map(|(first, _)| date(first, format))
        .unwrap_or_default()
}

/// Xero files: `<stem>-xero.csv`, or `<stem>-xero-1.csv`, `-2`... when there are more
/// documents than Xero takes in one file (500 by default).
pub fn xero(ctx: &ExportContext, documents: &[Document], stem: &str) -> ExportResult<Vec<CsvFile>> {
    let map = &ctx.settings.xero;
    let docs: Vec<&Document> = posted(documents).collect();
    let per_file = map.invoices_per_file.max(1);
    let chunks: Vec<&[&Document]> = if docs.is_empty() {
        vec![&[]]
    } else {
        docs.chunks(per_file).collect()
    };
    let split = chunks.len() > 1;
    let mut files = Vec::new();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let mut rows = Vec::new();
        for doc in chunk {
            let number = require_number(doc)?;
            let company = ctx.company(doc.company_id);
            let issue = date(doc.issue_date, &map.date_format);
            // A credit note has no due date; Xero wants one on every row.
            let due = doc
                .due_date
                .map(|d| date(d, &map.date_format))
                .unwrap_or_else(|| issue.clone());
            for line in &doc.lines {
                let (q, p, _) = invoice_style(doc, line);
                let account = match ctx.service_name(line) {
                    Some(service) => map
                        .accounts
                        .get(service)
                        .cloned()
                        .unwrap_or_else(|| map.default_account.clone()),
                    None if !map.one_off_account.is_empty() => map.one_off_account.clone(),
                    None => map.default_account.clone(),
                };
                let key = tax_key(line);
                let tax = map.tax_types.get(&key).cloned().unwrap_or_else(|| {
                    if key.is_empty() {
                        map.exempt_type.clone()
                    } else {
                        map.taxable_type.clone()
                    }
                });
                rows.push(vec![
                    company.name.clone(),
                    number.to_owned(),
                    memo(ctx, doc),
                    issue.clone(),
                    due.clone(),
                    line_label(line),
                    quantity(q),
                    price(p, &doc.currency),
                    account,
                    tax,
                    doc.currency.clone(),
                ]);
            }
        }
        let name = if split {
            format!("{stem}-xero-{}.csv", i + 1)
        } else {
            format!("{stem}-xero.csv")
        };
        files.push(CsvFile {
            name,
            bytes: write(&rows, &XERO_HEADER)?,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        assert_eq!(neutralise("=1+2"), "'=1+2");
        assert_eq!(neutralise("+1 555 0100"), "'+1 555 0100");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tcmd"), "'\tcmd");
        assert_eq!(neutralise("-5 devices"), "'-5 devices");
        assert_eq!(neutralise("-84.00"), "-84.00");
        assert_eq!(neutralise("Acme = fine"), "Acme = fine");
        assert_eq!(neutralise(""), "");
    }
}
