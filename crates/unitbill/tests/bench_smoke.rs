//! Smoke test of `unitbill bench`: at a tiny scale it completes, writes every figure as a
//! positive number, and leaves no temporary database behind. It checks nothing about speed
//! (docs/benchmarks.md holds the measured figures).
//!
//! Runs on SQLite, and on PostgreSQL when `UNITBILL_TEST_DATABASE_URL` is set (required with
//! `UNITBILL_REQUIRE_ALL_TESTS=1`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Figures every full run reports, at 1x and (with `_2x`) at double size.
const FIGURES: &[&str] = &[
    "baseline_rows_per_s",
    "ingest_rows_per_s",
    "ingest_ratio",
    "resend_rows_per_s",
    "sync_s",
    "month_sync_s",
    "invoice_run_s",
    "invoice_drafts_s",
    "invoice_post_s",
    "db_bytes_per_year",
];

/// Phases with a peak RSS and a 2x/1x time ratio.
const PHASES: &[&str] = &[
    "baseline",
    "ingest",
    "resend",
    "sync",
    "month_sync",
    "invoice_run",
    "year_sim",
];

fn scratch_dir(backend: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "unitbill-bench-smoke-{backend}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn positive(json: &Value, key: &str) {
    let v = json
        .get(key)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{key} is missing or not a number in {json:#}"));
    assert!(v > 0.0 && v.is_finite(), "{key} = {v}");
}

fn run_bench(database_url: Option<&str>, dir: &Path) -> Value {
    let json_path = dir.join("bench.json");
    let temp = dir.join("dbs");
    std::fs::create_dir_all(&temp).expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unitbill"));
    cmd.env_remove("UNITBILL_DATABASE_URL")
        .env_remove("UNITBILL_CONFIG")
        .arg("bench")
        .args(["--scale", "0.002", "--days", "2", "--json"])
        .arg(&json_path)
        .arg("--temp-dir")
        .arg(&temp);
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let out = cmd.output().expect("run unitbill bench");
    assert!(
        out.status.success(),
        "unitbill bench failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("ingest_rows_per_s"), "{table}");
    // The SQLite files and their directory are gone.
    let left: Vec<_> = std::fs::read_dir(&temp).expect("read temp").collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let text = std::fs::read_to_string(&json_path).expect("bench JSON");
    serde_json::from_str(&text).expect("valid JSON")
}

fn check(json: &Value, backend: &str) {
    assert_eq!(json["backend"], backend);
    for key in FIGURES {
        positive(json, key);
        positive(json, &format!("{key}_2x"));
    }
    for phase in PHASES {
        positive(&json["peak_rss_mb"], phase);
        positive(&json["peak_rss_mb"], &format!("{phase}_2x"));
        positive(&json["ratio_2x"], phase);
    }
    positive(&json["ratio_2x"], "db_bytes_per_year");
}

#[test]
fn bench_completes_on_sqlite() {
    let dir = scratch_dir("sqlite");
    let json = run_bench(None, &dir);
    check(&json, "sqlite");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bench_completes_on_postgres() {
    let url = std::env::var("UNITBILL_TEST_DATABASE_URL").unwrap_or_default();
    if url.is_empty() {
        assert_ne!(
            std::env::var("UNITBILL_REQUIRE_ALL_TESTS").as_deref(),
            Ok("1"),
            "UNITBILL_REQUIRE_ALL_TESTS=1 but UNITBILL_TEST_DATABASE_URL is not set"
        );
        eprintln!("note: UNITBILL_TEST_DATABASE_URL is not set; the PostgreSQL bench is skipped");
        return;
    }
    let dir = scratch_dir("postgres");
    let json = run_bench(Some(&url), &dir);
    check(&json, "postgres");
    std::fs::remove_dir_all(&dir).ok();
}
