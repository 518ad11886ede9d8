//! `unitbill export`: a period's posted documents written to a directory, in the format an
//! accountant, an e-invoicing network or the books want.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use unitbill_engine::Engine;
use unitbill_engine::exports::{ExportFormat, ExportSettings, SETTINGS_DIR_ENV};

/// Write a period's posted invoices and credit notes as PDFs, UBL 2.1 (EN 16931) XML,
/// QuickBooks Online or Xero CSV, or an hledger journal (with the payments on them).
///
/// Addresses, tax identifiers and the accounting mapping (items, account codes, tax codes,
/// journal accounts) come from a settings file: --settings, else
/// $UNITBILL_EXPORT_SETTINGS_DIR/<tenant slug>.toml, else defaults (see
/// crates/exports/src/settings.rs for every key).
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Tenant slug or id.
    #[arg(long)]
    pub tenant: String,
    /// The period whose documents are exported (YYYY-MM), or `all`.
    #[arg(long)]
    pub period: String,
    /// pdf and ubl write one file per document; quickbooks, xero and journal one per batch
    /// (QuickBooks credit notes in a second file; Xero split at 500 invoices).
    #[arg(long, value_parser = ["pdf", "ubl", "quickbooks", "xero", "journal"])]
    pub format: String,
    /// Directory to write into (created if needed; files of the same name are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Export settings file (TOML, or JSON by any other extension).
    #[arg(long, env = "UNITBILL_EXPORT_SETTINGS")]
    pub settings: Option<PathBuf>,
    /// Print the written paths as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(engine: &Engine, args: ExportArgs) -> Result<()> {
    let tenant = engine.find_tenant(&args.tenant).await?;
    let format: ExportFormat = args.format.parse()?;
    let settings = match &args.settings {
        Some(path) => Some(
            ExportSettings::load(path)
                .with_context(|| format!("reading export settings {}", path.display()))?,
        ),
        None => None,
    };
    if settings.is_none() && std::env::var_os(SETTINGS_DIR_ENV).is_none() {
        eprintln!(
            "note: no export settings (--settings or ${SETTINGS_DIR_ENV}): addresses and tax \
             identifiers are left out, the accounting mapping uses its defaults"
        );
    }
    let written = engine
        .export_period_with(tenant.id, &args.period, format, &args.out, settings)
        .await?;
    if args.json {
        let paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!("{}", serde_json::to_string_pretty(&paths)?);
        return Ok(());
    }
    if written.is_empty() {
        println!(
            "{}: no posted documents for {}; nothing written",
            tenant.slug, args.period
        );
        return Ok(());
    }
    for path in &written {
        println!("{}", path.display());
    }
    println!(
        "{} file(s) written to {} ({} of {}, {})",
        written.len(),
        args.out.display(),
        format.as_str(),
        tenant.slug,
        args.period
    );
    Ok(())
}
