//! Web sessions: a signed cookie, the login form and logout.
//!
//! The cookie holds `tenant_id|user_id|role|expiry|hex(email)` and an HMAC-SHA256 of it under
//! `AppState.session_key`; nothing is stored server-side, so any number of `serve` processes
//! sharing the key accept it. It is `HttpOnly` and `SameSite=Lax` and lasts 12 hours. Logging
//! out clears it in the browser (a copied cookie stays valid until it expires).

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use unitbill_engine::EngineError;
use unitbill_store::Role;

use super::{Layout, UiError, render_status};
use crate::AppState;

const COOKIE_NAME: &str = "ub_session";
/// How long a login lasts.
pub(crate) const SESSION_SECONDS: i64 = 12 * 60 * 60;

/// A signed-in person, as the cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub tenant_id: i64,
    pub user_id: i64,
    pub role: Role,
    /// Unix seconds after which the cookie is refused.
    pub expires: i64,
    pub email: String,
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
}

impl Session {
    fn payload(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.tenant_id,
            self.user_id,
            self.role.as_str(),
            self.expires,
            hex::encode(self.email.as_bytes())
        )
    }

    /// The cookie value: payload, a dot, and the hex HMAC of the payload.
    pub fn encode(&self, key: &[u8]) -> String {
        let payload = self.payload();
        let mut m = mac(key);
        m.update(payload.as_bytes());
        format!("{payload}.{}", hex::encode(m.finalize().into_bytes()))
    }

    /// The session a cookie value carries, if its signature is right and it has not expired.
    pub fn decode(value: &str, key: &[u8], now: i64) -> Option<Self> {
        let (payload, sig) = value.rsplit_once('.')?;
        let mut m = mac(key);
        m.update(payload.as_bytes());
        m.verify_slice(&hex::decode(sig).ok()?).ok()?;
        let mut parts = payload.split('|');
        let session = Self {
            tenant_id: parts.next()?.parse().ok()?,
            user_id: parts.next()?.parse().ok()?,
            role: Role::parse(parts.next()?)?,
            expires: parts.next()?.parse().ok()?,
            email: String::from_utf8(hex::decode(parts.next()?).ok()?).ok()?,
        };
        (parts.next().is_none() && session.expires > now).then_some(session)
    }

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

fn now_seconds(state: &AppState) -> i64 {
    state.engine.clock.now().as_second()
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

/// The session cookie; `Secure` when the request reached a proxy over HTTPS.
fn set_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
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

/// Where to go after signing in: a path of this site, never another host.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
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

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = cookie_value(&parts.headers, COOKIE_NAME)
            .and_then(|v| Session::decode(v, &state.session_key[..], now_seconds(state)));
        match session {
            Some(s) => Ok(s),
            None => {
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
                    Err(res)
                } else {
                    Err(redirect(&to))
                }
            }
        }
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

pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(input): Form<LoginInput>,
) -> Response {
    let next = safe_next(input.next.as_deref());
    match state
        .engine
        .login(input.tenant.trim(), &input.email, &input.password)
        .await
    {
        Ok(user) => {
            let session = Session {
                tenant_id: user.tenant_id,
                user_id: user.id,
                role: user.role,
                expires: now_seconds(&state) + SESSION_SECONDS,
                email: user.email,
            };
            let mut res = redirect(&next);
            res.headers_mut().insert(
                SET_COOKIE,
                set_cookie(
                    &session.encode(&state.session_key[..]),
                    SESSION_SECONDS,
                    over_https(&headers),
                ),
            );
            res
        }
        Err(e) => {
            let message = match e {
                EngineError::Unauthorized => {
                    "The organization, email or password is not right.".to_owned()
                }
                other => {
                    tracing::error!(error = %other, "login failed");
                    "Signing in failed on the server; try again.".to_owned()
                }
            };
            render_status(
                StatusCode::UNAUTHORIZED,
                &LoginPage {
                    layout: Layout::signed_out("Sign in"),
                    tenant: input.tenant,
                    email: input.email,
                    next,
                    error: Some(message),
                },
            )
        }
    }
}

pub(crate) async fn logout(headers: HeaderMap) -> Response {
    let mut res = redirect("/login");
    res.headers_mut()
        .insert(SET_COOKIE, set_cookie("", 0, over_https(&headers)));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Session {
        Session {
            tenant_id: 7,
            user_id: 3,
            role: Role::Billing,
            expires: 2_000,
            email: "ann|x@acme.example".into(),
        }
    }

    #[test]
    fn a_signed_session_round_trips() {
        let key = [9u8; 64];
        let v = sample().encode(&key);
        assert_eq!(Session::decode(&v, &key, 1_000), Some(sample()));
    }

    #[test]
    fn tampered_expired_or_foreign_cookies_are_refused() {
        let key = [9u8; 64];
        let v = sample().encode(&key);
        assert_eq!(Session::decode(&v, &key, 2_000), None, "expired");
        assert_eq!(Session::decode(&v, &[8u8; 64], 1_000), None, "other key");
        let forged = v.replacen("7|3|billing", "7|3|admin", 1);
        assert_eq!(Session::decode(&forged, &key, 1_000), None, "role raised");
        assert_eq!(Session::decode("garbage", &key, 1_000), None);
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/companies")), "/companies");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
