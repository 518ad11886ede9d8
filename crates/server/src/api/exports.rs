//! Downloads: a document as PDF or UBL, and a period's batch export (QuickBooks or Xero CSV,
//! hledger journal, or the list of PDF / UBL downloads of its documents).
//!
//! Files are rendered on request from the stored documents, so a download is always what
//! the document says now (a voided invoice prints as void). Any role may download: it is
//! reading documents.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use unitbill_engine::exports::{ExportFile, ExportFormat, amount, export_scope};

use crate::AppState;
use crate::api::wire::exports::{BatchDocument, BatchListing};
use crate::auth::TenantCaller;
use crate::extract::{Json, Path, Query};
use crate::openapi::Conflict;
use crate::problem::{ApiResult, Problem};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/documents/{id}/pdf", get(pdf))
        .route("/api/v1/documents/{id}/ubl", get(ubl))
        .route("/api/v1/exports/{period}/{format}", get(batch))
}

/// The file as a download (`Content-Disposition: attachment`).
fn download(file: ExportFile, extra: &[(&'static str, String)]) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    (headers, file.bytes).into_response()
}

/// A document id, or its number (`INV-00001`) like `GET /api/v1/documents/{id}`.
async fn document_id(s: &AppState, tenant_id: i64, id: &str) -> ApiResult<i64> {
    match id.parse::<i64>() {
        Ok(n) => Ok(n),
        Err(_) => Ok(s.engine.document_by_number(tenant_id, id).await?.id),
    }
}

async fn one(
    s: AppState,
    caller: TenantCaller,
    id: String,
    format: ExportFormat,
) -> ApiResult<Response> {
    let tenant_id = caller.tenant_id();
    let id = document_id(&s, tenant_id, &id).await?;
    let file = s.engine.render_document(tenant_id, id, format).await?;
    Ok(download(file, &[]))
}

/// A document as a PDF (drafts too, titled as drafts).
#[utoipa::path(get, path = "/api/v1/documents/{id}/pdf", params(("id" = String, Path, description = "document id or number", example = "INV-00001")), responses((status = 200, description = "The PDF", content_type = "application/pdf", body = String)), security(("api_token" = [])), tag = "exports")]
pub async fn pdf(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    one(s, caller, id, ExportFormat::Pdf).await
}

/// A posted invoice or credit note as UBL 2.1 XML conforming to EN 16931 (409 for a draft:
/// it has no number yet).
#[utoipa::path(get, path = "/api/v1/documents/{id}/ubl", params(("id" = String, Path, description = "document id or number", example = "INV-00001")), responses((status = 200, description = "UBL 2.1 Invoice or CreditNote", content_type = "application/xml", body = String), Conflict), security(("api_token" = [])), tag = "exports")]
pub async fn ubl(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    one(s, caller, id, ExportFormat::Ubl).await
}

#[derive(Deserialize)]
pub struct BatchQuery {
    /// Which file of a batch that has several (1-based): QuickBooks credit memos, or Xero
    /// files split at 500 invoices. Never 0, also where a format has one file or a listing.
    pub part: Option<std::num::NonZeroUsize>,
}

/// A period's posted documents (`all` for every period): the CSV or journal file for
/// `quickbooks`, `xero` and `journal` (headers `X-Export-Part` and `X-Export-Files` name the
/// files of a batch that has several; `?part=N` picks one), or for `pdf` and `ubl` the list
/// of documents with their download URLs.
#[utoipa::path(get, path = "/api/v1/exports/{period}/{format}", params(("period" = String, Path, pattern = "^(all|(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2]))$", description = "YYYY-MM or all"), ("format" = crate::api::wire::exports::ExportFormat, Path), ("part" = Option<usize>, Query, minimum = 1)), responses((status = 200, description = "quickbooks and xero: the CSV file; journal: the hledger journal; pdf and ubl: the documents with their download URLs", content((String = "text/csv"), (String = "text/plain"), (BatchListing = "application/json")))), security(("api_token" = [])), tag = "exports")]
pub async fn batch(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path((period, format)): Path<(String, String)>,
    Query(q): Query<BatchQuery>,
) -> ApiResult<Response> {
    let tenant_id = caller.tenant_id();
    let format: ExportFormat = format.parse()?;
    if format.per_document() {
        let scope = export_scope(&period)?;
        let documents = s
            .engine
            .posted_documents(tenant_id, scope)
            .await?
            .into_iter()
            .map(|d| BatchDocument {
                url: format!("/api/v1/documents/{}/{}", d.id, format.as_str()),
                id: d.id,
                number: d.number,
                kind: d.kind.to_string(),
                status: d.status.to_string(),
                company_id: d.company_id,
                total: amount(d.total, &d.currency),
                currency: d.currency,
            })
            .collect();
        return Ok(Json(BatchListing {
            period: scope.map_or_else(|| "all".to_owned(), |p| p.to_string()),
            format: format.into(),
            documents,
        })
        .into_response());
    }
    let mut files = s
        .engine
        .export_files(tenant_id, &period, format, None)
        .await?;
    let names = files
        .iter()
        .map(|f| f.filename.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let count = files.len();
    let part = q.part.map_or(1, std::num::NonZeroUsize::get);
    if part > count {
        return Err(Problem::field(
            axum::http::StatusCode::NOT_FOUND,
            "part",
            format!("this export has {count} file(s): {names}"),
        ));
    }
    let file = files.swap_remove(part - 1);
    Ok(download(
        file,
        &[
            ("x-export-part", format!("{part}/{count}")),
            ("x-export-files", names),
        ],
    ))
}
