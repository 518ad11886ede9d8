//! UBL 2.1 Invoice and CreditNote documents that conform to EN 16931 (the European
//! e-invoicing norm; CEN's validation artefacts check them in the tests).
//!
//! How unitbill's documents map onto the norm:
//! - EN 16931 gives each line exactly one VAT category and rate. A unitbill line is taxed at
//!   all the rates of its company (a state and a county sales tax, say), so a taxed line
//!   states category `S` with the sum of its rates; lines that are not taxed (an exempt
//!   company or a non-taxable service) state category `E` with an exemption reason.
//! - The VAT breakdown has one entry per (category, rate). Its tax amounts add up to the
//!   document's stored tax total exactly (BR-CO-14): each is the breakdown's own rounding,
//!   and the cent or two by which rates rounded separately differ goes on the largest entry
//!   (the norm allows one unit either way, BR-CO-17). The document's own tax lines, rate by
//!   rate, are stated in a note.
//! - EN 16931 forbids a negative item price (BR-27): a line with a negative unit price (an
//!   adjustment that gives money back) states the negated quantity and the positive price,
//!   so quantity × price is still the line amount.
//! - A credit note states positive amounts, as unitbill's credit notes do; a void names the
//!   invoice it takes back (BG-3).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use unitbill_domain::document::{CreditReason, Document};

use crate::{
    ExportContext, ExportResult, Party, amount, combined_percent, is_credit_note, line_label,
    minor_units, payment_terms, period_days, price, quantity, require_number, service_period,
};

const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// Escapes text for XML and drops characters XML 1.0 cannot carry.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A small indenting XML writer: element order is the schema's, so it is written by hand.
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
    fn open(&mut self, tag: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{tag}>");
        self.depth += 1;
    }
    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.out, "</{tag}>");
    }
    fn leaf(&mut self, tag: &str, text: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{tag}>{}</{tag}>", esc(text));
    }
    fn attr_leaf(&mut self, tag: &str, attr: (&str, &str), text: &str) {
        self.indent();
        let _ = writeln!(
            self.out,
            "<{tag} {}=\"{}\">{}</{tag}>",
            attr.0,
            esc(attr.1),
            esc(text)
        );
    }
    fn money(&mut self, tag: &str, value: Decimal, currency: &str) {
        self.attr_leaf(tag, ("currencyID", currency), &amount(value, currency));
    }
}

/// One entry of the VAT breakdown.
#[derive(Default)]
struct Breakdown {
    base: Decimal,
    tax: Decimal,
}

/// A line's category and rate: `S` with its combined rate, `Z` when its rates add up to
/// zero, `E` when it is not taxed.
fn category(line: &unitbill_domain::document::DocumentLine) -> (&'static str, Decimal) {
    if !line.taxable || line.tax_rates.is_empty() {
        ("E", Decimal::ZERO)
    } else {
        let percent = combined_percent(line);
        if percent.is_zero() {
            ("Z", Decimal::ZERO)
        } else {
            ("S", percent)
        }
    }
}

const EXEMPTION_REASON: &str = "Not subject to sales tax (exempt customer or non-taxable service)";

fn party(x: &mut Xml, p: &Party, default_country: &str) {
    x.open("cac:Party");
    if let Some(email) = p.email.as_deref().filter(|e| !e.trim().is_empty()) {
        x.attr_leaf("cbc:EndpointID", ("schemeID", "EM"), email.trim());
    }
    x.open("cac:PartyName");
    x.leaf("cbc:Name", &p.name);
    x.close("cac:PartyName");
    x.open("cac:PostalAddress");
    let a = &p.address;
    let lines: Vec<&str> = a
        .lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(first) = lines.first() {
        x.leaf("cbc:StreetName", first);
    }
    if let Some(second) = lines.get(1) {
        x.leaf("cbc:AdditionalStreetName", second);
    }
    if !a.city.trim().is_empty() {
        x.leaf("cbc:CityName", a.city.trim());
    }
    if !a.postal_code.trim().is_empty() {
        x.leaf("cbc:PostalZone", a.postal_code.trim());
    }
    if !a.region.trim().is_empty() {
        x.leaf("cbc:CountrySubentity", a.region.trim());
    }
    if lines.len() > 2 {
        x.open("cac:AddressLine");
        x.leaf("cbc:Line", &lines[2..].join(", "));
        x.close("cac:AddressLine");
    }
    x.open("cac:Country");
    let country = if a.country.trim().is_empty() {
        default_country
    } else {
        a.country.trim()
    };
    x.leaf("cbc:IdentificationCode", &country.to_uppercase());
    x.close("cac:Country");
    x.close("cac:PostalAddress");
    for (id, scheme) in [(&p.vat_id, "VAT"), (&p.tax_registration_id, "TAX")] {
        if let Some(id) = id.as_deref().filter(|i| !i.trim().is_empty()) {
            x.open("cac:PartyTaxScheme");
            x.leaf("cbc:CompanyID", id.trim());
            x.open("cac:TaxScheme");
            x.leaf("cbc:ID", scheme);
            x.close("cac:TaxScheme");
            x.close("cac:PartyTaxScheme");
        }
    }
    x.open("cac:PartyLegalEntity");
    x.leaf("cbc:RegistrationName", &p.name);
    if let Some(id) = p
        .legal_registration_id
        .as_deref()
        .or(p.tax_registration_id.as_deref())
        .filter(|i| !i.trim().is_empty())
    {
        x.leaf("cbc:CompanyID", id.trim());
    }
    x.close("cac:PartyLegalEntity");
    x.close("cac:Party");
}

fn period(x: &mut Xml, span: Option<(jiff::civil::Date, jiff::civil::Date)>) {
    if let Some((start, end)) = span {
        x.open("cac:InvoicePeriod");
        x.leaf("cbc:StartDate", &start.to_string());
        x.leaf("cbc:EndDate", &end.to_string());
        x.close("cac:InvoicePeriod");
    }
}

/// The UBL XML of a posted invoice or credit note.
pub fn render(ctx: &ExportContext, doc: &Document) -> ExportResult<Vec<u8>> {
    let number = require_number(doc)?;
    let credit = is_credit_note(doc);
    let root = if credit { "CreditNote" } else { "Invoice" };
    let cur = doc.currency.as_str();
    let company = ctx.company(doc.company_id);
    let seller_country = if ctx.seller.address.country.trim().is_empty() {
        "US".to_owned()
    } else {
        ctx.seller.address.country.trim().to_uppercase()
    };

    let mut x = Xml {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 1,
    };
    let _ = writeln!(
        x.out,
        "<{root} xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:{root}-2\" xmlns:cac=\"{CAC}\" xmlns:cbc=\"{CBC}\">"
    );
    x.leaf("cbc:CustomizationID", "urn:cen.eu:en16931:2017");
    x.leaf("cbc:ID", number);
    x.leaf("cbc:IssueDate", &doc.issue_date.to_string());
    if credit {
        x.leaf("cbc:CreditNoteTypeCode", "381");
    } else {
        if let Some(due) = doc.due_date {
            x.leaf("cbc:DueDate", &due.to_string());
        }
        x.leaf("cbc:InvoiceTypeCode", "380");
    }
    let taxes: Vec<String> = doc
        .taxes
        .iter()
        .map(|t| {
            format!(
                "{} {}% on {}: {}",
                t.name,
                t.percent.normalize(),
                amount(t.base, cur),
                amount(t.amount, cur)
            )
        })
        .collect();
    if !taxes.is_empty() {
        x.leaf("cbc:Note", &format!("Taxes: {}", taxes.join("; ")));
    }
    if let Some(reason) = doc.credit_reason.filter(|_| credit) {
        let text = match reason {
            CreditReason::Void => "Voids the invoice referenced below",
            CreditReason::Run => {
                "Credit from the invoice run: the period's charges and adjustments net to a credit"
            }
            CreditReason::Goodwill => "Goodwill credit",
        };
        x.leaf("cbc:Note", text);
    }
    x.leaf("cbc:DocumentCurrencyCode", cur);
    period(&mut x, service_period(doc));
    if let Some(po) = doc.purchase_orders.first() {
        x.open("cac:OrderReference");
        x.leaf("cbc:ID", po);
        x.close("cac:OrderReference");
    }
    if let Some(voided) = doc
        .voids_document_id
        .and_then(|id| ctx.document_numbers.get(&id))
    {
        x.open("cac:BillingReference");
        x.open("cac:InvoiceDocumentReference");
        x.leaf("cbc:ID", voided);
        x.close("cac:InvoiceDocumentReference");
        x.close("cac:BillingReference");
    }
    x.open("cac:AccountingSupplierParty");
    party(&mut x, &ctx.seller, &seller_country);
    x.close("cac:AccountingSupplierParty");
    x.open("cac:AccountingCustomerParty");
    party(&mut x, &company.party, &seller_country);
    x.close("cac:AccountingCustomerParty");
    x.open("cac:PaymentTerms");
    x.leaf("cbc:Note", &payment_terms(doc, company.payment_terms_days));
    x.close("cac:PaymentTerms");

    // VAT breakdown: bases per (category, rate), tax amounts adding up to the stored total.
    let mut breakdown: BTreeMap<(&'static str, Decimal), Breakdown> = BTreeMap::new();
    for line in &doc.lines {
        breakdown.entry(category(line)).or_default().base += line.amount;
    }
    let scale = minor_units(cur);
    for ((cat, rate), b) in breakdown.iter_mut() {
        if *cat == "S" {
            b.tax = (b.base * *rate / Decimal::ONE_HUNDRED).round_dp_with_strategy(
                scale,
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            );
        }
    }
    let residual = doc.tax_total - breakdown.values().map(|b| b.tax).sum::<Decimal>();
    if !residual.is_zero()
        && let Some(largest) = breakdown
            .iter_mut()
            .filter(|((cat, _), _)| *cat == "S")
            .max_by_key(|(_, b)| b.base.abs())
            .map(|(_, b)| b)
    {
        largest.tax += residual;
    }
    x.open("cac:TaxTotal");
    x.money("cbc:TaxAmount", doc.tax_total, cur);
    for ((cat, rate), b) in &breakdown {
        x.open("cac:TaxSubtotal");
        x.money("cbc:TaxableAmount", b.base, cur);
        x.money("cbc:TaxAmount", b.tax, cur);
        x.open("cac:TaxCategory");
        x.leaf("cbc:ID", cat);
        x.leaf("cbc:Percent", &rate.normalize().to_string());
        if *cat == "E" {
            x.leaf("cbc:TaxExemptionReason", EXEMPTION_REASON);
        }
        x.open("cac:TaxScheme");
        x.leaf("cbc:ID", "VAT");
        x.close("cac:TaxScheme");
        x.close("cac:TaxCategory");
        x.close("cac:TaxSubtotal");
    }
    x.close("cac:TaxTotal");

    x.open("cac:LegalMonetaryTotal");
    x.money("cbc:LineExtensionAmount", doc.subtotal, cur);
    x.money("cbc:TaxExclusiveAmount", doc.subtotal, cur);
    x.money("cbc:TaxInclusiveAmount", doc.total, cur);
    x.money("cbc:PayableAmount", doc.total, cur);
    x.close("cac:LegalMonetaryTotal");

    let (line_tag, quantity_tag) = if credit {
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
    } else {
        ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    };
    for line in &doc.lines {
        // BR-27: no negative price; the sign moves to the quantity.
        let (q, p) = if line.unit_price < Decimal::ZERO {
            (-line.quantity, -line.unit_price)
        } else {
            (line.quantity, line.unit_price)
        };
        x.open(line_tag);
        x.leaf("cbc:ID", &line.line_no.to_string());
        if let Some(child) = &line.for_child {
            x.leaf("cbc:Note", &format!("For {child}"));
        }
        x.attr_leaf(quantity_tag, ("unitCode", "C62"), &quantity(q));
        x.money("cbc:LineExtensionAmount", line.amount, cur);
        period(&mut x, period_days(&line.period));
        x.open("cac:Item");
        x.leaf("cbc:Description", &line_label(line));
        let name = ctx
            .service_name(line)
            .map(str::to_owned)
            .unwrap_or_else(|| line.description.clone());
        x.leaf("cbc:Name", &name);
        x.open("cac:ClassifiedTaxCategory");
        let (cat, rate) = category(line);
        x.leaf("cbc:ID", cat);
        x.leaf("cbc:Percent", &rate.normalize().to_string());
        x.open("cac:TaxScheme");
        x.leaf("cbc:ID", "VAT");
        x.close("cac:TaxScheme");
        x.close("cac:ClassifiedTaxCategory");
        x.close("cac:Item");
        x.open("cac:Price");
        x.attr_leaf("cbc:PriceAmount", ("currencyID", cur), &price(p, cur));
        x.close("cac:Price");
        x.close(line_tag);
    }
    let _ = writeln!(x.out, "</{root}>");
    Ok(x.out.into_bytes())
}
