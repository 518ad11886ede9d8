//! Modules: the sync (last synced day, sync now), the catalog, connecting (the key is shown
//! once), billing on/off from a date, a new key, and the last snapshot of each.

use askama::Template;
use axum::extract::Path;
use axum::http::HeaderMap;
use unitbill_domain::catalog::UnitOfMeasure;
use unitbill_engine::mapping::ModuleBillingInput;
use unitbill_store::Role;

use super::dashboard::{ModuleRow, SyncView, module_rows, sync_view};
use super::{Ctx, Errors, FormData, Layout, UiResult, back_path, day_text, render, render_invalid};

#[derive(Template)]
#[template(path = "modules.html")]
struct ModulesPage {
    layout: Layout,
    connected: Vec<ModuleRow>,
    available: Vec<ModuleRow>,
    default_from: String,
    default_from_text: String,
    /// The module whose billing form is shown with `errors`, and what was typed in it.
    errors_for: String,
    errors_from: String,
    errors: Errors,
    custom_code: String,
    custom_name: String,
    custom_errors: Errors,
    sync: SyncView,
}

impl ModulesPage {
    fn effective_value(&self, code: &str) -> String {
        if self.errors_for == code {
            self.errors_from.clone()
        } else {
            self.default_from.clone()
        }
    }
}

async fn modules_page(ctx: &Ctx) -> UiResult<ModulesPage> {
    let engine = ctx.engine();
    let setup = engine.load_setup(ctx.tenant_id()).await?;
    let orgs = engine.module_orgs(ctx.tenant_id(), None).await?;
    let (connected, available) = module_rows(ctx, &setup, &orgs)
        .await?
        .into_iter()
        .partition(|m| m.connected);
    Ok(ModulesPage {
        layout: ctx.layout("Modules", "modules"),
        connected,
        available,
        default_from: ctx.default_from.to_string(),
        default_from_text: day_text(ctx.default_from),
        errors_for: String::new(),
        errors_from: String::new(),
        errors: Errors::default(),
        custom_code: String::new(),
        custom_name: String::new(),
        custom_errors: Errors::default(),
        sync: sync_view(ctx).await?,
    })
}

pub(crate) async fn page(ctx: Ctx) -> UiResult {
    render(&modules_page(&ctx).await?)
}

#[derive(Template)]
#[template(path = "module_key.html")]
struct KeyPage {
    layout: Layout,
    module_code: String,
    module_name: String,
    secret: String,
    base: String,
    today: String,
    /// Example usage values for this module's billing types.
    usage: String,
    reconnected: bool,
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

async fn key_page(
    ctx: &Ctx,
    headers: &HeaderMap,
    code: &str,
    secret: String,
    reconnected: bool,
) -> UiResult {
    let def = ctx.engine().module_definition(ctx.tenant_id(), code).await;
    let usage = match &def {
        Ok(m) if !m.billing_types.is_empty() => m
            .billing_types
            .iter()
            .filter(|b| b.code.as_str() != "total_devices")
            .take(2)
            .zip([41, 3])
            .map(|(b, n)| match b.unit {
                UnitOfMeasure::Flag => format!("\"{}\": true", b.code),
                UnitOfMeasure::Count => format!("\"{}\": {n}", b.code),
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => "\"devices\": 41, \"backup_enabled\": true".to_owned(),
    };
    let name = def.map(|m| m.name).unwrap_or_else(|_| code.to_owned());
    render(&KeyPage {
        layout: ctx.layout(format!("{name} key"), "modules"),
        module_code: code.to_owned(),
        module_name: name,
        secret,
        base: base_url(headers),
        today: ctx.today.to_string(),
        usage,
        reconnected,
    })
}

/// Connects a catalog module and shows its key, once.
pub(crate) async fn connect(ctx: Ctx, headers: HeaderMap, Path(code): Path<String>) -> UiResult {
    ctx.require(Role::Admin)?;
    let was_connected = ctx
        .engine()
        .connected_modules(ctx.tenant_id())
        .await?
        .iter()
        .any(|m| m.module_code == code);
    match ctx
        .engine()
        .connect_module(ctx.tenant_id(), &code, None)
        .await
    {
        Ok(issued) => key_page(&ctx, &headers, &code, issued.secret, was_connected).await,
        Err(e) => {
            let mut page = modules_page(&ctx).await?;
            page.errors = Errors::from_engine(e, &[])?;
            render_invalid("/modules", &page)
        }
    }
}

/// Connects a custom module (a code that is not in the catalog, with a name).
pub(crate) async fn connect_custom(ctx: Ctx, headers: HeaderMap, form: FormData) -> UiResult {
    ctx.require(Role::Admin)?;
    let code = form.text("module").to_lowercase();
    let name = form.text("name");
    let mut errors = Errors::default();
    if ctx.engine().catalog.get(&code).is_some() {
        errors.field(
            "module",
            "is a catalog module: connect it from the catalog below",
        );
    } else if name.is_empty() {
        errors.field("name", "is required for a custom module");
    } else {
        match ctx
            .engine()
            .connect_module(ctx.tenant_id(), &code, Some(&name))
            .await
        {
            Ok(issued) => return key_page(&ctx, &headers, &code, issued.secret, false).await,
            Err(e) => errors = Errors::from_engine(e, &["module", "name"])?,
        }
    }
    let mut page = modules_page(&ctx).await?;
    page.custom_code = code;
    page.custom_name = name;
    page.custom_errors = errors;
    render_invalid("/modules", &page)
}

/// Turns billing on or off for a connected module from a date.
pub(crate) async fn billing(ctx: Ctx, Path(code): Path<String>, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let enabled = form.get("enabled").as_deref() == Some("true");
    let input = ModuleBillingInput {
        enabled,
        effective_from: form.get("effective_from"),
    };
    match ctx
        .engine()
        .set_module_billing(ctx.tenant_id(), &code, &input, &ctx.actor())
        .await
    {
        Ok(change) => {
            let name = ctx
                .engine()
                .module_definition(ctx.tenant_id(), &code)
                .await
                .map(|m| m.name)
                .unwrap_or(code.clone());
            ctx.done(
                &format!("/modules#module-{code}"),
                &format!(
                    "Billing {} for {name} from {}.",
                    if enabled { "enabled" } else { "disabled" },
                    day_text(change.effective_from)
                ),
            )
        }
        Err(e) => {
            let mut page = modules_page(&ctx).await?;
            page.errors = Errors::from_engine(e, &["effective_from"])?;
            page.errors_for = code;
            page.errors_from = form.text("effective_from");
            render_invalid("/modules", &page)
        }
    }
}

/// Issues another key for a connected module (shown once); earlier keys keep working.
pub(crate) async fn new_key(ctx: Ctx, headers: HeaderMap, Path(code): Path<String>) -> UiResult {
    ctx.require(Role::Admin)?;
    if !ctx
        .engine()
        .connected_modules(ctx.tenant_id())
        .await?
        .iter()
        .any(|m| m.module_code == code)
    {
        return Err(
            unitbill_engine::EngineError::NotFound(format!("connected module {code}")).into(),
        );
    }
    let issued = ctx
        .engine()
        .issue_module_key(ctx.tenant_id(), &code)
        .await?;
    key_page(&ctx, &headers, &code, issued.secret, true).await
}

/// Sync now: brings the unit history up to date through yesterday (tenant time), catching up
/// any missed days and recomputing those marked for it.
pub(crate) async fn sync_now(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let back = back_path(form.get("back"), "/modules");
    let yesterday = ctx
        .today
        .yesterday()
        .map_err(|e| unitbill_engine::EngineError::Conflict(e.to_string()))?;
    let report = ctx.engine().sync_now(ctx.tenant_id(), yesterday).await?;
    let message = if report.busy {
        "Another process is syncing right now; try again in a moment.".to_owned()
    } else if report.days == 0 {
        format!("Units are up to date through {}.", report.through)
    } else {
        format!(
            "Synced {} day{}: units are up to date through {}.",
            report.days,
            if report.days == 1 { "" } else { "s" },
            report.through
        )
    };
    ctx.done(&format!("{back}#sync"), &message)
}
