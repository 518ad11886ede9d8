//! Putting a run's lines on documents: one per invoice company, one-offs included, totals
//! made once, and a negative invoice turned into a run credit note.

use std::collections::BTreeMap;

use jiff::Span;
use rust_decimal::Decimal;

use super::service::{Parties, Service, child_name, invoice_parties, line_rates};
use super::{DocumentKind, DraftDocument, DraftLine, RunInput, RunOutput, RunProblem};
use crate::invoice::{
    LineInput, LineKind, PricedLine, credit_note_line, document_totals, price_line,
};
use crate::period::Period;
use crate::setup::{Company, CompanyId};

/// The invoice run closing `input.closing`: one document per invoice company with a
/// non-zero line, ordered by company id, and the problems that kept lines off them.
///
/// Pure: the engine reads the data, calls this, and stores the drafts, so a preview and
/// the real run give the same figures.
pub fn run_documents(input: &RunInput<'_>) -> RunOutput {
    let setup = input.setup;
    let mut problems = Vec::new();
    let mut lines_by_invoice: BTreeMap<CompanyId, Vec<DraftLine>> = BTreeMap::new();

    for cs in setup.contract_services.values() {
        let parties = match Parties::resolve(setup, cs) {
            Ok(parties) => parties,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if input.skip_companies.contains(&parties.invoice.id) {
            continue;
        }
        match Service::new(*input, cs, parties) {
            Ok(service) => {
                let lines = service.lines();
                if !lines.is_empty() {
                    lines_by_invoice
                        .entry(service.invoice_company())
                        .or_default()
                        .extend(lines);
                }
            }
            Err(problem) => problems.push(problem),
        }
    }

    for one_off in input.one_offs {
        let (company, invoice) = match invoice_parties(setup, one_off.company_id) {
            Ok(parties) => parties,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if input.skip_companies.contains(&invoice.id) {
            continue;
        }
        if company.currency != invoice.currency {
            problems.push(RunProblem::CurrencyMismatch {
                company: company.id,
                contract: None,
                currency: company.currency,
                invoice_company: invoice.id,
                invoice_currency: invoice.currency,
            });
            continue;
        }
        let priced = price_line(
            &LineInput {
                kind: LineKind::OneOff,
                quantity: one_off.quantity,
                unit_price: one_off.unit_price,
                taxable: one_off.taxable,
                tax_rates: line_rates(company, one_off.taxable),
            },
            invoice.currency,
        );
        if priced.amount.is_zero() {
            continue;
        }
        lines_by_invoice
            .entry(invoice.id)
            .or_default()
            .push(DraftLine {
                company_id: company.id,
                for_child: child_name(company, invoice),
                contract_service: None,
                service_id: None,
                contract_id: None,
                period: input.closing,
                kind: priced.kind,
                description: one_off.description.clone(),
                quantity: priced.quantity,
                unit_price: priced.unit_price,
                amount: priced.amount,
                taxable: priced.taxable,
                tax_rates: priced.tax_rates,
                stale: false,
            });
    }

    let documents = lines_by_invoice
        .into_iter()
        .map(|(invoice, lines)| document(input, &setup.companies[&invoice], lines, &mut problems))
        .collect();

    let mut distinct: Vec<RunProblem> = Vec::with_capacity(problems.len());
    for problem in problems {
        if !distinct.contains(&problem) {
            distinct.push(problem);
        }
    }
    RunOutput {
        documents,
        problems: distinct,
    }
}

/// The order lines are printed in: the invoice company's own lines, then each child's;
/// within a company by contract, contract service, period and kind, one-offs last (in the
/// order they were added: the sort is stable).
fn line_order(
    line: &DraftLine,
) -> (
    Option<&str>,
    CompanyId,
    bool,
    Option<i64>,
    Option<i64>,
    Period,
    LineKind,
) {
    (
        line.for_child.as_deref(),
        line.company_id,
        line.contract_id.is_none(),
        line.contract_id,
        line.contract_service,
        line.period,
        line.kind,
    )
}

/// The document of one invoice company from its lines (at least one, none zero).
fn document(
    input: &RunInput<'_>,
    invoice: &Company,
    mut lines: Vec<DraftLine>,
    problems: &mut Vec<RunProblem>,
) -> DraftDocument {
    lines.sort_by(|a, b| line_order(a).cmp(&line_order(b)));
    let currency = invoice.currency;
    let issue_date = input
        .closing
        .last_day()
        .tomorrow()
        .expect("a closed period is followed by a day of the calendar");

    let mut purchase_orders: Vec<String> = Vec::new();
    let mut contracts: Vec<i64> = lines.iter().filter_map(|l| l.contract_id).collect();
    contracts.sort_unstable();
    contracts.dedup();
    for contract in contracts {
        let po = input
            .setup
            .contracts
            .get(&contract)
            .and_then(|c| c.purchase_order.as_deref())
            .map(str::trim)
            .filter(|po| !po.is_empty());
        if let Some(po) = po
            && !purchase_orders.iter().any(|known| known == po)
        {
            purchase_orders.push(po.to_owned());
        }
    }

    let priced: Vec<PricedLine> = lines.iter().map(DraftLine::priced).collect();
    let totals = document_totals(&priced, currency);
    let (kind, lines, totals, due_date) = if totals.total < Decimal::ZERO {
        let credit: Vec<DraftLine> = lines
            .iter()
            .zip(&priced)
            .map(|(line, priced)| line.with_priced(credit_note_line(priced)))
            .collect();
        let credit_priced: Vec<PricedLine> = credit.iter().map(DraftLine::priced).collect();
        let totals = document_totals(&credit_priced, currency);
        (DocumentKind::CreditNote, credit, totals, None)
    } else {
        let due_date = Span::new()
            .try_days(invoice.payment_terms_days)
            .and_then(|span| issue_date.checked_add(span))
            .ok();
        if due_date.is_none() {
            problems.push(RunProblem::DueDate {
                company: invoice.id,
                payment_terms_days: invoice.payment_terms_days,
            });
        }
        (DocumentKind::Invoice, lines, totals, due_date)
    };

    DraftDocument {
        company_id: invoice.id,
        kind,
        currency,
        period: input.closing,
        issue_date,
        due_date,
        purchase_orders,
        lines,
        totals,
    }
}
