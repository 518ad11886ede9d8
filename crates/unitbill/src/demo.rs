//! `unitbill demo`: a tenant ready to try, on the embedded database.

use std::net::SocketAddr;

use anyhow::Result;
use clap::Args;
use unitbill_engine::Engine;
use unitbill_engine::tenants::TenantInput;
use unitbill_server::AppState;
use unitbill_store::Role;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Prepare the demo data and exit instead of serving.
    #[arg(long)]
    pub no_serve: bool,
    /// Address to serve the demo on.
    #[arg(long, env = "UNITBILL_LISTEN")]
    pub listen: Option<SocketAddr>,
}

const SLUG: &str = "demo";
const EMAIL: &str = "admin@demo.example";
const PASSWORD: &str = "demo-password";

/// Creates the demo tenant (once; running again reuses it), then serves.
pub async fn run(engine: Engine, args: DemoArgs, file_listen: Option<SocketAddr>) -> Result<()> {
    let tenant = match engine.store.tenant_by_slug(SLUG).await {
        Ok(t) => t,
        Err(_) => {
            let t = engine
                .create_tenant(&TenantInput {
                    slug: SLUG.into(),
                    name: "Demo MSP".into(),
                    time_zone: "America/New_York".into(),
                    currency: "USD".into(),
                    sync_hour: 1,
                })
                .await?;
            engine.add_user(t.id, EMAIL, PASSWORD, Role::Admin).await?;
            t
        }
    };
    let token = engine
        .issue_api_token(tenant.id, "demo", Role::Admin)
        .await?;
    let key = engine.connect_module(tenant.id, "datto-rmm", None).await?;
    let listen = args
        .listen
        .or(file_listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    println!(
        "demo tenant {:?} ready (login {EMAIL} / {PASSWORD})",
        tenant.slug
    );
    println!("API token: {}", token.secret);
    println!("Datto RMM module key: {}", key.secret);
    println!();
    println!("push a snapshot:");
    println!(
        "  curl -X PUT http://{listen}/api/v1/modules/datto-rmm/usage/$(date +%F) -H 'Authorization: Bearer {}' \\\n    -H 'Content-Type: application/json' -d '{{\"complete\": true, \"organizations\": [{{\"id\": \"site-1\", \"name\": \"Acme Corp - HQ\", \"usage\": {{\"desktop\": 41, \"server\": 3}}}}]}}'",
        key.secret
    );
    println!("API description: http://{listen}/api/openapi.json");
    if args.no_serve {
        return Ok(());
    }
    unitbill_server::serve(AppState::new(engine), listen).await?;
    Ok(())
}
