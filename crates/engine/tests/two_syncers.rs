//! Two processes on one database never sync one tenant at once (DESIGN.md, "Units"): two
//! engines, as two `serve` processes would hold, start the same long sync together; one runs
//! it and the other is told the tenant is busy. Afterwards the unit history is exactly one
//! sync's. On SQLite and (when configured) PostgreSQL.

use jiff::civil::{Date, date};
use unitbill_domain::catalog::Catalog;
use unitbill_engine::setup::{CompanyInput, ContractInput, ContractServiceInput, ServiceInput};
use unitbill_engine::tenants::TenantInput;
use unitbill_engine::{Clock, Engine};
use unitbill_store::testing::fresh_databases;

/// Contract days from the tenant's history start (24 months before it is created) to the
/// clock's yesterday: two years to sync.
const START: Date = date(2024, 6, 1);
const YESTERDAY: Date = date(2026, 5, 31);

fn engine(store: std::sync::Arc<dyn unitbill_store::Store>) -> Engine {
    let clock = Clock::test("2026-06-01T12:00:00Z".parse().unwrap());
    Engine::new(store, Catalog::built_in(), clock)
}

/// A tenant with one company and one fixed contract service from `START`.
async fn tenant(engine: &Engine) -> i64 {
    let tenant = engine
        .create_tenant(&TenantInput {
            slug: "two-syncers".into(),
            name: "Two syncers".into(),
            time_zone: "UTC".into(),
            currency: "USD".into(),
            sync_hour: 1,
        })
        .await
        .unwrap()
        .id;
    let company = engine
        .save_company(
            tenant,
            None,
            &CompanyInput {
                name: Some("Acme".into()),
                ..CompanyInput::default()
            },
        )
        .await
        .unwrap()
        .id;
    let service = engine
        .create_service(
            tenant,
            &ServiceInput {
                name: "Backup".into(),
                unit_price: "5.00".into(),
                unit_cost: None,
                taxable: false,
                description: None,
            },
        )
        .await
        .unwrap()
        .id;
    let contract = engine
        .save_contract(
            tenant,
            None,
            &ContractInput {
                company_id: Some(company),
                start_date: Some(START.to_string()),
                timing: Some("arrears".into()),
                ..ContractInput::default()
            },
        )
        .await
        .unwrap()
        .id;
    engine
        .add_contract_service(
            tenant,
            contract,
            &ContractServiceInput {
                service_id: Some(service),
                fixed_units: Some("3".into()),
                effective_from: Some(START.to_string()),
                ..ContractServiceInput::default()
            },
            "test",
        )
        .await
        .unwrap();
    tenant
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_never_sync_one_tenant_at_once() {
    for (backend, url) in fresh_databases().await {
        let a = engine(unitbill_store::connect(&url).await.unwrap());
        let b = engine(unitbill_store::connect(&url).await.unwrap());
        let t = tenant(&a).await;
        let (ra, rb) = tokio::join!(
            tokio::spawn({
                let a = a.clone();
                async move { a.sync_through(t, YESTERDAY).await.unwrap() }
            }),
            tokio::spawn({
                let b = b.clone();
                async move { b.sync_through(t, YESTERDAY).await.unwrap() }
            }),
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        let days = (YESTERDAY - START).get_days() as usize + 1;
        let ran: Vec<_> = [&ra, &rb].into_iter().filter(|r| !r.busy).collect();
        assert_eq!(
            ran.len(),
            1,
            "{backend}: exactly one process syncs, the other is told it is busy: {ra:?} {rb:?}"
        );
        assert_eq!(ran[0].days, days, "{backend}: {ra:?} {rb:?}");
        // The lease was released: the other process syncs next (nothing is left to do).
        let again = b.sync_through(t, YESTERDAY).await.unwrap();
        assert!(!again.busy && again.days == 0, "{backend}: {again:?}");
        let units = a.unit_history(t, None, START, YESTERDAY).await.unwrap();
        assert_eq!(units.len(), days, "{backend}: one row a day");
    }
}
