//! Tenant settings, modules and keys, sync, insights, exports, and the edge itself (unknown
//! routes, methods, content types).

use crate::case::{Auth, Case, js, long};
use crate::world::World;

pub fn tenant(w: &World) -> Vec<Case> {
    const G: &str = "tenant";
    let patch = |body: &str| Case::json(G, "PATCH", "/api/v1/tenant", body);
    let connect = |module: &str, body: &str| {
        Case::json(G, "POST", format!("/api/v1/modules/{module}/keys"), body)
    };
    let clock = |body: &str| Case::json(G, "PUT", "/api/v1/test-clock", body);
    let _ = w;
    vec![
        patch(r#"{"time_zone":"Mars/Olympus"}"#).expect(422, "time_zone"),
        patch(r#"{"time_zone":""}"#).expect(422, "time_zone"),
        patch(r#"{"sync_hour":24}"#).expect(422, "sync_hour"),
        patch(r#"{"sync_hour":-1}"#).expect(422, "sync_hour"),
        patch(r#"{"sync_hour":"1"}"#).expect(422, "sync_hour"),
        patch(r#"{"lookback_periods":-1}"#).expect(422, "lookback_periods"),
        patch(r#"{"lookback_periods":1000000}"#).expect(422, "lookback_periods"),
        patch(r#"{"retention_days":-1}"#).expect(422, "retention_days"),
        patch(r#"{"activity_retention_days":-5}"#).expect(422, "activity_retention_days"),
        patch(r#"{"invoice_number_format":"INV-{seq:99}"}"#).expect(422, "invoice_number_format"),
        patch(r#"{"invoice_number_format":"INV"}"#).expect(422, "invoice_number_format"),
        patch(r#"{"invoice_number_format":"{seq}{seq}"}"#).expect(422, "invoice_number_format"),
        patch(r#"{"credit_note_number_format":"CN-{id}-{seq}"}"#)
            .expect(422, "credit_note_number_format"),
        patch(r#"{"credit_note_number_format":"CN\u0000{seq}"}"#)
            .expect(422, "credit_note_number_format"),
        patch(r#"{"name":""}"#).expect(422, "name"),
        patch(r#"{"name":"Acme\u0000MSP"}"#).expect(422, "name"),
        patch(&format!(r#"{{"name":{}}}"#, js(&long(1001)))).expect(422, "name"),
        patch(r#"{"currency":"EUR"}"#).expect(422, "currency"),
        patch(r#"{"sync_hour":2,"sync_hour":3}"#).expect(422, "sync_hour"),
        patch(r#"{"name":"x"}"#)
            .content_type(None)
            .expect(415, "Content-Type"),
        connect("no-such-module", "{}").expect(422, "module"),
        connect("%00", r#"{"name":"Nul"}"#).expect(422, "module"),
        connect("Bad Code!", "{}").expect(422, "module"),
        connect("my-psa", r#"{"name":"PSA\u0000"}"#).expect(422, "name"),
        connect("my-psa", r#"{"name":"PSA","secret":"mine"}"#).expect(422, "secret"),
        clock(r#"{"now":"yesterday","test_clock":true}"#).expect(422, "now"),
        clock(r#"{"test_clock":true}"#).expect(422, "now"),
        Case::bare(G, "DELETE", "/api/v1/module-keys/abc").expect(400, "id"),
        Case::bare(G, "DELETE", "/api/v1/module-keys/999999").expect(404, ""),
        Case::bare(G, "DELETE", "/api/v1/api-tokens/abc").expect(400, "id"),
        Case::bare(G, "DELETE", "/api/v1/api-tokens/999999").expect(404, ""),
    ]
}

pub fn sync(_w: &World) -> Vec<Case> {
    const G: &str = "sync";
    let sync = |body: &str| Case::json(G, "POST", "/api/v1/sync", body);
    let get = |path: &str| Case::bare(G, "GET", path);
    // A `through` past yesterday is not refused: the sync stops at yesterday and says so
    // (docs/decisions.md); a date out of range is.
    vec![
        sync(r#"{"through":"2026-13-01"}"#).expect(422, "through"),
        sync(r#"{"through":"9999-12-31"}"#).expect(422, "through"),
        sync(r#"{"through":20261201}"#).expect(422, "through"),
        sync(r#"{"from":"2026-11-20","through":"2026-11-10"}"#).expect(422, "from"),
        sync(r#"{"from":"0000-01-01"}"#).expect(422, "from"),
        sync(r#"{"from":"abc"}"#).expect(422, "from"),
        sync(r#"{"from":"2026-11-01","until":"2026-11-30"}"#).expect(422, "until"),
        sync(r#"{"from":"2026-11-01","from":"2026-11-02"}"#).expect(422, "from"),
        sync(r#"{"through":"2026-11-30"}"#)
            .content_type(Some("text/plain"))
            .expect(415, "Content-Type"),
        get("/api/v1/unit-history?from=2026-11-01").expect(400, "to"),
        get("/api/v1/unit-history?from=2026-13-01&to=2026-11-30").expect(422, "from"),
        get("/api/v1/unit-history?from=2026-11-01&to=2026-11-30&contract_service_id=abc")
            .expect(400, "contract_service_id"),
        get("/api/v1/unit-sources?from=2026-11-01&to=2026-11-30")
            .expect(422, "contract_service_id"),
        get("/api/v1/activity?from=x&to=2026-11-30").expect(422, "from"),
        get("/api/v1/activity?from=2026-11-01&to=2026-11-30&failed_only=maybe")
            .expect(400, "failed_only"),
    ]
}

pub fn insights(w: &World) -> Vec<Case> {
    const G: &str = "insights";
    let set = |key: &str, body: &str| Case::json(G, "PUT", format!("/api/v1/insights/{key}"), body);
    let key = w.insight_key.as_str();
    vec![
        set("no-such-insight", r#"{"status":"dismissed"}"#).expect(404, ""),
        set("%00", r#"{"status":"dismissed"}"#).expect(404, ""),
        set(&long(1001), r#"{"status":"dismissed"}"#).expect(404, ""),
        set(key, r#"{"status":"deleted"}"#).expect(422, "status"),
        set(key, r#"{"status":1}"#).expect(422, "status"),
        set(key, "{}").expect(422, "status"),
        set(key, r#"{"status":"dismissed","until":"2027-01-01"}"#).expect(422, "until"),
        set(key, r#"{"status":"dismissed","status":"open"}"#).expect(422, "status"),
        set(key, r#"{"status":"dismissed"}"#)
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        Case::bare(G, "GET", "/api/v1/insights?all=maybe").expect(400, "all"),
    ]
}

pub fn exports(w: &World) -> Vec<Case> {
    const G: &str = "exports";
    let get = |path: String| Case::bare(G, "GET", path);
    vec![
        get("/api/v1/exports/2026-13/quickbooks".into()).expect(422, "period"),
        get("/api/v1/exports/9999-12/xero".into()).expect(422, "period"),
        get("/api/v1/exports/0000-01/journal".into()).expect(422, "period"),
        get("/api/v1/exports/2026-13/pdf".into()).expect(422, "period"),
        get("/api/v1/exports/2026-10/docx".into()).expect(422, "format"),
        get("/api/v1/exports/all/docx".into()).expect(422, "format"),
        get("/api/v1/exports/2026-10/quickbooks?part=0".into()).expect(400, "part"),
        get("/api/v1/exports/2026-10/quickbooks?part=99".into()).expect(404, "part"),
        get("/api/v1/exports/2026-10/quickbooks?part=abc".into()).expect(400, "part"),
        get("/api/v1/exports/2026-10/quickbooks?part=-1".into()).expect(400, "part"),
        get("/api/v1/documents/999999/pdf".into()).expect(404, ""),
        get(format!("/api/v1/documents/{}/pdf", w.other.document)).expect(404, ""),
        get(format!("/api/v1/documents/{}/pdf", w.posted))
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        get(format!("/api/v1/documents/{}/ubl", w.posted_number))
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        get(format!("/api/v1/documents/{}/ubl", w.draft)).expect(409, ""),
        get("/api/v1/documents/INV-99999/ubl".into()).expect(404, ""),
        get("/api/v1/documents/%00/pdf".into()).expect(404, ""),
        get("/api/v1/documents/-1/ubl".into()).expect(404, ""),
        get(format!("/api/v1/documents/{}/pdf", w.posted))
            .auth(Auth::Module)
            .expect(401, ""),
    ]
}

pub fn edge(w: &World) -> Vec<Case> {
    const G: &str = "edge";
    vec![
        Case::bare(G, "GET", "/api/v1/no-such-route").expect(404, ""),
        Case::bare(G, "GET", "/api/v2/companies").expect(404, ""),
        Case::json(G, "POST", "/api/v1/no-such-route", "{}").expect(404, ""),
        Case::bare(G, "DELETE", "/api/v1/companies").expect(405, ""),
        Case::bare(G, "PUT", "/api/v1/documents").expect(405, ""),
        Case::bare(G, "PATCH", "/api/v1/sync").expect(405, ""),
        Case::bare(G, "DELETE", "/api/v1/tenant").expect(405, ""),
        Case::json(G, "PATCH", "/api/v1/tenant", "<name>x</name>")
            .content_type(Some("application/xml"))
            .expect(415, "Content-Type"),
        Case::json(G, "POST", "/api/v1/invoice-runs", "period=2026-11")
            .content_type(Some("application/x-www-form-urlencoded"))
            .expect(415, "Content-Type"),
        Case::json(
            G,
            "POST",
            format!("/api/v1/documents/{}/payments", w.posted),
            r#"{"amount":"1.00"}"#,
        )
        .content_type(None)
        .expect(415, "Content-Type"),
        Case::json(G, "POST", "/api/v1/one-offs", "").expect(400, "body"),
        Case::json(G, "POST", "/api/v1/documents/post", "{\"ids\":[1]").expect(400, "body"),
    ]
}
