//! Companies, tax rates, services, contracts and contract services: the setup billing reads.

use jiff::civil::Date;
use rust_decimal::Decimal;
use unitbill_domain::invoice::TaxRate;
use unitbill_domain::money::{Currency, parse_amount};
use unitbill_domain::rules::{ChangeRule, ContractDays, Timing, check_rule_timing};
use unitbill_domain::setup::{
    BillingSetup, BillingTypeKey, Company, CompanyStatus, Contract, ContractService, ServiceTerms,
    Timeline,
};
use unitbill_domain::usage::FieldError;
use unitbill_store::{
    Changed, CompanyRecord, ContractRecord, ContractServiceRecord, ServiceRecord, TermsChange,
};

use crate::{Engine, EngineError, EngineResult};

/// Collects field errors so a request reports all of them at once.
#[derive(Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    pub fn finish(self) -> EngineResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(EngineError::Invalid(self.0))
        }
    }
}

pub(crate) fn date(field: &str, s: &str) -> EngineResult<Date> {
    crate::ingest::parse_date(field, s)
}

/// A company as an admin enters it.
#[derive(Debug, Clone, Default)]
pub struct CompanyInput {
    pub name: Option<String>,
    pub status: Option<String>,
    pub currency: Option<String>,
    /// Names of tenant tax rates; `[]` = exempt.
    pub tax_rates: Option<Vec<String>>,
    pub payment_terms_days: Option<i64>,
    /// Id of the company whose invoice carries this one's lines; `0` clears it.
    pub bill_to: Option<i64>,
    pub external_ref: Option<String>,
}

fn changed(engine: &Engine, by: &str) -> Changed {
    Changed {
        by: by.to_owned(),
        at: engine.now_text(),
    }
}

/// A service of the catalog.
#[derive(Debug, Clone)]
pub struct ServiceInput {
    pub name: String,
    /// Default unit price (a decimal string, e.g. "4.50").
    pub unit_price: String,
    pub unit_cost: Option<String>,
    pub taxable: bool,
    /// What invoices print; defaults to the name.
    pub description: Option<String>,
}

/// A recurring service contract.
#[derive(Debug, Clone, Default)]
pub struct ContractInput {
    pub company_id: Option<i64>,
    pub name: Option<String>,
    pub start_date: Option<String>,
    /// `""` clears the end date.
    pub end_date: Option<String>,
    /// `arrears` (default) or `advance`.
    pub timing: Option<String>,
    pub purchase_order: Option<String>,
    /// Only `monthly` is supported (integrated billing needs monthly contracts).
    pub period: Option<String>,
}

/// A service added to a contract, or a change of its terms.
#[derive(Debug, Clone, Default)]
pub struct ContractServiceInput {
    pub service_id: Option<i64>,
    pub description: Option<String>,
    pub unit_price: Option<String>,
    pub unit_cost: Option<String>,
    /// `prorated` (default), `end_of_period` or `peak`.
    pub rule: Option<String>,
    /// Daily units of a fixed service (one with no mapping).
    pub fixed_units: Option<String>,
    /// The first day of a period; default: the first day of the open period.
    pub effective_from: Option<String>,
}

impl Engine {
    pub async fn put_tax_rate(
        &self,
        tenant_id: i64,
        name: &str,
        percent: &str,
    ) -> EngineResult<TaxRate> {
        let mut p = Problems::default();
        if name.trim().is_empty() {
            p.add("name", "must not be empty");
        }
        let percent = match parse_amount(percent.trim()) {
            Ok(v) if v >= Decimal::ZERO && v <= Decimal::ONE_HUNDRED => Some(v),
            _ => {
                p.add("percent", "must be a decimal from 0 to 100");
                None
            }
        };
        p.finish()?;
        let rate = TaxRate {
            name: name.trim().to_owned(),
            percent: percent.expect("checked"),
        };
        self.store.put_tax_rate(tenant_id, &rate).await?;
        Ok(rate)
    }

    /// Creates (`id` None) or updates a company, checking the bill-to rules: same currency, one
    /// level deep.
    pub async fn save_company(
        &self,
        tenant_id: i64,
        id: Option<i64>,
        input: &CompanyInput,
    ) -> EngineResult<CompanyRecord> {
        let tenant = self.store.tenant(tenant_id).await?;
        let all = self.store.companies(tenant_id).await?;
        let existing = match id {
            Some(id) => Some(
                all.iter()
                    .find(|c| c.id == id)
                    .cloned()
                    .ok_or_else(|| EngineError::NotFound(format!("company {id}")))?,
            ),
            None => None,
        };
        let mut c = existing.clone().unwrap_or(CompanyRecord {
            id: 0,
            name: String::new(),
            status: CompanyStatus::Active,
            currency: tenant.currency.clone(),
            tax_rates: Vec::new(),
            payment_terms_days: 30,
            bill_to_id: None,
            external_ref: None,
        });
        let mut p = Problems::default();
        if let Some(name) = &input.name {
            c.name = name.trim().to_owned();
        }
        if c.name.is_empty() {
            p.add("name", "is required");
        }
        if let Some(s) = &input.status {
            match CompanyStatus::parse(s) {
                Some(s) => c.status = s,
                None => p.add("status", "must be active, inactive, dead or cancelled"),
            }
        }
        if let Some(cur) = &input.currency {
            match Currency::parse(cur.trim()) {
                Ok(cur) => c.currency = cur.code().to_owned(),
                Err(e) => p.add("currency", e.to_string()),
            }
        }
        if let Some(rates) = &input.tax_rates {
            let known = self.store.tax_rates(tenant_id).await?;
            for r in rates {
                if !known.iter().any(|k| &k.name == r) {
                    p.add(
                        "tax_rates",
                        format!("{r:?} is not a tax rate of this tenant (create it first)"),
                    );
                }
            }
            c.tax_rates = rates.clone();
        }
        if let Some(days) = input.payment_terms_days {
            if !(0..=365).contains(&days) {
                p.add("payment_terms_days", "must be from 0 to 365");
            }
            c.payment_terms_days = days;
        }
        if let Some(r) = &input.external_ref {
            c.external_ref = Some(r.trim().to_owned()).filter(|r| !r.is_empty());
        }
        match input.bill_to {
            Some(0) => c.bill_to_id = None,
            Some(parent_id) => match all.iter().find(|x| x.id == parent_id) {
                None => p.add("bill_to", format!("company {parent_id} does not exist")),
                Some(parent) if parent.id == c.id => {
                    p.add("bill_to", "a company cannot bill to itself")
                }
                Some(parent) if parent.bill_to_id.is_some() => p.add(
                    "bill_to",
                    format!(
                        "{:?} itself bills to another company: bill-to is one level deep",
                        parent.name
                    ),
                ),
                Some(parent) if parent.currency != c.currency => p.add(
                    "bill_to",
                    format!(
                        "{:?} invoices in {}, this company in {}",
                        parent.name, parent.currency, c.currency
                    ),
                ),
                Some(_) if c.id != 0 && all.iter().any(|x| x.bill_to_id == Some(c.id)) => p.add(
                    "bill_to",
                    "other companies bill to this one: bill-to is one level deep",
                ),
                Some(parent) => c.bill_to_id = Some(parent.id),
            },
            None => {}
        }
        p.finish()?;
        Ok(self
            .store
            .save_company(tenant_id, &c, &self.now_text())
            .await?)
    }

    pub async fn create_service(
        &self,
        tenant_id: i64,
        input: &ServiceInput,
    ) -> EngineResult<ServiceRecord> {
        let mut p = Problems::default();
        if input.name.trim().is_empty() {
            p.add("name", "must not be empty");
        }
        let price = parse_amount(input.unit_price.trim());
        if let Err(e) = &price {
            p.add("unit_price", e.to_string());
        }
        let cost = input
            .unit_cost
            .as_deref()
            .map(|c| parse_amount(c.trim()))
            .transpose();
        if let Err(e) = &cost {
            p.add("unit_cost", e.to_string());
        }
        p.finish()?;
        let name = input.name.trim().to_owned();
        Ok(self
            .store
            .create_service(
                tenant_id,
                &ServiceRecord {
                    id: 0,
                    description: input
                        .description
                        .clone()
                        .filter(|d| !d.trim().is_empty())
                        .unwrap_or_else(|| name.clone()),
                    name,
                    unit_price: price.expect("checked"),
                    unit_cost: cost.expect("checked").unwrap_or_default(),
                    taxable: input.taxable,
                },
            )
            .await?)
    }

    /// Creates (`id` None) or updates a monthly recurring service contract.
    pub async fn save_contract(
        &self,
        tenant_id: i64,
        id: Option<i64>,
        input: &ContractInput,
    ) -> EngineResult<ContractRecord> {
        let companies = self.store.companies(tenant_id).await?;
        let contracts = self.store.contracts(tenant_id).await?;
        let mut p = Problems::default();
        if input.period.as_deref().is_some_and(|x| x != "monthly") {
            p.add(
                "period",
                "only monthly contracts are billed from module usage",
            );
        }
        let mut c = match id {
            Some(id) => contracts
                .iter()
                .find(|c| c.id == id)
                .cloned()
                .ok_or_else(|| EngineError::NotFound(format!("contract {id}")))?,
            None => {
                let Some(company_id) = input.company_id else {
                    return Err(EngineError::field("company_id", "is required"));
                };
                let company = companies
                    .iter()
                    .find(|c| c.id == company_id)
                    .ok_or_else(|| {
                        EngineError::field(
                            "company_id",
                            format!("company {company_id} does not exist"),
                        )
                    })?;
                ContractRecord {
                    id: 0,
                    company_id,
                    name: String::new(),
                    start_date: Date::constant(2000, 1, 1),
                    end_date: None,
                    timing: Timing::Arrears,
                    currency: company.currency.clone(),
                    purchase_order: None,
                }
            }
        };
        if id.is_some() && input.company_id.is_some_and(|x| x != c.company_id) {
            p.add("company_id", "a contract cannot move to another company");
        }
        if let Some(n) = &input.name {
            c.name = n.trim().to_owned();
        }
        if c.name.is_empty() {
            c.name = "Managed services".into();
        }
        match (&input.start_date, id) {
            (Some(s), _) => match date("start_date", s) {
                Ok(d) => c.start_date = d,
                Err(_) => p.add("start_date", "must be a date YYYY-MM-DD"),
            },
            (None, None) => p.add("start_date", "is required"),
            (None, Some(_)) => {}
        }
        if let Some(e) = &input.end_date {
            if e.is_empty() {
                c.end_date = None;
            } else {
                match date("end_date", e) {
                    Ok(d) => c.end_date = Some(d),
                    Err(_) => p.add("end_date", "must be a date YYYY-MM-DD"),
                }
            }
        }
        if c.end_date.is_some_and(|e| e < c.start_date) {
            p.add("end_date", "is before the start date");
        }
        if let Some(t) = &input.timing {
            match t.parse::<Timing>() {
                Ok(t) => {
                    if id.is_some()
                        && t != c.timing
                        && self.contract_has_posted_lines(tenant_id, c.id).await?
                    {
                        p.add("timing", "is fixed once the contract has posted lines");
                    }
                    c.timing = t;
                }
                Err(_) => p.add("timing", "must be arrears or advance"),
            }
        }
        if let Some(po) = &input.purchase_order {
            c.purchase_order = Some(po.trim().to_owned()).filter(|x| !x.is_empty());
        }
        if c.timing == Timing::Advance && id.is_some() {
            let setup = self.load_setup(tenant_id).await?;
            if setup.contract_services.values().any(|cs| {
                cs.contract_id == c.id
                    && cs
                        .terms
                        .changes()
                        .iter()
                        .any(|(_, t)| t.rule == ChangeRule::Peak)
            }) {
                p.add(
                    "timing",
                    "a contract with a peak service cannot bill in advance",
                );
            }
        }
        p.finish()?;
        Ok(self
            .store
            .save_contract(tenant_id, &c, &self.now_text())
            .await?)
    }

    /// Adds a service to a contract, effective from the first day of a period.
    pub async fn add_contract_service(
        &self,
        tenant_id: i64,
        contract_id: i64,
        input: &ContractServiceInput,
        actor: &str,
    ) -> EngineResult<ContractServiceRecord> {
        let contract = self.contract(tenant_id, contract_id).await?;
        let Some(service_id) = input.service_id else {
            return Err(EngineError::field("service_id", "is required"));
        };
        let service = self
            .store
            .services(tenant_id)
            .await?
            .into_iter()
            .find(|s| s.id == service_id)
            .ok_or_else(|| {
                EngineError::field("service_id", format!("service {service_id} does not exist"))
            })?;
        let base = ServiceTerms {
            unit_price: service.unit_price,
            unit_cost: service.unit_cost,
            rule: ChangeRule::Prorated,
            fixed_units: Decimal::ZERO,
        };
        let (from, terms) = self
            .terms_from_input(tenant_id, contract.timing, base, input)
            .await?;
        let cs = ContractServiceRecord {
            id: 0,
            contract_id,
            service_id,
            description: input
                .description
                .clone()
                .filter(|d| !d.trim().is_empty())
                .unwrap_or(service.description),
            active_from: from,
        };
        let change = TermsChange {
            contract_service_id: 0,
            effective_from: from,
            terms,
            changed: changed(self, actor),
        };
        let added = self
            .store
            .add_contract_service(tenant_id, &cs, &change)
            .await?;
        Ok(added)
    }

    /// Changes a contract service's price, cost, rule or fixed units from a period on.
    pub async fn change_contract_service(
        &self,
        tenant_id: i64,
        cs_id: i64,
        input: &ContractServiceInput,
        actor: &str,
    ) -> EngineResult<ServiceTerms> {
        let setup = self.load_setup(tenant_id).await?;
        let cs = setup
            .contract_services
            .get(&cs_id)
            .ok_or_else(|| EngineError::NotFound(format!("contract service {cs_id}")))?;
        let contract = &setup.contracts[&cs.contract_id];
        let from_hint = match &input.effective_from {
            Some(s) => date("effective_from", s)?,
            None => self.default_effective_date(tenant_id).await?,
        };
        let base = cs
            .terms
            .at(from_hint)
            .or(cs.terms.changes().last().map(|(_, t)| t))
            .cloned()
            .expect("a contract service has terms");
        let (from, terms) = self
            .terms_from_input(tenant_id, contract.timing, base, input)
            .await?;
        self.store
            .add_terms_change(
                tenant_id,
                &TermsChange {
                    contract_service_id: cs_id,
                    effective_from: from,
                    terms: terms.clone(),
                    changed: changed(self, actor),
                },
            )
            .await?;
        Ok(terms)
    }

    async fn terms_from_input(
        &self,
        tenant_id: i64,
        timing: Timing,
        mut t: ServiceTerms,
        input: &ContractServiceInput,
    ) -> EngineResult<(Date, ServiceTerms)> {
        let mut p = Problems::default();
        for (field, value, slot) in [
            ("unit_price", &input.unit_price, &mut t.unit_price),
            ("unit_cost", &input.unit_cost, &mut t.unit_cost),
            ("fixed_units", &input.fixed_units, &mut t.fixed_units),
        ] {
            if let Some(v) = value {
                match parse_amount(v.trim()) {
                    Ok(d) if field == "fixed_units" && d < Decimal::ZERO => {
                        p.add(field, "must not be negative")
                    }
                    Ok(d) => *slot = d,
                    Err(e) => p.add(field, e.to_string()),
                }
            }
        }
        if let Some(r) = &input.rule {
            match r.parse::<ChangeRule>() {
                Ok(r) => t.rule = r,
                Err(_) => p.add("rule", "must be prorated, end_of_period or peak"),
            }
        }
        if let Err(e) = check_rule_timing(t.rule, timing) {
            p.add("rule", e.to_string());
        }
        let from = match &input.effective_from {
            Some(s) => match date("effective_from", s) {
                Ok(d) if d.day() == 1 => d,
                Ok(_) => {
                    p.add(
                        "effective_from",
                        "terms change from the first day of a period",
                    );
                    Date::constant(2000, 1, 1)
                }
                Err(_) => {
                    p.add("effective_from", "must be a date YYYY-MM-DD");
                    Date::constant(2000, 1, 1)
                }
            },
            None => self.default_effective_date(tenant_id).await?,
        };
        p.finish()?;
        Ok((from, t))
    }

    pub(crate) async fn contract(&self, tenant_id: i64, id: i64) -> EngineResult<ContractRecord> {
        self.store
            .contracts(tenant_id)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| EngineError::NotFound(format!("contract {id}")))
    }

    /// The tenant's setup as the sync and the invoice run read it: a handful of queries.
    pub async fn load_setup(&self, tenant_id: i64) -> EngineResult<BillingSetup> {
        let rates = self.store.tax_rates(tenant_id).await?;
        let mut setup = BillingSetup::default();
        for c in self.store.companies(tenant_id).await? {
            let currency =
                Currency::parse(&c.currency).map_err(|e| EngineError::Conflict(e.to_string()))?;
            let tax_rates = c
                .tax_rates
                .iter()
                .filter_map(|n| rates.iter().find(|r| &r.name == n).cloned())
                .collect();
            setup.companies.insert(
                c.id,
                Company {
                    id: c.id,
                    name: c.name,
                    status: c.status,
                    currency,
                    tax_rates,
                    payment_terms_days: c.payment_terms_days,
                    bill_to: c.bill_to_id,
                },
            );
        }
        for c in self.store.contracts(tenant_id).await? {
            let currency =
                Currency::parse(&c.currency).map_err(|e| EngineError::Conflict(e.to_string()))?;
            setup.contracts.insert(
                c.id,
                Contract {
                    id: c.id,
                    company_id: c.company_id,
                    name: c.name,
                    days: ContractDays {
                        start: c.start_date,
                        end: c.end_date,
                    },
                    timing: c.timing,
                    currency,
                    purchase_order: c.purchase_order,
                },
            );
        }
        let services = self.store.services(tenant_id).await?;
        for cs in self.store.contract_services(tenant_id).await? {
            let taxable = services
                .iter()
                .find(|s| s.id == cs.service_id)
                .is_none_or(|s| s.taxable);
            setup.contract_services.insert(
                cs.id,
                ContractService {
                    id: cs.id,
                    contract_id: cs.contract_id,
                    service_id: cs.service_id,
                    description: cs.description,
                    taxable,
                    active_from: cs.active_from,
                    terms: Timeline::default(),
                },
            );
        }
        for t in self.store.terms_changes(tenant_id).await? {
            if let Some(cs) = setup.contract_services.get_mut(&t.contract_service_id) {
                cs.terms.set_from(t.effective_from, t.terms);
            }
        }
        for m in self.store.org_mapping_changes(tenant_id).await? {
            setup
                .org_mappings
                .entry((m.module_code, m.org_id))
                .or_default()
                .set_from(m.effective_from, m.assignment);
        }
        for m in self.store.service_mapping_changes(tenant_id).await? {
            setup
                .service_mappings
                .entry(m.contract_id)
                .or_default()
                .entry(BillingTypeKey {
                    module: m.module_code,
                    billing_type: m.billing_type,
                })
                .or_default()
                .set_from(m.effective_from, m.contract_service_id);
        }
        for m in self.store.module_billing_changes(tenant_id).await? {
            setup
                .billing_enabled
                .entry(m.module_code)
                .or_default()
                .set_from(m.effective_from, m.enabled);
        }
        Ok(setup)
    }
}
