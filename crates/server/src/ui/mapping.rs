//! Mapping module organizations to companies: by company (one row per company, one column per
//! billing-enabled module, suggestions pre-filled with their confidence) and by organization
//! (each module's orgs grouped under their parents; map, ignore or unmap from a date).

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::Query;
use serde::Deserialize;
use unitbill_domain::matching::DEFAULT_ACCEPT_THRESHOLD;
use unitbill_domain::setup::{BillingSetup, OrgAssignment};
use unitbill_engine::mapping::{OrgMappingInput, OrgSuggestion};
use unitbill_store::{ModuleOrg, Role};

use super::{Ctx, Errors, FormData, Layout, UiResult, day_text, percent, render, render_invalid};

struct Column {
    code: String,
    name: String,
}

struct OrgRef {
    id: String,
    name: String,
}

struct Suggested {
    /// `module:org_id`, the checkbox value.
    value: String,
    name: String,
    id: String,
    confidence: String,
    reason: String,
    checked: bool,
}

#[derive(Default)]
struct Cell {
    mapped: Vec<OrgRef>,
    suggested: Vec<Suggested>,
}

struct CompanyRow {
    id: i64,
    name: String,
    status: &'static str,
    cells: Vec<Cell>,
    has_suggestions: bool,
}

struct Unmatched {
    module: String,
    module_name: String,
    id: String,
    name: String,
    hint: String,
}

#[derive(Template)]
#[template(path = "mapping.html")]
struct ByCompanyPage {
    layout: Layout,
    columns: Vec<Column>,
    rows: Vec<CompanyRow>,
    unmatched: Vec<Unmatched>,
    above: usize,
    threshold: String,
    errors: Errors,
    errors_for: i64,
    /// The row the last accept changed: its confirmation shows in the row.
    highlight: i64,
    row_flash: String,
}

fn module_names(
    ctx: &Ctx,
    connected: &[unitbill_store::ConnectedModule],
) -> BTreeMap<String, String> {
    let mut names: BTreeMap<String, String> = ctx
        .engine()
        .catalog
        .modules()
        .map(|m| (m.code.to_string(), m.name.clone()))
        .collect();
    for c in connected {
        names.insert(c.module_code.clone(), c.name.clone());
    }
    names
}

async fn by_company_page(ctx: &Ctx) -> UiResult<ByCompanyPage> {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let setup = engine.load_setup(t).await?;
    let connected = engine.connected_modules(t).await?;
    let names = module_names(ctx, &connected);
    let orgs = engine.module_orgs(t, None).await?;
    let suggestions = engine.suggestions(t, ctx.view_day).await?;
    let columns: Vec<Column> = connected
        .iter()
        .filter(|m| setup.billing_enabled(&m.module_code, ctx.view_day))
        .map(|m| Column {
            code: m.module_code.clone(),
            name: m.name.clone(),
        })
        .collect();
    let mut rows: Vec<CompanyRow> = setup
        .companies
        .values()
        .map(|c| CompanyRow {
            id: c.id,
            name: c.name.clone(),
            status: c.status.as_str(),
            cells: columns.iter().map(|_| Cell::default()).collect(),
            has_suggestions: false,
        })
        .collect();
    rows.sort_by_key(|a| a.name.to_lowercase());
    let row_of: BTreeMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let col_of: BTreeMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.as_str(), i))
        .collect();
    for o in &orgs {
        if let (OrgAssignment::Mapped(c), Some(&col)) = (
            setup.org_assignment(&o.module_code, &o.org_id, ctx.view_day),
            col_of.get(o.module_code.as_str()),
        ) && let Some(&row) = row_of.get(&c)
        {
            rows[row].cells[col].mapped.push(OrgRef {
                id: o.org_id.clone(),
                name: o.name.clone(),
            });
        }
    }
    let mut unmatched = Vec::new();
    let mut above = 0;
    for s in &suggestions {
        let Some(&col) = col_of.get(s.module.as_str()) else {
            continue;
        };
        if setup.org_assignment(&s.module, &s.org_id, ctx.view_day) != OrgAssignment::Unmapped {
            continue;
        }
        match s.candidates.first() {
            Some(best) if row_of.contains_key(&best.company_id) => {
                let checked = best.confidence >= DEFAULT_ACCEPT_THRESHOLD;
                above += usize::from(checked);
                let row = &mut rows[row_of[&best.company_id]];
                row.has_suggestions = true;
                row.cells[col].suggested.push(Suggested {
                    value: format!("{}:{}", s.module, s.org_id),
                    name: s.org_name.clone(),
                    id: s.org_id.clone(),
                    confidence: percent(best.confidence),
                    reason: best.reason.clone(),
                    checked,
                });
            }
            _ => unmatched.push(Unmatched {
                module: s.module.clone(),
                module_name: names.get(&s.module).cloned().unwrap_or_default(),
                id: s.org_id.clone(),
                name: s.org_name.clone(),
                hint: "no similar company".to_owned(),
            }),
        }
    }
    Ok(ByCompanyPage {
        layout: ctx.layout("Mapping by company", "mapping"),
        columns,
        rows,
        unmatched,
        above,
        threshold: format!("{:.0}", DEFAULT_ACCEPT_THRESHOLD * 100.0),
        errors: Errors::default(),
        errors_for: 0,
        highlight: 0,
        row_flash: String::new(),
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct RowQuery {
    row: Option<i64>,
}

pub(crate) async fn by_company(ctx: Ctx, Query(q): Query<RowQuery>) -> UiResult {
    let mut page = by_company_page(&ctx).await?;
    if let Some(row) = q.row.filter(|r| page.rows.iter().any(|x| x.id == *r)) {
        page.highlight = row;
        page.row_flash = page.layout.flash.take().unwrap_or_default();
    }
    render(&page)
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Maps the organizations ticked on one company's row to it.
pub(crate) async fn accept_row(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let company_id: i64 = form.text("company_id").parse().unwrap_or(0);
    let inputs: Vec<OrgMappingInput> = form
        .all("org")
        .iter()
        .filter_map(|v| v.split_once(':'))
        .map(|(module, org)| OrgMappingInput {
            module: module.to_owned(),
            org_id: org.to_owned(),
            state: "mapped".into(),
            company_id: Some(company_id),
            effective_from: None,
        })
        .collect();
    let result = if inputs.is_empty() {
        let mut e = Errors::default();
        e.general
            .push("Tick the organizations to map to this company first.".into());
        Err(e)
    } else {
        match ctx
            .engine()
            .map_orgs(ctx.tenant_id(), &inputs, &ctx.actor())
            .await
        {
            Ok(changes) => Ok(changes.len()),
            Err(e) => Err(Errors::from_engine(e, &[])?),
        }
    };
    match result {
        Ok(n) => {
            let name = ctx
                .engine()
                .companies(ctx.tenant_id())
                .await?
                .into_iter()
                .find(|c| c.id == company_id)
                .map(|c| c.name)
                .unwrap_or_default();
            ctx.done(
                &format!("/mapping?row={company_id}#company-{company_id}"),
                &format!("Mapped {} to {name}.", plural(n, "organization")),
            )
        }
        Err(errors) => {
            let mut page = by_company_page(&ctx).await?;
            page.errors = errors;
            page.errors_for = company_id;
            render_invalid("/mapping", &page)
        }
    }
}

/// Accepts every suggestion whose confidence reaches the threshold (in percent).
pub(crate) async fn accept_all(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let typed = form.text("threshold");
    let threshold = typed
        .trim_end_matches('%')
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=100.0).contains(p));
    let outcome = match threshold {
        None => {
            let mut e = Errors::default();
            e.field("threshold", "must be a percentage from 0 to 100");
            Err(e)
        }
        Some(p) => match ctx
            .engine()
            .accept_suggestions(ctx.tenant_id(), p / 100.0, &ctx.actor())
            .await
        {
            Ok(changes) => Ok((changes.len(), p)),
            Err(e) => Err(Errors::from_engine(e, &["threshold"])?),
        },
    };
    match outcome {
        Ok((n, p)) => ctx.done(
            "/mapping",
            &format!(
                "Accepted {} at {p}% confidence or more.",
                plural(n, "suggestion")
            ),
        ),
        Err(errors) => {
            let mut page = by_company_page(&ctx).await?;
            page.threshold = typed;
            page.errors = errors;
            render_invalid("/mapping", &page)
        }
    }
}

struct ModuleTab {
    code: String,
    name: String,
    orgs: usize,
    unmapped: usize,
    current: bool,
}

struct OrgRow {
    id: String,
    name: String,
    parent_id: String,
    depth: usize,
    first_seen: String,
    last_seen: String,
    state: &'static str,
    company: String,
    company_id: i64,
    since: String,
    suggestion: String,
    /// What the select shows: `c:<id>`, `ignored` or `unmapped`.
    selected: String,
}

struct CompanyOption {
    value: String,
    name: String,
}

#[derive(Template)]
#[template(path = "mapping_orgs.html")]
struct ByOrgPage {
    layout: Layout,
    tabs: Vec<ModuleTab>,
    module: String,
    module_name: String,
    billing_enabled: bool,
    show: String,
    rows: Vec<OrgRow>,
    hidden: usize,
    companies: Vec<CompanyOption>,
    default_from: String,
    default_from_text: String,
    errors_for: String,
    errors_from: String,
    errors: Errors,
}

impl ByOrgPage {
    fn effective_value(&self, org: &str) -> String {
        if self.errors_for == org {
            self.errors_from.clone()
        } else {
            self.default_from.clone()
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct OrgsQuery {
    module: Option<String>,
    show: Option<String>,
}

/// Orgs in parent order: each top-level org followed by its sub-orgs, depth first.
fn parent_order<'a>(orgs: &[&'a ModuleOrg]) -> Vec<(&'a ModuleOrg, usize)> {
    let ids: BTreeSet<&str> = orgs.iter().map(|o| o.org_id.as_str()).collect();
    let mut children: BTreeMap<&str, Vec<&'a ModuleOrg>> = BTreeMap::new();
    let mut roots = Vec::new();
    for o in orgs {
        match o.parent_id.as_deref() {
            Some(p) if ids.contains(p) && p != o.org_id => children.entry(p).or_default().push(o),
            _ => roots.push(*o),
        }
    }
    let by_name =
        |a: &&ModuleOrg, b: &&ModuleOrg| a.name.to_lowercase().cmp(&b.name.to_lowercase());
    roots.sort_by(by_name);
    for list in children.values_mut() {
        list.sort_by(by_name);
    }
    let mut out = Vec::with_capacity(orgs.len());
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(&ModuleOrg, usize)> = roots.into_iter().rev().map(|o| (o, 0)).collect();
    while let Some((o, depth)) = stack.pop() {
        if !seen.insert(o.org_id.as_str()) {
            continue;
        }
        out.push((o, depth));
        if let Some(kids) = children.get(o.org_id.as_str()) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    // Orgs caught in a parent cycle have no root: list them at the top level.
    for o in orgs {
        if seen.insert(o.org_id.as_str()) {
            out.push((o, 0));
        }
    }
    out
}

fn org_row(
    ctx: &Ctx,
    setup: &BillingSetup,
    o: &ModuleOrg,
    depth: usize,
    suggestion: Option<&OrgSuggestion>,
) -> OrgRow {
    let assignment = setup.org_assignment(&o.module_code, &o.org_id, ctx.view_day);
    let since = setup
        .org_mappings
        .get(&(o.module_code.clone(), o.org_id.clone()))
        .and_then(|t| {
            t.changes()
                .iter()
                .filter(|(d, _)| *d <= ctx.view_day)
                .max_by_key(|(d, _)| *d)
        })
        .map(|(d, _)| day_text(*d))
        .unwrap_or_default();
    let best = suggestion.and_then(|s| s.candidates.first());
    let (state, company, company_id, selected) = match assignment {
        OrgAssignment::Mapped(c) => (
            "mapped",
            setup
                .companies
                .get(&c)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            c,
            format!("c:{c}"),
        ),
        OrgAssignment::Ignored => ("ignored", String::new(), 0, "ignored".to_owned()),
        OrgAssignment::Unmapped => (
            "unmapped",
            String::new(),
            0,
            best.map(|b| format!("c:{}", b.company_id))
                .unwrap_or_else(|| "unmapped".to_owned()),
        ),
    };
    OrgRow {
        id: o.org_id.clone(),
        name: o.name.clone(),
        parent_id: o.parent_id.clone().unwrap_or_default(),
        depth: depth.min(4),
        first_seen: o.first_seen_date.clone(),
        last_seen: o.last_seen_date.clone(),
        state,
        company,
        company_id,
        since,
        suggestion: if state == "unmapped" {
            best.map(|b| format!("{} · {}", b.company_name, percent(b.confidence)))
                .unwrap_or_default()
        } else {
            String::new()
        },
        selected,
    }
}

async fn by_org_page(ctx: &Ctx, q: &OrgsQuery) -> UiResult<ByOrgPage> {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let setup = engine.load_setup(t).await?;
    let connected = engine.connected_modules(t).await?;
    let orgs = engine.module_orgs(t, None).await?;
    let module = q
        .module
        .clone()
        .filter(|m| connected.iter().any(|c| &c.module_code == m))
        .or_else(|| {
            connected
                .iter()
                .find(|c| orgs.iter().any(|o| o.module_code == c.module_code))
                .map(|c| c.module_code.clone())
        })
        .or_else(|| connected.first().map(|c| c.module_code.clone()))
        .unwrap_or_default();
    let tabs = connected
        .iter()
        .map(|c| {
            let mine: Vec<&ModuleOrg> = orgs
                .iter()
                .filter(|o| o.module_code == c.module_code)
                .collect();
            ModuleTab {
                code: c.module_code.clone(),
                name: c.name.clone(),
                orgs: mine.len(),
                unmapped: mine
                    .iter()
                    .filter(|o| {
                        setup.org_assignment(&o.module_code, &o.org_id, ctx.view_day)
                            == OrgAssignment::Unmapped
                    })
                    .count(),
                current: c.module_code == module,
            }
        })
        .collect();
    let suggestions: BTreeMap<String, OrgSuggestion> = engine
        .suggestions(t, ctx.view_day)
        .await?
        .into_iter()
        .filter(|s| s.module == module)
        .map(|s| (s.org_id.clone(), s))
        .collect();
    let mine: Vec<&ModuleOrg> = orgs.iter().filter(|o| o.module_code == module).collect();
    let show = q.show.clone().unwrap_or_else(|| "all".to_owned());
    let all_rows: Vec<OrgRow> = parent_order(&mine)
        .into_iter()
        .map(|(o, depth)| org_row(ctx, &setup, o, depth, suggestions.get(&o.org_id)))
        .collect();
    let total = all_rows.len();
    let rows: Vec<OrgRow> = all_rows
        .into_iter()
        .filter(|r| show == "all" || r.state == show)
        .collect();
    let mut companies: Vec<CompanyOption> = setup
        .companies
        .values()
        .filter(|c| c.status.accepts_new_mappings())
        .map(|c| CompanyOption {
            value: format!("c:{}", c.id),
            name: c.name.clone(),
        })
        .collect();
    companies.sort_by_key(|a| a.name.to_lowercase());
    let module_name = module_names(ctx, &connected)
        .get(&module)
        .cloned()
        .unwrap_or_default();
    Ok(ByOrgPage {
        layout: ctx.layout(format!("{module_name} organizations"), "mapping"),
        tabs,
        billing_enabled: setup.billing_enabled(&module, ctx.view_day),
        module,
        module_name,
        hidden: total - rows.len(),
        show,
        rows,
        companies,
        default_from: ctx.default_from.to_string(),
        default_from_text: day_text(ctx.default_from),
        errors_for: String::new(),
        errors_from: String::new(),
        errors: Errors::default(),
    })
}

pub(crate) async fn by_org(ctx: Ctx, Query(q): Query<OrgsQuery>) -> UiResult {
    render(&by_org_page(&ctx, &q).await?)
}

/// Maps one organization to a company, or marks it ignored or unmapped, from a date.
pub(crate) async fn map_org(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let module = form.text("module");
    let org_id = form
        .0
        .iter()
        .find(|(k, _)| k == "org_id")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let target = form.text("target");
    let (state, company_id) = match target.strip_prefix("c:") {
        Some(id) => ("mapped", id.parse().ok()),
        None => (target.as_str(), None),
    };
    let input = OrgMappingInput {
        module: module.clone(),
        org_id: org_id.clone(),
        state: state.to_owned(),
        company_id,
        effective_from: form.get("effective_from"),
    };
    let back = format!(
        "/mapping/orgs?module={}",
        super::session::encode_query(&module)
    );
    match ctx
        .engine()
        .map_orgs(ctx.tenant_id(), &[input], &ctx.actor())
        .await
    {
        Ok(changes) => {
            let name = ctx
                .engine()
                .module_orgs(ctx.tenant_id(), Some(&module))
                .await?
                .into_iter()
                .find(|o| o.org_id == org_id)
                .map(|o| o.name)
                .unwrap_or(org_id.clone());
            let what = match (state, company_id) {
                ("mapped", Some(c)) => {
                    let company = ctx
                        .engine()
                        .companies(ctx.tenant_id())
                        .await?
                        .into_iter()
                        .find(|x| x.id == c)
                        .map(|x| x.name)
                        .unwrap_or_default();
                    format!("mapped to {company}")
                }
                ("ignored", _) => "ignored".to_owned(),
                _ => "unmapped".to_owned(),
            };
            let from = changes
                .first()
                .map(|c| day_text(c.effective_from))
                .unwrap_or_default();
            ctx.done(
                &format!("{back}#org-{}", super::session::encode_query(&org_id)),
                &format!("{name} is {what} from {from}."),
            )
        }
        Err(e) => {
            let q = OrgsQuery {
                module: Some(module),
                show: None,
            };
            let mut page = by_org_page(&ctx, &q).await?;
            page.errors =
                Errors::from_engine(e, &["company_id", "effective_from", "state", "org_id"])?;
            page.errors_for = org_id;
            page.errors_from = form.text("effective_from");
            render_invalid(&back, &page)
        }
    }
}
