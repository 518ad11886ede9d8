//! Outputs of golden documents made through the API (SQLite, and PostgreSQL when configured):
//! two months of fixed services for a handful of clients give an invoice with two tax rates,
//! an adjustment and a one-off; a bill-to parent carrying its child's lines; an exempt
//! client's invoice voided; a run credit note; a goodwill credit; a JPY invoice; and a
//! 120-line invoice. Each is downloaded through the API and checked by the outside
//! validators: poppler (PDF), CEN's EN 16931 rules (UBL), hledger (journal).

mod helpers;
#[path = "../../exports/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use helpers::{TestApp, spawn_apps};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use unitbill_engine::exports::{ExportFormat, grouped_amount};
use unitbill_server::BodyLimits;

async fn call(app: &TestApp, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(&app.token);
    if !body.is_null() {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn ok(app: &TestApp, method: &str, path: &str, body: Value) -> Value {
    let (status, v) = call(app, method, path, body).await;
    assert!(
        status.is_success(),
        "{} {method} {path}: {status} {v}",
        app.backend
    );
    v
}

/// A download: status, content type, the `x-export-*` headers, and the bytes.
async fn get_file(app: &TestApp, path: &str) -> (StatusCode, String, String, Vec<u8>) {
    let res = app
        .http
        .get(app.url(path))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, kind, files) = (
        res.status(),
        header("content-type"),
        header("x-export-files"),
    );
    (status, kind, files, res.bytes().await.unwrap().to_vec())
}

/// The tenant's export settings file (its address and tax identifier, which EN 16931 needs,
/// the clients' addresses and an accounting mapping), found by the server through
/// `UNITBILL_EXPORT_SETTINGS_DIR` as every deployment would.
fn export_settings() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("export-settings");
        std::fs::create_dir_all(&dir).unwrap();
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../exports/tests/fixtures/acme-msp.toml");
        std::fs::copy(fixture, dir.join("acme-msp.toml")).unwrap();
        // SAFETY: set once, before any app of this test binary starts (every test calls
        // this first and `Once` holds the others until it is done), and never changed.
        unsafe { std::env::set_var("UNITBILL_EXPORT_SETTINGS_DIR", &dir) };
    });
}

fn set_clock(app: &TestApp, instant: &str) {
    app.engine.clock.set(instant.parse().unwrap()).unwrap();
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A company with one contract from 2026-10-01 and fixed services `(service, price, units)`;
/// returns the company and its contract services.
async fn client(
    app: &TestApp,
    company: Value,
    po: Option<&str>,
    services: &[(i64, &str, &str)],
) -> (i64, Vec<i64>) {
    let c = id(&ok(app, "POST", "/api/v1/companies", company).await);
    let contract = ok(app, "POST", "/api/v1/contracts", json!({"company_id": c, "name": "Managed services", "start_date": "2026-10-01", "purchase_order": po})).await;
    let mut cs = Vec::new();
    for (service, price, units) in services {
        let path = format!("/api/v1/contracts/{}/services", id(&contract));
        let body = json!({"service_id": service, "unit_price": price, "fixed_units": units});
        cs.push(id(&ok(app, "POST", &path, body).await));
    }
    (c, cs)
}

struct Scenario {
    /// Company name -> id.
    companies: BTreeMap<String, i64>,
    /// Posted documents of 2026-11 (after the void and the goodwill credit), by number.
    documents: BTreeMap<String, Value>,
    /// Company id -> the payment received (in its currency).
    paid: BTreeMap<i64, Decimal>,
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    ok(app, "POST", path, body).await
}

async fn scenario(app: &TestApp) -> Scenario {
    let rates = [
        ("NY State", "4"),
        ("Kings County", "4.875"),
        ("NJ State", "6.625"),
    ];
    for (name, percent) in rates.into_iter().chain([("Consumption tax", "10")]) {
        post(
            app,
            "/api/v1/tax-rates",
            json!({"name": name, "percent": percent}),
        )
        .await;
    }
    let mut services = Vec::new();
    for name in [
        "Datto RMM - Desktop",
        "Datto RMM - Server",
        "EDR - Endpoint",
        "Backup",
    ] {
        let body = json!({"name": name, "unit_price": "1.00", "taxable": true});
        services.push(id(&post(app, "/api/v1/services", body).await));
    }
    let [desktop, server, edr, backup] = services[..] else {
        unreachable!()
    };
    let contoso_json = json!({"name": "Contoso Ltd", "tax_rates": ["NY State", "Kings County"]});
    let contoso_services = [
        (desktop, "5.00", "40"),
        (server, "45.00", "3"),
        (edr, "3.50", "44"),
    ];
    let (contoso, contoso_cs) =
        client(app, contoso_json, Some("PO-2026-17"), &contoso_services).await;
    let holdings_json =
        json!({"name": "Northwind Holdings", "tax_rates": ["NY State"], "payment_terms_days": 15});
    let (holdings, _) = client(app, holdings_json, None, &[(desktop, "5.00", "18")]).await;
    let retail_json =
        json!({"name": "Northwind Retail", "tax_rates": ["NJ State"], "bill_to": holdings});
    let retail_services = [(desktop, "5.00", "12"), (edr, "3.50", "12")];
    let (retail, _) = client(app, retail_json, None, &retail_services).await;
    let fabrikam_json = json!({"name": "Fabrikam Inc", "tax_rates": []});
    let (fabrikam, _) = client(app, fabrikam_json, None, &[(desktop, "5.00", "30")]).await;
    let litware_json = json!({"name": "Litware LLC", "tax_rates": ["NY State"]});
    let litware_services = [(backup, "30.00", "10"), (desktop, "5.00", "20")];
    let (litware, litware_cs) = client(app, litware_json, None, &litware_services).await;
    let tokyo_json =
        json!({"name": "Tokyo Branch KK", "currency": "JPY", "tax_rates": ["Consumption tax"]});
    let (tokyo, _) = client(app, tokyo_json, None, &[(desktop, "1500", "12")]).await;
    let big_json = json!({"name": "Big Client & Sons", "tax_rates": ["NY State"]});
    let big = id(&post(app, "/api/v1/companies", big_json).await);
    let companies = [
        ("Contoso Ltd", contoso),
        ("Northwind Holdings", holdings),
        ("Northwind Retail", retail),
        ("Fabrikam Inc", fabrikam),
        ("Litware LLC", litware),
        ("Tokyo Branch KK", tokyo),
        ("Big Client & Sons", big),
    ]
    .map(|(n, c)| (n.to_owned(), c))
    .into();

    set_clock(app, "2026-11-01T12:00:00Z");
    post(
        app,
        "/api/v1/invoice-runs",
        json!({"period": "2026-10", "post": true}),
    )
    .await;

    // October's prices corrected after posting: November settles them with adjustments.
    // (Prices, not fixed units: a terms change does not mark the stored unit history for
    // recomputation yet, so a fixed-units change would not reach a posted period.)
    for (cs, price) in [(contoso_cs[0], "4.75"), (litware_cs[0], "0.00")] {
        let body = json!({"unit_price": price, "effective_from": "2026-10-01"});
        ok(
            app,
            "PATCH",
            &format!("/api/v1/contract-services/{cs}"),
            body,
        )
        .await;
    }
    let one_off = |company: i64, description: String, q: &str, p: &str, taxable: bool| {
        json!({"company_id": company, "period": "2026-11", "description": description,
               "quantity": q, "unit_price": p, "taxable": taxable})
    };
    let workshop = one_off(contoso, "Onboarding workshop".into(), "1", "250.00", false);
    post(app, "/api/v1/one-offs", workshop).await;
    for i in 0..120 {
        let hours = one_off(
            big,
            format!("Project hours, ticket #{}", 5000 + i),
            "1.5",
            "95.00",
            true,
        );
        post(app, "/api/v1/one-offs", hours).await;
    }

    set_clock(app, "2026-12-01T12:00:00Z");
    let run = post(app, "/api/v1/invoice-runs", json!({"period": "2026-11"})).await;
    // A draft has a PDF, titled as a draft, but no e-invoice: it has no number yet.
    let draft = id(&run["documents"][0]);
    let (status, kind, _, bytes) = get_file(app, &format!("/api/v1/documents/{draft}/pdf")).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    if let Some((_, text)) = support::pdf_pages_and_text(&bytes, tmp, "draft") {
        assert!(text.contains("Draft"), "{text}");
    }
    let (status, _) = call(
        app,
        "GET",
        &format!("/api/v1/documents/{draft}/ubl"),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let ids: Vec<i64> = run["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    post(app, "/api/v1/documents/post", json!({"ids": ids})).await;

    let docs = ok(app, "GET", "/api/v1/documents?period=2026-11", Value::Null).await;
    let of = |company: i64| {
        let docs = docs.as_array().unwrap();
        id(docs.iter().find(|d| d["company_id"] == company).unwrap())
    };
    let holdings_total = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["company_id"] == holdings)
        .unwrap()["total"]
        .clone();
    let mut paid = BTreeMap::new();
    for (company, amount) in [
        (contoso, "500.00"),
        (holdings, holdings_total.as_str().unwrap()),
        (fabrikam, "100.00"),
        (tokyo, "10000"),
    ] {
        let body =
            json!({"amount": amount, "method": "ach", "reference": format!("REF-{company}")});
        post(
            app,
            &format!("/api/v1/documents/{}/payments", of(company)),
            body,
        )
        .await;
        paid.insert(company, d(amount));
    }
    // Paid, then voided: the payment becomes Fabrikam's credit balance.
    post(
        app,
        &format!("/api/v1/documents/{}/void", of(fabrikam)),
        Value::Null,
    )
    .await;
    let line = json!({"description": "Service credit: outage on 2026-11-12", "amount": "25.00", "taxable": true});
    let goodwill = json!({"company_id": contoso, "period": "2026-11", "lines": [line]});
    post(app, "/api/v1/credit-notes/goodwill", goodwill).await;

    let mut documents = BTreeMap::new();
    for doc in ok(app, "GET", "/api/v1/documents?period=2026-11", Value::Null)
        .await
        .as_array()
        .unwrap()
    {
        let full = ok(
            app,
            "GET",
            &format!("/api/v1/documents/{}", id(doc)),
            Value::Null,
        )
        .await;
        documents.insert(full["number"].as_str().unwrap().to_owned(), full);
    }
    Scenario {
        companies,
        documents,
        paid,
    }
}

fn company_name<'a>(s: &'a Scenario, doc: &Value) -> &'a str {
    s.companies
        .iter()
        .find(|(_, c)| doc["company_id"] == **c)
        .map_or("?", |(name, _)| name.as_str())
}

#[tokio::test]
async fn golden_documents_download_as_pdf_and_ubl_that_the_validators_accept() {
    export_settings();
    for app in spawn_apps("2026-10-05T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let s = scenario(&app).await;
        let summary: Vec<String> = s
            .documents
            .iter()
            .map(|(number, d)| {
                let reason = d["credit_reason"].as_str().map(|r| format!(" ({r})"));
                let kind = d["kind"].as_str().unwrap().to_owned() + &reason.unwrap_or_default();
                format!(
                    "{number} {kind} {} {}",
                    company_name(&s, d),
                    d["status"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "CN-00001 credit_note (run) Litware LLC posted",
                "CN-00002 credit_note (void) Fabrikam Inc posted",
                "CN-00003 credit_note (goodwill) Contoso Ltd posted",
                "INV-00006 invoice Contoso Ltd partially_paid",
                "INV-00007 invoice Northwind Holdings paid",
                "INV-00008 invoice Fabrikam Inc void",
                "INV-00009 invoice Tokyo Branch KK partially_paid",
                "INV-00010 invoice Big Client & Sons posted",
            ],
            "{b}"
        );
        let lines = |number: &str| s.documents[number]["lines"].as_array().unwrap().clone();
        let contoso: Vec<Value> = lines("INV-00006");
        let kinds: Vec<&str> = contoso
            .iter()
            .map(|l| l["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["adjustment", "charge", "charge", "charge", "one_off"],
            "{b}"
        );
        assert_eq!(
            s.documents["INV-00006"]["taxes"].as_array().unwrap().len(),
            2,
            "{b}"
        );
        assert!(
            lines("INV-00007")
                .iter()
                .any(|l| l["for_child"] == "Northwind Retail"),
            "{b}"
        );
        assert_eq!(lines("INV-00010").len(), 120, "{b}");
        assert_eq!(
            s.documents["INV-00009"]["total"], "19800",
            "{b}: yen have no minor unit"
        );

        // The batch listing names every posted document with its download URL.
        let listing = ok(&app, "GET", "/api/v1/exports/2026-11/pdf", Value::Null).await;
        let listed = listing["documents"].as_array().unwrap();
        assert_eq!(listed.len(), s.documents.len(), "{b}: {listing}");
        let tmp = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let ubl_dir = support::scratch(&tmp, &format!("api-ubl-{b}"));
        let mut ubl_files = Vec::new();
        for entry in listed {
            let number = entry["number"].as_str().unwrap();
            let doc = &s.documents[number];
            let (status, kind, _, pdf) = get_file(&app, entry["url"].as_str().unwrap()).await;
            assert_eq!(
                (status, kind.as_str()),
                (StatusCode::OK, "application/pdf"),
                "{b} {number}"
            );
            if let Some((pages, text)) =
                support::pdf_pages_and_text(&pdf, &tmp, &format!("{b}-{number}"))
            {
                let company = company_name(&s, doc);
                let grouped = grouped_amount(
                    d(doc["total"].as_str().unwrap()),
                    doc["currency"].as_str().unwrap(),
                );
                for expected in [number, company, grouped.as_str()] {
                    assert!(
                        text.contains(expected),
                        "{b} {number}: no {expected:?} in\n{text}"
                    );
                }
                let title = if doc["kind"] == "invoice" {
                    "Invoice"
                } else {
                    "Credit note"
                };
                assert!(text.contains(title), "{b} {number}: {title}");
                let lines = doc["lines"].as_array().unwrap().len();
                if lines >= 120 {
                    assert!(pages >= 2, "{b} {number}: {lines} lines on {pages} page(s)");
                } else {
                    assert_eq!(pages, 1, "{b} {number}");
                }
            }
            let (status, kind, _, xml) =
                get_file(&app, &format!("/api/v1/documents/{number}/ubl")).await;
            assert_eq!(
                (status, kind.as_str()),
                (StatusCode::OK, "application/xml"),
                "{b} {number}"
            );
            let path = ubl_dir.join(format!("{number}.xml"));
            std::fs::write(&path, xml).unwrap();
            ubl_files.push(path);
        }
        if let Some(report) = support::validate_ubl(&ubl_files) {
            assert_eq!(
                report.matches("VALID ").count(),
                ubl_files.len(),
                "{b}: {report}"
            );
        }
    }
}

#[tokio::test]
async fn the_journal_balances_and_the_csv_imports_cover_every_posted_document() {
    export_settings();
    for app in spawn_apps("2026-10-05T12:00:00Z", BodyLimits::default()).await {
        let b = app.backend;
        let s = scenario(&app).await;
        let tmp = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));

        let (status, kind, _, journal) = get_file(&app, "/api/v1/exports/2026-11/journal").await;
        assert_eq!(
            (status, kind.as_str()),
            (StatusCode::OK, "text/plain; charset=utf-8"),
            "{b}"
        );
        let dir = support::scratch(&tmp, &format!("api-journal-{b}"));
        let path = dir.join("2026-11.journal");
        std::fs::write(&path, &journal).unwrap();
        if let Some(balances) = support::hledger_balances(&path, "assets:receivables") {
            let mut expected: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
            for doc in s.documents.values() {
                let sign = if doc["kind"] == "invoice" {
                    Decimal::ONE
                } else {
                    Decimal::NEGATIVE_ONE
                };
                let name = company_name(&s, doc);
                *expected
                    .entry(format!("assets:receivables:{name}"))
                    .or_default()
                    .entry(doc["currency"].as_str().unwrap().to_owned())
                    .or_default() += sign * d(doc["total"].as_str().unwrap());
            }
            for (company, amount) in &s.paid {
                let name = s.companies.iter().find(|(_, c)| *c == company).unwrap().0;
                let currency = if name.starts_with("Tokyo") {
                    "JPY"
                } else {
                    "USD"
                };
                *expected
                    .get_mut(&format!("assets:receivables:{name}"))
                    .unwrap()
                    .get_mut(currency)
                    .unwrap() -= amount;
            }
            expected.retain(|_, by| {
                by.retain(|_, v| !v.is_zero());
                !by.is_empty()
            });
            assert_eq!(
                balances,
                expected,
                "{b}:\n{}",
                String::from_utf8_lossy(&journal)
            );
            assert_eq!(
                balances["assets:receivables:Fabrikam Inc"]["USD"],
                d("-100"),
                "{b}: paid, then voided: a credit balance"
            );
        }

        // QuickBooks: invoices, then credit notes as a second file of the batch.
        let (status, _, files, invoices) =
            get_file(&app, "/api/v1/exports/2026-11/quickbooks").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(
            files,
            "acme-msp-2026-11-quickbooks-invoices.csv, acme-msp-2026-11-quickbooks-credit-memos.csv"
        );
        let (_, _, _, memos) = get_file(&app, "/api/v1/exports/2026-11/quickbooks?part=2").await;
        let numbers = |bytes: &[u8]| -> Vec<String> {
            let mut n: Vec<String> = csv::Reader::from_reader(bytes)
                .records()
                .map(|r| r.unwrap()[0].to_owned())
                .collect();
            n.dedup();
            n
        };
        let (invoice_numbers, memo_numbers) = (numbers(&invoices), numbers(&memos));
        assert_eq!(
            invoice_numbers.len() + memo_numbers.len(),
            s.documents.len(),
            "{b}"
        );
        assert!(
            memo_numbers
                .iter()
                .all(|n| s.documents[n]["kind"] == "credit_note"),
            "{b}"
        );
        let (status, _) = call(
            &app,
            "GET",
            "/api/v1/exports/2026-11/quickbooks?part=3",
            Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Xero: one file; each document's lines sum (quantity × unit amount) to its subtotal,
        // negative for credit notes.
        let (status, kind, _, xero) = get_file(&app, "/api/v1/exports/2026-11/xero").await;
        assert_eq!(
            (status, kind.as_str()),
            (StatusCode::OK, "text/csv; charset=utf-8"),
            "{b}"
        );
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in csv::Reader::from_reader(xero.as_slice()).records() {
            let r = r.unwrap();
            *sums.entry(r[1].to_owned()).or_default() += d(&r[6]) * d(&r[7]);
        }
        for (number, doc) in &s.documents {
            let sign = if doc["kind"] == "invoice" {
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            assert_eq!(
                sums[number].round_dp(2),
                sign * d(doc["subtotal"].as_str().unwrap()),
                "{b} {number}"
            );
        }

        // The engine's export (what the CLI runs) writes the same files to a directory.
        let out = support::scratch(&tmp, &format!("api-out-{b}"));
        let written = app
            .engine
            .export_period(app.tenant_id, "2026-11", ExportFormat::Ubl, &out)
            .await
            .unwrap();
        assert_eq!(written.len(), s.documents.len());
        let written = app
            .engine
            .export_period(app.tenant_id, "all", ExportFormat::Journal, &out)
            .await
            .unwrap();
        assert_eq!(written[0].file_name().unwrap(), "acme-msp-all.journal");

        // Refusals name their field.
        let (status, problem) =
            call(&app, "GET", "/api/v1/exports/2026-11/excel", Value::Null).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("format"))
        );
        let (status, problem) =
            call(&app, "GET", "/api/v1/exports/November/journal", Value::Null).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("period"))
        );
        let spec = ok(&app, "GET", "/api/openapi.json", Value::Null).await;
        for path in [
            "/api/v1/documents/{id}/pdf",
            "/api/v1/documents/{id}/ubl",
            "/api/v1/exports/{period}/{format}",
        ] {
            assert!(spec["paths"].get(path).is_some(), "{path} is documented");
        }
    }
}
