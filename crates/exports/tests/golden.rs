//! Golden documents rendered to every output: snapshots pin the CSV, XML and journal bytes,
//! and the outside validators (poppler, CEN's EN 16931 rules, hledger) check them.
//!
//! The documents are built the way the engine stores them (amounts from the domain's invoice
//! math), covering what the outputs must get right: two tax rates on one line and an
//! adjustment, a bill-to parent carrying a child's lines at the child's rate, an exempt
//! company whose invoice is voided, a run credit note with a negative line, a goodwill
//! credit, a JPY invoice, and a 120-line invoice that spans pages.

mod documents;
mod support;

use std::collections::BTreeMap;

use documents::{d, golden};
use rust_decimal::Decimal;
use unitbill_exports::{csv, journal, pdf, ubl};

fn tmp() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

#[test]
fn the_golden_documents_have_the_totals_the_outputs_must_print() {
    let g = golden();
    let totals: Vec<(String, String, String, String)> = g
        .documents
        .iter()
        .map(|doc| {
            (
                doc.number.clone().unwrap(),
                doc.subtotal.to_string(),
                doc.tax_total.to_string(),
                doc.total.to_string(),
            )
        })
        .collect();
    insta::assert_debug_snapshot!(totals);
}

#[test]
fn quickbooks_and_xero_csv_are_pinned() {
    let g = golden();
    for file in csv::quickbooks(&g.ctx, &g.documents, "acme-msp-2026-11").unwrap() {
        insta::assert_snapshot!(file.name.clone(), String::from_utf8(file.bytes).unwrap());
    }
    let xero = csv::xero(&g.ctx, &g.documents, "acme-msp-2026-11").unwrap();
    assert_eq!(xero.len(), 1);
    insta::assert_snapshot!(
        xero[0].name.clone(),
        String::from_utf8(xero[0].bytes.clone()).unwrap()
    );
}

#[test]
fn xero_files_hold_at_most_the_configured_number_of_invoices() {
    let mut g = golden();
    g.ctx.settings.xero.invoices_per_file = 3;
    let files = csv::xero(&g.ctx, &g.documents, "p").unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["p-xero-1.csv", "p-xero-2.csv", "p-xero-3.csv"]);
    for f in &files {
        let mut numbers: Vec<String> = ::csv::Reader::from_reader(f.bytes.as_slice())
            .records()
            .map(|r| r.unwrap()[1].to_owned())
            .collect();
        numbers.dedup();
        assert!(numbers.len() <= 3, "{}: {numbers:?}", f.name);
    }
}

#[test]
fn ubl_invoices_and_credit_notes_are_pinned_and_pass_en_16931() {
    let g = golden();
    let dir = support::scratch(&tmp(), "ubl");
    let mut files = Vec::new();
    for doc in g.documents.iter().chain([&g.long]) {
        let xml = String::from_utf8(ubl::render(&g.ctx, doc).unwrap()).unwrap();
        let name = doc.number.clone().unwrap();
        if doc.id != g.long.id {
            insta::assert_snapshot!(format!("ubl-{name}"), xml);
        }
        let path = dir.join(format!("{name}.xml"));
        std::fs::write(&path, xml).unwrap();
        files.push(path);
    }
    if let Some(report) = support::validate_ubl(&files) {
        assert_eq!(report.matches("VALID ").count(), files.len(), "{report}");
    }
}

#[test]
fn the_journal_balances_and_receivables_equal_totals_less_payments() {
    let g = golden();
    let text = journal::render(
        &g.ctx,
        &g.documents,
        &g.payments,
        "Acme MSP, period 2026-11",
    );
    let text = String::from_utf8(text).unwrap();
    insta::assert_snapshot!("journal", text);
    let dir = support::scratch(&tmp(), "journal");
    let path = dir.join("2026-11.journal");
    std::fs::write(&path, &text).unwrap();
    let Some(balances) = support::hledger_balances(&path, "assets:receivables") else {
        return;
    };
    // Expected: per company, invoices − credit notes − payments, in each currency.
    let mut expected: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    for doc in &g.documents {
        let sign = if doc.is_invoice() {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        let name = g.ctx.companies[&doc.company_id].name.clone();
        *expected
            .entry(format!("assets:receivables:{name}"))
            .or_default()
            .entry(doc.currency.clone())
            .or_default() += sign * doc.total;
    }
    for p in &g.payments {
        let company = &g.ctx.companies[&p.company_id];
        *expected
            .entry(format!("assets:receivables:{}", company.name))
            .or_default()
            .entry(company.currency.clone())
            .or_default() -= p.amount;
    }
    expected.retain(|_, by| {
        by.retain(|_, v| !v.is_zero());
        !by.is_empty()
    });
    assert_eq!(balances, expected);
    // Fabrikam's payment on its voided invoice is a credit balance, Northwind is settled.
    assert_eq!(
        balances["assets:receivables:Fabrikam Inc"]["USD"],
        d("-100")
    );
    assert!(!balances.contains_key("assets:receivables:Northwind Holdings"));
}

#[test]
fn pdfs_print_number_client_and_totals_and_long_invoices_span_pages() {
    let g = golden();
    for doc in g.documents.iter().chain([&g.long]) {
        let bytes = pdf::render(&g.ctx, doc).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let number = doc.number.clone().unwrap();
        let Some((pages, text)) = support::pdf_pages_and_text(&bytes, &tmp(), &number) else {
            return;
        };
        let company = &g.ctx.companies[&doc.company_id].name;
        let total = unitbill_exports::grouped_amount(doc.total, &doc.currency);
        for expected in [
            number.as_str(),
            company.as_str(),
            total.as_str(),
            "Acme MSP",
        ] {
            assert!(
                text.contains(expected),
                "{number}: no {expected:?} in\n{text}"
            );
        }
        let title = if doc.is_invoice() {
            "Invoice"
        } else {
            "Credit note"
        };
        assert!(text.contains(title), "{number}: no title {title}");
        for tax in &doc.taxes {
            assert!(text.contains(&tax.name), "{number}: no tax {}", tax.name);
        }
        if doc.id == g.long.id {
            assert!(pages >= 2, "a 120-line invoice spans pages, got {pages}");
            // The header repeats on every page of lines (the totals may take a page alone).
            let headers = text.matches("Unit price").count();
            assert!(
                headers == pages || headers + 1 == pages,
                "{headers} headers on {pages} pages"
            );
            assert!(text.contains(&format!("Page {pages} of {pages}")));
        } else {
            assert_eq!(pages, 1, "{number}");
        }
    }
}

#[test]
fn a_draft_has_a_pdf_but_no_e_invoice_or_import_rows() {
    let g = golden();
    let mut draft = g.documents[0].clone();
    draft.status = unitbill_domain::document::DocumentStatus::Draft;
    draft.number = None;
    assert!(pdf::render(&g.ctx, &draft).is_ok());
    assert!(ubl::render(&g.ctx, &draft).is_err());
    let files = csv::xero(&g.ctx, &[draft], "p").unwrap();
    assert_eq!(
        files[0].bytes.iter().filter(|b| **b == b'\n').count(),
        1,
        "header only"
    );
}

#[test]
fn a_logo_is_drawn_when_it_can_be_read_and_skipped_when_not() {
    let mut g = golden();
    let doc = g.documents[0].clone();
    let plain = pdf::render(&g.ctx, &doc).unwrap();
    g.ctx.logo =
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logo.png"));
    let with_logo = pdf::render(&g.ctx, &doc).unwrap();
    let has_image = |pdf: &[u8]| pdf.windows(14).any(|w| w == b"/Subtype/Image");
    assert!(!has_image(&plain));
    assert!(has_image(&with_logo));
    if let Some((pages, text)) = support::pdf_pages_and_text(&with_logo, &tmp(), "logo") {
        assert_eq!(pages, 1);
        assert!(text.contains("INV-00001"));
    }
    g.ctx.logo = Some("/nonexistent/logo.png".into());
    assert_eq!(
        pdf::render(&g.ctx, &doc).unwrap(),
        plain,
        "a missing logo is skipped"
    );
}

#[test]
fn a_company_named_like_a_formula_reaches_both_csv_files_as_text() {
    let mut g = golden();
    let formula = "=HYPERLINK(\"https://evil.example\",\"Pay here\")";
    if let Some(c) = g.ctx.companies.get_mut(&1) {
        c.name = formula.to_owned();
    }
    let mut files = csv::quickbooks(&g.ctx, &g.documents, "p").unwrap();
    files.extend(csv::xero(&g.ctx, &g.documents, "p").unwrap());
    for file in files {
        let mut rows = ::csv::Reader::from_reader(&file.bytes[..]);
        let cells: Vec<String> = rows
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        assert!(
            !cells.iter().any(|c| c.starts_with(['=', '+', '@', '\t'])),
            "{}: a cell starts like a formula",
            file.name
        );
        if file.name.contains("invoices") || file.name.contains("xero") {
            assert!(
                cells.iter().any(|c| *c == format!("'{formula}")),
                "{}: the name is kept, as text",
                file.name
            );
        }
        // Negative amounts are numbers, not formulas: they stay as they are.
        assert!(
            !cells
                .iter()
                .any(|c| c.starts_with("'-") && c[1..].parse::<Decimal>().is_ok()),
            "{}",
            file.name
        );
    }
}
