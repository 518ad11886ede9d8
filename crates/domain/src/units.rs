//! Units: what each contract service counts on each day (DESIGN.md, "Units (the sync)").
//!
//! The sync walks the days in order: [`next_module_day`] applies carry-forward to a module's
//! quantities, [`compute_day`] turns every module's quantities into U(cs, d) with the mappings
//! in force on d and names the usage that bills nothing, and [`activity_digest`] compares two
//! consecutive days for the activity log.
//!
//! A large tenant (5,000 companies, ~255,000 values a day) must sync in seconds, so
//! [`compute_day`] first indexes the setup for the day and then reads every value once,
//! instead of asking [`BillingSetup`] (which scans every contract) per value.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;
use crate::period::Period;
use crate::setup::{
    BillingSetup, BillingTypeKey, CompanyId, Contract, ContractId, ContractServiceId, OrgAssignment,
};
use crate::usage::UsageValue;

/// (org id, billing type code)
pub type UsageKey = (String, String);

/// Effective quantities of one module on one day, after carry-forward.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModuleDay {
    pub module: String,
    /// No snapshot (complete or partial) was received for this day: values are carried forward.
    pub stale: bool,
    /// Non-zero quantities only.
    pub values: BTreeMap<UsageKey, i64>,
}

/// Carry-forward (DESIGN.md "Ingestion" and "Units"): a day's effective values from the
/// previous day's and the day's stored snapshot `(complete, values)`.
///
/// - no snapshot: the previous values, marked stale;
/// - a complete snapshot: exactly its values (whatever is absent is 0);
/// - a partial snapshot: the previous values overlaid with the listed ones (a listed 0
///   removes the key), so unlisted values keep reading through to earlier days.
///
/// Starting from an empty map gives "before an org's first report its quantity is 0".
pub fn next_module_day(
    module: &str,
    previous: &BTreeMap<UsageKey, i64>,
    snapshot: Option<(bool, &[UsageValue])>,
) -> ModuleDay {
    let (stale, mut values) = match snapshot {
        None => (true, previous.clone()),
        Some((true, _)) => (false, BTreeMap::new()),
        Some((false, _)) => (false, previous.clone()),
    };
    for v in snapshot.map_or(&[][..], |(_, listed)| listed) {
        let key = (v.org_id.clone(), v.billing_type.as_str().to_owned());
        if v.quantity == 0 {
            values.remove(&key);
        } else {
            values.insert(key, v.quantity);
        }
    }
    let module = module.to_owned();
    ModuleDay {
        module,
        stale,
        values,
    }
}

/// One contract service's units on one day, with the usage behind them so an invoice line
/// can be explained down to the module orgs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDay {
    pub contract_service: ContractServiceId,
    pub units: Decimal,
    /// Some module feeding it was stale that day: the units rest on carried-forward values.
    pub stale: bool,
    /// Sorted by module, org, billing type. Empty for a fixed service.
    pub sources: Vec<UnitSource>,
}

/// One (module, org, billing type) quantity counted in a contract service's units.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnitSource {
    pub module: String,
    pub org_id: String,
    pub billing_type: String,
    pub quantity: i64,
}

/// Why usage bills nothing (the activity log's "failed" reasons).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// The org is mapped to no company on that day.
    OrgNotMapped,
    /// The company has active contracts, but none maps the (module, billing type).
    BillingTypeNotMapped,
    /// The company has no contract active on that day.
    NoActiveContract,
}

/// Usage that bills nothing, with why: money at stake until the admin fixes a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub module: String,
    pub org_id: String,
    pub billing_type: String,
    /// None when the org is not mapped.
    pub company_id: Option<CompanyId>,
    pub reason: FailReason,
    pub quantity: i64,
}

/// What one day's usage amounts to: the unit history row of every contract service and the
/// usage nobody bills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayUnits {
    pub day: Date,
    /// Every contract service on a contract active that day, from its `active_from`, even at
    /// 0 units, so the unit history has no holes.
    pub services: BTreeMap<ContractServiceId, ServiceDay>,
    /// In the order of `usage`, then org and billing type.
    pub failures: Vec<Failure>,
}

/// The setup as it stands on one day, indexed so that each usage value costs a few lookups.
#[derive(Default)]
struct DayIndex<'a> {
    /// Companies with a contract active that day -> module -> billing type -> contract
    /// service (the first contract by id wins, as in [`BillingSetup::mapped_service`]).
    companies: HashMap<CompanyId, HashMap<&'a str, HashMap<&'a str, ContractServiceId>>>,
    /// Contract service -> the modules with a billing type mapped to it (an absent service
    /// has no mapping: it is a fixed service).
    feeding: HashMap<ContractServiceId, BTreeSet<&'a str>>,
}

impl<'a> DayIndex<'a> {
    fn new(setup: &'a BillingSetup, day: Date) -> Self {
        let mut idx = DayIndex::default();
        for c in setup.contracts.values().filter(|c| c.days.contains(day)) {
            let company = idx.companies.entry(c.company_id).or_default();
            for (key, timeline) in setup.service_mappings.get(&c.id).into_iter().flatten() {
                let Some(Some(cs)) = timeline.at(day) else {
                    continue;
                };
                // A mapping names a service of its own contract; any other is ignored rather
                // than billed to a contract that may not be active.
                let Some(service) = setup.contract_services.get(cs) else {
                    continue;
                };
                if service.contract_id != c.id {
                    continue;
                }
                idx.feeding.entry(*cs).or_default().insert(&key.module);
                if service.active_from <= day {
                    let module = company.entry(key.module.as_str()).or_default();
                    module.entry(key.billing_type.as_str()).or_insert(*cs);
                }
            }
        }
        idx
    }
}

/// U(cs, d) for every contract service, with the mappings in force on `day` and the
/// quantities in `usage`.
///
/// The sync passes the usage of `day` itself; the invoice run passes the usage of the day
/// before for V(Q) of advance billing ("the mappings in force on Q's first day inside the
/// contract and the quantities of the day before that day"). A module absent from `usage`
/// has no values and is not stale.
pub fn compute_day(setup: &BillingSetup, day: Date, usage: &[ModuleDay]) -> DayUnits {
    let idx = DayIndex::new(setup, day);
    let mut counted: HashMap<ContractServiceId, (i64, Vec<UnitSource>)> = HashMap::new();
    let mut failures = Vec::new();
    let mut stale_modules = HashSet::new();
    for md in usage
        .iter()
        .filter(|md| setup.billing_enabled(&md.module, day))
    {
        if md.stale {
            stale_modules.insert(md.module.as_str());
        }
        let mut last_org: Option<(&str, OrgAssignment)> = None;
        for ((org, bt), &quantity) in md.values.iter().filter(|(_, q)| **q != 0) {
            // Values are sorted by org: one mapping lookup per org, not per value.
            let assignment = match last_org {
                Some((o, a)) if o == org => a,
                _ => setup.org_assignment(&md.module, org, day),
            };
            last_org = Some((org, assignment));
            let mut fail = |company_id, reason| {
                failures.push(Failure {
                    module: md.module.clone(),
                    org_id: org.clone(),
                    billing_type: bt.clone(),
                    company_id,
                    reason,
                    quantity,
                })
            };
            let company = match assignment {
                OrgAssignment::Ignored => continue,
                OrgAssignment::Unmapped => {
                    fail(None, FailReason::OrgNotMapped);
                    continue;
                }
                OrgAssignment::Mapped(company) => company,
            };
            let Some(mappings) = idx.companies.get(&company) else {
                fail(Some(company), FailReason::NoActiveContract);
                continue;
            };
            let mapped = mappings
                .get(md.module.as_str())
                .and_then(|m| m.get(bt.as_str()));
            let Some(cs) = mapped else {
                fail(Some(company), FailReason::BillingTypeNotMapped);
                continue;
            };
            let (units, sources) = counted.entry(*cs).or_default();
            *units += quantity;
            let (module, org_id, billing_type) = (md.module.clone(), org.clone(), bt.clone());
            sources.push(UnitSource {
                module,
                org_id,
                billing_type,
                quantity,
            });
        }
    }

    let mut services = BTreeMap::new();
    for cs in setup.contract_services.values() {
        let contract = setup.contracts.get(&cs.contract_id);
        if !contract.is_some_and(|c| c.days.contains(day)) || cs.active_from > day {
            continue;
        }
        let service_day = match idx.feeding.get(&cs.id) {
            Some(modules) => {
                let (units, mut sources) = counted.remove(&cs.id).unwrap_or_default();
                sources.sort();
                let stale = modules.iter().any(|m| stale_modules.contains(m));
                let units = Decimal::from(units);
                ServiceDay {
                    contract_service: cs.id,
                    units,
                    stale,
                    sources,
                }
            }
            None => ServiceDay {
                contract_service: cs.id,
                units: cs
                    .terms_for(Period::of(day))
                    .map_or(Decimal::ZERO, |t| t.fixed_units),
                stale: false,
                sources: Vec::new(),
            },
        };
        services.insert(cs.id, service_day);
    }
    DayUnits {
        day,
        services,
        failures,
    }
}

/// How a day's units of one activity-log row compare with the day before.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    Increased,
    Decreased,
    Unchanged,
    /// The usage bills nothing (see the row's reason).
    Failed,
}

/// One line of the daily activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub day: Date,
    pub module: String,
    pub billing_type: String,
    pub company_id: Option<CompanyId>,
    /// None on failed rows.
    pub contract_service: Option<ContractServiceId>,
    pub status: ActivityStatus,
    /// Some on failed rows only.
    pub reason: Option<FailReason>,
    pub units: i64,
    pub previous_units: i64,
    /// Failed rows: units × the inferred unit price, rounded to the currency (None when no
    /// price can be inferred), so the admin sees what fixing the mapping is worth.
    pub amount_at_stake: Option<Decimal>,
}

/// (module, billing type, company, contract service or failure reason) -> summed quantity.
type Sums<'a, T> = BTreeMap<(&'a str, &'a str, Option<CompanyId>, T), i64>;

fn billed_sums<'a>(setup: &BillingSetup, du: &'a DayUnits) -> Sums<'a, ContractServiceId> {
    let mut sums = Sums::new();
    for (cs, sd) in &du.services {
        let service = setup.contract_services.get(cs);
        let contract = service.and_then(|s| setup.contracts.get(&s.contract_id));
        let company = contract.map(|c| c.company_id);
        for s in &sd.sources {
            *sums
                .entry((&s.module, &s.billing_type, company, *cs))
                .or_default() += s.quantity;
        }
    }
    sums
}

fn failed_sums(du: &DayUnits) -> Sums<'_, FailReason> {
    let mut sums = Sums::new();
    for f in &du.failures {
        *sums
            .entry((&f.module, &f.billing_type, f.company_id, f.reason))
            .or_default() += f.quantity;
    }
    sums
}

/// The activity log of a day: one row per (module, billing type, company, contract service)
/// billed today or yesterday, comparing the summed source quantities of the two days; plus
/// one failed row per (module, billing type, company-or-none, reason) failing today, with
/// the summed units (and the same failure's sum yesterday as `previous_units`).
/// Sorted by module, billing type, company, contract service, reason.
pub fn activity_digest(
    setup: &BillingSetup,
    today: &DayUnits,
    yesterday: Option<&DayUnits>,
) -> Vec<ActivityRow> {
    let (billed_today, failed_today) = (billed_sums(setup, today), failed_sums(today));
    let billed_before = yesterday.map_or_else(Sums::new, |y| billed_sums(setup, y));
    let failed_before = yesterday.map_or_else(Sums::new, failed_sums);
    let row =
        |(module, bt, company_id): (&str, &str, _), status, units, previous_units| ActivityRow {
            day: today.day,
            module: module.to_owned(),
            billing_type: bt.to_owned(),
            company_id,
            contract_service: None,
            status,
            reason: None,
            units,
            previous_units,
            amount_at_stake: None,
        };
    let mut rows = Vec::new();
    for key in billed_today
        .keys()
        .chain(billed_before.keys())
        .collect::<BTreeSet<_>>()
    {
        let units = billed_today.get(key).copied().unwrap_or(0);
        let previous = billed_before.get(key).copied().unwrap_or(0);
        let status = match units.cmp(&previous) {
            std::cmp::Ordering::Greater => ActivityStatus::Increased,
            std::cmp::Ordering::Less => ActivityStatus::Decreased,
            std::cmp::Ordering::Equal => ActivityStatus::Unchanged,
        };
        let (module, bt, company, cs) = *key;
        let row = row((module, bt, company), status, units, previous);
        rows.push(ActivityRow {
            contract_service: Some(cs),
            ..row
        });
    }
    let mut prices = PriceFinder::new(setup, today.day);
    for (key, &units) in &failed_today {
        let (module, billing_type, company, reason) = *key;
        let bt_key = BillingTypeKey {
            module: module.into(),
            billing_type: billing_type.into(),
        };
        let price = prices.price(company, &bt_key);
        let previous = failed_before.get(key).copied().unwrap_or(0);
        let row = row(
            (module, billing_type, company),
            ActivityStatus::Failed,
            units,
            previous,
        );
        rows.push(ActivityRow {
            reason: Some(reason),
            amount_at_stake: price.map(|(p, cur)| cur.round(Decimal::from(units) * p)),
            ..row
        });
    }
    rows.sort_by_cached_key(|r| {
        (
            r.module.clone(),
            r.billing_type.clone(),
            r.company_id,
            r.contract_service,
            r.reason,
        )
    });
    rows
}

/// The unit price a (module, billing type) would bill at for a company: that of the
/// contract service it maps to on the company's contracts (any contract; the mapping in
/// force on `day` first, else the latest one), or, failing that, the price most other
/// contracts of the tenant map it to (in the company's currency when some do; ties go to
/// the lowest price, so the amount at stake is not inflated). None if nowhere mapped.
pub fn inferred_price(
    setup: &BillingSetup,
    company: Option<CompanyId>,
    key: &BillingTypeKey,
    day: Date,
) -> Option<(Decimal, Currency)> {
    PriceFinder::new(setup, day).price(company, key)
}

/// A unit price and the currency it is in.
type Price = (Decimal, Currency);

/// [`inferred_price`] for the failed rows of one day: contracts indexed by company, the
/// tenant-wide fallback computed once per (billing type, currency).
struct PriceFinder<'a> {
    setup: &'a BillingSetup,
    day: Date,
    by_company: HashMap<CompanyId, Vec<&'a Contract>>,
    tenant: HashMap<(BillingTypeKey, Option<Currency>), Option<Price>>,
}

impl<'a> PriceFinder<'a> {
    fn new(setup: &'a BillingSetup, day: Date) -> Self {
        let mut by_company: HashMap<_, Vec<_>> = HashMap::new();
        for c in setup.contracts.values() {
            by_company.entry(c.company_id).or_default().push(c);
        }
        PriceFinder {
            setup,
            day,
            by_company,
            tenant: HashMap::new(),
        }
    }

    /// A contract's mapping of `key`: in force on the day, else its latest, with its date and
    /// the contract service's unit price (the day's period's terms, else the latest terms).
    fn mapping(&self, contract: ContractId, key: &BillingTypeKey) -> Option<(Date, Decimal)> {
        let timeline = self.setup.service_mappings.get(&contract)?.get(key)?;
        let (from, cs) = match timeline.at(self.day) {
            Some(Some(cs)) => (self.day, *cs),
            _ => timeline
                .changes()
                .iter()
                .rev()
                .find_map(|(f, cs)| cs.map(|cs| (*f, cs)))?,
        };
        let service = self.setup.contract_services.get(&cs)?;
        let terms = service.terms_for(Period::of(self.day));
        let terms = terms.or_else(|| service.terms.changes().last().map(|(_, t)| t))?;
        Some((from, terms.unit_price))
    }

    fn price(&mut self, company: Option<CompanyId>, key: &BillingTypeKey) -> Option<Price> {
        let own = company
            .and_then(|c| self.by_company.get(&c))
            .into_iter()
            .flatten();
        let own = own.filter_map(|c| {
            let (from, price) = self.mapping(c.id, key)?;
            Some(((from == self.day, from), (price, c.currency)))
        });
        if let Some((_, found)) = own.max_by_key(|(rank, _)| *rank) {
            return Some(found);
        }
        let currency = company
            .and_then(|c| self.setup.companies.get(&c))
            .map(|c| c.currency);
        let cache_key = (key.clone(), currency);
        if let Some(found) = self.tenant.get(&cache_key) {
            return *found;
        }
        let mut counts: BTreeMap<Price, usize> = BTreeMap::new();
        for c in self.setup.contracts.values() {
            if let Some((_, price)) = self.mapping(c.id, key) {
                *counts.entry((price, c.currency)).or_default() += 1;
            }
        }
        if counts.keys().any(|(_, cur)| Some(*cur) == currency) {
            counts.retain(|(_, cur), _| Some(*cur) == currency);
        }
        // max_by_key keeps the last of equals: reversed, that is the lowest price.
        let found = counts
            .into_iter()
            .rev()
            .max_by_key(|(_, n)| *n)
            .map(|(p, _)| p);
        self.tenant.insert(cache_key, found);
        found
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::BillingTypeCode;
    use crate::rules::{ChangeRule, ContractDays, Timing};
    use crate::setup::{Company, CompanyStatus, Contract, ContractService, ServiceTerms};
    use ActivityStatus::*;
    use FailReason::*;
    use OrgAssignment::*;
    use jiff::ToSpan;
    use jiff::civil::date;
    use proptest::prelude::*;

    const JAN1: Date = date(2026, 1, 1);
    const APR1: Date = date(2026, 4, 1);

    fn d(day: i8) -> Date {
        date(2026, 3, day)
    }

    /// Builds a setup from facts separated by newlines or `|`, each effective from its
    /// `@date` (default January 1): `company ID CURRENCY`, `contract ID COMPANY` (starting on
    /// the date; its company in USD if new), `ends CONTRACT`, `service ID CONTRACT PRICE`
    /// (active from the date), `fixed SERVICE UNITS`, `map CONTRACT module/type SERVICE|none`,
    /// `org module/org COMPANY|ignored|unmapped`, `enable|disable MODULE`.
    fn apply(s: &mut BillingSetup, facts: &str) {
        for fact in facts
            .split(['\n', '|'])
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            let (fact, from) = fact
                .split_once(" @")
                .map_or((fact, JAN1), |(f, d)| (f, d.parse().unwrap()));
            let w: Vec<&str> = fact.split_whitespace().collect();
            let n = |i: usize| w[i].parse::<i64>().unwrap();
            let pair = |i: usize| {
                w[i].split_once('/')
                    .map(|(a, b)| (a.into(), b.into()))
                    .unwrap()
            };
            match w[0] {
                "company" => {
                    let company = Company {
                        id: n(1),
                        name: format!("Company {}", n(1)),
                        status: CompanyStatus::Active,
                        currency: Currency::parse(w[2]).unwrap(),
                        tax_rates: Vec::new(),
                        payment_terms_days: 30,
                        bill_to: None,
                    };
                    s.companies.insert(n(1), company);
                }
                "contract" => {
                    if !s.companies.contains_key(&n(2)) {
                        apply(s, &format!("company {} USD", n(2)));
                    }
                    let contract = Contract {
                        id: n(1),
                        company_id: n(2),
                        name: String::new(),
                        days: ContractDays {
                            start: from,
                            end: None,
                        },
                        timing: Timing::Arrears,
                        currency: s.companies[&n(2)].currency,
                        purchase_order: None,
                    };
                    s.contracts.insert(n(1), contract);
                }
                "ends" => s.contracts.get_mut(&n(1)).unwrap().days.end = Some(from),
                "service" => {
                    let terms = ServiceTerms {
                        unit_price: n(3).into(),
                        unit_cost: Decimal::ZERO,
                        rule: ChangeRule::Prorated,
                        fixed_units: Decimal::ZERO,
                    };
                    let cs = ContractService {
                        id: n(1),
                        contract_id: n(2),
                        service_id: n(1),
                        description: String::new(),
                        taxable: true,
                        active_from: from,
                        terms: crate::setup::Timeline::from_changes([(JAN1, terms)]),
                    };
                    s.contract_services.insert(n(1), cs);
                }
                "fixed" => {
                    let terms = &mut s.contract_services.get_mut(&n(1)).unwrap().terms;
                    let fixed_units = n(2).into();
                    let new = ServiceTerms {
                        fixed_units,
                        ..terms.at(from).unwrap().clone()
                    };
                    terms.set_from(from, new);
                }
                "map" => {
                    let (module, billing_type) = pair(2);
                    let key = BillingTypeKey {
                        module,
                        billing_type,
                    };
                    let mappings = s.service_mappings.entry(n(1)).or_default();
                    mappings
                        .entry(key)
                        .or_default()
                        .set_from(from, w[3].parse().ok());
                }
                "org" => {
                    let a = match w[2] {
                        "ignored" => Ignored,
                        "unmapped" => Unmapped,
                        _ => Mapped(n(2)),
                    };
                    s.org_mappings.entry(pair(1)).or_default().set_from(from, a);
                }
                "enable" | "disable" => {
                    let timeline = s.billing_enabled.entry(w[1].into()).or_default();
                    timeline.set_from(from, w[0] == "enable");
                }
                other => panic!("unknown fixture fact {other:?}"),
            }
        }
    }

    fn setup(facts: &str) -> BillingSetup {
        let mut s = BillingSetup::default();
        apply(&mut s, facts);
        s
    }

    /// Company 1 (contract 10: cs 100 at 5 = rmm desktop + backup server, cs 101 = edr flag)
    /// and company 2 (contract 20: cs 200 = rmm desktop at 7).
    const BASE: &str = "
        contract 10 1 | contract 20 2 | service 100 10 5 | service 101 10 2 | service 200 20 7
        map 10 rmm/desktop 100 | map 10 backup/server 100 | map 10 edr/edr_enabled 101
        map 20 rmm/desktop 200 | enable rmm | enable backup | enable edr
        org rmm/a 1 | org backup/b 1 | org edr/a 1 | org rmm/z 2 | org rmm/ign ignored";

    /// A module's day from `org/billing_type=quantity` words.
    fn md(module: &str, stale: bool, values: &str) -> ModuleDay {
        let value = |v: &str| {
            let (key, q) = v.split_once('=').unwrap();
            let (org, bt) = key.split_once('/').unwrap();
            ((org.into(), bt.into()), q.parse().unwrap())
        };
        let values = values.split_whitespace().map(value).collect();
        ModuleDay {
            module: module.into(),
            stale,
            values,
        }
    }

    fn units(du: &DayUnits, cs: ContractServiceId) -> Option<i64> {
        du.services.get(&cs).map(|s| s.units.try_into().unwrap())
    }

    fn failures(du: &DayUnits) -> Vec<String> {
        let f = du.failures.iter();
        let text = |f: &Failure| {
            let company = f.company_id.map_or("-".into(), |c| c.to_string());
            format!(
                "{}/{} {company} {:?} {}",
                f.org_id, f.billing_type, f.reason, f.quantity
            )
        };
        f.map(text).collect()
    }

    #[test]
    fn carry_forward_follows_complete_and_partial_snapshots() {
        let snapshot = |complete, v: &[(&str, &str, i64)]| -> (bool, Vec<UsageValue>) {
            let bt = |b| BillingTypeCode::parse(b).unwrap();
            let v = v.iter().map(|(o, b, q)| UsageValue {
                org_id: (*o).into(),
                billing_type: bt(b),
                quantity: *q,
            });
            (complete, v.collect())
        };
        let next = |prev: &ModuleDay, snap: Option<&(bool, Vec<UsageValue>)>| {
            next_module_day("rmm", &prev.values, snap.map(|(c, v)| (*c, &v[..])))
        };
        let empty = md("rmm", false, "");
        // Before the first report everything is 0; a missed day is stale.
        assert_eq!(next(&empty, None), md("rmm", true, ""));
        // A partial snapshot without a complete one reads through to nothing earlier.
        let day = next(&empty, Some(&snapshot(false, &[("a", "x", 5)])));
        assert_eq!(day, md("rmm", false, "a/x=5"));
        // A complete snapshot is exactly its values: absent or 0 is nothing.
        let prev = md("rmm", false, "a/x=5 b/y=2");
        let day = next(
            &prev,
            Some(&snapshot(true, &[("a", "x", 3), ("c", "x", 0)])),
        );
        assert_eq!(day, md("rmm", false, "a/x=3"));
        // A partial snapshot overlays: a listed 0 removes, the rest carries on.
        let day = next(
            &prev,
            Some(&snapshot(false, &[("a", "x", 0), ("c", "x", 4)])),
        );
        assert_eq!(day, md("rmm", false, "b/y=2 c/x=4"));
        // A missed day carries the previous values, marked stale.
        assert_eq!(next(&day, None), md("rmm", true, "b/y=2 c/x=4"));
    }

    #[test]
    fn usage_sums_into_services_or_fails_with_its_reason() {
        let s = setup(&format!(
            "{BASE} | contract 40 4 | ends 40 @2026-03-05 | company 3 USD
            org rmm/c3 3 | org rmm/c4 4"
        ));
        let rmm = "a/desktop=10 ign/desktop=7 a/server=2 c3/desktop=4 c4/desktop=6 new/desktop=5";
        let rmm = format!("{rmm} new/server=0");
        let usage = [
            md("rmm", false, &rmm),
            md("backup", false, "b/server=3"),
            md("edr", false, "a/edr_enabled=1"),
        ];
        let du = compute_day(&s, d(10), &usage);
        // Two modules in one service; a flag counts 1; every active service has a row.
        let got = [100, 101, 200].map(|cs| units(&du, cs));
        assert_eq!(got, [Some(13), Some(1), Some(0)]);
        let sources = du.services[&100].sources.iter();
        let sources: Vec<_> = sources.map(|s| (s.module.as_str(), s.quantity)).collect();
        assert_eq!(sources, [("backup", 3), ("rmm", 10)]);
        // An ignored org and a 0 are no failure.
        let expected = [
            "a/server 1 BillingTypeNotMapped 2",
            "c3/desktop 3 NoActiveContract 4",
            "c4/desktop 4 NoActiveContract 6",
            "new/desktop - OrgNotMapped 5",
        ];
        assert_eq!(failures(&du), expected);
    }

    #[test]
    fn disabled_modules_are_skipped_and_stale_ones_mark_what_they_feed() {
        let s = setup(&format!(
            "{BASE} | disable backup @2026-03-10 | map 20 backup/server 200"
        ));
        let stale_backup = md("backup", true, "b/server=3 new/server=1");
        let usage = [stale_backup, md("edr", false, "")];
        let before = compute_day(&s, d(9), &usage);
        assert_eq!((units(&before, 100), before.failures.len()), (Some(3), 1));
        let stale = |du: &DayUnits| [100, 101, 200].map(|cs| du.services[&cs].stale);
        assert_eq!(stale(&before), [true, false, true], "even without units");
        let after = compute_day(&s, d(10), &usage);
        assert_eq!((units(&after, 100), after.failures.len()), (Some(0), 0));
        assert_eq!(stale(&after), [false; 3], "a disabled module feeds nothing");
        let absent = compute_day(&s, d(9), &usage[1..]);
        assert_eq!(stale(&absent), [false; 3], "an absent module is not stale");
    }

    #[test]
    fn units_follow_contract_days_active_from_fixed_units_and_mapping_changes() {
        let s = setup(&format!(
            "{BASE} | ends 20 @2026-03-15 | service 102 10 3 @2026-04-01 | map 10 rmm/server 102
            service 103 10 50 | fixed 103 2 | fixed 103 4 @2026-04-01
            org rmm/a 2 @2026-03-14 | org rmm/a 1 @2026-03-16"
        ));
        let usage = [md("rmm", false, "a/desktop=9 a/server=2 z/desktop=4")];
        let at = |day| compute_day(&s, day, &usage);
        let got = [d(13), d(14), d(16), APR1]
            .map(|day| [100, 102, 103, 200].map(|cs| units(&at(day), cs)));
        let expected = [
            [Some(9), None, Some(2), Some(4)],
            [Some(0), None, Some(2), Some(13)],
            [Some(9), None, Some(2), None],
            [Some(9), Some(2), Some(4), None],
        ];
        assert_eq!(got, expected);
        assert_eq!(failures(&at(d(16)))[0], "a/server 1 BillingTypeNotMapped 2");
        // A usage service losing its last mapping becomes fixed (its fixed units are 0).
        let s = setup(&format!(
            "{BASE} | map 10 rmm/desktop none | map 10 backup/server none"
        ));
        assert_eq!(units(&compute_day(&s, d(20), &usage), 100), Some(0));
    }

    /// Company 1 mapped rmm/laptop until March; contracts 20 and 30 map it at 7, 40 (EUR) at 9.
    const PRICED: &str = "
        map 10 rmm/laptop 100 | map 10 rmm/laptop none @2026-03-01 | map 20 rmm/laptop 200
        contract 30 3 | service 300 30 7 | map 30 rmm/desktop 300 | map 30 rmm/laptop 300
        company 4 EUR | contract 40 4 | service 400 40 9 | map 40 rmm/desktop 400
        company 5 EUR | company 6 USD | org rmm/c5 5";

    #[test]
    fn the_inferred_price_prefers_the_company_then_the_most_common() {
        let s = setup(&format!("{BASE} | {PRICED}"));
        let price = |company, bt: &str| {
            let key = BillingTypeKey {
                module: "rmm".into(),
                billing_type: bt.into(),
            };
            let found = inferred_price(&s, company, &key, d(10));
            found.map_or("none".into(), |(p, c)| format!("{p} {c}"))
        };
        // The company's own mapping, in force or its latest; else the most common price, in
        // the company's currency when some contract has it.
        let got = [
            price(Some(1), "desktop"),
            price(Some(1), "laptop"),
            price(None, "desktop"),
            price(Some(6), "laptop"),
            price(Some(5), "desktop"),
            price(Some(5), "laptop"),
            price(None, "nowhere"),
        ];
        assert_eq!(
            got,
            ["5 USD", "5 USD", "7 USD", "7 USD", "9 EUR", "7 USD", "none"]
        );
    }

    #[test]
    fn the_digest_compares_days_and_prices_failures() {
        let s = setup(&format!("{BASE} | {PRICED}"));
        let yesterday = [
            md("rmm", false, "a/desktop=10 new/desktop=4"),
            md("backup", false, "b/server=3"),
            md("edr", false, "a/edr_enabled=1"),
        ];
        let rmm = "a/desktop=12 a/laptop=3 c5/x=1 new/desktop=5";
        let today = [md("rmm", false, rmm), md("backup", false, "b/server=3")];
        let y = compute_day(&s, d(9), &yesterday);
        let t = compute_day(&s, d(10), &today);
        let text = |r: &ActivityRow| {
            let dash = |v: Option<i64>| v.map_or("-".into(), |v| v.to_string());
            let reason = r.reason.map(|r| format!(" {r:?}")).unwrap_or_default();
            let stake = r.amount_at_stake.map(|a| format!(" at stake {a}"));
            let (company, cs) = (dash(r.company_id), dash(r.contract_service));
            let change = format!("{:?} {}->{}", r.status, r.previous_units, r.units);
            let tail = format!("{change}{reason}{}", stake.unwrap_or_default());
            format!("{}/{} {company} {cs} {tail}", r.module, r.billing_type)
        };
        let rows: Vec<_> = activity_digest(&s, &t, Some(&y)).iter().map(text).collect();
        let expected = [
            "backup/server 1 100 Unchanged 3->3",
            "edr/edr_enabled 1 101 Decreased 1->0",
            "rmm/desktop - - Failed 4->5 OrgNotMapped at stake 35.00",
            "rmm/desktop 1 100 Increased 10->12",
            "rmm/laptop 1 - Failed 0->3 BillingTypeNotMapped at stake 15.00",
            "rmm/x 5 - Failed 0->1 NoActiveContract",
        ];
        assert_eq!(rows, expected);
        // Without a previous day everything billed is an increase.
        let first = activity_digest(&s, &y, None);
        assert!(first.iter().all(|r| matches!(r.status, Increased | Failed)));
    }

    #[test]
    fn a_large_tenant_adds_up() {
        let (modules, bts) = (["m0", "m1", "m2", "m3", "m4"], ["b0", "b1", "b2"]);
        let mut s = BillingSetup::default();
        for c in 1..=5_000 {
            apply(&mut s, &format!("contract {c} {c}"));
            for (j, bt) in bts.iter().enumerate() {
                apply(&mut s, &format!("service {c}{j} {c} 1"));
                for m in modules {
                    apply(&mut s, &format!("map {c} {m}/{bt} {c}{j}"));
                }
            }
        }
        let (mut usage, mut billed, mut unmapped) = (Vec::new(), 0, 0);
        for m in modules {
            apply(&mut s, &format!("enable {m}"));
            let mut day = md(m, false, "");
            for k in 0..17_000usize {
                let company = (k % 5_000 + 1).to_string();
                let a = (k % 100)
                    .checked_sub(98)
                    .map(|i| ["ignored", "unmapped"][i]);
                apply(&mut s, &format!("org {m}/o{k} {}", a.unwrap_or(&company)));
                for (j, bt) in (0..).zip(bts) {
                    let q = 1 + (k + j) % 5;
                    match a {
                        None => billed += q,
                        Some("unmapped") => unmapped += q,
                        _ => {}
                    }
                    day.values.insert((format!("o{k}"), bt.into()), q as i64);
                }
            }
            usage.push(day);
        }
        assert_eq!(usage.iter().map(|m| m.values.len()).sum::<usize>(), 255_000);
        let du = compute_day(&s, d(10), &usage);
        assert_eq!(du.services.len(), 15_000);
        let total: Decimal = du.services.values().map(|s| s.units).sum();
        assert_eq!(total, Decimal::from(billed));
        let failed: i64 = du.failures.iter().map(|f| f.quantity).sum();
        assert_eq!(
            (failed as usize, du.failures.len()),
            (unmapped, 5 * 170 * 3)
        );
        // Company 1, b0: orgs 0, 5000, 10000 and 15000 of each module, 1 unit each.
        assert_eq!(units(&du, 10), Some(20));
        let digest = activity_digest(&s, &du, None);
        assert_eq!(digest.iter().filter(|r| r.reason.is_some()).count(), 15);
    }

    /// Decodes a random setup, day and usage from numbers: 3 companies with up to 2 contracts
    /// of 2 services each, 3 modules x 5 orgs x 2 billing types, dates from February to May.
    fn random_case(n: &[u16]) -> (BillingSetup, Date, Vec<ModuleDay>) {
        let mut n = n.iter().copied().cycle();
        let mut next = |m: u16| usize::from(n.next().unwrap_or(0) % m);
        let day = |offset: usize| date(2026, 2, 1) + (offset as i64).days();
        let mut facts = String::new();
        for c in 1..=3 {
            for contract in (c * 10..).take(next(3)) {
                facts += &format!("|contract {contract} {c} @{}", day(next(40)));
                if next(2) == 1 {
                    facts += &format!("|ends {contract} @{}", day(40 + next(40)));
                }
                for j in 0..2 {
                    let from = [JAN1, d(1), APR1][next(3)];
                    facts += &format!("|service {contract}{j} {contract} 1 @{from}");
                }
                for key in ["a/x", "a/y", "b/x", "b/y"] {
                    for _ in 0..next(3) {
                        let cs = [
                            "none".into(),
                            format!("{contract}0"),
                            format!("{contract}1"),
                        ];
                        let cs = &cs[next(3)];
                        facts += &format!("|map {contract} {key} {cs} @{}", day(next(60)));
                    }
                }
            }
        }
        let mut usage = Vec::new();
        for module in ["a", "b", "c"] {
            for _ in 0..next(3) {
                let verb = ["disable", "enable", "enable"][next(3)];
                facts += &format!("|{verb} {module} @{}", day(next(60)));
            }
            let mut today = md(module, next(2) == 0, "");
            for o in 0..5 {
                for _ in 0..next(3) {
                    let a = ["ignored", "unmapped", "1", "2", "3"][next(5)];
                    facts += &format!("|org {module}/o{o} {a} @{}", day(next(60)));
                }
                for bt in ["x", "y"] {
                    let q = next(4) as i64;
                    if q > 0 {
                        today.values.insert((format!("o{o}"), bt.into()), q);
                    }
                }
            }
            usage.push(today);
        }
        (setup(&facts), day(next(70)), usage)
    }

    proptest! {
        #[test]
        fn every_unit_is_billed_failed_or_skipped_once(
            n in prop::collection::vec(any::<u16>(), 1..200)
        ) {
            let (setup, day, usage) = random_case(&n);
            let du = compute_day(&setup, day, &usage);
            let (mut all, mut skipped) = (0, 0);
            for m in &usage {
                for ((org, _), q) in &m.values {
                    all += q;
                    let ignored = setup.org_assignment(&m.module, org, day) == Ignored;
                    if !setup.billing_enabled(&m.module, day) || ignored {
                        skipped += q;
                    }
                }
            }
            let units: Decimal = du.services.values().map(|s| s.units).sum();
            let failed: i64 = du.failures.iter().map(|f| f.quantity).sum();
            prop_assert_eq!(units + Decimal::from(failed + skipped), Decimal::from(all));
            // Each unit went where setup.rs says, on a service of an active contract.
            let key = |module: &str, bt: &str| BillingTypeKey {
                module: module.into(),
                billing_type: bt.into(),
            };
            for (cs, sd) in &du.services {
                let sum: i64 = sd.sources.iter().map(|s| s.quantity).sum();
                prop_assert_eq!(sd.units, Decimal::from(sum));
                for s in &sd.sources {
                    let company = setup.org_company(&s.module, &s.org_id, day).unwrap();
                    let mapped = setup.mapped_service(company, &key(&s.module, &s.billing_type), day);
                    prop_assert_eq!(mapped, Some(*cs));
                }
            }
            for f in &du.failures {
                let Some(company) = f.company_id else { continue };
                let active = setup.active_contracts(company, day).count() > 0;
                prop_assert_eq!(active, f.reason == BillingTypeNotMapped);
                let mapped = setup.mapped_service(company, &key(&f.module, &f.billing_type), day);
                prop_assert_eq!(mapped, None);
            }
        }
    }
}
