//! The bench's tenants: companies with contracts and services, module orgs and their usage.
//! Setup goes through the engine's bulk loads (`unitbill_engine::bulk`), not the checked use
//! cases, and is not timed.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::civil::{Date, date};
use rust_decimal::Decimal;
use unitbill_domain::catalog::{BillingTypeCode, Catalog};
use unitbill_domain::rules::{ChangeRule, Timing};
use unitbill_domain::setup::{CompanyStatus, OrgAssignment, ServiceTerms};
use unitbill_domain::usage::UsageValue;
use unitbill_engine::ingest::SnapshotBody;
use unitbill_engine::mapping::ModuleBillingInput;
use unitbill_engine::tenants::TenantInput;
use unitbill_engine::{Clock, Engine};
use unitbill_store::{
    Changed, CompanyRecord, ContractRecord, ContractServiceRecord, OrgMappingChange,
    ServiceMappingChange, ServiceRecord, TermsChange,
};

/// The module every bench reports for.
pub const MODULE: &str = "datto-rmm";

/// Ten of Datto RMM's count billing types (catalog.toml), for the HTTP ingest.
pub const INGEST_TYPES: [&str; 10] = [
    "total_devices",
    "desktop_laptop",
    "desktop",
    "laptop",
    "server",
    "printer",
    "unknown",
    "esxi_host",
    "network_device",
    "datto_access_point",
];

/// The five types the sync and year tenants map, one contract service each.
pub const MAPPED_TYPES: [&str; 5] = ["desktop", "laptop", "server", "printer", "unknown"];

/// An engine on the database at `url`, its clock fixed at `now`.
pub async fn engine_at(url: &str, now: &str) -> Result<Engine> {
    let store = unitbill_store::connect(url)
        .await
        .with_context(|| format!("opening {url}"))?;
    Ok(Engine::new(
        store,
        Catalog::built_in(),
        Clock::test(now.parse()?),
    ))
}

/// The bench tenant (America/New_York, as a US MSP).
pub async fn tenant(engine: &Engine) -> Result<i64> {
    Ok(engine
        .create_tenant(&TenantInput {
            slug: "bench".into(),
            name: "Bench".into(),
            time_zone: "America/New_York".into(),
            currency: "USD".into(),
            sync_hour: 1,
        })
        .await?
        .id)
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("  {msg} [{wide_bar}] {human_pos}/{human_len} ({eta})")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn changed() -> Changed {
    Changed {
        by: "bench".into(),
        at: "2026-01-01T00:00:00Z".into(),
    }
}

/// One set-up company.
pub struct BenchCompany {
    pub id: i64,
}

/// `n` companies, each with one arrears contract from 2026-01-01 and `services` prorated
/// contract services (fixed units 1..=services). With `mapped`, service `s` is mapped to the
/// module's billing type `mapped[s]`. Companies load concurrently where the backend writes
/// concurrently (PostgreSQL), because one transaction per record dominates setup time.
pub async fn companies(
    engine: &Engine,
    tenant_id: i64,
    n: usize,
    services: usize,
    mapped: Option<&[&str]>,
    concurrency: usize,
) -> Result<Vec<BenchCompany>> {
    let svc = engine
        .load_service(
            tenant_id,
            &ServiceRecord {
                id: 0,
                name: "Bench service".into(),
                unit_price: Decimal::new(450, 2),
                unit_cost: Decimal::ZERO,
                taxable: true,
                description: "Bench service".into(),
            },
        )
        .await?;
    let bar = progress(n, "companies");
    let mut out: Vec<(usize, BenchCompany)> = futures::stream::iter(0..n)
        .map(|i| {
            let bar = &bar;
            async move {
                let c = company(engine, tenant_id, i, svc.id, services, mapped).await?;
                bar.inc(1);
                anyhow::Ok((i, c))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    bar.finish_and_clear();
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

async fn company(
    engine: &Engine,
    tenant_id: i64,
    i: usize,
    service_id: i64,
    services: usize,
    mapped: Option<&[&str]>,
) -> Result<BenchCompany> {
    let c = engine
        .load_company(
            tenant_id,
            &CompanyRecord {
                id: 0,
                name: format!("Company {i:06}"),
                status: CompanyStatus::Active,
                currency: "USD".into(),
                tax_rates: vec![],
                payment_terms_days: 30,
                bill_to_id: None,
                external_ref: None,
            },
            "x",
        )
        .await?;
    let k = engine
        .load_contract(
            tenant_id,
            &ContractRecord {
                id: 0,
                company_id: c.id,
                name: "MSA".into(),
                start_date: date(2026, 1, 1),
                end_date: None,
                timing: Timing::Arrears,
                currency: "USD".into(),
                purchase_order: None,
            },
            "x",
        )
        .await?;
    for s in 0..services {
        let terms = TermsChange {
            contract_service_id: 0,
            effective_from: date(1900, 1, 1),
            terms: ServiceTerms {
                unit_price: Decimal::new(450, 2),
                unit_cost: Decimal::ZERO,
                rule: ChangeRule::Prorated,
                fixed_units: Decimal::from(s as i64 + 1),
            },
            changed: changed(),
        };
        let cs = engine
            .load_contract_service(
                tenant_id,
                &ContractServiceRecord {
                    id: 0,
                    contract_id: k.id,
                    service_id,
                    description: format!("Service {s}"),
                    active_from: date(1900, 1, 1),
                },
                &terms,
            )
            .await?;
        if let Some(bt) = mapped.and_then(|bts| bts.get(s)) {
            let mapping = ServiceMappingChange {
                contract_id: k.id,
                module_code: MODULE.into(),
                billing_type: (*bt).into(),
                effective_from: date(1900, 1, 1),
                contract_service_id: Some(cs.id),
                changed: changed(),
            };
            engine
                .load_service_mapping_change(tenant_id, &mapping)
                .await?;
        }
    }
    Ok(BenchCompany { id: c.id })
}

/// The id of org `o` (zero-padded, so text order is numeric order).
pub fn org_id(o: usize) -> String {
    format!("org-{o:07}")
}

/// One day's usage: `quantities[o * types.len() + t]` is org `o`'s count of `types[t]`.
pub struct DayUsage<'a> {
    pub types: &'a [&'a str],
    pub quantities: Vec<i64>,
}

impl<'a> DayUsage<'a> {
    /// `orgs` orgs reporting every type, with counts 1..=50 spread over orgs and types.
    pub fn new(types: &'a [&'a str], orgs: usize) -> Self {
        let quantities = (0..orgs * types.len())
            .map(|i| 1 + ((i * 7 + i / types.len()) % 50) as i64)
            .collect();
        Self { types, quantities }
    }

    pub fn orgs(&self) -> usize {
        self.quantities.len() / self.types.len()
    }

    pub fn values(&self) -> usize {
        self.quantities.len()
    }

    /// The NDJSON body of a complete snapshot (`Snapshot::parse_ndjson`'s format).
    pub fn ndjson(&self) -> String {
        let mut out = String::with_capacity(self.values() * 24 + self.orgs() * 40);
        out.push_str("{\"complete\": true}\n");
        for (o, counts) in self.quantities.chunks(self.types.len()).enumerate() {
            let id = org_id(o);
            let _ = write!(out, "{{\"id\":\"{id}\",\"name\":\"Org {o}\",\"usage\":{{");
            for (t, q) in counts.iter().enumerate() {
                let sep = if t == 0 { "" } else { "," };
                let _ = write!(out, "{sep}\"{}\":{q}", self.types[t]);
            }
            out.push_str("}}\n");
        }
        out
    }

    /// The same values as the rows the store writes (for the raw-insert baseline).
    pub fn rows(&self) -> Result<Vec<UsageValue>> {
        let codes = self
            .types
            .iter()
            .map(|t| BillingTypeCode::parse(t).map_err(|e| anyhow::anyhow!("{t}: {e}")))
            .collect::<Result<Vec<_>>>()?;
        Ok(self
            .quantities
            .chunks(self.types.len())
            .enumerate()
            .flat_map(|(o, counts)| {
                let id = org_id(o);
                counts.iter().zip(&codes).map(move |(q, code)| UsageValue {
                    org_id: id.clone(),
                    billing_type: code.clone(),
                    quantity: *q,
                })
            })
            .collect())
    }
}

/// Connects the module with billing on and returns its key, authenticated.
pub async fn module_key(engine: &Engine, tenant_id: i64) -> Result<unitbill_store::ModuleKey> {
    let key = engine.connect_module(tenant_id, MODULE, None).await?;
    Ok(engine.authenticate_module_key(&key.secret).await?)
}

/// Turns billing on for the module (from its connection).
pub async fn enable_billing(engine: &Engine, tenant_id: i64) -> Result<()> {
    engine
        .set_module_billing(
            tenant_id,
            MODULE,
            &ModuleBillingInput {
                enabled: true,
                effective_from: None,
            },
            "bench",
        )
        .await?;
    Ok(())
}

/// Maps org `o` to company `o % companies.len()`, from the beginning of time.
pub async fn map_orgs(
    engine: &Engine,
    tenant_id: i64,
    orgs: usize,
    companies: &[BenchCompany],
) -> Result<()> {
    let changes: Vec<_> = (0..orgs)
        .map(|o| OrgMappingChange {
            module_code: MODULE.into(),
            org_id: org_id(o),
            effective_from: date(1900, 1, 1),
            assignment: OrgAssignment::Mapped(companies[o % companies.len()].id),
            changed: changed(),
        })
        .collect();
    engine.load_org_mapping_changes(tenant_id, &changes).await?;
    Ok(())
}

/// Stores a day's snapshot through the engine (no HTTP).
pub async fn ingest_day(
    engine: &Engine,
    key: &unitbill_store::ModuleKey,
    day: Date,
    usage: &DayUsage<'_>,
) -> Result<unitbill_store::SnapshotOutcome> {
    let body = usage.ndjson();
    Ok(engine
        .ingest_snapshot(key, MODULE, &day.to_string(), SnapshotBody::Ndjson(&body))
        .await?)
}
