//! The sync, day by day: carry-forward over a missed day, a late correction, an org mapped
//! mid-month, a contract ending mid-month, the scheduler across a DST change, idempotent
//! re-runs, and two runners on one database doing the work once.

mod helpers;

use helpers::{TestApp, ok, push, set_clock, spawn_apps};
use serde_json::{Value, json};
use unitbill_server::BodyLimits;

async fn units(app: &TestApp, cs: i64) -> Vec<(String, String, bool)> {
    let h = ok(
        app,
        "GET",
        &format!("/api/v1/unit-history?contract_service_id={cs}&from=2026-02-01&to=2026-04-30"),
        Value::Null,
    )
    .await;
    h.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["day"].as_str().unwrap().to_owned(),
                r["units"].as_str().unwrap().to_owned(),
                r["stale"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn whole_state(app: &TestApp, cs: i64) -> Value {
    json!({
        "units": ok(app, "GET", &format!("/api/v1/unit-history?contract_service_id={cs}&from=2026-01-01&to=2026-12-31"), Value::Null).await,
        "sources": ok(app, "GET", &format!("/api/v1/unit-sources?contract_service_id={cs}&from=2026-01-01&to=2026-12-31"), Value::Null).await,
        "activity": ok(app, "GET", "/api/v1/activity?from=2026-01-01&to=2026-12-31", Value::Null).await,
    })
}

#[tokio::test]
async fn units_for_every_day_of_a_month_with_everything_that_goes_wrong() {
    for app in spawn_apps("2026-03-01T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let acme = ok(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "Acme Corporation"}),
        )
        .await;
        let svc = ok(
            &app,
            "POST",
            "/api/v1/services",
            json!({"name": "Datto RMM - Desktop", "unit_price": "5.00"}),
        )
        .await;
        let contract = ok(
            &app,
            "POST",
            "/api/v1/contracts",
            json!({"company_id": acme["id"], "start_date": "2026-03-01", "end_date": "2026-03-20"}),
        )
        .await;
        let cs = ok(
            &app,
            "POST",
            &format!("/api/v1/contracts/{}/services", contract["id"]),
            json!({"service_id": svc["id"]}),
        )
        .await;
        let cs_id = cs["id"].as_i64().unwrap();
        ok(
            &app,
            "PUT",
            "/api/v1/modules/datto-rmm/billing",
            json!({"enabled": true}),
        )
        .await;
        ok(
            &app,
            "POST",
            &format!("/api/v1/contracts/{}/service-mappings", contract["id"]),
            json!({"module": "datto-rmm", "billing_type": "desktop", "contract_service_id": cs_id}),
        )
        .await;

        // March: HQ has 10 desktops, the warehouse 3; the module misses the 5th entirely.
        for day in 1..=31 {
            if day == 5 {
                continue;
            }
            let d = format!("2026-03-{day:02}");
            set_clock(&app, &format!("{d}T23:00:00Z"));
            push(&app, &d, json!([
                {"id": "hq", "name": "Acme Corp - HQ", "usage": {"desktop": 10, "server": 2}},
                {"id": "wh", "name": "Acme Corp - Warehouse", "parent_id": "hq", "usage": {"desktop": 3}}
            ]))
            .await;
        }
        ok(&app, "POST", "/api/v1/org-mappings", json!([
            {"module": "datto-rmm", "org_id": "hq", "company_id": acme["id"]},
            {"module": "datto-rmm", "org_id": "wh", "company_id": acme["id"], "effective_from": "2026-03-10"}
        ]))
        .await;

        // The scheduler across the DST change: 01:30 on March 9th in New York (EDT since the
        // 8th) syncs through the 8th.
        set_clock(&app, "2026-03-09T05:30:00Z");
        app.engine.run_due_syncs().await.unwrap();
        let got = units(&app, cs_id).await;
        assert_eq!(got.len(), 8, "{b}: synced through March 8th: {got:?}");

        // A late correction for the 3rd, then the sync catches up through the 31st.
        push(&app, "2026-03-03", json!([
            {"id": "hq", "name": "Acme Corp - HQ", "usage": {"desktop": 12, "server": 2}},
            {"id": "wh", "name": "Acme Corp - Warehouse", "parent_id": "hq", "usage": {"desktop": 3}}
        ]))
        .await;
        set_clock(&app, "2026-04-01T06:00:00Z");
        let report = ok(&app, "POST", "/api/v1/sync", json!({})).await;
        assert_eq!(
            report["from"], "2026-03-03",
            "{b}: the late snapshot re-flows from its day"
        );
        let got = units(&app, cs_id).await;
        let expected: Vec<(String, String, bool)> = (1..=20)
            .map(|day| {
                let u = match day {
                    3 => 12,
                    10..=20 => 13,
                    _ => 10,
                };
                (format!("2026-03-{day:02}"), u.to_string(), day == 5)
            })
            .collect();
        assert_eq!(
            got, expected,
            "{b}: U for every day (the contract ends on the 20th)"
        );

        // The server billing type is mapped nowhere: failed rows with the reason.
        let failed = ok(
            &app,
            "GET",
            "/api/v1/activity?from=2026-03-01&to=2026-03-31&failed_only=true",
            Value::Null,
        )
        .await;
        assert!(
            failed
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["billing_type"] == "server" && r["reason"] == "billing_type_not_mapped"),
            "{b}: {failed}"
        );
        assert!(
            failed
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["day"] == "2026-03-25" && r["reason"] == "no_active_contract"),
            "{b}"
        );

        // The inbox: usage outside any contract after the 20th; dismissing is remembered.
        let inbox = ok(&app, "GET", "/api/v1/insights", Value::Null).await;
        let key = "usage_outside_contract:datto-rmm:desktop:no_active_contract";
        let item = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap_or_else(|| panic!("{b}: {inbox}"));
        assert_eq!(item["title"], "13 units of datto-rmm/desktop bill nothing");
        assert_eq!(item["amount"], "65.00", "13 units at the contract's 5.00");
        ok(
            &app,
            "PUT",
            &format!("/api/v1/insights/{key}"),
            json!({"status": "dismissed"}),
        )
        .await;
        let inbox = ok(&app, "GET", "/api/v1/insights", Value::Null).await;
        assert!(
            !inbox.as_array().unwrap().iter().any(|i| i["key"] == key),
            "{b}: dismissed"
        );

        // Re-running any date changes nothing.
        let before = whole_state(&app, cs_id).await;
        ok(
            &app,
            "POST",
            "/api/v1/sync",
            json!({"from": "2026-03-01", "through": "2026-03-31"}),
        )
        .await;
        assert_eq!(
            whole_state(&app, cs_id).await,
            before,
            "{b}: re-running changes nothing"
        );
    }
}

#[tokio::test]
async fn two_sync_runners_on_one_database_do_the_work_once() {
    for app in spawn_apps("2026-03-01T12:00:00Z", BodyLimits::default()).await {
        let acme = ok(&app, "POST", "/api/v1/companies", json!({"name": "Acme"})).await;
        let svc = ok(
            &app,
            "POST",
            "/api/v1/services",
            json!({"name": "Helpdesk", "unit_price": "50"}),
        )
        .await;
        let contract = ok(
            &app,
            "POST",
            "/api/v1/contracts",
            json!({"company_id": acme["id"], "start_date": "2025-01-01"}),
        )
        .await;
        ok(
            &app,
            "POST",
            &format!("/api/v1/contracts/{}/services", contract["id"]),
            json!({"service_id": svc["id"], "fixed_units": "3"}),
        )
        .await;
        let through = jiff::civil::date(2026, 2, 28);
        let (a, b) = tokio::join!(
            app.engine.sync_through(app.tenant_id, through),
            app.engine.sync_through(app.tenant_id, through)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.days + b.days, 424, "{}: {a:?} {b:?}", app.backend);
        assert!(a.busy || b.busy || a.days == 0 || b.days == 0);
    }
}
