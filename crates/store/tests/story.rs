//! The storage contract story, run against SQLite and (when configured) PostgreSQL.

use jiff::civil::date;
use unitbill_domain::catalog::BillingTypeCode;
use unitbill_domain::usage::{OrgReport, UsageValue};
use unitbill_store::testing::fresh_databases;
use unitbill_store::{NewTenant, PutSnapshot, Role, Store, StoreError};

fn v(org: &str, bt: &str, q: i64) -> UsageValue {
    UsageValue {
        org_id: org.into(),
        billing_type: BillingTypeCode::parse(bt).unwrap(),
        quantity: q,
    }
}

fn org(id: &str, name: &str) -> OrgReport {
    OrgReport {
        id: id.into(),
        name: name.into(),
        parent_id: None,
        usage: Default::default(),
    }
}

async fn story(store: &dyn Store) {
    let t = store
        .create_tenant(&NewTenant {
            slug: "acme".into(),
            name: "Acme MSP".into(),
            time_zone: "America/New_York".into(),
            currency: "USD".into(),
            sync_hour: 1,
            now: "2026-11-01T00:00:00Z".into(),
        })
        .await
        .unwrap();
    let other = store
        .create_tenant(&NewTenant {
            slug: "other".into(),
            name: "Other".into(),
            time_zone: "UTC".into(),
            currency: "EUR".into(),
            sync_hour: 2,
            now: "x".into(),
        })
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_tenant(&NewTenant {
                slug: "acme".into(),
                name: "dup".into(),
                time_zone: "UTC".into(),
                currency: "USD".into(),
                sync_hour: 1,
                now: "x".into()
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.tenant_by_slug("acme").await.unwrap(), t);
    assert_eq!(store.tenants().await.unwrap().len(), 2);

    store
        .add_user(t.id, "a@acme.test", "hash", Role::Admin, "now")
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_user(t.id, "a@acme.test", "h", Role::Viewer, "now")
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.user_by_email(t.id, "a@acme.test").await.unwrap().role,
        Role::Admin
    );
    assert!(
        store.user_by_email(other.id, "a@acme.test").await.is_err(),
        "users belong to one tenant"
    );

    let tok = store
        .create_api_token(t.id, "ci", Role::Billing, "tokhash", "now")
        .await
        .unwrap();
    assert_eq!(
        store
            .find_api_token(t.id, "tokhash")
            .await
            .unwrap()
            .unwrap()
            .id,
        tok.id
    );
    assert!(
        store
            .find_api_token(other.id, "tokhash")
            .await
            .unwrap()
            .is_none()
    );
    store.revoke_api_token(t.id, tok.id, "later").await.unwrap();
    assert!(
        store
            .find_api_token(t.id, "tokhash")
            .await
            .unwrap()
            .is_none()
    );

    store
        .connect_module(t.id, "datto-rmm", "Datto RMM", false, "d1")
        .await
        .unwrap();
    let again = store
        .connect_module(t.id, "datto-rmm", "Datto RMM", false, "d2")
        .await
        .unwrap();
    assert_eq!(
        again.connected_at, "d1",
        "reconnecting keeps the first date"
    );
    let key = store
        .create_module_key(t.id, "datto-rmm", "keyhash", "now")
        .await
        .unwrap();
    assert_eq!(
        store
            .find_module_key(t.id, "keyhash")
            .await
            .unwrap()
            .unwrap()
            .id,
        key.id
    );
    assert!(
        store
            .find_module_key(other.id, "keyhash")
            .await
            .unwrap()
            .is_none()
    );

    // A first complete snapshot.
    let day = date(2026, 11, 3);
    let orgs = [org("s1", "Acme HQ"), org("s2", "Beta LLC")];
    let values = [
        v("s1", "desktop", 41),
        v("s1", "server", 3),
        v("s2", "desktop", 7),
    ];
    let put = |complete: bool, values: &'static [UsageValue]| PutSnapshot {
        tenant_id: t.id,
        module_code: "datto-rmm",
        date: day,
        complete,
        orgs: &[],
        values,
        new_billing_types: &[],
        actor: "module-key:1",
        now: "t",
        body_hash: None,
    };
    let first = store
        .put_snapshot(&PutSnapshot {
            orgs: &orgs,
            values: &values,
            ..put(true, &[])
        })
        .await
        .unwrap();
    assert!(first.changed);
    assert_eq!(first.new_orgs, 2);
    assert_eq!(first.version, 1);
    let stored = store
        .snapshot(t.id, "datto-rmm", day)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.complete);
    assert_eq!(stored.values.len(), 3);
    assert!(
        store
            .snapshot(other.id, "datto-rmm", day)
            .await
            .unwrap()
            .is_none(),
        "another tenant sees nothing"
    );

    // The same again: nothing changes.
    let same = store
        .put_snapshot(&PutSnapshot {
            orgs: &orgs,
            values: &values,
            ..put(true, &[])
        })
        .await
        .unwrap();
    assert!(!same.changed);
    assert_eq!(
        store
            .snapshot(t.id, "datto-rmm", day)
            .await
            .unwrap()
            .unwrap(),
        stored
    );
    assert!(
        store
            .usage_revisions(t.id, "datto-rmm", day)
            .await
            .unwrap()
            .is_empty()
    );

    // One value changes: one revision.
    let changed = [
        v("s1", "desktop", 42),
        v("s1", "server", 3),
        v("s2", "desktop", 7),
    ];
    let out = store
        .put_snapshot(&PutSnapshot {
            orgs: &orgs,
            values: &changed,
            ..put(true, &[])
        })
        .await
        .unwrap();
    assert!(out.changed);
    assert_eq!(out.revisions, 1);
    let revs = store.usage_revisions(t.id, "datto-rmm", day).await.unwrap();
    assert_eq!((revs[0].old_quantity, revs[0].new_quantity), (41, 42));

    // A partial snapshot merges into the complete day.
    let partial = [v("s2", "server", 1)];
    let out = store
        .put_snapshot(&PutSnapshot {
            orgs: &orgs[1..],
            values: &partial,
            ..put(false, &[])
        })
        .await
        .unwrap();
    assert!(out.changed);
    let stored = store
        .snapshot(t.id, "datto-rmm", day)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.complete, "merged into the complete day");
    assert_eq!(stored.values.len(), 4);

    // Orgs: discovered once, a late older snapshot does not rename.
    let orgs_now = store.module_orgs(t.id, Some("datto-rmm")).await.unwrap();
    assert_eq!(orgs_now.len(), 2);
    let older = PutSnapshot {
        date: date(2026, 11, 1),
        orgs: &[org("s1", "Old name")],
        values: &[],
        ..put(true, &[])
    };
    store.put_snapshot(&older).await.unwrap();
    let s1 = store
        .module_orgs(t.id, None)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.org_id == "s1")
        .unwrap();
    assert_eq!(s1.name, "Acme HQ");
    assert_eq!(s1.first_seen_date, "2026-11-01");
    assert_eq!(s1.last_seen_date, "2026-11-03");
}

#[tokio::test]
async fn storage_story_on_every_backend() {
    for (backend, url) in fresh_databases().await {
        let store = unitbill_store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert_eq!(store.backend(), backend);
        story(store.as_ref()).await;
    }
}

#[tokio::test]
async fn a_large_snapshot_is_stored_in_one_transaction() {
    for (backend, url) in fresh_databases().await {
        let store = unitbill_store::connect(&url).await.unwrap();
        let t = store
            .create_tenant(&NewTenant {
                slug: "big".into(),
                name: "Big".into(),
                time_zone: "UTC".into(),
                currency: "USD".into(),
                sync_hour: 1,
                now: "x".into(),
            })
            .await
            .unwrap();
        let orgs: Vec<_> = (0..20_000)
            .map(|i| org(&format!("o{i}"), &format!("Org {i}")))
            .collect();
        let values: Vec<_> = (0..100_000)
            .map(|i| {
                v(
                    &format!("o{}", i / 5),
                    ["desktop", "laptop", "server", "printer", "unknown"][i % 5],
                    i as i64 % 50,
                )
            })
            .collect();
        let out = store
            .put_snapshot(&PutSnapshot {
                tenant_id: t.id,
                module_code: "datto-rmm",
                date: date(2026, 11, 2),
                complete: true,
                orgs: &orgs,
                values: &values,
                new_billing_types: &[],
                actor: "k",
                now: "n",
                body_hash: None,
            })
            .await
            .unwrap();
        assert_eq!(out.values_written, 100_000, "{backend}");
        assert_eq!(
            store
                .snapshot(t.id, "datto-rmm", date(2026, 11, 2))
                .await
                .unwrap()
                .unwrap()
                .values
                .len(),
            100_000
        );
    }
}

/// The sync lease and the recompute mark: a dead holder's lease expires, a live one is
/// renewed, and a mark made while a batch ran survives the batch's write.
#[tokio::test]
async fn the_sync_lease_expires_and_a_mark_survives_a_concurrent_batch() {
    use unitbill_store::SyncBatch;
    for (backend, url) in fresh_databases().await {
        let store = unitbill_store::connect(&url).await.unwrap();
        let t = store
            .create_tenant(&NewTenant {
                slug: "acme".into(),
                name: "Acme MSP".into(),
                time_zone: "UTC".into(),
                currency: "USD".into(),
                sync_hour: 1,
                now: "2026-11-01T00:00:00Z".into(),
            })
            .await
            .unwrap()
            .id;
        let at = |s: &str| format!("2026-11-01T00:{s}Z");
        assert!(
            store
                .acquire_sync_lease(t, "dead", &at("00:00"), &at("01:00"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .acquire_sync_lease(t, "next", &at("00:30"), &at("01:30"))
                .await
                .unwrap(),
            "{backend}: a live lease is not taken"
        );
        assert!(
            store
                .acquire_sync_lease(t, "next", &at("01:01"), &at("02:01"))
                .await
                .unwrap(),
            "{backend}: an expired lease is taken"
        );
        assert!(
            !store
                .renew_sync_lease(t, "dead", &at("03:00"))
                .await
                .unwrap(),
            "{backend}"
        );
        assert!(
            store
                .renew_sync_lease(t, "next", &at("03:00"))
                .await
                .unwrap(),
            "{backend}"
        );
        store.release_sync_lease(t, "next").await.unwrap();
        assert!(
            store
                .acquire_sync_lease(t, "third", &at("01:10"), &at("02:10"))
                .await
                .unwrap()
        );

        store.mark_resync_from(t, date(2026, 10, 1)).await.unwrap();
        let seen = store.sync_state(t).await.unwrap();
        assert_eq!(seen.resync_from, Some(date(2026, 10, 1)));
        // A change to October 3rd commits while the batch of October 1-7 is computed.
        store.mark_resync_from(t, date(2026, 10, 3)).await.unwrap();
        let batch = SyncBatch {
            from: date(2026, 10, 1),
            through: date(2026, 10, 7),
            seen_mark_seq: seen.mark_seq,
        };
        store.write_synced_days(t, &[], batch).await.unwrap();
        let after = store.sync_state(t).await.unwrap();
        assert_eq!(after.synced_through, Some(date(2026, 10, 7)), "{backend}");
        assert_eq!(
            after.resync_from,
            Some(date(2026, 10, 1)),
            "{backend}: the mark made meanwhile stays"
        );
        let batch = SyncBatch {
            seen_mark_seq: after.mark_seq,
            ..batch
        };
        store.write_synced_days(t, &[], batch).await.unwrap();
        assert_eq!(
            store.sync_state(t).await.unwrap().resync_from,
            None,
            "{backend}"
        );
    }
}

/// The database itself keeps tenants apart: a contract (or a company's bill-to parent) naming
/// another tenant's company is refused on both backends, whatever the engine checked.
#[tokio::test]
async fn rows_cannot_name_another_tenants_company() {
    use unitbill_domain::rules::Timing;
    use unitbill_domain::setup::CompanyStatus;
    use unitbill_store::{CompanyRecord, ContractRecord};
    for (backend, url) in fresh_databases().await {
        let store = unitbill_store::connect(&url).await.unwrap();
        let mut tenants = Vec::new();
        for slug in ["one", "two"] {
            let t = store
                .create_tenant(&NewTenant {
                    slug: slug.into(),
                    name: slug.into(),
                    time_zone: "UTC".into(),
                    currency: "USD".into(),
                    sync_hour: 1,
                    now: "2026-11-01T00:00:00Z".into(),
                })
                .await
                .unwrap();
            tenants.push(t.id);
        }
        let company = |name: &str, bill_to_id| CompanyRecord {
            id: 0,
            name: name.into(),
            status: CompanyStatus::Active,
            currency: "USD".into(),
            tax_rates: Vec::new(),
            payment_terms_days: 30,
            bill_to_id,
            external_ref: None,
        };
        let theirs = store
            .save_company(tenants[0], &company("Acme", None), "x")
            .await
            .unwrap();
        let contract = ContractRecord {
            id: 0,
            company_id: theirs.id,
            name: "Managed services".into(),
            start_date: date(2026, 1, 1),
            end_date: None,
            timing: Timing::Arrears,
            currency: "USD".into(),
            purchase_order: None,
        };
        assert!(
            store
                .save_contract(tenants[1], &contract, "x")
                .await
                .is_err(),
            "{backend}: a contract of tenant two for tenant one's company"
        );
        assert!(
            store
                .save_company(tenants[1], &company("Child", Some(theirs.id)), "x")
                .await
                .is_err(),
            "{backend}: a bill-to parent of another tenant"
        );
        assert!(
            store
                .save_contract(tenants[0], &contract, "x")
                .await
                .is_ok(),
            "{backend}"
        );
    }
}
