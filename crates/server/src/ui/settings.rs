//! Settings: the tenant's time zone and sync hour, tax rates, people, and module keys.

use askama::Template;
use axum::Form;
use unitbill_store::Role;

use super::{Ctx, Errors, FormData, Layout, UiResult, render, render_invalid};

struct RateRow {
    name: String,
    percent: String,
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
    today: String,
    rates: Vec<RateRow>,
    rate_name: String,
    rate_percent: String,
    errors: Errors,
    email: String,
    role: &'static str,
    keys: Vec<KeyRow>,
}

async fn settings_page(ctx: &Ctx) -> UiResult<SettingsPage> {
    let engine = ctx.engine();
    let t = &ctx.tenant;
    let connected = engine.store.connected_modules(t.id).await?;
    let mut keys: Vec<KeyRow> = engine
        .store
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
        today: ctx.today.to_string(),
        rates: engine
            .store
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
    })
}

pub(crate) async fn page(ctx: Ctx) -> UiResult {
    render(&settings_page(&ctx).await?)
}

/// Creates a named tax rate (or changes the percent of one with that name).
pub(crate) async fn create_tax_rate(ctx: Ctx, Form(form): Form<Vec<(String, String)>>) -> UiResult {
    ctx.require(Role::Admin)?;
    let form = FormData(form);
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
