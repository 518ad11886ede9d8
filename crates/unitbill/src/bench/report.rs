//! The bench's figures: a table on stdout and, with `--json`, one JSON object.
//!
//! Keys (docs/benchmarks.md): a phase that writes rows gives `{phase}_rows_per_s`, any other
//! `{phase}_s`; steps add their own figures (`db_bytes_per_year`, ...). At double size each key
//! gets `_2x`. `peak_rss_mb` holds each phase's peak RSS in MiB, and `ratio_2x` each phase's
//! time at 2x over its time at 1x (2.0 is linear), and the size ratio of `db_bytes_per_year`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use super::Step;
use super::scratch::Backend;
use super::steps::StepOutcome;

/// Everything a run measured.
pub struct Report {
    backend: Backend,
    scale: f64,
    days: u32,
    started: jiff::Timestamp,
    figures: BTreeMap<String, f64>,
    seconds: BTreeMap<String, f64>,
    peak_rss: BTreeMap<String, f64>,
    sizes: BTreeMap<String, String>,
    notes: Vec<String>,
}

fn suffix(mult: u32) -> &'static str {
    if mult == 1 { "" } else { "_2x" }
}

impl Report {
    pub fn new(backend: Backend, scale: f64, days: u32) -> Self {
        Self {
            backend,
            scale,
            days,
            started: jiff::Timestamp::now(),
            figures: BTreeMap::new(),
            seconds: BTreeMap::new(),
            peak_rss: BTreeMap::new(),
            sizes: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// Records a step's outcome at size `mult` (1 or 2).
    pub fn add(&mut self, step: Step, mult: u32, outcome: StepOutcome) {
        let sfx = suffix(mult);
        for p in &outcome.phases {
            let key = match p.rows {
                Some(_) => format!("{}_rows_per_s{sfx}", p.name),
                None => format!("{}_s{sfx}", p.name),
            };
            let value = p.rows.map_or(p.seconds, |r| r as f64 / p.seconds);
            self.figures.insert(key, value);
            self.seconds.insert(format!("{}{sfx}", p.name), p.seconds);
            self.peak_rss
                .insert(format!("{}{sfx}", p.name), p.peak_rss_mib);
        }
        for (key, value) in &outcome.figures {
            self.figures.insert(format!("{key}{sfx}"), *value);
        }
        self.sizes
            .insert(format!("{}{sfx}", step.label()), outcome.size);
        for note in outcome.notes {
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        // The ratio to the engine's limit, once both are measured at this size.
        let (ingest, baseline) = (
            self.figures.get(&format!("ingest_rows_per_s{sfx}")),
            self.figures.get(&format!("baseline_rows_per_s{sfx}")),
        );
        if let (Some(i), Some(b)) = (ingest, baseline) {
            let ratio = i / b;
            self.figures.insert(format!("ingest_ratio{sfx}"), ratio);
        }
    }

    /// Time at 2x over time at 1x per phase, and the size ratio of a year.
    fn ratios(&self) -> BTreeMap<String, f64> {
        let mut out: BTreeMap<String, f64> = self
            .seconds
            .iter()
            .filter(|(k, _)| !k.ends_with("_2x"))
            .filter_map(|(k, one)| Some((k.clone(), self.seconds.get(&format!("{k}_2x"))? / one)))
            .collect();
        if let (Some(one), Some(two)) = (
            self.figures.get("db_bytes_per_year"),
            self.figures.get("db_bytes_per_year_2x"),
        ) {
            out.insert("db_bytes_per_year".into(), two / one);
        }
        out
    }

    /// The figures as one JSON object (flat figure keys, then the maps).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("backend".into(), json!(self.backend.label()));
        out.insert("scale".into(), json!(self.scale));
        out.insert("year_days_simulated".into(), json!(self.days));
        out.insert("started_at".into(), json!(self.started.to_string()));
        out.insert(
            "build".into(),
            json!(if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }),
        );
        out.insert(
            "cpus".into(),
            json!(std::thread::available_parallelism().map_or(0, |n| n.get())),
        );
        for (k, v) in &self.figures {
            out.insert(k.clone(), json!(v));
        }
        out.insert("peak_rss_mb".into(), json!(self.peak_rss));
        out.insert("ratio_2x".into(), json!(self.ratios()));
        out.insert("sizes".into(), json!(self.sizes));
        out.insert("notes".into(), json!(self.notes));
        Value::Object(out)
    }

    pub fn write_json(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.to_json())?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
    }

    /// The table on stdout.
    pub fn print(&self) {
        println!(
            "unitbill bench on {} ({} build), scale {}, {}",
            self.backend.label(),
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            self.scale,
            self.started.strftime("%Y-%m-%d %H:%M UTC")
        );
        println!(
            "{:<22} {:>14} {:>14} {:>8} {:>10} {:>10}",
            "figure", "1x", "2x", "2x/1x", "RSS 1x", "RSS 2x"
        );
        let ratios = self.ratios();
        for (key, phase, rss_phase, kind) in ROWS {
            let one = self.figures.get(*key);
            let two = self.figures.get(&format!("{key}_2x"));
            if one.is_none() && two.is_none() {
                continue;
            }
            let ratio = phase.and_then(|p| ratios.get(p));
            let rss = |sfx: &str| {
                rss_phase
                    .and_then(|p| self.peak_rss.get(&format!("{p}{sfx}")))
                    .map_or(String::new(), |m| format!("{m:.0} MiB"))
            };
            println!(
                "{:<22} {:>14} {:>14} {:>8} {:>10} {:>10}",
                key,
                kind.show(one),
                kind.show(two),
                ratio.map_or(String::new(), |r| format!("{r:.2}")),
                rss(""),
                rss("_2x"),
            );
        }
        println!(
            "(2x/1x: time at double size over time at 1x, 2.00 = linear; db_bytes_per_year: size)"
        );
        for (step, size) in &self.sizes {
            println!("  {step}: {size}");
        }
        for note in &self.notes {
            println!("  {note}");
        }
    }
}

/// How a figure reads.
#[derive(Clone, Copy)]
enum Kind {
    Rate,
    Seconds,
    Ratio,
    Bytes,
}

impl Kind {
    fn show(self, v: Option<&f64>) -> String {
        let Some(&v) = v else { return String::new() };
        match self {
            Kind::Rate if v >= 1e6 => format!("{:.2}M/s", v / 1e6),
            Kind::Rate => format!("{:.0}k/s", v / 1e3),
            Kind::Seconds => format!("{v:.2} s"),
            Kind::Ratio => format!("{v:.2}"),
            Kind::Bytes if v >= 1e9 => format!("{:.2} GB", v / 1e9),
            Kind::Bytes => format!("{:.1} MB", v / 1e6),
        }
    }
}

/// The table's rows: figure key, its `ratio_2x` key, the phase whose peak RSS goes with it,
/// and how it reads.
type Row = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Kind,
);
const ROWS: &[Row] = &[
    (
        "baseline_rows_per_s",
        Some("baseline"),
        Some("baseline"),
        Kind::Rate,
    ),
    (
        "ingest_rows_per_s",
        Some("ingest"),
        Some("ingest"),
        Kind::Rate,
    ),
    ("ingest_ratio", None, None, Kind::Ratio),
    (
        "resend_rows_per_s",
        Some("resend"),
        Some("resend"),
        Kind::Rate,
    ),
    ("sync_s", Some("sync"), Some("sync"), Kind::Seconds),
    (
        "month_sync_s",
        Some("month_sync"),
        Some("month_sync"),
        Kind::Seconds,
    ),
    (
        "invoice_run_s",
        Some("invoice_run"),
        Some("invoice_run"),
        Kind::Seconds,
    ),
    (
        "invoice_drafts_s",
        Some("invoice_drafts"),
        Some("invoice_drafts"),
        Kind::Seconds,
    ),
    (
        "invoice_post_s",
        Some("invoice_post"),
        Some("invoice_post"),
        Kind::Seconds,
    ),
    (
        "db_bytes_per_year",
        Some("db_bytes_per_year"),
        Some("year_sim"),
        Kind::Bytes,
    ),
    ("db_bytes_per_day", None, None, Kind::Bytes),
    ("year_day_ingest_s", None, None, Kind::Seconds),
    ("year_day_sync_s", None, None, Kind::Seconds),
    (
        "year_sim_s",
        Some("year_sim"),
        Some("year_sim"),
        Kind::Seconds,
    ),
];
