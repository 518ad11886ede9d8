//! JSON API routes, by area.

pub(crate) mod exports;
pub(crate) mod invoices;
pub(crate) mod setup;
pub(crate) mod sync;
pub(crate) mod tenant;
pub(crate) mod usage;
pub(crate) mod wire;

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(usage::routes())
        .merge(tenant::routes())
        .merge(setup::routes())
        .merge(sync::routes())
        .merge(invoices::routes())
        .merge(exports::routes())
}
