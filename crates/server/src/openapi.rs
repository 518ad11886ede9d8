//! The OpenAPI document of every route.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::exports;
use crate::api::{invoices, setup, sync, tenant, usage};

mod refusals;
mod text;

use refusals::Refusals;
pub use refusals::{Conflict, Forbidden, NotFound};
use text::TextRule;

#[derive(OpenApi)]
#[openapi(
    info(title = "unitbill", description = "Integrated customer billing for MSPs: ingestion of daily module usage, mapping, sync, invoicing."),
    paths(
        crate::healthz,
        usage::put_snapshot,
        usage::get_snapshot,
        usage::revisions,
        tenant::tenant,
        tenant::update_tenant,
        tenant::modules,
        tenant::connect,
        tenant::module_keys,
        tenant::revoke_module_key,
        tenant::revoke_api_token,
        tenant::orgs,
        tenant::get_clock,
        tenant::set_clock,
        setup::put_tax_rate,
        setup::list_tax_rates,
        setup::create_company,
        setup::update_company,
        setup::list_companies,
        setup::import_companies,
        setup::create_service,
        setup::list_services,
        setup::create_contract,
        setup::update_contract,
        setup::list_contracts,
        setup::add_contract_service,
        setup::change_contract_service,
        setup::list_contract_services,
        setup::list_terms,
        setup::set_module_billing,
        setup::list_module_billing,
        setup::map_orgs,
        setup::list_org_mappings,
        setup::map_service,
        setup::list_service_mappings,
        setup::suggestions,
        setup::accept_suggestions,
        sync::sync_now,
        sync::unit_history,
        sync::unit_sources,
        sync::activity,
        sync::insights,
        sync::set_insight,
        invoices::run,
        invoices::open_period,
        invoices::billing_start,
        invoices::list,
        invoices::show,
        invoices::post_many,
        invoices::void,
        invoices::pay,
        invoices::apply_credit,
        invoices::explain,
        invoices::goodwill,
        invoices::one_off,
        invoices::payments,
        invoices::aging,
        exports::pdf,
        exports::ubl,
        exports::batch,
    ),
    modifiers(&Security, &Refusals, &TextRule)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "module_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a module key (ubm_...)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a tenant API token (ubt_...)"))
                    .build(),
            ),
        );
    }
}

pub async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
