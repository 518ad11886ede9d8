//! Settings: the organization (name, time zone, sync hour, adjustment lookback, usage
//! retention, invoice and credit note numbering, saved through `Engine::update_settings`),
//! tax rates, people, the signed-in person's password, and module keys.

use askama::Template;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use unitbill_engine::signin::{SESSION_SECONDS, SignInError};
use unitbill_engine::tenants::SettingsInput;
use unitbill_store::Role;

use super::session::{set_cookie, throttled_message};
use super::{Ctx, Errors, FormData, Layout, UiResult, render, render_invalid};

struct RateRow {
    name: String,
    percent: String,
}

struct HourOption {
    value: String,
    label: String,
}

impl SettingsPage {
    fn is_hour(&self, h: &str) -> bool {
        self.f_sync_hour == h
    }
}

struct KeyRow {
    id: i64,
    module: String,
    module_name: String,
    created: String,
    revoked: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    tenant_name: String,
    slug: String,
    time_zone: String,
    sync_hour: String,
    currency: String,
    lookback: i64,
    billing_start: String,
    retention: String,
    /// The history start in force (set, or the default).
    history_start: String,
    today: String,
    rates: Vec<RateRow>,
    rate_name: String,
    rate_percent: String,
    errors: Errors,
    email: String,
    role: &'static str,
    keys: Vec<KeyRow>,
    /// The organization form, as typed.
    org_name: String,
    f_time_zone: String,
    f_sync_hour: String,
    f_lookback: String,
    f_retention: String,
    f_history_start: String,
    f_activity_retention: String,
    f_invoice_format: String,
    f_credit_format: String,
    zones: Vec<String>,
    hours: Vec<HourOption>,
    s_errors: Errors,
    /// The password form's refusals.
    p_errors: Errors,
    can_edit: bool,
}

async fn settings_page(ctx: &Ctx) -> UiResult<SettingsPage> {
    let engine = ctx.engine();
    let t = &ctx.tenant;
    let connected = engine.connected_modules(t.id).await?;
    let mut keys: Vec<KeyRow> = engine
        .module_keys(t.id)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            module_name: connected
                .iter()
                .find(|c| c.module_code == k.module_code)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            module: k.module_code,
            created: k
                .created_at
                .chars()
                .take(16)
                .collect::<String>()
                .replace('T', " "),
            revoked: k
                .revoked_at
                .map(|r| r.chars().take(10).collect())
                .unwrap_or_default(),
        })
        .collect();
    keys.sort_by(|a, b| a.module.cmp(&b.module).then(a.id.cmp(&b.id)));
    Ok(SettingsPage {
        layout: ctx.layout("Settings", "settings"),
        tenant_name: t.name.clone(),
        slug: t.slug.clone(),
        time_zone: t.time_zone.clone(),
        sync_hour: format!("{:02}:00", t.sync_hour),
        currency: t.currency.clone(),
        lookback: t.lookback_periods,
        billing_start: t.billing_start.clone().unwrap_or_default(),
        retention: t
            .retention_days
            .map(|d| format!("{d} days"))
            .unwrap_or_else(|| "no limit".to_owned()),
        history_start: unitbill_engine::tenants::history_start(engine, t)?.to_string(),
        today: ctx.today.to_string(),
        rates: engine
            .tax_rates(t.id)
            .await?
            .into_iter()
            .map(|r| RateRow {
                name: r.name,
                percent: r.percent.normalize().to_string(),
            })
            .collect(),
        rate_name: String::new(),
        rate_percent: String::new(),
        errors: Errors::default(),
        email: ctx.session.email.clone(),
        role: ctx.session.role.as_str(),
        keys,
        org_name: t.name.clone(),
        f_time_zone: t.time_zone.clone(),
        f_sync_hour: t.sync_hour.to_string(),
        f_lookback: t.lookback_periods.to_string(),
        f_retention: t.retention_days.map(|d| d.to_string()).unwrap_or_default(),
        f_history_start: t.history_start.clone().unwrap_or_default(),
        f_activity_retention: t
            .activity_retention_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
        f_invoice_format: t.invoice_number_format.clone(),
        f_credit_format: t.credit_note_number_format.clone(),
        zones: time_zones(),
        hours: (0..24)
            .map(|h| HourOption {
                value: h.to_string(),
                label: format!("{h:02}:00"),
            })
            .collect(),
        s_errors: Errors::default(),
        p_errors: Errors::default(),
        can_edit: ctx.session.role >= Role::Admin,
    })
}

/// Every IANA time zone name the bundled database knows, sorted.
fn time_zones() -> Vec<String> {
    let mut zones: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_owned())
        .filter(|n| n.contains('/') || n == "UTC")
        .collect();
    zones.sort();
    zones.dedup();
    zones
}

const SETTINGS_FIELDS: [&str; 9] = [
    "history_start",
    "name",
    "time_zone",
    "sync_hour",
    "lookback_periods",
    "retention_days",
    "activity_retention_days",
    "invoice_number_format",
    "credit_note_number_format",
];

/// Saves the organization settings.
pub(crate) async fn save(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Admin)?;
    let mut errors = Errors::default();
    let mut whole = |field: &str, text: String| -> Option<i64> {
        match text.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.field(field, "must be a whole number");
                None
            }
        }
    };
    let sync_hour = whole("sync_hour", form.text("sync_hour"));
    let lookback = whole("lookback_periods", form.text("lookback_periods"));
    // An empty retention clears the limit (the engine's 0).
    let retention = match form.get("retention_days") {
        None => Some(0),
        Some(r) => whole("retention_days", r),
    };
    let activity_retention = match form.get("activity_retention_days") {
        None => Some(0),
        Some(r) => whole("activity_retention_days", r),
    };
    // Fields the engine adds later keep their values (the struct update fills them).
    #[allow(clippy::needless_update)]
    let input = SettingsInput {
        name: Some(form.text("name")),
        time_zone: Some(form.text("time_zone")),
        sync_hour,
        lookback_periods: lookback,
        retention_days: retention,
        activity_retention_days: activity_retention,
        invoice_number_format: Some(form.text("invoice_number_format")),
        credit_note_number_format: Some(form.text("credit_note_number_format")),
        history_start: Some(form.text("history_start")),
        ..SettingsInput::default()
    };
    if !errors.any() {
        match ctx.engine().update_settings(ctx.tenant_id(), &input).await {
            Ok(_) => return ctx.done("/settings#org", "Settings saved."),
            Err(e) => errors = Errors::from_engine(e, &SETTINGS_FIELDS)?,
        }
    }
    let mut page = settings_page(&ctx).await?;
    page.org_name = form.text("name");
    page.f_time_zone = form.text("time_zone");
    page.f_sync_hour = form.text("sync_hour");
    page.f_lookback = form.text("lookback_periods");
    page.f_retention = form.text("retention_days");
    page.f_activity_retention = form.text("activity_retention_days");
    page.f_history_start = form.text("history_start");
    page.f_invoice_format = form.text("invoice_number_format");
    page.f_credit_format = form.text("credit_note_number_format");
    page.s_errors = errors;
    render_invalid("/settings", &page)
}

pub(crate) async fn page(ctx: Ctx) -> UiResult {
    render(&settings_page(&ctx).await?)
}

/// Creates a named tax rate (or changes the percent of one with that name).
pub(crate) async fn create_tax_rate(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Admin)?;
    let name = form.text("name");
    let percent = form.text("percent").trim_end_matches('%').trim().to_owned();
    match ctx
        .engine()
        .put_tax_rate(ctx.tenant_id(), &name, &percent)
        .await
    {
        Ok(r) => ctx.done(
            "/settings#tax-rates",
            &format!("Tax rate {} ({}%) saved.", r.name, r.percent.normalize()),
        ),
        Err(e) => {
            let mut page = settings_page(&ctx).await?;
            page.errors = Errors::from_engine(e, &["name", "percent"])?;
            page.rate_name = name;
            page.rate_percent = form.text("percent");
            render_invalid("/settings", &page)
        }
    }
}

/// Changes the signed-in person's password: every other session of theirs ends, and this
/// browser gets a new session in place of the old one.
pub(crate) async fn change_password(ctx: Ctx, headers: HeaderMap, form: FormData) -> UiResult {
    // Passwords are taken as typed: `FormData::text` trims, and spaces count.
    let raw = |name: &str| {
        form.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let result = ctx
        .engine()
        .change_password(
            ctx.tenant_id(),
            &ctx.session.email,
            &raw("current_password"),
            &raw("new_password"),
        )
        .await;
    let (status, errors) = match result {
        Ok(secret) => {
            let mut res = ctx.done(
                "/settings#password",
                "Password changed; your other sessions were signed out.",
            )?;
            res.headers_mut().insert(
                SET_COOKIE,
                set_cookie(&ctx.state, &headers, &secret, SESSION_SECONDS),
            );
            return Ok(res);
        }
        Err(SignInError::Throttled { retry_after }) => {
            let mut errors = Errors::default();
            errors.general.push(throttled_message(retry_after));
            (StatusCode::TOO_MANY_REQUESTS, errors)
        }
        Err(SignInError::Refused) => {
            let mut errors = Errors::default();
            errors.field("current_password", "is not right");
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
        Err(SignInError::Engine(e)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Errors::from_engine(e, &["current_password", "new_password"])?,
        ),
    };
    let mut page = settings_page(&ctx).await?;
    page.p_errors = errors;
    let mut res = render_invalid("/settings", &page)?;
    *res.status_mut() = status;
    Ok(res)
}
