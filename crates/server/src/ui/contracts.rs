//! The contract page: its contract services (add one with price, rule, fixed units, from a
//! month) and its service mapping, one section per module with orgs mapped to the company,
//! each billing type to a contract service.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::Path;
use unitbill_domain::rules::ChangeRule;
use unitbill_domain::setup::{BillingSetup, BillingTypeKey, OrgAssignment};
use unitbill_engine::EngineError;
use unitbill_engine::mapping::ServiceMappingInput;
use unitbill_engine::setup::ContractServiceInput;
use unitbill_store::Role;

use super::{Ctx, Errors, FormData, Layout, UiResult, day_text, render, render_invalid};

pub(crate) fn rule_label(rule: ChangeRule) -> &'static str {
    match rule {
        ChangeRule::Prorated => "Prorated daily",
        ChangeRule::EndOfPeriod => "Adjusted at month end",
        ChangeRule::Peak => "Peak of the month",
    }
}

struct CsRow {
    id: i64,
    description: String,
    service: String,
    unit_price: String,
    unit_cost: String,
    rule: &'static str,
    fixed_units: String,
    active_from: String,
    mapped: String,
}

struct ServiceOption {
    id: String,
    name: String,
    price: String,
}

struct RuleOption {
    value: &'static str,
    label: &'static str,
}

struct TypeRow {
    code: String,
    name: String,
    unit: &'static str,
    /// The contract service id mapped on the day shown, or empty.
    selected: String,
    error: String,
}

struct MapSection {
    code: String,
    name: String,
    orgs: usize,
    types: Vec<TypeRow>,
}

struct CsOption {
    id: String,
    label: String,
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage {
    layout: Layout,
    id: i64,
    name: String,
    company_id: i64,
    company: String,
    start: String,
    end: String,
    timing: &'static str,
    currency: String,
    purchase_order: String,
    services: Vec<CsRow>,
    catalog: Vec<ServiceOption>,
    rules: Vec<RuleOption>,
    /// The add-service form as typed.
    f_service: String,
    f_price: String,
    f_cost: String,
    f_rule: String,
    f_fixed: String,
    f_from: String,
    f_description: String,
    errors: Errors,
    default_from_text: String,
    default_from: String,
    sections: Vec<MapSection>,
    cs_options: Vec<CsOption>,
    map_from: String,
    map_errors_for: String,
    map_errors: Errors,
}

impl ContractPage {
    fn is_rule(&self, r: &str) -> bool {
        self.f_rule == r
    }
    fn is_service(&self, id: &str) -> bool {
        self.f_service == id
    }
    fn map_default(&self) -> String {
        self.default_from.clone()
    }
}

fn mapped_cs(
    setup: &BillingSetup,
    contract: i64,
    key: &BillingTypeKey,
    day: jiff::civil::Date,
) -> Option<i64> {
    setup
        .service_mappings
        .get(&contract)
        .and_then(|m| m.get(key))
        .and_then(|t| t.at(day))
        .copied()
        .flatten()
}

async fn contract_page(ctx: &Ctx, id: i64) -> UiResult<ContractPage> {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let setup = engine.load_setup(t).await?;
    let contract = engine
        .contracts(t)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| EngineError::NotFound(format!("contract {id}")))?;
    let company = setup
        .companies
        .get(&contract.company_id)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let catalog_services = engine.services(t).await?;
    let day = ctx.view_day;
    // Which (module, billing type) map to each contract service of this contract.
    let mut mapped_to: Vec<(i64, String)> = Vec::new();
    if let Some(m) = setup.service_mappings.get(&id) {
        for (key, tl) in m {
            if let Some(Some(cs)) = tl.at(day) {
                mapped_to.push((*cs, format!("{} / {}", key.module, key.billing_type)));
            }
        }
    }
    let services: Vec<CsRow> = setup
        .contract_services
        .values()
        .filter(|cs| cs.contract_id == id)
        .filter_map(|cs| {
            let terms = cs
                .terms
                .at(day)
                .or(cs.terms.changes().last().map(|(_, t)| t))
                .cloned()?;
            let mapped: Vec<&str> = mapped_to
                .iter()
                .filter(|(c, _)| *c == cs.id)
                .map(|(_, k)| k.as_str())
                .collect();
            Some(CsRow {
                id: cs.id,
                description: cs.description.clone(),
                service: catalog_services
                    .iter()
                    .find(|s| s.id == cs.service_id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                unit_price: terms.unit_price.to_string(),
                unit_cost: terms.unit_cost.to_string(),
                rule: rule_label(terms.rule),
                fixed_units: terms.fixed_units.normalize().to_string(),
                active_from: day_text(cs.active_from),
                mapped: if mapped.is_empty() {
                    "fixed (no billing type mapped)".to_owned()
                } else {
                    mapped.join(", ")
                },
            })
        })
        .collect();
    let cs_options = services
        .iter()
        .map(|s| CsOption {
            id: s.id.to_string(),
            label: format!("{} · {} · {}", s.description, s.unit_price, s.rule),
        })
        .collect();
    // Sections: modules with orgs mapped to the company, and modules this contract maps.
    let orgs = engine.module_orgs(t, None).await?;
    let mut modules: BTreeSet<String> = orgs
        .iter()
        .filter(|o| {
            setup.org_assignment(&o.module_code, &o.org_id, day)
                == OrgAssignment::Mapped(contract.company_id)
        })
        .map(|o| o.module_code.clone())
        .collect();
    if let Some(m) = setup.service_mappings.get(&id) {
        modules.extend(m.keys().map(|k| k.module.clone()));
    }
    let mut sections = Vec::new();
    for code in modules {
        let Ok(def) = engine.module_definition(t, &code).await else {
            continue;
        };
        sections.push(MapSection {
            orgs: orgs
                .iter()
                .filter(|o| {
                    o.module_code == code
                        && setup.org_assignment(&o.module_code, &o.org_id, day)
                            == OrgAssignment::Mapped(contract.company_id)
                })
                .count(),
            types: def
                .billing_types
                .iter()
                .map(|b| TypeRow {
                    code: b.code.to_string(),
                    name: b.name.clone(),
                    unit: b.unit.as_str(),
                    selected: mapped_cs(
                        &setup,
                        id,
                        &BillingTypeKey {
                            module: code.clone(),
                            billing_type: b.code.to_string(),
                        },
                        day,
                    )
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                    error: String::new(),
                })
                .collect(),
            name: def.name,
            code,
        });
    }
    let mut catalog: Vec<ServiceOption> = catalog_services
        .iter()
        .map(|s| ServiceOption {
            id: s.id.to_string(),
            name: s.name.clone(),
            price: s.unit_price.to_string(),
        })
        .collect();
    catalog.sort_by_key(|a| a.name.to_lowercase());
    Ok(ContractPage {
        layout: ctx.layout(format!("{} · {company}", contract.name), "companies"),
        id,
        name: contract.name,
        company_id: contract.company_id,
        company,
        start: contract.start_date.to_string(),
        end: contract.end_date.map(|d| d.to_string()).unwrap_or_default(),
        timing: contract.timing.as_str(),
        currency: contract.currency,
        purchase_order: contract.purchase_order.unwrap_or_default(),
        services,
        catalog,
        rules: ChangeRule::ALL
            .iter()
            .map(|r| RuleOption {
                value: r.as_str(),
                label: rule_label(*r),
            })
            .collect(),
        f_service: String::new(),
        f_price: String::new(),
        f_cost: String::new(),
        f_rule: "prorated".to_owned(),
        f_fixed: String::new(),
        f_from: ctx.default_from.to_string(),
        f_description: String::new(),
        errors: Errors::default(),
        default_from_text: day_text(ctx.default_from),
        default_from: ctx.default_from.to_string(),
        sections,
        cs_options,
        map_from: ctx.default_from.to_string(),
        map_errors_for: String::new(),
        map_errors: Errors::default(),
    })
}

pub(crate) async fn page(ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    render(&contract_page(&ctx, id).await?)
}

/// Adds a contract service (service, price, rule, fixed units, from the first day of a month).
pub(crate) async fn add_service(ctx: Ctx, Path(id): Path<i64>, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let service_id = form.get("service_id").and_then(|s| s.parse().ok());
    let input = ContractServiceInput {
        service_id,
        description: form.get("description"),
        unit_price: form.get("unit_price"),
        unit_cost: form.get("unit_cost"),
        rule: form.get("rule"),
        fixed_units: form.get("fixed_units"),
        effective_from: form.get("effective_from"),
    };
    match ctx
        .engine()
        .add_contract_service(ctx.tenant_id(), id, &input, &ctx.actor())
        .await
    {
        Ok(cs) => ctx.done(
            &format!("/contracts/{id}"),
            &format!(
                "{} added from {}.",
                cs.description,
                day_text(cs.active_from)
            ),
        ),
        Err(e) => {
            let mut page = contract_page(&ctx, id).await?;
            page.errors = Errors::from_engine(
                e,
                &[
                    "service_id",
                    "description",
                    "unit_price",
                    "unit_cost",
                    "rule",
                    "fixed_units",
                    "effective_from",
                ],
            )?;
            page.f_service = form.text("service_id");
            page.f_price = form.text("unit_price");
            page.f_cost = form.text("unit_cost");
            page.f_rule = form.text("rule");
            page.f_fixed = form.text("fixed_units");
            page.f_from = form.text("effective_from");
            page.f_description = form.text("description");
            render_invalid(&format!("/contracts/{id}"), &page)
        }
    }
}

/// Saves one module's section of the service mapping: each billing type whose contract
/// service changed is mapped (or unmapped) from the date given.
pub(crate) async fn map_services(ctx: Ctx, Path(id): Path<i64>, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let module = form.text("module");
    let effective_from = form.get("effective_from");
    let page = contract_page(&ctx, id).await?;
    let Some(section) = page.sections.iter().find(|s| s.code == module) else {
        return Err(EngineError::NotFound(format!("module {module} on this contract")).into());
    };
    let mut changed = 0;
    let mut failure: Option<(String, Errors)> = None;
    for ty in &section.types {
        let wanted = form.text(&format!("bt:{}", ty.code));
        if wanted == ty.selected {
            continue;
        }
        let input = ServiceMappingInput {
            module: module.clone(),
            billing_type: ty.code.clone(),
            contract_service_id: wanted.parse().ok(),
            effective_from: effective_from.clone(),
        };
        match ctx
            .engine()
            .map_service(ctx.tenant_id(), id, &input, &ctx.actor())
            .await
        {
            Ok(_) => changed += 1,
            Err(e) => {
                failure = Some((
                    ty.code.clone(),
                    Errors::from_engine(
                        e,
                        &["billing_type", "contract_service_id", "effective_from"],
                    )?,
                ));
                break;
            }
        }
    }
    match failure {
        None => ctx.done(
            &format!("/contracts/{id}#map-{module}"),
            &format!(
                "{}: {} billing type{} mapped.",
                section.name,
                changed,
                if changed == 1 { "" } else { "s" }
            ),
        ),
        Some((code, errors)) => {
            let mut page = contract_page(&ctx, id).await?;
            for s in &mut page.sections {
                if s.code != module {
                    continue;
                }
                for ty in &mut s.types {
                    ty.selected = form.text(&format!("bt:{}", ty.code));
                    if ty.code == code {
                        ty.error = errors
                            .get("billing_type")
                            .or(errors.get("contract_service_id"))
                            .unwrap_or_default()
                            .to_owned();
                    }
                }
            }
            page.map_from = form.text("effective_from");
            page.map_errors_for = module;
            page.map_errors = errors;
            if changed > 0 {
                page.map_errors.general.push(format!(
                    "{changed} other billing types of this section were saved."
                ));
            }
            render_invalid(&format!("/contracts/{id}"), &page)
        }
    }
}
