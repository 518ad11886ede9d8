//! The storage story of setup, sync, invoicing, payments and insights: every method of the
//! `Store` trait beyond tenants and usage, on SQLite and (when configured) PostgreSQL. Each
//! write is read back, and a second tenant never sees the first one's rows.

use jiff::civil::{Date, date};
use rust_decimal::Decimal;
use unitbill_domain::catalog::BillingTypeCode;
use unitbill_domain::document::{DocumentKind, DocumentStatus};
use unitbill_domain::invoice::{LineKind, TaxRate};
use unitbill_domain::rules::{ChangeRule, Timing};
use unitbill_domain::setup::{CompanyStatus, OrgAssignment, ServiceTerms};
use unitbill_domain::usage::{OrgReport, UsageValue};
use unitbill_store::testing::fresh_databases;
use unitbill_store::{
    ActivityRecord, Changed, CompanyImport, CompanyRecord, ContractRecord, ContractServiceRecord,
    DocumentLineRecord, DocumentRecord, ModuleBillingChange, NewPayment, NewTenant, OneOffRecord,
    OrgMappingChange, PutSnapshot, RecordedInsight, ServiceMappingChange, ServiceRecord, Store,
    StoreError, SyncBatch, SyncedDay, TermsChange, UnitRow, UnitSourceRow,
};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn changed() -> Changed {
    Changed {
        by: "admin@acme.test".into(),
        at: "2026-11-01T00:00:00Z".into(),
    }
}

fn company(name: &str) -> CompanyRecord {
    CompanyRecord {
        id: 0,
        name: name.into(),
        status: CompanyStatus::Active,
        currency: "USD".into(),
        tax_rates: vec!["NY State".into()],
        payment_terms_days: 30,
        bill_to_id: None,
        external_ref: None,
    }
}

async fn tenant(store: &dyn Store, slug: &str) -> i64 {
    store
        .create_tenant(&NewTenant {
            slug: slug.into(),
            name: slug.into(),
            time_zone: "UTC".into(),
            currency: "USD".into(),
            sync_hour: 1,
            now: "2026-11-01T00:00:00Z".into(),
        })
        .await
        .unwrap()
        .id
}

/// A one-line invoice draft of `total` for a company and period.
fn draft(company_id: i64, cs: i64, period: &str, total: &str) -> DocumentRecord {
    let amount = dec(total);
    DocumentRecord {
        id: 0,
        period: period.into(),
        company_id,
        kind: DocumentKind::Invoice,
        credit_reason: None,
        status: DocumentStatus::Draft,
        number: None,
        currency: "USD".into(),
        issue_date: date(2026, 11, 1),
        due_date: Some(date(2026, 12, 1)),
        subtotal: amount,
        tax_total: Decimal::ZERO,
        total: amount,
        taxes: Vec::new(),
        purchase_orders: vec!["PO-1".into()],
        voids_document_id: None,
        posted_at: None,
        lines: vec![DocumentLineRecord {
            line_no: 1,
            company_id,
            for_child: None,
            contract_service_id: Some(cs),
            service_id: None,
            contract_id: None,
            period: period.into(),
            kind: LineKind::Charge,
            description: "Datto RMM - Desktop".into(),
            quantity: dec("10"),
            unit_price: amount / dec("10"),
            amount,
            taxable: false,
            tax_rates: Vec::new(),
            stale: false,
        }],
    }
}

/// Setup: tax rates, services, companies, contracts, contract services, terms and the
/// effective-dated logs. Returns (company, second company, contract service).
async fn setup_story(store: &dyn Store, t: i64, other: i64) -> (i64, i64, i64) {
    let b = store.backend();
    let rate = TaxRate {
        name: "NY State".into(),
        percent: dec("4"),
    };
    store.put_tax_rate(t, &rate).await.unwrap();
    assert_eq!(store.tax_rates(t).await.unwrap(), vec![rate]);
    assert!(store.tax_rates(other).await.unwrap().is_empty(), "{b}");

    let service = store
        .create_service(
            t,
            &ServiceRecord {
                id: 0,
                name: "Datto RMM - Desktop".into(),
                unit_price: dec("5.00"),
                unit_cost: dec("1.25"),
                taxable: true,
                description: "Managed desktop".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(store.services(t).await.unwrap(), vec![service.clone()]);

    let acme = store
        .save_company(t, &company("Acme"), "now")
        .await
        .unwrap();
    let globex = store
        .save_company(t, &company("Globex"), "now")
        .await
        .unwrap();
    assert_eq!(store.companies(t).await.unwrap().len(), 2, "{b}");
    assert!(store.companies(other).await.unwrap().is_empty(), "{b}");

    let contract = store
        .save_contract(
            t,
            &ContractRecord {
                id: 0,
                company_id: acme.id,
                name: "Managed services".into(),
                start_date: date(2026, 1, 1),
                end_date: None,
                timing: Timing::Arrears,
                currency: "USD".into(),
                purchase_order: Some("PO-1".into()),
            },
            "now",
        )
        .await
        .unwrap();
    assert_eq!(store.contracts(t).await.unwrap(), vec![contract.clone()]);

    let terms = ServiceTerms {
        unit_price: dec("5.00"),
        unit_cost: dec("1.25"),
        rule: ChangeRule::Prorated,
        fixed_units: Decimal::ZERO,
    };
    let cs = store
        .add_contract_service(
            t,
            &ContractServiceRecord {
                id: 0,
                contract_id: contract.id,
                service_id: service.id,
                description: "Desktops".into(),
                active_from: date(2026, 1, 1),
            },
            &TermsChange {
                contract_service_id: 0,
                effective_from: date(2026, 1, 1),
                terms: terms.clone(),
                changed: changed(),
            },
        )
        .await
        .unwrap();
    assert_eq!(store.contract_services(t).await.unwrap(), vec![cs.clone()]);
    let raise = TermsChange {
        contract_service_id: cs.id,
        effective_from: date(2026, 3, 1),
        terms: ServiceTerms {
            unit_price: dec("6.00"),
            ..terms
        },
        changed: changed(),
    };
    store.add_terms_change(t, &raise).await.unwrap();
    let all_terms = store.terms_changes(t).await.unwrap();
    assert_eq!(all_terms.len(), 2, "{b}");
    assert_eq!(all_terms[1], raise, "{b}");

    let mapping = OrgMappingChange {
        module_code: "datto-rmm".into(),
        org_id: "s1".into(),
        effective_from: date(2026, 1, 1),
        assignment: OrgAssignment::Mapped(acme.id),
        changed: changed(),
    };
    store
        .add_org_mapping_changes(t, std::slice::from_ref(&mapping))
        .await
        .unwrap();
    assert_eq!(store.org_mapping_changes(t).await.unwrap(), vec![mapping]);
    let service_mapping = ServiceMappingChange {
        contract_id: contract.id,
        module_code: "datto-rmm".into(),
        billing_type: "desktop".into(),
        effective_from: date(2026, 1, 1),
        contract_service_id: Some(cs.id),
        changed: changed(),
    };
    store
        .add_service_mapping_change(t, &service_mapping)
        .await
        .unwrap();
    assert_eq!(
        store.service_mapping_changes(t).await.unwrap(),
        vec![service_mapping]
    );
    let billing = ModuleBillingChange {
        module_code: "datto-rmm".into(),
        effective_from: date(2026, 1, 1),
        enabled: true,
        changed: changed(),
    };
    store.add_module_billing_change(t, &billing).await.unwrap();
    assert_eq!(
        store.module_billing_changes(t).await.unwrap(),
        vec![billing]
    );
    // Every one of those changes marked days for the sync, in its own transaction.
    assert_eq!(
        store.sync_state(t).await.unwrap().resync_from,
        Some(date(2026, 1, 1)),
        "{b}"
    );
    assert!(store.org_mapping_changes(other).await.unwrap().is_empty());
    (acme.id, globex.id, cs.id)
}

/// Usage reads the sync uses, and the sync's writes and reads.
async fn sync_story(store: &dyn Store, t: i64, other: i64, cs: i64, acme: i64) {
    let b = store.backend();
    store
        .connect_module(t, "my-tool", "My tool", true, "now")
        .await
        .unwrap();
    assert_eq!(store.connected_modules(t).await.unwrap().len(), 1, "{b}");
    let key = store
        .create_module_key(t, "my-tool", "keyhash", "now")
        .await
        .unwrap();
    assert_eq!(store.module_keys(t).await.unwrap()[0].id, key.id);
    store.revoke_module_key(t, key.id, "later").await.unwrap();
    assert!(matches!(
        store.revoke_module_key(t, key.id, "later").await,
        Err(StoreError::NotFound(_))
    ));
    let seats = unitbill_domain::catalog::BillingType {
        code: BillingTypeCode::parse("seats").unwrap(),
        name: "seats".into(),
        unit: unitbill_domain::catalog::UnitOfMeasure::Count,
    };
    let value = UsageValue {
        org_id: "o1".into(),
        billing_type: BillingTypeCode::parse("seats").unwrap(),
        quantity: 7,
    };
    for (day, complete) in [(date(2026, 1, 2), true), (date(2026, 1, 4), false)] {
        store
            .put_snapshot(&PutSnapshot {
                tenant_id: t,
                module_code: "my-tool",
                date: day,
                complete,
                orgs: &[OrgReport {
                    id: "o1".into(),
                    name: "Org one".into(),
                    parent_id: None,
                    usage: Default::default(),
                }],
                values: std::slice::from_ref(&value),
                new_billing_types: std::slice::from_ref(&seats),
                actor: "key:1",
                now: "now",
                body_hash: None,
            })
            .await
            .unwrap();
    }
    assert_eq!(
        store.custom_billing_types(t, "my-tool").await.unwrap(),
        vec![seats]
    );
    assert_eq!(
        store.first_usage_day(t).await.unwrap(),
        Some(date(2026, 1, 2))
    );
    assert_eq!(store.first_usage_day(other).await.unwrap(), None, "{b}");
    let headers = store
        .snapshot_days(t, date(2026, 1, 1), date(2026, 1, 31))
        .await
        .unwrap();
    assert_eq!(
        headers
            .iter()
            .map(|h| (h.day, h.complete))
            .collect::<Vec<_>>(),
        vec![(date(2026, 1, 2), true), (date(2026, 1, 4), false)],
        "{b}"
    );
    assert_eq!(
        store
            .last_complete_days(t, date(2026, 1, 10))
            .await
            .unwrap(),
        vec![("my-tool".to_owned(), date(2026, 1, 2))]
    );
    // The complete day is one run from Jan 2; the partial day keeps its listed value apart.
    let changes = store
        .usage_changes(t, date(2026, 1, 1), date(2026, 1, 31))
        .await
        .unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.day, c.org_id.as_str(), c.quantity))
            .collect::<Vec<_>>(),
        vec![(date(2026, 1, 2), "o1", Some(7))],
        "{b}"
    );
    assert_eq!(
        store
            .usage_content_at(t, date(2026, 1, 3))
            .await
            .unwrap()
            .len(),
        1,
        "{b}"
    );
    assert_eq!(
        store
            .partial_usage(t, date(2026, 1, 1), date(2026, 1, 31))
            .await
            .unwrap()
            .iter()
            .map(|u| u.day)
            .collect::<Vec<_>>(),
        vec![date(2026, 1, 4)],
        "{b}"
    );
    assert_eq!(
        store.last_snapshot_days(t).await.unwrap(),
        vec![("my-tool".to_owned(), date(2026, 1, 4))]
    );

    let day = |d: Date, units: &str| SyncedDay {
        day: Some(d),
        units: vec![UnitRow {
            contract_service_id: cs,
            day: d,
            units: dec(units),
            stale: false,
        }],
        sources: vec![UnitSourceRow {
            contract_service_id: cs,
            day: d,
            module_code: "datto-rmm".into(),
            org_id: "s1".into(),
            billing_type: "desktop".into(),
            quantity: 10,
        }],
        activity: vec![ActivityRecord {
            day: d,
            module_code: "datto-rmm".into(),
            billing_type: "desktop".into(),
            company_id: Some(acme),
            contract_service_id: Some(cs),
            status: "unchanged".into(),
            reason: None,
            units: 10,
            previous_units: 10,
            amount_at_stake: None,
        }],
    };
    let seen = store.sync_state(t).await.unwrap();
    store
        .write_synced_days(
            t,
            &[day(date(2026, 1, 1), "10"), day(date(2026, 1, 2), "10")],
            SyncBatch {
                from: date(2026, 1, 1),
                through: date(2026, 1, 2),
                seen_mark_seq: seen.mark_seq,
            },
        )
        .await
        .unwrap();
    let (from, to) = (date(2026, 1, 1), date(2026, 1, 31));
    assert_eq!(
        store
            .unit_history(t, Some(cs), from, to)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store.unit_history(t, None, from, to).await.unwrap().len(),
        2
    );
    assert!(
        store
            .unit_history(other, None, from, to)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .unit_history_for_services(t, cs, cs, from, to)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.unit_sources(t, cs, from, to).await.unwrap().len(), 2);
    assert_eq!(store.activity(t, from, to, false).await.unwrap().len(), 2);
    assert!(
        store.activity(t, from, to, true).await.unwrap().is_empty(),
        "{b}"
    );
    // Writing a day again replaces it.
    let seen = store.sync_state(t).await.unwrap();
    store
        .write_synced_days(
            t,
            &[day(date(2026, 1, 2), "12")],
            SyncBatch {
                from: date(2026, 1, 2),
                through: date(2026, 1, 2),
                seen_mark_seq: seen.mark_seq,
            },
        )
        .await
        .unwrap();
    let units = store.unit_history(t, Some(cs), from, to).await.unwrap();
    assert_eq!(units[1].units, dec("12"), "{b}");
    store.prune_activity(t, date(2026, 1, 2)).await.unwrap();
    assert_eq!(
        store.activity(t, from, to, false).await.unwrap().len(),
        1,
        "{b}"
    );
}

/// Runs, posting, payments, credit, one-offs, void credit notes and the import.
async fn invoice_story(store: &dyn Store, t: i64, other: i64, acme: i64, globex: i64, cs: i64) {
    let b = store.backend();
    store.set_billing_start(t, Some("2026-10")).await.unwrap();
    let mut tenant = store.tenant(t).await.unwrap();
    assert_eq!(tenant.billing_start.as_deref(), Some("2026-10"));
    tenant.lookback_periods = 2;
    assert_eq!(
        store.update_tenant(&tenant).await.unwrap().lookback_periods,
        2
    );

    let written = store
        .replace_drafts(
            t,
            "2026-10",
            &[
                draft(acme, cs, "2026-10", "50.00"),
                draft(globex, cs, "2026-10", "20.00"),
            ],
            "now",
        )
        .await
        .unwrap();
    assert_eq!(written.draft_ids.len(), 2, "{b}");
    assert_eq!(
        store.invoice_runs(t).await.unwrap(),
        vec!["2026-10".to_owned()]
    );
    assert!(store.invoice_runs(other).await.unwrap().is_empty());
    assert_eq!(
        store
            .documents(t, Some("2026-10"), None)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.documents(t, None, Some(acme)).await.unwrap().len(), 1);
    assert_eq!(
        store.period_documents(t, "2026-10").await.unwrap()[0]
            .lines
            .len(),
        1
    );
    assert!(matches!(
        store.document(other, written.draft_ids[0]).await,
        Err(StoreError::NotFound(_))
    ));

    // A list with an unknown id posts nothing; then both post with consecutive numbers.
    assert!(
        store
            .post_documents(t, &[written.draft_ids[0], 999_999], "now")
            .await
            .is_err()
    );
    assert_eq!(
        store
            .document(t, written.draft_ids[0])
            .await
            .unwrap()
            .status,
        DocumentStatus::Draft,
        "{b}"
    );
    let posted = store
        .post_documents(t, &written.draft_ids, "now")
        .await
        .unwrap();
    let numbers: Vec<_> = posted.iter().map(|d| d.number.clone().unwrap()).collect();
    assert_eq!(numbers, vec!["INV-00001", "INV-00002"], "{b}");
    assert_eq!(
        store
            .document_by_number(t, "INV-00002")
            .await
            .unwrap()
            .company_id,
        globex
    );
    assert_eq!(
        store
            .posted_lines(t, "2026-10", "2026-10")
            .await
            .unwrap()
            .len(),
        2
    );

    // Regenerating skips the companies already invoiced, inside its transaction.
    let again = store
        .replace_drafts(t, "2026-10", &[draft(acme, cs, "2026-10", "55.00")], "now")
        .await
        .unwrap();
    assert!(again.draft_ids.is_empty(), "{b}: {again:?}");
    assert_eq!(again.skipped_companies, vec![acme, globex], "{b}");

    // 60 paid on a 50 invoice: 50 applied, 10 credit; the credit pays part of Globex's 20.
    let paid = store
        .record_payment(
            t,
            &NewPayment {
                document_id: posted[0].id,
                amount: dec("60.00"),
                paid_on: date(2026, 11, 5),
                method: "ach".into(),
                reference: "r1".into(),
            },
            "now",
        )
        .await
        .unwrap();
    assert_eq!(paid.applied, dec("50.00"), "{b}");
    assert_eq!(
        store.document(t, posted[0].id).await.unwrap().status,
        DocumentStatus::Paid
    );
    assert_eq!(store.payments(t, Some(acme)).await.unwrap().len(), 1);
    assert!(store.payments(other, None).await.unwrap().is_empty());
    // Acme's credit cannot pay Globex's invoice.
    assert!(
        store
            .apply_credit(t, posted[1].id, None, "now")
            .await
            .is_err(),
        "{b}"
    );
    let third = store
        .replace_drafts(t, "2026-11", &[draft(acme, cs, "2026-11", "30.00")], "now")
        .await
        .unwrap();
    let third = store
        .post_documents(t, &third.draft_ids, "now")
        .await
        .unwrap();
    let applied = store
        .apply_credit(t, third[0].id, None, "now")
        .await
        .unwrap();
    assert_eq!(applied, dec("10.00"), "{b}");
    assert_eq!(
        store.document(t, third[0].id).await.unwrap().status,
        DocumentStatus::PartiallyPaid,
        "{b}"
    );
    assert_eq!(
        store
            .credit_applications(t, Some(acme))
            .await
            .unwrap()
            .len(),
        1
    );

    // A void credit note takes Globex's invoice back; it cannot be voided twice.
    let mut note = draft(globex, cs, "2026-10", "20.00");
    note.kind = DocumentKind::CreditNote;
    note.credit_reason = Some(unitbill_domain::document::CreditReason::Void);
    note.voids_document_id = Some(posted[1].id);
    note.due_date = None;
    let void = store
        .insert_posted_credit_note(t, &note, "now")
        .await
        .unwrap();
    assert_eq!(void.number.as_deref(), Some("CN-00001"), "{b}");
    assert_eq!(
        store.document(t, posted[1].id).await.unwrap().status,
        DocumentStatus::Void
    );
    assert!(
        store
            .insert_posted_credit_note(t, &note, "now")
            .await
            .is_err(),
        "{b}"
    );

    let one_off = store
        .add_one_off(
            t,
            &OneOffRecord {
                id: 0,
                company_id: acme,
                period: "2026-11".into(),
                description: "Onboarding".into(),
                quantity: dec("1"),
                unit_price: dec("250.00"),
                taxable: false,
            },
            "now",
        )
        .await
        .unwrap();
    assert_eq!(store.one_offs(t, "2026-11").await.unwrap(), vec![one_off]);
    assert!(store.one_offs(other, "2026-11").await.unwrap().is_empty());

    // An import is all or nothing: a row naming a missing parent writes no row.
    let row = |name: &str, parent: Option<&str>| CompanyImport {
        company: company(name),
        bill_to_name: parent.map(str::to_owned),
    };
    assert!(
        store
            .import_companies(
                t,
                &[row("Initech", None), row("Child", Some("Nobody"))],
                "now"
            )
            .await
            .is_err()
    );
    assert_eq!(store.companies(t).await.unwrap().len(), 2, "{b}");
    let imported = store
        .import_companies(
            t,
            &[row("Initech", None), row("Initech East", Some("initech"))],
            "now",
        )
        .await
        .unwrap();
    assert_eq!(imported[1].bill_to_id, Some(imported[0].id), "{b}");
}

async fn insight_story(store: &dyn Store, t: i64, other: i64) {
    store
        .set_insight_status(
            t,
            "stale:datto-rmm:2026-01-02",
            Some("dismissed"),
            "me",
            "now",
        )
        .await
        .unwrap();
    assert_eq!(
        store.insight_statuses(t).await.unwrap(),
        vec![(
            "stale:datto-rmm:2026-01-02".to_owned(),
            "dismissed".to_owned()
        )]
    );
    store
        .set_insight_status(t, "stale:datto-rmm:2026-01-02", None, "me", "now")
        .await
        .unwrap();
    assert!(store.insight_statuses(t).await.unwrap().is_empty());
    let insight = RecordedInsight {
        key: "correction_beyond_lookback:1:2026-01".into(),
        kind: "correction_beyond_lookback".into(),
        title: "2026-01 changed".into(),
        detail: "details".into(),
        amount: Some("5.00".into()),
        company_id: None,
        recorded_at: "now".into(),
    };
    store.record_insight(t, &insight).await.unwrap();
    assert_eq!(store.recorded_insights(t).await.unwrap(), vec![insight]);
    assert!(store.recorded_insights(other).await.unwrap().is_empty());
}

#[tokio::test]
async fn billing_storage_story_on_every_backend() {
    for (backend, url) in fresh_databases().await {
        let store = unitbill_store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let store = store.as_ref();
        let t = tenant(store, "acme").await;
        let other = tenant(store, "other").await;
        let (acme, globex, cs) = setup_story(store, t, other).await;
        sync_story(store, t, other, cs, acme).await;
        invoice_story(store, t, other, acme, globex, cs).await;
        insight_story(store, t, other).await;
    }
}
