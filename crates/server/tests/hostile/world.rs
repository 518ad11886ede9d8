//! Realistic state for the corpus to aim at: companies, contracts with services, mapped orgs
//! with two months of usage, a posted and partly paid invoice, a voided one, a goodwill
//! credit note, a one-off, a draft run, and a second tenant with objects of its own.

use serde_json::{Value, json};
use unitbill_engine::tenants::TenantInput;
use unitbill_store::Role;

use crate::helpers::{TestApp, call, ok, push, set_clock};

/// Where the test clock stands while the corpus runs: 10:00 on 2026-12-02 in New York.
pub const NOW: &str = "2026-12-02T15:00:00Z";

/// Ids and secrets of the state the cases hit.
pub struct World {
    pub acme: i64,
    pub labs: i64,
    pub globex: i64,
    pub desktop_service: i64,
    pub acme_contract: i64,
    pub cs_desktop: i64,
    pub cs_backup: i64,
    /// Acme's posted October invoice, partly paid.
    pub posted: i64,
    pub posted_number: String,
    /// What is still open on it.
    pub posted_open: String,
    /// Globex's October invoice, paid in full then voided (the payment is its credit balance).
    pub voided: i64,
    /// The credit note that voided it.
    pub void_note: i64,
    /// Acme's goodwill credit note.
    pub goodwill_note: i64,
    /// Acme's November draft.
    pub draft: i64,
    pub module_key_id: i64,
    pub api_token_id: i64,
    /// An insight the inbox lists.
    pub insight_key: String,
    pub billing_token: String,
    pub viewer_token: String,
    pub revoked_token: String,
    pub revoked_module_key: String,
    pub other: OtherTenant,
}

/// A second tenant: every one of its objects is a 404 to the first one.
pub struct OtherTenant {
    pub token: String,
    pub company: i64,
    pub contract: i64,
    pub cs: i64,
    pub document: i64,
    pub module_key_id: i64,
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    ok(app, "POST", path, body).await
}

/// A complete Datto RMM snapshot: s1 Acme HQ (10 desktops), s2 Globex (4), s3 unmapped.
async fn usage(app: &TestApp, date: &str, acme_desktops: i64) {
    let orgs = json!([
        {"id": "s1", "name": "ACME Corp - HQ", "usage": {"desktop": acme_desktops, "server": 1}},
        {"id": "s2", "name": "Globex", "usage": {"desktop": 4}},
        {"id": "s3", "name": "Mystery Dental", "parent_id": "s1", "usage": {"desktop": 2}},
    ]);
    push(app, date, orgs).await;
}

/// Builds the state; the app's clock ends at [`NOW`].
pub async fn build(app: &TestApp) -> World {
    set_clock(app, "2026-10-01T12:00:00Z");
    post(
        app,
        "/api/v1/tax-rates",
        json!({"name": "NY State", "percent": "4"}),
    )
    .await;
    let acme = id(&post(
        app,
        "/api/v1/companies",
        json!({"name": "Acme Corporation", "tax_rates": ["NY State"], "payment_terms_days": 30}),
    )
    .await);
    let labs = id(&post(
        app,
        "/api/v1/companies",
        json!({"name": "Acme Labs", "bill_to": acme}),
    )
    .await);
    let globex = id(&post(
        app,
        "/api/v1/companies",
        json!({"name": "Globex", "tax_rates": []}),
    )
    .await);
    let desktop_service = id(&post(
        app,
        "/api/v1/services",
        json!({"name": "Datto RMM - Desktop", "unit_price": "5.00"}),
    )
    .await);
    let backup = id(&post(
        app,
        "/api/v1/services",
        json!({"name": "Backup", "unit_price": "30.00"}),
    )
    .await);
    let acme_contract = id(&post(app, "/api/v1/contracts", json!({"company_id": acme, "name": "MSA", "start_date": "2026-10-01", "purchase_order": "PO-7"})).await);
    let globex_contract = id(&post(
        app,
        "/api/v1/contracts",
        json!({"company_id": globex, "start_date": "2026-10-01"}),
    )
    .await);
    let contract_services = |c: i64| format!("/api/v1/contracts/{c}/services");
    let cs_desktop = id(&post(
        app,
        &contract_services(acme_contract),
        json!({"service_id": desktop_service, "rule": "prorated"}),
    )
    .await);
    let cs_backup = id(&post(
        app,
        &contract_services(acme_contract),
        json!({"service_id": backup, "fixed_units": "2"}),
    )
    .await);
    let cs_globex = id(&post(
        app,
        &contract_services(globex_contract),
        json!({"service_id": desktop_service, "unit_price": "6.00"}),
    )
    .await);
    ok(
        app,
        "PUT",
        "/api/v1/modules/datto-rmm/billing",
        json!({"enabled": true}),
    )
    .await;
    for (contract, cs) in [(acme_contract, cs_desktop), (globex_contract, cs_globex)] {
        let body =
            json!({"module": "datto-rmm", "billing_type": "desktop", "contract_service_id": cs});
        post(
            app,
            &format!("/api/v1/contracts/{contract}/service-mappings"),
            body,
        )
        .await;
    }
    for (date, n) in [("2026-10-01", 10), ("2026-10-16", 12)] {
        set_clock(app, &format!("{date}T20:00:00Z"));
        usage(app, date, n).await;
    }
    post(
        app,
        "/api/v1/org-mappings",
        json!([
            {"module": "datto-rmm", "org_id": "s1", "company_id": acme},
            {"module": "datto-rmm", "org_id": "s2", "company_id": globex},
        ]),
    )
    .await;

    // October closes and posts; Acme pays part, Globex pays all and is voided.
    set_clock(app, "2026-11-01T17:00:00Z");
    let run = post(
        app,
        "/api/v1/invoice-runs",
        json!({"period": "2026-10", "post": true}),
    )
    .await;
    let doc_of = |run: &Value, company: i64| {
        run["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["company_id"] == company)
            .cloned()
            .unwrap_or_else(|| panic!("{}: no document for {company}: {run}", app.backend))
    };
    let posted_doc = doc_of(&run, acme);
    let posted = id(&posted_doc);
    let voided_doc = doc_of(&run, globex);
    let voided = id(&voided_doc);
    set_clock(app, "2026-11-05T17:00:00Z");
    usage(app, "2026-11-05", 14).await;
    post(
        app,
        &format!("/api/v1/documents/{posted}/payments"),
        json!({"amount": "10.00", "method": "ach", "reference": "REF-1"}),
    )
    .await;
    post(
        app,
        &format!("/api/v1/documents/{voided}/payments"),
        json!({"amount": voided_doc["total"], "method": "check"}),
    )
    .await;
    let void_note = id(&post(
        app,
        &format!("/api/v1/documents/{voided}/void"),
        Value::Null,
    )
    .await);
    let line = json!({"description": "Outage credit", "amount": "5.00", "taxable": true});
    let goodwill_note = id(&post(
        app,
        "/api/v1/credit-notes/goodwill",
        json!({"company_id": acme, "period": "2026-11", "lines": [line]}),
    )
    .await);
    post(app, "/api/v1/one-offs", json!({"company_id": acme, "period": "2026-11", "description": "Onboarding", "quantity": "1", "unit_price": "250.00"})).await;

    // November runs as drafts.
    set_clock(app, "2026-12-01T17:00:00Z");
    let run = post(app, "/api/v1/invoice-runs", json!({"period": "2026-11"})).await;
    let draft = id(&doc_of(&run, acme));
    set_clock(app, NOW);

    let posted_open = {
        let total: rust_decimal::Decimal = posted_doc["total"].as_str().unwrap().parse().unwrap();
        (total - rust_decimal::Decimal::new(1000, 2)).to_string()
    };
    let insights = ok(app, "GET", "/api/v1/insights?all=true", Value::Null).await;
    let insight_key = insights[0]["key"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no insight: {insights}", app.backend))
        .to_owned();
    let engine = &app.engine;
    let token = |role: Role, name: &'static str| async move {
        engine
            .issue_api_token(app.tenant_id, name, role)
            .await
            .expect("token")
    };
    let billing = token(Role::Billing, "billing").await;
    let viewer_token = token(Role::Viewer, "viewer").await.secret;
    let revoked = token(Role::Admin, "revoked").await;
    engine
        .revoke_api_token(app.tenant_id, revoked.record.id)
        .await
        .expect("revoke");
    let keys = ok(app, "GET", "/api/v1/module-keys", Value::Null).await;
    let module_key_id = id(&keys[0]);
    let spare = post(app, "/api/v1/modules/datto-rmm/keys", Value::Null).await;
    ok(
        app,
        "DELETE",
        &format!("/api/v1/module-keys/{}", id(&spare)),
        Value::Null,
    )
    .await;
    World {
        acme,
        labs,
        globex,
        desktop_service,
        acme_contract,
        cs_desktop,
        cs_backup,
        posted,
        posted_number: posted_doc["number"].as_str().unwrap().to_owned(),
        posted_open,
        voided,
        void_note,
        goodwill_note,
        draft,
        module_key_id,
        api_token_id: billing.record.id,
        insight_key,
        billing_token: billing.secret,
        viewer_token,
        revoked_token: revoked.secret,
        revoked_module_key: spare["secret"].as_str().unwrap().to_owned(),
        other: other_tenant(app).await,
    }
}

/// A second tenant with a company, a contract with a service, a one-off and a draft.
async fn other_tenant(app: &TestApp) -> OtherTenant {
    let engine = &app.engine;
    let tenant = engine
        .create_tenant(&TenantInput {
            slug: "other-msp".into(),
            name: "Other MSP".into(),
            time_zone: "America/New_York".into(),
            currency: "USD".into(),
            sync_hour: 1,
        })
        .await
        .expect("tenant");
    let token = engine
        .issue_api_token(tenant.id, "other", Role::Admin)
        .await
        .expect("token")
        .secret;
    let module_key_id = engine
        .connect_module(tenant.id, "datto-rmm", None)
        .await
        .expect("connect")
        .record
        .id;
    let other = TestApp {
        backend: app.backend,
        base: app.base.clone(),
        db_url: app.db_url.clone(),
        engine: app.engine.clone(),
        http: app.http.clone(),
        tenant_id: tenant.id,
        token: token.clone(),
        rmm_key: String::new(),
    };
    let company = id(&post(&other, "/api/v1/companies", json!({"name": "Initech"})).await);
    let service = id(&post(
        &other,
        "/api/v1/services",
        json!({"name": "Helpdesk", "unit_price": "100.00"}),
    )
    .await);
    let contract = id(&post(
        &other,
        "/api/v1/contracts",
        json!({"company_id": company, "start_date": "2026-11-01"}),
    )
    .await);
    let cs = id(&post(
        &other,
        &format!("/api/v1/contracts/{contract}/services"),
        json!({"service_id": service, "fixed_units": "1"}),
    )
    .await);
    let (status, run) = call(
        &other,
        "POST",
        "/api/v1/invoice-runs",
        json!({"period": "2026-11"}),
    )
    .await;
    assert!(
        status.is_success(),
        "{}: other tenant's run: {run}",
        app.backend
    );
    let document = id(&run["documents"][0]);
    OtherTenant {
        token,
        company,
        contract,
        cs,
        document,
        module_key_id,
    }
}
