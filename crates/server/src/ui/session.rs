//! Web sessions: the cookie, the login form, logout, and where to go after signing in.
//!
//! The cookie `ub_session` carries a random 256-bit secret; the engine keeps its SHA-256 with
//! the user, expiry (12 hours) and revocation, and every request looks it up (one query by
//! primary key), so logging out or changing the password ends a session everywhere at once,
//! in every `serve` process on the database. The cookie is `HttpOnly`, `SameSite=Lax`, and
//! `Secure` under `--secure-cookies` or when a proxy says the request came over HTTPS.
//!
//! Sign-in is throttled by the engine per account and per client address (the socket's peer,
//! or with `--trust-proxy` the last `X-Forwarded-For` entry); a throttled attempt is answered
//! 429 with `Retry-After`, worded the same whether or not the account exists.

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use unitbill_engine::signin::{SESSION_SECONDS, SignInAttempt, SignInError};
use unitbill_store::Role;

use super::{Layout, UiError, render_status};
use crate::AppState;

const COOKIE_NAME: &str = "ub_session";

/// A signed-in person, as their stored session says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub tenant_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub email: String,
}

impl Session {
    /// Who made a change, as change logs record it.
    pub fn actor(&self) -> String {
        format!("user:{} ({})", self.user_id, self.email)
    }

    /// Refuses a person whose role is below `role`.
    pub fn require(&self, role: Role) -> Result<(), UiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(UiError::Forbidden(format!(
                "this needs the {} role; you are signed in as {}",
                role.as_str(),
                self.role.as_str()
            )))
        }
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session cookie, `Secure` when the server is told to or the request came over HTTPS.
pub(crate) fn set_cookie(
    state: &AppState,
    headers: &HeaderMap,
    value: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = state.secure_cookies || over_https(headers);
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    ))
    .expect("cookie text is ASCII")
}

fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// `path` if it is a path of this site: one leading `/`, no `//`, no backslash, no control
/// characters or whitespace. Browsers drop tabs and newlines and read `\` as `/`, so
/// `/\t/evil.example` or `/\evil.example` would otherwise leave the site. `path` is the
/// decoded value (the form or query string already decoded it).
pub(crate) fn same_origin_path(path: &str) -> Option<&str> {
    let safe = path.starts_with('/')
        && !path.contains("//")
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c.is_whitespace());
    safe.then_some(path)
}

/// Where to go after signing in: a path of this site, else the dashboard.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(same_origin_path).unwrap_or("/").to_owned()
}

/// Sends the browser to `to`; htmx requests get `HX-Redirect` so the whole page changes.
pub(crate) fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    res.headers_mut().insert(
        LOCATION,
        HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/")),
    );
    res
}

/// The secret of the request's session cookie, if it sent one.
pub(crate) fn cookie_secret(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, COOKIE_NAME).filter(|v| !v.is_empty())
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let found = match cookie_secret(&parts.headers) {
            Some(secret) => state
                .engine
                .session(secret)
                .await
                .map_err(|e| UiError::Engine(e).into_response())?,
            None => None,
        };
        match found {
            Some(s) => Ok(Session {
                tenant_id: s.tenant_id,
                user_id: s.user_id,
                role: s.role,
                email: s.email,
            }),
            None => Err(to_login(parts)),
        }
    }
}

/// Sends a request without a live session to the login page, to come back afterwards.
fn to_login(parts: &Parts) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let to = if here == "/" {
        "/login".to_owned()
    } else {
        format!("/login?next={}", encode_query(here))
    };
    if parts.headers.contains_key("hx-request") {
        let mut res = StatusCode::OK.into_response();
        res.headers_mut().insert(
            "hx-redirect",
            HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/login")),
        );
        res
    } else {
        redirect(&to)
    }
}

/// The client's address: the socket's peer, or behind a trusted proxy the address it saw.
pub(crate) struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if !state.trust_proxy {
            return Ok(Self(peer));
        }
        // The proxy appends the address it saw last; earlier entries are the client's to forge.
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|a| a.trim().parse().ok());
        Ok(Self(forwarded.or(peer)))
    }
}

/// Percent-encodes a query value (only what a path and query can hold).
pub(crate) fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    tenant: String,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
    tenant: Option<String>,
}

pub(crate) async fn login_form(Query(q): Query<NextQuery>) -> Response {
    render_status(
        StatusCode::OK,
        &LoginPage {
            layout: Layout::signed_out("Sign in"),
            tenant: q.tenant.unwrap_or_default(),
            email: String::new(),
            next: safe_next(q.next.as_deref()),
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct LoginInput {
    tenant: String,
    email: String,
    password: String,
    next: Option<String>,
}

/// The words of a throttled sign-in: the same for every account, existing or not.
pub(crate) fn throttled_message(retry_after: i64) -> String {
    let minutes = (retry_after + 59) / 60;
    let wait = if retry_after == 1 {
        "1 second".to_owned()
    } else if retry_after < 60 {
        format!("{retry_after} seconds")
    } else if minutes == 1 {
        "1 minute".to_owned()
    } else {
        format!("{minutes} minutes")
    };
    format!("Too many failed sign-ins. Try again in {wait}.")
}

pub(crate) async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(input): Form<LoginInput>,
) -> Response {
    let next = safe_next(input.next.as_deref());
    let attempt = SignInAttempt {
        tenant: input.tenant.trim(),
        email: &input.email,
        password: &input.password,
        client,
    };
    let (status, message, retry_after) = match state.engine.sign_in(attempt).await {
        Ok(issued) => {
            let mut res = redirect(&next);
            res.headers_mut().insert(
                SET_COOKIE,
                set_cookie(&state, &headers, &issued.secret, SESSION_SECONDS),
            );
            return res;
        }
        Err(SignInError::Refused) => (
            StatusCode::UNAUTHORIZED,
            "The organization, email or password is not right.".to_owned(),
            None,
        ),
        Err(SignInError::Throttled { retry_after }) => (
            StatusCode::TOO_MANY_REQUESTS,
            throttled_message(retry_after),
            Some(retry_after),
        ),
        Err(SignInError::Engine(e)) => {
            tracing::error!(error = %e, "login failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Signing in failed on the server; try again.".to_owned(),
                None,
            )
        }
    };
    let mut res = render_status(
        status,
        &LoginPage {
            layout: Layout::signed_out("Sign in"),
            tenant: input.tenant,
            email: input.email,
            next,
            error: Some(message),
        },
    );
    if let Some(seconds) = retry_after {
        res.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    }
    res
}

/// Revokes the session (everywhere, not only in this browser) and clears the cookie.
pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = cookie_secret(&headers)
        && let Err(e) = state.engine.sign_out(secret).await
    {
        return UiError::Engine(e).into_response();
    }
    let mut res = redirect("/login");
    res.headers_mut()
        .insert(SET_COOKIE, set_cookie(&state, &headers, "", 0));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/companies")), "/companies");
        assert_eq!(
            safe_next(Some("/companies/4?tab=units")),
            "/companies/4?tab=units"
        );
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\t/evil.example",
            "/%09/evil.example".replace("%09", "\t").as_str(),
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "/\u{2028}/evil.example",
            "/a//evil.example",
            "///evil.example",
            "evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn throttled_words_round_up() {
        assert_eq!(
            throttled_message(4),
            "Too many failed sign-ins. Try again in 4 seconds."
        );
        assert_eq!(
            throttled_message(61),
            "Too many failed sign-ins. Try again in 2 minutes."
        );
        assert_eq!(
            throttled_message(60),
            "Too many failed sign-ins. Try again in 1 minute."
        );
    }
}
