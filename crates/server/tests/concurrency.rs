//! Concurrent requests against the real app, black-box through the API: gapless numbering under
//! concurrent posting, one posting per draft, regeneration racing posting, concurrent complete
//! snapshots for one module-day, all-or-nothing batch posts, and goodwill credit notes that
//! never stop a company from being invoiced. Each story runs on SQLite and, when configured,
//! PostgreSQL. Requests are fired together (`join_all` over one shared client); every count is
//! bounded and nothing waits on time.

mod helpers;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::FutureExt;
use futures::future::join_all;
use helpers::{TestApp, call, ok, set_clock, spawn_apps};
use reqwest::StatusCode;
use serde_json::{Value, json};
use unitbill_server::BodyLimits;

/// The period every story closes, a moment inside it, and one after it (New York time).
const PERIOD: &str = "2026-01";
const DURING: &str = "2026-01-15T12:00:00Z";
const AFTER: &str = "2026-02-01T12:00:00Z";

/// Runs a story on every backend, each on its own fresh app; a backend's failure does not hide
/// the others': the test fails at the end naming every backend that failed, with its message.
async fn on_every_backend<F, Fut>(story: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut failed = Vec::new();
    for app in spawn_apps(DURING, BodyLimits::default()).await {
        let backend = app.backend;
        if let Err(panic) = AssertUnwindSafe(story(app)).catch_unwind().await {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            if message.starts_with(backend) {
                failed.push(message);
            } else {
                failed.push(format!("{backend}: {message}"));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Opens `n` connections of the shared client (`n` requests at once), so that a burst of `n`
/// requests that follows starts together instead of one connection set-up after another.
async fn warm_up(app: &TestApp, n: usize) {
    join_all((0..n).map(|_| call(app, "GET", "/api/v1/open-period", Value::Null))).await;
}

/// `n` companies, each with a one-off charge for `PERIOD`, so each run gives each one a draft.
async fn clients_with_one_offs(app: &TestApp, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let c = ok(
            app,
            "POST",
            "/api/v1/companies",
            json!({"name": format!("Client {i:02}")}),
        )
        .await;
        let id = c["id"].as_i64().expect("company id");
        ok(
            app,
            "POST",
            "/api/v1/one-offs",
            json!({"company_id": id, "period": PERIOD, "description": "Onboarding", "quantity": "1", "unit_price": "99.00"}),
        )
        .await;
        ids.push(id);
    }
    ids
}

/// Runs (or re-runs) the close of `PERIOD` without posting; returns the run report.
async fn run(app: &TestApp) -> Value {
    ok(
        app,
        "POST",
        "/api/v1/invoice-runs",
        json!({"period": PERIOD}),
    )
    .await
}

/// The documents of a period (all periods with `None`).
async fn documents(app: &TestApp, period: Option<&str>) -> Vec<Value> {
    let path = match period {
        Some(p) => format!("/api/v1/documents?period={p}"),
        None => "/api/v1/documents".to_owned(),
    };
    ok(app, "GET", &path, Value::Null)
        .await
        .as_array()
        .expect("a list of documents")
        .clone()
}

fn id_of(doc: &Value) -> i64 {
    doc["id"].as_i64().expect("document id")
}

fn company_of(doc: &Value) -> i64 {
    doc["company_id"].as_i64().expect("company id")
}

fn is_invoice(doc: &Value) -> bool {
    doc["kind"] == "invoice"
}

fn is_draft(doc: &Value) -> bool {
    doc["status"] == "draft"
}

/// The draft invoice of each company in a run report.
fn drafts_by_company(report: &Value) -> BTreeMap<i64, i64> {
    report["documents"]
        .as_array()
        .expect("run documents")
        .iter()
        .filter(|d| is_invoice(d) && is_draft(d))
        .map(|d| (company_of(d), id_of(d)))
        .collect()
}

/// The invoice numbers of the non-draft invoices among `docs`.
fn invoice_numbers(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .filter(|d| is_invoice(d) && !is_draft(d))
        .map(|d| d["number"].as_str().unwrap_or("<no number>").to_owned())
        .collect()
}

/// `Ok` when `numbers` are exactly INV-00001..INV-n, each once; otherwise what is wrong.
fn check_gapless(numbers: &[String]) -> Result<(), String> {
    let expected: BTreeSet<String> = (1..=numbers.len()).map(|n| format!("INV-{n:05}")).collect();
    let mut seen = BTreeSet::new();
    let duplicated: BTreeSet<&String> = numbers.iter().filter(|n| !seen.insert(*n)).collect();
    let got: BTreeSet<String> = numbers.iter().cloned().collect();
    let missing: Vec<&String> = expected.difference(&got).collect();
    let unexpected: Vec<&String> = got.difference(&expected).collect();
    if duplicated.is_empty() && missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} numbers are not INV-00001..INV-{:05}: duplicated {duplicated:?}, missing {missing:?}, unexpected {unexpected:?}",
            numbers.len(),
            numbers.len()
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_drafts_posted_at_once_get_fifty_consecutive_numbers() {
    on_every_backend(|app| async move {
        let b = app.backend;
        clients_with_one_offs(&app, 50).await;
        set_clock(&app, AFTER);
        let ids: Vec<i64> = drafts_by_company(&run(&app).await).into_values().collect();
        assert_eq!(
            ids.len(),
            50,
            "{b}: the run should make one draft per company"
        );

        warm_up(&app, 50).await;
        let posts = ids
            .iter()
            .map(|id| call(&app, "POST", "/api/v1/documents/post", json!({"ids": [id]})));
        let results = join_all(posts).await;
        let mut returned = BTreeMap::new();
        for (id, (status, body)) in ids.iter().zip(&results) {
            assert_eq!(
                *status,
                StatusCode::OK,
                "{b}: posting draft {id} alone, concurrently with 49 others, failed: {body}"
            );
            let docs = body.as_array().map(Vec::as_slice).unwrap_or_default();
            assert!(
                docs.len() == 1 && id_of(&docs[0]) == *id && docs[0]["status"] == "posted",
                "{b}: posting draft {id} should return that one document, posted: {body}"
            );
            returned.insert(*id, docs[0]["number"].as_str().unwrap_or("").to_owned());
        }
        let numbers: Vec<String> = returned.values().cloned().collect();
        if let Err(e) = check_gapless(&numbers) {
            panic!("{b}: 50 concurrent posts of 50 drafts: {e}");
        }

        // Read back: each document posted once, with the number its post returned, and no
        // other invoice numbered.
        let stored = documents(&app, None).await;
        for (id, number) in &returned {
            let doc = stored.iter().find(|d| id_of(d) == *id);
            assert!(
                doc.is_some_and(|d| d["status"] == "posted" && d["number"] == number.as_str()),
                "{b}: document {id} should read back posted as {number}, it reads {doc:?}"
            );
        }
        let all = invoice_numbers(&stored);
        assert_eq!(
            all.len(),
            50,
            "{b}: 50 posts should number 50 invoices, the tenant has {all:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_draft_posted_by_twenty_requests_at_once_is_posted_once() {
    // The race is retried on a few drafts: one round may happen not to interleave.
    const ROUNDS: usize = 6;
    on_every_backend(|app| async move {
        let b = app.backend;
        let companies = clients_with_one_offs(&app, ROUNDS + 1).await;
        set_clock(&app, AFTER);
        let drafts = drafts_by_company(&run(&app).await);
        let mut problems = Vec::new();
        for (round, company) in companies[..ROUNDS].iter().enumerate() {
            let draft = drafts[company];
            let expected = format!("INV-{:05}", round + 1);
            warm_up(&app, 20).await;
            let posts = (0..20).map(|_| {
                call(
                    &app,
                    "POST",
                    "/api/v1/documents/post",
                    json!({"ids": [draft]}),
                )
            });
            let results = join_all(posts).await;
            let won: Vec<String> = results
                .iter()
                .filter(|(s, _)| *s == StatusCode::OK)
                .map(|(_, v)| v[0]["number"].as_str().unwrap_or("<no number>").to_owned())
                .collect();
            let odd: Vec<String> = results
                .iter()
                .filter(|(s, _)| *s != StatusCode::OK && *s != StatusCode::CONFLICT)
                .map(|(s, v)| format!("{s} {v}"))
                .collect();
            if !odd.is_empty() {
                problems.push(format!(
                    "draft {draft}: the losers should get 409, got {odd:?}"
                ));
            }
            if won.len() != 1 {
                problems.push(format!(
                    "draft {draft} was posted by {} of 20 concurrent requests, not once",
                    won.len()
                ));
            }
            let doc = ok(
                &app,
                "GET",
                &format!("/api/v1/documents/{draft}"),
                Value::Null,
            )
            .await;
            if doc["status"] != "posted" || doc["number"] != expected.as_str() {
                problems.push(format!(
                    "draft {draft} should read back posted as {expected}, it is {} {}",
                    doc["status"], doc["number"]
                ));
            }
        }
        let last = drafts[&companies[ROUNDS]];
        let next = ok(
            &app,
            "POST",
            "/api/v1/documents/post",
            json!({"ids": [last]}),
        )
        .await;
        let expected = format!("INV-{:05}", ROUNDS + 1);
        if next[0]["number"] != expected.as_str() {
            problems.push(format!(
                "the next post after them should take {expected}, it took {}",
                next[0]["number"]
            ));
        }
        if let Err(e) = check_gapless(&invoice_numbers(&documents(&app, None).await)) {
            problems.push(e);
        }
        assert!(
            problems.is_empty(),
            "{b}: posting each of {ROUNDS} drafts with 20 requests at once: {}",
            problems.join("; ")
        );
    })
    .await;
}

/// Posts drafts of `PERIOD` one at a time, each after reading the current drafts list, until
/// the runs are over and no draft is left (bounded). Returns the unexpected answers.
async fn post_drafts_one_by_one(
    app: &TestApp,
    runs_done: &AtomicBool,
    from_end: bool,
) -> Vec<String> {
    let mut odd = Vec::new();
    for _ in 0..500 {
        // Read the flag before the list: when the runs were over before it was read, an empty
        // list means nothing is left to post.
        let finished = runs_done.load(Ordering::SeqCst);
        let (status, list) = call(
            app,
            "GET",
            &format!("/api/v1/documents?period={PERIOD}"),
            Value::Null,
        )
        .await;
        if status != StatusCode::OK {
            odd.push(format!("listing drafts: {status} {list}"));
            continue;
        }
        let drafts: Vec<i64> = list
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|d| is_invoice(d) && is_draft(d))
            .map(id_of)
            .collect();
        let pick = if from_end {
            drafts.last()
        } else {
            drafts.first()
        };
        let Some(id) = pick else {
            if finished {
                break;
            }
            tokio::task::yield_now().await;
            continue;
        };
        let (status, body) =
            call(app, "POST", "/api/v1/documents/post", json!({"ids": [id]})).await;
        // 404: a regeneration replaced the draft; 409: the other poster was first.
        if !matches!(
            status,
            StatusCode::OK | StatusCode::NOT_FOUND | StatusCode::CONFLICT
        ) {
            odd.push(format!("posting {id}: {status} {body}"));
        }
    }
    odd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn regenerating_a_run_while_its_drafts_are_posted_never_invoices_a_company_twice() {
    on_every_backend(|app| async move {
        let b = app.backend;
        let companies = clients_with_one_offs(&app, 12).await;
        set_clock(&app, AFTER);
        run(&app).await;

        let runs_done = AtomicBool::new(false);
        let runner = async {
            let mut odd = Vec::new();
            for i in 0..6 {
                let (status, body) = call(
                    &app,
                    "POST",
                    "/api/v1/invoice-runs",
                    json!({"period": PERIOD}),
                )
                .await;
                // 409: another run is syncing the tenant right now.
                if !status.is_success() && status != StatusCode::CONFLICT {
                    odd.push(format!("regeneration {i}: {status} {body}"));
                }
            }
            runs_done.fetch_or(true, Ordering::SeqCst);
            odd
        };
        let (from_runs, from_first, from_last) = futures::join!(
            runner,
            post_drafts_one_by_one(&app, &runs_done, false),
            post_drafts_one_by_one(&app, &runs_done, true)
        );
        let mut problems: Vec<String> = from_runs
            .into_iter()
            .chain(from_first)
            .chain(from_last)
            .collect();

        // Post whatever is left, then every company must have exactly one posted invoice.
        for d in documents(&app, Some(PERIOD)).await {
            if is_invoice(&d) && is_draft(&d) {
                let (status, body) = call(
                    &app,
                    "POST",
                    "/api/v1/documents/post",
                    json!({"ids": [id_of(&d)]}),
                )
                .await;
                if status != StatusCode::OK {
                    problems.push(format!(
                        "posting leftover draft {}: {status} {body}",
                        id_of(&d)
                    ));
                }
            }
        }
        let docs = documents(&app, Some(PERIOD)).await;
        for c in &companies {
            let posted: Vec<String> = invoice_numbers(
                &docs
                    .iter()
                    .filter(|d| company_of(d) == *c)
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            match posted.len() {
                1 => {}
                0 => problems.push(format!("company {c} has no posted invoice for {PERIOD}")),
                n => problems.push(format!(
                    "company {c} has {n} posted invoices for {PERIOD}: {posted:?}"
                )),
            }
        }
        if let Err(e) = check_gapless(&invoice_numbers(&documents(&app, None).await)) {
            problems.push(e);
        }
        assert!(
            problems.is_empty(),
            "{b}: regenerating {PERIOD} while posting its drafts: {}",
            problems.join("; ")
        );
    })
    .await;
}

const DAY: &str = "2026-01-14";

/// A complete Datto RMM snapshot: client `i` reports two orgs of its own (so some clients share
/// no org at all) and, every other client, `org-0` of the day before with a value of its own.
fn snapshot_of_client(i: usize) -> Value {
    let mut orgs = vec![
        json!({"id": format!("c{i}-a"), "name": format!("Client {i} A"), "usage": {"desktop": 100 * (i + 1), "server": i + 1}}),
        json!({"id": format!("c{i}-b"), "name": format!("Client {i} B"), "usage": {"desktop": 100 * (i + 1) + 1}}),
    ];
    if i.is_multiple_of(2) {
        orgs.push(json!({"id": "org-0", "name": "Org 0", "usage": {"desktop": 10 + i}}));
    }
    json!({"complete": true, "organizations": orgs})
}

/// org id -> usage object, of a snapshot body or a stored snapshot.
fn usage_by_org(snapshot: &Value) -> BTreeMap<String, Value> {
    snapshot["organizations"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap_or("").to_owned(),
                o["usage"].clone(),
            )
        })
        .collect()
}

/// (org id, billing type) -> quantity, of a snapshot body or a stored snapshot.
fn quantities(snapshot: &Value) -> BTreeMap<(String, String), i64> {
    let mut out = BTreeMap::new();
    for (org, usage) in usage_by_org(snapshot) {
        for (bt, q) in usage.as_object().into_iter().flatten() {
            let q = q.as_i64().or(q.as_bool().map(i64::from)).unwrap_or(-1);
            out.insert((org.clone(), bt.clone()), q);
        }
    }
    out
}

/// A GET with a given bearer key.
async fn get_with_key(app: &TestApp, path: &str, key: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A snapshot of `DAY` sent with the module key.
async fn put_snapshot(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    let res = app
        .http
        .put(app.url(&format!("/api/v1/modules/datto-rmm/usage/{DAY}")))
        .bearer_auth(&app.rmm_key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_complete_snapshots_for_one_day_at_once_store_exactly_one_of_them() {
    on_every_backend(|app| async move {
        let b = app.backend;
        let before = json!({"complete": true, "organizations": [
            {"id": "org-0", "name": "Org 0", "usage": {"desktop": 7, "server": 1}},
            {"id": "org-1", "name": "Org 1", "usage": {"desktop": 7}},
            {"id": "org-2", "name": "Org 2", "usage": {"desktop": 7}}
        ]});
        let (status, body) = put_snapshot(&app, &before).await;
        assert_eq!(status, StatusCode::OK, "{b}: the first snapshot: {body}");

        let sent: Vec<Value> = (0..10).map(snapshot_of_client).collect();
        warm_up(&app, 10).await;
        let results = join_all(sent.iter().map(|s| put_snapshot(&app, s))).await;
        let mut problems = Vec::new();
        let mut versions = Vec::new();
        for (i, (status, body)) in results.iter().enumerate() {
            if *status == StatusCode::OK {
                versions.push(body["version"].as_i64().unwrap_or(-1));
            } else {
                problems.push(format!(
                    "client {i}'s valid snapshot was answered {status} {body}"
                ));
            }
        }

        let (status, stored) = get_with_key(
            &app,
            &format!("/api/v1/modules/datto-rmm/usage/{DAY}"),
            &app.rmm_key,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{b}: reading the day back: {stored}"
        );
        let stored_orgs = usage_by_org(&stored);
        let matching: Vec<usize> = sent
            .iter()
            .enumerate()
            .filter(|(_, s)| usage_by_org(s) == stored_orgs)
            .map(|(i, _)| i)
            .collect();
        if matching.len() != 1 {
            problems.push(format!(
                "the stored day should equal exactly one client's snapshot, it matches {matching:?}: {}",
                json!(stored_orgs)
            ));
        }
        // Each accepted snapshot differs from every other, so each bumps the day once.
        versions.sort_unstable();
        if versions != (2..=11).collect::<Vec<i64>>() || stored["version"] != 11 {
            problems.push(format!(
                "10 different snapshots after one should give versions 2..=11 and end at 11; answered {versions:?}, stored {}",
                stored["version"]
            ));
        }

        // The revisions of each (org, billing type) chain from the value before to the value
        // stored.
        let revisions = ok(
            &app,
            "GET",
            &format!("/api/v1/modules/datto-rmm/usage/{DAY}/revisions"),
            Value::Null,
        )
        .await;
        let mut chains: BTreeMap<(String, String), Vec<(i64, i64)>> = BTreeMap::new();
        for r in revisions.as_array().map(Vec::as_slice).unwrap_or_default() {
            chains
                .entry((
                    r["org_id"].as_str().unwrap_or("").to_owned(),
                    r["billing_type"].as_str().unwrap_or("").to_owned(),
                ))
                .or_default()
                .push((
                    r["old_quantity"].as_i64().unwrap_or(-1),
                    r["new_quantity"].as_i64().unwrap_or(-1),
                ));
        }
        let first = quantities(&before);
        let last = quantities(&stored);
        let keys: BTreeSet<&(String, String)> = first
            .keys()
            .chain(last.keys())
            .chain(chains.keys())
            .collect();
        let mut broken = Vec::new();
        for key in keys {
            let mut value = first.get(key).copied().unwrap_or(0);
            for (n, (old, new)) in chains.get(key).into_iter().flatten().enumerate() {
                if *old != value {
                    broken.push(format!(
                        "revision #{} of {}/{} says old {old} but the value before it was {value}",
                        n + 1,
                        key.0,
                        key.1
                    ));
                }
                value = *new;
            }
            let now = last.get(key).copied().unwrap_or(0);
            if value != now {
                broken.push(format!(
                    "the revisions of {}/{} end at {value} but the stored value is {now}",
                    key.0, key.1
                ));
            }
        }
        if !broken.is_empty() {
            problems.push(format!(
                "{} breaks in the revision chains, e.g. {}",
                broken.len(),
                broken[..broken.len().min(3)].join(", ")
            ));
        }
        assert!(
            problems.is_empty(),
            "{b}: 10 concurrent complete snapshots for {DAY}: {}",
            problems.join("; ")
        );
    })
    .await;
}

#[tokio::test]
async fn a_batch_post_with_an_unknown_id_posts_nothing() {
    on_every_backend(|app| async move {
        let b = app.backend;
        let companies = clients_with_one_offs(&app, 1).await;
        set_clock(&app, AFTER);
        let draft = drafts_by_company(&run(&app).await)[&companies[0]];

        let (status, body) = call(
            &app,
            "POST",
            "/api/v1/documents/post",
            json!({"ids": [draft, 999_999]}),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{b}: posting [draft {draft}, unknown 999999] should be refused with 404: {body}"
        );
        let doc = ok(
            &app,
            "GET",
            &format!("/api/v1/documents/{draft}"),
            Value::Null,
        )
        .await;
        assert_eq!(
            (doc["status"].as_str(), doc["number"].as_str()),
            (Some("draft"), None),
            "{b}: a refused batch post must post nothing, but draft {draft} is now {} {}",
            doc["status"],
            doc["number"]
        );
        let posted = ok(
            &app,
            "POST",
            "/api/v1/documents/post",
            json!({"ids": [draft]}),
        )
        .await;
        assert_eq!(
            posted[0]["number"], "INV-00001",
            "{b}: the refused batch must not use up a number"
        );
    })
    .await;
}

#[tokio::test]
async fn a_goodwill_credit_note_never_stops_a_company_from_being_invoiced() {
    on_every_backend(|app| async move {
        let b = app.backend;
        let companies = clients_with_one_offs(&app, 2).await;
        let (early, late) = (companies[0], companies[1]);
        set_clock(&app, AFTER);
        let goodwill = |company: i64| {
            ok(
                &app,
                "POST",
                "/api/v1/credit-notes/goodwill",
                json!({"company_id": company, "period": PERIOD, "lines": [{"description": "Outage apology", "amount": "10.00"}]}),
            )
        };

        // Before the first run the open period reaches back over January.
        goodwill(early).await;
        let first = run(&app).await;
        assert!(
            drafts_by_company(&first).contains_key(&early),
            "{b}: a goodwill credit note for {PERIOD} made the first run skip company {early}: drafts {:?}, skipped {}",
            drafts_by_company(&first),
            first["skipped_companies"]
        );

        // With the run's drafts pending, January is the open period.
        let open = ok(&app, "GET", "/api/v1/open-period", Value::Null).await;
        assert_eq!(open["period"], PERIOD, "{b}: {open}");
        goodwill(late).await;
        let second = run(&app).await;
        let drafts = drafts_by_company(&second);
        assert!(
            drafts.contains_key(&early) && drafts.contains_key(&late),
            "{b}: after goodwill credit notes for {PERIOD}, regenerating it should still invoice companies {early} and {late}: drafts {drafts:?}, skipped {}",
            second["skipped_companies"]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_payments_at_once_settle_an_invoice_exactly_once() {
    on_every_backend(|app| async move {
        let b = app.backend;
        let companies = clients_with_one_offs(&app, 1).await;
        set_clock(&app, AFTER);
        let draft = drafts_by_company(&run(&app).await)[&companies[0]];
        ok(
            &app,
            "POST",
            "/api/v1/documents/post",
            json!({"ids": [draft]}),
        )
        .await;
        warm_up(&app, 10).await;
        let path = format!("/api/v1/documents/{draft}/payments");
        let (status, body) = call(&app, "POST", &path, json!({"amount": "10.001"})).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("amount")),
            "{b}: USD has two decimals: {body}"
        );
        let answers = join_all((0..10).map(|i| {
            call(
                &app,
                "POST",
                &path,
                json!({"amount": "20.00", "reference": format!("wire-{i}")}),
            )
        }))
        .await;
        let mut applied = rust_decimal::Decimal::ZERO;
        for (status, body) in &answers {
            assert!(
                status.is_success(),
                "{b}: a payment was refused: {status} {body}"
            );
            applied += body["applied"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap();
        }
        assert_eq!(
            applied.to_string(),
            "99.00",
            "{b}: ten payments of 20.00 on a 99.00 invoice must apply 99.00 in all, no more"
        );
        let doc = ok(
            &app,
            "GET",
            &format!("/api/v1/documents/{draft}"),
            Value::Null,
        )
        .await;
        assert_eq!(doc["status"], "paid", "{b}");
    })
    .await;
}
