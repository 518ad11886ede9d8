//! The dashboard: counts, the last snapshot per module, and the two insights of the real
//! product computed from current data. Units, revenue and the other insights come with the sync.

use std::collections::BTreeMap;

use askama::Template;
use jiff::civil::Date;
use unitbill_domain::matching::DEFAULT_ACCEPT_THRESHOLD;
use unitbill_domain::setup::{BillingSetup, OrgAssignment};
use unitbill_store::ModuleOrg;

use super::{Ctx, Layout, UiResult, day_text, percent, render};

/// A module as the pages list it, with what the tenant did with it.
#[derive(Clone)]
pub(crate) struct ModuleRow {
    pub code: String,
    pub name: String,
    pub custom: bool,
    pub connected: bool,
    pub connected_on: String,
    pub billing_enabled: bool,
    /// The effective date of the billing setting in force, if any was made.
    pub billing_since: String,
    pub billing_types: String,
    pub last_snapshot: Option<Snapshot>,
    pub orgs: usize,
    pub unmapped: usize,
}

#[derive(Clone)]
pub(crate) struct Snapshot {
    pub day: String,
    pub complete: bool,
    /// No snapshot for yesterday (the day the nightly sync bills).
    pub stale: bool,
    pub age: String,
}

/// The last day each module sent a snapshot for, and whether it was complete.
pub(crate) async fn last_snapshots(ctx: &Ctx) -> UiResult<BTreeMap<String, (Date, bool)>> {
    let store = &ctx.engine().store;
    let mut out = BTreeMap::new();
    let Some(first) = store.first_usage_day(ctx.tenant_id()).await? else {
        return Ok(out);
    };
    let to = ctx.today.tomorrow().unwrap_or(ctx.today);
    for s in store.snapshot_days(ctx.tenant_id(), first, to).await? {
        let e = out.entry(s.module_code).or_insert((s.day, s.complete));
        if s.day >= e.0 {
            *e = (s.day, s.complete);
        }
    }
    Ok(out)
}

fn snapshot_view(ctx: &Ctx, day: Date, complete: bool) -> Snapshot {
    let days = (ctx.today - day).get_days();
    let yesterday = ctx.today.yesterday().unwrap_or(ctx.today);
    Snapshot {
        day: day.to_string(),
        complete,
        stale: day < yesterday,
        age: match days {
            i32::MIN..=-1 => "tomorrow".to_owned(),
            0 => "today".to_owned(),
            1 => "yesterday".to_owned(),
            n => format!("{n} days ago"),
        },
    }
}

/// Every catalog module and every custom module the tenant connected, connected ones first.
pub(crate) async fn module_rows(
    ctx: &Ctx,
    setup: &BillingSetup,
    orgs: &[ModuleOrg],
) -> UiResult<Vec<ModuleRow>> {
    let engine = ctx.engine();
    let connected = engine.store.connected_modules(ctx.tenant_id()).await?;
    let snapshots = last_snapshots(ctx).await?;
    let mut rows = Vec::new();
    let mut defs: Vec<(String, String, bool, Vec<String>)> = engine
        .catalog
        .modules()
        .map(|m| {
            (
                m.code.to_string(),
                m.name.clone(),
                false,
                m.billing_types.iter().map(|b| b.name.clone()).collect(),
            )
        })
        .collect();
    for c in connected.iter().filter(|c| c.custom) {
        let def = engine
            .module_definition(ctx.tenant_id(), &c.module_code)
            .await?;
        defs.push((
            c.module_code.clone(),
            c.name.clone(),
            true,
            def.billing_types.iter().map(|b| b.name.clone()).collect(),
        ));
    }
    for (code, name, custom, types) in defs {
        let conn = connected.iter().find(|c| c.module_code == code);
        let module_orgs: Vec<&ModuleOrg> = orgs.iter().filter(|o| o.module_code == code).collect();
        let billing_since = setup
            .billing_enabled
            .get(&code)
            .and_then(|t| {
                t.changes()
                    .iter()
                    .filter(|(d, _)| *d <= ctx.view_day)
                    .max_by_key(|(d, _)| *d)
            })
            .map(|(d, _)| day_text(*d))
            .unwrap_or_default();
        rows.push(ModuleRow {
            connected: conn.is_some(),
            connected_on: conn
                .map(|c| c.connected_at.chars().take(10).collect())
                .unwrap_or_default(),
            billing_enabled: setup.billing_enabled(&code, ctx.view_day),
            billing_since,
            billing_types: if types.is_empty() {
                "registered from the first snapshot".to_owned()
            } else {
                types.join(", ")
            },
            last_snapshot: snapshots
                .get(&code)
                .map(|(d, complete)| snapshot_view(ctx, *d, *complete)),
            orgs: module_orgs.len(),
            unmapped: module_orgs
                .iter()
                .filter(|o| {
                    setup.org_assignment(&o.module_code, &o.org_id, ctx.view_day)
                        == OrgAssignment::Unmapped
                })
                .count(),
            code,
            name,
            custom,
        });
    }
    rows.sort_by_key(|r| !r.connected);
    Ok(rows)
}

struct NewOrg {
    module: String,
    module_name: String,
    name: String,
    id: String,
    suggestion: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    companies: usize,
    connected: usize,
    enabled: usize,
    orgs_mapped: usize,
    orgs_unmapped: usize,
    orgs_ignored: usize,
    above_threshold: usize,
    threshold: String,
    modules: Vec<ModuleRow>,
    /// Connected modules whose billing is not enabled ("activate integrated billing").
    activate: Vec<ModuleRow>,
    /// Orgs of enabled modules that are not mapped ("billing available for new organization").
    new_orgs: Vec<NewOrg>,
    new_orgs_more: usize,
}

pub(crate) async fn page(ctx: Ctx) -> UiResult {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let setup = engine.load_setup(t).await?;
    let orgs = engine.store.module_orgs(t, None).await?;
    let suggestions = engine.suggestions(t, ctx.view_day).await?;
    let rows = module_rows(&ctx, &setup, &orgs).await?;
    let (mut mapped, mut unmapped, mut ignored) = (0, 0, 0);
    for o in &orgs {
        match setup.org_assignment(&o.module_code, &o.org_id, ctx.view_day) {
            OrgAssignment::Mapped(_) => mapped += 1,
            OrgAssignment::Ignored => ignored += 1,
            OrgAssignment::Unmapped => unmapped += 1,
        }
    }
    let names: BTreeMap<&str, &str> = rows
        .iter()
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let mut new_orgs: Vec<NewOrg> = suggestions
        .iter()
        .filter(|s| setup.billing_enabled(&s.module, ctx.view_day))
        .filter(|s| {
            setup.org_assignment(&s.module, &s.org_id, ctx.view_day) == OrgAssignment::Unmapped
        })
        .map(|s| NewOrg {
            module: s.module.clone(),
            module_name: names.get(s.module.as_str()).unwrap_or(&"").to_string(),
            name: s.org_name.clone(),
            id: s.org_id.clone(),
            suggestion: s
                .candidates
                .first()
                .map(|c| format!("{} ({})", c.company_name, percent(c.confidence))),
        })
        .collect();
    let new_orgs_more = new_orgs.len().saturating_sub(10);
    new_orgs.truncate(10);
    let (connected_rows, _): (Vec<ModuleRow>, Vec<ModuleRow>) =
        rows.into_iter().partition(|r| r.connected);
    let enabled = connected_rows.iter().filter(|r| r.billing_enabled).count();
    let connected = connected_rows.len();
    let (enabled_rows, activate): (Vec<ModuleRow>, Vec<ModuleRow>) =
        connected_rows.into_iter().partition(|r| r.billing_enabled);
    let mut modules = enabled_rows;
    modules.extend(activate.iter().cloned());
    render(&DashboardPage {
        layout: ctx.layout("Dashboard", "dashboard"),
        companies: setup.companies.len(),
        connected,
        enabled,
        orgs_mapped: mapped,
        orgs_unmapped: unmapped,
        orgs_ignored: ignored,
        above_threshold: suggestions
            .iter()
            .filter(|s| {
                s.candidates
                    .first()
                    .is_some_and(|c| c.confidence >= DEFAULT_ACCEPT_THRESHOLD)
            })
            .count(),
        threshold: percent(DEFAULT_ACCEPT_THRESHOLD),
        modules,
        activate,
        new_orgs,
        new_orgs_more,
    })
}
