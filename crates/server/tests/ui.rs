//! The web UI in real headless Chromium: a fresh tenant walked from login through connecting a
//! module, a snapshot, enabling billing, companies, mapping with suggestions, a contract with a
//! service and its service mapping, and settings; then a month of usage (the engine's test
//! clock moves to December), "Sync now", the unit chart and activity log of the company, the
//! insights inbox, the invoice run's preview, posting, the invoice with its line drill-down, a
//! partial payment, aging, a goodwill credit, a one-off line, posting refused before the period
//! is over, a void, and the settings form. Each page's screenshot is saved under
//! `target/ui-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the story is skipped, unless
//! `UNITBILL_REQUIRE_ALL_TESTS=1`, which fails it. Runs on SQLite (the API tests cover PostgreSQL).

mod ui_support;

use std::path::PathBuf;
use std::time::Instant;

use fantoccini::Locator;
use ui_support::{Browser, EMAIL, PASSWORD, TENANT, browser_paths, spawn_app, start_browser};

const NOW: &str = "2026-11-25T17:00:00Z";
const DAY: &str = "2026-11-24";
/// Month end: noon on 2 December in New York, the tenant's time zone.
const MONTH_END: &str = "2026-12-02T17:00:00Z";

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
    // Screenshots of an earlier run would pass for this one's.
    if let Ok(old) = std::fs::read_dir(screenshots_dir()) {
        for f in old.flatten() {
            if f.path().extension().is_some_and(|e| e == "png") {
                let _ = std::fs::remove_file(f.path());
            }
        }
    }
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
    let history = b.text("#history").await;
    assert!(history.contains("not synced yet"), "{history}");
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

    month_end(app, b, &key, &acme_id).await;

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
    b.shot("32-dashboard-phone", 390).await;
    b.click("nav a[href='/mapping']").await;
    b.wait_page("mapping").await;
    b.shot("33-mapping-phone", 390).await;
    b.goto(&app.url(&format!("/companies/{acme_id}"))).await;
    b.shot("34-company-phone", 390).await;
    b.click("nav a[href='/invoices']").await;
    b.wait_page("invoices").await;
    b.shot("35-invoices-phone", 390).await;
    b.click_xpath("//table[contains(@class,'documents')]//a[normalize-space()='Draft']")
        .await;
    b.wait_css("#line-1 a.why-link").await;
    b.shot("36-invoice-phone", 390).await;

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

/// The desktops Acme Corp's HQ reports: 41 in early November, 46 from the 15th on.
fn hq_desktops(day: jiff::civil::Date) -> i64 {
    if day < jiff::civil::Date::constant(2026, 11, 15) {
        41
    } else {
        46
    }
}

/// Datto RMM sends a month of snapshots with its key, then month end: sync, the company's
/// units, the inbox, the run's preview, posting, the invoice and why its line says what it
/// says, a partial payment, aging, credits, a one-off, a refused post, a void, settings.
async fn month_end(app: &ui_support::App, b: &Browser, key: &str, acme_id: &str) {
    // December 2 in New York: November is over. The session's 12 hours are over too.
    app.engine
        .clock
        .set(MONTH_END.parse().expect("timestamp"))
        .expect("the test app runs on a test clock");
    let http = reqwest::Client::new();
    let mut day = jiff::civil::Date::constant(2026, 11, 1);
    let last = jiff::civil::Date::constant(2026, 12, 1);
    while day <= last {
        // The module misses 20 November: that day carries the 19th forward (stale).
        if day != jiff::civil::Date::constant(2026, 11, 20) {
            let res = http
                .put(app.url(&format!("/api/v1/modules/datto-rmm/usage/{day}")))
                .bearer_auth(key)
                .json(&serde_json::json!({"complete": true, "organizations": [
                    {"id": "site-1042", "name": "Acme Corp - HQ", "parent_id": null,
                     "usage": {"desktop": hq_desktops(day), "server": 3}},
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
            assert!(
                res.status().is_success(),
                "{day}: {}",
                res.text().await.unwrap()
            );
        }
        day = day.tomorrow().unwrap();
    }

    // The session expired with the clock: signing in again lands on the page asked for.
    b.goto(&app.url("/modules")).await;
    b.wait_css("#login-password").await;
    b.fill("#login-tenant", TENANT).await;
    b.fill("#login-email", EMAIL).await;
    b.fill("#login-password", &format!("{PASSWORD}\u{E007}"))
        .await;
    b.wait_page("modules").await;
    let sync = b.text("#sync").await;
    assert!(sync.contains("never synced"), "{sync}");

    // Sync now: the unit history through yesterday, 1 December.
    b.click("#sync button[type=submit]").await;
    b.wait_text(".flash", "units are up to date through 2026-12-01")
        .await;
    let sync = b.wait_text("#sync .synced-through", "2026-12-01").await;
    assert!(sync.contains("yesterday"), "{sync}");
    b.shot("18-modules-synced", 1280).await;

    // The dashboard: the engine's inbox with the money at stake; units and revenue.
    b.click("nav a[href='/']").await;
    b.wait_page("dashboard").await;
    let inbox = b.wait_text(".insights", "bill nothing").await;
    assert!(inbox.contains("datto-rmm/server"), "{inbox}");
    // Globex's 12 desktops have no contract: 12 × 42.50 a month at stake.
    assert!(inbox.contains("510.00"), "{inbox}");
    let stake = b.text("#at-stake").await;
    assert!(stake.contains("510.00"), "{stake}");
    let units = b.text("#units").await;
    assert!(units.contains("units a day"), "{units}");
    assert!(
        b.client
            .find(Locator::Css("#units svg rect.bar-solid"))
            .await
            .is_ok(),
        "the units chart has bars"
    );
    b.shot("19-dashboard-synced", 1280).await;
    // Dismiss the unmapped server usage in place (htmx), then nothing else moved.
    b.client
        .execute("window.__stayed = true", vec![])
        .await
        .unwrap();
    b.click_xpath("//li[contains(., 'datto-rmm/server')]//button[@value='dismissed']")
        .await;
    b.wait_text(".insight.done", "Dismissed").await;
    let stayed = b
        .client
        .execute("return window.__stayed === true", vec![])
        .await
        .unwrap();
    assert_eq!(
        stayed,
        serde_json::json!(true),
        "the item was swapped in place"
    );
    let all = app.engine.insights(app.tenant_id, true).await.unwrap();
    let server = all
        .iter()
        .find(|i| i.key == "unmapped_usage:datto-rmm:server:billing_type_not_mapped")
        .expect("the server insight");
    assert_eq!(server.status, "dismissed");
    b.shot("20-dashboard-dismissed", 1280).await;
    // Undo puts it back (a plain form: the dashboard again, with a confirmation).
    b.click(".insight.done button").await;
    b.wait_text(".flash", "back in the inbox").await;
    b.wait_text(".insights", "datto-rmm/server").await;
    b.click_xpath("//li[contains(., 'datto-rmm/server')]//button[@value='dismissed']")
        .await;
    b.wait_text(".insight.done", "Dismissed").await;

    // The company page: a unit chart per contract service, stale day marked; the log.
    b.goto(&app.url(&format!("/companies/{acme_id}"))).await;
    b.wait_page("companies").await;
    let history = b.wait_text("#history", "Managed workstation").await;
    assert!(history.contains("latest 51 on 2026-12-01"), "{history}");
    assert!(history.contains("1 stale day"), "{history}");
    b.wait_css("#history svg path.chart-line").await;
    let stale = b
        .client
        .find_all(Locator::Css("#history svg .chart-stale"))
        .await
        .unwrap();
    assert_eq!(stale.len(), 1, "20 November is marked");
    let log = b.wait_text("table.activity", "increased").await;
    assert!(log.contains("failed"), "{log}");
    b.shot("21-company-units", 1280).await;
    // 31 days × 2 rows: the log pages by 50, most recent first.
    b.click(".pager a[rel=next]").await;
    let older = b.wait_text(".pager", "Rows from 51").await;
    assert!(older.contains("Newer rows"), "{older}");
    let rows = b.text("table.activity tbody").await;
    assert!(
        rows.contains("2026-11-01") && !rows.contains("2026-12-01"),
        "{rows}"
    );
    b.click("a[href$='?failed=1#activity']").await;
    b.wait_css("a[href$='?failed=1#activity'][aria-current=page]")
        .await;
    let failed = b
        .wait_text("table.activity", "billing type not mapped")
        .await;
    assert!(!failed.contains("increased"), "{failed}");
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("failed=1")
    );

    // Invoices: the default period is last month; preview its run.
    b.click("nav a[href='/invoices']").await;
    b.wait_page("invoices").await;
    let period = b
        .wait_css("#period")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(period, "2026-11", "before any run: last month");
    b.wait_text("#documents", "No run for November 2026 yet")
        .await;
    b.click("#run button[type=submit]").await;
    b.wait_text(".flash", "Preview of November 2026: 1 draft made")
        .await;
    // Peak of the month: 46 + 5 desktops from the 15th, × 42.50.
    let docs = b.wait_text("table.documents", "Acme Corp").await;
    assert!(docs.contains("2,167.50"), "{docs}");
    assert!(docs.contains("new"), "no November before: {docs}");
    assert!(docs.contains("1 stale"), "{docs}");
    b.shot("22-invoices-preview", 1280).await;

    // Approve and post the ticked draft.
    b.click("table.documents input[type=checkbox]").await;
    b.click("#bulk-post button").await;
    b.wait_text(".flash", "Posted 1 document: INV-00001").await;
    let docs = b.wait_text("table.documents", "INV-00001").await;
    assert!(docs.contains("posted"), "{docs}");
    b.shot("23-invoices-posted", 1280).await;

    // The invoice: header, its line (stale), totals; why the line says 51.
    b.click_xpath("//table[contains(@class,'documents')]//a[normalize-space()='INV-00001']")
        .await;
    b.wait_text("h1", "INV-00001").await;
    let facts = b.text("dl.doc-facts").await;
    assert!(facts.contains("2026-12-16"), "due in 15 days: {facts}");
    assert!(facts.contains("PO-7781"), "{facts}");
    let line = b.text("#line-1").await;
    assert!(
        line.contains("Managed workstation") && line.contains("51") && line.contains("42.50"),
        "{line}"
    );
    assert!(line.contains("stale"), "{line}");
    assert!(b.text("#totals").await.contains("2,167.50"));
    let downloads = b.text("#downloads").await;
    assert!(
        downloads.contains("PDF") && downloads.contains("UBL"),
        "{downloads}"
    );
    // Download the PDF with the browser's session, as the link does.
    let href = b
        .client
        .find(Locator::Css("#downloads a[href$='/download/pdf']"))
        .await
        .expect("PDF link")
        .attr("href")
        .await
        .expect("href")
        .expect("href set");
    let fetched = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => r.arrayBuffer().then(buf => done([r.status, r.headers.get('content-type'), String.fromCharCode(...new Uint8Array(buf).slice(0, 5))])));",
            vec![serde_json::json!(href)],
        )
        .await
        .expect("fetch the PDF");
    assert_eq!(
        fetched,
        serde_json::json!([200, "application/pdf", "%PDF-"]),
        "the PDF download"
    );
    b.shot("24-invoice", 1280).await;
    b.click("#line-1 a.why-link").await;
    let why = b.wait_text("#why-1", "Why line 1").await;
    assert!(why.contains("Peak of the month"), "{why}");
    assert!(
        why.contains("Acme Corp - HQ") && why.contains("Acme Corp - Warehouse"),
        "{why}"
    );
    let twentieth = b.text("#why-1 tr.stale-day").await;
    assert!(twentieth.contains("2026-11-20"), "{twentieth}");
    let path = b.client.current_url().await.unwrap().path().to_owned();
    assert!(
        path.starts_with("/documents/") && !path.contains("/lines/"),
        "the drill-down loads in place: {path}"
    );
    b.shot("25-invoice-line-why", 1280).await;
    // Without script the same link opens the explanation as a page.
    let here = b.client.current_url().await.unwrap();
    b.goto(&format!(
        "{}/lines/1",
        here.as_str().split('?').next().unwrap()
    ))
    .await;
    b.wait_text("main h3", "Why line 1").await;
    b.goto(here.as_str()).await;
    b.wait_css("#pay-amount").await;

    // A partial payment: the rest stays open.
    b.fill("#pay-amount", "1000").await;
    b.fill("#pay-method", "bank transfer").await;
    b.fill("#pay-reference", "WIRE-118").await;
    b.click("form[action$='/payments'] button[type=submit]")
        .await;
    b.wait_text(
        ".flash",
        "Payment of 1,000.00 USD recorded; the invoice is partially paid",
    )
    .await;
    let open = b.wait_text("#open-amount", "1,167.50").await;
    assert!(!open.is_empty());
    let badge = b
        .wait_css("h1 .badge")
        .await
        .attr("data-status")
        .await
        .unwrap();
    assert_eq!(badge.as_deref(), Some("partially_paid"));
    b.shot("26-invoice-partially-paid", 1280).await;

    // Aging: 1,167.50 not yet due.
    b.click("nav a[href='/invoices']").await;
    b.click("a[href='/invoices/aging']").await;
    let aging = b.wait_text("table.aging", "Acme Corp").await;
    assert!(aging.contains("1,167.50"), "{aging}");
    b.shot("27-aging", 1280).await;

    // A goodwill credit on the invoice: a credit note, never billed again.
    b.goto(&app.url("/invoices?period=2026-11")).await;
    b.click_xpath("//a[normalize-space()='INV-00001']").await;
    b.wait_text("h1", "INV-00001").await;
    b.fill("#goodwill-description", "Outage on 12 November")
        .await;
    b.fill("#goodwill-amount", "25").await;
    b.click("form[action$='/goodwill'] button[type=submit]")
        .await;
    b.wait_text(".flash", "Goodwill credit note CN-00001 issued")
        .await;
    let note = b.wait_text("dl.doc-facts", "Credit note (goodwill)").await;
    assert!(note.contains("Acme Corp"), "{note}");
    assert!(b.text("#totals").await.contains("25.00"));

    // A one-off line for December, then December's preview carries it.
    b.goto(&app.url("/invoices?period=2026-12")).await;
    b.wait_text("#run-h", "December 2026").await;
    b.click("#one-offs summary").await;
    b.select("#oneoff-company", acme_id).await;
    b.fill("#oneoff-description", "On-site visit").await;
    b.fill("#oneoff-quantity", "2").await;
    b.fill("#oneoff-price", "95").await;
    b.click("form[action='/invoices/one-offs'] button[type=submit]")
        .await;
    b.wait_text(
        ".flash",
        "One-off line “On-site visit” added for December 2026",
    )
    .await;
    b.wait_text("#one-offs table", "On-site visit").await;
    b.click("#run button[type=submit]").await;
    b.wait_text(".flash", "Preview of December 2026").await;
    let docs = b.wait_text("table.documents", "Acme Corp").await;
    assert!(docs.contains("Draft"), "{docs}");

    // Posting December before it is over: the engine's refusal is shown.
    b.click("#documents form:not(#bulk-post) button").await;
    let refused = b
        .wait_text("[role=alert]", "can be posted from 2027-01-01")
        .await;
    assert!(refused.contains("2026-12"), "{refused}");
    b.shot("28-invoices-post-refused", 1280).await;

    // Void November's invoice: a credit note takes it back.
    b.goto(&app.url("/invoices?period=2026-11")).await;
    b.click_xpath("//a[normalize-space()='INV-00001']").await;
    b.wait_text("h1", "INV-00001").await;
    b.click("#void-confirm").await;
    b.click("#void button[type=submit]").await;
    b.wait_text(".flash", "Invoice voided by credit note CN-00002")
        .await;
    let voids = b.wait_text("dl.doc-facts", "INV-00001").await;
    assert!(voids.contains("Credit note (void)"), "{voids}");
    b.shot("29-credit-note-void", 1280).await;
    b.click("dl.doc-facts a[href^='/documents/']").await;
    b.wait_text("h1", "INV-00001").await;
    let badge = b
        .wait_css("h1 .badge")
        .await
        .attr("data-status")
        .await
        .unwrap();
    assert_eq!(badge.as_deref(), Some("void"));

    // Settings: numbering, lookback, sync hour, time zone, through the engine.
    b.click("nav a[href='/settings']").await;
    b.wait_page("settings").await;
    b.click("details.settings-edit summary").await;
    b.fill("#settings-lookback", "30").await;
    b.click("form[action='/settings'] button[type=submit]")
        .await;
    b.wait_text("#settings-lookback-error", "from 0 to 24")
        .await;
    b.fill("#settings-lookback", "2").await;
    b.fill("#settings-invoice-format", "{year}-{seq:04}").await;
    b.select("#settings-sync-hour", "3").await;
    b.click("form[action='/settings'] button[type=submit]")
        .await;
    b.wait_text(".flash", "Settings saved").await;
    let org = b.text("#org dl").await;
    assert!(
        org.contains("Acme MSP")
            && org.contains("2 months")
            && org.contains("03:00")
            && org.contains("{year}-{seq:04}")
            && org.to_lowercase().contains("history start"),
        "{org}"
    );
    b.shot("30-settings-saved", 1280).await;
    b.click("nav a[href='/']").await;
    b.wait_page("dashboard").await;
    let revenue = b.text("#revenue").await;
    assert!(revenue.contains("November 2026"), "{revenue}");
    b.shot("31-dashboard-month-end", 1280).await;
}

async fn service_id(app: &ui_support::App, name: &str) -> String {
    app.engine
        .services(app.tenant_id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.id.to_string())
        .expect("the service exists")
}
