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
    axum::serve(listener, app).await.expect("serve");
}
