//! Which periods a run charges and settles, and at what amounts.

use jiff::civil::date;

use super::*;

#[test]
fn leap_february_in_arrears_under_each_rule() {
    let mut w = World::new("2028-02");
    w.company(1, "Acme Corp", Currency::USD, &[("NY State", "4")], 30);
    w.contract(10, 1, Timing::Arrears, date(2027, 1, 1), None)
        .purchase_order = Some("PO-7731".into());
    w.service(
        100,
        10,
        "Datto RMM - Desktop",
        "12.50",
        ChangeRule::Prorated,
    );
    w.steps(100, "2028-02", &[(14, "10"), (15, "20")]);
    // History before the billing start is never billed.
    w.constant(100, "2028-01", "10");
    w.service(
        101,
        10,
        "Datto RMM - Server",
        "40.00",
        ChangeRule::EndOfPeriod,
    );
    w.steps(101, "2028-02", &[(28, "3"), (1, "2")]);
    w.service(102, 10, "Backup - GB", "0.15", ChangeRule::Peak);
    w.steps(102, "2028-02", &[(9, "1000"), (1, "1250"), (19, "1000")]);

    let output = w.run("2028-02");
    assert_eq!(output.problems, []);
    let invoice = only(&output);
    assert_eq!(invoice.company_id, 1);
    assert_eq!(invoice.kind, DocumentKind::Invoice);
    assert_eq!(invoice.currency, Currency::USD);
    assert_eq!(invoice.period, p("2028-02"));
    assert_eq!(invoice.issue_date, date(2028, 3, 1));
    assert_eq!(invoice.due_date, Some(date(2028, 3, 31)));
    assert_eq!(invoice.purchase_orders, ["PO-7731"]);
    assert_eq!(
        lines(invoice),
        [
            // (14×10 + 15×20) / 29 = 15.172413… → 15.1724; × 12.50 = 189.655 → 189.66
            "charge 2028-02 Datto RMM - Desktop | 15.1724 x 12.50 = 189.66",
            // U(Feb 29) = 2, × 29/29
            "charge 2028-02 Datto RMM - Server | 2.0000 x 40.00 = 80.00",
            "charge 2028-02 Backup - GB | 1250.0000 x 0.15 = 187.50",
        ]
    );
    assert_eq!(
        invoice.lines[0],
        DraftLine {
            company_id: 1,
            for_child: None,
            contract_service: Some(100),
            service_id: Some(9100),
            contract_id: Some(10),
            period: p("2028-02"),
            kind: LineKind::Charge,
            description: "Datto RMM - Desktop".into(),
            quantity: d("15.1724"),
            unit_price: d("12.50"),
            amount: d("189.66"),
            taxable: true,
            tax_rates: vec![rate("NY State", "4")],
            stale: false,
        }
    );
    assert_eq!(
        totals(&invoice.totals),
        [
            "subtotal 457.16",
            "tax NY State 4% on 457.16 = 18.29", // 18.2864
            "total 475.45",
        ]
    );
}

#[test]
fn thirty_day_month_each_allowed_rule_and_timing_and_peak_refused_in_advance() {
    let mut w = World::new("2026-09");
    w.company(1, "Acme Corp", Currency::USD, &[], 15);

    w.contract(20, 1, Timing::Advance, date(2026, 1, 1), None);
    // Advance + prorated: December charged at V = 12; November trued up to its average.
    w.service(200, 20, "Huntress EDR", "5.00", ChangeRule::Prorated);
    w.count(200, "2026-12", "12");
    w.steps(200, "2026-11", &[(15, "10"), (15, "14")]); // 360 / 30 = 12 → 60.00
    w.billed(200, "2026-11", "50.00");
    w.constant(200, "2026-10", "10");
    w.billed(200, "2026-10", "50.00");
    w.constant(200, "2026-09", "10"); // before B+1: never adjusted
    // Advance + end_of_period: November due at its corrected V = 21.
    w.service(201, 20, "Mailbox Security", "3.00", ChangeRule::EndOfPeriod);
    w.count(201, "2026-12", "20");
    w.count(201, "2026-11", "21");
    w.billed(201, "2026-11", "60.00");
    w.count(201, "2026-10", "20");
    w.billed(201, "2026-10", "60.00");
    w.count(201, "2026-09", "20");
    w.service(202, 20, "Backup - Peak", "1.00", ChangeRule::Peak);
    w.count(202, "2026-12", "7");

    w.contract(21, 1, Timing::Arrears, date(2026, 1, 1), None);
    w.service(
        210,
        21,
        "Datto RMM - Desktop",
        "10.00",
        ChangeRule::Prorated,
    );
    w.service(
        211,
        21,
        "Datto RMM - Server",
        "10.00",
        ChangeRule::EndOfPeriod,
    );
    w.service(212, 21, "Backup", "10.00", ChangeRule::Peak);
    for cs in [210, 211, 212] {
        for q in ["2026-09", "2026-10"] {
            w.constant(cs, q, "10");
            w.billed(cs, q, "100.00");
        }
        w.constant(cs, "2026-08", "10"); // before B: never adjusted
    }
    w.steps(210, "2026-11", &[(15, "10"), (15, "20")]);
    w.steps(211, "2026-11", &[(15, "10"), (15, "20")]);
    w.steps(212, "2026-11", &[(12, "10"), (1, "41"), (17, "10")]);

    let output = w.run("2026-11");
    assert_eq!(
        output.problems,
        [RunProblem::PeakInAdvance {
            contract_service: 202,
            period: p("2026-12"),
        }]
    );
    let invoice = only(&output);
    assert_eq!(
        lines(invoice),
        [
            "adjustment 2026-11 Adjustment 2026-11: Huntress EDR | 1.0000 x 10.00 = 10.00",
            "charge 2026-12 Huntress EDR | 12.0000 x 5.00 = 60.00",
            "adjustment 2026-11 Adjustment 2026-11: Mailbox Security | 1.0000 x 3.00 = 3.00",
            "charge 2026-12 Mailbox Security | 20.0000 x 3.00 = 60.00",
            "charge 2026-11 Datto RMM - Desktop | 15.0000 x 10.00 = 150.00",
            "charge 2026-11 Datto RMM - Server | 20.0000 x 10.00 = 200.00",
            "charge 2026-11 Backup | 41.0000 x 10.00 = 410.00",
        ]
    );
    assert_eq!(totals(&invoice.totals), ["subtotal 893.00", "total 893.00"]);
    assert_eq!(invoice.issue_date, date(2026, 12, 1));
    assert_eq!(invoice.due_date, Some(date(2026, 12, 16)));
    assert!(invoice.purchase_orders.is_empty());
    assert_eq!(
        output.problems[0].to_string(),
        "contract service 202 uses the peak rule for 2026-12 on an advance contract, which is \
         not allowed: not billed"
    );
}

#[test]
fn thirty_one_day_month_contracts_starting_mid_month() {
    let mut w = World::new("2025-10");
    w.company(3, "Initech", Currency::USD, &[], 30);
    w.contract(30, 3, Timing::Arrears, date(2026, 1, 11), None);
    w.service(
        300,
        30,
        "Datto RMM - Desktop",
        "12.50",
        ChangeRule::Prorated,
    );
    // The raw history says 10 every day; the ten days before the start count as 0.
    w.constant(300, "2026-01", "10");
    w.contract(31, 3, Timing::Advance, date(2026, 1, 11), None);
    w.service(310, 31, "Mailbox Security", "3.00", ChangeRule::EndOfPeriod);
    w.count(310, "2026-01", "31"); // taken on January 11
    w.count(310, "2026-02", "31");

    // Closing December: the arrears contract has not started, and the advance one is not
    // active on January 1st, so nothing is charged.
    assert_eq!(w.run("2025-12"), RunOutput::default());

    let output = w.run("2026-01");
    let invoice = only(&output);
    assert_eq!(
        lines(invoice),
        [
            // 21 × 10 / 31 = 6.774193… → 6.7742; × 12.50 = 84.6775 → 84.68
            "charge 2026-01 Datto RMM - Desktop | 6.7742 x 12.50 = 84.68",
            // Its partial first month, never charged in advance: 31 × 21/31 = 21
            "adjustment 2026-01 Adjustment 2026-01: Mailbox Security | 1.0000 x 63.00 = 63.00",
            "charge 2026-02 Mailbox Security | 31.0000 x 3.00 = 93.00",
        ]
    );
    assert_eq!(totals(&invoice.totals), ["subtotal 240.68", "total 240.68"]);
    assert_eq!(invoice.due_date, Some(date(2026, 3, 3))); // February 1st + 30 days
}

#[test]
fn a_contract_ending_mid_month_is_prorated_then_bills_nothing() {
    let mut w = World::new("2026-01");
    w.company(4, "Umbrella", Currency::USD, &[], 30);
    w.contract(
        40,
        4,
        Timing::Arrears,
        date(2025, 1, 1),
        Some(date(2026, 11, 20)),
    );
    w.service(
        400,
        40,
        "Datto RMM - Desktop",
        "12.50",
        ChangeRule::Prorated,
    );
    w.constant(400, "2026-11", "6"); // days after the end count as 0
    w.service(
        401,
        40,
        "Datto RMM - Server",
        "12.50",
        ChangeRule::EndOfPeriod,
    );
    w.steps(401, "2026-11", &[(20, "9"), (10, "0")]);

    let output = w.run("2026-11");
    assert_eq!(
        lines(only(&output)),
        [
            "charge 2026-11 Datto RMM - Desktop | 4.0000 x 12.50 = 50.00", // 20 × 6 / 30
            "charge 2026-11 Datto RMM - Server | 6.0000 x 12.50 = 75.00",  // U(Nov 20) × 20/30
        ]
    );

    w.billed(400, "2026-11", "50.00");
    w.billed(401, "2026-11", "75.00");
    assert_eq!(w.run("2026-12"), RunOutput::default());
}

#[test]
fn billing_start_never_back_bills_and_advance_settles_from_b_plus_one() {
    let mut w = World::new("2026-11");
    w.company(5, "Hooli", Currency::USD, &[], 30);
    w.contract(50, 5, Timing::Arrears, date(2025, 1, 1), None);
    w.service(
        500,
        50,
        "Datto RMM - Desktop",
        "10.00",
        ChangeRule::Prorated,
    );
    for q in ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12"] {
        w.constant(500, q, "10");
    }
    w.contract(51, 5, Timing::Advance, date(2025, 1, 1), None);
    w.service(510, 51, "Huntress EDR", "5.00", ChangeRule::Prorated);
    w.count(510, "2026-12", "10");
    w.count(510, "2027-01", "10");
    for q in ["2026-10", "2026-11", "2026-12"] {
        w.constant(510, q, "12");
    }

    // The first run: charges only, no adjustment for anything before B (arrears) or for B
    // itself (advance, whose B was billed elsewhere in advance).
    let first = w.run("2026-11");
    assert_eq!(
        lines(only(&first)),
        [
            "charge 2026-11 Datto RMM - Desktop | 10.0000 x 10.00 = 100.00",
            "charge 2026-12 Huntress EDR | 10.0000 x 5.00 = 50.00",
        ]
    );

    w.billed(500, "2026-11", "100.00");
    w.billed(510, "2026-12", "50.00");
    let second = w.run("2026-12");
    assert_eq!(
        lines(only(&second)),
        [
            "charge 2026-12 Datto RMM - Desktop | 10.0000 x 10.00 = 100.00",
            // B+1 = December is the first period an advance contract settles: 12 × 5 − 50.
            "adjustment 2026-12 Adjustment 2026-12: Huntress EDR | 1.0000 x 10.00 = 10.00",
            "charge 2027-01 Huntress EDR | 10.0000 x 5.00 = 50.00",
        ]
    );
}

#[test]
fn a_late_correction_after_posting_is_adjusted_on_the_next_invoice() {
    let mut w = World::new("2026-01");
    w.company(6, "Vandelay", Currency::USD, &[], 30);
    w.contract(60, 6, Timing::Arrears, date(2025, 1, 1), None);
    w.service(
        600,
        60,
        "Datto RMM - Desktop",
        "10.00",
        ChangeRule::Prorated,
    );
    for q in ["2026-08", "2026-09"] {
        w.constant(600, q, "10");
        w.billed(600, q, "100.00");
    }
    // October was posted at 10 a day; a late snapshot raised its last 15 days to 12, and
    // they rest on carried-forward data.
    w.steps(600, "2026-10", &[(16, "10"), (15, "12")]);
    w.billed(600, "2026-10", "100.00");
    w.units.stale.insert((600, p("2026-10")));
    w.constant(600, "2026-11", "10");

    let output = w.run("2026-11");
    assert_eq!(
        lines(only(&output)),
        [
            // 340 / 31 = 10.967741… → 10.9677 × 10.00 = 109.677 → 109.68, less 100.00
            "adjustment 2026-10 Adjustment 2026-10: Datto RMM - Desktop | 1.0000 x 9.68 = 9.68 (stale)",
            "charge 2026-11 Datto RMM - Desktop | 10.0000 x 10.00 = 100.00",
        ]
    );
    assert_eq!(
        totals(&only(&output).totals),
        ["subtotal 109.68", "total 109.68"]
    );
}

#[test]
fn each_period_uses_the_terms_in_force_for_it() {
    let mut w = World::new("2026-01");
    w.company(7, "Stark", Currency::USD, &[], 30);
    w.contract(70, 7, Timing::Arrears, date(2025, 1, 1), None);
    w.service(700, 70, "Datto RMM - Desktop", "0", ChangeRule::Prorated);
    w.terms(
        700,
        &[
            ("2026-10", "10.00", ChangeRule::Prorated),
            ("2026-11", "12.00", ChangeRule::EndOfPeriod),
        ],
    );
    w.constant(700, "2026-09", "10"); // no terms for September: nothing due
    w.steps(700, "2026-10", &[(16, "10"), (15, "8")]);
    w.billed(700, "2026-10", "80.00");
    w.steps(700, "2026-11", &[(15, "10"), (15, "20")]);

    let output = w.run("2026-11");
    assert_eq!(
        lines(only(&output)),
        [
            // October at its own terms: 280 / 31 → 9.0323 × 10.00 = 90.32 (not 8 × 12.00)
            "adjustment 2026-10 Adjustment 2026-10: Datto RMM - Desktop | 1.0000 x 10.32 = 10.32",
            "charge 2026-11 Datto RMM - Desktop | 20.0000 x 12.00 = 240.00",
        ]
    );
    let cs = &w.setup.contract_services[&700];
    assert_eq!(due_amount(&w.setup, cs, p("2026-10"), &w.units), d("90.32"));
    assert_eq!(due_amount(&w.setup, cs, p("2026-09"), &w.units), d("0.00"));
    assert_eq!(
        due_amount(&w.setup, cs, p("2026-11"), &w.units),
        d("240.00")
    );
}

#[test]
fn a_missed_run_is_caught_up_within_the_lookback() {
    let mut w = World::new("2026-01");
    w.company(8, "Wayne", Currency::USD, &[], 30);
    w.contract(80, 8, Timing::Arrears, date(2025, 1, 1), None);
    w.service(
        800,
        80,
        "Datto RMM - Desktop",
        "10.00",
        ChangeRule::Prorated,
    );
    for q in ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"] {
        w.constant(800, q, "10");
    }
    w.billed(800, "2026-08", "100.00");
    w.billed(800, "2026-10", "100.00");
    // September was never invoiced; July is beyond the lookback of 3.

    let output = w.run("2026-11");
    assert_eq!(
        lines(only(&output)),
        [
            "adjustment 2026-09 Adjustment 2026-09: Datto RMM - Desktop | 1.0000 x 100.00 = 100.00",
            "charge 2026-11 Datto RMM - Desktop | 10.0000 x 10.00 = 100.00",
        ]
    );

    w.lookback = 1;
    assert_eq!(
        lines(only(&w.run("2026-11"))),
        ["charge 2026-11 Datto RMM - Desktop | 10.0000 x 10.00 = 100.00"]
    );
}

#[test]
fn a_voided_invoice_is_billed_again_by_the_next_run() {
    let mut w = World::new("2026-01");
    w.company(9, "Soylent", Currency::USD, &[("VAT", "20")], 30);
    w.contract(90, 9, Timing::Arrears, date(2025, 1, 1), None);
    w.service(
        900,
        90,
        "Datto RMM - Desktop",
        "10.00",
        ChangeRule::Prorated,
    );
    for q in ["2026-08", "2026-09", "2026-10", "2026-11"] {
        w.constant(900, q, "10");
        w.billed(900, q, "100.00");
    }
    // October's invoice was voided: its credit note takes billed back to zero.
    w.billed(900, "2026-10", "0.00");
    w.billed.remove(&(900, p("2026-11")));

    let invoice = w.run("2026-11");
    let invoice = only(&invoice);
    assert_eq!(
        lines(invoice),
        [
            "adjustment 2026-10 Adjustment 2026-10: Datto RMM - Desktop | 1.0000 x 100.00 = 100.00",
            "charge 2026-11 Datto RMM - Desktop | 10.0000 x 10.00 = 100.00",
        ]
    );
    assert_eq!(
        totals(&invoice.totals),
        [
            "subtotal 200.00",
            "tax VAT 20% on 200.00 = 40.00",
            "total 240.00"
        ]
    );
}

#[test]
fn an_end_date_set_after_an_advance_charge_gives_a_credit_note() {
    let mut w = World::new("2026-01");
    w.company(10, "Globex", Currency::USD, &[("NY State", "4")], 30);
    // November was charged in advance at 10 units; the contract was then ended on the 15th.
    w.contract(
        100,
        10,
        Timing::Advance,
        date(2025, 1, 1),
        Some(date(2026, 11, 15)),
    );
    w.service(1000, 100, "Huntress EDR", "5.00", ChangeRule::Prorated);
    w.count(1000, "2026-12", "10");
    for q in ["2026-09", "2026-10"] {
        w.constant(1000, q, "10");
        w.billed(1000, q, "50.00");
    }
    w.steps(1000, "2026-11", &[(15, "10"), (15, "0")]);
    w.billed(1000, "2026-11", "50.00");

    let output = w.run("2026-11");
    let credit = only(&output);
    assert_eq!(credit.kind, DocumentKind::CreditNote);
    assert_eq!(credit.due_date, None);
    assert_eq!(credit.issue_date, date(2026, 12, 1));
    // Due: 150 / 30 = 5 × 5.00 = 25.00; billed 50.00; no charge for December (ended).
    assert_eq!(
        lines(credit),
        ["adjustment 2026-11 Adjustment 2026-11: Huntress EDR | 1.0000 x 25.00 = 25.00"]
    );
    assert_eq!(
        totals(&credit.totals),
        [
            "subtotal 25.00",
            "tax NY State 4% on 25.00 = 1.00",
            "total 26.00"
        ]
    );
}
