//! Companies, contracts and mapping through the API: each rule and each refusal, on every backend.

mod helpers;

use helpers::{call, ok, refused, spawn_apps};
use reqwest::StatusCode;
use serde_json::{Value, json};
use unitbill_server::BodyLimits;

const NOW: &str = "2026-11-10T20:00:00Z";

#[tokio::test]
async fn companies_contracts_and_mappings_follow_the_rules() {
    for app in spawn_apps(NOW, BodyLimits::default()).await {
        ok(
            &app,
            "POST",
            "/api/v1/tax-rates",
            json!({"name": "NY State", "percent": "4"}),
        )
        .await;
        refused(
            &app,
            "POST",
            "/api/v1/tax-rates",
            json!({"name": "bad", "percent": "140"}),
            "percent",
        )
        .await;
        refused(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "X", "currency": "XYZ"}),
            "currency",
        )
        .await;
        refused(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "X", "tax_rates": ["nope"]}),
            "tax_rates",
        )
        .await;
        let acme = ok(&app, "POST", "/api/v1/companies", json!({"name": "Acme Corporation", "tax_rates": ["NY State"], "payment_terms_days": 15})).await;
        let acme_id = acme["id"].as_i64().unwrap();
        let child = ok(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "Acme Labs", "bill_to": acme_id}),
        )
        .await;
        refused(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "Grandchild", "bill_to": child["id"]}),
            "bill_to",
        )
        .await;
        refused(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "Euro Kid", "currency": "EUR", "bill_to": acme_id}),
            "bill_to",
        )
        .await;
        let dead = ok(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "Gone Dental", "status": "dead"}),
        )
        .await;
        let (status, _) = call(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "Acme Corporation"}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "duplicate name");

        let svc = ok(
            &app,
            "POST",
            "/api/v1/services",
            json!({"name": "Datto RMM - Desktop", "unit_price": "4.50"}),
        )
        .await;
        refused(
            &app,
            "POST",
            "/api/v1/contracts",
            json!({"company_id": acme_id, "start_date": "2026-10-01", "period": "yearly"}),
            "period",
        )
        .await;
        let contract = ok(&app, "POST", "/api/v1/contracts", json!({"company_id": acme_id, "name": "MSA", "start_date": "2026-10-01", "timing": "arrears", "purchase_order": "PO-7"})).await;
        let cid = contract["id"].as_i64().unwrap();
        assert_eq!(contract["currency"], "USD");
        let advance = ok(
            &app,
            "POST",
            "/api/v1/contracts",
            json!({"company_id": child["id"], "start_date": "2026-10-01", "timing": "advance"}),
        )
        .await;
        refused(
            &app,
            "POST",
            &format!("/api/v1/contracts/{}/services", advance["id"]),
            json!({"service_id": svc["id"], "rule": "peak"}),
            "rule",
        )
        .await;
        refused(
            &app,
            "POST",
            &format!("/api/v1/contracts/{cid}/services"),
            json!({"service_id": svc["id"], "effective_from": "2026-10-15"}),
            "effective_from",
        )
        .await;
        let cs = ok(
            &app,
            "POST",
            &format!("/api/v1/contracts/{cid}/services"),
            json!({"service_id": svc["id"], "rule": "peak"}),
        )
        .await;
        let cs_id = cs["id"].as_i64().unwrap();
        ok(
            &app,
            "PATCH",
            &format!("/api/v1/contract-services/{cs_id}"),
            json!({"unit_price": "5.00", "effective_from": "2026-12-01"}),
        )
        .await;
        let terms = ok(&app, "GET", "/api/v1/contract-services/terms", Value::Null).await;
        assert_eq!(terms.as_array().unwrap().len(), 2);
        refused(
            &app,
            "PATCH",
            &format!("/api/v1/contracts/{cid}"),
            json!({"timing": "advance"}),
            "timing",
        )
        .await;

        // Orgs come from usage.
        let snap = json!({"complete": true, "organizations": [
            {"id": "s1", "name": "ACME Corp - HQ", "usage": {"desktop": 10}},
            {"id": "s2", "name": "Acme Corporation (Warehouse)", "usage": {"desktop": 2}},
            {"id": "z9", "name": "Zebra Unknown Holdings", "usage": {"desktop": 1}}]});
        let res = app
            .http
            .put(app.url("/api/v1/modules/datto-rmm/usage/2026-11-09"))
            .bearer_auth(&app.rmm_key)
            .json(&snap)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);

        refused(
            &app,
            "POST",
            "/api/v1/org-mappings",
            json!({"module": "datto-rmm", "org_id": "nope", "company_id": acme_id}),
            "org_id",
        )
        .await;
        refused(
            &app,
            "POST",
            "/api/v1/org-mappings",
            json!({"module": "datto-rmm", "org_id": "s1", "company_id": dead["id"]}),
            "company_id",
        )
        .await;
        refused(
            &app,
            "PUT",
            "/api/v1/modules/vulscan/billing",
            json!({"enabled": true}),
            "module",
        )
        .await;
        ok(
            &app,
            "PUT",
            "/api/v1/modules/datto-rmm/billing",
            json!({"enabled": true}),
        )
        .await;

        let suggestions = ok(
            &app,
            "GET",
            "/api/v1/suggestions?date=2026-11-09",
            Value::Null,
        )
        .await;
        let s1 = suggestions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["org_id"] == "s1")
            .unwrap();
        assert_eq!(s1["candidates"][0]["company_id"], acme_id, "{s1}");
        let accepted = ok(&app, "POST", "/api/v1/suggestions/accept", json!({})).await;
        let accepted_orgs: Vec<_> = accepted
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["org_id"].as_str().unwrap().to_owned())
            .collect();
        assert!(accepted_orgs.contains(&"s1".to_owned()), "{accepted}");
        assert!(
            !accepted_orgs.contains(&"z9".to_owned()),
            "a client not in the company list is never accepted"
        );
        ok(
            &app,
            "POST",
            "/api/v1/org-mappings",
            json!([{"module": "datto-rmm", "org_id": "z9", "state": "ignored"}]),
        )
        .await;
        let log = ok(&app, "GET", "/api/v1/org-mappings", Value::Null).await;
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|c| c["org_id"] == "z9" && c["assignment"]["state"] == "ignored")
        );

        // Service mapping: a billing type billed once per company and day.
        refused(
            &app,
            "POST",
            &format!("/api/v1/contracts/{cid}/service-mappings"),
            json!({"module": "datto-rmm", "billing_type": "toaster", "contract_service_id": cs_id}),
            "billing_type",
        )
        .await;
        ok(
            &app,
            "POST",
            &format!("/api/v1/contracts/{cid}/service-mappings"),
            json!({"module": "datto-rmm", "billing_type": "desktop", "contract_service_id": cs_id}),
        )
        .await;
        let second = ok(
            &app,
            "POST",
            "/api/v1/contracts",
            json!({"company_id": acme_id, "start_date": "2026-11-01"}),
        )
        .await;
        let cs2 = ok(
            &app,
            "POST",
            &format!("/api/v1/contracts/{}/services", second["id"]),
            json!({"service_id": svc["id"]}),
        )
        .await;
        refused(&app, "POST", &format!("/api/v1/contracts/{}/service-mappings", second["id"]), json!({"module": "datto-rmm", "billing_type": "desktop", "contract_service_id": cs2["id"]}), "billing_type").await;
        refused(
            &app,
            "POST",
            &format!("/api/v1/contracts/{}/service-mappings", second["id"]),
            json!({"module": "datto-rmm", "billing_type": "desktop", "contract_service_id": cs_id}),
            "contract_service_id",
        )
        .await;

        // Another tenant's token sees none of it.
        let other = app
            .engine
            .create_tenant(&unitbill_engine::tenants::TenantInput {
                slug: "other".into(),
                name: "O".into(),
                time_zone: "UTC".into(),
                currency: "USD".into(),
                sync_hour: 1,
            })
            .await
            .unwrap();
        let other_token = app
            .engine
            .issue_api_token(other.id, "t", unitbill_store::Role::Admin)
            .await
            .unwrap()
            .secret;
        let res = app
            .http
            .get(app.url("/api/v1/companies"))
            .bearer_auth(&other_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!([]));
        let res = app
            .http
            .patch(app.url(&format!("/api/v1/companies/{acme_id}")))
            .bearer_auth(&other_token)
            .json(&json!({"name": "Hijack"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_client_list_imports_with_a_dry_run_and_per_row_errors() {
    for app in spawn_apps(NOW, BodyLimits::default()).await {
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
            "/api/v1/companies",
            json!({"name": "Acme Corporation", "external_ref": "AT-1"}),
        )
        .await;
        let send = |csv: &'static str, dry: bool| {
            let app = &app;
            async move {
                let res = app
                    .http
                    .post(app.url(&format!("/api/v1/companies/import?dry_run={dry}")))
                    .bearer_auth(&app.token)
                    .header("Content-Type", "text/csv")
                    .body(csv)
                    .send()
                    .await
                    .unwrap();
                (res.status(), res.json::<Value>().await.unwrap())
            }
        };
        let import = |csv: &'static str, dry: bool| async move {
            let (status, body) = send(csv, dry).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        };
        let bad = "name,currency,tax_rates,payment_terms_days,bill_to,external_ref\nAcme Corp,USD,NY State,15,,AT-1\nBeta LLC,XYZ,,30,,\nBeta Labs,USD,,30,Nobody Inc,\n";
        // A dry run is a preview: every row with its errors.
        let report = import(bad, true).await;
        assert_eq!(report["applied"], false, "{b}: {report}");
        assert_eq!(report["errors"], 2, "{b}: {report}");
        assert_eq!(report["rows"][1]["errors"][0]["field"], "currency");
        assert_eq!(report["rows"][2]["action"], "error", "{b}: {report}");
        assert_eq!(report["rows"][2]["errors"][0]["field"], "bill_to");
        // The import itself is refused, naming each column and line, and writes nothing.
        let (status, problem) = send(bad, false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {problem}");
        assert_eq!(problem["field"], "currency", "{b}: {problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["currency", "bill_to"], "{b}: {problem}");
        assert!(
            problem["errors"][1]["message"]
                .as_str()
                .unwrap()
                .starts_with("line 4: no company named \"Nobody Inc\""),
            "{b}: {problem}"
        );
        let companies = ok(&app, "GET", "/api/v1/companies", Value::Null).await;
        assert_eq!(
            companies.as_array().unwrap().len(),
            1,
            "{b}: nothing written"
        );
        // A parent that exists nowhere is an error even when nothing else is wrong; so are
        // cells no company field can hold.
        for (csv, field) in [
            ("name,bill_to\nSolo Inc,Ghost Ltd\n", "bill_to"),
            ("name,external_ref\nNul Inc,AB\u{0}C\n", "external_ref"),
            ("name\nTab\tInc\n", "name"),
        ] {
            let (status, problem) = send(csv, false).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{b}: {csv:?}: {problem}"
            );
            assert_eq!(problem["field"], field, "{b}: {csv:?}: {problem}");
        }
        let long = format!("name\n{}\n", "x".repeat(1001));
        let res = app
            .http
            .post(app.url("/api/v1/companies/import"))
            .bearer_auth(&app.token)
            .header("Content-Type", "text/csv")
            .body(long)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        // Only CSV is read as CSV.
        let res = app
            .http
            .post(app.url("/api/v1/companies/import"))
            .bearer_auth(&app.token)
            .header("Content-Type", "application/json")
            .body("name\nJson Inc\n")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{b}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["field"], "Content-Type", "{b}: {problem}");
        assert_eq!(
            ok(&app, "GET", "/api/v1/companies", Value::Null)
                .await
                .as_array()
                .map(Vec::len),
            Some(1),
            "{b}: no refused import wrote anything"
        );

        let good = "name,currency,tax_rates,payment_terms_days,bill_to,external_ref\nAcme Corp,USD,NY State,15,,AT-1\nBeta LLC,USD,exempt,30,,\nBeta Labs,USD,,30,Beta LLC,\n";
        let dry = import(good, true).await;
        assert_eq!(
            (
                dry["created"].as_u64(),
                dry["updated"].as_u64(),
                dry["applied"].as_bool()
            ),
            (Some(2), Some(1), Some(false)),
            "{b}: {dry}"
        );
        assert!(
            dry["rows"][0]["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c.as_str().unwrap().starts_with("name:"))
        );
        assert_eq!(
            ok(&app, "GET", "/api/v1/companies", Value::Null)
                .await
                .as_array()
                .unwrap()
                .len(),
            1,
            "a dry run writes nothing"
        );
        let done = import(good, false).await;
        assert_eq!(done["applied"], true);
        let companies = ok(&app, "GET", "/api/v1/companies", Value::Null).await;
        let labs = companies
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Beta Labs")
            .unwrap();
        let beta = companies
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Beta LLC")
            .unwrap();
        assert_eq!(labs["bill_to_id"], beta["id"]);
        assert_eq!(
            companies.as_array().unwrap().len(),
            3,
            "{b}: Acme renamed, not duplicated"
        );
        assert_eq!(
            import(good, false).await["unchanged"],
            2,
            "re-importing changes nothing but the child's bill-to check"
        );
    }
}
