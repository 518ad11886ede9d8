//! The books in hledger's journal format: each posted invoice and credit note, and each
//! payment, as a balanced transaction.
//!
//! - an invoice debits the receivable of the company it is addressed to (a bill-to parent)
//!   by its total, and credits revenue per service and tax payable per rate;
//! - a credit note (void, run or goodwill) does the opposite;
//! - a payment debits cash and credits the company's receivable by the whole amount received,
//!   so a receivable below zero is the company's credit balance. Applying that credit to a
//!   later invoice moves nothing between accounts, so it needs no transaction.
//!
//! Every account and commodity is declared, so `hledger check --strict` accepts the file, and
//! amounts are the stored ones: the receivables equal the documents' totals less payments.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use jiff::civil::Date;
use rust_decimal::Decimal;
use unitbill_domain::document::Document;
use unitbill_domain::ledger::Payment;

use crate::{ExportContext, amount, is_credit_note, minor_units};

struct Transaction {
    date: Date,
    order: (u8, String),
    header: String,
    comment: String,
    postings: Vec<(String, Decimal, String)>,
}

/// The journal of `documents` (drafts are skipped: they are not in the books) and `payments`.
/// `title` is printed in the file's opening comment.
pub fn render(
    ctx: &ExportContext,
    documents: &[Document],
    payments: &[Payment],
    title: &str,
) -> Vec<u8> {
    let map = &ctx.settings.journal;
    let mut transactions: Vec<Transaction> = Vec::new();
    let mut currency_of_document: BTreeMap<i64, (String, String)> = BTreeMap::new();

    for doc in documents.iter().filter(|d| d.status.is_posted()) {
        let number = doc.number.clone().unwrap_or_else(|| format!("#{}", doc.id));
        currency_of_document.insert(doc.id, (doc.currency.clone(), number.clone()));
        let company = ctx.company(doc.company_id);
        // Invoice-side signs; a credit note books the same accounts the other way.
        let sign = if is_credit_note(doc) {
            Decimal::NEGATIVE_ONE
        } else {
            Decimal::ONE
        };
        let mut revenue: BTreeMap<String, Decimal> = BTreeMap::new();
        for line in &doc.lines {
            let account = match ctx.service_name(line) {
                Some(service) => map
                    .revenue_accounts
                    .get(service)
                    .map(|a| account_path(a))
                    .unwrap_or_else(|| format!("{}:{}", account_path(&map.revenue), part(service))),
                None => account_path(&map.one_off_revenue),
            };
            *revenue.entry(account).or_default() += line.amount;
        }
        let mut postings = vec![(
            receivable(ctx, &company.name),
            sign * doc.total,
            doc.currency.clone(),
        )];
        for (account, sum) in revenue {
            postings.push((account, -sign * sum, doc.currency.clone()));
        }
        for tax in &doc.taxes {
            let account = format!(
                "{}:{} {}%",
                account_path(&map.tax),
                part(&tax.name),
                tax.percent.normalize()
            );
            postings.push((account, -sign * tax.amount, doc.currency.clone()));
        }
        let what = match (is_credit_note(doc), doc.credit_reason) {
            (false, _) => "invoice".to_owned(),
            (true, Some(reason)) => format!("{reason} credit note"),
            (true, None) => "credit note".to_owned(),
        };
        let mut comment = format!("{what}, period {}", doc.period);
        if let Some(voided) = doc
            .voids_document_id
            .and_then(|id| ctx.document_numbers.get(&id))
        {
            let _ = write!(comment, ", voids {voided}");
        }
        transactions.push(Transaction {
            date: doc.issue_date,
            order: (0, number.clone()),
            header: format!("{number} | {}", line_text(&company.name)),
            comment,
            postings,
        });
    }

    for p in payments {
        let company = ctx.company(p.company_id);
        let (currency, document) = p
            .document_id
            .and_then(|id| currency_of_document.get(&id).cloned())
            .or_else(|| {
                p.document_id.and_then(|id| {
                    ctx.document_numbers
                        .get(&id)
                        .map(|n| (company.currency.clone(), n.clone()))
                })
            })
            .unwrap_or_else(|| (company.currency.clone(), String::new()));
        let reference = if p.reference.trim().is_empty() {
            format!("payment {}", p.id)
        } else {
            format!("payment {}", line_text(&p.reference))
        };
        let mut comment = format!("method {}", line_text(&p.method));
        if !document.is_empty() {
            let _ = write!(comment, ", for {document}");
        }
        transactions.push(Transaction {
            date: p.paid_on,
            order: (1, format!("{:012}", p.id)),
            header: format!("{reference} | {}", line_text(&company.name)),
            comment,
            postings: vec![
                (account_path(&map.cash), p.amount, currency.clone()),
                (receivable(ctx, &company.name), -p.amount, currency),
            ],
        });
    }

    transactions.sort_by(|a, b| (a.date, &a.order).cmp(&(b.date, &b.order)));

    let mut accounts = BTreeSet::new();
    let mut commodities = BTreeSet::new();
    for t in &transactions {
        for (account, _, currency) in &t.postings {
            accounts.insert(account.clone());
            commodities.insert(currency.clone());
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "; unitbill journal: {}", line_text(title));
    let _ = writeln!(
        out,
        "; posted invoices and credit notes, and the payments received on them\n"
    );
    for c in &commodities {
        // A decimal mark in the sample amount tells hledger how to read every amount.
        let sample = match minor_units(c) {
            0 => "1000.".to_owned(),
            n => format!("1000.{}", "0".repeat(n as usize)),
        };
        let _ = writeln!(out, "commodity {sample} {c}");
    }
    out.push('\n');
    for a in &accounts {
        let _ = writeln!(out, "account {a}");
    }
    for t in &transactions {
        let _ = writeln!(out, "\n{} * {}", t.date, t.header);
        let _ = writeln!(out, "    ; {}", t.comment);
        let width = t
            .postings
            .iter()
            .map(|p| p.0.chars().count())
            .max()
            .unwrap_or(0);
        for (account, value, currency) in &t.postings {
            let text = amount(*value, currency);
            let pad = width - account.chars().count();
            let _ = writeln!(
                out,
                "    {account}{}  {text:>14} {currency}",
                " ".repeat(pad)
            );
        }
    }
    out.into_bytes()
}

fn receivable(ctx: &ExportContext, company: &str) -> String {
    format!(
        "{}:{}",
        account_path(&ctx.settings.journal.receivables),
        part(company)
    )
}

/// A configured account (`assets:receivables`), each part cleaned like [`part`].
fn account_path(path: &str) -> String {
    let parts: Vec<String> = path
        .split(':')
        .map(part)
        .filter(|p| p != "unnamed")
        .collect();
    if parts.is_empty() {
        "unnamed".to_owned()
    } else {
        parts.join(":")
    }
}

/// One part of an account name: no `:` (it would nest), no run of spaces or tab (hledger ends
/// an account name there), no `;` (a comment).
fn part(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            ':' => '-',
            ';' => ',',
            c if c.is_whitespace() || c.is_control() => ' ',
            c => c,
        })
        .collect();
    let joined = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        "unnamed".to_owned()
    } else {
        joined
    }
}

/// Free text on one journal line.
fn line_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_parts_cannot_nest_or_end_early() {
        assert_eq!(part("Acme: HQ  ;  East"), "Acme- HQ , East");
        assert_eq!(part("   "), "unnamed");
        assert_eq!(account_path("assets::receivables"), "assets:receivables");
    }
}
