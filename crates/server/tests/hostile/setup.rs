//! Companies, tax rates, services, the CSV import, contracts, contract services and mappings.

use crate::case::{Auth, Case, js, long};
use crate::world::World;

pub fn companies(w: &World) -> Vec<Case> {
    const G: &str = "companies";
    let create = |body: &str| Case::json(G, "POST", "/api/v1/companies", body);
    let patch =
        |id: String, body: &str| Case::json(G, "PATCH", format!("/api/v1/companies/{id}"), body);
    let acme = || w.acme.to_string();
    vec![
        create(r#"{"name":"#).expect(400, "body"),
        create(r#"{"name":"Globex Two"} trailing"#).expect(400, "body"),
        create("\u{feff}{\"name\":\"Bom Corp\"}").expect(400, "body"),
        create(r#"{"name":"\ud800"}"#).expect(400, "body"),
        create("")
            .body_bytes(b"{\"name\":\"Bad \xff\"}".to_vec())
            .expect(400, "body"),
        create(&format!("{}{}", "[".repeat(300), "]".repeat(300))).expect(400, "body"),
        create(r#"{"name":"Globex Two"}"#)
            .content_type(None)
            .expect(415, "Content-Type"),
        create(r#"{"name":"Globex Two"}"#)
            .content_type(Some("text/plain"))
            .expect(415, "Content-Type"),
        create(r#"{"name":"Globex Two"}"#)
            .content_type(Some("application/jsonp"))
            .expect(415, "Content-Type"),
        create(r#"{"name":"Globex Two"}"#)
            .content_type(Some("multipart/form-data; boundary=x"))
            .expect(415, "Content-Type"),
        create(&format!(r#"{{"name":{}}}"#, js(&long(3 * 1024 * 1024)))).expect(413, "body"),
        create(r#"{"name":"Globex Two","colour":"red"}"#).expect(422, "colour"),
        create(r#"{"name":5}"#).expect(422, "name"),
        create("{}").expect(422, "name"),
        create(r#"{"name":""}"#).expect(422, "name"),
        create(r#"{"name":"   "}"#).expect(422, "name"),
        create(r#"["Globex Two"]"#).expect(422, "body"),
        create(r#""Globex Two""#).expect(422, "body"),
        create(&format!(r#"{{"name":{}}}"#, js(&long(1001)))).expect(422, "name"),
        create(&format!(r#"{{"name":{}}}"#, js(&long(100_000)))).expect(422, "name"),
        create(r#"{"name":"Ac\u0000me"}"#).expect(422, "name"),
        create(r#"{"name":"Ac\u0007me"}"#).expect(422, "name"),
        create(r#"{"name":"Globex Two","name":"Initech"}"#).expect(422, "name"),
        create(r#"{"name":"Globex Two","currency":"XYZ"}"#).expect(422, "currency"),
        create(r#"{"name":"Globex Two","currency":"US"}"#).expect(422, "currency"),
        create(r#"{"name":"Globex Two","tax_rates":["nope"]}"#).expect(422, "tax_rates"),
        create(r#"{"name":"Globex Two","tax_rates":"NY State"}"#).expect(422, "tax_rates"),
        create(r#"{"name":"Globex Two","payment_terms_days":-1}"#)
            .expect(422, "payment_terms_days"),
        create(r#"{"name":"Globex Two","payment_terms_days":1000000}"#)
            .expect(422, "payment_terms_days"),
        create(r#"{"name":"Globex Two","payment_terms_days":"soon"}"#)
            .expect(422, "payment_terms_days"),
        create(r#"{"name":"Globex Two","payment_terms_days":1.5}"#)
            .expect(422, "payment_terms_days"),
        create(r#"{"name":"Globex Two","payment_terms_days":1e3}"#)
            .expect(422, "payment_terms_days"),
        create(r#"{"name":"Globex Two","payment_terms_days":99999999999999999999}"#)
            .expect(422, "payment_terms_days"),
        create(r#"{"name":"Globex Two","bill_to":999999}"#).expect(422, "bill_to"),
        create(&format!(r#"{{"name":"Globex Two","bill_to":{}}}"#, w.labs)).expect(422, "bill_to"),
        create(&format!(
            r#"{{"name":"Globex Two","bill_to":{}}}"#,
            w.other.company
        ))
        .expect(422, "bill_to"),
        create(&format!(
            r#"{{"name":"Globex Two","bill_to":{},"currency":"EUR"}}"#,
            w.acme
        ))
        .expect(422, "bill_to"),
        create(r#"{"name":"Globex Two","status":"zombie"}"#).expect(422, "status"),
        create(r#"{"name":"Globex Two","external_ref":"x\u0000"}"#).expect(422, "external_ref"),
        create(r#"{"name":"Acme Corporation"}"#).expect(409, ""),
        patch("abc".into(), r#"{"name":"x"}"#).expect(400, "id"),
        patch("-1".into(), r#"{"name":"x"}"#).expect(404, ""),
        patch("0".into(), r#"{"name":"x"}"#).expect(404, ""),
        patch("99999999999999999999".into(), r#"{"name":"x"}"#).expect(400, "id"),
        patch("1e3".into(), r#"{"name":"x"}"#).expect(400, "id"),
        patch("1.0".into(), r#"{"name":"x"}"#).expect(400, "id"),
        patch(w.other.company.to_string(), r#"{"name":"Stolen"}"#).expect(404, ""),
        patch(acme(), r#"{"name":"Stolen"}"#)
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        patch(acme(), r#"{"name":"Globex"}"#).expect(409, ""),
        patch(acme(), &format!(r#"{{"bill_to":{}}}"#, w.acme)).expect(422, "bill_to"),
        patch(acme(), &format!(r#"{{"bill_to":{}}}"#, w.labs)).expect(422, "bill_to"),
        patch(acme(), r#"{"payment_terms_days":"soon"}"#).expect(422, "payment_terms_days"),
        patch(acme(), r#"{"tax_rates":[1]}"#).expect(422, "tax_rates[0]"),
        patch(acme(), r#"{"name":"Renamed","nmae":"x"}"#).expect(422, "nmae"),
        Case::bare(G, "DELETE", format!("/api/v1/companies/{}", w.acme)).expect(405, ""),
        Case::json(
            G,
            "PUT",
            format!("/api/v1/companies/{}", w.acme),
            r#"{"name":"x"}"#,
        )
        .expect(405, ""),
    ]
}

/// Tax rates and catalog services.
pub fn catalog(_w: &World) -> Vec<Case> {
    const G: &str = "tax-rates-services";
    vec![
        Case::json(
            G,
            "POST",
            "/api/v1/tax-rates",
            r#"{"name":"Bad","percent":"140"}"#,
        )
        .expect(422, "percent"),
        Case::json(
            G,
            "POST",
            "/api/v1/tax-rates",
            r#"{"name":"Bad","percent":"-1"}"#,
        )
        .expect(422, "percent"),
        Case::json(
            G,
            "POST",
            "/api/v1/tax-rates",
            r#"{"name":"Bad","percent":"abc"}"#,
        )
        .expect(422, "percent"),
        Case::json(
            G,
            "POST",
            "/api/v1/tax-rates",
            r#"{"name":"Bad","percent":4}"#,
        )
        .expect(422, "percent"),
        Case::json(G, "POST", "/api/v1/tax-rates", r#"{"name":"Bad"}"#).expect(422, "percent"),
        Case::json(
            G,
            "POST",
            "/api/v1/tax-rates",
            r#"{"name":"","percent":"4"}"#,
        )
        .expect(422, "name"),
        Case::json(
            G,
            "POST",
            "/api/v1/tax-rates",
            r#"{"name":"Bad\u0000","percent":"4"}"#,
        )
        .expect(422, "name"),
        Case::json(
            G,
            "POST",
            "/api/v1/services",
            r#"{"name":"Svc","unit_price":"4.5.0"}"#,
        )
        .expect(422, "unit_price"),
        Case::json(
            G,
            "POST",
            "/api/v1/services",
            r#"{"name":"Svc","unit_price":"1e3"}"#,
        )
        .expect(422, "unit_price"),
        Case::json(
            G,
            "POST",
            "/api/v1/services",
            r#"{"name":"Svc","unit_price":"0.00000000001"}"#,
        )
        .expect(422, "unit_price"),
        Case::json(
            G,
            "POST",
            "/api/v1/services",
            r#"{"name":"Svc","unit_price":"12345678901234567890"}"#,
        )
        .expect(422, "unit_price"),
        Case::json(
            G,
            "POST",
            "/api/v1/services",
            r#"{"name":"Svc","unit_price":"4.50","unit_cost":"abc"}"#,
        )
        .expect(422, "unit_cost"),
        Case::json(
            G,
            "POST",
            "/api/v1/services",
            r#"{"name":"Svc","unit_price":"4.50","taxable":"yes"}"#,
        )
        .expect(422, "taxable"),
        Case::json(G, "POST", "/api/v1/services", r#"{"unit_price":"4.50"}"#).expect(422, "name"),
        Case::json(
            G,
            "POST",
            "/api/v1/services",
            r#"{"name":"Backup","unit_price":"4.50"}"#,
        )
        .expect(409, ""),
        Case::json(
            G,
            "POST",
            "/api/v1/services",
            &format!(
                r#"{{"name":"Svc","unit_price":"4.50","description":{}}}"#,
                js(&long(1001))
            ),
        )
        .expect(422, "description"),
    ]
}

pub fn import(_w: &World) -> Vec<Case> {
    const G: &str = "csv-import";
    let csv = |body: &str| {
        Case::json(G, "POST", "/api/v1/companies/import", body).content_type(Some("text/csv"))
    };
    let header = "name,status,currency,tax_rates,payment_terms_days,bill_to,external_ref\n";
    let with = |rows: &str| csv(&format!("{header}{rows}"));
    vec![
        with("Wayne Enterprises,active,USD,,30,,\nBad Currency,active,XYZ,,30,,\n")
            .expect(422, "*"),
        with("Wayne Enterprises,active,USD,,30,No Such Parent,\n").expect(422, "*"),
        with("Wayne Enterprises,active,USD,,-5,,\n").expect(422, "*"),
        with("Wayne Enterprises,active,USD,nope,30,,\n").expect(422, "*"),
        with(&format!("{},active,USD,,30,,\n", long(1001))).expect(422, "*"),
        with("Wayne\u{0}Enterprises,active,USD,,30,,\n").expect(422, "*"),
        with(",active,USD,,30,,\n").expect(422, "*"),
        with("Wayne Enterprises,zombie,USD,,30,,\n").expect(422, "*"),
        with("Wayne Enterprises,active,USD,,30,,\nWayne Enterprises,active,USD,,30,,\n")
            .expect(422, "*"),
        csv("")
            .body_bytes(format!("{header}Wayne \u{0}\n").into_bytes())
            .expect(422, "*"),
        csv("")
            .body_bytes(b"name\nWayne \xff\xfe Enterprises\n".to_vec())
            .expect(400, "body"),
        csv("colour\nred\n").expect(422, "*"),
        csv("Wayne Enterprises,active,USD\n").expect(422, "*"),
        Case::json(
            G,
            "POST",
            "/api/v1/companies/import?dry_run=maybe",
            "name\nWayne Enterprises\n",
        )
        .content_type(Some("text/csv"))
        .expect(400, "dry_run"),
        csv("name\nWayne Enterprises\n")
            .auth(Auth::Viewer)
            .expect(403, ""),
        csv("name\nWayne Enterprises\n")
            .auth(Auth::Module)
            .expect(401, ""),
    ]
}

pub fn contracts(w: &World) -> Vec<Case> {
    const G: &str = "contracts";
    let create = |body: String| Case::json(G, "POST", "/api/v1/contracts", &body);
    let acme = w.acme;
    let start = |date: &str| create(format!(r#"{{"company_id":{acme},"start_date":"{date}"}}"#));
    let patch =
        |id: String, body: &str| Case::json(G, "PATCH", format!("/api/v1/contracts/{id}"), body);
    let mine = || w.acme_contract.to_string();
    vec![
        create(r#"{"start_date":"2026-11-01"}"#.into()).expect(422, "company_id"),
        create(r#"{"company_id":999999,"start_date":"2026-11-01"}"#.into())
            .expect(422, "company_id"),
        create(format!(
            r#"{{"company_id":{},"start_date":"2026-11-01"}}"#,
            w.other.company
        ))
        .expect(422, "company_id"),
        create(format!(
            r#"{{"company_id":"{acme}","start_date":"2026-11-01"}}"#
        ))
        .expect(422, "company_id"),
        start("2026-13-01").expect(422, "start_date"),
        start("0000-01-01").expect(422, "start_date"),
        start("9999-12-31").expect(422, "start_date"),
        start("2026-11-1").expect(422, "start_date"),
        create(format!(r#"{{"company_id":{acme},"start_date":20261101}}"#))
            .expect(422, "start_date"),
        create(format!(
            r#"{{"company_id":{acme},"start_date":"2026-11-01","end_date":"2026-10-01"}}"#
        ))
        .expect(422, "end_date"),
        create(format!(
            r#"{{"company_id":{acme},"start_date":"2026-11-01","timing":"sometimes"}}"#
        ))
        .expect(422, "timing"),
        create(format!(
            r#"{{"company_id":{acme},"start_date":"2026-11-01","period":"yearly"}}"#
        ))
        .expect(422, "period"),
        create(format!(
            r#"{{"company_id":{acme},"start_date":"2026-11-01","price":"1"}}"#
        ))
        .expect(422, "price"),
        create(format!(
            r#"{{"company_id":{acme},"start_date":"2026-11-01","name":"M\u0000SA"}}"#
        ))
        .expect(422, "name"),
        create(format!(
            r#"{{"company_id":{acme},"start_date":"2026-11-01","purchase_order":{}}}"#,
            js(&long(1001))
        ))
        .expect(422, "purchase_order"),
        patch("abc".into(), r#"{"name":"x"}"#).expect(400, "id"),
        patch("99999999999999999999".into(), r#"{"name":"x"}"#).expect(400, "id"),
        patch("999999".into(), r#"{"name":"x"}"#).expect(404, ""),
        patch(w.other.contract.to_string(), r#"{"name":"Stolen"}"#).expect(404, ""),
        patch(mine(), r#"{"name":"Stolen"}"#)
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        patch(mine(), r#"{"timing":"advance"}"#).expect(422, "timing"),
        patch(mine(), r#"{"end_date":"2026-13-40"}"#).expect(422, "end_date"),
        patch(mine(), r#"{"end_date":"2026-09-30"}"#).expect(422, "end_date"),
        patch(mine(), r#"{"timing":"sometimes"}"#).expect(422, "timing"),
        patch(mine(), r#"{"name":"MSA","name":"Other"}"#).expect(422, "name"),
    ]
}

pub fn contract_services(w: &World) -> Vec<Case> {
    const G: &str = "contract-services";
    let add = |contract: String, body: &str| {
        Case::json(
            G,
            "POST",
            format!("/api/v1/contracts/{contract}/services"),
            body,
        )
    };
    let mine = || w.acme_contract.to_string();
    let svc = w.desktop_service;
    let change = |cs: String, body: &str| {
        Case::json(G, "PATCH", format!("/api/v1/contract-services/{cs}"), body)
    };
    let desktop = || w.cs_desktop.to_string();
    vec![
        add(mine(), r#"{"unit_price":"5.00"}"#).expect(422, "service_id"),
        add(mine(), r#"{"service_id":999999}"#).expect(422, "service_id"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"unit_price":"1.2.3"}}"#),
        )
        .expect(422, "unit_price"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"unit_price":"1e3"}}"#),
        )
        .expect(422, "unit_price"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"unit_price":"99999999999999"}}"#),
        )
        .expect(422, "unit_price"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"rule":"sometimes"}}"#),
        )
        .expect(422, "rule"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"fixed_units":"-1"}}"#),
        )
        .expect(422, "fixed_units"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"fixed_units":"abc"}}"#),
        )
        .expect(422, "fixed_units"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"effective_from":"2026-11-15"}}"#),
        )
        .expect(422, "effective_from"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"effective_from":"2026-13-01"}}"#),
        )
        .expect(422, "effective_from"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"description":"D\u0000"}}"#),
        )
        .expect(422, "description"),
        add(
            mine(),
            &format!(r#"{{"service_id":{svc},"unit_cost":"x"}}"#),
        )
        .expect(422, "unit_cost"),
        add(
            w.other.contract.to_string(),
            &format!(r#"{{"service_id":{svc}}}"#),
        )
        .expect(404, ""),
        add("abc".into(), &format!(r#"{{"service_id":{svc}}}"#)).expect(400, "id"),
        add(mine(), &format!(r#"{{"service_id":{svc}}}"#))
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        change(w.other.cs.to_string(), r#"{"unit_price":"1.00"}"#).expect(404, ""),
        change(desktop(), r#"{"unit_price":"1.00"}"#)
            .auth(Auth::OtherTenant)
            .expect(404, ""),
        change("abc".into(), r#"{"unit_price":"1.00"}"#).expect(400, "id"),
        change("-1".into(), r#"{"unit_price":"1.00"}"#).expect(404, ""),
        change(desktop(), r#"{"unit_price":5}"#).expect(422, "unit_price"),
        change(desktop(), r#"{"unit_price":"5.00000000001"}"#).expect(422, "unit_price"),
        change(desktop(), r#"{"rule":"peak","rule":"prorated"}"#).expect(422, "rule"),
        change(desktop(), r#"{"effective_from":"2026-11-02"}"#).expect(422, "effective_from"),
        change(
            desktop(),
            r#"{"effective_from":"9999-12-01","unit_price":"1.00"}"#,
        )
        .expect(422, "effective_from"),
        change(desktop(), r#"{"unit_cost":"-"}"#).expect(422, "unit_cost"),
        change(w.cs_backup.to_string(), r#"{"fixed_units":"1.2.3"}"#).expect(422, "fixed_units"),
    ]
}

pub fn mappings(w: &World) -> Vec<Case> {
    const G: &str = "mappings";
    let map = |body: String| Case::json(G, "POST", "/api/v1/org-mappings", &body);
    let s3 = |rest: &str| map(format!(r#"{{"module":"datto-rmm","org_id":"s3"{rest}}}"#));
    let acme = w.acme;
    let service = |contract: String, body: String| {
        Case::json(
            G,
            "POST",
            format!("/api/v1/contracts/{contract}/service-mappings"),
            &body,
        )
    };
    let mine = || w.acme_contract.to_string();
    let billing = |body: &str| Case::json(G, "PUT", "/api/v1/modules/datto-rmm/billing", body);
    vec![
        s3(r#","company_id":999999"#).expect(422, "company_id"),
        s3(&format!(r#","company_id":{}"#, w.other.company)).expect(422, "company_id"),
        s3(&format!(r#","company_id":"{acme}""#)).expect(422, "company_id"),
        s3(&format!(r#","company_id":{acme},"colour":"red""#)).expect(422, "colour"),
        s3(&format!(r#","company_id":{acme},"company_id":{}"#, w.globex)).expect(422, "company_id"),
        s3(r#","state":"maybe""#).expect(422, "state"),
        s3(r#","state":"mapped""#).expect(422, "company_id"),
        s3(&format!(r#","company_id":{acme},"effective_from":"2026-13-01""#)).expect(422, "effective_from"),
        s3(&format!(r#","company_id":{acme},"effective_from":"0000-01-01""#)).expect(422, "effective_from"),
        map(format!(r#"{{"module":"no-such-module","org_id":"s3","company_id":{acme}}}"#)).expect(422, "module"),
        map(format!(r#"{{"module":"datto-rmm","org_id":"nope","company_id":{acme}}}"#)).expect(422, "org_id"),
        map(format!(r#"{{"module":"datto-rmm","org_id":"s\u0000","company_id":{acme}}}"#)).expect(422, "org_id"),
        map(format!(r#"[{{"module":"datto-rmm","org_id":"s3","company_id":{acme}}},{{"module":"datto-rmm","org_id":"s3","company_id":999999}}]"#))
            .expect(422, "[1].company_id"),
        map(format!(r#"[{{"module":"datto-rmm","org_id":"s3","company_id":{acme}}},{{"module":"datto-rmm","org_id":"s3","colour":1}}]"#))
            .expect(422, "[1].colour"),
        map("42".into()).expect(422, "body"),
        service(mine(), format!(r#"{{"module":"datto-rmm","billing_type":"server","contract_service_id":{}}}"#, w.other.cs)).expect(422, "contract_service_id"),
        service(mine(), r#"{"module":"datto-rmm","billing_type":"server","contract_service_id":999999}"#.into()).expect(422, "contract_service_id"),
        service(mine(), format!(r#"{{"module":"datto-rmm","billing_type":"toaster","contract_service_id":{}}}"#, w.cs_desktop)).expect(422, "billing_type"),
        service(mine(), format!(r#"{{"module":"no-such-module","billing_type":"server","contract_service_id":{}}}"#, w.cs_desktop)).expect(422, "module"),
        service(mine(), format!(r#"{{"module":"datto-rmm","billing_type":"server","contract_service_id":{},"effective_from":"2026-02-30"}}"#, w.cs_desktop)).expect(422, "effective_from"),
        service("999999".into(), format!(r#"{{"module":"datto-rmm","billing_type":"server","contract_service_id":{}}}"#, w.cs_desktop)).expect(404, ""),
        service(w.other.contract.to_string(), format!(r#"{{"module":"datto-rmm","billing_type":"server","contract_service_id":{}}}"#, w.other.cs)).expect(404, ""),
        service("x1".into(), "{}".into()).expect(400, "id"),
        billing(r#"{"enabled":"yes"}"#).expect(422, "enabled"),
        billing(r#"{}"#).expect(422, "enabled"),
        billing(r#"{"enabled":false,"effective_from":"2026-02-30"}"#).expect(422, "effective_from"),
        Case::json(G, "PUT", "/api/v1/modules/no-such-module/billing", r#"{"enabled":true}"#).expect(422, "module"),
        Case::json(G, "PUT", "/api/v1/modules/%00/billing", r#"{"enabled":true}"#).expect(422, "module"),
        Case::bare(G, "GET", "/api/v1/orgs?module=%00").expect(422, "module"),
        Case::json(G, "POST", "/api/v1/suggestions/accept", r#"{"threshold":2}"#).expect(422, "threshold"),
        Case::json(G, "POST", "/api/v1/suggestions/accept", r#"{"threshold":-0.1}"#).expect(422, "threshold"),
        Case::json(G, "POST", "/api/v1/suggestions/accept", r#"{"threshold":"high"}"#).expect(422, "threshold"),
        Case::bare(G, "GET", "/api/v1/suggestions?date=2026-13-01").expect(422, "date"),
        Case::bare(G, "GET", "/api/v1/orgs?module=a&module=b").expect(400, "module"),
    ]
}
