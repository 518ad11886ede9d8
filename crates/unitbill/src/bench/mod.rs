//! `unitbill bench`: measures ingestion, the nightly sync, the invoice run and the database's
//! growth in one run, each next to the storage engine's own limit and again at double size,
//! on fresh databases (SQLite by default, PostgreSQL with `--database-url`), so speed claims
//! are reproducible numbers, not timed tests. The figures and their meaning:
//! docs/benchmarks.md.

mod report;
mod scratch;
mod setup;
mod steps;

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use report::Report;
use scratch::Scratch;

/// The parts of a bench run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Step {
    /// The raw one-transaction insert of the ingest's rows into `usage_points` (the first day of a module's runs).
    Baseline,
    /// One NDJSON snapshot over HTTP, then the same body again.
    Ingest,
    /// The nightly sync of one day.
    Sync,
    /// The month's sync, the invoice run and posting.
    Invoice,
    /// A simulated stretch of days, its database size extrapolated to a year.
    Year,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Baseline => "baseline",
            Step::Ingest => "ingest",
            Step::Sync => "sync",
            Step::Invoice => "invoice",
            Step::Year => "year",
        }
    }
}

/// `unitbill bench`'s flags.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Multiply every size (orgs, values, companies) by this factor; days are not scaled.
    /// E.g. 0.01 for a smoke run. Scale 1: issue #13's sizes.
    #[arg(long, default_value_t = 1.0, value_parser = positive_scale)]
    pub scale: f64,
    /// Run only this step (repeatable). Without it, all of them.
    #[arg(long = "only", value_enum, value_name = "STEP")]
    pub only: Vec<Step>,
    /// Days simulated for db_bytes_per_year (at least 2), extrapolated linearly to 365.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(2..=366))]
    pub days: u32,
    /// Skip the double-size runs (no `_2x` figures): a quicker look.
    #[arg(long)]
    pub no_double: bool,
    /// Also write the figures as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Directory for the temporary SQLite databases (a new directory in it, removed at the
    /// end). Default: the system's temporary directory.
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
}

fn positive_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f.is_finite() => Ok(f),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

/// Runs the bench: on PostgreSQL when `database_url` names a server, else on SQLite.
pub async fn run(args: BenchArgs, database_url: Option<String>) -> Result<()> {
    let mut steps = if args.only.is_empty() {
        vec![
            Step::Baseline,
            Step::Ingest,
            Step::Sync,
            Step::Invoice,
            Step::Year,
        ]
    } else {
        args.only.clone()
    };
    steps.sort();
    steps.dedup();
    let mut scratch = Scratch::new(database_url, args.temp_dir.clone())?;
    let mut report = Report::new(scratch.backend(), args.scale, args.days);
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; measure with `cargo run --release -- bench`");
    }
    let result = run_steps(&args, &steps, &mut scratch, &mut report).await;
    scratch.cleanup().await;
    drop(scratch);
    result?;
    report.print();
    if let Some(path) = &args.json {
        report.write_json(path)?;
        eprintln!("figures written to {}", path.display());
    }
    Ok(())
}

async fn run_steps(
    args: &BenchArgs,
    steps: &[Step],
    scratch: &mut Scratch,
    report: &mut Report,
) -> Result<()> {
    let sizes: &[u32] = if args.no_double { &[1] } else { &[1, 2] };
    for &step in steps {
        for &mult in sizes {
            let factor = args.scale * f64::from(mult);
            eprintln!(
                "{} on {} at {mult}x (scale {factor})...",
                step.label(),
                scratch.backend().label()
            );
            let days = args.days;
            let outcome = match step {
                Step::Baseline => {
                    steps::on_fresh(scratch, "baseline", |url, _| steps::baseline(url, factor))
                        .await
                }
                Step::Ingest => {
                    steps::on_fresh(scratch, "ingest", |url, _| steps::ingest(url, factor)).await
                }
                Step::Sync => {
                    steps::on_fresh(scratch, "sync", |url, c| steps::sync(url, factor, c)).await
                }
                Step::Invoice => {
                    steps::on_fresh(scratch, "invoice", |url, c| steps::invoice(url, factor, c))
                        .await
                }
                Step::Year => {
                    steps::on_fresh(scratch, "year", |url, c| steps::year(url, factor, days, c))
                        .await
                }
            };
            match outcome {
                Ok(outcome) => report.add(step, mult, outcome),
                Err(e) => bail!("{} at {mult}x: {e:#}", step.label()),
            }
        }
    }
    Ok(())
}
