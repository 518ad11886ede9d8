//! Sign-in resists attack, through the real HTTP server on each backend: throttling per
//! account and per address (429 with Retry-After, then a lockout; a success forgets the
//! account's failures), equal argon2 work for unknown accounts, the password policy, sessions
//! that logout and password changes revoke, `Secure` + HSTS under `secure_cookies`, the
//! open redirect closed, and the security headers on API, download and UI responses.

mod helpers;

use std::net::SocketAddr;

use helpers::{TestApp, ok, set_clock, spawn_apps};
use reqwest::StatusCode;
use serde_json::json;
use unitbill_engine::EngineError;
use unitbill_server::{AppState, BodyLimits};
use unitbill_store::Role;

const NOW: &str = "2026-01-15T12:00:00Z";
const EMAIL: &str = "ann@acme.example";
const PASSWORD: &str = "a long password";

/// The apps with a signed-in-able admin, `ann`.
async fn apps() -> Vec<TestApp> {
    let apps = spawn_apps(NOW, BodyLimits::default()).await;
    for app in &apps {
        app.engine
            .add_user(app.tenant_id, EMAIL, PASSWORD, Role::Admin)
            .await
            .expect("user");
    }
    apps
}

/// A client that shows redirects instead of following them (cookies are handled by hand).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What a response said: status, headers, body.
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The session secret a `Set-Cookie` carries, if any.
    fn session_cookie(&self) -> Option<String> {
        let set = self.header("set-cookie");
        let value = set.strip_prefix("ub_session=")?.split(';').next()?;
        (!value.is_empty()).then(|| value.to_owned())
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

async fn post_form(
    base: &str,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> Answer {
    let mut req = client()
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(fields));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("ub_session={c}"));
    }
    answer(req.send().await.unwrap()).await
}

async fn login_at(base: &str, tenant: &str, email: &str, password: &str, next: &str) -> Answer {
    post_form(
        base,
        "/login",
        None,
        &[
            ("tenant", tenant),
            ("email", email),
            ("password", password),
            ("next", next),
        ],
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Answer {
    login_at(&app.base, "acme-msp", email, password, "/").await
}

async fn get_page(base: &str, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = client().get(format!("{base}{path}"));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("ub_session={c}"));
    }
    answer(req.send().await.unwrap()).await
}

/// Signs in and returns the session secret.
async fn signed_in(app: &TestApp, password: &str) -> String {
    let a = login(app, EMAIL, password).await;
    assert_eq!(
        a.status,
        StatusCode::SEE_OTHER,
        "{}: {}",
        app.backend,
        a.body
    );
    a.session_cookie().expect("a session cookie")
}

/// Whether a cookie still signs in: the settings page shows, or the login page is where we go.
async fn cookie_works(app: &TestApp, cookie: &str) -> bool {
    let a = get_page(&app.base, "/settings", Some(cookie)).await;
    match a.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert!(
                a.header("location").starts_with("/login"),
                "{}",
                a.header("location")
            );
            false
        }
        other => panic!("{}: /settings answered {other}", app.backend),
    }
}

#[tokio::test]
async fn failures_delay_then_lock_out_the_account_and_the_wording_hides_who_exists() {
    for app in apps().await {
        let b = app.backend;
        for i in 0..5 {
            let a = login(&app, EMAIL, "not the password").await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{b}: failure {i}");
        }
        // The sixth attempt waits 2 s, right password or not, without verifying anything.
        let before = app.engine.password_verifications();
        for password in ["not the password", PASSWORD] {
            let a = login(&app, EMAIL, password).await;
            assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{b}");
            assert_eq!(a.header("retry-after"), "2", "{b}");
            assert!(
                a.body
                    .contains("Too many failed sign-ins. Try again in 2 seconds."),
                "{b}"
            );
            assert!(a.session_cookie().is_none(), "{b}");
        }
        assert_eq!(
            app.engine.password_verifications(),
            before,
            "{b}: throttled work"
        );
        // An account that does not exist is throttled in the same words.
        for _ in 0..5 {
            login(&app, "nobody@acme.example", "not the password").await;
        }
        let ghost = login(&app, "nobody@acme.example", "not the password").await;
        assert_eq!(ghost.status, StatusCode::TOO_MANY_REQUESTS, "{b}");
        assert!(
            ghost
                .body
                .contains("Too many failed sign-ins. Try again in 2 seconds."),
            "{b}"
        );
        // Each further failure doubles the wait; the tenth locks the account for 15 minutes.
        let mut t: jiff::Timestamp = NOW.parse().unwrap();
        for (failure, wait) in [(6, "4"), (7, "8"), (8, "16"), (9, "32"), (10, "900")] {
            t += jiff::SignedDuration::from_secs(40);
            set_clock(&app, &t.to_string());
            let a = login(&app, EMAIL, "not the password").await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{b}: failure {failure}");
            let a = login(&app, EMAIL, PASSWORD).await;
            assert_eq!(
                a.status,
                StatusCode::TOO_MANY_REQUESTS,
                "{b}: after failure {failure}"
            );
            assert_eq!(
                a.header("retry-after"),
                wait,
                "{b}: after failure {failure}"
            );
        }
        set_clock(
            &app,
            &(t + jiff::SignedDuration::from_secs(899)).to_string(),
        );
        let a = login(&app, EMAIL, PASSWORD).await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{b}: still locked");
        assert!(a.body.contains("Try again in 1 second."), "{b}: {}", a.body);
        set_clock(
            &app,
            &(t + jiff::SignedDuration::from_secs(900)).to_string(),
        );
        assert_eq!(
            login(&app, EMAIL, PASSWORD).await.status,
            StatusCode::SEE_OTHER,
            "{b}: lockout over"
        );
    }
}

#[tokio::test]
async fn a_success_forgets_the_accounts_failures() {
    for app in apps().await {
        let b = app.backend;
        for _ in 0..4 {
            assert_eq!(
                login(&app, EMAIL, "not the password").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        signed_in(&app, PASSWORD).await;
        // Without the reset the fifth of these would be the ninth failure, and refused.
        for i in 0..5 {
            let a = login(&app, EMAIL, "not the password").await;
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "{b}: failure {i} after the success"
            );
        }
        assert_eq!(
            login(&app, EMAIL, PASSWORD).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{b}"
        );
    }
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_throttled_and_forwarded_for_is_not_trusted() {
    for app in apps().await {
        let b = app.backend;
        for i in 0..20 {
            let a = answer(
                client()
                    .post(app.url("/login"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    // A forged header must not give each guess a fresh address.
                    .header("x-forwarded-for", format!("203.0.113.{i}"))
                    .body(form(&[
                        ("tenant", "acme-msp"),
                        ("email", &format!("guess{i}@acme.example")),
                        ("password", "not the password"),
                    ]))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{b}: guess {i}");
        }
        // A fresh account from the same address waits too: the address is throttled.
        let a = login(&app, EMAIL, PASSWORD).await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{b}");
        assert_eq!(a.header("retry-after"), "2", "{b}");
        // The address's counter survives a success of an account (once the delay passed).
        set_clock(&app, "2026-01-15T12:00:03Z");
        signed_in(&app, PASSWORD).await;
        assert_eq!(
            login(&app, "guess99@acme.example", "x").await.status,
            StatusCode::UNAUTHORIZED,
            "{b}"
        );
        assert_eq!(
            login(&app, "guess98@acme.example", "x").await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{b}"
        );
    }
}

#[tokio::test]
async fn unknown_tenants_and_emails_verify_a_dummy_hash_and_answer_alike() {
    for app in apps().await {
        let b = app.backend;
        let mut bodies = Vec::new();
        for (tenant, email) in [
            ("acme-msp", EMAIL),
            ("acme-msp", "nobody@acme.example"),
            ("no-such-msp", EMAIL),
        ] {
            let before = app.engine.password_verifications();
            let a = login_at(&app.base, tenant, email, "not the password", "/").await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{b}: {tenant} {email}");
            assert_eq!(
                app.engine.password_verifications(),
                before + 1,
                "{b}: {tenant} {email} must cost one argon2 verification"
            );
            bodies.push(
                a.body
                    .replace(&format!("value=\"{tenant}\""), "value=\"T\"")
                    .replace(&format!("value=\"{email}\""), "value=\"E\""),
            );
        }
        assert_eq!(bodies[0], bodies[1], "{b}");
        assert_eq!(bodies[0], bodies[2], "{b}");
    }
}

#[tokio::test]
async fn weak_passwords_are_refused_naming_the_field() {
    for app in apps().await {
        let b = app.backend;
        for weak in [
            "password",
            "        ",
            "            ",
            "short pass",
            "password1234",
            "Football2024!",
        ] {
            match app
                .engine
                .add_user(app.tenant_id, "bo@acme.example", weak, Role::Viewer)
                .await
            {
                Err(EngineError::Invalid(errors)) => {
                    assert_eq!(errors[0].field, "password", "{b}: {weak:?}")
                }
                other => panic!("{b}: {weak:?} gave {other:?}"),
            }
        }
        // Through the settings form: the new password is refused by name, the old one stays.
        let cookie = signed_in(&app, PASSWORD).await;
        let a = post_form(
            &app.base,
            "/settings/password",
            Some(&cookie),
            &[
                ("current_password", PASSWORD),
                ("new_password", "password1234"),
            ],
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(
            a.body.contains("id=\"password-new-error\""),
            "{b}: {}",
            a.body
        );
        assert!(a.body.contains("is too common"), "{b}");
        assert!(
            cookie_works(&app, &cookie).await,
            "{b}: a refused change signs nobody out"
        );
        assert_eq!(
            login(&app, EMAIL, PASSWORD).await.status,
            StatusCode::SEE_OTHER,
            "{b}"
        );
    }
}

#[tokio::test]
async fn logout_revokes_the_session_on_the_server() {
    for app in apps().await {
        let b = app.backend;
        let cookie = signed_in(&app, PASSWORD).await;
        assert!(cookie_works(&app, &cookie).await, "{b}");
        let out = post_form(&app.base, "/logout", Some(&cookie), &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "{b}");
        assert!(out.header("set-cookie").contains("Max-Age=0"), "{b}");
        // A copy of the cookie kept after logout signs nobody in.
        assert!(
            !cookie_works(&app, &cookie).await,
            "{b}: the cookie outlived logout"
        );
        // Nor does a made-up one, or an expired one.
        assert!(!cookie_works(&app, &"ab".repeat(32)).await, "{b}");
        let cookie = signed_in(&app, PASSWORD).await;
        set_clock(&app, "2026-01-16T00:00:01Z");
        assert!(
            !cookie_works(&app, &cookie).await,
            "{b}: the session outlived 12 hours"
        );
    }
}

#[tokio::test]
async fn a_password_change_revokes_every_session_but_the_reissued_one() {
    for app in apps().await {
        let b = app.backend;
        let here = signed_in(&app, PASSWORD).await;
        let elsewhere = signed_in(&app, PASSWORD).await;
        let wrong = post_form(
            &app.base,
            "/settings/password",
            Some(&here),
            &[
                ("current_password", "not the password"),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(wrong.body.contains("id=\"password-current-error\""), "{b}");
        let changed = post_form(
            &app.base,
            "/settings/password",
            Some(&here),
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
        assert_eq!(
            changed.status,
            StatusCode::SEE_OTHER,
            "{b}: {}",
            changed.body
        );
        let reissued = changed
            .session_cookie()
            .expect("a new session for this browser");
        assert!(
            !cookie_works(&app, &elsewhere).await,
            "{b}: another browser stayed signed in"
        );
        assert!(
            !cookie_works(&app, &here).await,
            "{b}: the old session of this browser stayed"
        );
        assert!(cookie_works(&app, &reissued).await, "{b}");
        assert_eq!(
            login(&app, EMAIL, PASSWORD).await.status,
            StatusCode::UNAUTHORIZED,
            "{b}"
        );
        assert_eq!(
            login(&app, EMAIL, "a brand new passphrase").await.status,
            StatusCode::SEE_OTHER,
            "{b}"
        );
        // The operator's way (`unitbill user password`) signs every session out.
        app.engine
            .set_password(app.tenant_id, EMAIL, "yet another passphrase")
            .await
            .unwrap();
        assert!(!cookie_works(&app, &reissued).await, "{b}");
    }
}

/// The app's engine served again with `secure_cookies` on, on a new port.
async fn serve_secure(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let router = unitbill_server::router(AppState {
        secure_cookies: true,
        ..AppState::new(app.engine.clone())
    });
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn secure_cookies_force_secure_and_send_hsts() {
    for app in apps().await {
        let b = app.backend;
        let plain = login(&app, EMAIL, PASSWORD).await;
        assert!(!plain.header("set-cookie").contains("Secure"), "{b}");
        assert_eq!(plain.header("strict-transport-security"), "", "{b}");
        // Behind a proxy that says HTTPS the cookie is Secure, as before.
        let proxied = answer(
            client()
                .post(app.url("/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-forwarded-proto", "https")
                .body(form(&[
                    ("tenant", "acme-msp"),
                    ("email", EMAIL),
                    ("password", PASSWORD),
                ]))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(proxied.header("set-cookie").contains("; Secure"), "{b}");

        let secure = serve_secure(&app).await;
        let a = login_at(&secure, "acme-msp", EMAIL, PASSWORD, "/").await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{b}");
        assert!(
            a.header("set-cookie").contains("; Secure"),
            "{b}: {}",
            a.header("set-cookie")
        );
        assert!(a.header("set-cookie").contains("HttpOnly"), "{b}");
        let hsts = "max-age=31536000; includeSubDomains";
        assert_eq!(a.header("strict-transport-security"), hsts, "{b}");
        let page = get_page(&secure, "/login", None).await;
        assert_eq!(page.header("strict-transport-security"), hsts, "{b}");
        let api = answer(
            client()
                .get(format!("{secure}/api/v1/documents"))
                .bearer_auth(&app.token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(api.status, StatusCode::OK, "{b}");
        assert_eq!(api.header("strict-transport-security"), hsts, "{b}");
    }
}

#[tokio::test]
async fn next_is_only_ever_a_path_of_this_site() {
    for app in apps().await {
        let b = app.backend;
        // The example: `%2F%09%2F` decodes to `/\t/`, which browsers read as `//`.
        let page = get_page(&app.base, "/login?next=%2F%09%2Fevil.example", None).await;
        assert!(
            page.body.contains("name=\"next\" value=\"/\""),
            "{b}: {}",
            page.body
        );
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/ /evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/%09/evil.example",
        ] {
            let a = login_at(&app.base, "acme-msp", EMAIL, PASSWORD, hostile).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{b}: {hostile:?}");
            let location = a.header("location");
            // `/%09/...` stays encoded in a path, which browsers do not decode into a host.
            assert!(
                location == "/" || location == "/%09/evil.example",
                "{b}: {hostile:?} went to {location:?}"
            );
        }
        let a = login_at(&app.base, "acme-msp", EMAIL, PASSWORD, "/companies?tab=all").await;
        assert_eq!(a.header("location"), "/companies?tab=all", "{b}");
    }
}

fn assert_headers(a: &Answer, what: &str, ui: bool) {
    assert_eq!(a.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(a.header("cache-control"), "no-store", "{what}");
    if ui {
        assert!(
            a.header("permissions-policy").contains("camera=()"),
            "{what}"
        );
        assert!(
            a.header("permissions-policy").contains("geolocation=()"),
            "{what}"
        );
        assert_eq!(
            a.header("cross-origin-opener-policy"),
            "same-origin",
            "{what}"
        );
        assert_eq!(a.header("referrer-policy"), "same-origin", "{what}");
        assert_eq!(a.header("x-frame-options"), "DENY", "{what}");
    }
}

#[tokio::test]
async fn api_downloads_and_pages_carry_the_security_headers() {
    for app in apps().await {
        let b = app.backend;
        let c = ok(
            &app,
            "POST",
            "/api/v1/companies",
            json!({"name": "Client A"}),
        )
        .await;
        ok(&app, "POST", "/api/v1/one-offs", json!({"company_id": c["id"], "period": "2026-01", "description": "Onboarding", "quantity": "1", "unit_price": "99.00"})).await;
        set_clock(&app, "2026-02-01T12:00:00Z");
        let run = ok(
            &app,
            "POST",
            "/api/v1/invoice-runs",
            json!({"period": "2026-01"}),
        )
        .await;
        let id = run["documents"][0]["id"].as_i64().expect("a draft");
        ok(&app, "POST", "/api/v1/documents/post", json!({"ids": [id]})).await;

        let get = |path: String, bearer: bool| {
            let mut req = client().get(app.url(&path));
            if bearer {
                req = req.bearer_auth(&app.token);
            }
            async move { answer(req.send().await.unwrap()).await }
        };
        let api = get("/api/v1/documents".into(), true).await;
        assert_eq!(api.status, StatusCode::OK, "{b}");
        assert_headers(&api, &format!("{b}: API JSON"), false);
        let refused = get("/api/v1/documents".into(), false).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{b}");
        assert_headers(&refused, &format!("{b}: API refusal"), false);
        let pdf = get(format!("/api/v1/documents/{id}/pdf"), true).await;
        assert_eq!(pdf.status, StatusCode::OK, "{b}: {}", pdf.body);
        assert_eq!(pdf.header("content-type"), "application/pdf", "{b}");
        assert_headers(&pdf, &format!("{b}: API PDF"), false);

        let cookie = signed_in(&app, PASSWORD).await;
        let page = get_page(&app.base, "/settings", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert_headers(&page, &format!("{b}: UI page"), true);
        let login_page = get_page(&app.base, "/login", None).await;
        assert_headers(&login_page, &format!("{b}: login page"), true);
        let download = get_page(
            &app.base,
            &format!("/documents/{id}/download/pdf"),
            Some(&cookie),
        )
        .await;
        assert_eq!(download.status, StatusCode::OK, "{b}");
        assert_headers(&download, &format!("{b}: UI PDF download"), true);
        // Vendored assets are named by content and may be cached.
        let css = page
            .body
            .split("href=\"/assets/")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("")
            .to_owned();
        let asset = get_page(&app.base, &format!("/assets/{css}"), None).await;
        assert_eq!(asset.status, StatusCode::OK, "{b}: {css}");
        assert_eq!(asset.header("x-content-type-options"), "nosniff", "{b}");
        assert_ne!(asset.header("cache-control"), "no-store", "{b}");
    }
}

/// A form field the text rule refuses (a NUL, which PostgreSQL cannot store, or over 1,000
/// characters) answers a 422 page naming the field and creates nothing, on both backends.
#[tokio::test]
async fn ui_forms_refuse_control_characters_and_overlong_text() {
    for app in apps().await {
        let b = app.backend;
        let cookie = signed_in(&app, PASSWORD).await;
        let long = "x".repeat(1001);
        for name in ["Ac\u{0}me", "Ac\u{1b}me", long.as_str()] {
            let a = post_form(
                &app.base,
                "/companies/new",
                Some(&cookie),
                &[
                    ("name", name),
                    ("status", "active"),
                    ("currency", "USD"),
                    ("payment_terms_days", "30"),
                ],
            )
            .await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{b}: {}",
                a.body
            );
            assert!(
                a.body.contains("name:"),
                "{b}: the page names the field: {}",
                a.body
            );
        }
        let companies = ok(&app, "GET", "/api/v1/companies", serde_json::Value::Null).await;
        assert_eq!(
            companies.as_array().map(Vec::len),
            Some(0),
            "{b}: {companies}"
        );
        // The same form with a plain name is taken.
        let a = post_form(
            &app.base,
            "/companies/new",
            Some(&cookie),
            &[
                ("name", "Acme"),
                ("status", "active"),
                ("currency", "USD"),
                ("payment_terms_days", "30"),
            ],
        )
        .await;
        assert!(
            a.status.is_redirection() || a.status.is_success(),
            "{b}: {}",
            a.status
        );
    }
}

/// Sign-in with text no account can hold is a plain failed sign-in, never a server error.
#[tokio::test]
async fn a_sign_in_with_control_characters_is_refused_like_any_wrong_password() {
    for app in apps().await {
        let b = app.backend;
        for (tenant, email) in [("acme-msp", "ann\u{0}@acme.example"), ("acme\u{0}", EMAIL)] {
            let a = login_at(&app.base, tenant, email, PASSWORD, "/").await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{b}: {}", a.body);
        }
    }
}
