//! A period's batch export listing.

use serde::Serialize;
use unitbill_engine::exports;

/// What a document or a period is exported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Pdf,
    Ubl,
    Quickbooks,
    Xero,
    Journal,
}

impl From<exports::ExportFormat> for ExportFormat {
    fn from(f: exports::ExportFormat) -> Self {
        match f {
            exports::ExportFormat::Pdf => ExportFormat::Pdf,
            exports::ExportFormat::Ubl => ExportFormat::Ubl,
            exports::ExportFormat::Quickbooks => ExportFormat::Quickbooks,
            exports::ExportFormat::Xero => ExportFormat::Xero,
            exports::ExportFormat::Journal => ExportFormat::Journal,
        }
    }
}

/// One document of a PDF / UBL batch, with where to download it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchDocument {
    pub id: i64,
    pub number: Option<String>,
    pub kind: String,
    pub status: String,
    pub company_id: i64,
    pub currency: String,
    pub total: String,
    pub url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchListing {
    pub period: String,
    pub format: ExportFormat,
    pub documents: Vec<BatchDocument>,
}
