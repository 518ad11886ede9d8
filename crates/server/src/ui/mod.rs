//! The server-rendered web UI: askama templates (`crates/server/templates`), htmx and one CSS
//! file served from the binary (`crates/server/assets`), sessions in a signed cookie.
//!
//! Every page is a full HTML document; the body is `hx-boost`ed, so links and forms swap the
//! body without a reload when JavaScript runs, and work as plain links and forms when it does
//! not. A form posts, and either redirects (303) to the page that shows the result or renders
//! its page again with the engine's errors next to the fields they name (422). State-changing
//! requests are refused cross-site by tower-http's CSRF layer (`Sec-Fetch-Site` / `Origin`).
//!
//! Pages: dashboard (`/`: insights inbox, last sync, units and revenue), modules (sync now),
//! mapping (by company, by organization), companies (unit history chart, activity log),
//! services, contracts, invoices (run preview, posting, documents with their line drill-down,
//! payments, voids, credits, one-offs, aging), settings. Downloads (PDF, UBL, CSV) have a
//! marked place on the document page and no link until their routes exist.

mod assets;
mod charts;
mod companies;
mod contracts;
mod dashboard;
mod documents;
mod invoices;
mod mapping;
mod modules;
mod services;
mod session;
mod settings;

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use rust_decimal::Decimal;
use unitbill_domain::money::Currency;
use unitbill_domain::period::Period;
use unitbill_domain::text;
use unitbill_domain::usage::FieldError;
use unitbill_engine::EngineError;
use unitbill_engine::tenants::tenant_today;
use unitbill_store::{Role, Tenant};

use crate::AppState;
pub(crate) use session::{Session, redirect};

pub fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(dashboard::page))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/insights", post(dashboard::set_insight))
        .route("/sync", post(modules::sync_now))
        .route("/modules", get(modules::page))
        .route("/modules/custom", post(modules::connect_custom))
        .route("/modules/{code}/connect", post(modules::connect))
        .route("/modules/{code}/billing", post(modules::billing))
        .route("/modules/{code}/keys", post(modules::new_key))
        .route("/mapping", get(mapping::by_company))
        .route("/mapping/accept", post(mapping::accept_row))
        .route("/mapping/accept-all", post(mapping::accept_all))
        .route("/mapping/orgs", get(mapping::by_org).post(mapping::map_org))
        .route("/companies", get(companies::list))
        .route(
            "/companies/new",
            get(companies::new_form).post(companies::create),
        )
        .route("/companies/{id}", get(companies::show))
        .route(
            "/companies/{id}/edit",
            get(companies::edit_form).post(companies::update),
        )
        .route(
            "/companies/{id}/contracts",
            post(companies::create_contract),
        )
        .route("/services", get(services::list).post(services::create))
        .route("/contracts/{id}", get(contracts::page))
        .route("/contracts/{id}/services", post(contracts::add_service))
        .route(
            "/contracts/{id}/service-mappings",
            post(contracts::map_services),
        )
        .route("/invoices", get(invoices::list))
        .route("/invoices/run", post(invoices::run))
        .route("/invoices/post", post(invoices::post))
        .route("/invoices/one-offs", post(invoices::one_off))
        .route("/invoices/aging", get(invoices::aging))
        .route("/documents/{id}", get(documents::show))
        .route(
            "/documents/{id}/download/{format}",
            get(documents::download),
        )
        .route("/documents/{id}/post", post(documents::post))
        .route("/documents/{id}/lines/{line}", get(documents::explain))
        .route("/documents/{id}/payments", post(documents::pay))
        .route(
            "/documents/{id}/apply-credit",
            post(documents::apply_credit),
        )
        .route("/documents/{id}/void", post(documents::void))
        .route("/documents/{id}/goodwill", post(documents::goodwill))
        .route("/settings", get(settings::page).post(settings::save))
        .route("/settings/tax-rates", post(settings::create_tax_rate))
        .route("/settings/password", post(settings::change_password))
        .layer(tower_http::csrf::CsrfLayer::new());
    Router::new()
        .merge(pages)
        .route("/assets/{name}", get(assets::serve))
}

/// What every page's frame shows: title, the active navigation entry, who is signed in.
pub(crate) struct Layout {
    pub title: String,
    pub nav: &'static str,
    pub signed_in: bool,
    pub tenant_name: String,
    pub user_email: String,
    pub role: &'static str,
    /// A one-line confirmation of what the last form did.
    pub flash: Option<String>,
    pub css: &'static str,
    pub js: &'static str,
}

impl Layout {
    pub fn signed_out(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            nav: "",
            signed_in: false,
            tenant_name: String::new(),
            user_email: String::new(),
            role: "",
            flash: None,
            css: assets::css_url(),
            js: assets::js_url(),
        }
    }

    /// Whether `entry` is the page shown (for `aria-current`).
    pub fn is(&self, entry: &str) -> bool {
        self.nav == entry
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub(crate) enum UiError {
    Engine(EngineError),
    Forbidden(String),
    /// A request that is not a form at all (its status and why).
    Rejected(StatusCode, String),
}

impl From<EngineError> for UiError {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self {
            UiError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
            UiError::Rejected(status, m) => (status, "Refused", m),
            UiError::Engine(EngineError::NotFound(what)) => (
                StatusCode::NOT_FOUND,
                "Not found",
                format!("There is no {what} here."),
            ),
            UiError::Engine(EngineError::Forbidden(m)) => (StatusCode::FORBIDDEN, "Not allowed", m),
            UiError::Engine(EngineError::Unauthorized) => return redirect("/login"),
            UiError::Engine(EngineError::Conflict(m)) => (StatusCode::CONFLICT, "Conflict", m),
            UiError::Engine(EngineError::Invalid(errors)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Refused",
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            UiError::Engine(EngineError::Store(err)) => {
                tracing::error!(error = %err, "storage failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not complete the request; nothing was changed.".to_owned(),
                )
            }
        };
        render_status(
            status,
            &ErrorPage {
                layout: Layout::signed_out(heading),
                heading: heading.to_owned(),
                message,
            },
        )
    }
}

pub(crate) type UiResult<T = Response> = Result<T, UiError>;

/// Pages load only this server's own script and stylesheet, and cannot be framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Renders a template with a status; a template error is logged and becomes a 500.
pub(crate) fn render_status<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut res = (status, Html(html)).into_response();
            let h = res.headers_mut();
            h.insert("cache-control", HeaderValue::from_static("no-store"));
            h.insert("content-security-policy", HeaderValue::from_static(CSP));
            h.insert("x-frame-options", HeaderValue::from_static("DENY"));
            h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
            h.insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

pub(crate) fn render<T: Template>(page: &T) -> UiResult {
    Ok(render_status(StatusCode::OK, page))
}

/// A page shown in answer to a form post that is the page at `url` (htmx shows `url` in the
/// location bar), e.g. an invoice run's preview with its report.
pub(crate) fn render_at<T: Template>(url: &str, page: &T) -> UiResult {
    let mut res = render_status(StatusCode::OK, page);
    if let Ok(v) = HeaderValue::from_str(url) {
        res.headers_mut().insert("hx-push-url", v);
    }
    Ok(res)
}

/// Whether htmx made the request (it then wants a fragment, not a page).
pub(crate) fn is_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-boosted")
}

/// A fragment for htmx: the rendered template alone, with the page's security headers.
pub(crate) fn render_fragment<T: Template>(page: &T) -> UiResult {
    Ok(render_status(StatusCode::OK, page))
}

/// A page rendered again with the errors of its form. `url` is the page's own address, which
/// htmx shows in the location bar (the form posted elsewhere).
pub(crate) fn render_invalid<T: Template>(url: &str, page: &T) -> UiResult {
    let mut res = render_status(StatusCode::UNPROCESSABLE_ENTITY, page);
    if let Ok(v) = HeaderValue::from_str(url) {
        res.headers_mut().insert("hx-push-url", v);
    }
    Ok(res)
}

/// A signed-in request with its tenant loaded: what every page starts from.
pub(crate) struct Ctx {
    pub state: AppState,
    pub session: Session,
    pub tenant: Tenant,
    /// Today in the tenant's time zone.
    pub today: Date,
    /// The day pages show the state of: today, or the open period's first day when that is
    /// later (a change made during month-end review shows at once).
    pub view_day: Date,
    /// The default effective date of changes (the engine's: the open period's first day).
    pub default_from: Date,
    pub flash: Option<String>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state).await?;
        Ctx::load(state, session, parts)
            .await
            .map_err(IntoResponse::into_response)
    }
}

impl Ctx {
    async fn load(state: &AppState, session: Session, parts: &Parts) -> UiResult<Self> {
        let engine = &state.engine;
        let tenant = match engine.tenant(session.tenant_id).await {
            Ok(t) => t,
            Err(EngineError::NotFound(_)) => {
                return Err(UiError::Engine(EngineError::Unauthorized));
            }
            Err(e) => return Err(e.into()),
        };
        let today = tenant_today(engine, &tenant)?;
        let default_from = engine.default_effective_date(tenant.id).await?;
        let param = |name: &str| {
            parts.uri.query().and_then(|q| {
                q.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| decode_query(v))
            })
        };
        let flash = param("done").filter(|m| {
            param("ds").as_deref() == Some(&flash_signature(&state.session_key[..], m))
        });
        Ok(Self {
            state: state.clone(),
            session,
            view_day: today.max(default_from),
            today,
            default_from,
            tenant,
            flash,
        })
    }

    pub fn tenant_id(&self) -> i64 {
        self.tenant.id
    }

    pub fn engine(&self) -> &unitbill_engine::Engine {
        &self.state.engine
    }

    pub fn layout(&self, title: impl Into<String>, nav: &'static str) -> Layout {
        Layout {
            title: title.into(),
            nav,
            signed_in: true,
            tenant_name: self.tenant.name.clone(),
            user_email: self.session.email.clone(),
            role: self.session.role.as_str(),
            flash: self.flash.clone(),
            css: assets::css_url(),
            js: assets::js_url(),
        }
    }

    pub fn require(&self, role: Role) -> UiResult<()> {
        self.session.require(role)
    }

    pub fn actor(&self) -> String {
        self.session.actor()
    }

    /// Redirects to `to` with a confirmation shown there. The message travels in the query,
    /// signed, so a link from elsewhere cannot make a page say something.
    pub fn done(&self, to: &str, message: &str) -> UiResult {
        let sep = if to.contains('?') { '&' } else { '?' };
        let (path, anchor) = match to.split_once('#') {
            Some((p, a)) => (p, format!("#{a}")),
            None => (to, String::new()),
        };
        Ok(redirect(&format!(
            "{path}{sep}done={}&ds={}{anchor}",
            session::encode_query(message),
            flash_signature(&self.state.session_key[..], message)
        )))
    }
}

fn flash_signature(key: &[u8], message: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    m.update(b"flash|");
    m.update(message.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..12])
}

fn decode_query(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fields of a submitted form, in order (checkbox lists repeat a name).
pub(crate) struct FormData(pub Vec<(String, String)>);

/// A form as the browser sent it, with the text rule of every API body applied to each value:
/// at most [`text::MAX_TEXT_CHARS`] characters and no control characters but tab and line breaks (a
/// NUL fails on PostgreSQL, and nothing a person types holds one). A refused form answers 422
/// naming the field and changes nothing; a body that is not a form answers 400 or 415.
impl<S: Send + Sync> axum::extract::FromRequest<S> for FormData {
    type Rejection = UiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, UiError> {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|e| UiError::Rejected(e.status(), e.body_text()))?;
        let mut errors = Vec::new();
        for (name, value) in &pairs {
            for why in text::problems(value, text::TAB_AND_LINE_BREAKS) {
                errors.push(FieldError::new(name, why));
            }
        }
        if errors.is_empty() {
            Ok(Self(pairs))
        } else {
            Err(UiError::Engine(EngineError::Invalid(errors)))
        }
    }
}

impl FormData {
    /// The first value of `name`, trimmed; empty values count as absent.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name` as typed (empty when absent).
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A form's refusals: per field (shown next to it) and general (shown above the form).
#[derive(Debug, Default)]
pub(crate) struct Errors {
    fields: Vec<FieldError>,
    pub general: Vec<String>,
}

impl Errors {
    /// The refusals of an engine error for a form showing `fields`; refusals naming another
    /// field become general ones. Storage failures stay errors (an error page).
    pub fn from_engine(e: EngineError, fields: &[&str]) -> UiResult<Self> {
        let mut out = Self::default();
        match e {
            EngineError::Invalid(list) => {
                for fe in list {
                    if fields.contains(&fe.field.as_str()) {
                        out.fields.push(fe);
                    } else {
                        out.general.push(format!("{}: {}", fe.field, fe.message));
                    }
                }
            }
            EngineError::Conflict(m) | EngineError::Forbidden(m) => out.general.push(m),
            EngineError::NotFound(what) => out.general.push(format!("not found: {what}")),
            other => return Err(other.into()),
        }
        Ok(out)
    }

    pub fn field(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push(FieldError::new(field, message));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Every field refusal, as "field: message".
    pub fn messages(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|e| format!("{}: {}", e.field.replace('_', " "), e.message))
            .collect()
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn any(&self) -> bool {
        !self.fields.is_empty() || !self.general.is_empty()
    }
}

/// A confidence in [0, 1] as a whole percentage.
pub(crate) fn percent(confidence: f64) -> String {
    format!("{:.0}%", (confidence * 100.0).floor())
}

/// A date for people: "2026-11-24"; the start of history reads as such.
pub(crate) fn day_text(d: Date) -> String {
    if d == Date::constant(1900, 1, 1) {
        "start of history".to_owned()
    } else {
        d.to_string()
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "November 2026".
pub(crate) fn period_label(p: Period) -> String {
    format!("{} {}", MONTHS[(p.month() - 1) as usize], p.year())
}

/// "Nov".
pub(crate) fn month_short(p: Period) -> String {
    MONTHS[(p.month() - 1) as usize][..3].to_owned()
}

/// An amount in a currency, as people read it: the currency's minor units, thousands grouped,
/// a real minus sign. The code is printed by the page where it is not obvious.
pub(crate) fn money(amount: Decimal, currency: &str) -> String {
    let minor = Currency::parse(currency).map_or(2, |c| c.minor_units());
    let mut a = amount.round_dp(minor);
    a.rescale(minor);
    let text = a.abs().to_string();
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), format!(".{f}")),
        None => (text, String::new()),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if a.is_sign_negative() && !a.is_zero() {
        "−"
    } else {
        ""
    };
    format!("{sign}{grouped}{frac}")
}

/// A decimal typed by the engine as text ("12.50"), or zero.
pub(crate) fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

/// A path of this site to return to after a form, never another host.
pub(crate) fn back_path(back: Option<String>, default: &str) -> String {
    back.as_deref()
        .and_then(session::same_origin_path)
        .unwrap_or(default)
        .to_owned()
}

/// Display names of every module: the catalog's and the tenant's custom ones.
pub(crate) async fn module_names(ctx: &Ctx) -> UiResult<BTreeMap<String, String>> {
    let mut names: BTreeMap<String, String> = ctx
        .engine()
        .catalog
        .modules()
        .map(|m| (m.code.to_string(), m.name.clone()))
        .collect();
    for c in ctx.engine().connected_modules(ctx.tenant_id()).await? {
        names.insert(c.module_code, c.name);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_well() {
        assert_eq!(money(Decimal::new(127500, 2), "USD"), "1,275.00");
        assert_eq!(money(Decimal::new(-5, 1), "USD"), "−0.50");
        assert_eq!(money(Decimal::new(1234567, 0), "JPY"), "1,234,567");
        assert_eq!(money(Decimal::ZERO, "EUR"), "0.00");
        assert_eq!(
            period_label(Period::new(2026, 11).unwrap()),
            "November 2026"
        );
    }

    #[test]
    fn back_paths_stay_on_this_site() {
        assert_eq!(back_path(Some("/".into()), "/modules"), "/");
        assert_eq!(back_path(Some("//evil".into()), "/modules"), "/modules");
        assert_eq!(back_path(None, "/modules"), "/modules");
    }

    #[test]
    fn flash_messages_are_signed() {
        let key = [7u8; 64];
        let sig = flash_signature(&key, "Saved.");
        assert_eq!(sig, flash_signature(&key, "Saved."));
        assert_ne!(sig, flash_signature(&key, "Call us at 555-0100."));
        assert_ne!(sig, flash_signature(&[8u8; 64], "Saved."));
    }

    #[test]
    fn query_values_decode() {
        assert_eq!(decode_query("Saved%20it+now%21"), "Saved it now!");
        assert_eq!(decode_query("100%"), "100%");
        assert_eq!(
            decode_query(&session::encode_query("3 orgs mapped: a/b & c")),
            "3 orgs mapped: a/b & c"
        );
    }
}
