//! The hostile-input corpus (#12): hundreds of bad requests across every route group, each
//! aimed at real objects of a realistic tenant (and at another tenant's), each answered with
//! the right status as `application/problem+json` naming the field, and each leaving every
//! row of every table exactly as it was. On SQLite and PostgreSQL.

#[path = "hostile/case.rs"]
mod case;
mod helpers;
#[path = "hostile/ingestion.rs"]
mod ingestion;
#[path = "hostile/invoicing.rs"]
mod invoicing;
#[path = "hostile/setup.rs"]
mod setup;
#[path = "hostile/tenant.rs"]
mod tenant;
#[path = "hostile/world.rs"]
mod world;

use std::collections::BTreeMap;
use std::time::Instant;

use case::{Auth, Case};
use helpers::{TestApp, spawn_apps};
use serde_json::Value;
use unitbill_server::BodyLimits;
use unitbill_store::testing::StateDump;
use world::World;

/// Every case of the corpus, by route group.
fn corpus(w: &World, app: &TestApp) -> Vec<Case> {
    [
        ingestion::ingestion(w),
        ingestion::auth(w, app),
        ingestion::roles(w),
        setup::companies(w),
        setup::catalog(w),
        setup::import(w),
        setup::contracts(w),
        setup::contract_services(w),
        setup::mappings(w),
        invoicing::runs(w),
        invoicing::documents(w),
        invoicing::payments(w),
        invoicing::credits(w),
        invoicing::one_offs(w),
        tenant::tenant(w),
        tenant::sync(w),
        tenant::insights(w),
        tenant::exports(w),
        tenant::edge(w),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What the server answered: status, Content-Type and the body as JSON.
async fn send(app: &TestApp, w: &World, c: &Case) -> (u16, String, Value) {
    let mut req = app
        .http
        .request(c.method.parse().unwrap(), app.url(&c.path))
        .body(c.body.clone());
    let bearer = |secret: &str| format!("Bearer {secret}");
    let authorization = match &c.auth {
        Auth::Admin => Some(bearer(&app.token)),
        Auth::Billing => Some(bearer(&w.billing_token)),
        Auth::Viewer => Some(bearer(&w.viewer_token)),
        Auth::Module => Some(bearer(&app.rmm_key)),
        Auth::OtherTenant => Some(bearer(&w.other.token)),
        Auth::Nothing => None,
        Auth::Header(h) => Some(h.clone()),
    };
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    if let Some(ct) = &c.content_type {
        req = req.header("Content-Type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = res.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        Value::String(String::from_utf8_lossy(&bytes).chars().take(300).collect())
    });
    (status, content_type, body)
}

/// What is wrong with an answer (empty: nothing).
fn judge(c: &Case, status: u16, content_type: &str, body: &Value) -> Vec<String> {
    let mut wrong = Vec::new();
    if status != c.status {
        wrong.push(format!("status {status}, expected {}", c.status));
    }
    if content_type != "application/problem+json" {
        wrong.push(format!("Content-Type {content_type:?}"));
    }
    if body["status"] != c.status {
        wrong.push(format!("body status {}", body["status"]));
    }
    match c.field.as_deref() {
        Some("*") => {}
        Some(field) if body["field"] != field => {
            wrong.push(format!("field {}, expected {field:?}", body["field"]));
        }
        None if !body["field"].is_null() => {
            wrong.push(format!("field {}, expected none", body["field"]));
        }
        _ => {}
    }
    wrong
}

/// The lines only in `before` (-) and only in `after` (+), at most a few of each.
fn diff(before: &str, after: &str) -> String {
    let old: std::collections::BTreeSet<&str> = before.lines().collect();
    let new: std::collections::BTreeSet<&str> = after.lines().collect();
    let gone = old
        .difference(&new)
        .take(5)
        .map(|l| format!("\n      - {l}"));
    let came = new
        .difference(&old)
        .take(5)
        .map(|l| format!("\n      + {l}"));
    gone.chain(came).collect()
}

/// Runs the corpus against one app; returns the failures and the case count per group.
async fn run(app: &TestApp, w: &World) -> (Vec<String>, BTreeMap<&'static str, usize>) {
    let dumper = StateDump::connect(&app.db_url).await;
    let mut state = dumper.dump().await;
    let mut failures = Vec::new();
    let mut groups: BTreeMap<&'static str, usize> = BTreeMap::new();
    for c in corpus(w, app) {
        *groups.entry(c.group).or_default() += 1;
        let (status, content_type, body) = send(app, w, &c).await;
        let mut wrong = judge(&c, status, &content_type, &body);
        let after = dumper.dump().await;
        if after != state {
            wrong.push(format!("changed the state:{}", diff(&state, &after)));
            // The next case is judged against what this one left.
            state = after;
        }
        let report = || {
            format!(
                "{} {}\n    answered {status} {content_type} {body}\n    {}",
                app.backend,
                c.label(),
                wrong.join("\n    ")
            )
        };
        if !wrong.is_empty() {
            failures.push(report());
        }
    }
    (failures, groups)
}

#[tokio::test]
async fn every_hostile_request_is_a_problem_naming_its_field_and_changes_nothing() {
    // Small snapshot limits, so the oversized cases stay small.
    let limits = BodyLimits {
        json_bytes: 64 * 1024,
        ndjson_bytes: 128 * 1024,
    };
    let mut failures = Vec::new();
    for app in spawn_apps("2026-10-01T12:00:00Z", limits).await {
        let started = Instant::now();
        let w = world::build(&app).await;
        let built = started.elapsed();
        let (mut wrong, groups) = run(&app, &w).await;
        let total: usize = groups.values().sum();
        eprintln!(
            "{}: {total} cases in {:.1?} (state built in {built:.1?}): {groups:?}",
            app.backend,
            started.elapsed() - built
        );
        assert!(total >= 200, "the corpus has {total} cases");
        failures.append(&mut wrong);
    }
    assert!(
        failures.is_empty(),
        "{} hostile requests were answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
