//! `unitbill invoice ...`: runs, lists and shows documents in readable tables.

use anyhow::Result;
use unitbill_engine::Engine;
use unitbill_store::DocumentRecord;

use crate::cli::InvoiceCommand;

fn header(d: &DocumentRecord, company: &str) -> String {
    format!(
        "{:<12} {:<11} {:<14} {:<30} {:>12} {:>10} {:>12} {}",
        d.number.as_deref().unwrap_or("(draft)"),
        d.kind,
        d.status,
        company,
        d.subtotal,
        d.tax_total,
        d.total,
        d.currency
    )
}

pub async fn run(engine: &Engine, cmd: InvoiceCommand) -> Result<()> {
    match cmd {
        InvoiceCommand::Run {
            tenant,
            period,
            post,
            json,
        } => {
            let t = engine.find_tenant(&tenant).await?;
            let report = engine.invoice_run(t.id, &period, post).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(());
            }
            let names = company_names(engine, t.id).await?;
            println!(
                "run {} (billing start {}): {} documents, {} posted",
                report.period,
                report.billing_start,
                report.documents.len(),
                report.posted
            );
            for d in &report.documents {
                println!(
                    "  {}",
                    header(d, names.get(&d.company_id).map_or("?", String::as_str))
                );
            }
            for p in &report.problems {
                println!("  problem: {p}");
            }
            if !report.skipped_companies.is_empty() {
                println!(
                    "  skipped (already posted for {}): {} companies",
                    report.period,
                    report.skipped_companies.len()
                );
            }
        }
        InvoiceCommand::List {
            tenant,
            period,
            json,
        } => {
            let t = engine.find_tenant(&tenant).await?;
            let docs = engine.documents(t.id, period.as_deref(), None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&docs)?);
                return Ok(());
            }
            let names = company_names(engine, t.id).await?;
            for d in &docs {
                println!(
                    "{} {}",
                    d.period,
                    header(d, names.get(&d.company_id).map_or("?", String::as_str))
                );
            }
        }
        InvoiceCommand::Show {
            tenant,
            number,
            json,
        } => {
            let t = engine.find_tenant(&tenant).await?;
            let doc = engine.find_document(t.id, &number).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(());
            }
            let names = company_names(engine, t.id).await?;
            println!(
                "{}",
                header(&doc, names.get(&doc.company_id).map_or("?", String::as_str))
            );
            println!(
                "issued {}  due {}  period {}",
                doc.issue_date,
                doc.due_date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                doc.period
            );
            for l in &doc.lines {
                let child = l
                    .for_child
                    .as_deref()
                    .map(|c| format!("[{c}] "))
                    .unwrap_or_default();
                println!(
                    "  {:>3} {:<10} {} {child}{:<50} {:>12} x {:>10} = {:>12}{}",
                    l.line_no,
                    l.kind,
                    l.period,
                    l.description,
                    l.quantity,
                    l.unit_price,
                    l.amount,
                    if l.stale {
                        "  (rests on carried-forward days)"
                    } else {
                        ""
                    }
                );
            }
            println!("  subtotal {}", doc.subtotal);
            for tax in &doc.taxes {
                println!(
                    "  {} {}% on {}: {}",
                    tax.name, tax.percent, tax.base, tax.amount
                );
            }
            println!("  total {} {}", doc.total, doc.currency);
        }
    }
    Ok(())
}

async fn company_names(
    engine: &Engine,
    tenant_id: i64,
) -> Result<std::collections::HashMap<i64, String>> {
    Ok(engine
        .companies(tenant_id)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}
