//! Runs and posting, documents, payments, credits and one-offs.

use crate::case::{Auth, Case, js, long};
use crate::world::World;

pub fn runs(w: &World) -> Vec<Case> {
    const G: &str = "runs-posting";
    let run = |body: &str| Case::json(G, "POST", "/api/v1/invoice-runs", body);
    let post = |body: String| Case::json(G, "POST", "/api/v1/documents/post", &body);
    let start = |body: &str| Case::json(G, "PUT", "/api/v1/billing-start", body);
    vec![
        run(r#"{"period":"2026-13"}"#).expect(422, "period"),
        run(r#"{"period":"9999-12"}"#).expect(422, "period"),
        run(r#"{"period":"0000-01"}"#).expect(422, "period"),
        run(r#"{"period":"1899-12"}"#).expect(422, "period"),
        run(r#"{"period":"26-11"}"#).expect(422, "period"),
        run(r#"{"period":"2026-11-01"}"#).expect(422, "period"),
        run(r#"{"period":202611}"#).expect(422, "period"),
        run("{}").expect(422, "period"),
        run(r#"{"period":"2026-11","post":"yes"}"#).expect(422, "post"),
        run(r#"{"period":"2026-11","force":true}"#).expect(422, "force"),
        // Earlier drafts are open, and a later period has been run.
        run(r#"{"period":"2026-12"}"#).expect(409, ""),
        run(r#"{"period":"2026-10"}"#).expect(409, ""),
        run(r#"{"period":"2027-01","post":true}"#).expect(409, ""),
        post(format!(r#"{{"ids":[{}]}}"#, w.posted)).expect(409, ""),
        post(format!(r#"{{"ids":[{}]}}"#, w.void_note)).expect(409, ""),
        post(format!(r#"{{"ids":[{}]}}"#, w.voided)).expect(409, ""),
        post(format!(r#"{{"ids":[{},{}]}}"#, w.draft, w.posted)).expect(409, ""),
        post(format!(r#"{{"ids":[{},999999]}}"#, w.draft)).expect(404, ""),
        post(format!(r#"{{"ids":[{}]}}"#, w.other.document)).expect(404, ""),
        post(format!(r#"{{"ids":[{}]}}"#, w.draft))
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        post(r#"{"ids":["abc"]}"#.into()).expect(422, "ids[0]"),
        post(r#"{"ids":"1"}"#.into()).expect(422, "ids"),
        post(r#"{"ids":[1.5]}"#.into()).expect(422, "ids[0]"),
        post("{}".into()).expect(422, "ids"),
        start(r#"{"billing_start":"2026-13"}"#).expect(422, "billing_start"),
        start(r#"{"billing_start":"9999-12"}"#).expect(422, "billing_start"),
        start(r#"{"billing_start":"2026-09"}"#).expect(409, ""),
        start("{}").expect(422, "billing_start"),
    ]
}

pub fn documents(w: &World) -> Vec<Case> {
    const G: &str = "documents";
    let get = |path: String| Case::bare(G, "GET", path);
    let void = |id: String| Case::bare(G, "POST", format!("/api/v1/documents/{id}/void"));
    let explain =
        |id: String, line: &str| get(format!("/api/v1/documents/{id}/lines/{line}/explain"));
    vec![
        get("/api/v1/documents?period=2026-13".into()).expect(400, "period"),
        get("/api/v1/documents?period=9999-12".into()).expect(400, "period"),
        get("/api/v1/documents?period=2026-1".into()).expect(400, "period"),
        get("/api/v1/documents?company_id=abc".into()).expect(400, "company_id"),
        get("/api/v1/documents?company_id=1e3".into()).expect(400, "company_id"),
        get("/api/v1/documents?company_id=99999999999999999999".into()).expect(400, "company_id"),
        get("/api/v1/documents/999999".into()).expect(404, ""),
        get("/api/v1/documents/-1".into()).expect(404, ""),
        get("/api/v1/documents/INV-99999".into()).expect(404, ""),
        get("/api/v1/documents/%00".into()).expect(404, ""),
        get(format!("/api/v1/documents/{}", long(1001))).expect(404, ""),
        get(format!("/api/v1/documents/{}", w.other.document)).expect(404, ""),
        get(format!("/api/v1/documents/{}", w.posted))
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        get(format!("/api/v1/documents/{}", w.posted_number))
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        explain("abc".into(), "1").expect(400, "id"),
        explain(w.posted.to_string(), "abc").expect(400, "line"),
        explain(w.posted.to_string(), "9999").expect(404, ""),
        explain(w.other.document.to_string(), "1").expect(404, ""),
        void(w.draft.to_string()).expect(409, ""),
        void(w.voided.to_string()).expect(409, ""),
        void(w.void_note.to_string()).expect(409, ""),
        void(w.goodwill_note.to_string()).expect(409, ""),
        void("999999".into()).expect(404, ""),
        void(w.other.document.to_string()).expect(404, ""),
        void(w.posted.to_string())
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        void("abc".into()).expect(400, "id"),
        void("99999999999999999999".into()).expect(400, "id"),
        Case::bare(G, "DELETE", format!("/api/v1/documents/{}", w.draft)).expect(405, ""),
        Case::json(
            G,
            "PATCH",
            format!("/api/v1/documents/{}", w.posted),
            r#"{"total":"0.00"}"#,
        )
        .expect(405, ""),
    ]
}

pub fn payments(w: &World) -> Vec<Case> {
    const G: &str = "payments";
    let pay_to = |id: String, body: &str| {
        Case::json(G, "POST", format!("/api/v1/documents/{id}/payments"), body)
    };
    let pay = |body: &str| pay_to(w.posted.to_string(), body);
    let amount = |a: &str| pay(&format!(r#"{{"amount":{}}}"#, js(a)));
    vec![
        amount("10.001").expect(422, "amount"),
        amount("-5.00").expect(422, "amount"),
        amount("0").expect(422, "amount"),
        amount("0.00").expect(422, "amount"),
        amount("1e3").expect(422, "amount"),
        amount("abc").expect(422, "amount"),
        amount("").expect(422, "amount"),
        amount("1,000.00").expect(422, "amount"),
        amount("99999999999999999999999999").expect(422, "amount"),
        amount("NaN").expect(422, "amount"),
        pay(r#"{"amount":10}"#).expect(422, "amount"),
        pay(r#"{"amount":null}"#).expect(422, "amount"),
        pay("{}").expect(422, "amount"),
        pay(r#"{"amount":"1.00","currency":"EUR"}"#).expect(422, "currency"),
        pay(r#"{"amount":"1.00","amount":"2.00"}"#).expect(422, "amount"),
        pay(r#"{"amount":"1.00","paid_on":"2026-13-01"}"#).expect(422, "paid_on"),
        pay(r#"{"amount":"1.00","paid_on":"0000-01-01"}"#).expect(422, "paid_on"),
        pay(r#"{"amount":"1.00","paid_on":"9999-12-31"}"#).expect(422, "paid_on"),
        pay(r#"{"amount":"1.00","paid_on":"yesterday"}"#).expect(422, "paid_on"),
        pay(&format!(
            r#"{{"amount":"1.00","method":{}}}"#,
            js(&long(1001))
        ))
        .expect(422, "method"),
        pay(r#"{"amount":"1.00","reference":"R\u0000"}"#).expect(422, "reference"),
        pay_to(w.draft.to_string(), r#"{"amount":"1.00"}"#).expect(409, ""),
        pay_to(w.void_note.to_string(), r#"{"amount":"1.00"}"#).expect(409, ""),
        pay_to(w.goodwill_note.to_string(), r#"{"amount":"1.00"}"#).expect(409, ""),
        pay_to(w.other.document.to_string(), r#"{"amount":"1.00"}"#).expect(404, ""),
        pay_to("999999".into(), r#"{"amount":"1.00"}"#).expect(404, ""),
        pay_to("abc".into(), r#"{"amount":"1.00"}"#).expect(400, "id"),
        pay(r#"{"amount":"1.00"}"#)
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        Case::bare(G, "GET", "/api/v1/payments?company_id=abc").expect(400, "company_id"),
    ]
}

pub fn credits(w: &World) -> Vec<Case> {
    const G: &str = "credits";
    let apply_to = |id: String, body: &str| {
        Case::json(
            G,
            "POST",
            format!("/api/v1/documents/{id}/apply-credit"),
            body,
        )
    };
    let apply = |body: &str| apply_to(w.posted.to_string(), body);
    let goodwill = |body: String| Case::json(G, "POST", "/api/v1/credit-notes/goodwill", &body);
    let acme = w.acme;
    let line = |l: &str| goodwill(format!(r#"{{"company_id":{acme},"lines":[{l}]}}"#));
    let amount = |a: &str| line(&format!(r#"{{"description":"Sorry","amount":{}}}"#, js(a)));
    vec![
        // Acme's credit balance is its goodwill note (5.20); the invoice has more open.
        apply(r#"{"amount":"100.00"}"#).expect(422, "amount"),
        apply(&format!(r#"{{"amount":"{}"}}"#, w.posted_open)).expect(422, "amount"),
        apply(r#"{"amount":"-1.00"}"#).expect(422, "amount"),
        apply(r#"{"amount":"0"}"#).expect(422, "amount"),
        apply(r#"{"amount":"0.001"}"#).expect(422, "amount"),
        apply(r#"{"amount":"abc"}"#).expect(422, "amount"),
        apply(r#"{"amount":"1e2"}"#).expect(422, "amount"),
        apply(r#"{"amount":1}"#).expect(422, "amount"),
        apply(r#"{"amount":"1.00","from":"globex"}"#).expect(422, "from"),
        apply_to(w.draft.to_string(), "{}").expect(409, ""),
        apply_to(w.voided.to_string(), "{}").expect(409, ""),
        apply_to(w.void_note.to_string(), "{}").expect(409, ""),
        apply_to(w.other.document.to_string(), "{}").expect(404, ""),
        apply("{}").auth(Auth::OtherTenant).expect(404, ""),
        goodwill(format!(r#"{{"company_id":{acme},"lines":[]}}"#)).expect(422, "lines"),
        goodwill(format!(r#"{{"company_id":{acme}}}"#)).expect(422, "lines"),
        goodwill(format!(r#"{{"company_id":{acme},"lines":{{}}}}"#)).expect(422, "lines"),
        amount("-5.00").expect(422, "lines[0].amount"),
        amount("0").expect(422, "lines[0].amount"),
        amount("5.001").expect(422, "lines[0].amount"),
        amount("1e3").expect(422, "lines[0].amount"),
        amount("99999999999999999999999").expect(422, "lines[0].amount"),
        line(r#"{"description":"","amount":"5.00"}"#).expect(422, "lines[0].description"),
        line(r#"{"description":"So\u0000rry","amount":"5.00"}"#).expect(422, "lines[0].description"),
        line(&format!(r#"{{"description":{},"amount":"5.00"}}"#, js(&long(1001)))).expect(422, "lines[0].description"),
        line(r#"{"description":"Sorry","amount":"5.00","extra":1}"#).expect(422, "lines[0].extra"),
        line(r#"{"description":"Sorry"}"#).expect(422, "lines[0].amount"),
        goodwill(r#"{"company_id":999999,"lines":[{"description":"Sorry","amount":"5.00"}]}"#.into()).expect(422, "company_id"),
        goodwill(format!(r#"{{"company_id":{},"lines":[{{"description":"Sorry","amount":"5.00"}}]}}"#, w.other.company)).expect(422, "company_id"),
        goodwill(format!(r#"{{"company_id":{acme},"period":"2026-13","lines":[{{"description":"Sorry","amount":"5.00"}}]}}"#)).expect(422, "period"),
        goodwill(format!(r#"{{"company_id":{acme},"period":"9999-12","lines":[{{"description":"Sorry","amount":"5.00"}}]}}"#)).expect(422, "period"),
    ]
}

pub fn one_offs(w: &World) -> Vec<Case> {
    const G: &str = "one-offs";
    let acme = w.acme;
    let one = |fields: &str| {
        Case::json(
            G,
            "POST",
            "/api/v1/one-offs",
            &format!(
                r#"{{"company_id":{acme},"period":"2026-12","description":"Hours","quantity":"1","unit_price":"95.00"{fields}}}"#
            ),
        )
    };
    let raw = |body: String| Case::json(G, "POST", "/api/v1/one-offs", &body);
    vec![
        raw(format!(r#"{{"company_id":{acme},"period":"2026-10","description":"Late","quantity":"1","unit_price":"1.00"}}"#)).expect(409, ""),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-13","description":"x","quantity":"1","unit_price":"1.00"}}"#)).expect(422, "period"),
        raw(format!(r#"{{"company_id":{acme},"period":"9999-12","description":"x","quantity":"1","unit_price":"1.00"}}"#)).expect(422, "period"),
        raw(r#"{"company_id":999999,"period":"2026-12","description":"x","quantity":"1","unit_price":"1.00"}"#.into()).expect(422, "company_id"),
        raw(format!(r#"{{"company_id":{},"period":"2026-12","description":"x","quantity":"1","unit_price":"1.00"}}"#, w.other.company)).expect(422, "company_id"),
        raw(format!(r#"{{"company_id":"{acme}","period":"2026-12","description":"x","quantity":"1","unit_price":"1.00"}}"#)).expect(422, "company_id"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":"","quantity":"1","unit_price":"1.00"}}"#)).expect(422, "description"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":{},"quantity":"1","unit_price":"1.00"}}"#, js(&long(100_000)))).expect(422, "description"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":"H\u0000","quantity":"1","unit_price":"1.00"}}"#)).expect(422, "description"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":"x","quantity":"abc","unit_price":"1.00"}}"#)).expect(422, "quantity"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":"x","quantity":"1e3","unit_price":"1.00"}}"#)).expect(422, "quantity"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":"x","quantity":1,"unit_price":"1.00"}}"#)).expect(422, "quantity"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":"x","quantity":"1","unit_price":"1.00000000001"}}"#)).expect(422, "unit_price"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":"x","quantity":"1","unit_price":"12345678901234567890"}}"#)).expect(422, "unit_price"),
        raw(format!(r#"{{"company_id":{acme},"period":"2026-12","description":"x","quantity":"1"}}"#)).expect(422, "unit_price"),
        one(r#","taxable":"no""#).expect(422, "taxable"),
        one(r#","discount":"10%""#).expect(422, "discount"),
        one("").auth(Auth::OtherTenant).expect(422, "company_id"),
    ]
}
