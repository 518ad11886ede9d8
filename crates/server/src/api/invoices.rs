//! Invoice runs, documents, posting, credit notes, payments, one-offs and aging.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::Deserialize;
use unitbill_store::{DocumentRecord, OneOffRecord, PaymentRecord, Role};

use crate::AppState;
use crate::api::wire::invoicing::{
    AgingRow, ApplyCreditInput, BillingStartInput, GoodwillInput, LineExplanation, OneOffInput,
    OpenPeriod, PaymentInput, PostInput, RunInput, RunReport,
};
use crate::auth::TenantCaller;
use crate::extract::{Json, Path, Query};
use crate::openapi::{Conflict, NotFound};
use crate::problem::{ApiResult, Problem};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoice-runs", post(run))
        .route("/api/v1/open-period", get(open_period))
        .route("/api/v1/billing-start", put(billing_start))
        .route("/api/v1/documents", get(list))
        .route("/api/v1/documents/post", post(post_many))
        .route("/api/v1/documents/{id}", get(show))
        .route("/api/v1/documents/{id}/void", post(void))
        .route("/api/v1/documents/{id}/payments", post(pay))
        .route("/api/v1/documents/{id}/apply-credit", post(apply_credit))
        .route("/api/v1/documents/{id}/lines/{line}/explain", get(explain))
        .route("/api/v1/credit-notes/goodwill", post(goodwill))
        .route("/api/v1/one-offs", post(one_off))
        .route("/api/v1/payments", get(payments))
        .route("/api/v1/reports/aging", get(aging))
}

/// Run (or re-run) the close of a period: sync, then one draft per company.
#[utoipa::path(post, path = "/api/v1/invoice-runs", request_body = RunInput, responses((status = 200, body = RunReport)), security(("api_token" = [])), tag = "invoicing")]
pub async fn run(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<RunInput>,
) -> ApiResult<Json<RunReport>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .invoice_run(caller.tenant_id(), &input.period, input.post)
            .await?
            .into(),
    ))
}

/// The open period and the default effective date of changes.
#[utoipa::path(get, path = "/api/v1/open-period", responses((status = 200, body = OpenPeriod)), security(("api_token" = [])), tag = "invoicing")]
pub async fn open_period(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<OpenPeriod>> {
    let period = s.engine.open_period(caller.tenant_id()).await?;
    Ok(Json(OpenPeriod {
        period: period.map(|p| p.to_string()),
        default_effective_date: s
            .engine
            .default_effective_date(caller.tenant_id())
            .await?
            .to_string(),
    }))
}

/// Change the billing start (before anything is posted).
#[utoipa::path(put, path = "/api/v1/billing-start", request_body = BillingStartInput, responses((status = 204)), security(("api_token" = [])), tag = "invoicing")]
pub async fn billing_start(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<BillingStartInput>,
) -> ApiResult<axum::http::StatusCode> {
    caller.require(Role::Admin)?;
    s.engine
        .set_billing_start(caller.tenant_id(), &input.billing_start)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ListQuery {
    pub period: Option<String>,
    pub company_id: Option<i64>,
}

/// Invoices and credit notes (headers), filtered by period or company.
#[utoipa::path(get, path = "/api/v1/documents", params(("period" = Option<String>, Query, pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"), ("company_id" = Option<i64>, Query)), responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "invoicing")]
pub async fn list(
    State(s): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<DocumentRecord>>> {
    if let Some(p) = &q.period {
        unitbill_domain::period::Period::parse_billing(p)
            .map_err(|e| Problem::field(StatusCode::BAD_REQUEST, "period", e.to_string()))?;
    }
    Ok(Json(
        s.engine
            .documents(caller.tenant_id(), q.period.as_deref(), q.company_id)
            .await?,
    ))
}

/// One document with its lines (by id, or by number with `/api/v1/documents/INV-00001`).
#[utoipa::path(get, path = "/api/v1/documents/{id}", params(("id" = String, Path, description = "document id or number", example = "INV-00001")), responses((status = 200, body = Object)), security(("api_token" = [])), tag = "invoicing")]
pub async fn show(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<DocumentRecord>> {
    Ok(Json(s.engine.find_document(caller.tenant_id(), &id).await?))
}

/// Approve and post drafts (numbers from the gapless sequence).
#[utoipa::path(post, path = "/api/v1/documents/post", request_body = PostInput, responses((status = 200, body = Vec<Object>), NotFound), security(("api_token" = [])), tag = "invoicing")]
pub async fn post_many(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<PostInput>,
) -> ApiResult<Json<Vec<DocumentRecord>>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .post_documents(caller.tenant_id(), &input.ids)
            .await?,
    ))
}

/// Void a posted invoice with a credit note.
#[utoipa::path(post, path = "/api/v1/documents/{id}/void", params(("id" = i64, Path)), responses((status = 200, body = Object)), security(("api_token" = [])), tag = "invoicing")]
pub async fn void(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<DocumentRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(s.engine.void_invoice(caller.tenant_id(), id).await?))
}

/// Record a payment against an invoice.
#[utoipa::path(post, path = "/api/v1/documents/{id}/payments", params(("id" = i64, Path, example = 1)), request_body = PaymentInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "invoicing")]
pub async fn pay(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
    Json(input): Json<PaymentInput>,
) -> ApiResult<Json<PaymentRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .record_payment(caller.tenant_id(), id, &input.into())
            .await?,
    ))
}

/// Apply the company's credit balance to an invoice.
#[utoipa::path(post, path = "/api/v1/documents/{id}/apply-credit", params(("id" = i64, Path, example = 1)), request_body = Option<ApplyCreditInput>, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "invoicing")]
pub async fn apply_credit(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
    body: Option<Json<ApplyCreditInput>>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Role::Billing)?;
    let input = body.map(|b| b.0).unwrap_or_default();
    let applied = s
        .engine
        .apply_credit(caller.tenant_id(), id, input.amount.as_deref())
        .await?;
    Ok(Json(serde_json::json!({"applied": applied.to_string()})))
}

/// The daily units and module orgs behind a line.
#[utoipa::path(get, path = "/api/v1/documents/{id}/lines/{line}/explain", params(("id" = i64, Path, example = 1), ("line" = i64, Path, example = 1)), responses((status = 200, body = LineExplanation), Conflict), security(("api_token" = [])), tag = "invoicing")]
pub async fn explain(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path((id, line)): Path<(i64, i64)>,
) -> ApiResult<Json<LineExplanation>> {
    Ok(Json(
        s.engine
            .explain_line(caller.tenant_id(), id, line)
            .await?
            .into(),
    ))
}

/// Give amounts back to a company (a goodwill credit note, never re-billed).
#[utoipa::path(post, path = "/api/v1/credit-notes/goodwill", request_body = GoodwillInput, responses((status = 200, body = Object), NotFound), security(("api_token" = [])), tag = "invoicing")]
pub async fn goodwill(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<GoodwillInput>,
) -> ApiResult<Json<DocumentRecord>> {
    caller.require(Role::Billing)?;
    let lines: Vec<_> = input.lines.into_iter().map(Into::into).collect();
    Ok(Json(
        s.engine
            .goodwill_credit(
                caller.tenant_id(),
                input.company_id,
                input.period.as_deref(),
                &lines,
            )
            .await?,
    ))
}

/// Add a one-off charge or credit to a company's invoice of a period.
#[utoipa::path(post, path = "/api/v1/one-offs", request_body = OneOffInput, responses((status = 200, body = Object), NotFound), security(("api_token" = [])), tag = "invoicing")]
pub async fn one_off(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<OneOffInput>,
) -> ApiResult<Json<OneOffRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .add_one_off(caller.tenant_id(), &input.into())
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct PaymentsQuery {
    pub company_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/payments", params(("company_id" = Option<i64>, Query)), responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "invoicing")]
pub async fn payments(
    State(s): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<PaymentsQuery>,
) -> ApiResult<Json<Vec<PaymentRecord>>> {
    Ok(Json(
        s.engine.payments(caller.tenant_id(), q.company_id).await?,
    ))
}

/// Accounts-receivable aging: open amounts by days past due, with each company's credit balance.
#[utoipa::path(get, path = "/api/v1/reports/aging", responses((status = 200, body = Vec<AgingRow>)), security(("api_token" = [])), tag = "invoicing")]
pub async fn aging(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<AgingRow>>> {
    let rows = s.engine.aging(caller.tenant_id(), None).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
