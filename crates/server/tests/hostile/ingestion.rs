//! Ingestion (JSON and NDJSON snapshots, module key auth) and the auth headers of every kind
//! of caller.

use crate::case::{Auth, Case, js, long};
use crate::helpers::TestApp;
use crate::world::World;

const G: &str = "ingestion";
const DAY: &str = "/api/v1/modules/datto-rmm/usage/2026-12-01";

/// A snapshot PUT for 2026-12-01 with the module key.
fn put(body: &str) -> Case {
    Case::json(G, "PUT", DAY, body).auth(Auth::Module)
}

fn ndjson(body: &str) -> Case {
    put(body).content_type(Some("application/x-ndjson"))
}

/// A complete snapshot of one org whose `usage` object is `usage` (raw JSON text).
fn one_org(usage: &str) -> String {
    format!(
        r#"{{"complete":true,"organizations":[{{"id":"s1","name":"ACME Corp - HQ","usage":{usage}}}]}}"#
    )
}

/// A complete snapshot of one org given as raw JSON text.
fn org(org: &str) -> String {
    format!(r#"{{"complete":true,"organizations":[{org}]}}"#)
}

pub fn ingestion(_w: &World) -> Vec<Case> {
    let valid = one_org(r#"{"desktop":11}"#);
    let at = |date: &str| format!("/api/v1/modules/datto-rmm/usage/{date}");
    vec![
        put(r#"{"complete":true,"organizations":["#).expect(400, "body"),
        put("").expect(400, "body"),
        put("[]").expect(422, "body"),
        put("null").expect(422, "body"),
        put(r#"{"organizations":[]}"#).expect(422, "complete"),
        put(r#"{"complete":"yes","organizations":[]}"#).expect(422, "complete"),
        put(r#"{"complete":1,"organizations":[]}"#).expect(422, "complete"),
        put(r#"{"complete":true}"#).expect(422, "organizations"),
        put(r#"{"complete":true,"organizations":{}}"#).expect(422, "organizations"),
        put(r#"{"complete":true,"organizations":[],"extra":1}"#).expect(422, "extra"),
        put(r#"{"complete":true,"complete":false,"organizations":[]}"#).expect(422, "complete"),
        put(&one_org(r#"{"desktop":1,"desktop":2}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&org(r#"{"id":"s1","id":"s9","name":"A","usage":{}}"#)).expect(422, "organizations[0].id"),
        put(&org("1")).expect(422, "organizations[0]"),
        put(&org(r#"{"name":"A","usage":{}}"#)).expect(422, "organizations[0].id"),
        put(&org(r#"{"id":"","name":"A","usage":{}}"#)).expect(422, "organizations[0].id"),
        put(&org(&format!(r#"{{"id":{},"name":"A","usage":{{}}}}"#, js(&long(256))))).expect(422, "organizations[0].id"),
        put(&org(r#"{"id":"s\u0000","name":"A","usage":{}}"#)).expect(422, "organizations[0].id"),
        put(&org(r#"{"id":"s1","name":"Ac\u0000me","usage":{}}"#)).expect(422, "organizations[0].name"),
        put(&org(r#"{"id":"s1","name":"Ac\u001bme","usage":{}}"#)).expect(422, "organizations[0].name"),
        put(&org(&format!(r#"{{"id":"s1","name":{},"usage":{{}}}}"#, js(&long(1001))))).expect(422, "organizations[0].name"),
        put(&org(r#"{"id":"s1","name":"A","parent_id":123,"usage":{}}"#)).expect(422, "organizations[0].parent_id"),
        put(&org(r#"{"id":"s1","name":"A","parent_id":"p\u0007","usage":{}}"#)).expect(422, "organizations[0].parent_id"),
        put(&org(r#"{"id":"s1","name":"A"}"#)).expect(422, "organizations[0].usage"),
        put(&org(r#"{"id":"s1","name":"A","usage":[]}"#)).expect(422, "organizations[0].usage"),
        put(&org(r#"{"id":"s1","name":"A","usage":{},"colour":"red"}"#)).expect(422, "organizations[0].colour"),
        put(&one_org(r#"{"desktop":41.0}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&one_org(r#"{"desktop":"41"}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&one_org(r#"{"desktop":-1}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&one_org(r#"{"desktop":1000000001}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&one_org(r#"{"desktop":99999999999999999999999}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&one_org(r#"{"desktop":1e3}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&one_org(r#"{"desktop":true}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&one_org(r#"{"desktop":null}"#)).expect(422, "organizations[0].usage.desktop"),
        put(&one_org(r#"{"toaster":1}"#)).expect(422, "organizations[0].usage.toaster"),
        put(&one_org(r#"{"Desk Top":1}"#)).expect(422, "organizations[0].usage.Desk Top"),
        put(r#"{"complete":true,"organizations":[{"id":"s1","name":"A","usage":{}},{"id":"s1","name":"B","usage":{}}]}"#)
            .expect(422, "organizations[1].id"),
        Case::json(G, "PUT", at("2026-13-01"), &valid).auth(Auth::Module).expect(422, "date"),
        Case::json(G, "PUT", at("2026-02-30"), &valid).auth(Auth::Module).expect(422, "date"),
        Case::json(G, "PUT", at("0000-01-01"), &valid).auth(Auth::Module).expect(422, "date"),
        Case::json(G, "PUT", at("9999-12-31"), &valid).auth(Auth::Module).expect(422, "date"),
        // Today is 2026-12-02 in New York: tomorrow is the last day a module may send.
        Case::json(G, "PUT", at("2026-12-04"), &valid).auth(Auth::Module).expect(422, "date"),
        Case::json(G, "PUT", at("2024-09-30"), &valid).auth(Auth::Module).expect(422, "date"),
        Case::json(G, "PUT", at("20261201"), &valid).auth(Auth::Module).expect(422, "date"),
        Case::json(G, "PUT", at("2026-1-01"), &valid).auth(Auth::Module).expect(422, "date"),
        Case::json(G, "PUT", at("%2B2026-12-01"), &valid).auth(Auth::Module).expect(422, "date"),
        Case::json(G, "PUT", "/api/v1/modules/audit-suite/usage/2026-12-01", &valid).auth(Auth::Module).expect(403, ""),
        put(&valid).content_type(Some("text/plain")).expect(415, "Content-Type"),
        put(&valid).content_type(None).expect(415, "Content-Type"),
        // The harness caps JSON snapshots at 64 KiB and NDJSON at 128 KiB.
        put(&one_org(&format!(r#"{{"desktop":1,"pad":{}}}"#, js(&long(70_000))))).expect(413, "body"),
        ndjson(&format!("{{\"complete\":true}}\n{}\n", js(&long(140_000)))).expect(413, "body"),
        // NDJSON: a bad line in the middle stores nothing.
        ndjson("{\"complete\":true}\n{\"id\":\"s1\",\"name\":\"A\",\"usage\":{\"desktop\":3}}\n{not json\n{\"id\":\"s2\",\"name\":\"B\",\"usage\":{}}\n")
            .expect(422, "organizations[1]"),
        ndjson("{\"complete\":true}\n{\"id\":\"s1\",\"name\":\"A\",\"usage\":{\"desktop\":3}}\n{\"id\":\"s2\",\"name\":\"B\",\"usage\":{\"desktop\":-3}}\n")
            .expect(422, "organizations[1].usage.desktop"),
        ndjson("").expect(422, "body"),
        ndjson("[1]\n").expect(422, "line 1"),
        ndjson("{}\n").expect(422, "complete"),
        ndjson("{\"complete\":true,\"extra\":1}\n").expect(422, "extra"),
        ndjson("{\"complete\":true,\"complete\":false}\n").expect(422, "complete"),
        ndjson("{\"complete\":true}\n{\"id\":\"s1\",\"name\":\"A\",\"usage\":{}}\n{\"id\":\"s1\",\"name\":\"B\",\"usage\":{}}\n")
            .expect(422, "organizations[1].id"),
        ndjson("{\"complete\":true}\n{\"id\":\"s1\",\"name\":\"A\\u0000\",\"usage\":{}}\n").expect(422, "organizations[0].name"),
        ndjson("{\"complete\":true}\n{\"id\":\"s1\",\"name\":\"A\",\"usage\":{\"toaster\":1}}\n")
            .expect(422, "organizations[0].usage.toaster"),
        ndjson("").body_bytes(b"{\"complete\":true}\n{\"id\":\"s1\",\"name\":\"A\xff\xfe\",\"usage\":{}}\n".to_vec())
            .expect(400, "body"),
        Case::bare(G, "GET", at("2026-13-01")).auth(Auth::Module).expect(422, "date"),
        Case::bare(G, "GET", at("2026-11-30")).auth(Auth::Module).expect(404, ""),
        Case::bare(G, "GET", "/api/v1/modules/audit-suite/usage/2026-11-05").auth(Auth::Module).expect(403, ""),
        Case::bare(G, "GET", format!("{}/revisions", at("2026-11-05"))).auth(Auth::Module).expect(401, ""),
        Case::bare(G, "GET", format!("{}/revisions", at("2026-11-31"))).expect(422, "date"),
        Case::bare(G, "GET", "/api/v1/modules/%00/usage/2026-11-05/revisions").expect(422, "module"),
        Case::bare(G, "GET", "/api/v1/modules/%00/usage/2026-11-05").auth(Auth::Module).expect(403, ""),
        Case::json(G, "POST", DAY, &valid).auth(Auth::Module).expect(405, ""),
        Case::bare(G, "DELETE", DAY).auth(Auth::Module).expect(405, ""),
    ]
}

pub fn auth(w: &World, app: &TestApp) -> Vec<Case> {
    const A: &str = "auth";
    let companies = || Case::bare(A, "GET", "/api/v1/companies");
    let header = |h: String| companies().auth(Auth::Header(h)).expect(401, "");
    let valid_usage = one_org(r#"{"desktop":11}"#);
    vec![
        companies().auth(Auth::Nothing).expect(401, ""),
        header("Bearer".into()),
        header("Bearer ".into()),
        header("Basic YWRtaW46YWRtaW4=".into()),
        header("Bearer not-a-token".into()),
        header(format!("Bearer {}x", app.token)),
        header(format!("Bearer {}", &app.token[..app.token.len() - 1])),
        header(app.token.clone()),
        header(format!("Token {}", app.token)),
        header(format!("Bearer {}", long(8000))),
        header(format!("Bearer {}", w.revoked_token)),
        header(format!("Bearer {}", app.rmm_key)),
        Case::json(A, "POST", "/api/v1/companies", r#"{"name":"Module Corp"}"#)
            .auth(Auth::Module)
            .expect(401, ""),
        Case::json(A, "PATCH", "/api/v1/tenant", r#"{"name":"Taken"}"#)
            .auth(Auth::Module)
            .expect(401, ""),
        Case::json(A, "POST", "/api/v1/sync", "{}")
            .auth(Auth::Module)
            .expect(401, ""),
        Case::json(A, "PUT", DAY, &valid_usage).expect(401, ""),
        Case::bare(A, "GET", "/api/v1/modules/datto-rmm/usage/2026-11-05").expect(401, ""),
        Case::json(A, "PUT", DAY, &valid_usage)
            .auth(Auth::Nothing)
            .expect(401, ""),
        Case::json(A, "PUT", DAY, &valid_usage)
            .auth(Auth::Header(format!("Bearer {}", w.revoked_module_key)))
            .expect(401, ""),
        Case::json(A, "PUT", DAY, &valid_usage)
            .auth(Auth::OtherTenant)
            .expect(401, ""),
    ]
}

/// Tokens whose role is below what the route needs, and credentials of another tenant.
pub fn roles(w: &World) -> Vec<Case> {
    const A: &str = "auth";
    let acme = w.acme;
    let billing = |c: Case| c.auth(Auth::Billing).expect(403, "");
    let viewer = |c: Case| c.auth(Auth::Viewer).expect(403, "");
    vec![
        billing(Case::json(
            A,
            "PATCH",
            "/api/v1/tenant",
            r#"{"name":"Taken Over"}"#,
        )),
        billing(Case::json(
            A,
            "POST",
            "/api/v1/tax-rates",
            r#"{"name":"Sneaky","percent":"1"}"#,
        )),
        billing(Case::json(
            A,
            "PUT",
            "/api/v1/billing-start",
            r#"{"billing_start":"2026-11"}"#,
        )),
        billing(Case::bare(A, "GET", "/api/v1/module-keys")),
        billing(Case::bare(
            A,
            "DELETE",
            format!("/api/v1/module-keys/{}", w.module_key_id),
        )),
        billing(Case::bare(
            A,
            "DELETE",
            format!("/api/v1/api-tokens/{}", w.api_token_id),
        )),
        billing(Case::bare(A, "POST", "/api/v1/modules/datto-rmm/keys")),
        billing(Case::json(
            A,
            "PUT",
            "/api/v1/test-clock",
            r#"{"now":"2027-01-01T00:00:00Z","test_clock":true}"#,
        )),
        viewer(Case::json(
            A,
            "POST",
            "/api/v1/companies",
            r#"{"name":"Viewer Corp"}"#,
        )),
        viewer(Case::json(
            A,
            "PATCH",
            format!("/api/v1/companies/{acme}"),
            r#"{"name":"Renamed"}"#,
        )),
        viewer(Case::json(
            A,
            "POST",
            format!("/api/v1/documents/{}/payments", w.posted),
            r#"{"amount":"1.00"}"#,
        )),
        viewer(Case::json(A, "POST", "/api/v1/sync", "{}")),
        viewer(Case::json(
            A,
            "POST",
            "/api/v1/invoice-runs",
            r#"{"period":"2026-11"}"#,
        )),
        viewer(Case::json(
            A,
            "PUT",
            format!("/api/v1/insights/{}", w.insight_key),
            r#"{"status":"dismissed"}"#,
        )),
        viewer(Case::bare(
            A,
            "POST",
            format!("/api/v1/documents/{}/void", w.posted),
        )),
        Case::bare(
            A,
            "DELETE",
            format!("/api/v1/module-keys/{}", w.module_key_id),
        )
        .auth(Auth::OtherTenant)
        .expect(404, ""),
        Case::bare(
            A,
            "DELETE",
            format!("/api/v1/api-tokens/{}", w.api_token_id),
        )
        .auth(Auth::OtherTenant)
        .expect(404, ""),
        Case::bare(
            A,
            "DELETE",
            format!("/api/v1/module-keys/{}", w.other.module_key_id),
        )
        .expect(404, ""),
    ]
}
