//! Golden billing scenarios through the API, in the style of Kill Bill's integration suite: a
//! test clock moves through months, modules push usage, and every line of every invoice is
//! asserted exactly. Each runs on SQLite and, when configured, PostgreSQL.

mod helpers;

use helpers::{TestApp, call, ok, push, set_clock, spawn_apps};
use reqwest::StatusCode;
use serde_json::{Value, json};
use unitbill_server::BodyLimits;

fn days(year: i16, month: i8) -> impl Iterator<Item = String> {
    let first = jiff::civil::date(year, month, 1);
    (0..first.days_in_month()).map(move |i| (first + jiff::Span::new().days(i)).to_string())
}

/// Acme (NY 4%) with one arrears contract from 2026-01-01: Datto RMM desktops at 5.00, prorated.
async fn acme(app: &TestApp) -> (i64, i64, i64) {
    ok(
        app,
        "POST",
        "/api/v1/tax-rates",
        json!({"name": "NY State", "percent": "4"}),
    )
    .await;
    let company = ok(
        app,
        "POST",
        "/api/v1/companies",
        json!({"name": "Acme Corporation", "tax_rates": ["NY State"], "payment_terms_days": 30}),
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
    let contract = ok(app, "POST", "/api/v1/contracts", json!({"company_id": company_id, "start_date": "2026-01-01", "timing": "arrears", "purchase_order": "PO-42"})).await;
    let contract_id = contract["id"].as_i64().unwrap();
    let cs = ok(
        app,
        "POST",
        &format!("/api/v1/contracts/{contract_id}/services"),
        json!({"service_id": service["id"], "rule": "prorated"}),
    )
    .await;
    let cs_id = cs["id"].as_i64().unwrap();
    ok(
        app,
        "PUT",
        "/api/v1/modules/datto-rmm/billing",
        json!({"enabled": true}),
    )
    .await;
    ok(
        app,
        "POST",
        &format!("/api/v1/contracts/{contract_id}/service-mappings"),
        json!({"module": "datto-rmm", "billing_type": "desktop", "contract_service_id": cs_id}),
    )
    .await;
    (company_id, contract_id, cs_id)
}

fn line_summary(doc: &Value) -> Vec<(String, String, String, String, String)> {
    doc["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["period"].as_str().unwrap().to_owned(),
                l["quantity"].as_str().unwrap().to_owned(),
                l["unit_price"].as_str().unwrap().to_owned(),
                l["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn t(
    kind: &str,
    period: &str,
    q: &str,
    p: &str,
    a: &str,
) -> (String, String, String, String, String) {
    (kind.into(), period.into(), q.into(), p.into(), a.into())
}

#[tokio::test]
async fn a_month_of_usage_a_missed_day_a_late_correction_and_the_next_invoice() {
    for app in spawn_apps("2026-01-01T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let (company_id, _, cs_id) = acme(&app).await;

        // January: 10 desktops through the 15th, 20 from the 16th; the 20th is never sent.
        for d in days(2026, 1) {
            let day: i8 = d[8..].parse().unwrap();
            if day == 20 {
                continue;
            }
            set_clock(&app, &format!("{d}T23:00:00Z"));
            let n = if day <= 15 { 10 } else { 20 };
            push(
                &app,
                &d,
                json!([{"id": "s1", "name": "ACME Corp - HQ", "usage": {"desktop": n}}]),
            )
            .await;
        }
        let org = ok(
            &app,
            "POST",
            "/api/v1/org-mappings",
            json!({"module": "datto-rmm", "org_id": "s1", "company_id": company_id}),
        )
        .await;
        assert_eq!(
            org[0]["effective_from"], "1900-01-01",
            "before any run, undated changes count from the start of history"
        );

        // February 1st, noon in New York: close January.
        set_clock(&app, "2026-02-01T17:00:00Z");
        let run = ok(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-01", "post": true}),
        )
        .await;
        assert_eq!(run["billing_start"], "2026-01");
        assert_eq!(run["documents"].as_array().unwrap().len(), 1, "{b}: {run}");
        let inv = &run["documents"][0];
        // Σ = 15×10 + 16×20 = 470 (the 20th carried forward from the 19th): 470/31 = 15.1613.
        assert_eq!(
            line_summary(inv),
            vec![t("charge", "2026-01", "15.1613", "5.00", "75.81")],
            "{b}"
        );
        assert_eq!(
            inv["lines"][0]["stale"], true,
            "the 20th was carried forward"
        );
        assert_eq!(
            (
                inv["subtotal"].as_str(),
                inv["tax_total"].as_str(),
                inv["total"].as_str()
            ),
            (Some("75.81"), Some("3.03"), Some("78.84"))
        );
        assert_eq!(inv["number"], "INV-00001");
        assert_eq!(inv["status"], "posted");
        assert_eq!(inv["issue_date"], "2026-02-01");
        assert_eq!(inv["due_date"], "2026-03-03");
        assert_eq!(inv["purchase_orders"], json!(["PO-42"]));

        // The unit history shows every day; the explanation names the org.
        let history = ok(
            &app,
            "GET",
            &format!(
                "/api/v1/unit-history?contract_service_id={cs_id}&from=2026-01-01&to=2026-01-31"
            ),
            Value::Null,
        )
        .await;
        assert_eq!(history.as_array().unwrap().len(), 31);
        assert_eq!(history[19]["units"], "20");
        assert_eq!(history[19]["stale"], true);
        let why = ok(
            &app,
            "GET",
            &format!("/api/v1/documents/{}/lines/1/explain", inv["id"]),
            Value::Null,
        )
        .await;
        assert_eq!(why["sources"][0]["org_id"], "s1");

        // A late correction for January 10th (10 -> 40) and a flat February of 20.
        set_clock(&app, "2026-02-10T15:00:00Z");
        push(
            &app,
            "2026-01-10",
            json!([{"id": "s1", "name": "ACME Corp - HQ", "usage": {"desktop": 40}}]),
        )
        .await;
        for d in days(2026, 2) {
            set_clock(&app, &format!("{d}T23:00:00Z"));
            push(
                &app,
                &d,
                json!([{"id": "s1", "name": "ACME Corp - HQ", "usage": {"desktop": 20}}]),
            )
            .await;
        }
        // A run for February cannot be posted before March 1st in New York.
        set_clock(&app, "2026-03-01T04:59:00Z");
        let (status, problem) = call(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-02", "post": true}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {problem}");
        set_clock(&app, "2026-03-01T05:00:00Z");
        let run = ok(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-02", "post": true}),
        )
        .await;
        let inv = &run["documents"][0];
        // January is now 500/31 = 16.1290 -> 80.65, billed 75.81: a 4.84 adjustment.
        assert_eq!(
            line_summary(inv),
            vec![
                t("adjustment", "2026-01", "1.0000", "4.84", "4.84"),
                t("charge", "2026-02", "20.0000", "5.00", "100.00")
            ],
            "{b}"
        );
        assert_eq!(
            (
                inv["subtotal"].as_str(),
                inv["tax_total"].as_str(),
                inv["total"].as_str()
            ),
            (Some("104.84"), Some("4.19"), Some("109.03"))
        );
        assert_eq!(inv["number"], "INV-00002");

        // Runs go in order: January cannot be re-run once February has been.
        let (status, _) = call(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-01"}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // Void February and re-run it: the company is skipped (it has a voided document), and
        // March's run bills what is due for February again.
        let note = ok(
            &app,
            "POST",
            &format!("/api/v1/documents/{}/void", inv["id"]),
            Value::Null,
        )
        .await;
        assert_eq!(note["kind"], "credit_note");
        assert_eq!(note["number"], "CN-00001");
        assert_eq!(note["total"], "109.03");
        let rerun = ok(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-02"}),
        )
        .await;
        assert_eq!(rerun["documents"].as_array().unwrap().len(), 0);
        assert_eq!(rerun["skipped_companies"], json!([company_id]));
        for d in days(2026, 3) {
            set_clock(&app, &format!("{d}T23:00:00Z"));
            push(
                &app,
                &d,
                json!([{"id": "s1", "name": "ACME Corp - HQ", "usage": {"desktop": 20}}]),
            )
            .await;
        }
        set_clock(&app, "2026-04-01T12:00:00Z");
        let run = ok(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-03"}),
        )
        .await;
        assert_eq!(
            line_summary(&run["documents"][0]),
            vec![
                t("adjustment", "2026-01", "1.0000", "4.84", "4.84"),
                t("adjustment", "2026-02", "1.0000", "100.00", "100.00"),
                t("charge", "2026-03", "20.0000", "5.00", "100.00"),
            ],
            "{b}: the void took back February's charge and its January true-up; both are billed again"
        );
        assert_eq!(run["documents"][0]["status"], "draft");

        // The open period is March (its run has drafts); a mapping change defaults to its first day.
        let open = ok(&app, "GET", "/api/v1/open-period", Value::Null).await;
        assert_eq!(open["default_effective_date"], "2026-03-01");
    }
}

#[tokio::test]
async fn fifty_concurrent_posts_get_fifty_consecutive_numbers() {
    for app in spawn_apps("2026-01-15T12:00:00Z", BodyLimits::default()).await {
        for i in 0..50 {
            let c = ok(
                &app,
                "POST",
                "/api/v1/companies",
                json!({"name": format!("Client {i:02}")}),
            )
            .await;
            ok(&app, "POST", "/api/v1/one-offs", json!({"company_id": c["id"], "period": "2026-01", "description": "Onboarding", "quantity": "1", "unit_price": "99.00"})).await;
        }
        set_clock(&app, "2026-02-01T12:00:00Z");
        let run = ok(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-01"}),
        )
        .await;
        let ids: Vec<i64> = run["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids.len(), 50);
        let posts = ids.iter().map(|id| {
            let app = &app;
            async move { ok(app, "POST", "/api/v1/documents/post", json!({"ids": [id]})).await }
        });
        let posted = futures::future::join_all(posts).await;
        let mut numbers: Vec<String> = posted
            .iter()
            .map(|p| p[0]["number"].as_str().unwrap().to_owned())
            .collect();
        numbers.sort();
        let expected: Vec<String> = (1..=50).map(|n| format!("INV-{n:05}")).collect();
        assert_eq!(numbers, expected, "{}", app.backend);
    }
}

#[tokio::test]
async fn periods_close_at_midnight_in_the_tenants_zone_east_and_west() {
    for (zone, refused_at, allowed_at) in [
        (
            "Pacific/Honolulu",
            "2026-02-01T09:59:00Z",
            "2026-02-01T10:00:00Z",
        ),
        (
            "Pacific/Kiritimati",
            "2026-01-31T09:59:00Z",
            "2026-01-31T10:00:00Z",
        ),
    ] {
        for app in spawn_apps("2026-01-01T12:00:00Z", BodyLimits::default()).await {
            ok(&app, "PATCH", "/api/v1/tenant", json!({"time_zone": zone})).await;
            let (company_id, _, _) = acme(&app).await;
            for d in days(2026, 1) {
                set_clock(&app, &format!("{d}T12:00:00Z"));
                push(
                    &app,
                    &d,
                    json!([{"id": "s1", "name": "Acme", "usage": {"desktop": 31}}]),
                )
                .await;
            }
            ok(
                &app,
                "POST",
                "/api/v1/org-mappings",
                json!({"module": "datto-rmm", "org_id": "s1", "company_id": company_id}),
            )
            .await;
            set_clock(&app, refused_at);
            let (status, _) = call(
                &app,
                "POST",
                "/api/v1/invoice-runs",
                json!({"period": "2026-01", "post": true}),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::CONFLICT,
                "{zone} {}: January is not over yet",
                app.backend
            );
            set_clock(&app, allowed_at);
            let run = ok(
                &app,
                "POST",
                "/api/v1/invoice-runs",
                json!({"period": "2026-01", "post": true}),
            )
            .await;
            let inv = &run["documents"][0];
            assert_eq!(
                line_summary(inv),
                vec![t("charge", "2026-01", "31.0000", "5.00", "155.00")],
                "{zone}: the 31st counts once"
            );
            assert_eq!(inv["issue_date"], "2026-02-01");
            assert_eq!(
                inv["number"], "INV-00001",
                "{zone}: one invoice, no duplicate"
            );
        }
    }
}

#[tokio::test]
async fn partial_payments_overpayment_credit_goodwill_and_aging() {
    for app in spawn_apps("2026-01-10T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        ok(
            &app,
            "POST",
            "/api/v1/tax-rates",
            json!({"name": "NY State", "percent": "4"}),
        )
        .await;
        ok(
            &app,
            "POST",
            "/api/v1/tax-rates",
            json!({"name": "NYC", "percent": "4.5"}),
        )
        .await;
        let c = ok(&app, "POST", "/api/v1/companies", json!({"name": "Beta Dental", "tax_rates": ["NY State", "NYC"], "payment_terms_days": 15})).await;
        let id = c["id"].as_i64().unwrap();
        ok(&app, "POST", "/api/v1/one-offs", json!({"company_id": id, "period": "2026-01", "description": "Firewall install", "quantity": "3", "unit_price": "120.00", "taxable": true})).await;
        ok(&app, "POST", "/api/v1/one-offs", json!({"company_id": id, "period": "2026-01", "description": "Loyalty credit", "quantity": "1", "unit_price": "-10.00"})).await;
        set_clock(&app, "2026-02-01T12:00:00Z");
        let run = ok(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-01", "post": true}),
        )
        .await;
        let inv = &run["documents"][0];
        assert_eq!(
            line_summary(inv),
            vec![
                t("one_off", "2026-01", "3.0000", "120.00", "360.00"),
                t("one_off", "2026-01", "1.0000", "-10.00", "-10.00")
            ],
            "{b}"
        );
        // Taxes on the taxable line only, each rate rounded once: 14.40 + 16.20.
        assert_eq!(
            (
                inv["subtotal"].as_str(),
                inv["tax_total"].as_str(),
                inv["total"].as_str()
            ),
            (Some("350.00"), Some("30.60"), Some("380.60")),
            "{b}"
        );
        let inv_id = inv["id"].as_i64().unwrap();

        let p = ok(
            &app,
            "POST",
            &format!("/api/v1/documents/{inv_id}/payments"),
            json!({"amount": "100.00", "method": "ach", "reference": "T-1"}),
        )
        .await;
        assert_eq!(p["applied"], "100.00");
        assert_eq!(
            ok(
                &app,
                "GET",
                &format!("/api/v1/documents/{inv_id}"),
                Value::Null
            )
            .await["status"],
            "partially_paid"
        );
        set_clock(&app, "2026-03-20T12:00:00Z");
        let aging = ok(&app, "GET", "/api/v1/reports/aging", Value::Null).await;
        assert_eq!(
            aging[0]["days_31_60"], "280.60",
            "{b}: due 2026-02-16, 32 days late: {aging}"
        );
        let p = ok(
            &app,
            "POST",
            &format!("/api/v1/documents/{inv_id}/payments"),
            json!({"amount": "300.00"}),
        )
        .await;
        assert_eq!(p["applied"], "280.60", "{b}: the rest becomes credit");
        assert_eq!(
            ok(
                &app,
                "GET",
                &format!("/api/v1/documents/{inv_id}"),
                Value::Null
            )
            .await["status"],
            "paid"
        );
        let note = ok(&app, "POST", "/api/v1/credit-notes/goodwill", json!({"company_id": id, "lines": [{"description": "Outage apology", "amount": "25.00"}]})).await;
        assert_eq!(
            (
                note["number"].as_str(),
                note["total"].as_str(),
                note["credit_reason"].as_str()
            ),
            (Some("CN-00001"), Some("25.00"), Some("goodwill"))
        );
        let aging = ok(&app, "GET", "/api/v1/reports/aging", Value::Null).await;
        assert_eq!(aging.as_array().unwrap().len(), 0, "{b}: nothing open");
        // Overpayment 19.40 + goodwill 25.00 = 44.40 of credit; a refused bad payment changes nothing.
        let (status, problem) = call(
            &app,
            "POST",
            &format!("/api/v1/documents/{inv_id}/payments"),
            json!({"amount": "-5"}),
        )
        .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("amount"))
        );
        assert_eq!(
            app.engine
                .credit_balance(app.tenant_id, id)
                .await
                .unwrap()
                .to_string(),
            "44.40",
            "{b}"
        );
    }
}
