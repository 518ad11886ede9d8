//! One contract service in a run: its charge, what is due for an earlier period, and the
//! adjustments settling the difference with what was billed.

use std::borrow::Cow;

use rust_decimal::Decimal;

use super::{DraftLine, RunInput, RunProblem, UnitData};
use crate::invoice::{LineInput, LineKind, PricedLine, TaxRate, adjustment_line, price_line};
use crate::money::{Currency, line_amount, round_quantity};
use crate::period::Period;
use crate::rules::{
    ChangeRule, ContractDays, Timing, advance_due_quantity, advance_quantity, check_rule_timing,
    rule_quantity,
};
use crate::setup::{BillingSetup, Company, CompanyId, Contract, ContractService};

/// The company a line is for and the company whose document carries it (its bill-to
/// parent, or itself).
pub(super) fn invoice_parties(
    setup: &BillingSetup,
    company_id: CompanyId,
) -> Result<(&Company, &Company), RunProblem> {
    let unknown = |company| RunProblem::UnknownCompany { company };
    let company = setup
        .companies
        .get(&company_id)
        .ok_or(unknown(company_id))?;
    // One level deep (DESIGN.md): a parent's own bill-to is not followed.
    let invoice = match company.bill_to {
        Some(parent) if parent != company.id => {
            setup.companies.get(&parent).ok_or(unknown(parent))?
        }
        _ => company,
    };
    Ok((company, invoice))
}

/// The name a bill-to child's lines carry on its parent's invoice.
pub(super) fn child_name(company: &Company, invoice: &Company) -> Option<String> {
    (company.id != invoice.id).then(|| company.name.clone())
}

/// The rates a line is taxed at: those of the company it is for, when it is taxable.
pub(super) fn line_rates(company: &Company, taxable: bool) -> Vec<TaxRate> {
    if taxable {
        company.tax_rates.clone()
    } else {
        Vec::new()
    }
}

/// Who a contract service's lines are for.
pub(super) struct Parties<'a> {
    pub contract: &'a Contract,
    pub company: &'a Company,
    pub invoice: &'a Company,
}

impl<'a> Parties<'a> {
    pub(super) fn resolve(
        setup: &'a BillingSetup,
        cs: &ContractService,
    ) -> Result<Parties<'a>, RunProblem> {
        let contract = setup
            .contracts
            .get(&cs.contract_id)
            .ok_or(RunProblem::UnknownContract {
                contract_service: cs.id,
                contract: cs.contract_id,
            })?;
        let (company, invoice) = invoice_parties(setup, contract.company_id)?;
        Ok(Parties {
            contract,
            company,
            invoice,
        })
    }
}

/// The days a contract service bills: its contract's, from the day it was added on (no
/// units before it, and an advance period it joins after the first day is not charged).
fn service_days(contract: &Contract, cs: &ContractService) -> ContractDays {
    ContractDays {
        start: contract.days.start.max(cs.active_from),
        end: contract.days.end,
    }
}

/// The daily units of (cs, period), zeros when the history has none.
fn daily<'u>(units: &'u UnitData, cs: &ContractService, period: Period) -> Cow<'u, [Decimal]> {
    match units.daily.get(&(cs.id, period)) {
        Some(days) => Cow::Borrowed(days.as_slice()),
        None => Cow::Owned(vec![Decimal::ZERO; period.days() as usize]),
    }
}

/// V(Q), 0 when the engine has none.
fn advance_count(units: &UnitData, cs: &ContractService, period: Period) -> Decimal {
    units
        .advance_counts
        .get(&(cs.id, period))
        .copied()
        .unwrap_or(Decimal::ZERO)
}

/// due(Q) on known days: the amount of a line priced at the terms in force for Q.
fn due_on(
    units: &UnitData,
    cs: &ContractService,
    timing: Timing,
    days: &ContractDays,
    currency: Currency,
    period: Period,
) -> Decimal {
    let Some(terms) = cs.terms_for(period) else {
        return currency.round(Decimal::ZERO);
    };
    let quantity = match (timing, terms.rule) {
        // A new count applies from the next period: no proration of changes.
        (Timing::Advance, ChangeRule::EndOfPeriod) => {
            advance_due_quantity(advance_count(units, cs, period), period, days)
        }
        _ => rule_quantity(terms.rule, period, days, &daily(units, cs, period)),
    };
    line_amount(round_quantity(quantity), terms.unit_price, currency)
}

/// due(Q): what a contract service owes for `period` from the data known now — the rule
/// amount at the terms in force for `period` (0 without terms), or for `advance` +
/// `end_of_period` p × V(Q) × a(Q) / D — rounded like a line, in its contract's currency.
///
/// An adjustment is this minus what was billed; a contract service of an unknown contract
/// owes nothing. The rule is not checked against the timing here (`peak` with `advance`
/// gives its `peak` amount); [`service_lines`] refuses that combination.
///
/// # Panics
/// When the units of `period` do not have one value per day (a caller bug, which
/// [`service_lines`] reports instead).
pub fn due_amount(
    setup: &BillingSetup,
    cs: &ContractService,
    period: Period,
    units: &UnitData,
) -> Decimal {
    match setup.contracts.get(&cs.contract_id) {
        Some(contract) => due_on(
            units,
            cs,
            contract.timing,
            &service_days(contract, cs),
            contract.currency,
            period,
        ),
        None => Decimal::ZERO,
    }
}

/// A contract service ready to bill in one run: parties resolved, periods worked out, and
/// its data checked so the amounts cannot fail.
pub(super) struct Service<'a> {
    input: RunInput<'a>,
    cs: &'a ContractService,
    parties: Parties<'a>,
    days: ContractDays,
    /// The period it charges, when not before the billing start.
    charged: Option<Period>,
    /// The periods it settles, oldest first.
    lookback: Vec<Period>,
}

impl<'a> Service<'a> {
    pub(super) fn new(
        input: RunInput<'a>,
        cs: &'a ContractService,
        parties: Parties<'a>,
    ) -> Result<Service<'a>, RunProblem> {
        let contract = parties.contract;
        if contract.currency != parties.invoice.currency {
            return Err(RunProblem::CurrencyMismatch {
                company: parties.company.id,
                contract: Some(contract.id),
                currency: contract.currency,
                invoice_company: parties.invoice.id,
                invoice_currency: parties.invoice.currency,
            });
        }
        let timing = contract.timing;
        let bound = match timing {
            Timing::Arrears => input.billing_start,
            Timing::Advance => input.billing_start.next(),
        };
        let charged_period = timing.charged_period(input.closing);
        let charged = (charged_period >= bound).then_some(charged_period);
        let mut lookback: Vec<Period> = (1..=input.lookback)
            .map_while(|back| {
                let back = i32::try_from(back).ok()?;
                charged_period
                    .checked_add_months(-back)
                    .filter(|q| *q >= bound)
            })
            .collect();
        lookback.reverse();

        for &period in charged.iter().chain(&lookback) {
            if let Some(terms) = cs.terms_for(period)
                && check_rule_timing(terms.rule, timing).is_err()
            {
                return Err(RunProblem::PeakInAdvance {
                    contract_service: cs.id,
                    period,
                });
            }
            if let Some(days) = input.units.daily.get(&(cs.id, period))
                && days.len() as i64 != period.days()
            {
                return Err(RunProblem::UnitDays {
                    contract_service: cs.id,
                    period,
                    days: days.len(),
                    expected: period.days(),
                });
            }
        }
        Ok(Service {
            input,
            cs,
            days: service_days(contract, cs),
            parties,
            charged,
            lookback,
        })
    }

    /// The invoice company whose document carries the lines.
    pub(super) fn invoice_company(&self) -> CompanyId {
        self.parties.invoice.id
    }

    fn timing(&self) -> Timing {
        self.parties.contract.timing
    }

    fn currency(&self) -> Currency {
        self.parties.contract.currency
    }

    fn is_stale(&self, period: Option<Period>) -> bool {
        period.is_some_and(|period| self.input.units.stale.contains(&(self.cs.id, period)))
    }

    /// The charge of the run, `None` when nothing is charged or its amount is zero.
    pub(super) fn charge(&self) -> Option<DraftLine> {
        let period = self.charged?;
        let terms = self.cs.terms_for(period)?;
        let units = self.input.units;
        let (quantity, stale) = match self.timing() {
            Timing::Arrears => (
                rule_quantity(
                    terms.rule,
                    period,
                    &self.days,
                    &daily(units, self.cs, period),
                ),
                self.is_stale(Some(period)),
            ),
            // V is read from the day before the period: its data may be P's.
            Timing::Advance => (
                advance_quantity(advance_count(units, self.cs, period), period, &self.days),
                self.is_stale(Some(period)) || self.is_stale(period.checked_prev()),
            ),
        };
        let priced = price_line(
            &LineInput {
                kind: LineKind::Charge,
                quantity,
                unit_price: terms.unit_price,
                taxable: self.cs.taxable,
                tax_rates: line_rates(self.parties.company, self.cs.taxable),
            },
            self.currency(),
        );
        self.line(period, self.cs.description.clone(), priced, stale)
    }

    /// The adjustments settling the lookback periods, oldest first, non-zero only.
    pub(super) fn adjustments(&self) -> impl Iterator<Item = DraftLine> + '_ {
        self.lookback.iter().filter_map(move |&period| {
            let due = due_on(
                self.input.units,
                self.cs,
                self.timing(),
                &self.days,
                self.currency(),
                period,
            );
            let billed = self
                .input
                .billed
                .get(&(self.cs.id, period))
                .copied()
                .unwrap_or(Decimal::ZERO);
            let priced = adjustment_line(
                due - billed,
                self.cs.taxable,
                line_rates(self.parties.company, self.cs.taxable),
                self.currency(),
            );
            let reads_previous = self.timing() == Timing::Advance
                && self
                    .cs
                    .terms_for(period)
                    .is_some_and(|t| t.rule == ChangeRule::EndOfPeriod);
            let stale = self.is_stale(Some(period))
                || (reads_previous && self.is_stale(period.checked_prev()));
            let description = format!("Adjustment {period}: {}", self.cs.description);
            self.line(period, description, priced, stale)
        })
    }

    /// The charge and adjustments of the run.
    pub(super) fn lines(&self) -> Vec<DraftLine> {
        let mut lines: Vec<DraftLine> = self.adjustments().collect();
        lines.extend(self.charge());
        lines
    }

    /// A draft line for this contract service, or `None` when its amount is zero.
    fn line(
        &self,
        period: Period,
        description: String,
        priced: PricedLine,
        stale: bool,
    ) -> Option<DraftLine> {
        (!priced.amount.is_zero()).then(|| DraftLine {
            company_id: self.parties.company.id,
            for_child: child_name(self.parties.company, self.parties.invoice),
            contract_service: Some(self.cs.id),
            service_id: Some(self.cs.service_id),
            contract_id: Some(self.parties.contract.id),
            period,
            kind: priced.kind,
            description,
            quantity: priced.quantity,
            unit_price: priced.unit_price,
            amount: priced.amount,
            taxable: priced.taxable,
            tax_rates: priced.tax_rates,
            stale,
        })
    }
}

/// The charge a contract service makes in the run: `arrears` charges P by its rule,
/// `advance` charges P+1 at V(P+1) × a / D when the contract is active on P+1's first
/// day. `Ok(None)` when nothing is charged: before the billing start, without terms for
/// the period, or for a zero amount.
///
/// Ignores `skip_companies` (the run applies it), so a preview can show any company.
pub fn charge_line(
    input: &RunInput<'_>,
    cs: &ContractService,
) -> Result<Option<DraftLine>, RunProblem> {
    let parties = Parties::resolve(input.setup, cs)?;
    Ok(Service::new(*input, cs, parties)?.charge())
}

/// Every line a contract service puts on its invoice in the run: the adjustments of its
/// lookback periods (oldest first), then its charge. An error says why none can be billed
/// (unknown contract or company, currency of the contract not the invoice company's,
/// `peak` with `advance`, malformed unit history).
///
/// Ignores `skip_companies` (the run applies it), so a preview can show any company.
pub fn service_lines(
    input: &RunInput<'_>,
    cs: &ContractService,
) -> Result<Vec<DraftLine>, RunProblem> {
    let parties = Parties::resolve(input.setup, cs)?;
    Ok(Service::new(*input, cs, parties)?.lines())
}
