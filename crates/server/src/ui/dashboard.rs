//! The dashboard: counts, the engine's insights inbox (dismiss or resolve in place), the last
//! sync and the last snapshot per module, daily units and revenue this month against last
//! month (inline SVG bar charts), and the unbilled usage at stake.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::HeaderMap;
use jiff::civil::Date;
use rust_decimal::Decimal;
use unitbill_domain::matching::DEFAULT_ACCEPT_THRESHOLD;
use unitbill_domain::period::Period;
use unitbill_domain::setup::{BillingSetup, OrgAssignment};
use unitbill_engine::insights::Insight;
use unitbill_store::{ModuleOrg, Role};

use super::charts::{Bar, bar_chart, units_text};
use super::{
    Ctx, Errors, FormData, Layout, UiResult, day_text, dec, is_htmx, money, month_short, percent,
    period_label, render, render_fragment,
};

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
    let to = ctx.today.tomorrow().unwrap_or(ctx.today);
    Ok(ctx.engine().last_snapshots(ctx.tenant_id(), to).await?)
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
    let connected = engine.connected_modules(ctx.tenant_id()).await?;
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

/// The sync as pages show it.
pub(crate) struct SyncView {
    /// The last day the unit history is computed for ("" before the first sync).
    pub through: String,
    pub age: String,
    /// Days from here on wait for recomputation (late usage, a mapping change).
    pub resync_from: String,
    /// The day "Sync now" syncs through.
    pub yesterday: String,
    /// The history stops before yesterday.
    pub behind: bool,
    pub hour: String,
    pub time_zone: String,
}

pub(crate) async fn sync_view(ctx: &Ctx) -> UiResult<SyncView> {
    let state = ctx.engine().sync_state(ctx.tenant_id()).await?;
    let yesterday = ctx.today.yesterday().unwrap_or(ctx.today);
    Ok(SyncView {
        through: state
            .synced_through
            .map(|d| d.to_string())
            .unwrap_or_default(),
        age: state
            .synced_through
            .map(|d| match (ctx.today - d).get_days() {
                i32::MIN..=0 => "days not over yet included: a run's preview syncs them".to_owned(),
                1 => "yesterday".to_owned(),
                n => format!("{n} days ago"),
            })
            .unwrap_or_default(),
        resync_from: state
            .resync_from
            .filter(|r| state.synced_through.is_some_and(|t| *r <= t))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        yesterday: yesterday.to_string(),
        behind: state.synced_through.is_none_or(|t| t < yesterday),
        hour: format!("{:02}:00", ctx.tenant.sync_hour),
        time_zone: ctx.tenant.time_zone.clone(),
    })
}

/// One item of the inbox as the dashboard lists it.
pub(crate) struct InsightRow {
    pub key: String,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub amount: String,
    /// Where to fix it, and the link's words.
    pub href: String,
    pub action: String,
}

/// Kinds that carry money billed by nobody (their amounts add up to the usage at stake).
const AT_STAKE_KINDS: [&str; 2] = ["unmapped_usage", "usage_outside_contract"];

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "unmapped_usage" | "usage_outside_contract" => 0,
        "correction_beyond_lookback" => 1,
        "stale_module" => 2,
        "unit_jump" => 3,
        "dead_company_usage" => 4,
        "activate_billing" => 5,
        "new_organization" => 6,
        _ => 7,
    }
}

fn insight_link(i: &Insight, names: &BTreeMap<String, String>) -> (String, String) {
    let module = i.module.clone().unwrap_or_default();
    let module_name = names.get(&module).cloned().unwrap_or(module.clone());
    let company = i.company_id.map(|c| format!("/companies/{c}"));
    match i.kind.as_str() {
        "activate_billing" | "stale_module" => (
            format!("/modules#module-{module}"),
            if i.kind == "stale_module" {
                format!("Check {module_name}")
            } else {
                format!("Enable billing for {module_name}")
            },
        ),
        "new_organization" => {
            let org = i.key.splitn(3, ':').nth(2).unwrap_or_default();
            (
                format!("/mapping/orgs?module={module}#org-{org}"),
                "Map it".to_owned(),
            )
        }
        "unmapped_usage" if i.key.ends_with(":org_not_mapped") => (
            format!("/mapping/orgs?module={module}"),
            format!("Map {module_name} organizations"),
        ),
        "unmapped_usage" | "usage_outside_contract" => {
            ("/companies".to_owned(), "Review contracts".to_owned())
        }
        _ => match company {
            Some(c) => (c, "Open the company".to_owned()),
            None => (String::new(), String::new()),
        },
    }
}

/// Units per day across every contract service, this month and last month.
pub(crate) struct UnitsView {
    pub has_data: bool,
    pub this_label: String,
    pub last_label: String,
    /// Average daily units over the synced days of each month.
    pub this_avg: String,
    pub last_avg: String,
    pub change: String,
    pub change_class: &'static str,
    pub svg: String,
    pub summary: String,
}

/// Revenue by billed period: posted documents net of credit notes, drafts apart.
pub(crate) struct RevenueView {
    pub has_data: bool,
    pub currency: String,
    pub this_label: String,
    pub last_label: String,
    pub this_posted: String,
    pub this_drafts: String,
    pub has_this_drafts: bool,
    pub last_posted: String,
    pub change: String,
    pub change_class: &'static str,
    pub svg: String,
    pub summary: String,
    /// Documents in another currency, left out of the sums.
    pub other_currency_docs: usize,
}

fn change_text(now: Decimal, before: Decimal) -> (String, &'static str) {
    if before <= Decimal::ZERO {
        return (String::new(), "");
    }
    let pct = ((now - before) / before.abs() * Decimal::from(100)).round_dp(1);
    let class = if pct > Decimal::ZERO {
        "up"
    } else if pct < Decimal::ZERO {
        "down"
    } else {
        ""
    };
    (
        format!(
            "{}{}% against last month",
            if pct > Decimal::ZERO { "+" } else { "" },
            units_text(pct)
        ),
        class,
    )
}

async fn units_view(ctx: &Ctx, synced: Option<Date>) -> UiResult<UnitsView> {
    // Days not over yet (a preview of the current month syncs them) are left out.
    let yesterday = ctx.today.yesterday().unwrap_or(ctx.today);
    let synced = synced.map(|s| s.min(yesterday));
    let this = Period::of(ctx.today);
    let last = this.prev();
    let mut per_day: BTreeMap<Date, (Decimal, bool)> = BTreeMap::new();
    let end = synced.unwrap_or(last.first_day()).min(this.last_day());
    if synced.is_some() && end >= last.first_day() {
        // Runs of unchanged units, not a row per service and day: the whole tenant is read.
        for run in ctx
            .engine()
            .unit_intervals(ctx.tenant_id(), last.first_day(), end)
            .await?
        {
            let mut d = run.first;
            while d <= run.last {
                let e = per_day.entry(d).or_default();
                e.0 += run.units;
                e.1 |= run.stale;
                d = match d.tomorrow() {
                    Ok(n) => n,
                    Err(_) => break,
                };
            }
        }
    }
    let avg = |p: Period| {
        let days: Vec<Decimal> = p
            .dates()
            .filter(|d| synced.is_some_and(|s| *d <= s))
            .map(|d| per_day.get(&d).map_or(Decimal::ZERO, |x| x.0))
            .collect();
        (!days.is_empty())
            .then(|| days.iter().copied().sum::<Decimal>() / Decimal::from(days.len() as i64))
    };
    let (this_avg, last_avg) = (avg(this), avg(last));
    let mut bars = Vec::new();
    for p in [last, this] {
        for d in p.dates() {
            let synced_day = synced.is_some_and(|s| d <= s);
            let (units, stale) = per_day.get(&d).copied().unwrap_or_default();
            bars.push(Bar {
                label: if d.day() == 1 {
                    month_short(p)
                } else {
                    String::new()
                },
                solid: if synced_day { units } else { Decimal::ZERO },
                light: Decimal::ZERO,
                highlight: p == this,
                stale,
                title: if synced_day {
                    format!(
                        "{d}: {} units{}",
                        units_text(units),
                        if stale { " (carried forward)" } else { "" }
                    )
                } else {
                    format!("{d}: not synced")
                },
            });
        }
    }
    let (change, change_class) = match (this_avg, last_avg) {
        (Some(a), Some(b)) => change_text(a, b),
        _ => (String::new(), ""),
    };
    let text = |a: Option<Decimal>| a.map_or("—".to_owned(), |a| units_text(a.round_dp(1)));
    Ok(UnitsView {
        has_data: !per_day.is_empty(),
        this_label: period_label(this),
        last_label: period_label(last),
        summary: format!(
            "Average units per day: {} in {}, {} in {}.",
            text(this_avg),
            period_label(this),
            text(last_avg),
            period_label(last)
        ),
        this_avg: text(this_avg),
        last_avg: text(last_avg),
        change,
        change_class,
        svg: bar_chart(&bars, false),
    })
}

async fn revenue_view(ctx: &Ctx) -> UiResult<RevenueView> {
    let currency = ctx.tenant.currency.clone();
    let this = Period::of(ctx.today);
    let first = this.add_months(-5);
    let mut posted: BTreeMap<Period, Decimal> = BTreeMap::new();
    let mut drafts: BTreeMap<Period, Decimal> = BTreeMap::new();
    let mut other = 0;
    let docs = ctx.engine().documents(ctx.tenant_id(), None, None).await?;
    for d in &docs {
        let Ok(p) = Period::parse(&d.period) else {
            continue;
        };
        if p < first || p > this {
            continue;
        }
        if d.currency != currency {
            other += 1;
            continue;
        }
        let sign = if d.is_credit_note() {
            Decimal::NEGATIVE_ONE
        } else {
            Decimal::ONE
        };
        if d.is_draft() {
            *drafts.entry(p).or_default() += sign * d.subtotal;
        } else {
            *posted.entry(p).or_default() += sign * d.subtotal;
        }
    }
    let mut bars = Vec::new();
    let mut p = first;
    while p <= this {
        let (s, l) = (
            posted.get(&p).copied().unwrap_or_default(),
            drafts.get(&p).copied().unwrap_or_default(),
        );
        bars.push(Bar {
            label: month_short(p),
            solid: s,
            light: l,
            highlight: p == this,
            stale: false,
            title: format!(
                "{}: {} {currency} posted{}",
                period_label(p),
                money(s, &currency),
                if l.is_zero() {
                    String::new()
                } else {
                    format!(", {} in drafts", money(l, &currency))
                }
            ),
        });
        p = p.next();
    }
    let last = this.prev();
    let (tp, lp) = (
        posted.get(&this).copied().unwrap_or_default(),
        posted.get(&last).copied().unwrap_or_default(),
    );
    let td = drafts.get(&this).copied().unwrap_or_default();
    let (change, change_class) = change_text(tp, lp);
    Ok(RevenueView {
        has_data: !posted.is_empty() || !drafts.is_empty(),
        summary: format!(
            "Posted revenue by billed month: {} {currency} for {}, {} {currency} for {}.",
            money(tp, &currency),
            period_label(this),
            money(lp, &currency),
            period_label(last)
        ),
        this_label: period_label(this),
        last_label: period_label(last),
        this_posted: money(tp, &currency),
        this_drafts: money(td, &currency),
        has_this_drafts: !td.is_zero(),
        last_posted: money(lp, &currency),
        change,
        change_class,
        svg: bar_chart(&bars, true),
        currency,
        other_currency_docs: other,
    })
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
    insights: Vec<InsightRow>,
    insights_more: usize,
    at_stake: String,
    at_stake_items: usize,
    currency: String,
    sync: SyncView,
    units: UnitsView,
    revenue: RevenueView,
    errors: Errors,
}

/// How many inbox items the dashboard lists.
const INBOX_ROWS: usize = 25;

pub(crate) async fn page(ctx: Ctx) -> UiResult {
    render(&dashboard_page(&ctx).await?)
}

async fn dashboard_page(ctx: &Ctx) -> UiResult<DashboardPage> {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let setup = engine.load_setup(t).await?;
    let orgs = engine.module_orgs(t, None).await?;
    let suggestions = engine.suggestions(t, ctx.view_day).await?;
    let rows = module_rows(ctx, &setup, &orgs).await?;
    let (mut mapped, mut unmapped, mut ignored) = (0, 0, 0);
    for o in &orgs {
        match setup.org_assignment(&o.module_code, &o.org_id, ctx.view_day) {
            OrgAssignment::Mapped(_) => mapped += 1,
            OrgAssignment::Ignored => ignored += 1,
            OrgAssignment::Unmapped => unmapped += 1,
        }
    }
    let names = super::module_names(ctx).await?;
    let mut inbox = engine.insights(t, false).await?;
    inbox.sort_by_key(|i| kind_rank(&i.kind));
    let at_stake_list: Vec<&Insight> = inbox
        .iter()
        .filter(|i| AT_STAKE_KINDS.contains(&i.kind.as_str()))
        .collect();
    let at_stake: Decimal = at_stake_list
        .iter()
        .filter_map(|i| i.amount.as_deref())
        .map(dec)
        .sum();
    let at_stake_items = at_stake_list.len();
    let currency = ctx.tenant.currency.clone();
    let insights_more = inbox.len().saturating_sub(INBOX_ROWS);
    let insights: Vec<InsightRow> = inbox
        .iter()
        .take(INBOX_ROWS)
        .map(|i| {
            let (href, action) = insight_link(i, &names);
            InsightRow {
                key: i.key.clone(),
                kind: i.kind.clone(),
                title: i.title.clone(),
                detail: i.detail.clone(),
                amount: i
                    .amount
                    .as_deref()
                    .map(|a| format!("{} {currency}", money(dec(a), &currency)))
                    .unwrap_or_default(),
                href,
                action,
            }
        })
        .collect();
    let connected_rows: Vec<ModuleRow> = rows.into_iter().filter(|r| r.connected).collect();
    let enabled = connected_rows.iter().filter(|r| r.billing_enabled).count();
    let connected = connected_rows.len();
    let (mut modules, off): (Vec<ModuleRow>, Vec<ModuleRow>) =
        connected_rows.into_iter().partition(|r| r.billing_enabled);
    modules.extend(off);
    let sync = sync_view(ctx).await?;
    let synced = engine.sync_state(t).await?.synced_through;
    Ok(DashboardPage {
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
        insights,
        insights_more,
        at_stake: money(at_stake, &currency),
        at_stake_items,
        currency,
        sync,
        units: units_view(ctx, synced).await?,
        revenue: revenue_view(ctx).await?,
        errors: Errors::default(),
    })
}

#[derive(Template)]
#[template(path = "insight_done.html")]
struct InsightDone {
    key: String,
    status: String,
    title: String,
}

/// Dismisses or resolves an inbox item (or reopens it). htmx replaces the item with a line
/// saying so (and an undo); without script the dashboard is shown again with a confirmation.
pub(crate) async fn set_insight(ctx: Ctx, headers: HeaderMap, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let key = form.text("key");
    let status = form.text("status");
    match ctx
        .engine()
        .set_insight_status(ctx.tenant_id(), &key, &status, &ctx.actor())
        .await
    {
        Ok(()) => {
            let title = form.text("title");
            if is_htmx(&headers) && status != "open" {
                return render_fragment(&InsightDone { key, status, title });
            }
            let what = match status.as_str() {
                "dismissed" => "dismissed",
                "resolved" => "marked resolved",
                _ => "back in the inbox",
            };
            ctx.done(
                "/#insights",
                &format!(
                    "{} {what}.",
                    if title.is_empty() {
                        "The insight".to_owned()
                    } else {
                        format!("“{title}”")
                    }
                ),
            )
        }
        Err(e) => {
            let mut page = dashboard_page(&ctx).await?;
            page.errors = Errors::from_engine(e, &[])?;
            super::render_invalid("/", &page)
        }
    }
}
