//! `unitbill bench`: measures the hot paths on a fresh database (SQLite by default, or the
//! `--database-url` given), so speed claims are reproducible numbers, not timed tests.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Subcommand;
use jiff::civil::{Date, date};
use rust_decimal::Decimal;
use serde_json::json;
use unitbill_domain::catalog::Catalog;
use unitbill_domain::rules::{ChangeRule, Timing};
use unitbill_domain::setup::{CompanyStatus, OrgAssignment, ServiceTerms};
use unitbill_engine::ingest::SnapshotBody;
use unitbill_engine::tenants::TenantInput;
use unitbill_engine::{Clock, Engine};
use unitbill_store::{
    Changed, CompanyRecord, ContractRecord, ContractServiceRecord, OrgMappingChange,
    ServiceMappingChange, ServiceRecord, TermsChange,
};

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Store one snapshot of N values (one transaction, batched statements).
    Ingest {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
    },
    /// Sync one day of a tenant with C companies and R usage values.
    Sync {
        #[arg(long, default_value_t = 5_000)]
        companies: usize,
        #[arg(long, default_value_t = 255_000)]
        rows: usize,
    },
    /// Invoice a 31-day month for C companies with S fixed contract services each.
    Invoice {
        #[arg(long, default_value_t = 10_000)]
        companies: usize,
        #[arg(long, default_value_t = 10)]
        services: usize,
    },
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

async fn fresh_engine(database_url: Option<String>, now: &str) -> Result<(Engine, String)> {
    let url = match database_url {
        Some(admin) if admin.starts_with("postgres") => {
            unitbill_store::testing::fresh_postgres(&admin).await
        }
        Some(url) => url,
        None => {
            let dir = std::env::temp_dir().join(format!("unitbill-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            format!("sqlite://{}", dir.join("bench.db").display())
        }
    };
    let store = unitbill_store::connect(&url)
        .await
        .with_context(|| format!("opening {url}"))?;
    Ok((
        Engine::new(store, Catalog::built_in(), Clock::test(now.parse()?)),
        url,
    ))
}

fn changed() -> Changed {
    Changed {
        by: "bench".into(),
        at: "2026-01-01T00:00:00Z".into(),
    }
}

/// Companies, each with one contract from 2026-01-01 and `services` contract services.
async fn companies(
    engine: &Engine,
    tenant: i64,
    n: usize,
    services: usize,
    mapped_bt: Option<&[&str]>,
) -> Result<Vec<(i64, i64, Vec<i64>)>> {
    let svc = engine
        .load_service(
            tenant,
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
    let bar = indicatif_like(n);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let c = engine
            .load_company(
                tenant,
                &CompanyRecord {
                    id: 0,
                    name: format!("Company {i:05}"),
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
                tenant,
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
        let mut cs_ids = Vec::new();
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
                    tenant,
                    &ContractServiceRecord {
                        id: 0,
                        contract_id: k.id,
                        service_id: svc.id,
                        description: format!("Service {s}"),
                        active_from: date(1900, 1, 1),
                    },
                    &terms,
                )
                .await?;
            if let Some(bt) = mapped_bt.and_then(|bts| bts.get(s)) {
                let mapping = ServiceMappingChange {
                    contract_id: k.id,
                    module_code: "datto-rmm".into(),
                    billing_type: (*bt).into(),
                    effective_from: date(1900, 1, 1),
                    contract_service_id: Some(cs.id),
                    changed: changed(),
                };
                engine.load_service_mapping_change(tenant, &mapping).await?;
            }
            cs_ids.push(cs.id);
        }
        out.push((c.id, k.id, cs_ids));
        bar(i + 1);
    }
    eprintln!();
    Ok(out)
}

/// A minimal progress line on stderr (setup of large benches takes a while).
fn indicatif_like(total: usize) -> impl Fn(usize) {
    move |done| {
        if done % 500 == 0 || done == total {
            eprint!("\r  setting up {done}/{total} companies");
        }
    }
}

async fn tenant(engine: &Engine) -> Result<i64> {
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

pub async fn run(cmd: BenchCommand, database_url: Option<String>) -> Result<()> {
    match cmd {
        BenchCommand::Ingest { rows } => {
            let (engine, url) = fresh_engine(database_url, "2026-03-02T12:00:00Z").await?;
            let t = tenant(&engine).await?;
            let key = engine.connect_module(t, "datto-rmm", None).await?;
            let types = ["desktop", "laptop", "server", "printer", "unknown"];
            let orgs: Vec<_> = (0..rows.div_ceil(types.len()))
                .map(|o| {
                    let usage: serde_json::Map<String, serde_json::Value> = types
                        .iter()
                        .take(rows - o * types.len())
                        .map(|b| ((*b).to_owned(), json!((o % 97) as i64)))
                        .collect();
                    json!({"id": format!("org-{o}"), "name": format!("Org {o}"), "usage": usage})
                })
                .collect();
            let body = json!({"complete": true, "organizations": orgs});
            let key_record = engine.authenticate_module_key(&key.secret).await?;
            let start = Instant::now();
            let out = engine
                .ingest_snapshot(
                    &key_record,
                    "datto-rmm",
                    "2026-03-01",
                    SnapshotBody::Json(&body),
                )
                .await?;
            let secs = start.elapsed().as_secs_f64();
            println!(
                "ingest on {}: {} values in {:.2} s = {:.0} rows/s (one transaction)",
                backend(&url),
                out.values_written,
                secs,
                out.values_written as f64 / secs
            );
        }
        BenchCommand::Sync { companies: n, rows } => {
            let (engine, url) = fresh_engine(database_url, "2026-03-02T12:00:00Z").await?;
            let t = tenant(&engine).await?;
            let bts = ["desktop", "laptop", "server", "printer", "unknown"];
            let setup = companies(&engine, t, n, bts.len(), Some(&bts)).await?;
            engine.connect_module(t, "datto-rmm", None).await?;
            engine
                .set_module_billing(
                    t,
                    "datto-rmm",
                    &unitbill_engine::mapping::ModuleBillingInput {
                        enabled: true,
                        effective_from: None,
                    },
                    "bench",
                )
                .await?;
            // Orgs: rows / 5 values each, spread over the companies.
            let org_count = rows.div_ceil(bts.len());
            let orgs: Vec<_> = (0..org_count)
                .map(|o| {
                    let usage: serde_json::Map<String, serde_json::Value> = bts
                        .iter()
                        .map(|b| ((*b).to_owned(), json!(1 + (o % 13) as i64)))
                        .collect();
                    json!({"id": format!("org-{o}"), "name": format!("Org {o}"), "usage": usage})
                })
                .collect();
            let key = engine.connect_module(t, "datto-rmm", None).await?;
            let key = engine.authenticate_module_key(&key.secret).await?;
            engine
                .ingest_snapshot(
                    &key,
                    "datto-rmm",
                    "2026-03-01",
                    SnapshotBody::Json(&json!({"complete": true, "organizations": orgs})),
                )
                .await?;
            let changes: Vec<_> = (0..org_count)
                .map(|o| OrgMappingChange {
                    module_code: "datto-rmm".into(),
                    org_id: format!("org-{o}"),
                    effective_from: date(1900, 1, 1),
                    assignment: OrgAssignment::Mapped(setup[o % n].0),
                    changed: changed(),
                })
                .collect();
            engine.load_org_mapping_changes(t, &changes).await?;
            // Sync the day before first (nothing reported yet), then time the day with usage.
            engine.sync_through(t, date(2026, 2, 28)).await?;
            let start = Instant::now();
            let report = engine.sync_through(t, date(2026, 3, 1)).await?;
            let secs = start.elapsed().as_secs_f64();
            println!(
                "sync on {}: {n} companies, {} usage values, {} contract services: 1 day in {:.2} s ({} days); peak RSS {:.0} MiB",
                backend(&url),
                org_count * bts.len(),
                n * bts.len(),
                secs,
                report.days,
                peak_rss_mib().unwrap_or(0.0)
            );
        }
        BenchCommand::Invoice {
            companies: n,
            services,
        } => {
            let (engine, url) = fresh_engine(database_url, "2026-02-01T12:00:00Z").await?;
            let t = tenant(&engine).await?;
            companies(&engine, t, n, services, None).await?;
            let start = Instant::now();
            engine.sync_through(t, Date::constant(2026, 1, 31)).await?;
            let sync_secs = start.elapsed().as_secs_f64();
            let start = Instant::now();
            let report = engine.invoice_run(t, "2026-01", false).await?;
            let secs = start.elapsed().as_secs_f64();
            println!(
                "invoice on {}: {n} companies x {services} services, 31 days: sync {:.2} s, run {:.2} s ({} drafts); peak RSS {:.0} MiB",
                backend(&url),
                sync_secs,
                secs,
                report.documents.len(),
                peak_rss_mib().unwrap_or(0.0)
            );
        }
    }
    Ok(())
}

fn backend(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}
