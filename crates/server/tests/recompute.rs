//! Changes that arrive after the sync passed the days they affect: each must end in the money
//! a from-scratch recompute gives (DESIGN.md, "Consistency"). Each scenario reproduces a case
//! that billed wrong money before the recompute mark was committed with its change and kept
//! until a sync had really recomputed its days. Each runs on SQLite and, when configured,
//! PostgreSQL.

mod helpers;

use helpers::{TestApp, ok, push, set_clock, spawn_apps};
use reqwest::StatusCode;
use serde_json::{Value, json};
use unitbill_server::BodyLimits;

/// Every day of `[from, to]`, as `YYYY-MM-DD`.
fn days_between(from: &str, to: &str) -> Vec<String> {
    let (from, to): (jiff::civil::Date, jiff::civil::Date) =
        (from.parse().unwrap(), to.parse().unwrap());
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.push(d.to_string());
        d = d.tomorrow().unwrap();
    }
    out
}

/// Pushes `desktops` for org `s1` on every day of `[from, to]`.
async fn push_days(app: &TestApp, from: &str, to: &str, desktops: i64) {
    for d in days_between(from, to) {
        push(
            app,
            &d,
            json!([{"id": "s1", "name": "Acme Corp", "usage": {"desktop": desktops}}]),
        )
        .await;
    }
}

/// Acme with one arrears contract (`contract` body merged in): Datto RMM desktops at 5.00,
/// prorated, billing enabled. Returns (company, contract) ids.
async fn acme(app: &TestApp, contract: Value) -> (i64, i64) {
    let company = ok(
        app,
        "POST",
        "/api/v1/companies",
        json!({"name": "Acme Corporation", "tax_rates": []}),
    )
    .await;
    let company_id = company["id"].as_i64().unwrap();
    let service = ok(
        app,
        "POST",
        "/api/v1/services",
        json!({"name": "Datto RMM - Desktop", "unit_price": "5.00"}),
    )
    .await;
    let mut body = json!({"company_id": company_id, "timing": "arrears"});
    body.as_object_mut()
        .unwrap()
        .extend(contract.as_object().unwrap().clone());
    let contract = ok(app, "POST", "/api/v1/contracts", body).await;
    let contract_id = contract["id"].as_i64().unwrap();
    let cs = ok(
        app,
        "POST",
        &format!("/api/v1/contracts/{contract_id}/services"),
        json!({"service_id": service["id"], "rule": "prorated", "effective_from": "2026-01-01"}),
    )
    .await;
    ok(
        app,
        "PUT",
        "/api/v1/modules/datto-rmm/billing",
        json!({"enabled": true, "effective_from": "2026-01-01"}),
    )
    .await;
    ok(
        app,
        "POST",
        &format!("/api/v1/contracts/{contract_id}/service-mappings"),
        json!({"module": "datto-rmm", "billing_type": "desktop", "contract_service_id": cs["id"], "effective_from": "2026-01-01"}),
    )
    .await;
    (company_id, contract_id)
}

async fn map_s1(app: &TestApp, company_id: i64, from: &str) {
    ok(
        app,
        "POST",
        "/api/v1/org-mappings",
        json!({"module": "datto-rmm", "org_id": "s1", "company_id": company_id, "effective_from": from}),
    )
    .await;
}

async fn nightly_sync(app: &TestApp, through: &str) {
    ok(app, "POST", "/api/v1/sync", json!({"through": through})).await;
}

/// Runs and posts the close of `period`; returns the charge lines as (period, quantity, amount).
async fn close(app: &TestApp, period: &str) -> Vec<(String, String, String)> {
    let run = ok(
        app,
        "POST",
        "/api/v1/invoice-runs",
        json!({"period": period, "post": true}),
    )
    .await;
    run["documents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["lines"].as_array().unwrap().clone())
        .map(|l| {
            (
                l["period"].as_str().unwrap().to_owned(),
                l["quantity"].as_str().unwrap().to_owned(),
                l["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn line(period: &str, quantity: &str, amount: &str) -> (String, String, String) {
    (period.into(), quantity.into(), amount.into())
}

#[tokio::test]
async fn a_mapping_fixed_at_month_end_review_counts_for_the_next_month_too() {
    for app in spawn_apps("2026-05-01T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let (company_id, _) = acme(&app, json!({"start_date": "2026-05-01"})).await;
        // May 1 - June 3: 10 desktops a day from an org nobody mapped; the nightly sync ran.
        set_clock(&app, "2026-06-04T17:00:00Z");
        push_days(&app, "2026-05-01", "2026-06-03", 10).await;
        nightly_sync(&app, "2026-06-03").await;
        // June 4th, month-end review: the org is found and mapped from May 1st; May closes.
        map_s1(&app, company_id, "2026-05-01").await;
        assert_eq!(
            close(&app, "2026-05").await,
            vec![line("2026-05", "10.0000", "50.00")],
            "{b}"
        );
        // The rest of June arrives on time; June bills all 30 days, not 27.
        set_clock(&app, "2026-07-01T17:00:00Z");
        push_days(&app, "2026-06-04", "2026-06-30", 10).await;
        nightly_sync(&app, "2026-06-30").await;
        assert_eq!(
            close(&app, "2026-06").await,
            vec![line("2026-06", "10.0000", "50.00")],
            "{b}: June 1-3 must use the mapping made on June 4th"
        );
    }
}

#[tokio::test]
async fn late_usage_for_two_months_is_billed_in_both_when_the_earlier_closes_first() {
    for app in spawn_apps("2026-01-01T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let (company_id, _) = acme(&app, json!({"start_date": "2026-01-01"})).await;
        set_clock(&app, "2026-02-01T17:00:00Z");
        push_days(&app, "2026-01-01", "2026-01-31", 10).await;
        map_s1(&app, company_id, "2026-01-01").await;
        assert_eq!(
            close(&app, "2026-01").await,
            vec![line("2026-01", "10.0000", "50.00")],
            "{b}"
        );
        // The module is down in February and March; the nightly sync carries January's 10
        // forward through March 31st.
        set_clock(&app, "2026-04-01T17:00:00Z");
        nightly_sync(&app, "2026-03-31").await;
        // Then it catches up: 20 desktops every day of February and March.
        push_days(&app, "2026-02-01", "2026-03-31", 20).await;
        // Closing February syncs through February only; March must stay marked.
        assert_eq!(
            close(&app, "2026-02").await,
            vec![line("2026-02", "20.0000", "100.00")],
            "{b}"
        );
        assert_eq!(
            close(&app, "2026-03").await,
            vec![line("2026-03", "20.0000", "100.00")],
            "{b}: March's late usage was lost by the sync that closed February"
        );
    }
}

#[tokio::test]
async fn removing_a_contract_end_date_after_the_sync_passed_it_bills_the_whole_month() {
    for app in spawn_apps("2026-03-01T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let (company_id, contract_id) = acme(
            &app,
            json!({"start_date": "2026-01-01", "end_date": "2026-03-15"}),
        )
        .await;
        set_clock(&app, "2026-04-01T17:00:00Z");
        push_days(&app, "2026-03-01", "2026-03-31", 10).await;
        map_s1(&app, company_id, "2026-01-01").await;
        nightly_sync(&app, "2026-03-31").await;
        // The client renewed after all: the end date goes.
        ok(
            &app,
            "PATCH",
            &format!("/api/v1/contracts/{contract_id}"),
            json!({"end_date": ""}),
        )
        .await;
        assert_eq!(
            close(&app, "2026-03").await,
            vec![line("2026-03", "10.0000", "50.00")],
            "{b}: days after the old end date must be recomputed"
        );
    }
}

#[tokio::test]
async fn a_sync_for_one_day_never_runs_past_yesterday() {
    for app in spawn_apps("2026-03-10T17:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let (company_id, _) = acme(&app, json!({"start_date": "2026-03-01"})).await;
        push_days(&app, "2026-03-01", "2026-03-09", 10).await;
        map_s1(&app, company_id, "2026-03-01").await;
        // Asking for days that are not over is refused, naming `through`, and syncs nothing.
        for future in ["2026-03-10", "2026-12-31", "2999-12-31"] {
            let (status, problem) =
                helpers::call(&app, "POST", "/api/v1/sync", json!({"through": future})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {problem}");
            assert_eq!(problem["field"], "through", "{b}: {problem}");
        }
        let history = ok(
            &app,
            "GET",
            "/api/v1/unit-history?from=2026-03-01&to=2026-03-31",
            Value::Null,
        )
        .await;
        assert_eq!(history.as_array().map(Vec::len), Some(0), "{b}: {history}");
        let report = ok(
            &app,
            "POST",
            "/api/v1/sync",
            json!({"through": "2026-03-09"}),
        )
        .await;
        assert_eq!(report["through"], "2026-03-09", "{b}: {report}");
    }
}
