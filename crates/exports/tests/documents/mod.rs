//! The golden documents, built the way the engine stores them: amounts, taxes and totals
//! come from the domain's invoice math, so the outputs are tested on documents that could
//! have been posted.

use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use rust_decimal::Decimal;
use unitbill_domain::document::{
    CreditReason, Document, DocumentKind, DocumentLine, DocumentStatus,
};
use unitbill_domain::invoice::{LineKind, PricedLine, TaxRate, credit_note_line, document_totals};
use unitbill_domain::ledger::Payment;
use unitbill_domain::money::{Currency, line_amount};
use unitbill_exports::{CompanyInfo, ExportContext, ExportSettings, Party, PartySettings};

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn rate(name: &str, percent: &str) -> TaxRate {
    TaxRate {
        name: name.into(),
        percent: d(percent),
    }
}

/// What a fixture line says; amounts are computed as the engine computes them.
struct L {
    company: i64,
    child: Option<&'static str>,
    contract: Option<i64>,
    service: Option<i64>,
    period: &'static str,
    kind: LineKind,
    description: &'static str,
    quantity: &'static str,
    price: &'static str,
    rates: Vec<TaxRate>,
}

fn charge(
    company: i64,
    contract: i64,
    service: i64,
    description: &'static str,
    q: &'static str,
    p: &'static str,
    rates: &[TaxRate],
) -> L {
    L {
        company,
        child: None,
        contract: Some(contract),
        service: Some(service),
        period: "2026-11",
        kind: LineKind::Charge,
        description,
        quantity: q,
        price: p,
        rates: rates.to_vec(),
    }
}

fn priced(l: &L, currency: Currency) -> PricedLine {
    let (q, p) = (d(l.quantity), d(l.price));
    PricedLine {
        kind: l.kind,
        quantity: q,
        unit_price: p,
        amount: line_amount(q, p, currency),
        taxable: !l.rates.is_empty(),
        tax_rates: l.rates.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn document(
    id: i64,
    number: &str,
    company: i64,
    currency: Currency,
    issue: Date,
    due: Option<Date>,
    credit: Option<CreditReason>,
    lines: Vec<L>,
) -> Document {
    // Run credit notes state the negation of the invoice-style lines they replace.
    let priced: Vec<PricedLine> = lines
        .iter()
        .map(|l| priced(l, currency))
        .map(|p| {
            if credit == Some(CreditReason::Run) {
                credit_note_line(&p)
            } else {
                p
            }
        })
        .collect();
    let totals = document_totals(&priced, currency);
    Document {
        id,
        period: "2026-11".into(),
        company_id: company,
        kind: if credit.is_some() {
            DocumentKind::CreditNote
        } else {
            DocumentKind::Invoice
        },
        credit_reason: credit,
        status: DocumentStatus::Posted,
        number: Some(number.into()),
        currency: currency.code().into(),
        issue_date: issue,
        due_date: due,
        subtotal: totals.subtotal,
        tax_total: totals.tax_total(),
        total: totals.total,
        taxes: totals.taxes.clone(),
        purchase_orders: Vec::new(),
        voids_document_id: None,
        posted_at: Some("2026-12-01T12:00:00Z".into()),
        lines: lines
            .iter()
            .zip(priced)
            .enumerate()
            .map(|(i, (l, p))| DocumentLine {
                line_no: i as i64 + 1,
                company_id: l.company,
                for_child: l.child.map(str::to_owned),
                contract_service_id: l.service.map(|s| s * 100 + l.contract.unwrap_or(0)),
                service_id: l.service,
                contract_id: l.contract,
                period: l.period.into(),
                kind: l.kind,
                description: l.description.into(),
                quantity: p.quantity,
                unit_price: p.unit_price,
                amount: p.amount,
                taxable: p.taxable,
                tax_rates: p.tax_rates,
                stale: false,
            })
            .collect(),
    }
}

pub struct Golden {
    pub ctx: ExportContext,
    /// Every document of the period but the long one, in posting order.
    pub documents: Vec<Document>,
    /// A 120-line invoice.
    pub long: Document,
    pub payments: Vec<Payment>,
}

pub fn golden() -> Golden {
    let ny = [rate("NY State", "4"), rate("Kings County", "4.875")];
    let state = [rate("NY State", "4")];
    let nj = [rate("NJ State", "6.625")];
    let jp = [rate("Consumption tax", "10")];
    let usd = Currency::USD;
    let dec1 = date(2026, 12, 1);

    let mut contoso = document(
        101,
        "INV-00001",
        1,
        usd,
        dec1,
        Some(date(2026, 12, 31)),
        None,
        vec![
            charge(1, 10, 1, "Datto RMM - Desktop", "41.2903", "5.00", &ny),
            charge(1, 10, 2, "Datto RMM - Server", "3", "45.00", &ny),
            L {
                period: "2026-10",
                kind: LineKind::Adjustment,
                description: "Adjustment 2026-10: Datto RMM - Desktop",
                quantity: "1",
                price: "-12.34",
                ..charge(1, 10, 1, "", "", "", &ny)
            },
            charge(1, 11, 4, "EDR - Endpoint", "44", "3.50", &ny),
            L {
                contract: None,
                service: None,
                kind: LineKind::OneOff,
                description: "Onboarding workshop",
                ..charge(1, 0, 0, "", "1", "250.00", &[])
            },
        ],
    );
    contoso.purchase_orders = vec!["PO-2026-17".into()];

    let northwind = document(
        102,
        "INV-00002",
        2,
        usd,
        dec1,
        Some(date(2026, 12, 16)),
        None,
        vec![
            charge(2, 12, 1, "Datto RMM - Desktop", "18", "5.00", &state),
            charge(
                2,
                12,
                3,
                "Backup - Protected device",
                "2.5",
                "40.00",
                &state,
            ),
            L {
                child: Some("Northwind Retail"),
                ..charge(3, 13, 1, "Datto RMM - Desktop", "12", "5.00", &nj)
            },
            L {
                child: Some("Northwind Retail"),
                ..charge(3, 13, 4, "EDR - Endpoint", "12", "3.50", &nj)
            },
        ],
    );

    let fabrikam = document(
        103,
        "INV-00003",
        4,
        usd,
        dec1,
        Some(date(2026, 12, 31)),
        None,
        vec![charge(4, 14, 1, "Datto RMM - Desktop", "30", "5.00", &[])],
    );
    let mut void = fabrikam.clone();
    void.id = 201;
    void.number = Some("CN-00001".into());
    void.kind = DocumentKind::CreditNote;
    void.credit_reason = Some(CreditReason::Void);
    void.due_date = None;
    void.issue_date = date(2026, 12, 5);
    void.voids_document_id = Some(103);
    let mut fabrikam = fabrikam;
    fabrikam.status = DocumentStatus::Void;

    let run_credit = document(
        202,
        "CN-00002",
        5,
        usd,
        dec1,
        None,
        Some(CreditReason::Run),
        vec![
            L {
                period: "2026-10",
                kind: LineKind::Adjustment,
                description: "Adjustment 2026-10: Backup - Protected device",
                quantity: "1",
                price: "-300.00",
                ..charge(5, 15, 3, "", "", "", &state)
            },
            charge(5, 15, 1, "Datto RMM - Desktop", "20", "5.00", &state),
        ],
    );

    let goodwill = document(
        203,
        "CN-00003",
        1,
        usd,
        date(2026, 12, 3),
        None,
        Some(CreditReason::Goodwill),
        vec![L {
            contract: None,
            service: None,
            kind: LineKind::OneOff,
            description: "Service credit: outage on 2026-11-12",
            ..charge(1, 0, 0, "", "1", "25.00", &ny)
        }],
    );

    let tokyo = document(
        104,
        "INV-00004",
        6,
        Currency::JPY,
        dec1,
        Some(date(2026, 12, 31)),
        None,
        vec![
            charge(6, 16, 1, "Datto RMM - Desktop", "12", "1500", &jp),
            L {
                period: "2026-10",
                kind: LineKind::Adjustment,
                description: "Adjustment 2026-10: Datto RMM - Desktop",
                quantity: "1",
                price: "-1225",
                ..charge(6, 16, 1, "", "", "", &jp)
            },
        ],
    );

    let long_lines: Vec<L> = (0..120)
        .map(|i| {
            let contract = 20 + i / 40;
            let service = 1 + i % 4;
            L {
                description: [
                    "Datto RMM - Desktop",
                    "Datto RMM - Server",
                    "Backup - Protected device",
                    "EDR - Endpoint",
                ][(i % 4) as usize],
                quantity: ["10", "2.5", "1", "7.1613"][(i % 4) as usize],
                ..charge(7, contract, service, "", "", "4.00", &state)
            }
        })
        .collect();
    let long = document(
        105,
        "INV-00005",
        7,
        usd,
        dec1,
        Some(date(2026, 12, 31)),
        None,
        long_lines,
    );

    let party =
        |name: &str, lines: &[&str], city: &str, region: &str, zip: &str, country: &str| Party {
            name: name.into(),
            address: PartySettings {
                lines: lines.iter().map(|l| l.to_string()).collect(),
                city: city.into(),
                region: region.into(),
                postal_code: zip.into(),
                country: country.into(),
                ..PartySettings::default()
            }
            .address(),
            ..Party::default()
        };
    let company = |id: i64, name: &str, currency: &str, days: i64, p: Party| {
        (
            id,
            CompanyInfo {
                id,
                name: name.into(),
                party: Party {
                    name: name.into(),
                    ..p
                },
                currency: currency.into(),
                payment_terms_days: days,
            },
        )
    };
    let companies: BTreeMap<i64, CompanyInfo> = [
        company(
            1,
            "Contoso Ltd",
            "USD",
            30,
            party(
                "",
                &["350 Jay Street", "Floor 4"],
                "Brooklyn",
                "NY",
                "11201",
                "US",
            ),
        ),
        company(
            2,
            "Northwind Holdings",
            "USD",
            15,
            party("", &["1 Main Street"], "Albany", "NY", "12207", "US"),
        ),
        company(
            3,
            "Northwind Retail",
            "USD",
            15,
            party("", &["40 Broad St"], "Newark", "NJ", "07102", "US"),
        ),
        company(
            4,
            "Fabrikam Inc",
            "USD",
            30,
            party("", &[], "Buffalo", "NY", "14201", ""),
        ),
        company(
            5,
            "Litware LLC",
            "USD",
            30,
            party("", &[], "Queens", "NY", "11101", "US"),
        ),
        company(
            6,
            "Tokyo Branch KK",
            "JPY",
            30,
            party(
                "",
                &["1-1 Marunouchi"],
                "Chiyoda-ku, Tokyo",
                "",
                "100-0005",
                "JP",
            ),
        ),
        company(
            7,
            "Big Client & Sons",
            "USD",
            30,
            party("", &["9 Long Road"], "Rochester", "NY", "14604", "US"),
        ),
    ]
    .into_iter()
    .collect();
    let mut seller = party(
        "Acme MSP",
        &["12 Harbor Road"],
        "Portland",
        "ME",
        "04101",
        "US",
    );
    seller.tax_registration_id = Some("12-3456789".into());
    seller.email = Some("billing@acme-msp.example".into());
    let mut settings = ExportSettings::default();
    settings
        .xero
        .accounts
        .insert("Backup - Protected device".into(), "210".into());
    settings.xero.tax_types.insert(
        "Kings County + NY State".into(),
        "NY Sales Tax (Kings)".into(),
    );
    settings
        .quickbooks
        .items
        .insert("EDR - Endpoint".into(), "Security:EDR".into());
    settings
        .journal
        .revenue_accounts
        .insert("EDR - Endpoint".into(), "revenue:security".into());
    let ctx = ExportContext {
        seller,
        logo: None,
        currency: "USD".into(),
        companies,
        services: [
            (1, "Datto RMM - Desktop"),
            (2, "Datto RMM - Server"),
            (3, "Backup - Protected device"),
            (4, "EDR - Endpoint"),
        ]
        .into_iter()
        .map(|(id, n)| (id, n.to_owned()))
        .collect(),
        contracts: [
            (10, "Managed services 2026"),
            (11, "Security add-ons"),
            (12, "Northwind managed services"),
            (13, "Retail stores"),
            (14, "Fabrikam care"),
            (15, "Litware care"),
            (16, "Tokyo office"),
            (20, "Site A"),
            (21, "Site B"),
            (22, "Site C"),
        ]
        .into_iter()
        .map(|(id, n)| (id, n.to_owned()))
        .collect(),
        document_numbers: [(103, "INV-00003".to_owned())].into_iter().collect(),
        settings,
    };
    let pay = |id: i64,
               company: i64,
               doc: i64,
               amount: &str,
               applied: &str,
               on: Date,
               reference: &str| Payment {
        id,
        company_id: company,
        document_id: Some(doc),
        amount: d(amount),
        applied: d(applied),
        paid_on: on,
        method: "ach".into(),
        reference: reference.into(),
    };
    let payments = vec![
        pay(
            1,
            1,
            101,
            "500.00",
            "500.00",
            date(2026, 12, 15),
            "ACH 7781",
        ),
        pay(
            2,
            2,
            102,
            &northwind.total.to_string(),
            &northwind.total.to_string(),
            date(2026, 12, 20),
            "CHK 1042",
        ),
        pay(3, 4, 103, "100.00", "100.00", date(2026, 12, 2), "CHK 88"),
        pay(4, 6, 104, "10000", "10000", date(2026, 12, 24), "Wire 12"),
    ];
    Golden {
        ctx,
        documents: vec![
            contoso, northwind, fabrikam, void, run_credit, goodwill, tokyo,
        ],
        long,
        payments,
    }
}
