//! Golden runs with hand-computed figures: every line and every total is asserted exactly.
//!
//! The helpers here build a tenant's data; [`timing`] holds the runs about which periods
//! are charged and settled, [`documents`] those about what goes on which document.

use std::collections::HashSet;

use jiff::civil::{Date, date};
use rust_decimal::Decimal;

use super::*;
use crate::invoice::{LineKind, TaxRate, Totals};
use crate::money::Currency;
use crate::period::Period;
use crate::rules::{ChangeRule, ContractDays, Timing};
use crate::setup::{
    BillingSetup, Company, CompanyStatus, Contract, ContractService, ServiceTerms, Timeline,
};

pub(super) fn p(s: &str) -> Period {
    Period::parse(s).unwrap()
}

pub(super) fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn rate(name: &str, percent: &str) -> TaxRate {
    TaxRate {
        name: name.into(),
        percent: d(percent),
    }
}

pub(super) fn terms(price: Decimal, rule: ChangeRule) -> ServiceTerms {
    ServiceTerms {
        unit_price: price,
        unit_cost: Decimal::ZERO,
        rule,
        fixed_units: Decimal::ZERO,
    }
}

/// A tenant's data for a run, built up by each test.
#[derive(Debug, Clone)]
pub(super) struct World {
    pub setup: BillingSetup,
    pub units: UnitData,
    pub billed: Billed,
    pub one_offs: Vec<OneOff>,
    pub skip: HashSet<CompanyId>,
    pub billing_start: Period,
    pub lookback: u32,
}

impl World {
    pub fn new(billing_start: &str) -> World {
        World {
            setup: BillingSetup::default(),
            units: UnitData::default(),
            billed: Billed::new(),
            one_offs: Vec::new(),
            skip: HashSet::new(),
            billing_start: p(billing_start),
            lookback: 3,
        }
    }

    pub fn company(
        &mut self,
        id: CompanyId,
        name: &str,
        currency: Currency,
        rates: &[(&str, &str)],
        payment_terms_days: i64,
    ) -> &mut Company {
        self.setup.companies.insert(
            id,
            Company {
                id,
                name: name.into(),
                status: CompanyStatus::Active,
                currency,
                tax_rates: rates.iter().map(|(n, r)| rate(n, r)).collect(),
                payment_terms_days,
                bill_to: None,
            },
        );
        self.setup.companies.get_mut(&id).unwrap()
    }

    /// A contract in its company's currency.
    pub fn contract(
        &mut self,
        id: ContractId,
        company: CompanyId,
        timing: Timing,
        start: Date,
        end: Option<Date>,
    ) -> &mut Contract {
        let currency = self.setup.companies[&company].currency;
        self.setup.contracts.insert(
            id,
            Contract {
                id,
                company_id: company,
                name: format!("Contract {id}"),
                days: ContractDays { start, end },
                timing,
                currency,
                purchase_order: None,
            },
        );
        self.setup.contracts.get_mut(&id).unwrap()
    }

    /// A taxable contract service with one set of terms since 2020.
    pub fn service(
        &mut self,
        id: ContractServiceId,
        contract: ContractId,
        description: &str,
        price: &str,
        rule: ChangeRule,
    ) -> &mut ContractService {
        self.setup.contract_services.insert(
            id,
            ContractService {
                id,
                contract_id: contract,
                service_id: 9000 + id,
                description: description.into(),
                taxable: true,
                active_from: date(2020, 1, 1),
                terms: Timeline::from_changes([(date(2020, 1, 1), terms(d(price), rule))]),
            },
        );
        self.setup.contract_services.get_mut(&id).unwrap()
    }

    /// Replaces a service's terms: each entry in force from its period on.
    pub fn terms(&mut self, cs: ContractServiceId, changes: &[(&str, &str, ChangeRule)]) {
        self.setup.contract_services.get_mut(&cs).unwrap().terms = Timeline::from_changes(
            changes
                .iter()
                .map(|(from, price, rule)| (p(from).first_day(), terms(d(price), *rule))),
        );
    }

    /// Daily units as runs of (days, units) covering the whole period.
    pub fn steps(&mut self, cs: ContractServiceId, period: &str, runs: &[(usize, &str)]) {
        let period = p(period);
        let days: Vec<Decimal> = runs
            .iter()
            .flat_map(|(n, u)| std::iter::repeat_n(d(u), *n))
            .collect();
        assert_eq!(days.len() as i64, period.days(), "test data for {period}");
        self.units.daily.insert((cs, period), days);
    }

    pub fn constant(&mut self, cs: ContractServiceId, period: &str, units: &str) {
        let days = p(period).days() as usize;
        self.steps(cs, period, &[(days, units)]);
    }

    /// V(Q) of an advance contract service.
    pub fn count(&mut self, cs: ContractServiceId, period: &str, v: &str) {
        self.units.advance_counts.insert((cs, p(period)), d(v));
    }

    pub fn billed(&mut self, cs: ContractServiceId, period: &str, amount: &str) {
        self.billed.insert((cs, p(period)), d(amount));
    }

    pub fn one_off(
        &mut self,
        company: CompanyId,
        description: &str,
        quantity: &str,
        price: &str,
        taxable: bool,
    ) {
        self.one_offs.push(OneOff {
            company_id: company,
            description: description.into(),
            quantity: d(quantity),
            unit_price: d(price),
            taxable,
        });
    }

    pub fn input(&self, closing: Period) -> RunInput<'_> {
        RunInput {
            setup: &self.setup,
            closing,
            billing_start: self.billing_start,
            lookback: self.lookback,
            units: &self.units,
            billed: &self.billed,
            one_offs: &self.one_offs,
            skip_companies: &self.skip,
        }
    }

    /// Runs the close of `closing` and checks the invariants every document must keep.
    pub fn run(&self, closing: &str) -> RunOutput {
        let output = run_documents(&self.input(p(closing)));
        for document in &output.documents {
            check_document(document);
        }
        output
    }
}

/// DESIGN.md's exact sums, on any document.
pub(super) fn check_document(document: &DraftDocument) {
    let currency = document.currency;
    assert!(!document.lines.is_empty());
    for line in &document.lines {
        assert!(line.quantity.scale() <= 4, "{line:?}");
        assert_eq!(
            line.amount,
            currency.round(line.quantity * line.unit_price),
            "{line:?}"
        );
        assert!(!line.amount.is_zero(), "{line:?}");
        if !line.taxable {
            assert!(line.tax_rates.is_empty());
        }
    }
    let totals = &document.totals;
    let sum: Decimal = document.lines.iter().map(|l| l.amount).sum();
    assert_eq!(totals.subtotal, sum);
    assert_eq!(totals.total, totals.subtotal + totals.tax_total());
    assert!(totals.total >= Decimal::ZERO, "{document:?}");
    match document.kind {
        DocumentKind::Invoice => assert!(document.due_date.is_some()),
        DocumentKind::CreditNote => {
            assert_eq!(document.due_date, None);
            assert!(totals.total > Decimal::ZERO);
        }
    }
    assert_eq!(
        document.issue_date,
        document.period.last_day().tomorrow().unwrap()
    );
}

/// A line as read on the document.
fn show(line: &DraftLine) -> String {
    let mut text = format!(
        "{} {} {} | {} x {} = {}",
        line.kind, line.period, line.description, line.quantity, line.unit_price, line.amount
    );
    if let Some(child) = &line.for_child {
        text += &format!(" [for {child}]");
    }
    if line.stale {
        text += " (stale)";
    }
    text
}

fn lines(document: &DraftDocument) -> Vec<String> {
    document.lines.iter().map(show).collect()
}

fn totals(totals: &Totals) -> Vec<String> {
    let mut shown = vec![format!("subtotal {}", totals.subtotal)];
    for tax in &totals.taxes {
        shown.push(format!(
            "tax {} {}% on {} = {}",
            tax.name, tax.percent, tax.base, tax.amount
        ));
    }
    shown.push(format!("total {}", totals.total));
    shown
}

fn only(output: &RunOutput) -> &DraftDocument {
    assert_eq!(output.documents.len(), 1, "{:#?}", output.documents);
    &output.documents[0]
}

mod documents;
mod timing;
