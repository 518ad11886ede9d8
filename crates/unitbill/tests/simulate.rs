//! The simulator through the real HTTP API, and the demo preparation end to end: on SQLite,
//! and on PostgreSQL when `UNITBILL_TEST_DATABASE_URL` is set.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use unitbill::demo::{self, DemoSettings, SUGGESTION_ACTOR};
use unitbill::simulate::{PushOptions, SimConfig, Target, World, push_world};
use unitbill_domain::catalog::Catalog;
use unitbill_domain::setup::{CompanyStatus, OrgAssignment};
use unitbill_engine::tenants::TenantInput;
use unitbill_engine::{Clock, Engine};
use unitbill_store::testing::fresh_databases;

async fn engine(url: &str) -> Engine {
    let store = unitbill_store::connect(url).await.expect("store");
    Engine::new(store, Catalog::built_in(), Clock::system())
}

/// Serves the API on an ephemeral port; returns its base URL.
async fn serve(engine: &Engine) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = unitbill_server::router(unitbill_server::AppState::new(engine.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_sends_the_same_snapshots_over_http() {
    for (backend, url) in fresh_databases().await {
        let engine = engine(&url).await;
        let t = engine
            .create_tenant(&TenantInput {
                slug: "sim".into(),
                name: "Sim MSP".into(),
                time_zone: "America/New_York".into(),
                currency: "USD".into(),
                sync_hour: 1,
            })
            .await
            .unwrap();
        let modules = vec![
            "datto-rmm".to_owned(),
            "graphus".to_owned(),
            "backup-dr".to_owned(),
        ];
        let mut keys = BTreeMap::new();
        for m in &modules {
            keys.insert(
                m.clone(),
                engine.connect_module(t.id, m, None).await.unwrap().secret,
            );
        }
        let to = unitbill_engine::tenants::tenant_today(&engine, &t)
            .unwrap()
            .yesterday()
            .unwrap();
        let world = World::new(SimConfig {
            seed: 7,
            clients: 15,
            modules,
            from: to.checked_sub(jiff::ToSpan::days(40)).unwrap(),
            to,
        })
        .unwrap();
        let target = Target {
            url: serve(&engine).await,
            keys,
        };
        let opts = PushOptions {
            concurrency: 3,
            ..PushOptions::default()
        };
        let first = push_world(&world, &target, &opts).await.unwrap();
        assert_eq!(
            first.missed_days.len(),
            3,
            "{backend}: one missed day per module"
        );
        assert_eq!(
            first.pushed,
            3 * 41 - 3 + first.corrections,
            "{backend}: every day but the missed ones, and the corrections"
        );
        assert_eq!(first.corrections, 2, "{backend}");
        assert_eq!(first.changed, first.pushed, "{backend}: all new");
        let orgs = engine.module_orgs(t.id, None).await.unwrap();
        let expected: usize = world.orgs.values().map(Vec::len).sum();
        assert_eq!(
            orgs.len(),
            expected,
            "{backend}: every simulated org arrived"
        );
        let sites = world
            .orgs
            .values()
            .flatten()
            .filter(|o| o.parent_id.is_some());
        assert_eq!(
            orgs.iter().filter(|o| o.parent_id.is_some()).count(),
            sites.count(),
            "{backend}: sites arrive with their parent"
        );

        // Again: only the corrected days change (back to the first value, then corrected).
        let again = push_world(&world, &target, &opts).await.unwrap();
        assert_eq!(again.pushed, first.pushed);
        assert_eq!(again.changed, 2 * again.corrections, "{backend}");
        for c in &world.corrections {
            let revisions = engine
                .usage_revisions(t.id, &c.module, c.date)
                .await
                .unwrap();
            assert!(
                revisions
                    .iter()
                    .any(|r| r.org_id == c.org_id && r.billing_type == c.billing_type),
                "{backend}: the late correction left a revision"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_maps_what_it_can_correctly_and_runs_again_safely() {
    for (backend, url) in fresh_databases().await {
        let engine = engine(&url).await;
        let settings = DemoSettings {
            days: 21,
            clients: 24,
            ..DemoSettings::default()
        };
        let first = demo::prepare(&engine, &settings).await.unwrap();
        let tenant = engine.tenant_by_slug(demo::SLUG).await.unwrap();
        engine
            .sign_in(unitbill_engine::signin::SignInAttempt {
                tenant: demo::SLUG,
                email: demo::EMAIL,
                password: demo::PASSWORD,
                client: None,
            })
            .await
            .expect("the demo login works");

        // Companies: one per client, and the dead former client; a bill-to child.
        let companies = engine.companies(tenant.id).await.unwrap();
        assert_eq!(companies.len(), 25, "{backend}");
        assert_eq!(first.companies, 25);
        let name_of: BTreeMap<i64, &str> =
            companies.iter().map(|c| (c.id, c.name.as_str())).collect();
        assert!(
            companies.iter().any(|c| c.bill_to_id.is_some()),
            "{backend}"
        );
        assert!(
            companies
                .iter()
                .any(|c| c.name == demo::DEAD_COMPANY && c.status == CompanyStatus::Dead)
        );
        assert!(
            companies.iter().any(|c| c.tax_rates.is_empty()),
            "exempt ones"
        );
        let contracts = engine.contracts(tenant.id).await.unwrap();
        assert!(contracts.iter().any(|c| c.end_date.is_some()));
        assert!(
            contracts.iter().any(|c| c.start_date.day() != 1),
            "one starts mid-month"
        );

        // Mappings: most orgs of a client by suggestion, none to the wrong company.
        let truth = first.world.truth();
        let mut last = BTreeMap::new();
        let changes = engine.org_mapping_changes(tenant.id).await.unwrap();
        let change_count = changes.len();
        for c in changes {
            last.insert((c.module_code.clone(), c.org_id.clone()), c);
        }
        let orgs = engine.module_orgs(tenant.id, None).await.unwrap();
        assert_eq!(orgs.len(), truth.len(), "{backend}");
        let mut wrong = Vec::new();
        let mut by_suggestion = 0;
        let mut of_clients = 0;
        for o in &orgs {
            let key = (o.module_code.clone(), o.org_id.clone());
            let client = truth[&key];
            of_clients += usize::from(client.is_some());
            if let Some(c) = last.get(&key)
                && let OrgAssignment::Mapped(company) = c.assignment
            {
                by_suggestion += usize::from(c.changed.by == SUGGESTION_ACTOR);
                if client.map(|c| c.name.as_str()) != Some(name_of[&company]) {
                    wrong.push(format!(
                        "{} {:?} -> {:?} (truth {:?})",
                        o.module_code,
                        o.name,
                        name_of[&company],
                        client.map(|c| &c.name)
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{backend}: wrong mappings: {wrong:#?}");
        assert!(
            by_suggestion * 10 >= of_clients * 7,
            "{backend}: only {by_suggestion} of {of_clients} orgs mapped by suggestion"
        );
        assert_eq!(first.mapped_by_suggestion, by_suggestion);
        assert_eq!(first.orgs, orgs.len());
        assert_eq!(first.left_for_review, orgs.len() - first.mapped);

        // Service mappings: every contract service of a module type is mapped.
        let service_mappings = engine.service_mapping_changes(tenant.id).await.unwrap();
        assert!(!service_mappings.is_empty(), "{backend}");
        assert_eq!(first.service_mappings, service_mappings.len());
        let services = engine.services(tenant.id).await.unwrap();
        for cs in engine.contract_services(tenant.id).await.unwrap() {
            let service = services.iter().find(|s| s.id == cs.service_id).unwrap();
            if service.name.starts_with("Helpdesk") || service.name.starts_with("vCIO") {
                continue;
            }
            assert!(
                service_mappings
                    .iter()
                    .any(|m| m.contract_service_id == Some(cs.id)),
                "{backend}: {} on contract {} is mapped",
                service.name,
                cs.contract_id
            );
        }

        // Again: nothing new but a token and module keys.
        let second = demo::prepare(&engine, &settings).await.unwrap();
        assert_eq!(second.companies, first.companies, "{backend}");
        assert_eq!(second.contracts, first.contracts, "{backend}");
        assert_eq!(
            second.contract_services, first.contract_services,
            "{backend}"
        );
        assert_eq!(second.service_mappings, first.service_mappings, "{backend}");
        assert_eq!(second.orgs, first.orgs, "{backend}");
        assert_eq!(second.mapped, first.mapped, "{backend}");
        assert_eq!(
            second.push.pushed, 0,
            "{backend}: stored days are not sent again"
        );
        assert!(second.push.skipped > 0);
        assert_eq!(
            engine.org_mapping_changes(tenant.id).await.unwrap().len(),
            change_count,
            "{backend}: no mapping logged twice"
        );
        assert_eq!(
            engine.services(tenant.id).await.unwrap().len(),
            services.len()
        );
    }
}
