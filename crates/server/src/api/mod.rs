//! JSON API routes, by area.

pub(crate) mod setup;
pub(crate) mod tenant;
pub(crate) mod usage;

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(usage::routes())
        .merge(tenant::routes())
        .merge(setup::routes())
}
