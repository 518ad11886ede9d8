//! Sending the simulated snapshots through the real ingestion API, as modules do:
//! `PUT {url}/api/v1/modules/{module}/usage/{date}` with the module key.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::civil::Date;
use serde::Serialize;

use super::model::{Push, World};

/// Where to send, and how.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server's base URL (`http://127.0.0.1:8080`).
    pub url: String,
    /// Module code -> module key.
    pub keys: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Modules sent at once (each module's days go in order).
    pub concurrency: usize,
    /// Show a progress bar on the terminal.
    pub progress: bool,
    /// (module, date) pairs not to send (already stored), corrections of those dates included.
    pub skip: BTreeSet<(String, Date)>,
}

/// What was sent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PushReport {
    /// Snapshots the server accepted.
    pub pushed: usize,
    /// Of those, the ones that changed something (`"changed": true`).
    pub changed: usize,
    /// Late corrections among them.
    pub corrections: usize,
    /// New orgs the server reported.
    pub new_orgs: usize,
    /// Days not sent because they were already stored.
    pub skipped: usize,
    /// Per module: snapshots sent.
    pub per_module: BTreeMap<String, usize>,
    /// Per module: the day it deliberately sent nothing.
    pub missed_days: BTreeMap<String, Date>,
}

#[derive(serde::Deserialize)]
struct Stored {
    changed: bool,
    #[serde(default)]
    new_orgs: usize,
}

/// Sends every push of the world's window: modules in parallel (`concurrency` at once), each
/// module's days in order, each day's late correction right after it. Stops at the first
/// refusal, with the server's problem text.
pub async fn push_world(world: &World, target: &Target, opts: &PushOptions) -> Result<PushReport> {
    let modules: Vec<String> = world.modules().map(str::to_owned).collect();
    for m in &modules {
        if !target.keys.contains_key(m) {
            bail!("no module key for {m}: give --tenant, or --key {m}=KEY");
        }
    }
    let days = world.days();
    let mut plan: Vec<(String, Vec<Push>)> = Vec::new();
    let mut skipped = 0;
    for m in &modules {
        let mut pushes = Vec::new();
        for d in &days {
            for p in world.pushes(m, *d) {
                if opts.skip.contains(&(m.clone(), p.date)) {
                    skipped += usize::from(!p.correction);
                } else {
                    pushes.push(p);
                }
            }
        }
        plan.push((m.clone(), pushes));
    }
    let total: usize = plan.iter().map(|(_, p)| p.len()).sum();
    let bar = if opts.progress {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} pushing [{wide_bar}] {pos}/{len} snapshots")
                .expect("template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .context("building the HTTP client")?;
    let base = target.url.trim_end_matches('/').to_owned();
    let bar = Arc::new(bar);
    let results: Vec<Result<(String, PushReport)>> =
        futures::stream::iter(plan.into_iter().map(|(module, pushes)| {
            let client = client.clone();
            let key = target.keys[&module].clone();
            let base = base.clone();
            let bar = bar.clone();
            async move {
                let mut r = PushReport::default();
                for p in &pushes {
                    let stored = send(&client, &base, &key, p).await?;
                    r.pushed += 1;
                    r.changed += usize::from(stored.changed);
                    r.corrections += usize::from(p.correction);
                    r.new_orgs += stored.new_orgs;
                    bar.inc(1);
                }
                r.per_module.insert(module.clone(), r.pushed);
                Ok((module, r))
            }
        }))
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let mut report = PushReport {
        skipped,
        missed_days: world.missed.clone(),
        ..PushReport::default()
    };
    for r in results {
        let (_, r) = r?;
        report.pushed += r.pushed;
        report.changed += r.changed;
        report.corrections += r.corrections;
        report.new_orgs += r.new_orgs;
        report.per_module.extend(r.per_module);
    }
    Ok(report)
}

/// One PUT, retried a few times on a connection error or a 5xx (a 4xx is final).
async fn send(client: &reqwest::Client, base: &str, key: &str, p: &Push) -> Result<Stored> {
    let url = format!("{base}/api/v1/modules/{}/usage/{}", p.module, p.date);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let res = client
            .put(&url)
            .bearer_auth(key)
            .json(&p.snapshot)
            .send()
            .await;
        match res {
            Ok(resp) if resp.status().is_success() => {
                return resp
                    .json::<Stored>()
                    .await
                    .with_context(|| format!("reading the answer to PUT {url}"));
            }
            Ok(resp) if resp.status().is_client_error() || attempt >= 4 => {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                return Err(anyhow!("PUT {url} was refused ({status}): {body}"));
            }
            Err(e) if attempt >= 4 => {
                return Err(anyhow!(e).context(format!("PUT {url}")));
            }
            _ => tokio::time::sleep(Duration::from_millis(200 * attempt)).await,
        }
    }
}
