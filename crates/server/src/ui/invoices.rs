//! Invoices: a period's run (preview = drafts, regenerated freely), its documents with totals
//! and the difference against each company's previous period, approving and posting (one or
//! in bulk; the engine refuses before the first day after the period), one-off lines, and the
//! aging report.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::Query;
use rust_decimal::Decimal;
use serde::Deserialize;
use unitbill_domain::document::{CreditReason, DocumentKind, DocumentStatus};
use unitbill_domain::period::Period;
use unitbill_engine::invoicing::OneOffInput;
use unitbill_store::{DocumentRecord, Role};

use super::{
    Ctx, Errors, FormData, Layout, UiResult, dec, money, period_label, render, render_at,
    render_invalid,
};

/// A document's kind as people read it.
pub(crate) fn kind_label(d: &DocumentRecord) -> String {
    match (d.kind, d.credit_reason) {
        (DocumentKind::Invoice, _) => "Invoice".to_owned(),
        (DocumentKind::CreditNote, Some(CreditReason::Void)) => "Credit note (void)".to_owned(),
        (DocumentKind::CreditNote, Some(CreditReason::Run)) => "Credit note (run)".to_owned(),
        (DocumentKind::CreditNote, Some(CreditReason::Goodwill)) => {
            "Credit note (goodwill)".to_owned()
        }
        (DocumentKind::CreditNote, None) => "Credit note".to_owned(),
    }
}

/// A status as people read it.
pub(crate) fn status_label(s: DocumentStatus) -> String {
    s.as_str().replace('_', " ")
}

/// The badge class of a status.
pub(crate) fn status_class(s: DocumentStatus) -> &'static str {
    match s {
        DocumentStatus::Paid => "ok",
        DocumentStatus::Draft | DocumentStatus::PartiallyPaid => "warn",
        DocumentStatus::Void => "bad",
        DocumentStatus::Posted => "",
    }
}

/// What a document adds to its company's billed total: invoices and run credit notes (a
/// company whose total would be negative gets one instead of an invoice). Voided invoices,
/// void and goodwill credit notes do not count.
fn billed_total(d: &DocumentRecord) -> Option<Decimal> {
    match (d.kind, d.credit_reason, d.status) {
        (DocumentKind::Invoice, _, DocumentStatus::Void) => None,
        (DocumentKind::Invoice, _, _) => Some(d.total),
        (DocumentKind::CreditNote, Some(CreditReason::Run), _) => Some(-d.total),
        _ => None,
    }
}

struct PeriodOption {
    value: String,
    label: String,
    selected: bool,
}

struct DocRow {
    id: i64,
    draft: bool,
    number: String,
    company_id: i64,
    company: String,
    kind: String,
    status: DocumentStatus,
    status_label: String,
    status_class: &'static str,
    lines: usize,
    stale_lines: usize,
    subtotal: String,
    tax: String,
    total: String,
    currency: String,
    previous: String,
    difference: String,
    difference_class: &'static str,
}

struct CompanyOption {
    id: String,
    name: String,
}

struct OneOffRow {
    company: String,
    description: String,
    quantity: String,
    unit_price: String,
    taxable: bool,
}

#[derive(Template)]
#[template(path = "invoices.html")]
struct InvoicesPage {
    layout: Layout,
    period: String,
    period_label: String,
    previous_label: String,
    periods: Vec<PeriodOption>,
    has_run: bool,
    open_period: String,
    billing_start: String,
    /// The first day the period's documents can be posted.
    post_from: String,
    postable: bool,
    rows: Vec<DocRow>,
    drafts: Vec<i64>,
    total: String,
    previous_total: String,
    currency: String,
    /// The report of the preview just made.
    ran: bool,
    problems: Vec<String>,
    skipped: usize,
    errors: Errors,
    companies: Vec<CompanyOption>,
    one_offs: Vec<OneOffRow>,
    o_company: String,
    o_description: String,
    o_quantity: String,
    o_price: String,
    o_taxable: bool,
    o_errors: Errors,
}

impl InvoicesPage {
    fn draft_ids(&self) -> String {
        self.drafts
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The period pages open on: the open period, or last month before any run.
async fn default_period(ctx: &Ctx) -> UiResult<Period> {
    Ok(match ctx.engine().open_period(ctx.tenant_id()).await? {
        Some(p) => p,
        None => Period::of(ctx.today).prev(),
    })
}

async fn invoices_page(ctx: &Ctx, period: Period) -> UiResult<InvoicesPage> {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let runs = engine.invoice_runs(t).await?;
    let open = engine.open_period(t).await?;
    let this = Period::of(ctx.today);
    let mut values: Vec<Period> = (-12..=1).map(|k| this.add_months(k)).collect();
    values.extend(runs.iter().filter_map(|r| Period::parse(r).ok()));
    values.push(period);
    values.sort();
    values.dedup();
    values.reverse();
    let periods = values
        .iter()
        .map(|p| PeriodOption {
            value: p.to_string(),
            label: format!(
                "{}{}",
                period_label(*p),
                if Some(*p) == open {
                    " · open"
                } else if runs.contains(&p.to_string()) {
                    " · run"
                } else {
                    ""
                }
            ),
            selected: *p == period,
        })
        .collect();
    let companies = engine.companies(t).await?;
    let names: BTreeMap<i64, String> = companies.iter().map(|c| (c.id, c.name.clone())).collect();
    let mut docs = engine.period_documents(t, &period.to_string()).await?;
    docs.sort_by(|a, b| {
        names
            .get(&a.company_id)
            .map(|n| n.to_lowercase())
            .cmp(&names.get(&b.company_id).map(|n| n.to_lowercase()))
            .then(a.id.cmp(&b.id))
    });
    let mut previous: BTreeMap<i64, Decimal> = BTreeMap::new();
    for d in engine
        .documents(t, Some(&period.prev().to_string()), None)
        .await?
    {
        if d.is_draft() {
            continue;
        }
        if let Some(v) = billed_total(&d) {
            *previous.entry(d.company_id).or_default() += v;
        }
    }
    let currency = ctx.tenant.currency.clone();
    let mut total = Decimal::ZERO;
    let mut previous_total = Decimal::ZERO;
    let mut counted: std::collections::BTreeSet<i64> = Default::default();
    let rows: Vec<DocRow> = docs
        .iter()
        .map(|d| {
            let billed = billed_total(d);
            let prev = previous.get(&d.company_id).copied();
            if d.currency == currency
                && let Some(b) = billed
            {
                total += b;
                if counted.insert(d.company_id) {
                    previous_total += prev.unwrap_or_default();
                }
            }
            let (difference, difference_class) = match (billed, prev) {
                (Some(b), Some(p)) => {
                    let diff = b - p;
                    (
                        format!(
                            "{}{}",
                            if diff > Decimal::ZERO { "+" } else { "" },
                            money(diff, &d.currency)
                        ),
                        if diff > Decimal::ZERO {
                            "up"
                        } else if diff < Decimal::ZERO {
                            "down"
                        } else {
                            ""
                        },
                    )
                }
                (Some(_), None) => ("new".to_owned(), ""),
                _ => (String::new(), ""),
            };
            DocRow {
                id: d.id,
                draft: d.is_draft(),
                number: d.number.clone().unwrap_or_default(),
                company_id: d.company_id,
                company: names.get(&d.company_id).cloned().unwrap_or_default(),
                kind: kind_label(d),
                status_label: status_label(d.status),
                status_class: status_class(d.status),
                status: d.status,
                lines: d.lines.len(),
                stale_lines: d.lines.iter().filter(|l| l.stale).count(),
                subtotal: money(d.subtotal, &d.currency),
                tax: money(d.tax_total, &d.currency),
                total: money(d.total, &d.currency),
                currency: d.currency.clone(),
                previous: if billed.is_some() {
                    prev.map(|p| money(p, &d.currency)).unwrap_or_default()
                } else {
                    String::new()
                },
                difference,
                difference_class,
            }
        })
        .collect();
    // Companies billed last period and not this one: their total went to zero.
    for (company, prev) in &previous {
        if !counted.contains(company) {
            previous_total += *prev;
        }
    }
    let drafts = docs.iter().filter(|d| d.is_draft()).map(|d| d.id).collect();
    let mut company_options: Vec<CompanyOption> = companies
        .iter()
        .map(|c| CompanyOption {
            id: c.id.to_string(),
            name: c.name.clone(),
        })
        .collect();
    company_options.sort_by_key(|c| c.name.to_lowercase());
    let one_offs = engine
        .one_offs(t, &period.to_string())
        .await?
        .into_iter()
        .map(|o| OneOffRow {
            company: names.get(&o.company_id).cloned().unwrap_or_default(),
            description: o.description,
            quantity: o.quantity.normalize().to_string(),
            unit_price: money(o.unit_price, &currency),
            taxable: o.taxable,
        })
        .collect();
    Ok(InvoicesPage {
        layout: ctx.layout(format!("Invoices · {}", period_label(period)), "invoices"),
        period: period.to_string(),
        period_label: period_label(period),
        previous_label: period_label(period.prev()),
        periods,
        has_run: runs.contains(&period.to_string()),
        open_period: open.map(period_label).unwrap_or_default(),
        // Read again: the run just made may have set it.
        billing_start: engine
            .tenant(t)
            .await?
            .billing_start
            .as_deref()
            .and_then(|b| Period::parse(b).ok())
            .map(period_label)
            .unwrap_or_default(),
        post_from: period.next().first_day().to_string(),
        postable: ctx.today > period.last_day(),
        rows,
        drafts,
        total: money(total, &currency),
        previous_total: money(previous_total, &currency),
        currency,
        ran: false,
        problems: Vec::new(),
        skipped: 0,
        errors: Errors::default(),
        companies: company_options,
        one_offs,
        o_company: String::new(),
        o_description: String::new(),
        o_quantity: "1".to_owned(),
        o_price: String::new(),
        o_taxable: true,
        o_errors: Errors::default(),
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct PeriodQuery {
    period: Option<String>,
}

fn parse_period(text: Option<&str>) -> Option<Period> {
    text.and_then(|p| Period::parse(p.trim()).ok())
}

pub(crate) async fn list(ctx: Ctx, Query(q): Query<PeriodQuery>) -> UiResult {
    let period = match parse_period(q.period.as_deref()) {
        Some(p) => p,
        None => default_period(&ctx).await?,
    };
    render(&invoices_page(&ctx, period).await?)
}

fn invoices_url(period: Period) -> String {
    format!("/invoices?period={period}")
}

/// Previews (or regenerates) the run closing a period: drafts, and the report of what could
/// not be billed.
pub(crate) async fn run(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let Some(period) = parse_period(form.get("period").as_deref()) else {
        let mut page = invoices_page(&ctx, default_period(&ctx).await?).await?;
        page.errors.general.push("Pick a month to run.".into());
        return render_invalid("/invoices", &page);
    };
    match ctx
        .engine()
        .invoice_run(ctx.tenant_id(), &period.to_string(), false)
        .await
    {
        Ok(report) => {
            let mut page = invoices_page(&ctx, period).await?;
            let n = report.documents.len();
            page.layout.flash = Some(format!(
                "Preview of {}: {n} draft{} made.{}",
                period_label(period),
                if n == 1 { "" } else { "s" },
                if report.problems.is_empty() {
                    String::new()
                } else {
                    format!(
                        " {} contract service{} could not be billed: see below.",
                        report.problems.len(),
                        if report.problems.len() == 1 { "" } else { "s" }
                    )
                }
            ));
            page.ran = true;
            page.problems = report.problems;
            page.skipped = report.skipped_companies.len();
            render_at(&invoices_url(period), &page)
        }
        Err(e) => {
            let mut page = invoices_page(&ctx, period).await?;
            page.errors = Errors::from_engine(e, &[])?;
            render_invalid(&invoices_url(period), &page)
        }
    }
}

/// Approves and posts drafts (the ticked ones, or a list in `ids`).
pub(crate) async fn post(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let period = match parse_period(form.get("period").as_deref()) {
        Some(p) => p,
        None => default_period(&ctx).await?,
    };
    let mut ids: Vec<i64> = form
        .all("id")
        .iter()
        .chain(form.all("ids").iter())
        .flat_map(|v| v.split(','))
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        let mut page = invoices_page(&ctx, period).await?;
        page.errors
            .general
            .push("Tick the drafts to approve and post first.".into());
        return render_invalid(&invoices_url(period), &page);
    }
    match ctx.engine().post_documents(ctx.tenant_id(), &ids).await {
        Ok(posted) => {
            let numbers: Vec<String> = posted.iter().filter_map(|d| d.number.clone()).collect();
            let list = match numbers.as_slice() {
                [] => String::new(),
                [one] => format!(": {one}"),
                [first, .., last] => format!(": {first} to {last}"),
            };
            ctx.done(
                &invoices_url(period),
                &format!(
                    "Posted {} document{}{list}.",
                    posted.len(),
                    if posted.len() == 1 { "" } else { "s" }
                ),
            )
        }
        Err(e) => {
            let mut page = invoices_page(&ctx, period).await?;
            page.errors = Errors::from_engine(e, &[])?;
            render_invalid(&invoices_url(period), &page)
        }
    }
}

const ONE_OFF_FIELDS: [&str; 5] = [
    "company_id",
    "period",
    "description",
    "quantity",
    "unit_price",
];

/// Adds a one-off charge (or, with a negative price, credit) to a company's invoice of the
/// run closing a period.
pub(crate) async fn one_off(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let period_text = form.text("period");
    let period = parse_period(Some(&period_text));
    let company_text = form.text("company_id");
    let input = OneOffInput {
        company_id: company_text.parse().unwrap_or(0),
        period: period_text.clone(),
        description: form.text("description"),
        quantity: form.text("quantity"),
        unit_price: form.text("unit_price"),
        taxable: form.get("taxable").is_some(),
    };
    let result = ctx.engine().add_one_off(ctx.tenant_id(), &input).await;
    let shown = match period {
        Some(p) => p,
        None => default_period(&ctx).await?,
    };
    match result {
        Ok(o) => ctx.done(
            &format!("{}#one-offs", invoices_url(shown)),
            &format!(
                "One-off line “{}” added for {}: it goes on the company's invoice at the next preview of that run.",
                o.description,
                period.map(period_label).unwrap_or(o.period)
            ),
        ),
        Err(e) => {
            let mut page = invoices_page(&ctx, shown).await?;
            page.o_errors = Errors::from_engine(e, &ONE_OFF_FIELDS)?;
            page.o_company = company_text;
            page.o_description = input.description;
            page.o_quantity = input.quantity;
            page.o_price = input.unit_price;
            page.o_taxable = input.taxable;
            render_invalid(&invoices_url(shown), &page)
        }
    }
}

struct AgingLine {
    company_id: i64,
    company: String,
    currency: String,
    current: String,
    d30: String,
    d60: String,
    d90: String,
    over: String,
    total: String,
    credit: String,
}

#[derive(Template)]
#[template(path = "aging.html")]
struct AgingPage {
    layout: Layout,
    today: String,
    rows: Vec<AgingLine>,
    totals: Vec<AgingLine>,
}

/// Open receivables by company and days past due, as of today.
pub(crate) async fn aging(ctx: Ctx) -> UiResult {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let companies = engine.companies(t).await?;
    let report = engine.aging(t, Some(ctx.today)).await?;
    let mut rows = Vec::new();
    let mut sums: BTreeMap<String, [Decimal; 7]> = BTreeMap::new();
    for r in report {
        let company = companies.iter().find(|c| c.id == r.company_id);
        let currency = company.map_or(ctx.tenant.currency.clone(), |c| c.currency.clone());
        let values = [
            dec(&r.current),
            dec(&r.days_1_30),
            dec(&r.days_31_60),
            dec(&r.days_61_90),
            dec(&r.over_90),
            dec(&r.total),
            dec(&r.credit_balance),
        ];
        let sum = sums.entry(currency.clone()).or_default();
        for (s, v) in sum.iter_mut().zip(values) {
            *s += v;
        }
        rows.push(aging_line(
            r.company_id,
            company.map(|c| c.name.clone()).unwrap_or_default(),
            &currency,
            values,
        ));
    }
    rows.sort_by_key(|r| r.company.to_lowercase());
    let totals = sums
        .into_iter()
        .map(|(cur, v)| aging_line(0, format!("Total {cur}"), &cur, v))
        .collect();
    render(&AgingPage {
        layout: ctx.layout("Aging", "invoices"),
        today: ctx.today.to_string(),
        rows,
        totals,
    })
}

fn aging_line(company_id: i64, company: String, currency: &str, v: [Decimal; 7]) -> AgingLine {
    let m = |d: Decimal| {
        if d.is_zero() {
            String::new()
        } else {
            money(d, currency)
        }
    };
    AgingLine {
        company_id,
        company,
        currency: currency.to_owned(),
        current: m(v[0]),
        d30: m(v[1]),
        d60: m(v[2]),
        d90: m(v[3]),
        over: m(v[4]),
        total: money(v[5], currency),
        credit: m(v[6]),
    }
}
