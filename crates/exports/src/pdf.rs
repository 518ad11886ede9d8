//! The PDF of an invoice or credit note, for people: the MSP and its logo, the client, the
//! dates, the lines grouped by contract (and by child company on a parent's invoice), the
//! taxes rate by rate, the totals and the payment terms.
//!
//! The layout is made first as a list of drawing operations per page, then painted with
//! krilla: measuring text needs the fonts but no page, so pagination (how many rows fit, the
//! table header repeated on every page, totals moved to a new page when they do not fit) is
//! decided before anything is drawn and "page N of M" is known on page 1.
//!
//! The font is DejaVu Sans (vendored in `assets/`, Bitstream Vera license), embedded and
//! subset by krilla, so the PDF looks the same everywhere and its text can be extracted.

mod canvas;

use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use unitbill_domain::document::{CreditReason, Document};

use crate::format::group;
use crate::{
    ExportContext, ExportError, ExportResult, PageSize, amount, combined_percent, document_label,
    document_title, grouped_amount, is_credit_note, payment_terms, price, quantity, service_period,
};

use canvas::{Fonts, MUTED, Op, Page, STRONG, TEXT, paint, sized};

const MARGIN: f32 = 48.0;
const ROW: f32 = 14.0;
/// Space the footer keeps at the bottom of every page.
const FOOTER: f32 = 56.0;

/// A row of the lines table.
enum Row {
    Group(String),
    Line {
        description: String,
        period: String,
        tax: String,
        quantity: String,
        price: String,
        amount: String,
    },
}

/// Where the table's columns are: text starts at `description` and `period`; numbers end at
/// the others.
struct Columns {
    left: f32,
    right: f32,
    description_max: f32,
    period: f32,
    tax: f32,
    quantity: f32,
    price: f32,
}

impl Columns {
    fn new(width: f32) -> Self {
        let right = width - MARGIN;
        Self {
            left: MARGIN,
            right,
            description_max: right - 300.0 - MARGIN,
            period: right - 292.0,
            tax: right - 200.0,
            quantity: right - 140.0,
            price: right - 70.0,
        }
    }
}

fn rows(ctx: &ExportContext, doc: &Document) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut current: Option<(Option<String>, Option<i64>)> = None;
    for line in &doc.lines {
        let key = (line.for_child.clone(), line.contract_id);
        if current.as_ref() != Some(&key) {
            let mut heading = match line.contract_id {
                Some(id) => ctx
                    .contracts
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("Contract {id}")),
                None => "Other charges and credits".to_owned(),
            };
            if let Some(child) = &line.for_child {
                heading = format!("{child}: {heading}");
            }
            rows.push(Row::Group(heading));
            current = Some(key);
        }
        let percent = combined_percent(line);
        rows.push(Row::Line {
            description: line.description.clone(),
            period: line.period.clone(),
            tax: if line.taxable && !line.tax_rates.is_empty() {
                format!("{percent}%")
            } else {
                "–".to_owned()
            },
            quantity: quantity(line.quantity),
            price: group(&price(line.unit_price, &doc.currency)),
            amount: grouped_amount(line.amount, &doc.currency),
        });
    }
    rows
}

fn table_header(p: &mut Page<'_>, c: &Columns, y: f32) -> f32 {
    let base = y + 10.0;
    p.text(c.left, base, STRONG, "Description");
    p.text(c.period, base, STRONG, "Period");
    p.right(c.tax, base, STRONG, "Tax");
    p.right(c.quantity, base, STRONG, "Quantity");
    p.right(c.price, base, STRONG, "Unit price");
    p.right(c.right, base, STRONG, "Amount");
    p.rule(c.left, c.right, y + 14.0);
    y + 18.0
}

fn draw_row(p: &mut Page<'_>, c: &Columns, row: &Row, y: f32) {
    let base = y + 10.0;
    match row {
        Row::Group(heading) => {
            let text = p.fit(STRONG, heading, c.right - c.left);
            p.text(c.left, base, STRONG, &text);
        }
        Row::Line {
            description,
            period,
            tax,
            quantity,
            price,
            amount,
        } => {
            let text = p.fit(TEXT, description, c.description_max);
            p.text(c.left + 8.0, base, TEXT, &text);
            p.text(c.period, base, TEXT, period);
            p.right(c.tax, base, MUTED, tax);
            p.right(c.quantity, base, TEXT, quantity);
            p.right(c.price, base, TEXT, price);
            p.right(c.right, base, TEXT, amount);
        }
    }
}

/// The first page's header; returns where the table starts.
fn first_header(
    p: &mut Page<'_>,
    ctx: &ExportContext,
    doc: &Document,
    c: &Columns,
    logo: Option<(f32, f32)>,
) -> f32 {
    let mut y = MARGIN;
    if let Some((w, h)) = logo {
        p.ops.push(Op::Logo { x: c.left, y, w, h });
        y += h + 10.0;
    }
    y += 14.0;
    p.text(c.left, y, sized(true, 14.0), &ctx.seller.name);
    let mut seller_lines = ctx.seller.address.printed();
    if let Some(vat) = &ctx.seller.vat_id {
        seller_lines.push(format!("VAT {vat}"));
    }
    if let Some(tax) = &ctx.seller.tax_registration_id {
        seller_lines.push(format!("Tax ID {tax}"));
    }
    if let Some(reg) = &ctx.seller.legal_registration_id {
        seller_lines.push(format!("Registration {reg}"));
    }
    if let Some(email) = &ctx.seller.email {
        seller_lines.push(email.clone());
    }
    for line in seller_lines {
        y += 12.0;
        p.text(c.left, y, TEXT, &line);
    }

    // The right block: title, then label / value pairs.
    let mut ry = MARGIN + 18.0;
    p.right(c.right, ry, sized(true, 20.0), document_title(doc));
    ry += 8.0;
    let mut facts = vec![("Number", document_label(doc))];
    facts.push(("Issue date", doc.issue_date.to_string()));
    if let Some(due) = doc.due_date {
        facts.push(("Due date", due.to_string()));
    }
    if let Some((first, last)) = service_period(doc) {
        facts.push(("Service period", format!("{first} to {last}")));
    }
    if !doc.purchase_orders.is_empty() {
        facts.push(("Purchase order", doc.purchase_orders.join(", ")));
    }
    if let Some(voided) = doc
        .voids_document_id
        .and_then(|id| ctx.document_numbers.get(&id))
    {
        facts.push(("Voids invoice", voided.clone()));
    }
    facts.push(("Currency", doc.currency.clone()));
    for (label, value) in facts {
        ry += 13.0;
        p.text(c.right - 230.0, ry, MUTED, label);
        p.right(c.right, ry, TEXT, &value);
    }

    // Bill to.
    let company = ctx.company(doc.company_id);
    let mut y = y.max(ry) + 28.0;
    p.text(
        c.left,
        y,
        MUTED,
        if is_credit_note(doc) {
            "Credit to"
        } else {
            "Bill to"
        },
    );
    y += 14.0;
    p.text(c.left, y, sized(true, 11.0), &company.party.name);
    let mut lines = company.party.address.printed();
    if let Some(vat) = &company.party.vat_id {
        lines.push(format!("VAT {vat}"));
    }
    for line in lines {
        y += 12.0;
        p.text(c.left, y, TEXT, &line);
    }
    if is_credit_note(doc) {
        let why = match doc.credit_reason {
            Some(CreditReason::Void) => {
                "This credit note takes back the whole invoice it voids.".to_owned()
            }
            Some(CreditReason::Run) => format!(
                "The charges and adjustments of {} net to a credit in your favor.",
                doc.period
            ),
            _ => "A goodwill credit in your favor.".to_owned(),
        };
        y += 18.0;
        p.text(c.left, y, TEXT, &why);
    }
    y + 18.0
}

/// The header of every later page; returns where the table starts.
fn next_header(p: &mut Page<'_>, ctx: &ExportContext, doc: &Document, c: &Columns) -> f32 {
    let y = MARGIN + 12.0;
    p.text(c.left, y, sized(true, 11.0), &ctx.seller.name);
    let title = format!(
        "{} {} (continued)",
        document_title(doc),
        document_label(doc)
    );
    p.right(c.right, y, STRONG, &title);
    y + 20.0
}

/// The totals, the taxes rate by rate, and the terms; returns their height when drawn at `y`.
fn totals(p: &mut Page<'_>, ctx: &ExportContext, doc: &Document, c: &Columns, y: f32) -> f32 {
    let cur = doc.currency.as_str();
    let label_x = c.right - 260.0;
    let mut y = y + 8.0;
    p.rule(label_x, c.right, y);
    y += 14.0;
    p.text(label_x, y, TEXT, "Subtotal");
    p.right(c.right, y, TEXT, &grouped_amount(doc.subtotal, cur));
    for tax in &doc.taxes {
        y += ROW;
        let label = format!(
            "{} {}% on {}",
            tax.name,
            tax.percent.normalize(),
            group(&amount(tax.base, cur))
        );
        let label = p.fit(TEXT, &label, 190.0);
        p.text(label_x, y, TEXT, &label);
        p.right(c.right, y, TEXT, &grouped_amount(tax.amount, cur));
    }
    y += ROW + 2.0;
    let total_label = if is_credit_note(doc) {
        format!("Total credited {cur}")
    } else {
        format!("Total {cur}")
    };
    p.text(label_x, y, sized(true, 10.0), &total_label);
    p.right(
        c.right,
        y,
        sized(true, 10.0),
        &grouped_amount(doc.total, cur),
    );
    y += 24.0;
    let company = ctx.company(doc.company_id);
    let mut notes = vec![payment_terms(doc, company.payment_terms_days)];
    if let Some(footer) = &ctx.settings.pdf.footer {
        notes.push(footer.clone());
    }
    for note in notes {
        for line in p.wrap(TEXT, &note, c.right - c.left) {
            p.text(c.left, y, TEXT, &line);
            y += 12.0;
        }
    }
    y
}

fn footer(
    p: &mut Page<'_>,
    ctx: &ExportContext,
    doc: &Document,
    c: &Columns,
    h: f32,
    page: usize,
    pages: usize,
) {
    let y = h - MARGIN + 16.0;
    p.rule(c.left, c.right, y - 12.0);
    let left = format!("{} · {}", ctx.seller.name, document_label(doc));
    p.text(c.left, y, MUTED, &left);
    p.right(c.right, y, MUTED, &format!("Page {page} of {pages}"));
}

/// The logo's image and its drawn size (at most 160 × 56 points, proportions kept).
fn logo(ctx: &ExportContext) -> Option<(Image, f32, f32)> {
    let bytes = std::fs::read(ctx.logo.as_ref()?).ok()?;
    let image = Image::from_png(bytes.into(), true).ok()?;
    let (w, h) = image.size();
    if w == 0 || h == 0 {
        return None;
    }
    let scale = (160.0 / w as f32).min(56.0 / h as f32);
    Some((image, w as f32 * scale, h as f32 * scale))
}

/// The PDF of a document (a draft is titled as such).
pub fn render(ctx: &ExportContext, doc: &Document) -> ExportResult<Vec<u8>> {
    let fonts = Fonts::load()?;
    let (w, h) = match ctx.settings.pdf.page_size {
        PageSize::Letter => (612.0, 792.0),
        PageSize::A4 => (595.28, 841.89),
    };
    let c = Columns::new(w);
    let bottom = h - FOOTER;
    let logo = logo(ctx);
    let rows = rows(ctx, doc);
    let new_page = || Page {
        fonts: &fonts,
        ops: Vec::new(),
    };

    let mut pages: Vec<Page<'_>> = Vec::new();
    let mut page = new_page();
    let mut y = first_header(&mut page, ctx, doc, &c, logo.as_ref().map(|l| (l.1, l.2)));
    y = table_header(&mut page, &c, y);
    let mut on_page = 0;
    for (i, row) in rows.iter().enumerate() {
        // A group heading never ends a page: it goes with its first line.
        let need = if matches!(row, Row::Group(_)) && i + 1 < rows.len() {
            2.0 * ROW
        } else {
            ROW
        };
        if y + need > bottom && on_page > 0 {
            pages.push(std::mem::replace(&mut page, new_page()));
            y = next_header(&mut page, ctx, doc, &c);
            y = table_header(&mut page, &c, y);
            on_page = 0;
        }
        draw_row(&mut page, &c, row, y);
        y += ROW;
        on_page += 1;
    }
    // The totals stay in one piece: measured on a scratch page, moved when they do not fit.
    let mut scratch = new_page();
    let height = totals(&mut scratch, ctx, doc, &c, 0.0);
    if y + height > bottom {
        pages.push(std::mem::replace(&mut page, new_page()));
        y = next_header(&mut page, ctx, doc, &c);
    }
    totals(&mut page, ctx, doc, &c, y);
    pages.push(page);
    let count = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        footer(page, ctx, doc, &c, h, i + 1, count);
    }

    let mut document = krilla::Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {}", document_title(doc), document_label(doc)))
            .authors(vec![ctx.seller.name.clone()])
            .creator("unitbill".to_owned()),
    );
    let settings =
        PageSettings::from_wh(w, h).ok_or_else(|| ExportError::Pdf("page size".into()))?;
    for page in &pages {
        let mut pdf_page = document.start_page_with(settings.clone());
        let mut surface = pdf_page.surface();
        paint(&mut surface, &fonts, &page.ops, logo.as_ref().map(|l| &l.0));
        surface.finish();
        pdf_page.finish();
    }
    document
        .finish()
        .map_err(|e| ExportError::Pdf(format!("{e:?}")))
}
