//! The invoice run that closes one period, computed from plain inputs (no I/O).
//!
//! The engine gathers what the run needs — the setup, the unit history, what was billed,
//! the one-offs — and this module turns it into draft documents, following DESIGN.md
//! ("Invoicing") to the minor unit:
//! - each contract service charges the period its contract's timing charges (`arrears`: the
//!   closed period P by its rule; `advance`: P+1 at V(P+1) × a / D);
//! - it settles each of the N periods before that one with an adjustment
//!   `due(Q) − billed(Q)`, due(Q) being the rule amount from the data known now;
//! - nothing is charged or adjusted before the tenant's billing start;
//! - each invoice company gets one document consolidating its contracts, its bill-to
//!   children's lines and its one-offs; a document whose total would be negative becomes a
//!   run credit note.
//!
//! The pieces are exposed on their own ([`charge_line`], [`due_amount`], [`service_lines`])
//! so a preview can explain a single line without running the whole tenant.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::invoice::{LineKind, PricedLine, TaxRate, Totals};
use crate::money::Currency;
use crate::period::Period;
use crate::setup::{BillingSetup, CompanyId, ContractId, ContractServiceId};

mod documents;
mod service;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use crate::document::DocumentKind;
pub use documents::run_documents;
pub use service::{charge_line, due_amount, service_lines};

/// What the run knows about units, read from the unit history as it stands now: a late
/// snapshot or a fixed mapping changes these, and the adjustments follow.
///
/// The engine fills it for every period the run charges or settles: P (arrears) or P+1
/// (advance), and the N periods before that one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitData {
    /// U(cs, d) for each day of a period (one value per day; a missing entry reads as all
    /// zeros). Days outside the contract are read as 0 whatever the values say.
    pub daily: HashMap<(ContractServiceId, Period), Vec<Decimal>>,
    /// The (cs, period) pairs with days resting on carried-forward (stale) data: the preview
    /// marks the lines computed from them.
    pub stale: HashSet<(ContractServiceId, Period)>,
    /// V(Q) of advance contracts: the count an advance period is billed at (the engine takes
    /// it from the mappings on Q's first day inside the contract and the quantities of the
    /// day before; for a fixed service, its fixed units for Q). A missing entry reads as 0.
    pub advance_counts: HashMap<(ContractServiceId, Period), Decimal>,
}

/// billed(Q) per (contract service, period): the posted invoice line amounts for it, less
/// the lines of credit notes that void an invoice or were issued by a run (the engine makes
/// the sum; goodwill credits are left out so they are never re-billed). Missing reads as 0.
pub type Billed = HashMap<(ContractServiceId, Period), Decimal>;

/// A one-off charge or credit added to a company for the closed period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneOff {
    /// The company it is for (its bill-to parent's invoice carries it).
    pub company_id: CompanyId,
    /// Printed on the line.
    pub description: String,
    /// Rounded to 4 decimals when priced, like every quantity.
    pub quantity: Decimal,
    /// In the company's currency; negative for a credit.
    pub unit_price: Decimal,
    /// Taxed at the rates of the company it is for.
    pub taxable: bool,
}

/// Everything one invoice run reads, as plain data.
#[derive(Debug, Clone, Copy)]
pub struct RunInput<'a> {
    /// Companies, contracts and contract services with their terms.
    pub setup: &'a BillingSetup,
    /// The period the run closes (P).
    pub closing: Period,
    /// The tenant's billing start B: nothing is charged or adjusted for periods before B
    /// (arrears) or before B+1 (advance), as that history was billed elsewhere.
    pub billing_start: Period,
    /// N: how many periods before the charged one are settled (tenant setting, default 3).
    pub lookback: u32,
    /// The unit history as known now.
    pub units: &'a UnitData,
    /// What was billed per (cs, period).
    pub billed: &'a Billed,
    /// One-offs added for P.
    pub one_offs: &'a [OneOff],
    /// Invoice companies (bill-to targets) that already have a posted or voided document
    /// for P: a re-run must not bill them twice, so they produce nothing.
    pub skip_companies: &'a HashSet<CompanyId>,
}

/// A line of a draft document, with what the preview needs to explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftLine {
    /// The company the line is for (a child's lines carry the child): its rates tax it.
    pub company_id: CompanyId,
    /// Set when the line is a bill-to child's: its name, printed on the parent's invoice.
    pub for_child: Option<String>,
    /// The contract service charged or settled; `None` for a one-off.
    pub contract_service: Option<ContractServiceId>,
    /// The catalog service, for exports mapping it to an accounting item.
    pub service_id: Option<i64>,
    /// The contract, whose purchase order the document prints.
    pub contract_id: Option<ContractId>,
    /// The period the line is for (the charged period, the settled one, or P for a one-off).
    pub period: Period,
    /// Charge, adjustment or one-off.
    pub kind: LineKind,
    /// What the line says.
    pub description: String,
    /// At most 4 decimals.
    pub quantity: Decimal,
    /// In the document's currency.
    pub unit_price: Decimal,
    /// `currency.round(quantity × unit_price)`.
    pub amount: Decimal,
    /// Whether the line is taxed.
    pub taxable: bool,
    /// The rates of the company the line is for; empty when it is exempt or the line is
    /// not taxable.
    pub tax_rates: Vec<TaxRate>,
    /// The line rests on carried-forward (stale) days: the preview flags it.
    pub stale: bool,
}

impl DraftLine {
    /// The line as the invoice math sees it, to total a document or credit it.
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

    /// The same line with the figures of `priced` (e.g. its credit-note form).
    fn with_priced(&self, priced: PricedLine) -> DraftLine {
        DraftLine {
            kind: priced.kind,
            quantity: priced.quantity,
            unit_price: priced.unit_price,
            amount: priced.amount,
            taxable: priced.taxable,
            tax_rates: priced.tax_rates,
            ..self.clone()
        }
    }
}

/// One document of the run, for one invoice company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftDocument {
    /// The invoice company (a bill-to parent for its children's lines).
    pub company_id: CompanyId,
    /// Invoice or run credit note.
    pub kind: DocumentKind,
    /// The invoice company's currency, which every line on it is in.
    pub currency: Currency,
    /// The closed period P.
    pub period: Period,
    /// The first day after P.
    pub issue_date: Date,
    /// Issue date + the invoice company's payment terms; `None` for a credit note.
    pub due_date: Option<Date>,
    /// The distinct purchase orders of the contracts with lines on it, in contract order.
    pub purchase_orders: Vec<String>,
    /// Ordered by child, contract, contract service, period and kind, one-offs last; in
    /// credit-note form (see [`crate::invoice::credit_note_line`]) on a credit note.
    pub lines: Vec<DraftLine>,
    /// Subtotal, taxes and total of `lines`.
    pub totals: Totals,
}

/// What a run produced: the documents, and what it could not bill and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunOutput {
    /// By invoice company id.
    pub documents: Vec<DraftDocument>,
    /// Each problem once, in the order met; the lines concerned are left out so the rest
    /// of the run can still be reviewed.
    pub problems: Vec<RunProblem>,
}

/// Why something was left out of a run. The setup screens refuse these situations; a run
/// meeting one reports it instead of guessing an amount.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum RunProblem {
    /// A contract service points at a contract the setup does not hold.
    #[error(
        "contract service {contract_service} belongs to unknown contract {contract}: not billed"
    )]
    UnknownContract {
        contract_service: ContractServiceId,
        contract: ContractId,
    },
    /// A contract, a one-off or a bill-to link points at a company the setup does not hold.
    #[error("company {company} is unknown: its lines are not billed")]
    UnknownCompany { company: CompanyId },
    /// Lines in one currency cannot go on a document in another.
    #[error(
        "company {company}{}: lines in {currency} cannot go on the {invoice_currency} invoice of \
         company {invoice_company}: not billed",
        .contract.map(|c| format!(" (contract {c})")).unwrap_or_default()
    )]
    CurrencyMismatch {
        /// The company the lines are for.
        company: CompanyId,
        /// The contract whose lines were left out; `None` for one-offs.
        contract: Option<ContractId>,
        currency: Currency,
        invoice_company: CompanyId,
        invoice_currency: Currency,
    },
    /// `peak` with `advance` has no defined amount (DESIGN.md forbids it).
    #[error(
        "contract service {contract_service} uses the peak rule for {period} on an advance \
         contract, which is not allowed: not billed"
    )]
    PeakInAdvance {
        contract_service: ContractServiceId,
        period: Period,
    },
    /// The unit history of a period does not have one value per day.
    #[error(
        "contract service {contract_service}: {days} daily units given for {period}, which has \
         {expected} days: not billed"
    )]
    UnitDays {
        contract_service: ContractServiceId,
        period: Period,
        days: usize,
        expected: i64,
    },
    /// The payment terms put the due date outside the calendar.
    #[error("company {company}: payment terms of {payment_terms_days} days give no valid due date")]
    DueDate {
        company: CompanyId,
        payment_terms_days: i64,
    },
}
