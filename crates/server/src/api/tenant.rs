//! The caller's tenant, its modules and their keys, and the organizations modules reported.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Deserialize;
use unitbill_engine::EngineError;
use unitbill_store::{ModuleOrg, Role, Tenant};

use crate::AppState;
use crate::api::wire::tenant::{ClockView, ConnectRequest, ModuleView, SettingsInput};
use crate::auth::TenantCaller;
use crate::extract::{Json, Path, Query};
use crate::openapi::Forbidden;
use crate::problem::ApiResult;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tenant", get(tenant).patch(update_tenant))
        .route("/api/v1/modules", get(modules))
        .route("/api/v1/modules/{module}/keys", post(connect))
        .route("/api/v1/module-keys", get(module_keys))
        .route(
            "/api/v1/module-keys/{id}",
            axum::routing::delete(revoke_module_key),
        )
        .route(
            "/api/v1/api-tokens/{id}",
            axum::routing::delete(revoke_api_token),
        )
        .route("/api/v1/orgs", get(orgs))
        .route("/api/v1/test-clock", get(get_clock).put(set_clock))
}

/// The caller's tenant and its settings.
#[utoipa::path(get, path = "/api/v1/tenant", responses((status = 200, body = Object)), security(("api_token" = [])), tag = "tenant")]
pub async fn tenant(
    State(state): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Tenant>> {
    Ok(Json(state.engine.tenant(caller.tenant_id()).await?))
}

/// Change the tenant's settings (time zone, sync hour, lookback, retention, number formats).
#[utoipa::path(patch, path = "/api/v1/tenant", request_body = SettingsInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "tenant")]
pub async fn update_tenant(
    State(state): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<SettingsInput>,
) -> ApiResult<Json<Tenant>> {
    caller.require(Role::Admin)?;
    Ok(Json(
        state
            .engine
            .update_settings(caller.tenant_id(), &input.into())
            .await?,
    ))
}

/// The catalog and the tenant's custom modules, with what is connected.
#[utoipa::path(get, path = "/api/v1/modules", responses((status = 200, body = Vec<ModuleView>)), security(("api_token" = [])), tag = "tenant")]
pub async fn modules(
    State(state): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<ModuleView>>> {
    let engine = &state.engine;
    let connected = engine.connected_modules(caller.tenant_id()).await?;
    let mut out: Vec<ModuleView> = engine
        .catalog
        .modules()
        .map(|m| {
            let c = connected.iter().find(|c| c.module_code == m.code.as_str());
            ModuleView {
                code: m.code.to_string(),
                name: m.name.clone(),
                custom: false,
                connected: c.is_some(),
                connected_at: c.map(|c| c.connected_at.clone()),
                billing_types: m.billing_types.clone(),
            }
        })
        .collect();
    for c in connected.iter().filter(|c| c.custom) {
        let def = engine
            .module_definition(caller.tenant_id(), &c.module_code)
            .await?;
        out.push(ModuleView {
            code: c.module_code.clone(),
            name: c.name.clone(),
            custom: true,
            connected: true,
            connected_at: Some(c.connected_at.clone()),
            billing_types: def.billing_types,
        });
    }
    Ok(Json(out))
}

/// Connect a module (catalog or custom) and issue a module key; the key is shown only here.
#[utoipa::path(post, path = "/api/v1/modules/{module}/keys", params(("module" = String, Path)), request_body = Option<ConnectRequest>,
    responses((status = 200, body = Object, description = "`secret` is the module key")), security(("api_token" = [])), tag = "tenant")]
pub async fn connect(
    State(state): State<AppState>,
    caller: TenantCaller,
    Path(module): Path<String>,
    body: Option<Json<ConnectRequest>>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Role::Admin)?;
    let req = body.map(|b| b.0).unwrap_or_default();
    let issued = state
        .engine
        .connect_module(caller.tenant_id(), &module, req.name.as_deref())
        .await?;
    Ok(Json(serde_json::to_value(issued).expect("serializable")))
}

#[derive(Deserialize)]
pub struct OrgsQuery {
    pub module: Option<String>,
}

/// Organizations the modules have reported, available for mapping as soon as first seen.
#[utoipa::path(get, path = "/api/v1/orgs", params(("module" = Option<String>, Query)), responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "tenant")]
pub async fn orgs(
    State(state): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<OrgsQuery>,
) -> ApiResult<Json<Vec<ModuleOrg>>> {
    Ok(Json(
        state
            .engine
            .module_orgs(caller.tenant_id(), q.module.as_deref())
            .await?,
    ))
}

/// The server's current time.
#[utoipa::path(get, path = "/api/v1/test-clock", responses((status = 200, body = ClockView)), security(("api_token" = [])), tag = "tenant")]
pub async fn get_clock(
    State(state): State<AppState>,
    _caller: TenantCaller,
) -> ApiResult<Json<ClockView>> {
    Ok(Json(ClockView {
        now: state.engine.clock.now().to_string(),
        test_clock: state.engine.clock.is_test(),
    }))
}

/// Set the server's clock (only with `serve --test-clock`; admins only). The scheduler then
/// behaves as if that were now.
#[utoipa::path(put, path = "/api/v1/test-clock", request_body = ClockView, responses((status = 200, body = ClockView)), security(("api_token" = [])), tag = "tenant")]
pub async fn set_clock(
    State(state): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<ClockView>,
) -> ApiResult<Json<ClockView>> {
    caller.require(Role::Admin)?;
    let now: jiff::Timestamp = input.now.parse().map_err(|_| {
        EngineError::field(
            "now",
            "must be an RFC 3339 instant such as 2026-12-01T06:00:00Z",
        )
    })?;
    state
        .engine
        .clock
        .set(now)
        .map_err(|e| EngineError::Conflict(e.to_owned()))?;
    tracing::warn!(%now, "test clock set");
    let _ = state.engine.run_due_syncs().await;
    Ok(Json(ClockView {
        now: now.to_string(),
        test_clock: true,
    }))
}

/// The tenant's module keys (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/module-keys", responses((status = 200, body = Vec<Object>), Forbidden), security(("api_token" = [])), tag = "tenant")]
pub async fn module_keys(
    State(state): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<unitbill_store::ModuleKey>>> {
    caller.require(Role::Admin)?;
    Ok(Json(state.engine.module_keys(caller.tenant_id()).await?))
}

/// Revoke a module key: the module can no longer push usage with it.
#[utoipa::path(delete, path = "/api/v1/module-keys/{id}", params(("id" = i64, Path)), responses((status = 204)), security(("api_token" = [])), tag = "tenant")]
pub async fn revoke_module_key(
    State(state): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
) -> ApiResult<axum::http::StatusCode> {
    caller.require(Role::Admin)?;
    state
        .engine
        .revoke_module_key(caller.tenant_id(), id)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", params(("id" = i64, Path)), responses((status = 204)), security(("api_token" = [])), tag = "tenant")]
pub async fn revoke_api_token(
    State(state): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
) -> ApiResult<axum::http::StatusCode> {
    caller.require(Role::Admin)?;
    state
        .engine
        .revoke_api_token(caller.tenant_id(), id)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
