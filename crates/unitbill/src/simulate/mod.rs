//! `unitbill simulate`: realistic daily snapshots of catalog modules, pushed through the real
//! ingestion API.
//!
//! [`model`] is the simulated MSP (pure: a seed and a window give the same snapshots every
//! time), [`names`] its client names and their misspellings, [`push`] the HTTP side.

pub mod model;
pub mod names;
pub mod push;

use std::collections::BTreeMap;
use std::io::IsTerminal;

use anyhow::{Context, Result, bail};
use clap::Args;
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use unitbill_engine::Engine;

pub use model::{ALL_MODULES, SimConfig, World};
pub use push::{PushOptions, PushReport, Target, push_world};

#[derive(Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Base URL of the unitbill server to push to.
    #[arg(long, env = "UNITBILL_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Tenant (slug or id) whose modules to connect, issuing their keys through the database
    /// (the same one the server uses). Not needed when every module has a --key.
    #[arg(long)]
    pub tenant: Option<String>,
    /// A module key, as MODULE=KEY; repeat for several modules.
    #[arg(long = "key", value_name = "MODULE=KEY", value_parser = parse_key)]
    pub keys: Vec<(String, String)>,
    /// Modules to simulate, comma-separated (default: all 17, or those of the --key flags).
    #[arg(long, value_delimiter = ',')]
    pub modules: Vec<String>,
    /// First day to send (YYYY-MM-DD). Default: --days before --to.
    #[arg(long)]
    pub from: Option<Date>,
    /// Last day to send. Default: yesterday in the tenant's time zone.
    #[arg(long)]
    pub to: Option<Date>,
    /// Number of days ending at --to (ignored with --from).
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Number of client organizations of the simulated MSP.
    #[arg(long, default_value_t = 40)]
    pub clients: usize,
    /// The same seed sends the same snapshots.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Modules sent at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

fn parse_key(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((m, k)) if !m.trim().is_empty() && !k.trim().is_empty() => {
            Ok((m.trim().to_owned(), k.trim().to_owned()))
        }
        _ => Err(format!("{s:?} is not MODULE=KEY")),
    }
}

/// What `unitbill simulate --json` prints.
#[derive(Debug, Serialize)]
pub struct SimulateSummary {
    pub url: String,
    pub seed: u64,
    pub from: Date,
    pub to: Date,
    pub clients: usize,
    pub modules: Vec<String>,
    pub orgs: usize,
    pub elapsed_seconds: f64,
    #[serde(flatten)]
    pub report: PushReport,
}

/// The tenant id a module key names (`ubm_12_...`), if it has that shape.
fn key_tenant(key: &str) -> Option<i64> {
    key.strip_prefix("ubm_")?.split('_').next()?.parse().ok()
}

/// Yesterday in a time zone.
pub fn yesterday_in(tz: TimeZone) -> Date {
    let today = jiff::Timestamp::now().to_zoned_datetime(tz).date();
    today.yesterday().unwrap_or(today)
}

pub async fn run(engine: Engine, args: SimulateArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let tenant = match &args.tenant {
        Some(t) => Some(engine.find_tenant(t).await?),
        None => match args.keys.first().and_then(|(_, k)| key_tenant(k)) {
            Some(id) => engine.tenant(id).await.ok(),
            None => None,
        },
    };
    let tz = match &tenant {
        Some(t) => TimeZone::get(&t.time_zone).context("the tenant's time zone")?,
        None => TimeZone::system(),
    };
    let to = args.to.unwrap_or_else(|| yesterday_in(tz));
    let from = match args.from {
        Some(f) => f,
        None => to
            .checked_sub(i64::from(args.days.max(1) - 1).days())
            .context("--days reaches too far back")?,
    };
    let mut keys: BTreeMap<String, String> = args.keys.iter().cloned().collect();
    let modules: Vec<String> = if !args.modules.is_empty() {
        args.modules.iter().map(|m| m.trim().to_owned()).collect()
    } else if args.tenant.is_none() && !keys.is_empty() {
        keys.keys().cloned().collect()
    } else {
        ALL_MODULES.iter().map(|m| (*m).to_owned()).collect()
    };
    let world = World::new(SimConfig {
        seed: args.seed,
        clients: args.clients,
        modules: modules.clone(),
        from,
        to,
    })
    .map_err(anyhow::Error::msg)?;
    for m in world.modules() {
        if keys.contains_key(m) {
            continue;
        }
        match (&args.tenant, &tenant) {
            (Some(_), Some(t)) => {
                let issued = engine.connect_module(t.id, m, None).await?;
                keys.insert(m.to_owned(), issued.secret);
            }
            _ => bail!("no module key for {m}: give --tenant SLUG, or --key {m}=KEY"),
        }
    }
    let progress = !args.json && std::io::stderr().is_terminal();
    let report = push_world(
        &world,
        &Target {
            url: args.url.clone(),
            keys,
        },
        &PushOptions {
            concurrency: args.concurrency,
            progress,
            skip: Default::default(),
        },
    )
    .await?;
    let summary = SimulateSummary {
        url: args.url,
        seed: args.seed,
        from,
        to,
        clients: world.clients.len(),
        modules: world.modules().map(str::to_owned).collect(),
        orgs: world.orgs.values().map(Vec::len).sum(),
        elapsed_seconds: started.elapsed().as_secs_f64(),
        report,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let r = &summary.report;
        println!(
            "pushed {} snapshots ({} changed something, {} late corrections) to {} in {:.1}s",
            r.pushed, r.changed, r.corrections, summary.url, summary.elapsed_seconds
        );
        println!(
            "  {} modules, {} clients, {} orgs, {} to {} (seed {})",
            summary.modules.len(),
            summary.clients,
            summary.orgs,
            summary.from,
            summary.to,
            summary.seed
        );
        if !r.missed_days.is_empty() {
            println!(
                "  missed days (no snapshot sent): {}",
                r.missed_days
                    .iter()
                    .map(|(m, d)| format!("{m} {d}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse() {
        assert_eq!(
            parse_key("datto-rmm=ubm_3_abc").unwrap(),
            ("datto-rmm".into(), "ubm_3_abc".into())
        );
        assert!(parse_key("datto-rmm").is_err());
        assert_eq!(key_tenant("ubm_12_deadbeef"), Some(12));
        assert_eq!(key_tenant("nope"), None);
    }
}
