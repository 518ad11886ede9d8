//! The web UI in real headless Chromium: a fresh tenant walked from login through connecting a
//! module, a snapshot, enabling billing, companies, mapping with suggestions, a contract with a
//! service and its service mapping, and settings. Each page's screenshot is saved under
//! `target/ui-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the story is skipped, unless
//! `UNITBILL_REQUIRE_ALL_TESTS=1`, which fails it. Runs on SQLite (the API tests cover PostgreSQL).

mod ui_support;

use std::path::PathBuf;
use std::time::Instant;

use ui_support::{Browser, EMAIL, PASSWORD, TENANT, browser_paths, spawn_app, start_browser};

const NOW: &str = "2026-11-25T17:00:00Z";
const DAY: &str = "2026-11-24";

fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_tenant_sets_up_billing_in_the_browser() {
    let Some((chromium, driver)) = browser_paths() else {
        if std::env::var("UNITBILL_REQUIRE_ALL_TESTS").as_deref() == Ok("1") {
            panic!(
                "UNITBILL_REQUIRE_ALL_TESTS=1 but chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
            );
        }
        eprintln!("note: chromium or chromedriver is missing; the browser story is skipped");
        return;
    };
    let started = Instant::now();
    let app = spawn_app(NOW).await;
    let b = start_browser(&chromium, &driver, screenshots_dir()).await;
    story(&app, &b).await;
    b.client.clone().close().await.ok();
    eprintln!("browser story took {:.1?}", started.elapsed());
}

async fn story(app: &ui_support::App, b: &Browser) {
    // Pages need a session: the dashboard sends to the login form.
    b.goto(&app.url("/")).await;
    b.wait_page("").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/login"),
        "a page without a session shows the login form"
    );
    b.fill("#login-tenant", TENANT).await;
    b.fill("#login-email", EMAIL).await;
    b.fill("#login-password", "not the password").await;
    b.click("form button[type=submit]").await;
    b.wait_text("[role=alert]", "not right").await;
    b.shot("01-login-refused", 1280).await;

    // Sign in from the keyboard: Enter in the password field submits.
    b.fill("#login-password", &format!("{PASSWORD}\u{E007}"))
        .await;
    b.wait_page("dashboard").await;
    let stats = b.text(".stats").await;
    assert!(
        stats.contains("0\ncompanies") || stats.contains("0 companies"),
        "{stats}"
    );
    b.shot("02-dashboard-empty", 1280).await;

    // htmx (served by the app itself) boosts links: navigating keeps the page's script state.
    let loaded = b
        .client
        .execute(
            "window.__stayed = true; return typeof htmx !== 'undefined' && htmx.version",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        loaded.as_str().is_some_and(|v| v.starts_with('2')),
        "{loaded}"
    );

    // Modules: connect Datto RMM; the key is shown once.
    b.click("nav a[href='/modules']").await;
    b.wait_page("modules").await;
    b.wait_text("#catalog-h", "Catalog").await;
    let stayed = b
        .client
        .execute("return window.__stayed === true", vec![])
        .await
        .unwrap();
    assert_eq!(
        stayed,
        serde_json::json!(true),
        "a boosted link swaps the body, no reload"
    );
    b.shot("03-modules-catalog", 1280).await;
    b.click("button[aria-label='Connect Datto RMM']").await;
    let key = b
        .wait_css("#module-key")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(key.starts_with(&format!("ubm_{}_", app.tenant_id)), "{key}");
    b.wait_text("main", "shown only once").await;
    b.shot("04-module-key-once", 1280).await;

    // The module sends a snapshot with that key, through the API.
    let res = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/modules/datto-rmm/usage/{DAY}")))
        .bearer_auth(&key)
        .json(&serde_json::json!({"complete": true, "organizations": [
            {"id": "site-1042", "name": "Acme Corp - HQ", "parent_id": null,
             "usage": {"desktop": 41, "server": 3}},
            {"id": "site-1043", "name": "Acme Corp - Warehouse", "parent_id": "site-1042",
             "usage": {"desktop": 5}},
            {"id": "site-2001", "name": "Globex LLC", "parent_id": null,
             "usage": {"desktop": 12}},
            {"id": "site-9001", "name": "Zzyzx Holdings", "parent_id": null,
             "usage": {"desktop": 2}}
        ]}))
        .send()
        .await
        .expect("snapshot");
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());

    // Back on the modules page: the last snapshot shows, and billing is off.
    b.click("a[href='/modules#module-datto-rmm']").await;
    b.wait_page("modules").await;
    let card = b.wait_text("#module-datto-rmm", DAY).await;
    assert!(card.contains("billing off"), "{card}");
    assert!(card.contains("4"), "four orgs: {card}");

    // The dashboard raises "activate integrated billing".
    b.click("nav a[href='/']").await;
    b.wait_page("dashboard").await;
    b.wait_text(".insights", "Activate integrated billing")
        .await;
    let snapshots = b.text("#snapshots + *").await;
    assert!(snapshots.contains(DAY), "{snapshots}");

    // Enable billing (the effective date defaults to the engine's: the start of history).
    b.click("nav a[href='/modules']").await;
    b.wait_page("modules").await;
    let from = b
        .wait_css("#bill-datto-rmm-from")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(from, "1900-01-01", "the engine's default effective date");
    b.click("#module-datto-rmm form[action$='/billing'] button")
        .await;
    b.wait_text(".flash", "Billing enabled for Datto RMM").await;
    b.wait_text("#module-datto-rmm", "billing enabled").await;
    b.shot("05-modules-billing-enabled", 1280).await;

    // Now new organizations need mapping.
    b.click("nav a[href='/']").await;
    b.wait_page("dashboard").await;
    let insights = b
        .wait_text(".insights", "Billing available for new organization")
        .await;
    assert!(insights.contains("Acme Corp - HQ"), "{insights}");
    assert!(
        !insights.contains("Activate integrated billing"),
        "{insights}"
    );
    b.shot("06-dashboard-insights", 1280).await;

    // Companies: a refused form shows the error next to its field, then it is fixed.
    b.click("nav a[href='/companies']").await;
    b.wait_page("companies").await;
    b.click("a[href='/companies/new']").await;
    b.wait_css("#company-name").await;
    b.fill("#company-name", "Acme Corp").await;
    b.fill("#company-terms", "400").await;
    b.click("form.grid-form button[type=submit]").await;
    let err = b
        .wait_text("#company-terms-error", "must be from 0 to 365")
        .await;
    assert!(!err.is_empty());
    let invalid = b
        .wait_css("#company-terms")
        .await
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    let kept = b
        .wait_css("#company-name")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Acme Corp"), "typed values are kept");
    b.shot("07-company-form-error", 1280).await;
    b.fill("#company-terms", "15").await;
    b.click("form.grid-form button[type=submit]").await;
    b.wait_text(".flash", "Acme Corp created").await;
    b.wait_page("companies").await;
    let facts = b.text("dl.facts").await;
    assert!(
        facts.contains("15 days") && facts.contains("USD"),
        "{facts}"
    );

    for name in ["Globex", "Initech"] {
        b.goto(&app.url("/companies/new")).await;
        b.fill("#company-name", name).await;
        b.click("form.grid-form button[type=submit]").await;
        b.wait_text(".flash", &format!("{name} created")).await;
    }
    b.click("nav a[href='/companies']").await;
    let list = b.wait_text("main table", "Initech").await;
    assert!(
        list.contains("Acme Corp") && list.contains("Globex"),
        "{list}"
    );
    b.shot("08-companies", 1280).await;

    // Mapping by company: the suggestion for Acme Corp - HQ, with its confidence, pre-ticked.
    b.click("nav a[href='/mapping']").await;
    b.wait_page("mapping").await;
    let acme_row = b
        .client
        .find(fantoccini::Locator::XPath(
            "//tr[th/a[normalize-space()='Acme Corp']]",
        ))
        .await
        .expect("a row for Acme Corp");
    let acme_id = acme_row
        .attr("id")
        .await
        .unwrap()
        .unwrap_or_default()
        .trim_start_matches("company-")
        .to_owned();
    let row_text = acme_row.text().await.unwrap();
    assert!(row_text.contains("Acme Corp - HQ"), "{row_text}");
    assert!(row_text.contains('%'), "confidence shown: {row_text}");
    let hq = b
        .wait_css(&format!(
            "#company-{acme_id} input[value='datto-rmm:site-1042']"
        ))
        .await;
    assert_eq!(
        hq.prop("checked").await.unwrap().as_deref(),
        Some("true"),
        "a suggestion above the threshold is pre-ticked"
    );
    let unmatched = b.text("main").await;
    assert!(unmatched.contains("Zzyzx Holdings"), "{unmatched}");
    b.shot("09-mapping-suggestions", 1280).await;

    // Accept the Acme row, then everything else above the threshold.
    // Accepting a row swaps that row only (htmx), and says what it did there.
    b.client
        .execute("window.__stayed = true", vec![])
        .await
        .unwrap();
    b.click(&format!("#accept-{acme_id} button")).await;
    b.wait_text(&format!("#company-{acme_id} .row-flash"), "to Acme Corp")
        .await;
    let stayed = b
        .client
        .execute("return window.__stayed === true", vec![])
        .await
        .unwrap();
    assert_eq!(
        stayed,
        serde_json::json!(true),
        "the row was swapped in place"
    );
    b.shot("10-mapping-row-accepted", 1280).await;
    let row = b.text(&format!("#company-{acme_id}")).await;
    assert!(row.contains("Acme Corp - HQ"), "{row}");
    assert!(
        b.client
            .find(fantoccini::Locator::Css(&format!(
                "#company-{acme_id} .org.mapped"
            )))
            .await
            .is_ok(),
        "HQ is now mapped"
    );
    b.click("form.accept-all button").await;
    b.wait_text(".flash", "Accepted").await;
    b.shot("11-mapping-all-accepted", 1280).await;

    // By organization: sites grouped under their parent; ignore the org nobody matches.
    b.click("a[href='/mapping/orgs']").await;
    b.wait_text("table.orgs", "Zzyzx Holdings").await;
    let child = b
        .wait_css("tr[id='org-site-1043']")
        .await
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        child.contains("depth-1"),
        "the warehouse sits under HQ: {child}"
    );
    b.select("tr[id='org-site-9001'] select[name=target]", "ignored")
        .await;
    b.click("tr[id='org-site-9001'] button[type=submit]").await;
    b.wait_text(".flash", "Zzyzx Holdings is ignored").await;
    let zz = b.wait_text("tr[id='org-site-9001']", "ignored").await;
    assert!(zz.contains("ignored"), "{zz}");
    b.shot("12-mapping-by-organization", 1280).await;

    // A service for the catalog.
    b.click("nav a[href='/services']").await;
    b.wait_page("services").await;
    b.fill("#service-name", "Managed workstation").await;
    b.fill("#service-price", "45.00").await;
    b.click("form.grid-form button[type=submit]").await;
    b.wait_text(".flash", "Managed workstation created").await;
    b.wait_text("main table", "45.00").await;
    b.shot("13-services", 1280).await;

    // Company page: its mapped orgs; a contract for it.
    b.goto(&app.url(&format!("/companies/{acme_id}"))).await;
    b.wait_page("companies").await;
    let orgs = b.wait_text("#orgs-h + *", "Acme Corp - HQ").await;
    assert!(orgs.contains("Datto RMM"), "{orgs}");
    assert!(b.text("main").await.contains("after the first sync"));
    b.shot("14-company", 1280).await;
    b.fill("#contract-po", "PO-7781").await;
    b.click("form[action$='/contracts'] button[type=submit]")
        .await;
    b.wait_text(".flash", "Contract Managed services created")
        .await;
    b.wait_text("dl.facts", "2026-11-01").await;

    // Contract page: add a contract service, with a refusal first (terms start on the 1st).
    b.select("#cs-service", &service_id(app, "Managed workstation").await)
        .await;
    b.fill("#cs-price", "42.50").await;
    b.select("#cs-rule", "peak").await;
    b.client
        .execute(
            "document.getElementById('cs-from').value = '2026-11-15'",
            vec![],
        )
        .await
        .unwrap();
    b.click("form[action$='/services'] button[type=submit]")
        .await;
    b.wait_text("#cs-from-error", "first day").await;
    b.shot("15-contract-service-error", 1280).await;
    b.client
        .execute(
            "document.getElementById('cs-from').value = '2026-11-01'",
            vec![],
        )
        .await
        .unwrap();
    b.click("form[action$='/services'] button[type=submit]")
        .await;
    b.wait_text(".flash", "added from 2026-11-01").await;
    let services = b.wait_text("table.contract-services", "42.50").await;
    assert!(services.contains("Peak of the month"), "{services}");
    assert!(
        services.contains("fixed"),
        "no billing type mapped yet: {services}"
    );

    // Service mapping: Datto RMM's section (its orgs map to Acme Corp), desktop -> the service.
    let section = b.wait_text("#map-datto-rmm", "Desktop").await;
    assert!(section.contains("mapped"), "{section}");
    let cs_value = b
        .wait_css("#bt-datto-rmm-desktop option:nth-child(2)")
        .await
        .attr("value")
        .await
        .unwrap()
        .unwrap_or_default();
    b.select("#bt-datto-rmm-desktop", &cs_value).await;
    b.click("#map-datto-rmm button[type=submit]").await;
    b.wait_text(".flash", "Datto RMM: 1 billing type mapped")
        .await;
    let services = b
        .wait_text("table.contract-services", "datto-rmm / desktop")
        .await;
    assert!(!services.contains("fixed"), "{services}");
    let selected = b
        .wait_css("#bt-datto-rmm-desktop")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(selected.as_deref(), Some(cs_value.as_str()));
    b.shot("16-contract", 1280).await;

    // Settings: time zone, sync hour, a tax rate, users, module keys.
    b.click("nav a[href='/settings']").await;
    b.wait_page("settings").await;
    let org = b.text("#org-h + dl").await;
    assert!(
        org.contains("America/New_York") && org.contains("01:00"),
        "{org}"
    );
    b.fill("#rate-name", "NY State").await;
    b.fill("#rate-percent", "4").await;
    b.click("form[action='/settings/tax-rates'] button").await;
    b.wait_text(".flash", "NY State (4%) saved").await;
    let keys = b.text("#keys-h + *").await;
    assert!(
        keys.contains("datto-rmm") && keys.contains("active"),
        "{keys}"
    );
    assert!(b.text("main").await.contains(EMAIL));
    b.shot("17-settings", 1280).await;

    // Invoices wait for the sync: a marked placeholder, no made-up numbers.
    b.click("nav a[href='/invoices']").await;
    b.wait_page("invoices").await;
    b.wait_text(".placeholder", "appear after the first sync")
        .await;

    // A confirmation cannot be forged by a link: unsigned messages are not shown.
    b.goto(&app.url("/?done=Your%20account%20is%20locked"))
        .await;
    b.wait_page("dashboard").await;
    assert!(
        b.client
            .find(fantoccini::Locator::Css(".flash"))
            .await
            .is_err(),
        "an unsigned message is not shown"
    );

    // Phone width: the same pages read in one column.
    let stats = b.text(".stats").await;
    assert!(stats.contains("3"), "three companies: {stats}");
    b.shot("18-dashboard-phone", 390).await;
    b.click("nav a[href='/mapping']").await;
    b.wait_page("mapping").await;
    b.shot("19-mapping-phone", 390).await;
    b.goto(&app.url(&format!("/companies/{acme_id}"))).await;
    b.shot("20-company-phone", 390).await;

    // Cross-site form posts are refused; signing out ends the session.
    let res = reqwest::Client::new()
        .post(app.url("/companies/new"))
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Evil")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN);
    b.click(".who button").await;
    b.wait_css("#login-tenant").await;
    b.goto(&app.url("/companies")).await;
    b.wait_css("#login-tenant").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("next=%2Fcompanies")
            || b.client
                .current_url()
                .await
                .unwrap()
                .query()
                .unwrap_or("")
                .contains("next=/companies")
    );
}

async fn service_id(app: &ui_support::App, name: &str) -> String {
    app.engine
        .store
        .services(app.tenant_id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.id.to_string())
        .expect("the service exists")
}
