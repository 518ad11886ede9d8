//! The bench's steps. Each runs on a fresh database of its own, sets up its tenant (not
//! timed), then times its phases; each phase's peak RSS is measured from a reset just before
//! it (see `scratch::reset_peak_rss`).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use jiff::ToSpan;
use jiff::civil::{Date, date};
use rand::SeedableRng;
use unitbill_engine::Engine;

use super::scratch::{Scratch, peak_rss_mib, reset_peak_rss};
use super::setup::{
    DayUsage, INGEST_TYPES, MAPPED_TYPES, MODULE, companies, enable_billing, engine_at, ingest_day,
    map_orgs, module_key, progress, tenant,
};

/// Sizes at scale 1 (issue #13's tenants).
pub mod base {
    /// HTTP ingest: orgs of one snapshot, each reporting the ten `INGEST_TYPES`.
    pub const INGEST_ORGS: usize = 100_000;
    /// Sync of one day: companies (five mapped contract services each) and usage values.
    pub const SYNC_COMPANIES: usize = 5_000;
    pub const SYNC_VALUES: usize = 255_000;
    /// Invoice run: companies with ten fixed services each, over a 31-day month.
    pub const INVOICE_COMPANIES: usize = 10_000;
    pub const INVOICE_SERVICES: usize = 10;
    /// Share of the year tenant's values that change from one day to the next.
    pub const YEAR_DAILY_CHANGE: f64 = 0.02;
}

/// `n` scaled by `factor`, at least 1.
pub fn scaled(n: usize, factor: f64) -> usize {
    ((n as f64 * factor).round() as usize).max(1)
}

/// One timed phase of a step.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: &'static str,
    pub seconds: f64,
    /// Rows (values) it wrote, for the phases reported as a rate.
    pub rows: Option<u64>,
    pub peak_rss_mib: f64,
}

/// What a step measured: its phases, other figures, and what it was run on.
#[derive(Debug, Clone, Default)]
pub struct StepOutcome {
    pub phases: Vec<Phase>,
    pub figures: Vec<(&'static str, f64)>,
    pub size: String,
    pub notes: Vec<String>,
}

/// Runs `fut`, timing it and measuring its peak RSS.
async fn measure<T>(fut: impl Future<Output = Result<T>>) -> Result<(T, f64, f64)> {
    reset_peak_rss();
    let start = Instant::now();
    let value = fut.await?;
    Ok((value, start.elapsed().as_secs_f64(), peak_rss_mib()))
}

fn phase(name: &'static str, seconds: f64, rows: Option<u64>, peak: f64) -> Phase {
    Phase {
        name,
        seconds,
        rows,
        peak_rss_mib: peak,
    }
}

/// Runs one step on a fresh database and removes the database afterwards, also on error.
pub async fn on_fresh<F, Fut>(scratch: &mut Scratch, label: &str, step: F) -> Result<StepOutcome>
where
    F: FnOnce(String, usize) -> Fut,
    Fut: Future<Output = Result<StepOutcome>>,
{
    let url = scratch.fresh(label).await?;
    let result = step(url.clone(), scratch.setup_concurrency()).await;
    scratch.discard(&url).await?;
    result
}

/// The raw one-transaction insert of the ingest's rows into `usage_points` (the first day of a module's runs).
pub async fn baseline(url: String, factor: f64) -> Result<StepOutcome> {
    let usage = DayUsage::new(&INGEST_TYPES, scaled(base::INGEST_ORGS, factor));
    let rows = usage.rows()?;
    drop(usage);
    reset_peak_rss();
    let out = unitbill_store::bench::baseline_insert(&url, 1, MODULE, date(2026, 3, 1), &rows)
        .await
        .context("baseline insert")?;
    let peak = peak_rss_mib();
    if out.rows != rows.len() as u64 {
        bail!("baseline stored {} rows of {}", out.rows, rows.len());
    }
    Ok(StepOutcome {
        phases: vec![phase(
            "baseline",
            out.elapsed.as_secs_f64(),
            Some(out.rows),
            peak,
        )],
        figures: vec![],
        size: format!("{} rows", out.rows),
        notes: vec![format!("baseline method: {}", out.method)],
    })
}

/// The real router on loopback, in this process.
struct Server {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(engine: Engine) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = unitbill_server::router(unitbill_server::AppState::new(engine));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self { addr, stop, task })
    }

    async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
    }
}

/// PUTs the NDJSON body and returns the server's answer.
async fn put_snapshot(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: Bytes,
) -> Result<serde_json::Value> {
    let response = client
        .put(url)
        .bearer_auth(secret)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("PUT {url}: {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

/// One NDJSON snapshot over HTTP, then the same body again (an unchanged day).
pub async fn ingest(url: String, factor: f64) -> Result<StepOutcome> {
    let engine = engine_at(&url, "2026-03-02T12:00:00Z").await?;
    let t = tenant(&engine).await?;
    let key = engine.connect_module(t, MODULE, None).await?;
    let usage = DayUsage::new(&INGEST_TYPES, scaled(base::INGEST_ORGS, factor));
    let (values, orgs) = (usage.values() as u64, usage.orgs());
    let body = Bytes::from(usage.ndjson());
    drop(usage);
    let server = Server::start(engine).await?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    let put_url = format!(
        "http://{}/api/v1/modules/{MODULE}/usage/2026-03-01",
        server.addr
    );

    let (first, secs, peak) =
        measure(put_snapshot(&client, &put_url, &key.secret, body.clone())).await?;
    if first["values_written"].as_u64() != Some(values) {
        bail!(
            "the snapshot wrote {} of {values} values",
            first["values_written"]
        );
    }
    let (again, resend_secs, resend_peak) =
        measure(put_snapshot(&client, &put_url, &key.secret, body.clone())).await?;
    if again["changed"].as_bool() != Some(false) {
        bail!("re-sending the same snapshot changed it: {again}");
    }
    server.stop().await?;
    Ok(StepOutcome {
        phases: vec![
            phase("ingest", secs, Some(values), peak),
            phase("resend", resend_secs, Some(values), resend_peak),
        ],
        figures: vec![("ingest_body_mb", body.len() as f64 / 1e6)],
        size: format!(
            "{values} values ({orgs} orgs x {}), NDJSON over HTTP",
            INGEST_TYPES.len()
        ),
        notes: vec![
            "ingest/resend RSS: the whole process, i.e. the in-process server plus the client \
             holding the request body"
                .into(),
        ],
    })
}

/// The nightly sync of one day with usage.
pub async fn sync(url: String, factor: f64, concurrency: usize) -> Result<StepOutcome> {
    let n = scaled(base::SYNC_COMPANIES, factor);
    let orgs = scaled(base::SYNC_VALUES, factor).div_ceil(MAPPED_TYPES.len());
    let engine = engine_at(&url, "2026-03-02T12:00:00Z").await?;
    let t = tenant(&engine).await?;
    let setup = companies(
        &engine,
        t,
        n,
        MAPPED_TYPES.len(),
        Some(&MAPPED_TYPES),
        concurrency,
    )
    .await?;
    let key = module_key(&engine, t).await?;
    enable_billing(&engine, t).await?;
    let usage = DayUsage::new(&MAPPED_TYPES, orgs);
    ingest_day(&engine, &key, date(2026, 3, 1), &usage).await?;
    map_orgs(&engine, t, orgs, &setup).await?;
    // The days before have no usage; sync them first so only the day with usage is timed.
    engine.sync_through(t, date(2026, 2, 28)).await?;
    let (report, secs, peak) =
        measure(async { Ok(engine.sync_through(t, date(2026, 3, 1)).await?) }).await?;
    if report.days != 1 {
        bail!("the timed sync covered {} days, not 1", report.days);
    }
    Ok(StepOutcome {
        phases: vec![phase("sync", secs, None, peak)],
        figures: vec![],
        size: format!(
            "1 day: {n} companies, {} contract services, {} values",
            n * MAPPED_TYPES.len(),
            usage.values()
        ),
        notes: vec![],
    })
}

/// The month's sync, then the invoice run's drafts, then posting them all.
pub async fn invoice(url: String, factor: f64, concurrency: usize) -> Result<StepOutcome> {
    let n = scaled(base::INVOICE_COMPANIES, factor);
    let services = base::INVOICE_SERVICES;
    let engine = engine_at(&url, "2026-02-01T12:00:00Z").await?;
    let t = tenant(&engine).await?;
    companies(&engine, t, n, services, None, concurrency).await?;
    let (sync, sync_secs, sync_peak) =
        measure(async { Ok(engine.sync_through(t, date(2026, 1, 31)).await?) }).await?;
    let (run, run_secs, run_peak) =
        measure(async { Ok(engine.invoice_run(t, "2026-01", false).await?) }).await?;
    let ids: Vec<i64> = run.documents.iter().map(|d| d.id).collect();
    if ids.len() != n {
        bail!("the run made {} drafts for {n} companies", ids.len());
    }
    let (posted, post_secs, post_peak) =
        measure(async { Ok(engine.post_documents(t, &ids).await?) }).await?;
    if posted.len() != n {
        bail!("posted {} of {n} drafts", posted.len());
    }
    Ok(StepOutcome {
        phases: vec![
            phase("month_sync", sync_secs, None, sync_peak),
            phase("invoice_drafts", run_secs, None, run_peak),
            phase("invoice_post", post_secs, None, post_peak),
            phase(
                "invoice_run",
                run_secs + post_secs,
                None,
                run_peak.max(post_peak),
            ),
        ],
        figures: vec![],
        size: format!(
            "{n} companies x {services} services, 31 days ({} days synced), {n} invoices",
            sync.days
        ),
        notes: vec![],
    })
}

/// A simulated stretch of `days` days of the 5,000-client tenant, ingested and synced day by
/// day, its database size extrapolated to a year.
pub async fn year(url: String, factor: f64, days: u32, concurrency: usize) -> Result<StepOutcome> {
    let n = scaled(base::SYNC_COMPANIES, factor);
    let orgs = scaled(base::SYNC_VALUES, factor).div_ceil(MAPPED_TYPES.len());
    let first = date(2026, 1, 1);
    let now = format!("{}T12:00:00Z", first.checked_add((days as i64 + 1).days())?);
    let engine = engine_at(&url, &now).await?;
    let t = tenant(&engine).await?;
    let setup = companies(
        &engine,
        t,
        n,
        MAPPED_TYPES.len(),
        Some(&MAPPED_TYPES),
        concurrency,
    )
    .await?;
    let key = module_key(&engine, t).await?;
    enable_billing(&engine, t).await?;
    let mut usage = DayUsage::new(&MAPPED_TYPES, orgs);
    let changes = ((usage.values() as f64 * base::YEAR_DAILY_CHANGE).round() as usize).max(1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);

    let bar = progress(days as usize, "days");
    let (mut ingest_secs, mut sync_secs, mut first_day_bytes) = (0.0, 0.0, 0);
    let (_, secs, peak) = measure(async {
        for d in 0..days {
            let day: Date = first.checked_add((d as i64).days())?;
            if d > 0 {
                change_some(&mut usage, changes, &mut rng);
            }
            let start = Instant::now();
            ingest_day(&engine, &key, day, &usage).await?;
            ingest_secs += start.elapsed().as_secs_f64();
            if d == 0 {
                map_orgs(&engine, t, orgs, &setup).await?;
            }
            let start = Instant::now();
            engine.sync_through(t, day).await?;
            sync_secs += start.elapsed().as_secs_f64();
            if d == 0 {
                first_day_bytes = unitbill_store::bench::database_bytes(&url).await?;
            }
            bar.inc(1);
        }
        anyhow::Ok(())
    })
    .await?;
    bar.finish_and_clear();
    let last_bytes = unitbill_store::bench::database_bytes(&url).await?;
    Ok(StepOutcome {
        phases: vec![phase("year_sim", secs, None, peak)],
        figures: year_figures(first_day_bytes, last_bytes, days, ingest_secs, sync_secs),
        size: format!(
            "{n} companies, {} values a day, {}% changing daily; extrapolated from {days} days",
            usage.values(),
            base::YEAR_DAILY_CHANGE * 100.0
        ),
        notes: vec![],
    })
}

/// The year's size: the first day (which also holds the setup and the mappings) plus the
/// growth of the later days, per day, times the 364 days after it.
fn year_figures(
    first_day: u64,
    last: u64,
    days: u32,
    ingest_secs: f64,
    sync_secs: f64,
) -> Vec<(&'static str, f64)> {
    let later_days = f64::from(days.saturating_sub(1).max(1));
    let per_day = last.saturating_sub(first_day) as f64 / later_days;
    vec![
        ("db_bytes_per_year", first_day as f64 + per_day * 364.0),
        ("db_bytes_per_day", per_day),
        ("db_bytes_simulated", last as f64),
        ("year_day_ingest_s", ingest_secs / f64::from(days)),
        ("year_day_sync_s", sync_secs / f64::from(days)),
    ]
}

/// Changes `k` distinct values by one (never below 1), as a day's churn.
fn change_some(usage: &mut DayUsage<'_>, k: usize, rng: &mut rand_chacha::ChaCha8Rng) {
    use rand::Rng;
    let len = usage.quantities.len();
    for i in rand::seq::index::sample(rng, len, k.min(len)).into_vec() {
        let q = &mut usage.quantities[i];
        *q = if *q > 1 && rng.random_bool(0.5) {
            *q - 1
        } else {
            *q + 1
        };
    }
}
