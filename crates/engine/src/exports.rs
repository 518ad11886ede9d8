//! Exports: one document as a PDF or UBL file, and a period's documents as PDFs, UBL files,
//! QuickBooks or Xero CSV, or an hledger journal.
//!
//! The renderers (`unitbill_exports`) are pure; this gathers what they print from the store:
//! the posted documents, the payments on them, the companies, services and contracts behind
//! the lines, and the tenant's export settings (addresses, tax identifiers, accounting
//! mapping). Those settings are not in the database yet: they are read from a file per tenant,
//! `$UNITBILL_EXPORT_SETTINGS_DIR/<slug>.toml` (or `.json`), or passed explicitly (the CLI's
//! `--settings`); without one, every output still works with defaults.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use unitbill_domain::period::Period;
use unitbill_exports::{CompanyInfo, ExportContext, ExportError, Party, document_filename};
pub use unitbill_exports::{ExportSettings, amount, grouped_amount};
use unitbill_store::{DocumentRecord, PaymentRecord, StoreError, Tenant};

use crate::{Engine, EngineError, EngineResult};

/// The environment variable naming the directory of per-tenant export settings files.
pub const SETTINGS_DIR_ENV: &str = "UNITBILL_EXPORT_SETTINGS_DIR";

/// What a document or a period is exported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Pdf,
    Ubl,
    Quickbooks,
    Xero,
    Journal,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::Pdf,
        ExportFormat::Ubl,
        ExportFormat::Quickbooks,
        ExportFormat::Xero,
        ExportFormat::Journal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Pdf => "pdf",
            ExportFormat::Ubl => "ubl",
            ExportFormat::Quickbooks => "quickbooks",
            ExportFormat::Xero => "xero",
            ExportFormat::Journal => "journal",
        }
    }

    /// PDF and UBL are one file per document; the others one file (or a few) per batch.
    pub fn per_document(self) -> bool {
        matches!(self, ExportFormat::Pdf | ExportFormat::Ubl)
    }
}

impl FromStr for ExportFormat {
    type Err = EngineError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                EngineError::field(
                    "format",
                    format!("{s:?}: expected pdf, ubl, quickbooks, xero or journal"),
                )
            })
    }
}

/// One exported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub content_type: &'static str,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// What a batch export covers: a period (`2026-11`) or every period (`all`, `None`).
pub fn export_scope(period: &str) -> EngineResult<Option<Period>> {
    match period.trim() {
        "all" => Ok(None),
        p => Period::parse_billing(p)
            .map(Some)
            .map_err(|e| EngineError::field("period", format!("{e} (or `all`)"))),
    }
}

fn render_error(e: ExportError) -> EngineError {
    match e {
        ExportError::Draft(_) => EngineError::Conflict(e.to_string()),
        ExportError::Settings { .. } => EngineError::field("settings", e.to_string()),
        ExportError::Pdf(_) | ExportError::Csv(_) => {
            EngineError::Store(StoreError::Corrupt(e.to_string()))
        }
    }
}

impl Engine {
    /// A tenant's export settings from `$UNITBILL_EXPORT_SETTINGS_DIR/<slug>.toml` (or
    /// `.json`); the defaults when the variable or the file is absent.
    pub fn export_settings(&self, tenant: &Tenant) -> EngineResult<ExportSettings> {
        let Some(dir) = std::env::var_os(SETTINGS_DIR_ENV) else {
            return Ok(ExportSettings::default());
        };
        for ext in ["toml", "json"] {
            let path = Path::new(&dir).join(format!("{}.{ext}", tenant.slug));
            if path.is_file() {
                return ExportSettings::load(&path).map_err(render_error);
            }
        }
        Ok(ExportSettings::default())
    }

    /// Everything the renderers print besides the documents.
    pub async fn export_context(
        &self,
        tenant: &Tenant,
        settings: ExportSettings,
    ) -> EngineResult<ExportContext> {
        let party = |name: String, s: Option<&unitbill_exports::PartySettings>| {
            let s = s.cloned().unwrap_or_default();
            Party {
                name: s.name.clone().unwrap_or(name),
                address: s.address(),
                vat_id: s.vat_id,
                tax_registration_id: s.tax_registration_id,
                legal_registration_id: s.legal_registration_id,
                email: s.email,
            }
        };
        let companies = self
            .store
            .companies(tenant.id)
            .await?
            .into_iter()
            .map(|c| {
                let details = settings.company(c.id, c.external_ref.as_deref(), &c.name);
                let info = CompanyInfo {
                    id: c.id,
                    party: party(c.name.clone(), details),
                    name: c.name,
                    currency: c.currency,
                    payment_terms_days: c.payment_terms_days,
                };
                (info.id, info)
            })
            .collect();
        let services = self
            .store
            .services(tenant.id)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let contracts = self
            .store
            .contracts(tenant.id)
            .await?
            .into_iter()
            .map(|c| {
                let name = if c.name.trim().is_empty() {
                    format!("Contract {}", c.id)
                } else {
                    c.name
                };
                (c.id, name)
            })
            .collect();
        let document_numbers = self
            .store
            .documents(tenant.id, None, None)
            .await?
            .into_iter()
            .filter_map(|d| d.number.map(|n| (d.id, n)))
            .collect();
        Ok(ExportContext {
            seller: party(tenant.name.clone(), Some(&settings.seller)),
            logo: settings.logo.clone(),
            currency: tenant.currency.clone(),
            companies,
            services,
            contracts,
            document_numbers,
            settings,
        })
    }

    /// One document (by id) as a PDF or UBL file, with the tenant's settings file.
    pub async fn render_document(
        &self,
        tenant_id: i64,
        id: i64,
        format: ExportFormat,
    ) -> EngineResult<ExportFile> {
        self.render_document_with(tenant_id, id, format, None).await
    }

    /// [`Engine::render_document`] with explicit settings (`None`: the tenant's file).
    pub async fn render_document_with(
        &self,
        tenant_id: i64,
        id: i64,
        format: ExportFormat,
        settings: Option<ExportSettings>,
    ) -> EngineResult<ExportFile> {
        let tenant = self.store.tenant(tenant_id).await?;
        let doc = self.store.document(tenant_id, id).await?;
        let settings = match settings {
            Some(s) => s,
            None => self.export_settings(&tenant)?,
        };
        let ctx = self.export_context(&tenant, settings).await?;
        render_one(&ctx, &doc, format)
    }

    /// A period's (or `all` periods') posted documents in `format`, in memory: one file per
    /// document for PDF and UBL, the CSV file(s) or the journal otherwise.
    pub async fn export_files(
        &self,
        tenant_id: i64,
        period: &str,
        format: ExportFormat,
        settings: Option<ExportSettings>,
    ) -> EngineResult<Vec<ExportFile>> {
        let tenant = self.store.tenant(tenant_id).await?;
        let scope = export_scope(period)?;
        let documents = self.posted_documents(tenant_id, scope).await?;
        let settings = match settings {
            Some(s) => s,
            None => self.export_settings(&tenant)?,
        };
        let ctx = self.export_context(&tenant, settings).await?;
        let label = scope.map_or_else(|| "all".to_owned(), |p| p.to_string());
        let stem = format!("{}-{label}", tenant.slug);
        let csv = |files: Vec<unitbill_exports::csv::CsvFile>| {
            files
                .into_iter()
                .map(|f| ExportFile {
                    content_type: "text/csv; charset=utf-8",
                    filename: f.name,
                    bytes: f.bytes,
                })
                .collect()
        };
        Ok(match format {
            ExportFormat::Pdf | ExportFormat::Ubl => documents
                .iter()
                .map(|d| render_one(&ctx, d, format))
                .collect::<EngineResult<Vec<_>>>()?,
            ExportFormat::Quickbooks => {
                csv(unitbill_exports::csv::quickbooks(&ctx, &documents, &stem)
                    .map_err(render_error)?)
            }
            ExportFormat::Xero => {
                csv(unitbill_exports::csv::xero(&ctx, &documents, &stem).map_err(render_error)?)
            }
            ExportFormat::Journal => {
                let payments = self.payments_of(tenant_id, scope, &documents).await?;
                let title = format!("{}, period {label}", tenant.name);
                vec![ExportFile {
                    content_type: "text/plain; charset=utf-8",
                    filename: format!("{stem}.journal"),
                    bytes: unitbill_exports::journal::render(&ctx, &documents, &payments, &title),
                }]
            }
        })
    }

    /// Writes [`Engine::export_files`] into `out_dir` (created if needed) with the tenant's
    /// settings file; returns the paths written.
    pub async fn export_period(
        &self,
        tenant_id: i64,
        period: &str,
        format: ExportFormat,
        out_dir: &Path,
    ) -> EngineResult<Vec<PathBuf>> {
        self.export_period_with(tenant_id, period, format, out_dir, None)
            .await
    }

    /// [`Engine::export_period`] with explicit settings (`None`: the tenant's file).
    pub async fn export_period_with(
        &self,
        tenant_id: i64,
        period: &str,
        format: ExportFormat,
        out_dir: &Path,
        settings: Option<ExportSettings>,
    ) -> EngineResult<Vec<PathBuf>> {
        let files = self
            .export_files(tenant_id, period, format, settings)
            .await?;
        let io =
            |e: std::io::Error| EngineError::field("out", format!("{}: {e}", out_dir.display()));
        std::fs::create_dir_all(out_dir).map_err(io)?;
        let mut written = Vec::with_capacity(files.len());
        for f in files {
            let path = out_dir.join(&f.filename);
            std::fs::write(&path, &f.bytes).map_err(io)?;
            written.push(path);
        }
        Ok(written)
    }

    /// Posted documents (any status but draft) of a period, or of every period, with their
    /// lines.
    pub async fn posted_documents(
        &self,
        tenant_id: i64,
        scope: Option<Period>,
    ) -> EngineResult<Vec<DocumentRecord>> {
        let periods: BTreeSet<String> = match scope {
            Some(p) => BTreeSet::from([p.to_string()]),
            None => self
                .store
                .documents(tenant_id, None, None)
                .await?
                .into_iter()
                .map(|d| d.period)
                .collect(),
        };
        let mut docs = Vec::new();
        for p in periods {
            docs.extend(
                self.store
                    .period_documents(tenant_id, &p)
                    .await?
                    .into_iter()
                    .filter(|d| d.status.is_posted()),
            );
        }
        // Posting order: a void follows the invoice it takes back.
        docs.sort_by(|a, b| (a.posted_at.as_deref(), a.id).cmp(&(b.posted_at.as_deref(), b.id)));
        Ok(docs)
    }

    /// The payments a journal of `documents` books: those on one of them, and (for a period)
    /// those on no document received during it. Each payment lands in exactly one period's
    /// journal: its document's.
    async fn payments_of(
        &self,
        tenant_id: i64,
        scope: Option<Period>,
        documents: &[DocumentRecord],
    ) -> EngineResult<Vec<PaymentRecord>> {
        let ids: BTreeMap<i64, ()> = documents.iter().map(|d| (d.id, ())).collect();
        Ok(self
            .store
            .payments(tenant_id, None)
            .await?
            .into_iter()
            .filter(|p| match (scope, p.document_id) {
                (None, _) => true,
                (Some(_), Some(doc)) => ids.contains_key(&doc),
                (Some(period), None) => period.contains(p.paid_on),
            })
            .collect())
    }
}

fn render_one(
    ctx: &ExportContext,
    doc: &DocumentRecord,
    format: ExportFormat,
) -> EngineResult<ExportFile> {
    match format {
        ExportFormat::Pdf => Ok(ExportFile {
            content_type: "application/pdf",
            filename: document_filename(doc, "pdf"),
            bytes: unitbill_exports::pdf::render(ctx, doc).map_err(render_error)?,
        }),
        ExportFormat::Ubl => Ok(ExportFile {
            content_type: "application/xml",
            filename: document_filename(doc, "xml"),
            bytes: unitbill_exports::ubl::render(ctx, doc).map_err(render_error)?,
        }),
        other => Err(EngineError::field(
            "format",
            format!("{} exports a batch: use the period export", other.as_str()),
        )),
    }
}
