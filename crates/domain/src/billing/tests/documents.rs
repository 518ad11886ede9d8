//! What goes on which document: credit notes, one-offs, taxes, bill-to, currencies, order.

use jiff::civil::date;

use super::*;

#[test]
fn a_negative_month_gives_a_credit_note_of_every_line() {
    let mut w = World::new("2026-01");
    w.company(11, "Massive Dynamic", Currency::USD, &[], 30);
    w.contract(110, 11, Timing::Arrears, date(2025, 1, 1), None);
    w.service(
        1100,
        110,
        "Datto RMM - Desktop",
        "10.00",
        ChangeRule::Prorated,
    );
    w.constant(1100, "2026-10", "5");
    w.billed(1100, "2026-10", "130.00"); // over-billed: 80.00 too much
    w.constant(1100, "2026-11", "3");

    let output = w.run("2026-11");
    let credit = only(&output);
    assert_eq!(credit.kind, DocumentKind::CreditNote);
    assert_eq!(
        lines(credit),
        [
            "adjustment 2026-10 Adjustment 2026-10: Datto RMM - Desktop | 1.0000 x 80.00 = 80.00",
            "charge 2026-11 Datto RMM - Desktop | -3.0000 x 10.00 = -30.00",
        ]
    );
    assert_eq!(totals(&credit.totals), ["subtotal 50.00", "total 50.00"]);
}

#[test]
fn one_off_charges_and_credits_go_on_the_invoice_of_the_period() {
    let mut w = World::new("2026-11");
    w.company(12, "Acme Corp", Currency::USD, &[("NY State", "4")], 30);
    w.contract(120, 12, Timing::Arrears, date(2025, 1, 1), None);
    w.service(
        1200,
        120,
        "Datto RMM - Desktop",
        "10.00",
        ChangeRule::Prorated,
    );
    w.constant(1200, "2026-11", "10");
    w.one_off(12, "Onboarding", "2", "150.00", true);
    w.one_off(12, "Goodwill credit", "1", "-50.00", false);
    w.one_off(12, "Nothing", "0", "10.00", true); // zero: left out
    w.one_off(12, "Patch cables", "3", "0.333", true); // 0.999 → 1.00
    w.company(13, "Solo", Currency::USD, &[], 30);
    w.one_off(13, "Credit for outage", "1", "-20.00", false);
    w.one_off(99, "Lost", "1", "1.00", false);

    let output = w.run("2026-11");
    assert_eq!(
        output.problems,
        [RunProblem::UnknownCompany { company: 99 }]
    );
    assert_eq!(output.documents.len(), 2);
    let invoice = &output.documents[0];
    assert_eq!(invoice.company_id, 12);
    assert_eq!(
        lines(invoice),
        [
            "charge 2026-11 Datto RMM - Desktop | 10.0000 x 10.00 = 100.00",
            "one_off 2026-11 Onboarding | 2.0000 x 150.00 = 300.00",
            "one_off 2026-11 Goodwill credit | 1.0000 x -50.00 = -50.00",
            "one_off 2026-11 Patch cables | 3.0000 x 0.333 = 1.00",
        ]
    );
    assert_eq!(
        totals(&invoice.totals),
        [
            "subtotal 351.00",
            "tax NY State 4% on 401.00 = 16.04",
            "total 367.04"
        ]
    );
    let one_off = &invoice.lines[1];
    assert_eq!(
        (
            one_off.contract_service,
            one_off.contract_id,
            one_off.service_id
        ),
        (None, None, None)
    );
    let credit = &output.documents[1];
    assert_eq!(
        (credit.company_id, credit.kind),
        (13, DocumentKind::CreditNote)
    );
    assert_eq!(
        lines(credit),
        ["one_off 2026-11 Credit for outage | -1.0000 x -20.00 = 20.00"]
    );
    assert_eq!(totals(&credit.totals), ["subtotal 20.00", "total 20.00"]);
}

#[test]
fn two_rates_on_one_company_are_each_rounded_once() {
    let mut w = World::new("2026-11");
    w.company(
        15,
        "Pied Piper",
        Currency::USD,
        &[("NY State", "4"), ("NYC", "4.5")],
        30,
    );
    w.contract(150, 15, Timing::Arrears, date(2025, 1, 1), None);
    for (cs, name) in [
        (1500, "Email Security"),
        (1501, "Dark Web Monitoring"),
        (1502, "DNS Filter"),
    ] {
        w.service(cs, 150, name, "0.10", ChangeRule::Prorated);
        w.constant(cs, "2026-11", "1");
    }
    let output = w.run("2026-11");
    let invoice = only(&output);
    assert_eq!(invoice.lines.len(), 3);
    // Per line 0.004 and 0.0045 would round to 0.00 and 0.00; on the sum: 0.012 and 0.0135.
    assert_eq!(
        totals(&invoice.totals),
        [
            "subtotal 0.30",
            "tax NY State 4% on 0.30 = 0.01",
            "tax NYC 4.5% on 0.30 = 0.01",
            "total 0.32"
        ]
    );
}

#[test]
fn a_bill_to_child_goes_on_its_parents_invoice_with_its_own_rates() {
    let mut w = World::new("2026-11");
    w.company(
        1,
        "Acme Holdings",
        Currency::USD,
        &[("NY State", "4"), ("NYC", "4.5")],
        30,
    );
    w.company(
        2,
        "Acme Long Island",
        Currency::USD,
        &[("NY State", "4.00"), ("Nassau", "4.25")],
        10,
    )
    .bill_to = Some(1);
    w.contract(80, 1, Timing::Arrears, date(2025, 1, 1), None)
        .purchase_order = Some("PO-100".into());
    w.service(
        800,
        80,
        "Datto RMM - Desktop",
        "10.05",
        ChangeRule::Prorated,
    );
    w.constant(800, "2026-11", "1");
    w.contract(81, 2, Timing::Arrears, date(2025, 1, 1), None)
        .purchase_order = Some("PO-200".into());
    w.service(
        810,
        81,
        "Datto RMM - Desktop",
        "10.05",
        ChangeRule::Prorated,
    );
    w.constant(810, "2026-11", "1");
    w.service(811, 81, "Backup", "5.00", ChangeRule::Prorated)
        .taxable = false;
    w.constant(811, "2026-11", "1");

    let output = w.run("2026-11");
    assert_eq!(output.problems, []);
    let invoice = only(&output);
    assert_eq!(invoice.company_id, 1);
    assert_eq!(invoice.due_date, Some(date(2026, 12, 31))); // the parent's 30 days
    assert_eq!(invoice.purchase_orders, ["PO-100", "PO-200"]);
    assert_eq!(
        lines(invoice),
        [
            "charge 2026-11 Datto RMM - Desktop | 1.0000 x 10.05 = 10.05",
            "charge 2026-11 Datto RMM - Desktop | 1.0000 x 10.05 = 10.05 [for Acme Long Island]",
            "charge 2026-11 Backup | 1.0000 x 5.00 = 5.00 [for Acme Long Island]",
        ]
    );
    let child = &invoice.lines[1];
    assert_eq!(child.company_id, 2);
    assert_eq!(
        child.tax_rates,
        [rate("NY State", "4.00"), rate("Nassau", "4.25")]
    );
    assert!(invoice.lines[2].tax_rates.is_empty());
    assert_eq!(
        totals(&invoice.totals),
        [
            "subtotal 25.10",
            "tax NY State 4% on 20.10 = 0.80", // 0.804 once, not 0.40 + 0.40
            "tax NYC 4.5% on 10.05 = 0.45",
            "tax Nassau 4.25% on 10.05 = 0.43",
            "total 26.78",
        ]
    );

    // The parent already has a posted document for November: neither is billed again.
    w.skip.insert(1);
    assert_eq!(w.run("2026-11"), RunOutput::default());
}

#[test]
fn jpy_amounts_are_whole_yen() {
    let mut w = World::new("2026-01");
    w.company(9, "Tanaka KK", Currency::JPY, &[("消費税", "10")], 30);
    w.contract(90, 9, Timing::Arrears, date(2025, 1, 1), None);
    w.service(900, 90, "Datto RMM - Desktop", "333", ChangeRule::Prorated);
    for q in ["2026-10", "2026-11"] {
        w.constant(900, q, "2");
        w.billed(900, q, "666");
    }
    w.constant(900, "2026-12", "2");
    w.billed(900, "2026-12", "600");
    w.steps(900, "2027-01", &[(10, "3"), (21, "2")]);

    let output = w.run("2027-01");
    let invoice = only(&output);
    assert_eq!(invoice.currency, Currency::JPY);
    assert_eq!(
        lines(invoice),
        [
            "adjustment 2026-12 Adjustment 2026-12: Datto RMM - Desktop | 1.0000 x 66 = 66",
            // 72 / 31 = 2.322580… → 2.3226 × 333 = 773.4258 → 773
            "charge 2027-01 Datto RMM - Desktop | 2.3226 x 333 = 773",
        ]
    );
    assert_eq!(
        totals(&invoice.totals),
        ["subtotal 839", "tax 消費税 10% on 839 = 84", "total 923"]
    );
    assert_eq!(invoice.due_date, Some(date(2027, 3, 3)));
}

#[test]
fn lines_in_another_currency_are_left_out_and_reported() {
    let mut w = World::new("2026-11");
    w.company(14, "Euro Trading", Currency::USD, &[], 30);
    w.company(16, "Euro Trading Paris", Currency::EUR, &[], 30)
        .bill_to = Some(14);
    w.contract(140, 14, Timing::Arrears, date(2025, 1, 1), None)
        .currency = Currency::EUR;
    w.service(
        1400,
        140,
        "Datto RMM - Desktop",
        "10.00",
        ChangeRule::Prorated,
    );
    w.constant(1400, "2026-11", "10");
    w.contract(141, 14, Timing::Arrears, date(2025, 1, 1), None);
    w.service(
        1410,
        141,
        "Datto RMM - Server",
        "20.00",
        ChangeRule::Prorated,
    );
    w.constant(1410, "2026-11", "1");
    w.one_off(16, "Setup", "1", "100.00", false);

    let output = w.run("2026-11");
    assert_eq!(
        lines(only(&output)),
        ["charge 2026-11 Datto RMM - Server | 1.0000 x 20.00 = 20.00"]
    );
    assert_eq!(
        output.problems,
        [
            RunProblem::CurrencyMismatch {
                company: 14,
                contract: Some(140),
                currency: Currency::EUR,
                invoice_company: 14,
                invoice_currency: Currency::USD,
            },
            RunProblem::CurrencyMismatch {
                company: 16,
                contract: None,
                currency: Currency::EUR,
                invoice_company: 14,
                invoice_currency: Currency::USD,
            },
        ]
    );
    assert_eq!(
        output.problems[0].to_string(),
        "company 14 (contract 140): lines in EUR cannot go on the USD invoice of company 14: \
         not billed"
    );
}

#[test]
fn stale_days_mark_the_lines_resting_on_them() {
    let mut w = World::new("2026-01");
    w.company(17, "Cyberdyne", Currency::USD, &[], 30);
    w.contract(170, 17, Timing::Arrears, date(2025, 1, 1), None);
    w.service(
        1700,
        170,
        "Datto RMM - Desktop",
        "1.00",
        ChangeRule::Prorated,
    );
    w.constant(1700, "2026-11", "10");
    w.constant(1700, "2026-10", "10"); // unbilled
    w.units.stale.insert((1700, p("2026-11")));
    w.contract(171, 17, Timing::Advance, date(2025, 1, 1), None);
    w.service(
        1710,
        171,
        "Mailbox Security",
        "1.00",
        ChangeRule::EndOfPeriod,
    );
    w.count(1710, "2026-12", "10");
    w.count(1710, "2026-11", "10");
    w.count(1710, "2026-10", "10");
    // V(December) was read from November 30, which was carried forward.
    w.units.stale.insert((1710, p("2026-11")));

    assert_eq!(
        lines(only(&w.run("2026-11"))),
        [
            "adjustment 2026-10 Adjustment 2026-10: Datto RMM - Desktop | 1.0000 x 10.00 = 10.00",
            "charge 2026-11 Datto RMM - Desktop | 10.0000 x 1.00 = 10.00 (stale)",
            "adjustment 2026-10 Adjustment 2026-10: Mailbox Security | 1.0000 x 10.00 = 10.00",
            "adjustment 2026-11 Adjustment 2026-11: Mailbox Security | 1.0000 x 10.00 = 10.00 (stale)",
            "charge 2026-12 Mailbox Security | 10.0000 x 1.00 = 10.00 (stale)",
        ]
    );
}

#[test]
fn documents_by_company_dead_companies_still_bill_and_skipped_ones_do_not() {
    let mut w = World::new("2026-11");
    for (id, name) in [(3, "Gamma"), (1, "Alpha"), (2, "Beta"), (4, "Delta")] {
        w.company(id, name, Currency::USD, &[], 30);
        w.contract(id * 10, id, Timing::Arrears, date(2025, 1, 1), None);
        w.service(
            id * 100,
            id * 10,
            "Datto RMM - Desktop",
            "1.00",
            ChangeRule::Prorated,
        );
        w.constant(id * 100, "2026-11", "1");
    }
    w.setup.companies.get_mut(&3).unwrap().status = CompanyStatus::Dead;
    w.setup.contract_services.get_mut(&400).unwrap().terms = Timeline::default();
    w.skip.insert(2);
    let output = w.run("2026-11");
    let companies: Vec<CompanyId> = output.documents.iter().map(|d| d.company_id).collect();
    assert_eq!(companies, [1, 3]); // 2 skipped, 4 has no terms: no line, no invoice
    assert_eq!(output.problems, []);
}

#[test]
fn unknown_references_and_malformed_units_are_reported() {
    let mut w = World::new("2026-11");
    w.company(1, "Alpha", Currency::USD, &[], 30);
    w.contract(10, 1, Timing::Arrears, date(2025, 1, 1), None);
    w.service(100, 10, "Datto RMM - Desktop", "1.00", ChangeRule::Prorated);
    w.units
        .daily
        .insert((100, p("2026-11")), vec![Decimal::ONE; 31]);
    w.service(101, 99, "Orphan", "1.00", ChangeRule::Prorated);
    w.company(42, "Gone", Currency::USD, &[], 30);
    w.contract(11, 42, Timing::Arrears, date(2025, 1, 1), None);
    w.service(110, 11, "Lost", "1.00", ChangeRule::Prorated);
    w.setup.companies.remove(&42);
    let output = w.run("2026-11");
    assert_eq!(output.documents, []);
    assert_eq!(
        output.problems,
        [
            RunProblem::UnitDays {
                contract_service: 100,
                period: p("2026-11"),
                days: 31,
                expected: 30,
            },
            RunProblem::UnknownContract {
                contract_service: 101,
                contract: 99,
            },
            RunProblem::UnknownCompany { company: 42 },
        ]
    );
}

#[test]
fn due_amount_is_the_rule_amount_from_the_data_known_now() {
    let mut w = World::new("2026-01");
    w.company(1, "Alpha", Currency::USD, &[], 30);
    w.contract(10, 1, Timing::Advance, date(2026, 11, 11), None);
    w.service(100, 10, "Mailbox Security", "2.50", ChangeRule::EndOfPeriod);
    w.count(100, "2026-11", "12");
    w.service(101, 10, "Huntress EDR", "2.50", ChangeRule::Prorated);
    w.constant(101, "2026-11", "12");
    w.contract(11, 1, Timing::Arrears, date(2025, 1, 1), None);
    w.service(110, 11, "Backup", "0.15", ChangeRule::Peak);
    w.steps(110, "2026-11", &[(29, "100"), (1, "333")]);
    w.service(111, 12, "Orphan", "1", ChangeRule::Prorated);
    let due = |cs: ContractServiceId, q: &str| {
        due_amount(&w.setup, &w.setup.contract_services[&cs], p(q), &w.units)
    };
    // Advance + end_of_period: V × a / D with no first-day condition: 12 × 20/30 = 8.
    assert_eq!(due(100, "2026-11"), d("20.00"));
    // Advance + prorated: the average of the days inside: 20 × 12 / 30 = 8.
    assert_eq!(due(101, "2026-11"), d("20.00"));
    assert_eq!(due(100, "2026-10"), d("0.00"));
    // 333 × 0.15 = 49.95
    assert_eq!(due(110, "2026-11"), d("49.95"));
    assert_eq!(due(111, "2026-11"), Decimal::ZERO);
}

#[test]
fn building_blocks_agree_with_the_run() {
    let mut w = World::new("2026-01");
    w.company(1, "Alpha", Currency::USD, &[], 30);
    w.contract(10, 1, Timing::Advance, date(2026, 12, 11), None);
    w.service(100, 10, "Mailbox Security", "2.50", ChangeRule::EndOfPeriod);
    w.count(100, "2026-12", "12");
    w.count(100, "2027-01", "12");
    w.service(101, 10, "Backup", "2.50", ChangeRule::Peak);
    let input = w.input(p("2026-11"));
    let cs = |id| &w.setup.contract_services[&id];
    // Starts December 11: nothing charged in advance for December.
    assert_eq!(charge_line(&input, cs(100)), Ok(None));
    assert_eq!(service_lines(&input, cs(100)), Ok(vec![]));
    assert_eq!(
        service_lines(&input, cs(101)),
        Err(RunProblem::PeakInAdvance {
            contract_service: 101,
            period: p("2026-12"),
        })
    );

    let input = w.input(p("2026-12"));
    let charge = charge_line(&input, cs(100)).unwrap().unwrap();
    assert_eq!(
        show(&charge),
        "charge 2027-01 Mailbox Security | 12.0000 x 2.50 = 30.00"
    );
    let all: Vec<String> = service_lines(&input, cs(100))
        .unwrap()
        .iter()
        .map(show)
        .collect();
    assert_eq!(
        all,
        [
            // 12 × 21/31 = 8.129032… → 8.1290 × 2.50 = 20.3225 → 20.32
            "adjustment 2026-12 Adjustment 2026-12: Mailbox Security | 1.0000 x 20.32 = 20.32",
            "charge 2027-01 Mailbox Security | 12.0000 x 2.50 = 30.00",
        ]
    );
}

#[test]
fn kinds_and_problems_serialize_in_snake_case() {
    assert_eq!(
        serde_json::to_string(&DocumentKind::CreditNote).unwrap(),
        "\"credit_note\""
    );
    let problem = RunProblem::PeakInAdvance {
        contract_service: 7,
        period: p("2026-12"),
    };
    assert_eq!(
        serde_json::to_string(&problem).unwrap(),
        r#"{"problem":"peak_in_advance","contract_service":7,"period":"2026-12"}"#
    );
}
