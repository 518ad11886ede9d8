//! Companies, tax rates, services, contracts, contract services, mappings and suggestions.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, patch, post, put};
use serde::Deserialize;
use serde_json::Value;
use unitbill_domain::invoice::TaxRate;
use unitbill_engine::{EngineError, tenants::tenant_today};
use unitbill_store::{
    CompanyRecord, ContractRecord, ContractServiceRecord, ModuleBillingChange, OrgMappingChange,
    Role, ServiceMappingChange, ServiceRecord, TermsChange,
};

use crate::AppState;
use crate::api::wire::mapping::{
    AcceptInput, ModuleBillingInput, OrgMappingBody, OrgMappingInput, OrgSuggestion,
    ServiceMappingInput,
};
use crate::api::wire::setup::{
    CompanyInput, ContractInput, ContractServiceInput, ImportReport, ServiceInput, TaxRateInput,
};
use crate::auth::TenantCaller;
use crate::extract::{CsvBody, Json, Path, Query};
use crate::openapi::NotFound;
use crate::problem::ApiResult;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tax-rates", get(list_tax_rates).post(put_tax_rate))
        .route(
            "/api/v1/companies",
            get(list_companies).post(create_company),
        )
        .route("/api/v1/companies/{id}", patch(update_company))
        .route("/api/v1/companies/import", post(import_companies))
        .route("/api/v1/services", get(list_services).post(create_service))
        .route(
            "/api/v1/contracts",
            get(list_contracts).post(create_contract),
        )
        .route("/api/v1/contracts/{id}", patch(update_contract))
        .route(
            "/api/v1/contracts/{id}/services",
            post(add_contract_service),
        )
        .route("/api/v1/contracts/{id}/service-mappings", post(map_service))
        .route("/api/v1/contract-services", get(list_contract_services))
        .route(
            "/api/v1/contract-services/{id}",
            patch(change_contract_service),
        )
        .route("/api/v1/contract-services/terms", get(list_terms))
        .route("/api/v1/modules/{module}/billing", put(set_module_billing))
        .route(
            "/api/v1/org-mappings",
            get(list_org_mappings).post(map_orgs),
        )
        .route("/api/v1/service-mappings", get(list_service_mappings))
        .route("/api/v1/module-billing", get(list_module_billing))
        .route("/api/v1/suggestions", get(suggestions))
        .route("/api/v1/suggestions/accept", post(accept_suggestions))
}

fn actor(caller: &TenantCaller) -> String {
    format!("token:{} ({})", caller.0.id, caller.0.name)
}

/// Create or change a named tax rate.
#[utoipa::path(post, path = "/api/v1/tax-rates", request_body = TaxRateInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "setup")]
pub async fn put_tax_rate(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<TaxRateInput>,
) -> ApiResult<Json<TaxRate>> {
    caller.require(Role::Admin)?;
    Ok(Json(
        s.engine
            .put_tax_rate(caller.tenant_id(), &input.name, &input.percent)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/tax-rates", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "setup")]
pub async fn list_tax_rates(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<TaxRate>>> {
    Ok(Json(s.engine.tax_rates(caller.tenant_id()).await?))
}

/// Create a company (client).
#[utoipa::path(post, path = "/api/v1/companies", request_body = CompanyInput, responses((status = 200, body = Object), NotFound), security(("api_token" = [])), tag = "setup")]
pub async fn create_company(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<CompanyInput>,
) -> ApiResult<Json<CompanyRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .save_company(caller.tenant_id(), None, &input.into())
            .await?,
    ))
}

/// Change a company (only the fields given).
#[utoipa::path(patch, path = "/api/v1/companies/{id}", params(("id" = i64, Path)), request_body = CompanyInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "setup")]
pub async fn update_company(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
    Json(input): Json<CompanyInput>,
) -> ApiResult<Json<CompanyRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .save_company(caller.tenant_id(), Some(id), &input.into())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/companies", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "setup")]
pub async fn list_companies(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<CompanyRecord>>> {
    Ok(Json(s.engine.companies(caller.tenant_id()).await?))
}

/// Create a catalog service.
#[utoipa::path(post, path = "/api/v1/services", request_body = ServiceInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "setup")]
pub async fn create_service(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<ServiceInput>,
) -> ApiResult<Json<ServiceRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .create_service(caller.tenant_id(), &input.into())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/services", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "setup")]
pub async fn list_services(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<ServiceRecord>>> {
    Ok(Json(s.engine.services(caller.tenant_id()).await?))
}

/// Create a monthly recurring service contract.
#[utoipa::path(post, path = "/api/v1/contracts", request_body = ContractInput, responses((status = 200, body = Object), NotFound), security(("api_token" = [])), tag = "setup")]
pub async fn create_contract(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<ContractInput>,
) -> ApiResult<Json<ContractRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .save_contract(caller.tenant_id(), None, &input.into())
            .await?,
    ))
}

/// Change a contract: end date, timing (until it has posted lines), purchase order, name.
#[utoipa::path(patch, path = "/api/v1/contracts/{id}", params(("id" = i64, Path)), request_body = ContractInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "setup")]
pub async fn update_contract(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
    Json(input): Json<ContractInput>,
) -> ApiResult<Json<ContractRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .save_contract(caller.tenant_id(), Some(id), &input.into())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/contracts", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "setup")]
pub async fn list_contracts(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<ContractRecord>>> {
    Ok(Json(s.engine.contracts(caller.tenant_id()).await?))
}

/// Add a service to a contract (price, rule, fixed units; from the first day of a period).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/services", params(("id" = i64, Path)), request_body = ContractServiceInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "setup")]
pub async fn add_contract_service(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
    Json(input): Json<ContractServiceInput>,
) -> ApiResult<Json<ContractServiceRecord>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .add_contract_service(caller.tenant_id(), id, &input.into(), &actor(&caller))
            .await?,
    ))
}

/// Change a contract service's price, cost, rule or fixed units from a period on.
#[utoipa::path(patch, path = "/api/v1/contract-services/{id}", params(("id" = i64, Path)), request_body = ContractServiceInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "setup")]
pub async fn change_contract_service(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
    Json(input): Json<ContractServiceInput>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Billing)?;
    let terms = s
        .engine
        .change_contract_service(caller.tenant_id(), id, &input.into(), &actor(&caller))
        .await?;
    Ok(Json(serde_json::to_value(terms).expect("serializable")))
}

#[utoipa::path(get, path = "/api/v1/contract-services", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "setup")]
pub async fn list_contract_services(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<ContractServiceRecord>>> {
    Ok(Json(s.engine.contract_services(caller.tenant_id()).await?))
}

/// Every terms change of every contract service, in the order made.
#[utoipa::path(get, path = "/api/v1/contract-services/terms", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "setup")]
pub async fn list_terms(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<TermsChange>>> {
    Ok(Json(s.engine.terms_changes(caller.tenant_id()).await?))
}

/// Enable or disable billing for a connected module, from a date.
#[utoipa::path(put, path = "/api/v1/modules/{module}/billing", params(("module" = String, Path)), request_body = ModuleBillingInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "mapping")]
pub async fn set_module_billing(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(module): Path<String>,
    Json(input): Json<ModuleBillingInput>,
) -> ApiResult<Json<ModuleBillingChange>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .set_module_billing(caller.tenant_id(), &module, &input.into(), &actor(&caller))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/module-billing", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "mapping")]
pub async fn list_module_billing(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<ModuleBillingChange>>> {
    Ok(Json(
        s.engine.module_billing_changes(caller.tenant_id()).await?,
    ))
}

/// Map, ignore or unmap module organizations (one object or a list; all or nothing).
#[utoipa::path(post, path = "/api/v1/org-mappings", request_body = Vec<OrgMappingInput>, responses((status = 200, body = Vec<Object>), NotFound), security(("api_token" = [])), tag = "mapping")]
pub async fn map_orgs(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(body): Json<OrgMappingBody>,
) -> ApiResult<Json<Vec<OrgMappingChange>>> {
    caller.require(Role::Billing)?;
    let inputs: Vec<_> = body.into_inputs().into_iter().map(Into::into).collect();
    Ok(Json(
        s.engine
            .map_orgs(caller.tenant_id(), &inputs, &actor(&caller))
            .await?,
    ))
}

/// The history of org mapping changes (who, when, effective date, assignment).
#[utoipa::path(get, path = "/api/v1/org-mappings", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "mapping")]
pub async fn list_org_mappings(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<OrgMappingChange>>> {
    Ok(Json(
        s.engine.org_mapping_changes(caller.tenant_id()).await?,
    ))
}

/// Map a (module, billing type) of this contract to one of its contract services.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/service-mappings", params(("id" = i64, Path)), request_body = ServiceMappingInput, responses((status = 200, body = Object)), security(("api_token" = [])), tag = "mapping")]
pub async fn map_service(
    State(s): State<AppState>,
    caller: TenantCaller,
    Path(id): Path<i64>,
    Json(input): Json<ServiceMappingInput>,
) -> ApiResult<Json<ServiceMappingChange>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .map_service(caller.tenant_id(), id, &input.into(), &actor(&caller))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/service-mappings", responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "mapping")]
pub async fn list_service_mappings(
    State(s): State<AppState>,
    caller: TenantCaller,
) -> ApiResult<Json<Vec<ServiceMappingChange>>> {
    Ok(Json(
        s.engine.service_mapping_changes(caller.tenant_id()).await?,
    ))
}

#[derive(Deserialize)]
pub struct SuggestionsQuery {
    pub date: Option<String>,
}

/// The top 3 companies for every unmapped org, with a confidence in [0, 1].
#[utoipa::path(get, path = "/api/v1/suggestions", params(("date" = Option<String>, Query, format = Date)), responses((status = 200, body = Vec<OrgSuggestion>)), security(("api_token" = [])), tag = "mapping")]
pub async fn suggestions(
    State(s): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<SuggestionsQuery>,
) -> ApiResult<Json<Vec<OrgSuggestion>>> {
    let day = match q.date {
        Some(d) => unitbill_engine::ingest::parse_date("date", &d)?,
        None => tenant_today(&s.engine, &s.engine.tenant(caller.tenant_id()).await?)?,
    };
    let suggestions = s.engine.suggestions(caller.tenant_id(), day).await?;
    Ok(Json(suggestions.into_iter().map(Into::into).collect()))
}

/// Map every unmapped org whose best suggestion reaches the threshold.
#[utoipa::path(post, path = "/api/v1/suggestions/accept", request_body = AcceptInput, responses((status = 200, body = Vec<Object>)), security(("api_token" = [])), tag = "mapping")]
pub async fn accept_suggestions(
    State(s): State<AppState>,
    caller: TenantCaller,
    Json(input): Json<AcceptInput>,
) -> ApiResult<Json<Vec<OrgMappingChange>>> {
    caller.require(Role::Billing)?;
    let threshold = input
        .threshold
        .unwrap_or(unitbill_domain::matching::DEFAULT_ACCEPT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) {
        return Err(EngineError::field("threshold", "must be from 0 to 1").into());
    }
    Ok(Json(
        s.engine
            .accept_suggestions(caller.tenant_id(), threshold, &actor(&caller))
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    pub dry_run: bool,
}

/// Import a client list as CSV (columns: name, status, currency, tax_rates, payment_terms_days,
/// bill_to, external_ref), sent as `text/csv` in UTF-8. Every row is checked first; nothing is
/// written unless all rows are valid, and an import with invalid rows is refused (422) listing
/// each error by column and line. `dry_run=true` reports what would change, row by row.
#[utoipa::path(post, path = "/api/v1/companies/import", params(("dry_run" = Option<bool>, Query)), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport)), security(("api_token" = [])), tag = "setup")]
pub async fn import_companies(
    State(s): State<AppState>,
    caller: TenantCaller,
    Query(q): Query<ImportQuery>,
    CsvBody(body): CsvBody,
) -> ApiResult<Json<ImportReport>> {
    caller.require(Role::Billing)?;
    Ok(Json(
        s.engine
            .import_companies(caller.tenant_id(), &body, q.dry_run)
            .await?
            .into(),
    ))
}
