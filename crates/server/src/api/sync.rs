//! The sync on demand, the unit history and the activity log.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Deserialize;
use unitbill_engine::EngineError;
use unitbill_engine::ingest::parse_date;
use unitbill_engine::tenants::tenant_today;
use unitbill_store::{ActivityRecord, Role, UnitRow, UnitSourceRow};

use crate::AppState;
use crate::api::wire::sync::{Insight, InsightStatusInput, SyncInput, SyncReport};
use crate::auth::TenantCaller;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sync", post(sync_now))
        .route("/api/v1/unit-history", get(unit_history))
        .route("/api/v1/unit-sources", get(unit_sources))
        .route("/api/v1/activity", get(activity))
        .route("/api/v1/insights", get(insights))
        .route("/api/v1/insights/{key}", axum::routing::put(set_insight))
}

/// Sync now: bring the unit history up to date (idempotent; catches up missed days).
#[utoipa::path(post, path = "/api/v1/sync", request_body = Option<SyncInput>, responses((status = 200, body = SyncReport)), security(("api_token" = [])), tag = "sync")]
pub async fn sync_now(
    State(s): State<AppState>,
    caller: TenantCaller,
    body: Option<Json<SyncInput>>,
) -> ApiResult<Json<SyncReport>> {
    caller.require(Role::Billing)?;
    let input = body.map(|b| b.0).unwrap_or_default();
    let tenant = s.engine.tenant(caller.tenant_id()).await?;
    let yesterday = tenant_today(&s.engine, &tenant)?
        .yesterday()
        .map_err(|e| EngineError::Conflict(e.to_string()))?;
    let through = match &input.through {
        Some(d) => parse_date("through", d)?,
        None => yesterday,
    };
    // Days from today on are not over: their counts can still change (DESIGN.md, Ingestion).
    if through > yesterday {
        return Err(EngineError::field(
            "through",
            format!("{through} is not over yet; a sync goes through yesterday ({yesterday}) at the latest"),
        )
        .into());
    }
    if let Some(from) = &input.from {
        let from = parse_date("from", from)?;
        if from > through {
            return Err(EngineError::field(
                "from",
                format!("{from} is after the day the sync goes through ({through})"),
            )
            .into());
        }
        s.engine.resync_from(tenant.id, from).await?;
    }
    Ok(Json(s.engine.sync_now(tenant.id, through).await?.into()))
}

#[derive(Deserialize)]
pub struct RangeQuery {
    pub contract_service_id: Option<i64>,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub failed_only: bool,
}

/// U(cs, d) per day (all contract services, or one).
#[utoipa::path(get, path = "/api/v1/unit-history", params(("contract_service_id" = Option<i64>, Query), ("from" = String, Query, format = Date), ("to" = String, Query, format = Date)),
    responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "sync")]
pub async fn unit_history(
    State(s): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<Vec<UnitRow>>> {
    let (from, to) = (parse_date("from", &q.from)?, parse_date("to", &q.to)?);
    Ok(Json(
        s.engine
            .unit_history(caller.tenant_id(), q.contract_service_id, from, to)
            .await?,
    ))
}

/// The module orgs and billing types behind a contract service's daily units.
#[utoipa::path(get, path = "/api/v1/unit-sources", params(("contract_service_id" = i64, Query, minimum = 1), ("from" = String, Query, format = Date), ("to" = String, Query, format = Date)),
    responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "sync")]
pub async fn unit_sources(
    State(s): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<Vec<UnitSourceRow>>> {
    let cs = q
        .contract_service_id
        .ok_or_else(|| EngineError::field("contract_service_id", "is required"))?;
    let (from, to) = (parse_date("from", &q.from)?, parse_date("to", &q.to)?);
    Ok(Json(
        s.engine
            .unit_sources(caller.tenant_id(), cs, from, to)
            .await?,
    ))
}

/// The daily activity digest; `failed_only=true` keeps the failed rows.
#[utoipa::path(get, path = "/api/v1/activity", params(("from" = String, Query, format = Date), ("to" = String, Query, format = Date), ("failed_only" = Option<bool>, Query)),
    responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "sync")]
pub async fn activity(
    State(s): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<Vec<ActivityRecord>>> {
    let (from, to) = (parse_date("from", &q.from)?, parse_date("to", &q.to)?);
    Ok(Json(
        s.engine
            .activity(caller.tenant_id(), from, to, q.failed_only)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct InsightsQuery {
    #[serde(default)]
    pub all: bool,
}

/// The insights inbox (open items; `all=true` adds dismissed and resolved ones).
#[utoipa::path(get, path = "/api/v1/insights", params(("all" = Option<bool>, Query)), responses((status = 200, body = Vec<Insight>)), security(("api_token" = [])), tag = "sync")]
pub async fn insights(
    State(s): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<InsightsQuery>,
) -> ApiResult<Json<Vec<Insight>>> {
    let inbox = s.engine.insights(caller.tenant_id(), q.all).await?;
    Ok(Json(inbox.into_iter().map(Into::into).collect()))
}

/// Dismiss, resolve or reopen an insight.
#[utoipa::path(put, path = "/api/v1/insights/{key}", params(("key" = String, Path)), request_body = InsightStatusInput, responses((status = 204)), security(("api_token" = [])), tag = "sync")]
pub async fn set_insight(
    State(s): State<AppState>,
    caller: TenantCaller,
    axum::extract::Path(key): axum::extract::Path<String>,
    Json(input): Json<InsightStatusInput>,
) -> ApiResult<axum::http::StatusCode> {
    caller.require(Role::Billing)?;
    s.engine
        .set_insight_status(
            caller.tenant_id(),
            &key,
            &input.status,
            &format!("token:{}", caller.0.id),
        )
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
