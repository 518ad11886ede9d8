//! The OpenAPI document of every route.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{tenant, usage};

#[derive(OpenApi)]
#[openapi(
    info(title = "unitbill", description = "Integrated customer billing for MSPs: ingestion of daily module usage, mapping, sync, invoicing."),
    paths(
        usage::put_snapshot,
        usage::get_snapshot,
        usage::revisions,
        tenant::tenant,
        tenant::modules,
        tenant::connect,
        tenant::orgs,
    ),
    modifiers(&Security)
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
