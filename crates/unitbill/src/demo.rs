//! `unitbill demo`: a living billing system on the embedded database in under a minute.
//!
//! [`prepare`] creates (or reuses) the tenant `demo`, its client companies (the simulator's
//! clients, under the names the MSP has for them), tax rates, services, one monthly contract
//! per company with the services each client uses, connects and enables all 17 modules,
//! serves the API in-process on an ephemeral port and pushes about 90 days of simulated usage
//! through it, accepts the confident mapping suggestions and maps each contract's billing
//! types to its services. Everything is looked up before it is created, and days already
//! stored are not sent again, so running it twice changes nothing the first run made.
//! [`run`] prints where to look and serves the app.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;
use unitbill_domain::setup::{CompanyStatus, OrgAssignment};
use unitbill_engine::Engine;
use unitbill_engine::mapping::{ModuleBillingInput, ServiceMappingInput};
use unitbill_engine::setup::{CompanyInput, ContractInput, ContractServiceInput, ServiceInput};
use unitbill_engine::tenants::{TenantInput, tenant_today};
use unitbill_server::AppState;
use unitbill_store::{Role, Tenant};

use crate::simulate::model::{ALL_MODULES, Client, SimConfig, World};
use crate::simulate::push::{PushOptions, PushReport, Target, push_world};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Prepare the demo data and exit instead of serving.
    #[arg(long)]
    pub no_serve: bool,
    /// Address to serve the demo on.
    #[arg(long, env = "UNITBILL_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Days of usage history to simulate, ending yesterday (tenant time).
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Client companies of the demo MSP.
    #[arg(long, default_value_t = 40)]
    pub clients: usize,
}

pub const SLUG: &str = "demo";
pub const EMAIL: &str = "admin@demo.example";
pub const PASSWORD: &str = "demo-password";
/// The simulator's seed: every demo shows the same MSP.
pub const SEED: u64 = 2026;
/// Who the demo's changes are logged as.
const ACTOR: &str = "demo";
/// Who the mappings accepted from suggestions are logged as.
pub const SUGGESTION_ACTOR: &str = "demo (accepted suggestion)";
/// A former client, dead, whose contract ended long ago.
pub const DEAD_COMPANY: &str = "Kingston Print & Copy";
const CONTRACT_NAME: &str = "Managed Services Agreement";

/// How much demo to make.
#[derive(Debug, Clone)]
pub struct DemoSettings {
    pub days: u32,
    pub clients: usize,
    pub seed: u64,
    /// Show a progress bar while pushing.
    pub progress: bool,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self {
            days: 90,
            clients: 40,
            seed: SEED,
            progress: false,
        }
    }
}

/// What [`prepare`] made.
#[derive(Debug, Serialize)]
pub struct DemoReport {
    pub tenant: String,
    /// A new API token (shown once).
    pub api_token: String,
    /// Module code -> a new module key (shown once).
    #[serde(skip)]
    pub module_keys: BTreeMap<String, String>,
    pub from: Date,
    pub to: Date,
    pub companies: usize,
    pub contracts: usize,
    pub contract_services: usize,
    pub orgs: usize,
    /// Orgs mapped by accepting a suggestion (this run and earlier ones).
    pub mapped_by_suggestion: usize,
    /// Orgs mapped now, whoever mapped them.
    pub mapped: usize,
    /// Orgs with no company yet: the mapping screen's work.
    pub left_for_review: usize,
    pub service_mappings: usize,
    pub push: PushReport,
    pub elapsed_seconds: f64,
    /// The simulated MSP (ground truth of the mappings).
    #[serde(skip)]
    pub world: World,
}

/// What the demo MSP charges per (module, billing type): unit price and cost. Types not
/// listed are reported by the modules but not billed (the activity log shows them).
const PRICES: &[(&str, &str, &str, &str)] = &[
    ("datto-rmm", "desktop", "12.00", "3.10"),
    ("datto-rmm", "laptop", "12.00", "3.10"),
    ("datto-rmm", "server", "45.00", "9.50"),
    ("datto-rmm", "network_device", "6.00", "1.20"),
    ("datto-rmm", "edr_enabled", "25.00", "8.00"),
    ("unified-rmm", "workstations", "11.00", "2.90"),
    ("unified-rmm", "servers", "40.00", "9.00"),
    ("unified-rmm", "network_devices", "5.00", "1.00"),
    ("vsa-10", "workstations", "10.50", "2.75"),
    ("vsa-10", "servers", "42.00", "9.25"),
    ("vsa-10", "mobile_devices", "3.00", "0.60"),
    ("backup-dr", "protected_devices", "65.00", "22.00"),
    ("backup-dr", "offsite_storage_gb", "0.08", "0.02"),
    ("backup-dr", "saas_seats", "3.50", "1.10"),
    ("datto-file-protection", "protected_devices", "4.00", "1.25"),
    ("datto-file-protection", "storage_gb", "0.10", "0.03"),
    ("datto-workplace", "users", "6.00", "2.00"),
    ("datto-workplace", "storage_gb", "0.05", "0.015"),
    ("datto-edr", "workstations", "5.50", "2.00"),
    ("datto-edr", "servers", "9.00", "3.50"),
    ("datto-edr", "mdr_enabled", "99.00", "40.00"),
    ("rocketcyber", "endpoints", "4.00", "1.50"),
    ("rocketcyber", "m365_users", "2.00", "0.70"),
    ("rocketcyber", "soc_enabled", "50.00", "15.00"),
    ("security-suite", "users", "7.50", "2.50"),
    ("security-suite", "devices", "3.00", "1.00"),
    ("graphus", "protected_mailboxes", "3.25", "1.10"),
    ("passly", "users", "3.00", "1.00"),
    ("passly", "sso_enabled", "25.00", "5.00"),
    ("darkweb-id", "domains", "30.00", "8.00"),
    ("darkweb-id", "personal_email_monitoring", "2.00", "0.50"),
    ("cyber-hawk", "is_enabled", "99.00", "35.00"),
    ("network-detective", "scanned_ips", "1.00", "0.25"),
    ("network-detective", "assessments", "150.00", "20.00"),
    ("vulscan", "scanned_ips", "1.50", "0.40"),
    ("vulscan", "appliances", "25.00", "5.00"),
    ("audit-suite", "assessments", "125.00", "20.00"),
    ("audit-suite", "scanned_devices", "0.75", "0.20"),
    ("compliance-manager", "users", "4.00", "1.20"),
    ("compliance-manager", "devices", "1.50", "0.40"),
];

/// Services with fixed units, set by hand on a contract: (name, price, cost).
const HELPDESK: (&str, &str, &str) = ("Helpdesk - Per User", "35.00", "12.00");
const VCIO: (&str, &str, &str) = ("vCIO Consulting - Monthly", "250.00", "0.00");

/// Named tax rates of the demo tenant (a New York MSP).
const TAX_RATES: &[(&str, &str)] = &[
    ("NY State", "4"),
    ("NYC", "4.5"),
    ("Westchester County", "4.375"),
];

/// A small stable hash for the demo's per-client choices.
fn pick(i: usize, salt: u64) -> u64 {
    let mut h = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    h = (h ^ (h >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (h ^ (h >> 29)) % 100
}

/// The "Module - Billing Type" name of a service, from the catalog.
fn service_name(engine: &Engine, module: &str, bt: &str) -> Result<String> {
    let m = engine
        .catalog
        .get(module)
        .with_context(|| format!("module {module} is not in the catalog"))?;
    let t = m
        .billing_type(bt)
        .with_context(|| format!("{module} has no billing type {bt}"))?;
    Ok(format!("{} - {}", m.name, t.name))
}

fn price_of(module: &str, bt: &str) -> Option<(&'static str, &'static str)> {
    PRICES
        .iter()
        .find(|(m, b, _, _)| *m == module && *b == bt)
        .map(|(_, _, p, c)| (*p, *c))
}

/// The tenant `demo`: found, or created with its admin user.
async fn demo_tenant(engine: &Engine) -> Result<Tenant> {
    let tenant = match engine.tenant_by_slug(SLUG).await {
        Ok(t) => t,
        Err(_) => {
            engine
                .create_tenant(&TenantInput {
                    slug: SLUG.into(),
                    name: "Demo MSP".into(),
                    time_zone: "America/New_York".into(),
                    currency: "USD".into(),
                    sync_hour: 1,
                })
                .await?
        }
    };
    if engine.user_by_email(tenant.id, EMAIL).await.is_err() {
        engine
            .add_user(tenant.id, EMAIL, PASSWORD, Role::Admin)
            .await?;
    }
    Ok(tenant)
}

/// Tax rates of a client: exempt verticals none, NYC clients state + city, others state +
/// county.
fn tax_rates_for(c: &Client) -> Vec<String> {
    if c.vertical.tax_exempt() {
        Vec::new()
    } else if pick(c.index, 11) < 60 {
        vec!["NY State".into(), "NYC".into()]
    } else {
        vec!["NY State".into(), "Westchester County".into()]
    }
}

fn first_of_month_before(d: Date, months: i64) -> Date {
    d.first_of_month()
        .checked_sub(months.months())
        .expect("a date in range")
}

/// Companies: one per simulated client (by its canonical name), and a dead former client.
/// Returns client index -> company id.
async fn companies(engine: &Engine, tenant: &Tenant, world: &World) -> Result<Vec<i64>> {
    let mut existing: BTreeMap<String, i64> = engine
        .companies(tenant.id)
        .await?
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    let mut ids = Vec::new();
    for c in &world.clients {
        if let Some(id) = existing.get(&c.name) {
            ids.push(*id);
            continue;
        }
        let terms = match c.vertical {
            crate::simulate::names::Vertical::Municipal => 45,
            _ if pick(c.index, 3) < 20 => 15,
            _ => 30,
        };
        let saved = engine
            .save_company(
                tenant.id,
                None,
                &CompanyInput {
                    name: Some(c.name.clone()),
                    tax_rates: Some(tax_rates_for(c)),
                    payment_terms_days: Some(terms),
                    bill_to: c.bill_to.map(|p| ids[p]),
                    external_ref: Some(format!("CUST-{:04}", 1001 + c.index)),
                    ..CompanyInput::default()
                },
            )
            .await?;
        existing.insert(saved.name.clone(), saved.id);
        ids.push(saved.id);
    }
    if !existing.contains_key(DEAD_COMPANY) {
        engine
            .save_company(
                tenant.id,
                None,
                &CompanyInput {
                    name: Some(DEAD_COMPANY.into()),
                    status: Some(CompanyStatus::Dead.as_str().into()),
                    tax_rates: Some(vec!["NY State".into(), "NYC".into()]),
                    external_ref: Some("CUST-0999".into()),
                    ..CompanyInput::default()
                },
            )
            .await?;
    }
    Ok(ids)
}

/// Catalog services: "Module - Billing Type" for each priced type of a simulated module, and
/// the fixed ones. Returns name -> service id.
async fn services(engine: &Engine, tenant: &Tenant) -> Result<BTreeMap<String, i64>> {
    let mut existing: BTreeMap<String, i64> = engine
        .services(tenant.id)
        .await?
        .into_iter()
        .map(|s| (s.name, s.id))
        .collect();
    let mut wanted: Vec<(String, &str, &str, bool)> = Vec::new();
    for (m, bt, price, cost) in PRICES {
        wanted.push((service_name(engine, m, bt)?, price, cost, true));
    }
    for (name, price, cost) in [HELPDESK, VCIO] {
        wanted.push((name.to_owned(), price, cost, false));
    }
    for (name, price, cost, taxable) in wanted {
        if existing.contains_key(&name) {
            continue;
        }
        let s = engine
            .create_service(
                tenant.id,
                &ServiceInput {
                    name: name.clone(),
                    unit_price: price.into(),
                    unit_cost: Some(cost.into()),
                    taxable,
                    description: None,
                },
            )
            .await?;
        existing.insert(name, s.id);
    }
    Ok(existing)
}

/// The change rule of a client's contract service for a billing type.
fn rule_for(c: &Client, module: &str, bt: &str, advance: bool) -> &'static str {
    let h = pick(c.index, bt.len() as u64 * 31 + module.len() as u64);
    if bt.ends_with("_gb") {
        if !advance && h < 50 {
            "peak"
        } else {
            "end_of_period"
        }
    } else if h < 15 {
        "end_of_period"
    } else {
        "prorated"
    }
}

/// One monthly contract per company, with its services. Returns client index -> contract id.
async fn contracts(
    engine: &Engine,
    tenant: &Tenant,
    world: &World,
    company_ids: &[i64],
    services: &BTreeMap<String, i64>,
) -> Result<Vec<i64>> {
    let existing = engine.contracts(tenant.id).await?;
    let contract_services = engine.contract_services(tenant.id).await?;
    let from = world.config.from;
    let mut ids = Vec::new();
    for c in &world.clients {
        let company = company_ids[c.index];
        let advance = c.leaves.is_none() && pick(c.index, 7) < 20;
        let contract = match existing.iter().find(|k| k.company_id == company) {
            Some(k) => k.clone(),
            None => {
                let start = match c.joins {
                    Some(d) => d,
                    None => first_of_month_before(from, 3 + (pick(c.index, 5) % 30) as i64),
                };
                let end = c.leaves.and_then(|d| d.yesterday().ok());
                engine
                    .save_contract(
                        tenant.id,
                        None,
                        &ContractInput {
                            company_id: Some(company),
                            name: Some(CONTRACT_NAME.into()),
                            start_date: Some(start.to_string()),
                            end_date: end.map(|d| d.to_string()),
                            timing: Some(if advance { "advance" } else { "arrears" }.into()),
                            purchase_order: (pick(c.index, 13) < 15)
                                .then(|| format!("PO-{}", 4100 + c.index * 7)),
                            period: Some("monthly".into()),
                        },
                    )
                    .await?
            }
        };
        let advance = contract.timing == unitbill_domain::rules::Timing::Advance;
        let on_contract: BTreeSet<i64> = contract_services
            .iter()
            .filter(|cs| cs.contract_id == contract.id)
            .map(|cs| cs.service_id)
            .collect();
        let add = |service: &str, input: ContractServiceInput| {
            let id = services[service];
            (!on_contract.contains(&id)).then_some(ContractServiceInput {
                service_id: Some(id),
                ..input
            })
        };
        let mut inputs = Vec::new();
        for m in &c.modules {
            for bt in c.uses(m) {
                let Some((price, _)) = price_of(m, bt) else {
                    continue;
                };
                // Large clients get 10% off per-unit prices (not storage).
                let discounted = (c.employees > 150 && !bt.ends_with("_gb")).then(|| {
                    let p: Decimal = price.parse().expect("a price");
                    (p * Decimal::new(9, 1)).round_dp(2).to_string()
                });
                inputs.extend(add(
                    &service_name(engine, m, bt)?,
                    ContractServiceInput {
                        unit_price: discounted,
                        rule: Some(rule_for(c, m, bt, advance).into()),
                        ..ContractServiceInput::default()
                    },
                ));
            }
        }
        if pick(c.index, 17) < 70 {
            inputs.extend(add(
                HELPDESK.0,
                ContractServiceInput {
                    fixed_units: Some(c.employees.to_string()),
                    ..ContractServiceInput::default()
                },
            ));
        }
        if c.employees >= 40 && pick(c.index, 19) < 50 {
            inputs.extend(add(
                VCIO.0,
                ContractServiceInput {
                    fixed_units: Some("1".into()),
                    ..ContractServiceInput::default()
                },
            ));
        }
        for input in inputs {
            engine
                .add_contract_service(tenant.id, contract.id, &input, ACTOR)
                .await?;
        }
        ids.push(contract.id);
    }
    // The dead former client's contract ended half a year before the history starts.
    let dead = engine
        .companies(tenant.id)
        .await?
        .into_iter()
        .find(|c| c.name == DEAD_COMPANY)
        .context("the dead company")?;
    if !existing.iter().any(|k| k.company_id == dead.id) {
        let end = first_of_month_before(from, 6)
            .yesterday()
            .expect("a date in range");
        let k = engine
            .save_contract(
                tenant.id,
                None,
                &ContractInput {
                    company_id: Some(dead.id),
                    name: Some(CONTRACT_NAME.into()),
                    start_date: Some(first_of_month_before(from, 30).to_string()),
                    end_date: Some(end.to_string()),
                    timing: Some("arrears".into()),
                    period: Some("monthly".into()),
                    ..ContractInput::default()
                },
            )
            .await?;
        engine
            .add_contract_service(
                tenant.id,
                k.id,
                &ContractServiceInput {
                    service_id: Some(services[HELPDESK.0]),
                    fixed_units: Some("12".into()),
                    ..ContractServiceInput::default()
                },
                ACTOR,
            )
            .await?;
    }
    Ok(ids)
}

/// Connects every simulated module (a new key each run: keys are shown once) and enables its
/// billing from the start of history, once.
async fn modules(
    engine: &Engine,
    tenant: &Tenant,
    world: &World,
) -> Result<BTreeMap<String, String>> {
    let mut keys = BTreeMap::new();
    let enabled: BTreeSet<String> = engine
        .module_billing_changes(tenant.id)
        .await?
        .into_iter()
        .map(|c| c.module_code)
        .collect();
    for m in world.modules() {
        let issued = engine.connect_module(tenant.id, m, None).await?;
        keys.insert(m.to_owned(), issued.secret);
        if !enabled.contains(m) {
            engine
                .set_module_billing(
                    tenant.id,
                    m,
                    &ModuleBillingInput {
                        enabled: true,
                        effective_from: None,
                    },
                    ACTOR,
                )
                .await?;
        }
    }
    Ok(keys)
}

/// Serves the API on an ephemeral local port and pushes the world's snapshots through it,
/// leaving out the days already stored.
async fn push_history(
    engine: &Engine,
    tenant: &Tenant,
    world: &World,
    keys: BTreeMap<String, String>,
    progress: bool,
) -> Result<PushReport> {
    let mut skip = BTreeSet::new();
    for m in world.modules() {
        for d in world.days() {
            if engine.stored_snapshot(tenant.id, m, d).await?.is_some() {
                skip.insert((m.to_owned(), d));
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("binding an ephemeral port for the demo's ingestion")?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = unitbill_server::router(AppState::new(engine.clone()));
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let report = push_world(
        world,
        &Target {
            url: format!("http://{addr}"),
            keys,
        },
        &PushOptions {
            concurrency: 4,
            progress,
            skip,
        },
    )
    .await;
    let _ = stop.send(());
    server.await.context("the demo's ingestion server")??;
    report
}

/// Accepts every suggestion above the default threshold, again while the mappings just made
/// (evidence from other modules) let more through.
async fn accept_suggestions(engine: &Engine, tenant: &Tenant) -> Result<usize> {
    let mut total = 0;
    for _ in 0..3 {
        let n = engine
            .accept_suggestions(
                tenant.id,
                unitbill_domain::matching::DEFAULT_ACCEPT_THRESHOLD,
                SUGGESTION_ACTOR,
            )
            .await?
            .len();
        total += n;
        if n == 0 {
            break;
        }
    }
    Ok(total)
}

/// Maps each contract's (module, billing type) pairs to the contract services billing them.
async fn map_services(engine: &Engine, tenant: &Tenant, contract_ids: &[i64]) -> Result<usize> {
    let service_key: BTreeMap<i64, (String, String)> = {
        let by_name: BTreeMap<String, i64> = engine
            .services(tenant.id)
            .await?
            .into_iter()
            .map(|s| (s.name, s.id))
            .collect();
        let mut out = BTreeMap::new();
        for (m, bt, _, _) in PRICES {
            if let Some(id) = by_name.get(&service_name(engine, m, bt)?) {
                out.insert(*id, ((*m).to_owned(), (*bt).to_owned()));
            }
        }
        out
    };
    let mapped: BTreeSet<(i64, String, String)> = engine
        .service_mapping_changes(tenant.id)
        .await?
        .into_iter()
        .map(|c| (c.contract_id, c.module_code, c.billing_type))
        .collect();
    let contract_services = engine.contract_services(tenant.id).await?;
    let mut made = 0;
    for contract_id in contract_ids {
        for cs in contract_services
            .iter()
            .filter(|cs| cs.contract_id == *contract_id)
        {
            let Some((m, bt)) = service_key.get(&cs.service_id) else {
                continue;
            };
            if mapped.contains(&(*contract_id, m.clone(), bt.clone())) {
                continue;
            }
            engine
                .map_service(
                    tenant.id,
                    *contract_id,
                    &ServiceMappingInput {
                        module: m.clone(),
                        billing_type: bt.clone(),
                        contract_service_id: Some(cs.id),
                        effective_from: None,
                    },
                    ACTOR,
                )
                .await?;
            made += 1;
        }
    }
    Ok(made)
}

/// Brings the sync up to date through yesterday, closes last month and posts its invoices.
/// Safe to run again: a period already run and posted is left as it is.
pub async fn finish_billing(engine: &Engine, tenant: &Tenant) -> Result<()> {
    let today = tenant_today(engine, tenant)?;
    let yesterday = today.yesterday().context("yesterday")?;
    engine.sync_through(tenant.id, yesterday).await?;
    // Close last month (once: a later run of the demo finds its documents posted and the
    // run skips those companies) and post what it drafted.
    let last_month = unitbill_domain::period::Period::of(today).prev();
    let runs = engine.invoice_runs(tenant.id).await?;
    if runs
        .iter()
        .any(|r| r.as_str() > last_month.to_string().as_str())
    {
        return Ok(());
    }
    let report = engine
        .invoice_run(tenant.id, &last_month.to_string(), false)
        .await?;
    let drafts: Vec<i64> = report
        .documents
        .iter()
        .filter(|d| d.is_draft())
        .map(|d| d.id)
        .collect();
    engine.post_documents(tenant.id, &drafts).await?;
    Ok(())
}

/// Prepares the demo tenant: everything but serving. Safe to run again.
pub async fn prepare(engine: &Engine, settings: &DemoSettings) -> Result<DemoReport> {
    let started = Instant::now();
    let tenant = demo_tenant(engine).await?;
    let token = engine
        .issue_api_token(tenant.id, "demo", Role::Admin)
        .await?;
    let to = tenant_today(engine, &tenant)?
        .yesterday()
        .context("yesterday")?;
    let from = to
        .checked_sub(i64::from(settings.days.max(1) - 1).days())
        .context("--days reaches too far back")?;
    let world = World::new(SimConfig {
        seed: settings.seed,
        clients: settings.clients,
        modules: ALL_MODULES.iter().map(|m| (*m).to_owned()).collect(),
        from,
        to,
    })
    .map_err(anyhow::Error::msg)?;
    for (name, percent) in TAX_RATES {
        engine.put_tax_rate(tenant.id, name, percent).await?;
    }
    let company_ids = companies(engine, &tenant, &world).await?;
    let services = services(engine, &tenant).await?;
    let contract_ids = contracts(engine, &tenant, &world, &company_ids, &services).await?;
    let keys = modules(engine, &tenant, &world).await?;
    let push = push_history(engine, &tenant, &world, keys.clone(), settings.progress).await?;
    accept_suggestions(engine, &tenant).await?;
    map_services(engine, &tenant, &contract_ids).await?;
    finish_billing(engine, &tenant).await?;

    // Count what there is now.
    let orgs = engine.module_orgs(tenant.id, None).await?;
    let mut last: BTreeMap<(String, String), (OrgAssignment, String)> = BTreeMap::new();
    for c in engine.org_mapping_changes(tenant.id).await? {
        last.insert((c.module_code, c.org_id), (c.assignment, c.changed.by));
    }
    let is_mapped = |o: &unitbill_store::ModuleOrg| {
        matches!(
            last.get(&(o.module_code.clone(), o.org_id.clone())),
            Some((OrgAssignment::Mapped(_), _))
        )
    };
    let mapped = orgs.iter().filter(|o| is_mapped(o)).count();
    let mapped_by_suggestion = orgs
        .iter()
        .filter(|o| {
            matches!(
                last.get(&(o.module_code.clone(), o.org_id.clone())),
                Some((OrgAssignment::Mapped(_), by)) if by == SUGGESTION_ACTOR
            )
        })
        .count();
    let left_for_review = orgs
        .iter()
        .filter(|o| {
            !matches!(
                last.get(&(o.module_code.clone(), o.org_id.clone())),
                Some((OrgAssignment::Mapped(_) | OrgAssignment::Ignored, _))
            )
        })
        .count();
    Ok(DemoReport {
        tenant: tenant.slug.clone(),
        api_token: token.secret,
        module_keys: keys,
        from,
        to,
        companies: engine.companies(tenant.id).await?.len(),
        contracts: engine.contracts(tenant.id).await?.len(),
        contract_services: engine.contract_services(tenant.id).await?.len(),
        orgs: orgs.len(),
        mapped_by_suggestion,
        mapped,
        left_for_review,
        service_mappings: engine.service_mapping_changes(tenant.id).await?.len(),
        push,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        world,
    })
}

/// The demo's log filter when `UNITBILL_LOG` is not set: as `serve`'s, without a line per
/// stored snapshot (the progress bar says it).
pub const LOG_FILTER: &str = "info,sqlx=warn,tower_http=info,unitbill_engine::ingest=warn";

/// `unitbill demo`: prepares the demo tenant, prints where to look, then serves.
pub async fn run(engine: Engine, args: DemoArgs, file_listen: Option<SocketAddr>) -> Result<()> {
    use std::io::IsTerminal;
    let listen = args
        .listen
        .or(file_listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    eprintln!(
        "preparing the demo tenant {SLUG:?}: {} clients, {} days of 17 modules...",
        args.clients, args.days
    );
    let r = prepare(
        &engine,
        &DemoSettings {
            days: args.days,
            clients: args.clients,
            seed: SEED,
            progress: std::io::stderr().is_terminal(),
        },
    )
    .await?;
    let example_key = r.module_keys.get("datto-rmm").cloned().unwrap_or_default();
    println!(
        "demo ready in {:.1}s: {} companies, {} contracts ({} contract services), usage {} to {}",
        r.elapsed_seconds, r.companies, r.contracts, r.contract_services, r.from, r.to
    );
    println!(
        "  snapshots: {} pushed ({} changed something, {} late corrections), {} already stored",
        r.push.pushed, r.push.changed, r.push.corrections, r.push.skipped
    );
    println!(
        "  module orgs: {} - {} mapped by suggestion, {} mapped in all, {} left for review",
        r.orgs, r.mapped_by_suggestion, r.mapped, r.left_for_review
    );
    println!("  service mappings: {}", r.service_mappings);
    println!();
    println!("open  http://{listen}/");
    println!("login tenant {SLUG}, {EMAIL} / {PASSWORD}");
    println!("API token (shown once): {}", r.api_token);
    println!("Datto RMM module key (shown once): {example_key}");
    println!("push a snapshot:");
    println!(
        "  curl -X PUT http://{listen}/api/v1/modules/datto-rmm/usage/$(date +%F) -H 'Authorization: Bearer {example_key}' \\\n    -H 'Content-Type: application/json' -d '{{\"complete\": false, \"organizations\": [{{\"id\": \"site-1\", \"name\": \"Acme Corp - HQ\", \"usage\": {{\"desktop\": 41, \"server\": 3}}}}]}}'"
    );
    println!("API description: http://{listen}/api/openapi.json");
    if args.no_serve {
        return Ok(());
    }
    unitbill_server::serve(AppState::new(engine), listen).await?;
    Ok(())
}
