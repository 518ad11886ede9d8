//! The ingestion API, as a module and a new user would use it.

mod helpers;

use helpers::{TestApp, ok, spawn_apps};
use reqwest::StatusCode;
use serde_json::{Value, json};
use unitbill_server::BodyLimits;

// 2026-11-10 15:00 in New York.
const NOW: &str = "2026-11-10T20:00:00Z";

fn three_orgs() -> Value {
    json!({"complete": true, "organizations": [
        {"id": "site-1042", "name": "Acme Corp - HQ", "parent_id": null, "usage": {"desktop": 41, "server": 3, "edr_enabled": true}},
        {"id": "site-1043", "name": "Acme Corp - Warehouse", "parent_id": "site-1042", "usage": {"desktop": 5}},
        {"id": "site-2001", "name": "Beta Dental LLC", "usage": {"laptop": 12, "edr_enabled": false}}
    ]})
}

async fn put(
    app: &TestApp,
    key: &str,
    module: &str,
    date: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let res = app
        .http
        .put(app.url(&format!("/api/v1/modules/{module}/usage/{date}")))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert_eq!(ct, "application/problem+json", "{body}");
    }
    (status, body)
}

async fn get(app: &TestApp, path: &str, key: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Everything observable about a module-day: the snapshot, its revisions, the orgs.
async fn state(app: &TestApp, date: &str) -> Value {
    let snapshot = get(
        app,
        &format!("/api/v1/modules/datto-rmm/usage/{date}"),
        &app.rmm_key,
    )
    .await
    .1;
    let revisions = get(
        app,
        &format!("/api/v1/modules/datto-rmm/usage/{date}/revisions"),
        &app.token,
    )
    .await
    .1;
    let orgs = get(app, "/api/v1/orgs", &app.token).await.1;
    json!({"snapshot": snapshot, "revisions": revisions, "orgs": orgs})
}

#[tokio::test]
async fn a_snapshot_round_trips_is_idempotent_and_keeps_revisions() {
    for app in spawn_apps(NOW, BodyLimits::default()).await {
        let b = app.backend;
        let (status, body) =
            put(&app, &app.rmm_key, "datto-rmm", "2026-11-09", &three_orgs()).await;
        assert_eq!(status, StatusCode::OK, "{b}: {body}");
        assert_eq!(body["new_orgs"], 3);

        let (status, snap) = get(
            &app,
            "/api/v1/modules/datto-rmm/usage/2026-11-09",
            &app.rmm_key,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(snap["complete"], true);
        let hq = snap["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == "site-1042")
            .unwrap();
        assert_eq!(
            hq["usage"],
            json!({"desktop": 41, "server": 3, "edr_enabled": true}),
            "{b}"
        );
        assert_eq!(hq["name"], "Acme Corp - HQ");

        let before = state(&app, "2026-11-09").await;
        let (status, body) =
            put(&app, &app.rmm_key, "datto-rmm", "2026-11-09", &three_orgs()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["changed"], false);
        assert_eq!(
            state(&app, "2026-11-09").await,
            before,
            "{b}: the same PUT again leaves the state identical"
        );

        let mut changed = three_orgs();
        changed["organizations"][0]["usage"]["desktop"] = json!(42);
        let (status, body) = put(&app, &app.rmm_key, "datto-rmm", "2026-11-09", &changed).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["revisions"], 1);
        let revisions = get(
            &app,
            "/api/v1/modules/datto-rmm/usage/2026-11-09/revisions",
            &app.token,
        )
        .await
        .1;
        assert_eq!(revisions.as_array().unwrap().len(), 1, "{b}");
        assert_eq!(revisions[0]["old_quantity"], 41);
        assert_eq!(revisions[0]["new_quantity"], 42);
    }
}

#[tokio::test]
async fn bad_snapshots_get_a_problem_naming_the_field_and_change_nothing() {
    let limits = BodyLimits {
        json_bytes: 64 * 1024,
        ndjson_bytes: 64 * 1024,
    };
    for app in spawn_apps(NOW, limits).await {
        let b = app.backend;
        assert_eq!(
            put(&app, &app.rmm_key, "datto-rmm", "2026-11-09", &three_orgs())
                .await
                .0,
            StatusCode::OK
        );
        let before = state(&app, "2026-11-09").await;

        let with = |f: &dyn Fn(&mut Value)| {
            let mut body = three_orgs();
            f(&mut body);
            body
        };
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "negative",
                with(&|b| b["organizations"][0]["usage"]["desktop"] = json!(-1)),
                "organizations[0].usage.desktop",
            ),
            (
                "fractional",
                with(&|b| b["organizations"][0]["usage"]["desktop"] = json!(41.0)),
                "organizations[0].usage.desktop",
            ),
            (
                "string",
                with(&|b| b["organizations"][0]["usage"]["desktop"] = json!("41")),
                "organizations[0].usage.desktop",
            ),
            (
                "number for a flag",
                with(&|b| b["organizations"][0]["usage"]["edr_enabled"] = json!(1)),
                "organizations[0].usage.edr_enabled",
            ),
            (
                "org twice",
                with(&|b| b["organizations"][2]["id"] = json!("site-1042")),
                "organizations[2].id",
            ),
            (
                "unknown billing type",
                with(&|b| b["organizations"][1]["usage"]["toaster"] = json!(2)),
                "organizations[1].usage.toaster",
            ),
        ];
        for (what, body, field) in cases {
            let (status, problem) = put(&app, &app.rmm_key, "datto-rmm", "2026-11-09", &body).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{b} {what}: {problem}"
            );
            assert_eq!(problem["field"], field, "{b} {what}");
        }
        let (status, problem) =
            put(&app, &app.rmm_key, "datto-rmm", "2026-13-45", &three_orgs()).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("date")),
            "{b}"
        );
        // The day after tomorrow in New York is refused (tomorrow is accepted, below).
        let (status, problem) =
            put(&app, &app.rmm_key, "datto-rmm", "2026-11-12", &three_orgs()).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("date")),
            "{b}"
        );

        // Another module's key, another tenant's key, no key.
        let edr_key = app
            .engine
            .connect_module(app.tenant_id, "datto-edr", None)
            .await
            .unwrap()
            .secret;
        assert_eq!(
            put(&app, &edr_key, "datto-rmm", "2026-11-09", &three_orgs())
                .await
                .0,
            StatusCode::FORBIDDEN,
            "{b}"
        );
        let other = app
            .engine
            .create_tenant(&unitbill_engine::tenants::TenantInput {
                slug: "other".into(),
                name: "Other".into(),
                time_zone: "UTC".into(),
                currency: "USD".into(),
                sync_hour: 1,
            })
            .await
            .unwrap();
        let other_key = app
            .engine
            .connect_module(other.id, "datto-rmm", None)
            .await
            .unwrap()
            .secret;
        let (status, _) = put(
            &app,
            &other_key,
            "datto-rmm",
            "2026-11-09",
            &json!({"complete": true, "organizations": []}),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the other tenant writes its own data"
        );
        assert_eq!(
            put(&app, "ubm_1_nope", "datto-rmm", "2026-11-09", &three_orgs())
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );

        // Over the body limit.
        let big = json!({"complete": true, "organizations": (0..2000).map(|i| json!({"id": format!("o{i}"), "name": "x".repeat(30), "usage": {"desktop": 1}})).collect::<Vec<_>>()});
        let (status, problem) = put(&app, &app.rmm_key, "datto-rmm", "2026-11-09", &big).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("body")),
            "{b}"
        );

        assert_eq!(
            state(&app, "2026-11-09").await,
            before,
            "{b}: no rejected request changed anything"
        );
        assert_eq!(
            put(&app, &app.rmm_key, "datto-rmm", "2026-11-11", &three_orgs())
                .await
                .0,
            StatusCode::OK,
            "{b}: tomorrow"
        );
    }
}

#[tokio::test]
async fn ndjson_snapshots_and_custom_modules() {
    for app in spawn_apps(NOW, BodyLimits::default()).await {
        let b = app.backend;
        let body = "{\"complete\": true}\n{\"id\":\"a\",\"name\":\"Alpha\",\"usage\":{\"desktop\":2}}\n{\"id\":\"b\",\"name\":\"Beta\",\"usage\":{\"server\":1}}\n";
        let res = app
            .http
            .put(app.url("/api/v1/modules/datto-rmm/usage/2026-11-08"))
            .bearer_auth(&app.rmm_key)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        let snap = get(
            &app,
            "/api/v1/modules/datto-rmm/usage/2026-11-08",
            &app.rmm_key,
        )
        .await
        .1;
        assert_eq!(snap["organizations"].as_array().unwrap().len(), 2);

        // A custom module registers its billing types from the first values.
        let res = app
            .http
            .post(app.url("/api/v1/modules/my-backup/keys"))
            .bearer_auth(&app.token)
            .json(&json!({"name": "My Backup Tool"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let key = res.json::<Value>().await.unwrap()["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let body = json!({"complete": true, "organizations": [{"id": "x", "name": "X", "usage": {"gb": 120, "immutable": true}}]});
        assert_eq!(
            put(&app, &key, "my-backup", "2026-11-08", &body).await.0,
            StatusCode::OK
        );
        let modules = get(&app, "/api/v1/modules", &app.token).await.1;
        let custom = modules
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == "my-backup")
            .unwrap()
            .clone();
        assert_eq!(
            custom["billing_types"].as_array().unwrap().len(),
            2,
            "{b}: {custom}"
        );
        let flag_as_number = json!({"complete": true, "organizations": [{"id": "x", "name": "X", "usage": {"immutable": 1}}]});
        assert_eq!(
            put(&app, &key, "my-backup", "2026-11-08", &flag_as_number)
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    for app in spawn_apps(NOW, BodyLimits::default()).await {
        let spec: Value = app
            .http
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for path in [
            "/api/v1/modules/{module}/usage/{date}",
            "/api/v1/modules/{module}/usage/{date}/revisions",
            "/api/v1/orgs",
        ] {
            assert!(spec["paths"][path].is_object(), "{path} missing");
        }
        assert_eq!(
            app.http
                .get(app.url("/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn a_revoked_module_key_can_no_longer_push() {
    for app in spawn_apps(NOW, BodyLimits::default()).await {
        let keys: Value = app
            .http
            .get(app.url("/api/v1/module-keys"))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = keys[0]["id"].as_i64().unwrap();
        assert_eq!(
            put(&app, &app.rmm_key, "datto-rmm", "2026-11-09", &three_orgs())
                .await
                .0,
            StatusCode::OK
        );
        let res = app
            .http
            .delete(app.url(&format!("/api/v1/module-keys/{id}")))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            put(&app, &app.rmm_key, "datto-rmm", "2026-11-09", &three_orgs())
                .await
                .0,
            StatusCode::UNAUTHORIZED,
            "{}",
            app.backend
        );
    }
}

/// The history start is a tenant setting: by default the first day of the month 24 months
/// before the tenant was created; an admin can move it (to load older history) and reset it.
#[tokio::test]
async fn the_history_start_is_a_tenant_setting() {
    for app in spawn_apps("2026-03-01T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let put = |date: &'static str| {
            let app = &app;
            async move {
                app.http
                    .put(app.url(&format!("/api/v1/modules/datto-rmm/usage/{date}")))
                    .bearer_auth(&app.rmm_key)
                    .json(&json!({"complete": true, "organizations": []}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(
            put("2024-02-29").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{b}: before the default start"
        );
        assert_eq!(
            put("2024-03-01").await,
            StatusCode::OK,
            "{b}: the default start"
        );
        let t = ok(
            &app,
            "PATCH",
            "/api/v1/tenant",
            json!({"history_start": "2020-01-01"}),
        )
        .await;
        assert_eq!(t["history_start"], "2020-01-01", "{b}: {t}");
        assert_eq!(
            put("2020-01-01").await,
            StatusCode::OK,
            "{b}: older history now loads"
        );
        assert_eq!(
            put("2019-12-31").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{b}"
        );
        for bad in ["2026-13-01", "1899-12-31", "2026-03-03", "soon"] {
            let res = app
                .http
                .patch(app.url("/api/v1/tenant"))
                .bearer_auth(&app.token)
                .json(&json!({"history_start": bad}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}: {bad}");
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["field"], "history_start", "{b}: {problem}");
        }
        let t = ok(
            &app,
            "PATCH",
            "/api/v1/tenant",
            json!({"history_start": ""}),
        )
        .await;
        assert_eq!(t["history_start"], Value::Null, "{b}: back to the default");
        assert_eq!(
            put("2020-01-02").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{b}"
        );
    }
}

/// Usage is stored as runs over complete days: a late day in the middle, a re-send in another
/// order and a correction back each read back exactly as sent, and leave the days around them.
#[tokio::test]
async fn late_days_resends_and_corrections_read_back_as_sent() {
    let snapshot = |orgs: &[(&str, i64)]| {
        json!({
            "complete": true,
            "organizations": orgs
                .iter()
                .map(|(id, n)| json!({"id": id, "name": id, "usage": {"desktop": n}}))
                .collect::<Vec<_>>(),
        })
    };
    let desktops = |snap: &Value| -> Vec<(String, i64)> {
        snap["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| {
                let n = o["usage"]["desktop"].as_i64()?;
                Some((o["id"].as_str()?.to_owned(), n))
            })
            .collect()
    };
    for app in spawn_apps(NOW, BodyLimits::default()).await {
        let b = app.backend;
        let day = |d: &str| format!("2026-11-0{d}");
        let read = |d: &'static str| {
            let app = &app;
            async move {
                let path = format!("/api/v1/modules/datto-rmm/usage/2026-11-0{d}");
                desktops(&get(app, &path, &app.rmm_key).await.1)
            }
        };
        let as_sent = |orgs: &[(&str, i64)]| -> Vec<(String, i64)> {
            orgs.iter().map(|(o, n)| (o.to_string(), *n)).collect()
        };
        for (d, orgs) in [
            ("1", vec![("a", 4), ("b", 2)]),
            ("3", vec![("a", 4), ("b", 2)]),
        ] {
            let (status, body) =
                put(&app, &app.rmm_key, "datto-rmm", &day(d), &snapshot(&orgs)).await;
            assert_eq!(status, StatusCode::OK, "{b}: {body}");
        }
        // Late: day 2 changes a and drops b, between two days that keep them.
        let late = [("a", 9), ("c", 0)];
        let (status, body) =
            put(&app, &app.rmm_key, "datto-rmm", &day("2"), &snapshot(&late)).await;
        assert_eq!(
            (status, body["changed"].clone()),
            (StatusCode::OK, json!(true)),
            "{b}"
        );
        assert_eq!(read("1").await, as_sent(&[("a", 4), ("b", 2)]), "{b}");
        assert_eq!(
            read("2").await,
            as_sent(&late),
            "{b}: an explicit 0 reads back"
        );
        assert_eq!(read("3").await, as_sent(&[("a", 4), ("b", 2)]), "{b}");
        // The same day again, orgs in another order: nothing changes.
        let before = state(&app, &day("2")).await;
        let (_, body) = put(
            &app,
            &app.rmm_key,
            "datto-rmm",
            &day("2"),
            &snapshot(&[("c", 0), ("a", 9)]),
        )
        .await;
        assert_eq!(body["changed"], false, "{b}: {body}");
        assert_eq!(state(&app, &day("2")).await, before, "{b}");
        // Corrected back to day 1's content.
        let (_, body) = put(
            &app,
            &app.rmm_key,
            "datto-rmm",
            &day("2"),
            &snapshot(&[("a", 4), ("b", 2)]),
        )
        .await;
        assert_eq!(body["changed"], true, "{b}");
        for d in ["1", "2", "3"] {
            assert_eq!(
                read(d).await,
                as_sent(&[("a", 4), ("b", 2)]),
                "{b}: day {d}"
            );
        }
        // A partial-only day lists only what it sent.
        let partial = json!({"complete": false, "organizations": [{"id": "b", "name": "b", "usage": {"desktop": 5}}]});
        let (status, _) = put(&app, &app.rmm_key, "datto-rmm", &day("4"), &partial).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read("4").await, as_sent(&[("b", 5)]), "{b}");
    }
}
