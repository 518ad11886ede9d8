//! Invoices and credit notes as stored and shown: their kind, status and credit reason, and
//! the lifecycle rules of DESIGN.md ("Lifecycle", "Order of runs", billed(Q)).
//!
//! `draft` (regenerated freely) -> `posted` (immutable, numbered) -> `partially_paid` /
//! `paid` by recorded payments; a posted invoice can be voided by a credit note, and then is
//! `void`. Credit notes state as positive amounts what they take back and are of three
//! reasons: `void` (takes back a whole posted invoice), `run` (replaces an invoice whose total
//! would be negative) and `goodwill` (chosen amounts given back, never re-billed).
//!
//! The store maps its rows to [`Document`] at its boundary; every rule that reads a kind, a
//! status or a reason is a method here, so the engine, the exports and the UI agree.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::billing::{Billed, DraftDocument};
use crate::invoice::{LineKind, PricedLine, TaxLine, TaxRate, document_totals};
use crate::money::Currency;
use crate::period::{Period, PeriodError};
use crate::setup::ContractServiceId;

/// Returned when stored text is not one of the spellings of a document enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?}: expected {expected}")]
pub struct UnknownText {
    /// What was being read (`document kind`, `document status`, `credit reason`).
    pub what: &'static str,
    pub text: String,
    /// The accepted spellings, for the message.
    pub expected: &'static str,
}

/// An enum stored and sent as its snake_case spelling: `as_str`, `parse`, `Display` (which
/// honours width and alignment, for tables) and `FromStr`.
macro_rules! text_enum {
    ($name:ident, $what:literal, $($variant:ident => $text:literal),+ $(,)?) => {
        impl $name {
            /// Every value, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and API spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads the stored spelling; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownText;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::parse(text).ok_or_else(|| UnknownText {
                    what: $what,
                    text: text.to_owned(),
                    expected: concat!($($text, " "),+),
                })
            }
        }
    };
}

/// Whether a document bills or gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// What the company owes for the period (total ≥ 0).
    Invoice,
    /// What is given back, stated as positive amounts. In a run's output it is a run credit
    /// note: the period's lines would total below zero.
    CreditNote,
}

text_enum!(DocumentKind, "document kind", Invoice => "invoice", CreditNote => "credit_note");

/// Where a document is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// A preview of a run, regenerated freely; no number.
    Draft,
    /// Numbered and immutable; nothing paid yet.
    Posted,
    /// Payments or credit settle part of it.
    PartiallyPaid,
    /// Payments or credit settle all of it.
    Paid,
    /// A posted invoice a void credit note took back.
    Void,
}

text_enum!(
    DocumentStatus,
    "document status",
    Draft => "draft",
    Posted => "posted",
    PartiallyPaid => "partially_paid",
    Paid => "paid",
    Void => "void",
);

impl DocumentStatus {
    /// Posted, whatever happened since (paid, partly paid or voided): not a draft.
    pub fn is_posted(self) -> bool {
        self != DocumentStatus::Draft
    }
}

/// Why a credit note was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditReason {
    /// Takes back a whole posted invoice, which becomes `void`.
    Void,
    /// Issued by a run instead of an invoice whose total would be negative.
    Run,
    /// Chosen amounts given back; never re-billed.
    Goodwill,
}

text_enum!(CreditReason, "credit reason", Void => "void", Run => "run", Goodwill => "goodwill");

/// What a document line counts for in billed(Q), from its document's kind and reason: `+1`
/// for an invoice (voided ones too: their void credit note nets them out), `-1` for a void or
/// run credit note, `None` for a goodwill credit (never re-billed). Only lines of posted
/// documents count; see [`Document::billed_sign`].
pub fn billed_sign(kind: DocumentKind, reason: Option<CreditReason>) -> Option<Decimal> {
    match (kind, reason) {
        (DocumentKind::Invoice, _) => Some(Decimal::ONE),
        (DocumentKind::CreditNote, Some(CreditReason::Void | CreditReason::Run)) => {
            Some(Decimal::NEGATIVE_ONE)
        }
        (DocumentKind::CreditNote, Some(CreditReason::Goodwill) | None) => None,
    }
}

/// One line of a posted document as billed(Q) reads it: the line with its document's kind
/// and credit reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedLine {
    pub line: DocumentLine,
    pub kind: DocumentKind,
    pub credit_reason: Option<CreditReason>,
}

/// billed(Q) per contract service and period: the posted invoice lines less the lines of
/// credit notes that void an invoice or were issued by a run. Goodwill credits and one-off
/// lines (no contract service) do not count. `posted` must hold lines of posted documents
/// only; a line whose period does not parse is refused.
pub fn net_billed<'a>(
    posted: impl IntoIterator<Item = &'a PostedLine>,
) -> Result<Billed, PeriodError> {
    let mut billed: Billed = HashMap::new();
    for p in posted {
        let Some(cs) = p.line.contract_service_id else {
            continue;
        };
        let q = Period::parse(&p.line.period)?;
        let Some(sign) = billed_sign(p.kind, p.credit_reason) else {
            continue;
        };
        *billed.entry((cs, q)).or_default() += sign * p.line.amount;
    }
    Ok(billed)
}

/// One line of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    pub line_no: i64,
    pub company_id: i64,
    pub for_child: Option<String>,
    pub contract_service_id: Option<ContractServiceId>,
    pub service_id: Option<i64>,
    pub contract_id: Option<i64>,
    /// The period the line is for (`YYYY-MM`).
    pub period: String,
    /// Charge, adjustment or one-off.
    pub kind: LineKind,
    pub description: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub taxable: bool,
    pub tax_rates: Vec<TaxRate>,
    pub stale: bool,
}

impl DocumentLine {
    /// The line as the invoice math sees it, to total a document or restate a credit.
    pub fn priced(&self) -> PricedLine {
        PricedLine {
            kind: self.kind,
            quantity: self.quantity,
            unit_price: self.unit_price,
            amount: self.amount,
            taxable: self.taxable,
            tax_rates: self.tax_rates.clone(),
        }
    }
}

/// An invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: i64,
    /// The period of the run that made it (`YYYY-MM`).
    pub period: String,
    pub company_id: i64,
    pub kind: DocumentKind,
    /// For credit notes: void, run or goodwill; `None` on invoices.
    pub credit_reason: Option<CreditReason>,
    pub status: DocumentStatus,
    pub number: Option<String>,
    pub currency: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    #[serde(with = "rust_decimal::serde::str")]
    pub subtotal: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub tax_total: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub taxes: Vec<TaxLine>,
    pub purchase_orders: Vec<String>,
    pub voids_document_id: Option<i64>,
    pub posted_at: Option<String>,
    pub lines: Vec<DocumentLine>,
}

impl Document {
    /// A draft of a run as it is stored: an invoice, or a run credit note.
    pub fn from_draft(d: &DraftDocument) -> Document {
        let credit_reason = match d.kind {
            DocumentKind::Invoice => None,
            DocumentKind::CreditNote => Some(CreditReason::Run),
        };
        Document {
            id: 0,
            period: d.period.to_string(),
            company_id: d.company_id,
            kind: d.kind,
            credit_reason,
            status: DocumentStatus::Draft,
            number: None,
            currency: d.currency.code().into(),
            issue_date: d.issue_date,
            due_date: d.due_date,
            subtotal: d.totals.subtotal,
            tax_total: d.currency.round(d.totals.tax_total()),
            total: d.totals.total,
            taxes: d.totals.taxes.clone(),
            purchase_orders: d.purchase_orders.clone(),
            voids_document_id: None,
            posted_at: None,
            lines: d
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| DocumentLine {
                    line_no: i as i64 + 1,
                    company_id: l.company_id,
                    for_child: l.for_child.clone(),
                    contract_service_id: l.contract_service,
                    service_id: l.service_id,
                    contract_id: l.contract_id,
                    period: l.period.to_string(),
                    kind: l.kind,
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    amount: l.amount,
                    taxable: l.taxable,
                    tax_rates: l.tax_rates.clone(),
                    stale: l.stale,
                })
                .collect(),
        }
    }

    /// A credit note (not yet posted) stating `lines` as positive amounts given back, with its
    /// subtotal, taxes and total computed from them. No due date, no purchase orders.
    #[allow(clippy::too_many_arguments)]
    pub fn credit_note(
        currency: Currency,
        company_id: i64,
        period: &str,
        issue_date: Date,
        reason: CreditReason,
        voids: Option<i64>,
        lines: Vec<DocumentLine>,
    ) -> Document {
        let priced: Vec<PricedLine> = lines.iter().map(DocumentLine::priced).collect();
        let totals = document_totals(&priced, currency);
        Document {
            id: 0,
            period: period.to_owned(),
            company_id,
            kind: DocumentKind::CreditNote,
            credit_reason: Some(reason),
            status: DocumentStatus::Draft,
            number: None,
            currency: currency.code().to_owned(),
            issue_date,
            due_date: None,
            subtotal: totals.subtotal,
            tax_total: totals.tax_total(),
            total: totals.total,
            taxes: totals.taxes,
            purchase_orders: Vec::new(),
            voids_document_id: voids,
            posted_at: None,
            lines,
        }
    }

    /// The void credit note taking back this whole invoice, issued on `issue_date`; `None`
    /// unless [`can_void`](Self::can_void). A credit note states as positive amounts what it
    /// takes back: each of its lines is the negation of the invoice-style line "minus the
    /// invoiced line", i.e. the invoiced line itself, so its totals equal the invoice's.
    pub fn void_note(&self, currency: Currency, issue_date: Date) -> Option<Document> {
        self.can_void().then(|| {
            Document::credit_note(
                currency,
                self.company_id,
                &self.period,
                issue_date,
                CreditReason::Void,
                Some(self.id),
                self.lines.clone(),
            )
        })
    }

    pub fn is_invoice(&self) -> bool {
        self.kind == DocumentKind::Invoice
    }

    pub fn is_credit_note(&self) -> bool {
        self.kind == DocumentKind::CreditNote
    }

    pub fn is_draft(&self) -> bool {
        self.status == DocumentStatus::Draft
    }

    /// Only a draft is posted (numbered, made immutable).
    pub fn can_post(&self) -> bool {
        self.is_draft()
    }

    /// A posted invoice that is not void yet (paid or not). A void cannot be voided.
    pub fn can_void(&self) -> bool {
        self.is_invoice() && !matches!(self.status, DocumentStatus::Draft | DocumentStatus::Void)
    }

    /// Payments are recorded against posted invoices, voided ones included (all of such a
    /// payment becomes credit balance).
    pub fn can_receive_payment(&self) -> bool {
        self.is_invoice() && self.status.is_posted()
    }

    /// Credit balance is applied to posted invoices that are not void.
    pub fn can_apply_credit(&self) -> bool {
        self.can_void()
    }

    /// A posted or voided invoice, or a run credit note, closes its company's period: a run
    /// of the period again makes no draft for the company. A goodwill credit never does.
    pub fn closes_company_period(&self) -> bool {
        self.status.is_posted()
            && (self.is_invoice() || self.credit_reason == Some(CreditReason::Run))
    }

    /// What this document's lines count for in billed(Q) (see [`billed_sign`]); `None` for
    /// drafts and goodwill credits.
    pub fn billed_sign(&self) -> Option<Decimal> {
        if self.is_draft() {
            return None;
        }
        billed_sign(self.kind, self.credit_reason)
    }

    /// A posted run or goodwill credit note: its total is the company's credit balance.
    pub fn is_credit_balance(&self) -> bool {
        self.is_credit_note()
            && self.status.is_posted()
            && matches!(
                self.credit_reason,
                Some(CreditReason::Run | CreditReason::Goodwill)
            )
    }

    /// A posted invoice not fully paid by its status: what the aging report lists (with an
    /// open amount above zero).
    pub fn is_open_receivable(&self) -> bool {
        self.is_invoice()
            && matches!(
                self.status,
                DocumentStatus::Posted | DocumentStatus::PartiallyPaid
            )
    }

    /// What is still owed: the total less the payments applied to it and the credit applied.
    pub fn open_amount(&self, paid: Decimal, credited: Decimal) -> Decimal {
        self.total - paid - credited
    }

    /// The status a posted invoice takes once `open` of its total is still owed.
    pub fn paid_status(&self, open: Decimal) -> DocumentStatus {
        crate::ledger::paid_status(open, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn line(cs: Option<i64>, period: &str, kind: LineKind, amount: &str) -> DocumentLine {
        DocumentLine {
            line_no: 1,
            company_id: 1,
            for_child: None,
            contract_service_id: cs,
            service_id: None,
            contract_id: None,
            period: period.into(),
            kind,
            description: "Managed desktop".into(),
            quantity: Decimal::ONE,
            unit_price: dec(amount),
            amount: dec(amount),
            taxable: true,
            tax_rates: vec![TaxRate {
                name: "NY State".into(),
                percent: dec("4"),
            }],
            stale: false,
        }
    }

    fn doc(kind: DocumentKind, reason: Option<CreditReason>, status: DocumentStatus) -> Document {
        Document {
            id: 7,
            period: "2026-03".into(),
            company_id: 1,
            kind,
            credit_reason: reason,
            status,
            number: None,
            currency: "USD".into(),
            issue_date: date(2026, 4, 1),
            due_date: Some(date(2026, 5, 1)),
            subtotal: dec("100.00"),
            tax_total: dec("4.00"),
            total: dec("104.00"),
            taxes: Vec::new(),
            purchase_orders: Vec::new(),
            voids_document_id: None,
            posted_at: None,
            lines: vec![line(Some(3), "2026-03", LineKind::Charge, "100.00")],
        }
    }

    fn invoice(status: DocumentStatus) -> Document {
        doc(DocumentKind::Invoice, None, status)
    }

    fn note(reason: CreditReason) -> Document {
        doc(
            DocumentKind::CreditNote,
            Some(reason),
            DocumentStatus::Posted,
        )
    }

    use DocumentStatus::{Draft, Paid, PartiallyPaid, Posted, Void};

    #[test]
    fn spellings_round_trip_and_match_serde() {
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(*kind));
            assert_eq!(
                serde_json::to_string(kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        for status in DocumentStatus::ALL {
            assert_eq!(status.as_str().parse::<DocumentStatus>(), Ok(*status));
            assert_eq!(
                serde_json::to_string(status).unwrap(),
                format!("\"{status}\"")
            );
        }
        for reason in CreditReason::ALL {
            assert_eq!(CreditReason::parse(reason.as_str()), Some(*reason));
            assert_eq!(
                serde_json::to_string(reason).unwrap(),
                format!("\"{reason}\"")
            );
        }
        assert_eq!(DocumentStatus::PartiallyPaid.as_str(), "partially_paid");
        assert_eq!(DocumentKind::CreditNote.as_str(), "credit_note");
        assert_eq!(DocumentStatus::parse("Posted"), None);
        let err = "refund".parse::<CreditReason>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown credit reason \"refund\": expected void run goodwill "
        );
        // Tables pad the spelling.
        assert_eq!(format!("[{:<8}]", DocumentStatus::Paid), "[paid    ]");
    }

    #[test]
    fn a_document_serializes_with_the_stored_spellings() {
        let d = doc(
            DocumentKind::CreditNote,
            Some(CreditReason::Goodwill),
            PartiallyPaid,
        );
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["kind"], "credit_note");
        assert_eq!(v["credit_reason"], "goodwill");
        assert_eq!(v["status"], "partially_paid");
        assert_eq!(v["total"], "104.00");
        assert_eq!(v["lines"][0]["kind"], "charge");
        assert_eq!(v["lines"][0]["amount"], "100.00");
        let back: Document = serde_json::from_value(v).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn only_drafts_are_posted() {
        assert!(invoice(Draft).can_post());
        assert!(doc(DocumentKind::CreditNote, Some(CreditReason::Run), Draft).can_post());
        for s in [Posted, PartiallyPaid, Paid, Void] {
            assert!(!invoice(s).can_post(), "{s}");
        }
    }

    #[test]
    fn posted_invoices_are_voided_once_and_credit_notes_never() {
        for s in [Posted, PartiallyPaid, Paid] {
            assert!(invoice(s).can_void(), "{s}");
            assert!(invoice(s).can_apply_credit(), "{s}");
        }
        assert!(!invoice(Draft).can_void());
        assert!(!invoice(Void).can_void());
        assert!(!invoice(Void).can_apply_credit());
        for r in CreditReason::ALL {
            assert!(!note(*r).can_void());
            assert!(!note(*r).can_apply_credit());
        }
    }

    #[test]
    fn payments_go_to_posted_invoices_voided_ones_included() {
        for s in [Posted, PartiallyPaid, Paid, Void] {
            assert!(invoice(s).can_receive_payment(), "{s}");
        }
        assert!(!invoice(Draft).can_receive_payment());
        for r in CreditReason::ALL {
            assert!(!note(*r).can_receive_payment());
        }
    }

    #[test]
    fn goodwill_never_closes_a_company_period() {
        for s in [Posted, PartiallyPaid, Paid, Void] {
            assert!(invoice(s).closes_company_period(), "{s}");
        }
        assert!(!invoice(Draft).closes_company_period());
        assert!(note(CreditReason::Run).closes_company_period());
        assert!(!note(CreditReason::Void).closes_company_period());
        assert!(!note(CreditReason::Goodwill).closes_company_period());
        assert!(
            !doc(DocumentKind::CreditNote, Some(CreditReason::Run), Draft).closes_company_period()
        );
    }

    #[test]
    fn billed_counts_invoices_less_void_and_run_credits() {
        assert_eq!(invoice(Posted).billed_sign(), Some(Decimal::ONE));
        assert_eq!(invoice(Void).billed_sign(), Some(Decimal::ONE));
        assert_eq!(invoice(Draft).billed_sign(), None);
        assert_eq!(
            note(CreditReason::Void).billed_sign(),
            Some(Decimal::NEGATIVE_ONE)
        );
        assert_eq!(
            note(CreditReason::Run).billed_sign(),
            Some(Decimal::NEGATIVE_ONE)
        );
        assert_eq!(note(CreditReason::Goodwill).billed_sign(), None);
        assert_eq!(billed_sign(DocumentKind::CreditNote, None), None);
    }

    #[test]
    fn net_billed_nets_a_voided_invoice_to_zero_and_ignores_goodwill() {
        let posted = |kind, reason, l: DocumentLine| PostedLine {
            line: l,
            kind,
            credit_reason: reason,
        };
        let mar = Period::parse("2026-03").unwrap();
        let feb = Period::parse("2026-02").unwrap();
        let lines = [
            posted(
                DocumentKind::Invoice,
                None,
                line(Some(3), "2026-03", LineKind::Charge, "100.00"),
            ),
            posted(
                DocumentKind::Invoice,
                None,
                line(Some(3), "2026-02", LineKind::Adjustment, "-20.00"),
            ),
            // The void of the March invoice takes its charge back.
            posted(
                DocumentKind::CreditNote,
                Some(CreditReason::Void),
                line(Some(3), "2026-03", LineKind::Charge, "100.00"),
            ),
            posted(
                DocumentKind::CreditNote,
                Some(CreditReason::Run),
                line(Some(4), "2026-03", LineKind::Adjustment, "15.00"),
            ),
            posted(
                DocumentKind::CreditNote,
                Some(CreditReason::Goodwill),
                line(Some(4), "2026-03", LineKind::OneOff, "50.00"),
            ),
            posted(
                DocumentKind::Invoice,
                None,
                line(None, "2026-03", LineKind::OneOff, "9.00"),
            ),
        ];
        let billed = net_billed(&lines).unwrap();
        assert_eq!(billed.get(&(3, mar)), Some(&dec("0.00")));
        assert_eq!(billed.get(&(3, feb)), Some(&dec("-20.00")));
        assert_eq!(billed.get(&(4, mar)), Some(&dec("-15.00")));
        assert_eq!(billed.len(), 3);

        let bad = [posted(
            DocumentKind::Invoice,
            None,
            line(Some(3), "March", LineKind::Charge, "1"),
        )];
        assert!(net_billed(&bad).is_err());
    }

    #[test]
    fn open_receivables_are_posted_invoices_not_yet_paid() {
        assert!(invoice(Posted).is_open_receivable());
        assert!(invoice(PartiallyPaid).is_open_receivable());
        for s in [Draft, Paid, Void] {
            assert!(!invoice(s).is_open_receivable(), "{s}");
        }
        assert!(!note(CreditReason::Run).is_open_receivable());
    }

    #[test]
    fn open_amount_and_paid_status_follow_payments_and_credit() {
        let d = invoice(Posted);
        assert_eq!(d.open_amount(dec("0"), dec("0")), dec("104.00"));
        assert_eq!(d.open_amount(dec("50"), dec("4")), dec("50.00"));
        assert_eq!(d.paid_status(dec("104.00")), Posted);
        assert_eq!(d.paid_status(dec("50.00")), PartiallyPaid);
        assert_eq!(d.paid_status(dec("0")), Paid);
        assert_eq!(d.paid_status(dec("-3")), Paid);
    }

    #[test]
    fn run_and_goodwill_notes_count_for_the_credit_balance() {
        assert!(note(CreditReason::Run).is_credit_balance());
        assert!(note(CreditReason::Goodwill).is_credit_balance());
        assert!(!note(CreditReason::Void).is_credit_balance());
        assert!(!doc(DocumentKind::CreditNote, Some(CreditReason::Run), Draft).is_credit_balance());
        assert!(!invoice(Posted).is_credit_balance());
    }

    #[test]
    fn a_void_note_takes_back_the_whole_invoice() {
        let usd = Currency::parse("USD").unwrap();
        let mut inv = invoice(Paid);
        inv.lines
            .push(line(Some(3), "2026-02", LineKind::Adjustment, "-20.00"));
        let void = inv.void_note(usd, date(2026, 4, 9)).unwrap();
        assert_eq!(void.kind, DocumentKind::CreditNote);
        assert_eq!(void.credit_reason, Some(CreditReason::Void));
        assert_eq!(void.status, Draft);
        assert_eq!(void.voids_document_id, Some(7));
        assert_eq!(void.issue_date, date(2026, 4, 9));
        assert_eq!(void.due_date, None);
        assert_eq!(void.period, "2026-03");
        assert_eq!(void.lines, inv.lines);
        assert_eq!(void.subtotal, dec("80.00"));
        assert_eq!(void.tax_total, dec("3.20"));
        assert_eq!(void.total, dec("83.20"));
        assert_eq!(void.currency, "USD");
        assert!(invoice(Void).void_note(usd, date(2026, 4, 9)).is_none());
        assert!(invoice(Draft).void_note(usd, date(2026, 4, 9)).is_none());
        assert!(
            note(CreditReason::Run)
                .void_note(usd, date(2026, 4, 9))
                .is_none()
        );
    }

    #[test]
    fn a_goodwill_note_totals_its_lines() {
        let jpy = Currency::parse("JPY").unwrap();
        let note = Document::credit_note(
            jpy,
            5,
            "2026-04",
            date(2026, 4, 15),
            CreditReason::Goodwill,
            None,
            vec![line(None, "2026-04", LineKind::OneOff, "1000")],
        );
        assert_eq!(note.credit_reason, Some(CreditReason::Goodwill));
        assert_eq!(note.company_id, 5);
        assert_eq!(note.subtotal, dec("1000"));
        assert_eq!(note.tax_total, dec("40"));
        assert_eq!(note.total, dec("1040"));
        assert!(note.purchase_orders.is_empty());
        assert!(!note.closes_company_period());
    }
}
