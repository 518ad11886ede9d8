//! Every refusal at the edge is `application/problem+json` naming what is wrong: bodies that
//! are not JSON or not of the right shape, path ids of the wrong type, malformed queries, a
//! missing Content-Type, unknown routes and methods. Each refusal changes nothing.

mod helpers;

use helpers::{TestApp, ok, spawn_apps};
use reqwest::StatusCode;
use serde_json::{Value, json};
use unitbill_server::BodyLimits;

/// Sends a raw request with the app's API token; returns status, Content-Type and JSON body.
async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, String, Value) {
    let mut req = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(&app.token)
        .body(body.to_owned());
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ct, res.json().await.unwrap_or(Value::Null))
}

/// Method, path, Content-Type, body, the status expected and the field it must name ("" for
/// none).
type Case<'a> = (
    &'a str,
    String,
    Option<&'a str>,
    &'a str,
    StatusCode,
    &'a str,
);

#[tokio::test]
async fn every_refusal_is_a_problem_naming_its_field_and_changes_nothing() {
    for app in spawn_apps("2026-03-01T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let company = ok(&app, "POST", "/api/v1/companies", json!({"name": "Acme"})).await;
        let id = company["id"].as_i64().unwrap();
        let json = Some("application/json");
        let long_name = json!({"name": "x".repeat(1001)}).to_string();
        let one_off = json!({"company_id": id, "period": "0000-01", "description": "x", "quantity": "1", "unit_price": "1"}).to_string();
        let cases: Vec<Case> = vec![
            (
                "PATCH",
                "/api/v1/companies/abc".into(),
                json,
                r#"{"name":"x"}"#,
                StatusCode::BAD_REQUEST,
                "id",
            ),
            (
                "POST",
                "/api/v1/companies".into(),
                json,
                r#"{"name":"#,
                StatusCode::BAD_REQUEST,
                "body",
            ),
            (
                "POST",
                "/api/v1/companies".into(),
                None,
                r#"{"name":"Globex"}"#,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type",
            ),
            (
                "POST",
                "/api/v1/companies".into(),
                json,
                r#"{"name":"Globex","colour":"red"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "colour",
            ),
            (
                "PATCH",
                format!("/api/v1/companies/{id}"),
                json,
                r#"{"payment_terms_days":"soon"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "payment_terms_days",
            ),
            (
                "GET",
                "/api/v1/unit-history?from=2026-01-01".into(),
                None,
                "",
                StatusCode::BAD_REQUEST,
                "to",
            ),
            (
                "GET",
                "/api/v1/no-such-route".into(),
                None,
                "",
                StatusCode::NOT_FOUND,
                "",
            ),
            (
                "DELETE",
                "/api/v1/companies".into(),
                None,
                "",
                StatusCode::METHOD_NOT_ALLOWED,
                "",
            ),
            (
                "GET",
                "/api/v1/documents?period=2026-13".into(),
                None,
                "",
                StatusCode::BAD_REQUEST,
                "period",
            ),
            (
                "GET",
                "/api/v1/documents?period=9999-12".into(),
                None,
                "",
                StatusCode::BAD_REQUEST,
                "period",
            ),
            (
                "POST",
                "/api/v1/invoice-runs".into(),
                json,
                r#"{"period":"9999-12"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "period",
            ),
            (
                "POST",
                "/api/v1/sync".into(),
                json,
                r#"{"from":"2026-02-10","through":"2026-02-01"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "from",
            ),
            (
                "POST",
                "/api/v1/one-offs".into(),
                json,
                &one_off,
                StatusCode::UNPROCESSABLE_ENTITY,
                "period",
            ),
            (
                "PATCH",
                "/api/v1/tenant".into(),
                json,
                r#"{"invoice_number_format":"INV-{seq:99}"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invoice_number_format",
            ),
            (
                "PUT",
                "/api/v1/insights/no-such-insight".into(),
                json,
                r#"{"status":"dismissed"}"#,
                StatusCode::NOT_FOUND,
                "",
            ),
            (
                "POST",
                "/api/v1/companies".into(),
                json,
                &long_name,
                StatusCode::UNPROCESSABLE_ENTITY,
                "name",
            ),
            (
                "POST",
                "/api/v1/companies".into(),
                json,
                r#"{"name":"Ac\u0000me"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "name",
            ),
            (
                "POST",
                "/api/v1/companies".into(),
                json,
                r#"{"name":"Globex","name":"Initech"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "name",
            ),
        ];
        for (method, path, ct, body, status, field) in cases {
            let (got, content_type, problem) = raw(&app, method, &path, ct, body).await;
            assert_eq!(got, status, "{b}: {method} {path} {body}: {problem}");
            assert_eq!(
                content_type, "application/problem+json",
                "{b}: {method} {path} answers {content_type}"
            );
            assert_eq!(problem["status"], status.as_u16(), "{b}: {problem}");
            if !field.is_empty() {
                assert_eq!(problem["field"], field, "{b}: {method} {path}: {problem}");
            }
        }
        // Usage before the tenant's history start (24 months before it was created).
        let res = app
            .http
            .put(app.url("/api/v1/modules/datto-rmm/usage/0000-01-01"))
            .bearer_auth(&app.rmm_key)
            .json(&json!({"complete": true, "organizations": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["field"], "date", "{b}: {problem}");
        // A key twice in a snapshot, in either form, names its JSON path and stores nothing.
        let snapshots = [
            (
                "application/json",
                r#"{"complete":true,"complete":false,"organizations":[]}"#,
                "complete",
            ),
            (
                "application/json",
                r#"{"complete":true,"organizations":[{"id":"s1","name":"Acme","usage":{"desktop_laptop":3,"desktop_laptop":4}}]}"#,
                "organizations[0].usage.desktop_laptop",
            ),
            (
                "application/x-ndjson",
                "{\"complete\":true}\n{\"id\":\"s1\",\"name\":\"Acme\",\"name\":\"Acme 2\",\"usage\":{}}\n",
                "organizations[0].name",
            ),
        ];
        for (content_type, body, field) in snapshots {
            let res = app
                .http
                .put(app.url("/api/v1/modules/datto-rmm/usage/2026-02-27"))
                .bearer_auth(&app.rmm_key)
                .header("Content-Type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{b}: {body}"
            );
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["field"], field, "{b}: {problem}");
        }
        let stored = app
            .http
            .get(app.url("/api/v1/modules/datto-rmm/usage/2026-02-27"))
            .bearer_auth(&app.rmm_key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            stored.status(),
            StatusCode::NOT_FOUND,
            "{b}: nothing stored"
        );
        let companies = ok(&app, "GET", "/api/v1/companies", Value::Null).await;
        assert_eq!(
            companies.as_array().map(Vec::len),
            Some(1),
            "{b}: the refusals changed nothing: {companies}"
        );
        assert_eq!(companies[0]["name"], "Acme", "{b}");
    }
}
