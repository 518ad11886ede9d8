//! Black-box test harness: the app on port 0 over a fresh database, a tenant with a token and
//! a module key, and a reqwest client.

#![allow(dead_code)]

use std::net::SocketAddr;

use unitbill_domain::catalog::Catalog;
use unitbill_engine::tenants::TenantInput;
use unitbill_engine::{Clock, Engine};
use unitbill_server::{AppState, BodyLimits};
use unitbill_store::Role;

pub struct TestApp {
    pub backend: &'static str,
    pub base: String,
    /// The database the app runs on (for state dumps).
    pub db_url: String,
    pub engine: Engine,
    pub http: reqwest::Client,
    pub tenant_id: i64,
    pub token: String,
    pub rmm_key: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// One app per backend (SQLite always; PostgreSQL when configured), clock at `now`.
pub async fn spawn_apps(now: &str, limits: BodyLimits) -> Vec<TestApp> {
    let mut apps = Vec::new();
    for (backend, url) in unitbill_store::testing::fresh_databases().await {
        let store = unitbill_store::connect(&url).await.expect("store");
        let engine = Engine::new(
            store,
            Catalog::built_in(),
            Clock::test(now.parse().expect("timestamp")),
        );
        let tenant = engine
            .create_tenant(&TenantInput {
                slug: "acme-msp".into(),
                name: "Acme MSP".into(),
                time_zone: "America/New_York".into(),
                currency: "USD".into(),
                sync_hour: 1,
            })
            .await
            .expect("tenant");
        let token = engine
            .issue_api_token(tenant.id, "tests", Role::Admin)
            .await
            .expect("token")
            .secret;
        let rmm_key = engine
            .connect_module(tenant.id, "datto-rmm", None)
            .await
            .expect("connect")
            .secret;
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = unitbill_server::router(AppState {
            limits,
            ..AppState::new(engine.clone())
        });
        tokio::spawn(async move { axum_serve(listener, app).await });
        apps.push(TestApp {
            backend,
            base: format!("http://{addr}"),
            db_url: url.clone(),
            engine,
            http: reqwest::Client::new(),
            tenant_id: tenant.id,
            token,
            rmm_key,
        });
    }
    apps
}

async fn axum_serve(listener: tokio::net::TcpListener, app: axum::Router) {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .expect("serve");
}

/// A request with the tenant's API token; `Value::Null` sends no body.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut req = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(&app.token);
    if !body.is_null() {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A request that must succeed; returns its JSON body.
pub async fn ok(
    app: &TestApp,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let (status, v) = call(app, method, path, body).await;
    assert!(
        status.is_success(),
        "{} {method} {path}: {status} {v}",
        app.backend
    );
    v
}

/// A request that must be refused with a 4xx naming `field`.
pub async fn refused(
    app: &TestApp,
    method: &str,
    path: &str,
    body: serde_json::Value,
    field: &str,
) {
    let (status, v) = call(app, method, path, body).await;
    assert!(
        status.is_client_error(),
        "{} {method} {path} should be refused: {v}",
        app.backend
    );
    assert_eq!(v["field"], field, "{} {method} {path}: {v}", app.backend);
}

/// Moves the app's test clock.
pub fn set_clock(app: &TestApp, instant: &str) {
    app.engine.clock.set(instant.parse().unwrap()).unwrap();
}

/// Pushes a complete Datto RMM snapshot for a day with the module key.
pub async fn push(app: &TestApp, date: &str, orgs: serde_json::Value) {
    let body = serde_json::json!({"complete": true, "organizations": orgs});
    let res = app
        .http
        .put(app.url(&format!("/api/v1/modules/datto-rmm/usage/{date}")))
        .bearer_auth(&app.rmm_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        reqwest::StatusCode::OK,
        "{date}: {}",
        res.text().await.unwrap()
    );
}
