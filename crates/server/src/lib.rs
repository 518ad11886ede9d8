//! The HTTP edge of unitbill: the JSON API (described by `/api/openapi.json`) and, later, the
//! web UI. Handlers parse, call one engine use case, and map its error in one place
//! ([`problem`]).

// Handlers return `Problem` by value: it becomes the response at once, so its size costs nothing.
#![allow(clippy::result_large_err)]

mod api;
mod auth;
mod extract;
mod headers;
mod openapi;
mod problem;
mod ui;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use unitbill_engine::Engine;

pub use problem::Problem;

/// Limits on request bodies: a JSON snapshot, and the NDJSON form for large ones.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json_bytes: usize,
    pub ndjson_bytes: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            json_bytes: 32 * 1024 * 1024,
            ndjson_bytes: 512 * 1024 * 1024,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub limits: BodyLimits,
    /// Signs the one-line confirmations a form redirect shows (sessions themselves are stored
    /// server-side). Processes sharing a database should share it (`UNITBILL_SESSION_KEY`) so
    /// a confirmation shows whichever process answers; by default each process makes its own.
    pub session_key: std::sync::Arc<[u8; 64]>,
    /// `serve --secure-cookies`: the session cookie is always `Secure` and every response
    /// carries Strict-Transport-Security. Off, the cookie is `Secure` only when a proxy says
    /// the request came over HTTPS (`X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// `serve --trust-proxy`: the client address for sign-in throttling is the last entry of
    /// `X-Forwarded-For` (the one the proxy in front added), not the socket's peer.
    pub trust_proxy: bool,
}

impl AppState {
    /// The state with default limits, a fresh random flash key, cookies `Secure` only behind
    /// HTTPS and no trusted proxy.
    pub fn new(engine: Engine) -> Self {
        let mut key = [0u8; 64];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        Self {
            engine,
            limits: BodyLimits::default(),
            session_key: std::sync::Arc::new(key),
            secure_cookies: false,
            trust_proxy: false,
        }
    }
}

/// The whole application. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` (as [`serve`] does) so sign-in can
/// throttle by client address; without it only accounts are throttled.
pub fn router(state: AppState) -> Router {
    let hsts = state.secure_cookies;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi::spec))
        .merge(api::routes())
        .route("/api/{*rest}", axum::routing::any(extract::not_found))
        .merge(ui::routes())
        .method_not_allowed_fallback(extract::method_not_allowed)
        .layer(CatchPanicLayer::custom(extract::panic_problem))
        .layer(axum::middleware::from_fn(move |req, next| {
            headers::security_headers(hsts, req, next)
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness: answers `ok` while the process serves (no credential, no database).
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = String, content_type = "text/plain", example = "ok")), tag = "health")]
async fn healthz() -> &'static str {
    "ok"
}

/// Serves until the process is stopped (Ctrl-C or SIGTERM finish in-flight requests).
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let scheduler = state.engine.clone();
    tokio::spawn(async move {
        // Checks every minute; a tenant syncs once its local hour passes its sync hour.
        loop {
            if let Err(e) = scheduler.run_due_syncs().await {
                tracing::error!(error = %e, "sync scheduler pass failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
    tracing::info!(address = %listener.local_addr()?, backend = state.engine.backend(), "unitbill is listening");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
