//! Companies: the list, the create and edit form (status, currency, tax rates, terms, bill-to),
//! and the company page with its contracts, the organizations mapped to it per module, a unit
//! history chart per contract service (last 90 days, stale days marked) and its activity log
//! over the same days (most recent first, 50 rows a page, `?failed=1` for the failed ones).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::Deserialize;
use unitbill_domain::setup::{BillingSetup, CompanyStatus, OrgAssignment};
use unitbill_engine::EngineError;
use unitbill_engine::setup::{CompanyInput, ContractInput};
use unitbill_store::{CompanyRecord, Role};

use super::charts::{DayPoint, StepChart, step_chart, units_text};
use super::{
    Ctx, Errors, FormData, Layout, UiResult, day_text, dec, module_names, money, render,
    render_invalid,
};

/// Days of unit history the company page draws.
const HISTORY_DAYS: i64 = 90;
/// Activity rows per page of the company's log.
const ACTIVITY_PAGE: usize = 50;

const STATUSES: [CompanyStatus; 4] = [
    CompanyStatus::Active,
    CompanyStatus::Inactive,
    CompanyStatus::Dead,
    CompanyStatus::Cancelled,
];

struct CompanyListRow {
    id: i64,
    name: String,
    status: &'static str,
    currency: String,
    tax: String,
    terms: i64,
    bill_to: String,
    contracts: usize,
    orgs: usize,
}

#[derive(Template)]
#[template(path = "companies.html")]
struct CompaniesPage {
    layout: Layout,
    rows: Vec<CompanyListRow>,
}

fn tax_text(c: &CompanyRecord) -> String {
    if c.tax_rates.is_empty() {
        "exempt".to_owned()
    } else {
        c.tax_rates.join(", ")
    }
}

pub(crate) async fn list(ctx: Ctx) -> UiResult {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let companies = engine.companies(t).await?;
    let contracts = engine.contracts(t).await?;
    let setup = engine.load_setup(t).await?;
    let names: BTreeMap<i64, String> = companies.iter().map(|c| (c.id, c.name.clone())).collect();
    let mut orgs_per: BTreeMap<i64, usize> = BTreeMap::new();
    for (module, org) in setup.org_mappings.keys() {
        if let Some(c) = setup.org_company(module, org, ctx.view_day) {
            *orgs_per.entry(c).or_default() += 1;
        }
    }
    let mut rows: Vec<CompanyListRow> = companies
        .iter()
        .map(|c| CompanyListRow {
            id: c.id,
            name: c.name.clone(),
            status: c.status.as_str(),
            currency: c.currency.clone(),
            tax: tax_text(c),
            terms: c.payment_terms_days,
            bill_to: c
                .bill_to_id
                .and_then(|p| names.get(&p).cloned())
                .unwrap_or_default(),
            contracts: contracts.iter().filter(|k| k.company_id == c.id).count(),
            orgs: orgs_per.get(&c.id).copied().unwrap_or(0),
        })
        .collect();
    rows.sort_by_key(|a| a.name.to_lowercase());
    render(&CompaniesPage {
        layout: ctx.layout("Companies", "companies"),
        rows,
    })
}

struct RateOption {
    name: String,
    percent: String,
    checked: bool,
}

struct ParentOption {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "company_form.html")]
struct CompanyFormPage {
    layout: Layout,
    id: i64,
    name: String,
    status: String,
    statuses: Vec<&'static str>,
    currency: String,
    rates: Vec<RateOption>,
    terms: String,
    bill_to: String,
    parents: Vec<ParentOption>,
    external_ref: String,
    errors: Errors,
}

impl CompanyPage {
    /// The log's address for a page, keeping the filter.
    fn activity_url(&self, page: usize) -> String {
        let mut q = Vec::new();
        if self.failed_only {
            q.push("failed=1".to_owned());
        }
        if page > 1 {
            q.push(format!("page={page}"));
        }
        format!(
            "/companies/{}{}{}#activity",
            self.id,
            if q.is_empty() { "" } else { "?" },
            q.join("&")
        )
    }
}

impl CompanyFormPage {
    fn is_status(&self, s: &str) -> bool {
        self.status == s
    }

    fn action(&self) -> String {
        if self.id == 0 {
            "/companies/new".to_owned()
        } else {
            format!("/companies/{}/edit", self.id)
        }
    }
}

async fn form_page(ctx: &Ctx, company: Option<&CompanyRecord>) -> UiResult<CompanyFormPage> {
    let engine = ctx.engine();
    let rates = engine.tax_rates(ctx.tenant_id()).await?;
    let companies = engine.companies(ctx.tenant_id()).await?;
    let id = company.map_or(0, |c| c.id);
    let mut parents: Vec<ParentOption> = companies
        .iter()
        .filter(|c| c.id != id && c.bill_to_id.is_none())
        .map(|c| ParentOption {
            id: c.id.to_string(),
            name: c.name.clone(),
        })
        .collect();
    parents.sort_by_key(|a| a.name.to_lowercase());
    Ok(CompanyFormPage {
        layout: ctx.layout(
            company.map_or("New company".to_owned(), |c| format!("Edit {}", c.name)),
            "companies",
        ),
        id,
        name: company.map(|c| c.name.clone()).unwrap_or_default(),
        status: company.map_or("active", |c| c.status.as_str()).to_owned(),
        statuses: STATUSES.iter().map(|s| s.as_str()).collect(),
        currency: company.map_or(ctx.tenant.currency.clone(), |c| c.currency.clone()),
        rates: rates
            .iter()
            .map(|r| RateOption {
                name: r.name.clone(),
                percent: r.percent.normalize().to_string(),
                checked: company.is_some_and(|c| c.tax_rates.contains(&r.name)),
            })
            .collect(),
        terms: company.map_or(30, |c| c.payment_terms_days).to_string(),
        bill_to: company
            .and_then(|c| c.bill_to_id)
            .map(|b| b.to_string())
            .unwrap_or_default(),
        parents,
        external_ref: company
            .and_then(|c| c.external_ref.clone())
            .unwrap_or_default(),
        errors: Errors::default(),
    })
}

async fn company(ctx: &Ctx, id: i64) -> UiResult<CompanyRecord> {
    ctx.engine()
        .companies(ctx.tenant_id())
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| EngineError::NotFound(format!("company {id}")).into())
}

pub(crate) async fn new_form(ctx: Ctx) -> UiResult {
    render(&form_page(&ctx, None).await?)
}

pub(crate) async fn edit_form(ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    let c = company(&ctx, id).await?;
    render(&form_page(&ctx, Some(&c)).await?)
}

const COMPANY_FIELDS: [&str; 7] = [
    "name",
    "status",
    "currency",
    "tax_rates",
    "payment_terms_days",
    "bill_to",
    "external_ref",
];

async fn save(ctx: Ctx, id: Option<i64>, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let existing = match id {
        Some(id) => Some(company(&ctx, id).await?),
        None => None,
    };
    let mut errors = Errors::default();
    let terms = form.text("payment_terms_days");
    let payment_terms_days = match terms.parse::<i64>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.field("payment_terms_days", "must be a whole number of days");
            None
        }
    };
    let bill_to = form.text("bill_to");
    let input = CompanyInput {
        name: Some(form.text("name")),
        status: Some(form.text("status")),
        currency: Some(form.text("currency").to_uppercase()),
        tax_rates: Some(form.all("tax_rates")),
        payment_terms_days,
        bill_to: Some(bill_to.parse().unwrap_or(0)),
        external_ref: Some(form.text("external_ref")),
    };
    if !errors.any() {
        match ctx.engine().save_company(ctx.tenant_id(), id, &input).await {
            Ok(c) => {
                return ctx.done(
                    &format!("/companies/{}", c.id),
                    &format!(
                        "{} {}.",
                        c.name,
                        if id.is_some() { "saved" } else { "created" }
                    ),
                );
            }
            Err(e) => errors = Errors::from_engine(e, &COMPANY_FIELDS)?,
        }
    }
    let mut page = form_page(&ctx, existing.as_ref()).await?;
    let selected = form.all("tax_rates");
    for r in &mut page.rates {
        r.checked = selected.contains(&r.name);
    }
    page.name = form.text("name");
    page.status = form.text("status");
    page.currency = form.text("currency");
    page.terms = terms;
    page.bill_to = bill_to;
    page.external_ref = form.text("external_ref");
    page.errors = errors;
    let url = page.action();
    render_invalid(&url, &page)
}

pub(crate) async fn create(ctx: Ctx, form: FormData) -> UiResult {
    save(ctx, None, form).await
}

pub(crate) async fn update(ctx: Ctx, Path(id): Path<i64>, form: FormData) -> UiResult {
    save(ctx, Some(id), form).await
}

struct ContractRow {
    id: i64,
    name: String,
    start: String,
    end: String,
    timing: &'static str,
    purchase_order: String,
    services: usize,
    active: bool,
}

struct MappedOrg {
    id: String,
    name: String,
    since: String,
}

struct MappedModule {
    code: String,
    name: String,
    orgs: Vec<MappedOrg>,
}

struct Link {
    id: i64,
    name: String,
}

/// One contract service's unit history.
struct History {
    id: i64,
    description: String,
    contract_id: i64,
    contract: String,
    rule: &'static str,
    latest: String,
    chart: StepChart,
}

struct ActivityRow {
    day: String,
    module: String,
    billing_type: String,
    service: String,
    status: String,
    change: String,
    reason: String,
    at_stake: String,
}

/// Why a failed activity row bills nothing, for people.
pub(crate) fn reason_text(reason: &str) -> &'static str {
    match reason {
        "org_not_mapped" => "organization not mapped",
        "billing_type_not_mapped" => "billing type not mapped to a contract service",
        "no_active_contract" => "no active monthly contract",
        _ => "not billed",
    }
}

/// The unit history of one contract service over `[from, to]`, for a chart: stored days as
/// they are; days synced but not stored count 0 while the service is on its contract.
pub(crate) async fn history_points(
    ctx: &Ctx,
    setup: &BillingSetup,
    cs_id: i64,
    from: Date,
    to: Date,
    synced: Option<Date>,
) -> UiResult<Vec<DayPoint>> {
    let rows = ctx
        .engine()
        .unit_history(ctx.tenant_id(), Some(cs_id), from, to)
        .await?;
    let by_day: BTreeMap<Date, (rust_decimal::Decimal, bool)> =
        rows.iter().map(|r| (r.day, (r.units, r.stale))).collect();
    let cs = setup.contract_services.get(&cs_id);
    let contract = cs.and_then(|c| setup.contracts.get(&c.contract_id));
    let on_contract = |d: Date| {
        cs.is_some_and(|c| d >= c.active_from) && contract.is_some_and(|k| k.days.contains(d))
    };
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        let (units, stale) = match by_day.get(&d) {
            Some((u, s)) => (Some(*u), *s),
            None if synced.is_some_and(|s| d <= s) && on_contract(d) => {
                (Some(rust_decimal::Decimal::ZERO), false)
            }
            None => (None, false),
        };
        out.push(DayPoint {
            day: d,
            units,
            stale,
        });
        d = match d.tomorrow() {
            Ok(n) => n,
            Err(_) => break,
        };
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    layout: Layout,
    id: i64,
    name: String,
    status: &'static str,
    currency: String,
    tax: String,
    terms: i64,
    external_ref: String,
    bill_to: Option<Link>,
    children: Vec<Link>,
    contracts: Vec<ContractRow>,
    modules: Vec<MappedModule>,
    histories: Vec<History>,
    history_from: String,
    history_to: String,
    synced_through: String,
    activity: Vec<ActivityRow>,
    failed_only: bool,
    /// The page of the log shown (1 = the most recent rows), and whether older rows exist.
    activity_page: usize,
    activity_older: bool,
    activity_first_row: usize,
    /// The new-contract form.
    c_name: String,
    c_start: String,
    c_end: String,
    c_timing: String,
    c_po: String,
    errors: Errors,
}

async fn company_page(ctx: &Ctx, id: i64, failed_only: bool, page: usize) -> UiResult<CompanyPage> {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let c = company(ctx, id).await?;
    let companies = engine.companies(t).await?;
    let setup = engine.load_setup(t).await?;
    let contract_services = engine.contract_services(t).await?;
    let connected = engine.connected_modules(t).await?;
    let mut contracts: Vec<ContractRow> = engine
        .contracts(t)
        .await?
        .into_iter()
        .filter(|k| k.company_id == id)
        .map(|k| ContractRow {
            id: k.id,
            start: k.start_date.to_string(),
            end: k.end_date.map(|d| d.to_string()).unwrap_or_default(),
            timing: k.timing.as_str(),
            purchase_order: k.purchase_order.clone().unwrap_or_default(),
            services: contract_services
                .iter()
                .filter(|s| s.contract_id == k.id)
                .count(),
            active: k.start_date <= ctx.view_day && k.end_date.is_none_or(|e| e >= ctx.view_day),
            name: k.name,
        })
        .collect();
    contracts.sort_by(|a, b| b.start.cmp(&a.start));
    let orgs = engine.module_orgs(t, None).await?;
    let mut modules: Vec<MappedModule> = Vec::new();
    for m in &connected {
        let mapped: Vec<MappedOrg> = orgs
            .iter()
            .filter(|o| o.module_code == m.module_code)
            .filter(|o| {
                setup.org_assignment(&o.module_code, &o.org_id, ctx.view_day)
                    == OrgAssignment::Mapped(id)
            })
            .map(|o| MappedOrg {
                id: o.org_id.clone(),
                name: o.name.clone(),
                since: setup
                    .org_mappings
                    .get(&(o.module_code.clone(), o.org_id.clone()))
                    .and_then(|tl| {
                        tl.changes()
                            .iter()
                            .filter(|(d, _)| *d <= ctx.view_day)
                            .max_by_key(|(d, _)| *d)
                    })
                    .map(|(d, _)| day_text(*d))
                    .unwrap_or_default(),
            })
            .collect();
        if !mapped.is_empty() {
            modules.push(MappedModule {
                code: m.module_code.clone(),
                name: m.name.clone(),
                orgs: mapped,
            });
        }
    }
    // Unit history: the last 90 days through yesterday.
    let to = ctx.today.yesterday().unwrap_or(ctx.today);
    let from = to.checked_sub((HISTORY_DAYS - 1).days()).unwrap_or(to);
    let synced = engine.sync_state(t).await?.synced_through;
    let mut histories = Vec::new();
    let mut company_cs: Vec<&unitbill_domain::setup::ContractService> = setup
        .contract_services
        .values()
        .filter(|cs| {
            setup
                .contracts
                .get(&cs.contract_id)
                .is_some_and(|k| k.company_id == id)
        })
        .collect();
    company_cs.sort_by_key(|cs| (cs.contract_id, cs.id));
    for cs in company_cs {
        let contract = &setup.contracts[&cs.contract_id];
        let mut points = history_points(ctx, &setup, cs.id, from, to, synced).await?;
        // Days before the service's first units are left out (a month is always drawn).
        if let Some(first) = points.iter().position(|p| p.units.is_some()) {
            points.drain(..first.min(points.len().saturating_sub(30)));
        }
        let latest = points
            .iter()
            .rev()
            .find_map(|p| p.units.map(|u| (p.day, u)))
            .map(|(d, u)| format!("{} on {d}", units_text(u)))
            .unwrap_or_default();
        let rule = cs
            .terms
            .at(to)
            .or(cs.terms.changes().last().map(|(_, t)| t))
            .map(|t| super::contracts::rule_label(t.rule))
            .unwrap_or("");
        histories.push(History {
            id: cs.id,
            description: cs.description.clone(),
            contract_id: contract.id,
            contract: contract.name.clone(),
            rule,
            latest,
            chart: step_chart(&points),
        });
    }
    // Activity: most recent first, fetched backwards in windows until enough rows.
    let names = module_names(ctx).await?;
    let cs_names: BTreeMap<i64, String> = setup
        .contract_services
        .values()
        .map(|cs| (cs.id, cs.description.clone()))
        .collect();
    let page = page.max(1);
    let wanted = page * ACTIVITY_PAGE + 1;
    let mut records = Vec::new();
    let mut window_end = to;
    while window_end >= from && records.len() < wanted {
        let window_start = window_end.checked_sub(14.days()).unwrap_or(from).max(from);
        let mut chunk: Vec<unitbill_store::ActivityRecord> = engine
            .activity(t, window_start, window_end, failed_only)
            .await?
            .into_iter()
            .filter(|a| a.company_id == Some(id))
            .collect();
        chunk.sort_by_key(|a| std::cmp::Reverse(a.day));
        records.extend(chunk);
        window_end = match window_start.yesterday() {
            Ok(d) => d,
            Err(_) => break,
        };
    }
    let activity_older = records.len() > page * ACTIVITY_PAGE;
    let activity = records
        .into_iter()
        .skip((page - 1) * ACTIVITY_PAGE)
        .take(ACTIVITY_PAGE)
        .map(|a| ActivityRow {
            day: a.day.to_string(),
            module: names
                .get(&a.module_code)
                .cloned()
                .unwrap_or(a.module_code.clone()),
            billing_type: a.billing_type,
            service: a
                .contract_service_id
                .and_then(|cs| cs_names.get(&cs).cloned())
                .unwrap_or_default(),
            change: if a.previous_units == a.units {
                a.units.to_string()
            } else {
                format!("{} → {}", a.previous_units, a.units)
            },
            reason: a
                .reason
                .as_deref()
                .map(reason_text)
                .unwrap_or("")
                .to_owned(),
            at_stake: a
                .amount_at_stake
                .as_deref()
                .map(|x| money(dec(x), &c.currency))
                .unwrap_or_default(),
            status: a.status,
        })
        .collect();
    let month_start = ctx.today.first_of_month();
    Ok(CompanyPage {
        histories,
        history_from: from.to_string(),
        history_to: to.to_string(),
        synced_through: synced.map(|d| d.to_string()).unwrap_or_default(),
        activity,
        failed_only,
        activity_page: page,
        activity_older,
        activity_first_row: (page - 1) * ACTIVITY_PAGE + 1,
        layout: ctx.layout(c.name.clone(), "companies"),
        id,
        status: c.status.as_str(),
        currency: c.currency.clone(),
        tax: tax_text(&c),
        terms: c.payment_terms_days,
        external_ref: c.external_ref.clone().unwrap_or_default(),
        bill_to: c.bill_to_id.and_then(|p| {
            companies.iter().find(|x| x.id == p).map(|x| Link {
                id: x.id,
                name: x.name.clone(),
            })
        }),
        children: companies
            .iter()
            .filter(|x| x.bill_to_id == Some(id))
            .map(|x| Link {
                id: x.id,
                name: x.name.clone(),
            })
            .collect(),
        contracts,
        modules,
        name: c.name,
        c_name: "Managed services".to_owned(),
        c_start: month_start.to_string(),
        c_end: String::new(),
        c_timing: "arrears".to_owned(),
        c_po: String::new(),
        errors: Errors::default(),
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct CompanyQuery {
    failed: Option<String>,
    page: Option<String>,
}

pub(crate) async fn show(ctx: Ctx, Path(id): Path<i64>, Query(q): Query<CompanyQuery>) -> UiResult {
    let failed_only = q.failed.is_some_and(|f| f == "1" || f == "true");
    let page = q.page.and_then(|p| p.parse().ok()).unwrap_or(1);
    render(&company_page(&ctx, id, failed_only, page).await?)
}

/// Creates a monthly contract for the company and opens it.
pub(crate) async fn create_contract(ctx: Ctx, Path(id): Path<i64>, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let input = ContractInput {
        company_id: Some(id),
        name: form.get("name"),
        start_date: form.get("start_date"),
        end_date: form.get("end_date"),
        timing: form.get("timing"),
        purchase_order: form.get("purchase_order"),
        period: Some("monthly".to_owned()),
    };
    match ctx
        .engine()
        .save_contract(ctx.tenant_id(), None, &input)
        .await
    {
        Ok(c) => ctx.done(
            &format!("/contracts/{}", c.id),
            &format!("Contract {} created: add its services.", c.name),
        ),
        Err(e) => {
            let mut page = company_page(&ctx, id, false, 1).await?;
            page.errors = Errors::from_engine(
                e,
                &["name", "start_date", "end_date", "timing", "purchase_order"],
            )?;
            page.c_name = form.text("name");
            page.c_start = form.text("start_date");
            page.c_end = form.text("end_date");
            page.c_timing = form.text("timing");
            page.c_po = form.text("purchase_order");
            render_invalid(&format!("/companies/{id}"), &page)
        }
    }
}
