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

async fn create(app: &TestApp, path: &str, body: Value) -> i64 {
    id(&post(app, path, body).await)
}

/// Companies, services, contracts and their services, as October begins.
struct Setup {
    acme: i64,
    labs: i64,
    globex: i64,
    desktop_service: i64,
    acme_contract: i64,
    cs_desktop: i64,
    cs_backup: i64,
}

async fn setup(app: &TestApp) -> Setup {
    set_clock(app, "2026-10-01T12:00:00Z");
    let tax = json!({"name": "NY State", "percent": "4"});
    post(app, "/api/v1/tax-rates", tax).await;
    let companies = "/api/v1/companies";
    let acme =
        json!({"name": "Acme Corporation", "tax_rates": ["NY State"], "payment_terms_days": 30});
    let acme = create(app, companies, acme).await;
    let labs = create(
        app,
        companies,
        json!({"name": "Acme Labs", "bill_to": acme}),
    )
    .await;
    let globex = create(app, companies, json!({"name": "Globex", "tax_rates": []})).await;
    let services = "/api/v1/services";
    let desktop = json!({"name": "Datto RMM - Desktop", "unit_price": "5.00"});
    let desktop_service = create(app, services, desktop).await;
    let backup = json!({"name": "Backup", "unit_price": "30.00"});
    let backup = create(app, services, backup).await;
    let contracts = "/api/v1/contracts";
    let msa = json!({"company_id": acme, "name": "MSA", "start_date": "2026-10-01", "purchase_order": "PO-7"});
    let acme_contract = create(app, contracts, msa).await;
    let globex_contract = json!({"company_id": globex, "start_date": "2026-10-01"});
    let globex_contract = create(app, contracts, globex_contract).await;
    let of = |c: i64| format!("/api/v1/contracts/{c}/services");
    let body = json!({"service_id": desktop_service, "rule": "prorated"});
    let cs_desktop = create(app, &of(acme_contract), body).await;
    let body = json!({"service_id": backup, "fixed_units": "2"});
    let cs_backup = create(app, &of(acme_contract), body).await;
    let body = json!({"service_id": desktop_service, "unit_price": "6.00"});
    let cs_globex = create(app, &of(globex_contract), body).await;
    let enable = json!({"enabled": true});
    ok(app, "PUT", "/api/v1/modules/datto-rmm/billing", enable).await;
    for (contract, cs) in [(acme_contract, cs_desktop), (globex_contract, cs_globex)] {
        let path = format!("/api/v1/contracts/{contract}/service-mappings");
        let body =
            json!({"module": "datto-rmm", "billing_type": "desktop", "contract_service_id": cs});
        post(app, &path, body).await;
    }
    for (date, n) in [("2026-10-01", 10), ("2026-10-16", 12)] {
        set_clock(app, &format!("{date}T20:00:00Z"));
        usage(app, date, n).await;
    }
    let mappings = json!([
        {"module": "datto-rmm", "org_id": "s1", "company_id": acme},
        {"module": "datto-rmm", "org_id": "s2", "company_id": globex},
    ]);
    post(app, "/api/v1/org-mappings", mappings).await;
    Setup {
        acme,
        labs,
        globex,
        desktop_service,
        acme_contract,
        cs_desktop,
        cs_backup,
    }
}

/// The documents of October (posted) and November (drafts), with a payment, a void and a
/// goodwill credit note between.
struct Billed {
    posted: Value,
    voided: i64,
    void_note: i64,
    goodwill_note: i64,
    draft: i64,
}

/// The document of `company` in a run's report.
fn doc_of(app: &TestApp, run: &Value, company: i64) -> Value {
    run["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["company_id"] == company)
        .cloned()
        .unwrap_or_else(|| panic!("{}: no document for {company}: {run}", app.backend))
}

async fn bill(app: &TestApp, s: &Setup) -> Billed {
    // October closes and posts; Acme pays part, Globex pays all and is voided.
    set_clock(app, "2026-11-01T17:00:00Z");
    let october = json!({"period": "2026-10", "post": true});
    let run = post(app, "/api/v1/invoice-runs", october).await;
    let posted = doc_of(app, &run, s.acme);
    let voided_doc = doc_of(app, &run, s.globex);
    let voided = id(&voided_doc);
    set_clock(app, "2026-11-05T17:00:00Z");
    usage(app, "2026-11-05", 14).await;
    let payments = |doc: i64| format!("/api/v1/documents/{doc}/payments");
    let part = json!({"amount": "10.00", "method": "ach", "reference": "REF-1"});
    post(app, &payments(id(&posted)), part).await;
    let all = json!({"amount": voided_doc["total"], "method": "check"});
    post(app, &payments(voided), all).await;
    let void = format!("/api/v1/documents/{voided}/void");
    let void_note = create(app, &void, Value::Null).await;
    let line = json!({"description": "Outage credit", "amount": "5.00", "taxable": true});
    let goodwill = json!({"company_id": s.acme, "period": "2026-11", "lines": [line]});
    let goodwill_note = create(app, "/api/v1/credit-notes/goodwill", goodwill).await;
    let one_off = json!({"company_id": s.acme, "period": "2026-11", "description": "Onboarding", "quantity": "1", "unit_price": "250.00"});
    post(app, "/api/v1/one-offs", one_off).await;
    // November runs as drafts.
    set_clock(app, "2026-12-01T17:00:00Z");
    let run = post(app, "/api/v1/invoice-runs", json!({"period": "2026-11"})).await;
    let draft = id(&doc_of(app, &run, s.acme));
    Billed {
        posted,
        voided,
        void_note,
        goodwill_note,
        draft,
    }
}

/// Tokens of each role, a revoked token and a revoked module key.
struct Credentials {
    billing_token: String,
    billing_token_id: i64,
    viewer_token: String,
    revoked_token: String,
    revoked_module_key: String,
    module_key_id: i64,
}

async fn credentials(app: &TestApp) -> Credentials {
    let engine = &app.engine;
    let token = |role: Role, name: &'static str| async move {
        engine
            .issue_api_token(app.tenant_id, name, role)
            .await
            .expect("token")
    };
    let billing = token(Role::Billing, "billing").await;
    let viewer = token(Role::Viewer, "viewer").await;
    let revoked = token(Role::Admin, "revoked").await;
    engine
        .revoke_api_token(app.tenant_id, revoked.record.id)
        .await
        .expect("revoke");
    let keys = ok(app, "GET", "/api/v1/module-keys", Value::Null).await;
    let spare = post(app, "/api/v1/modules/datto-rmm/keys", Value::Null).await;
    let revoke = format!("/api/v1/module-keys/{}", id(&spare));
    ok(app, "DELETE", &revoke, Value::Null).await;
    Credentials {
        billing_token: billing.secret,
        billing_token_id: billing.record.id,
        viewer_token: viewer.secret,
        revoked_token: revoked.secret,
        revoked_module_key: spare["secret"].as_str().unwrap().to_owned(),
        module_key_id: id(&keys[0]),
    }
}

/// Builds the state; the app's clock ends at [`NOW`].
pub async fn build(app: &TestApp) -> World {
    let s = setup(app).await;
    let b = bill(app, &s).await;
    set_clock(app, NOW);
    let total: rust_decimal::Decimal = b.posted["total"].as_str().unwrap().parse().unwrap();
    let insights = ok(app, "GET", "/api/v1/insights?all=true", Value::Null).await;
    let insight_key = insights[0]["key"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no insight: {insights}", app.backend))
        .to_owned();
    let c = credentials(app).await;
    World {
        acme: s.acme,
        labs: s.labs,
        globex: s.globex,
        desktop_service: s.desktop_service,
        acme_contract: s.acme_contract,
        cs_desktop: s.cs_desktop,
        cs_backup: s.cs_backup,
        posted: id(&b.posted),
        posted_number: b.posted["number"].as_str().unwrap().to_owned(),
        posted_open: (total - rust_decimal::Decimal::new(1000, 2)).to_string(),
        voided: b.voided,
        void_note: b.void_note,
        goodwill_note: b.goodwill_note,
        draft: b.draft,
        module_key_id: c.module_key_id,
        api_token_id: c.billing_token_id,
        insight_key,
        billing_token: c.billing_token,
        viewer_token: c.viewer_token,
        revoked_token: c.revoked_token,
        revoked_module_key: c.revoked_module_key,
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
