//! The billing setup of a tenant, as the sync and the invoice run read it: companies,
//! contracts, contract services with their terms, and the effective-dated mappings.
//!
//! Every setting that "takes effect from a date" is a [`Timeline`]: a change effective from E
//! decides every day from E on, replacing what earlier changes said for those days (DESIGN.md,
//! "effective date"). Storing a change therefore drops the timeline's entries from E on.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;
use crate::period::Period;
use crate::rules::{ChangeRule, ContractDays, Timing};

pub type CompanyId = i64;
pub type ContractId = i64;
pub type ContractServiceId = i64;

/// Values in force from dates on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline<T> {
    /// Sorted by date, at most one entry per date.
    changes: Vec<(Date, T)>,
}

impl<T> Default for Timeline<T> {
    fn default() -> Self {
        Self {
            changes: Vec::new(),
        }
    }
}

impl<T> Timeline<T> {
    /// A timeline from stored changes, in the order they were made: each replaces what earlier
    /// ones said from its date on.
    pub fn from_changes(changes: impl IntoIterator<Item = (Date, T)>) -> Self {
        let mut t = Self::default();
        for (from, value) in changes {
            t.set_from(from, value);
        }
        t
    }

    /// Applies a change effective from `from`.
    pub fn set_from(&mut self, from: Date, value: T) {
        self.changes.retain(|(d, _)| *d < from);
        self.changes.push((from, value));
    }

    /// The value in force on `day`, if any change reaches it.
    pub fn at(&self, day: Date) -> Option<&T> {
        let i = self.changes.partition_point(|(d, _)| *d <= day);
        i.checked_sub(1).map(|i| &self.changes[i].1)
    }

    pub fn changes(&self) -> &[(Date, T)] {
        &self.changes
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanyStatus {
    Active,
    Inactive,
    Dead,
    Cancelled,
}

impl CompanyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "inactive" => Some(Self::Inactive),
            "dead" => Some(Self::Dead),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
    /// Dead and cancelled companies cannot be newly mapped (they are still invoiced).
    pub fn accepts_new_mappings(self) -> bool {
        matches!(self, Self::Active | Self::Inactive)
    }
}

/// Where a module organization's usage goes on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "company_id")]
pub enum OrgAssignment {
    Mapped(CompanyId),
    /// Never billable.
    Ignored,
    Unmapped,
}

/// A company's tax rate.
pub use crate::invoice::TaxRate;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub status: CompanyStatus,
    pub currency: Currency,
    /// Empty = exempt.
    pub tax_rates: Vec<TaxRate>,
    pub payment_terms_days: i64,
    /// Its lines go on this company's invoice.
    pub bill_to: Option<CompanyId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub id: ContractId,
    pub company_id: CompanyId,
    pub name: String,
    pub days: ContractDays,
    pub timing: Timing,
    pub currency: Currency,
    pub purchase_order: Option<String>,
}

/// The terms of a contract service for a period (they change only from a period's first day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTerms {
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    pub rule: ChangeRule,
    /// Daily units of a fixed service (one with no mapping); usage services ignore it.
    pub fixed_units: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractService {
    pub id: ContractServiceId,
    pub contract_id: ContractId,
    pub service_id: i64,
    /// What the invoice line says ("Datto RMM - Desktop").
    pub description: String,
    pub taxable: bool,
    /// Added to the contract from this date (the first day of a period): no units before it.
    pub active_from: Date,
    /// Terms keyed by the first day of the period they start in.
    pub terms: Timeline<ServiceTerms>,
}

impl ContractService {
    /// The terms in force for a period.
    pub fn terms_for(&self, period: Period) -> Option<&ServiceTerms> {
        self.terms.at(period.first_day())
    }
}

/// A (module, billing type) pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BillingTypeKey {
    pub module: String,
    pub billing_type: String,
}

/// Everything the sync and the invoice run need to know about a tenant's setup.
#[derive(Debug, Clone, Default)]
pub struct BillingSetup {
    pub companies: BTreeMap<CompanyId, Company>,
    pub contracts: BTreeMap<ContractId, Contract>,
    pub contract_services: BTreeMap<ContractServiceId, ContractService>,
    /// (module, org id) -> assignment over time.
    pub org_mappings: BTreeMap<(String, String), Timeline<OrgAssignment>>,
    /// Per contract: (module, billing type) -> contract service (None = unmapped) over time.
    pub service_mappings:
        BTreeMap<ContractId, BTreeMap<BillingTypeKey, Timeline<Option<ContractServiceId>>>>,
    /// Module -> billing enabled over time.
    pub billing_enabled: BTreeMap<String, Timeline<bool>>,
}

impl BillingSetup {
    /// The company an org's usage goes to on a day (None: unmapped or ignored).
    pub fn org_company(&self, module: &str, org: &str, day: Date) -> Option<CompanyId> {
        match self
            .org_mappings
            .get(&(module.to_owned(), org.to_owned()))
            .and_then(|t| t.at(day))
        {
            Some(OrgAssignment::Mapped(c)) => Some(*c),
            _ => None,
        }
    }

    pub fn org_assignment(&self, module: &str, org: &str, day: Date) -> OrgAssignment {
        self.org_mappings
            .get(&(module.to_owned(), org.to_owned()))
            .and_then(|t| t.at(day))
            .copied()
            .unwrap_or(OrgAssignment::Unmapped)
    }

    pub fn billing_enabled(&self, module: &str, day: Date) -> bool {
        self.billing_enabled
            .get(module)
            .and_then(|t| t.at(day))
            .copied()
            .unwrap_or(false)
    }

    /// Contracts of a company active on a day.
    pub fn active_contracts(
        &self,
        company: CompanyId,
        day: Date,
    ) -> impl Iterator<Item = &Contract> {
        self.contracts
            .values()
            .filter(move |c| c.company_id == company && c.days.contains(day))
    }

    /// The contract service a (module, billing type) maps to for a company on a day, across
    /// its contracts active that day (at most one, enforced when mappings are made).
    pub fn mapped_service(
        &self,
        company: CompanyId,
        key: &BillingTypeKey,
        day: Date,
    ) -> Option<ContractServiceId> {
        self.active_contracts(company, day).find_map(|c| {
            let cs = *self.service_mappings.get(&c.id)?.get(key)?.at(day)?;
            let cs = cs?;
            self.contract_services
                .get(&cs)
                .filter(|s| s.active_from <= day)
                .map(|s| s.id)
        })
    }

    /// Whether any mapping targets a contract service on a day (otherwise it is a fixed service).
    pub fn has_mapping(&self, cs: &ContractService, day: Date) -> bool {
        self.service_mappings.get(&cs.contract_id).is_some_and(|m| {
            m.values()
                .any(|t| t.at(day).copied().flatten() == Some(cs.id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_change_decides_every_day_from_its_date_on() {
        let mut t = Timeline::default();
        t.set_from(date(2026, 3, 1), "A");
        t.set_from(date(2026, 5, 1), "B");
        assert_eq!(t.at(date(2026, 2, 28)), None);
        assert_eq!(t.at(date(2026, 4, 30)), Some(&"A"));
        assert_eq!(t.at(date(2026, 6, 1)), Some(&"B"));
        // Made later but effective earlier: replaces what March and May said.
        t.set_from(date(2026, 2, 1), "C");
        assert_eq!(t.at(date(2026, 6, 1)), Some(&"C"));
        assert_eq!(t.changes().len(), 1);
    }
}
