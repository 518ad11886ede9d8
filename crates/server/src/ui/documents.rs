//! One invoice or credit note: header, lines (each explained down to its daily units and the
//! module orgs behind them, loaded in place by htmx), taxes, totals, payments, and what can be
//! done with it: post a draft, record a payment, apply credit, void (confirmed), give a
//! goodwill credit, download it as PDF or UBL.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use rust_decimal::Decimal;
use unitbill_domain::document::DocumentStatus;
use unitbill_domain::invoice::LineKind;
use unitbill_domain::period::Period;
use unitbill_engine::EngineError;
use unitbill_engine::invoicing::{GoodwillLine, PaymentInput};
use unitbill_store::{DocumentRecord, Role};

use super::charts::{DayPoint, StepChart, step_chart, units_text};
use super::invoices::{kind_label, status_class, status_label};
use super::{
    Ctx, Errors, FormData, Layout, UiResult, is_htmx, module_names, money, period_label, render,
    render_fragment, render_invalid,
};

struct LineRow {
    no: i64,
    kind: String,
    period: String,
    description: String,
    for_child: String,
    quantity: String,
    unit_price: String,
    amount: String,
    stale: bool,
    /// It has daily units behind it (not a one-off).
    explainable: bool,
}

struct TaxRow {
    name: String,
    percent: String,
    base: String,
    amount: String,
}

struct PaymentRow {
    paid_on: String,
    amount: String,
    applied: String,
    method: String,
    reference: String,
}

struct DocLink {
    id: i64,
    label: String,
}

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage {
    layout: Layout,
    id: i64,
    title: String,
    kind: String,
    is_invoice: bool,
    status: DocumentStatus,
    status_label: String,
    status_class: &'static str,
    company_id: i64,
    company: String,
    period: String,
    period_label: String,
    issue_date: String,
    due_date: String,
    currency: String,
    purchase_orders: String,
    voids: Option<DocLink>,
    voided_by: Vec<DocLink>,
    lines: Vec<LineRow>,
    stale_lines: usize,
    taxes: Vec<TaxRow>,
    subtotal: String,
    tax_total: String,
    total: String,
    paid: String,
    credited: String,
    has_credited: bool,
    open: String,
    has_open: bool,
    payments: Vec<PaymentRow>,
    credit_balance: String,
    can_apply_credit: bool,
    draft: bool,
    post_from: String,
    can_pay: bool,
    can_void: bool,
    post_errors: Errors,
    p_amount: String,
    p_paid_on: String,
    p_method: String,
    p_reference: String,
    p_errors: Errors,
    void_errors: Errors,
    gw_description: String,
    gw_amount: String,
    gw_taxable: bool,
    gw_errors: Errors,
}

fn doc_title(d: &DocumentRecord) -> String {
    match &d.number {
        Some(n) => n.clone(),
        None => format!("Draft {}", kind_label(d).to_lowercase()),
    }
}

async fn document_page(ctx: &Ctx, id: i64) -> UiResult<DocumentPage> {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let d = engine.document(t, id).await?;
    let company = engine
        .companies(t)
        .await?
        .into_iter()
        .find(|c| c.id == d.company_id);
    let cur = d.currency.clone();
    let headers = engine.documents(t, None, Some(d.company_id)).await?;
    let voids = d.voids_document_id.map(|v| DocLink {
        id: v,
        label: headers
            .iter()
            .find(|x| x.id == v)
            .map(doc_title)
            .unwrap_or_else(|| format!("document {v}")),
    });
    let voided_by = headers
        .iter()
        .filter(|x| x.voids_document_id == Some(id))
        .map(|x| DocLink {
            id: x.id,
            label: doc_title(x),
        })
        .collect();
    let payments: Vec<unitbill_store::PaymentRecord> = engine
        .payments(t, Some(d.company_id))
        .await?
        .into_iter()
        .filter(|p| p.document_id == Some(id))
        .collect();
    let paid: Decimal = payments.iter().map(|p| p.applied).sum();
    let credited: Decimal = engine
        .credit_applications(t, Some(d.company_id))
        .await?
        .iter()
        .filter(|a| a.document_id == id)
        .map(|a| a.amount)
        .sum();
    let is_invoice = d.is_invoice();
    let live_invoice = d.can_void();
    let open = if live_invoice {
        d.open_amount(paid, credited).max(Decimal::ZERO)
    } else {
        Decimal::ZERO
    };
    let balance = engine.credit_balance(t, d.company_id).await?;
    let period = Period::parse(&d.period).ok();
    Ok(DocumentPage {
        layout: ctx.layout(
            format!(
                "{} · {}",
                doc_title(&d),
                company.as_ref().map_or("", |c| c.name.as_str())
            ),
            "invoices",
        ),
        id,
        title: doc_title(&d),
        kind: kind_label(&d),
        is_invoice,
        status: d.status,
        status_label: status_label(d.status),
        status_class: status_class(d.status),
        company_id: d.company_id,
        company: company.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        period: d.period.clone(),
        period_label: period.map(period_label).unwrap_or(d.period.clone()),
        issue_date: d.issue_date.to_string(),
        due_date: d.due_date.map(|x| x.to_string()).unwrap_or_default(),
        currency: cur.clone(),
        purchase_orders: d.purchase_orders.join(", "),
        voids,
        voided_by,
        stale_lines: d.lines.iter().filter(|l| l.stale).count(),
        lines: d
            .lines
            .iter()
            .map(|l| LineRow {
                no: l.line_no,
                kind: match l.kind {
                    LineKind::OneOff => "one-off".to_owned(),
                    k => k.to_string(),
                },
                period: l.period.clone(),
                description: l.description.clone(),
                for_child: l.for_child.clone().unwrap_or_default(),
                quantity: l.quantity.normalize().to_string(),
                unit_price: money(l.unit_price, &cur),
                amount: money(l.amount, &cur),
                stale: l.stale,
                explainable: l.contract_service_id.is_some(),
            })
            .collect(),
        taxes: d
            .taxes
            .iter()
            .map(|x| TaxRow {
                name: x.name.clone(),
                percent: x.percent.normalize().to_string(),
                base: money(x.base, &cur),
                amount: money(x.amount, &cur),
            })
            .collect(),
        subtotal: money(d.subtotal, &cur),
        tax_total: money(d.tax_total, &cur),
        total: money(d.total, &cur),
        paid: money(paid, &cur),
        credited: money(credited, &cur),
        has_credited: !credited.is_zero(),
        has_open: open > Decimal::ZERO,
        open: money(open, &cur),
        payments: payments
            .iter()
            .map(|p| PaymentRow {
                paid_on: p.paid_on.to_string(),
                amount: money(p.amount, &cur),
                applied: money(p.applied, &cur),
                method: p.method.clone(),
                reference: p.reference.clone(),
            })
            .collect(),
        credit_balance: money(balance, &cur),
        can_apply_credit: live_invoice && open > Decimal::ZERO && balance > Decimal::ZERO,
        draft: d.is_draft(),
        post_from: period
            .map(|p| p.next().first_day().to_string())
            .unwrap_or_default(),
        can_pay: d.can_receive_payment(),
        can_void: live_invoice,
        post_errors: Errors::default(),
        p_amount: if open > Decimal::ZERO {
            open.to_string()
        } else {
            String::new()
        },
        p_paid_on: ctx.today.to_string(),
        p_method: String::new(),
        p_reference: String::new(),
        p_errors: Errors::default(),
        void_errors: Errors::default(),
        gw_description: String::new(),
        gw_amount: String::new(),
        gw_taxable: true,
        gw_errors: Errors::default(),
    })
}

pub(crate) async fn show(ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    render(&document_page(&ctx, id).await?)
}

/// Downloads a document as PDF or UBL 2.1 (the same files as the API, for a signed-in person).
pub(crate) async fn download(ctx: Ctx, Path((id, format)): Path<(i64, String)>) -> UiResult {
    let format = match format.as_str() {
        "pdf" => unitbill_engine::exports::ExportFormat::Pdf,
        "ubl" => unitbill_engine::exports::ExportFormat::Ubl,
        _ => {
            return Err(unitbill_engine::EngineError::NotFound(format!(
                "download format {format:?}"
            ))
            .into());
        }
    };
    let file = ctx
        .engine()
        .render_document(ctx.tenant_id(), id, format)
        .await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file.filename.replace('"', "")
    );
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                file.content_type.to_owned(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        file.bytes,
    )
        .into_response())
}

fn doc_url(id: i64) -> String {
    format!("/documents/{id}")
}

/// Approves and posts one draft.
pub(crate) async fn post(ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    ctx.require(Role::Billing)?;
    match ctx.engine().post_documents(ctx.tenant_id(), &[id]).await {
        Ok(posted) => ctx.done(
            &doc_url(id),
            &format!(
                "Posted as {}.",
                posted
                    .first()
                    .and_then(|d| d.number.clone())
                    .unwrap_or_default()
            ),
        ),
        Err(e) => {
            let mut page = document_page(&ctx, id).await?;
            page.post_errors = Errors::from_engine(e, &[])?;
            render_invalid(&doc_url(id), &page)
        }
    }
}

/// Records a payment against the invoice.
pub(crate) async fn pay(ctx: Ctx, Path(id): Path<i64>, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let input = PaymentInput {
        amount: form.text("amount"),
        paid_on: form.get("paid_on"),
        method: form.text("method"),
        reference: form.text("reference"),
    };
    match ctx
        .engine()
        .record_payment(ctx.tenant_id(), id, &input)
        .await
    {
        Ok(p) => {
            let doc = ctx.engine().document(ctx.tenant_id(), id).await?;
            let extra = p.amount - p.applied;
            ctx.done(
                &doc_url(id),
                &format!(
                    "Payment of {} {} recorded; the invoice is {}.{}",
                    money(p.amount, &doc.currency),
                    doc.currency,
                    status_label(doc.status),
                    if extra > Decimal::ZERO {
                        format!(
                            " {} went to the company's credit balance.",
                            money(extra, &doc.currency)
                        )
                    } else {
                        String::new()
                    }
                ),
            )
        }
        Err(e) => {
            let mut page = document_page(&ctx, id).await?;
            page.p_errors = Errors::from_engine(e, &["amount", "paid_on", "method", "reference"])?;
            page.p_amount = input.amount;
            page.p_paid_on = form.text("paid_on");
            page.p_method = input.method;
            page.p_reference = input.reference;
            render_invalid(&doc_url(id), &page)
        }
    }
}

/// Applies the company's credit balance to the invoice (all that fits).
pub(crate) async fn apply_credit(ctx: Ctx, Path(id): Path<i64>) -> UiResult {
    ctx.require(Role::Billing)?;
    match ctx.engine().apply_credit(ctx.tenant_id(), id, None).await {
        Ok(applied) => {
            let doc = ctx.engine().document(ctx.tenant_id(), id).await?;
            ctx.done(
                &doc_url(id),
                &format!(
                    "{} {} of credit applied.",
                    money(applied, &doc.currency),
                    doc.currency
                ),
            )
        }
        Err(e) => {
            let mut page = document_page(&ctx, id).await?;
            page.p_errors = Errors::from_engine(e, &[])?;
            render_invalid(&doc_url(id), &page)
        }
    }
}

/// Voids the posted invoice with a credit note; the box must be ticked to confirm.
pub(crate) async fn void(ctx: Ctx, Path(id): Path<i64>, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let result = if form.get("confirm").is_none() {
        let mut e = Errors::default();
        e.field(
            "confirm",
            "tick the box to confirm: a void cannot be undone",
        );
        Err(e)
    } else {
        match ctx.engine().void_invoice(ctx.tenant_id(), id).await {
            Ok(note) => Ok(note),
            Err(e) => Err(Errors::from_engine(e, &[])?),
        }
    };
    match result {
        Ok(note) => ctx.done(
            &doc_url(note.id),
            &format!(
                "Invoice voided by credit note {}: the next run bills what is due for its periods.",
                note.number.clone().unwrap_or_default()
            ),
        ),
        Err(errors) => {
            let mut page = document_page(&ctx, id).await?;
            page.void_errors = errors;
            render_invalid(&doc_url(id), &page)
        }
    }
}

/// Gives an amount back to the document's company (a goodwill credit note, never re-billed).
pub(crate) async fn goodwill(ctx: Ctx, Path(id): Path<i64>, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let doc = ctx.engine().document(ctx.tenant_id(), id).await?;
    let line = GoodwillLine {
        description: form.text("description"),
        amount: form.text("amount"),
        taxable: form.get("taxable").is_some(),
    };
    match ctx
        .engine()
        .goodwill_credit(
            ctx.tenant_id(),
            doc.company_id,
            Some(&doc.period),
            std::slice::from_ref(&line),
        )
        .await
    {
        Ok(note) => ctx.done(
            &doc_url(note.id),
            &format!(
                "Goodwill credit note {} issued.",
                note.number.clone().unwrap_or_default()
            ),
        ),
        Err(e) => {
            // The engine names the fields of its first line `lines[0].…`.
            let e = match e {
                EngineError::Invalid(list) => EngineError::Invalid(
                    list.into_iter()
                        .map(|mut fe| {
                            fe.field = fe.field.trim_start_matches("lines[0].").to_owned();
                            fe
                        })
                        .collect(),
                ),
                other => other,
            };
            let mut page = document_page(&ctx, id).await?;
            page.gw_errors = Errors::from_engine(e, &["description", "amount"])?;
            page.gw_description = line.description;
            page.gw_amount = line.amount;
            page.gw_taxable = line.taxable;
            render_invalid(&doc_url(id), &page)
        }
    }
}

struct ExplainDay {
    day: String,
    units: String,
    stale: bool,
    cells: Vec<String>,
}

struct ExplainSource {
    module: String,
    org: String,
    org_id: String,
    billing_type: String,
    days: usize,
    peak: String,
    average: String,
}

/// Why a line says what it says.
struct Explain {
    doc_id: i64,
    line_no: i64,
    description: String,
    period_label: String,
    rule: String,
    quantity: String,
    amount: String,
    days_in_period: i64,
    unit_days: String,
    average: String,
    peak: String,
    last: String,
    stale_days: usize,
    chart: StepChart,
    columns: Vec<String>,
    more_sources: usize,
    days: Vec<ExplainDay>,
    sources: Vec<ExplainSource>,
}

#[derive(Template)]
#[template(path = "explain.html")]
struct ExplainFragment {
    x: Explain,
}

#[derive(Template)]
#[template(path = "explain_page.html")]
struct ExplainPage {
    layout: Layout,
    doc_title: String,
    x: Explain,
}

/// Per-source columns the daily table shows; more sources are summed in the orgs table only.
const SOURCE_COLUMNS: usize = 4;

/// The daily units and module orgs behind a line: a fragment for htmx, a page otherwise.
pub(crate) async fn explain(
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, line_no)): Path<(i64, i64)>,
) -> UiResult {
    let engine = ctx.engine();
    let t = ctx.tenant_id();
    let doc = engine.document(t, id).await?;
    let line = doc
        .lines
        .iter()
        .find(|l| l.line_no == line_no)
        .ok_or_else(|| EngineError::NotFound(format!("line {line_no}")))?;
    let ex = engine.explain_line(t, id, line_no).await?;
    let period = Period::parse(&ex.period)
        .map_err(|e| EngineError::Conflict(format!("stored period {}: {e}", ex.period)))?;
    let setup = engine.load_setup(t).await?;
    let rule = setup
        .contract_services
        .get(&ex.contract_service_id)
        .and_then(|cs| cs.terms_for(period))
        .map(|terms| super::contracts::rule_label(terms.rule).to_owned())
        .unwrap_or_default();
    let names = module_names(&ctx).await?;
    let org_names: BTreeMap<(String, String), String> = engine
        .module_orgs(t, None)
        .await?
        .into_iter()
        .map(|o| ((o.module_code, o.org_id), o.name))
        .collect();
    let by_day: BTreeMap<jiff::civil::Date, (Decimal, bool)> = ex
        .days
        .iter()
        .map(|r| (r.day, (r.units, r.stale)))
        .collect();
    let points: Vec<DayPoint> = period
        .dates()
        .map(|d| DayPoint {
            day: d,
            units: by_day.get(&d).map(|x| x.0),
            stale: by_day.get(&d).is_some_and(|x| x.1),
        })
        .collect();
    // Sources: (module, org, billing type) -> quantity per day.
    type Key = (String, String, String);
    let mut per_source: BTreeMap<Key, BTreeMap<jiff::civil::Date, i64>> = BTreeMap::new();
    for s in &ex.sources {
        *per_source
            .entry((
                s.module_code.clone(),
                s.org_id.clone(),
                s.billing_type.clone(),
            ))
            .or_default()
            .entry(s.day)
            .or_default() += s.quantity;
    }
    let days_in_period = period.days();
    let mut keys: Vec<&Key> = per_source.keys().collect();
    keys.sort_by_key(|k| std::cmp::Reverse(per_source[*k].values().sum::<i64>()));
    let shown: Vec<&Key> = keys.iter().take(SOURCE_COLUMNS).copied().collect();
    let org_label = |k: &Key| {
        org_names
            .get(&(k.0.clone(), k.1.clone()))
            .cloned()
            .unwrap_or(k.1.clone())
    };
    let sources = keys
        .iter()
        .map(|k| {
            let q = &per_source[*k];
            let total: i64 = q.values().sum();
            ExplainSource {
                module: names.get(&k.0).cloned().unwrap_or(k.0.clone()),
                org: org_label(k),
                org_id: k.1.clone(),
                billing_type: k.2.clone(),
                days: q.values().filter(|v| **v > 0).count(),
                peak: q.values().max().copied().unwrap_or(0).to_string(),
                average: units_text(
                    (Decimal::from(total) / Decimal::from(days_in_period)).round_dp(2),
                ),
            }
        })
        .collect();
    let days = period
        .dates()
        .map(|d| {
            let (units, stale) = by_day.get(&d).copied().unwrap_or_default();
            ExplainDay {
                day: d.to_string(),
                units: if by_day.contains_key(&d) {
                    units_text(units)
                } else {
                    "—".to_owned()
                },
                stale,
                cells: shown
                    .iter()
                    .map(|k| {
                        per_source[*k]
                            .get(&d)
                            .map(|q| q.to_string())
                            .unwrap_or_default()
                    })
                    .collect(),
            }
        })
        .collect();
    let values: Vec<Decimal> = ex.days.iter().map(|r| r.units).collect();
    let sum: Decimal = values.iter().copied().sum();
    let x = Explain {
        doc_id: id,
        line_no,
        description: line.description.clone(),
        period_label: period_label(period),
        rule,
        quantity: line.quantity.normalize().to_string(),
        amount: format!("{} {}", money(line.amount, &doc.currency), doc.currency),
        days_in_period,
        unit_days: units_text(sum),
        average: units_text((sum / Decimal::from(days_in_period)).round_dp(4)),
        peak: values
            .iter()
            .max()
            .map(|v| units_text(*v))
            .unwrap_or_else(|| "0".into()),
        last: ex
            .days
            .iter()
            .max_by_key(|r| r.day)
            .map(|r| format!("{} on {}", units_text(r.units), r.day))
            .unwrap_or_else(|| "—".into()),
        stale_days: ex.days.iter().filter(|r| r.stale).count(),
        chart: step_chart(&points),
        columns: shown
            .iter()
            .map(|k| format!("{} · {}", org_label(k), k.2))
            .collect(),
        more_sources: keys.len().saturating_sub(SOURCE_COLUMNS),
        days,
        sources,
    };
    if is_htmx(&headers) {
        render_fragment(&ExplainFragment { x })
    } else {
        render(&ExplainPage {
            layout: ctx.layout(format!("Line {line_no} of {}", doc_title(&doc)), "invoices"),
            doc_title: doc_title(&doc),
            x,
        })
    }
}
