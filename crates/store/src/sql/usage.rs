//! Connected modules, module keys, module organizations and daily usage.

use jiff::civil::Date;
use unitbill_domain::catalog::{BillingType, BillingTypeCode, UnitOfMeasure};
use unitbill_domain::usage::{Revision, UsageValue, plan_snapshot};

use crate::sql::{JsonRows, conflict, date_text, sql_backend};
use crate::{
    ConnectedModule, ModuleKey, ModuleOrg, PutSnapshot, SnapshotOutcome, StoreError, StoreResult,
    StoredSnapshot, UsageRevision, UsageStore,
};

type KeyRow = (i64, i64, String, String, Option<String>);

fn key(r: KeyRow) -> ModuleKey {
    ModuleKey {
        id: r.0,
        tenant_id: r.1,
        module_code: r.2,
        created_at: r.3,
        revoked_at: r.4,
    }
}

fn code(s: String) -> StoreResult<BillingTypeCode> {
    BillingTypeCode::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

sql_backend! {
    impl UsageStore {
        async fn connect_module(&self, tenant_id: i64, module_code: &str, name: &str, custom: bool, now: &str) -> StoreResult<ConnectedModule> {
            sqlx::query(
                "INSERT INTO tenant_modules (tenant_id, module_code, name, custom, connected_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id, module_code) DO NOTHING",
            )
            .bind(tenant_id)
            .bind(module_code)
            .bind(name)
            .bind(custom)
            .bind(now)
            .execute(&self.pool)
            .await?;
            let (name, custom, connected_at): (String, bool, String) = sqlx::query_as(
                "SELECT name, custom, connected_at FROM tenant_modules WHERE tenant_id = $1 AND module_code = $2",
            )
            .bind(tenant_id)
            .bind(module_code)
            .fetch_one(&self.pool)
            .await?;
            Ok(ConnectedModule { module_code: module_code.to_owned(), name, custom, connected_at })
        }

        async fn connected_modules(&self, tenant_id: i64) -> StoreResult<Vec<ConnectedModule>> {
            let rows: Vec<(String, String, bool, String)> = sqlx::query_as(
                "SELECT module_code, name, custom, connected_at FROM tenant_modules WHERE tenant_id = $1 ORDER BY module_code",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(module_code, name, custom, connected_at)| ConnectedModule { module_code, name, custom, connected_at })
                .collect())
        }

        async fn custom_billing_types(&self, tenant_id: i64, module_code: &str) -> StoreResult<Vec<BillingType>> {
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT code, name, unit FROM custom_billing_types WHERE tenant_id = $1 AND module_code = $2 ORDER BY code",
            )
            .bind(tenant_id)
            .bind(module_code)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|(c, name, unit)| {
                    let unit = UnitOfMeasure::parse(&unit).ok_or_else(|| StoreError::Corrupt(format!("unit {unit:?}")))?;
                    Ok(BillingType { code: code(c)?, name, unit })
                })
                .collect()
        }

        async fn create_module_key(&self, tenant_id: i64, module_code: &str, key_hash: &str, now: &str) -> StoreResult<ModuleKey> {
            let row: KeyRow = sqlx::query_as(
                "INSERT INTO module_keys (tenant_id, module_code, key_hash, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id, tenant_id, module_code, created_at, revoked_at",
            )
            .bind(tenant_id)
            .bind(module_code)
            .bind(key_hash)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(conflict("module key"))?;
            Ok(key(row))
        }

        async fn module_keys(&self, tenant_id: i64) -> StoreResult<Vec<ModuleKey>> {
            let rows: Vec<KeyRow> = sqlx::query_as(
                "SELECT id, tenant_id, module_code, created_at, revoked_at FROM module_keys WHERE tenant_id = $1 ORDER BY id",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(key).collect())
        }

        async fn find_module_key(&self, tenant_id: i64, key_hash: &str) -> StoreResult<Option<ModuleKey>> {
            let row: Option<KeyRow> = sqlx::query_as(
                "SELECT id, tenant_id, module_code, created_at, revoked_at FROM module_keys \
                 WHERE tenant_id = $1 AND key_hash = $2 AND revoked_at IS NULL",
            )
            .bind(tenant_id)
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(key))
        }

        async fn revoke_module_key(&self, tenant_id: i64, id: i64, now: &str) -> StoreResult<()> {
            let done: Option<(i64,)> = sqlx::query_as(
                "UPDATE module_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            done.map(|_| ()).ok_or_else(|| StoreError::NotFound(format!("module key {id}")))
        }

        async fn put_snapshot(&self, put: &PutSnapshot<'_>) -> StoreResult<SnapshotOutcome> {
            let t = put.tenant_id;
            let m = put.module_code;
            let day = date_text(put.date);
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            // One writer per (module, day): concurrent snapshots queue, so the last one wins
            // whole and each reads the values the previous one left (revision chain intact).
            if let Some(lock) = DB::LOCK_KEY {
                sqlx::query(lock).bind(format!("snapshot:{t}:{m}:{day}")).execute(&mut *tx).await?;
            }
            let header = Self::day_header(&mut tx, t, m, &day).await?;
            // The same complete snapshot sent again: recognised by its digest, nothing is read
            // back or written.
            if let (Some(h), Some(hash)) = (&header, put.body_hash)
                && h.body_hash.as_deref() == Some(hash)
            {
                tx.commit().await?;
                return Ok(SnapshotOutcome { changed: false, version: h.version, values_written: 0, revisions: 0, new_orgs: 0 });
            }

            for bt in put.new_billing_types {
                sqlx::query(
                    "INSERT INTO custom_billing_types (tenant_id, module_code, code, name, unit) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (tenant_id, module_code, code) DO NOTHING",
                )
                .bind(t)
                .bind(m)
                .bind(bt.code.as_str())
                .bind(&bt.name)
                .bind(bt.unit.as_str())
                .execute(&mut *tx)
                .await?;
            }
            let new_orgs = Self::upsert_orgs(&mut tx, t, m, &day, put.orgs, put.now).await?;

            let was_complete = header.as_ref().is_some_and(|h| h.complete);
            // The content in force on the day (a complete day's own, or the complete day's
            // before it), needed whenever the day is complete afterwards.
            let covering = if was_complete || put.complete {
                Self::covering_runs(&mut tx, t, m, &day).await?
            } else {
                Vec::new()
            };
            let old: Vec<UsageValue> = match &header {
                Some(h) if h.complete => covering
                    .iter()
                    .map(|r| UsageValue { org_id: r.org_id.clone(), billing_type: r.billing_type.clone(), quantity: r.quantity })
                    .collect(),
                Some(_) => Self::partial_values(&mut tx, t, m, &day).await?,
                None => Vec::new(),
            };
            let plan = plan_snapshot(header.as_ref().map(|h| (h.complete, old.as_slice())), put.complete, put.values);
            let mut version = header.as_ref().map_or(0, |h| h.version);
            if !plan.unchanged {
                if plan.complete_after {
                    // A complete snapshot is the day's content as sent; a partial one is merged in.
                    let merged_content;
                    let content = if put.complete {
                        put.values
                    } else {
                        merged_content = merged(&old, &plan.writes);
                        &merged_content
                    };
                    Self::store_complete_day(&mut tx, t, m, put.date, &covering, content).await?;
                } else {
                    Self::store_partial_values(&mut tx, t, m, &day, &plan.writes).await?;
                }
                Self::insert_revisions(&mut tx, put, &day, &plan.revisions).await?;
                version += 1;
            }
            // The digest names the day's content only while the last write replaced it whole.
            let body_hash = if put.complete { put.body_hash } else if plan.unchanged { header.as_ref().and_then(|h| h.body_hash.as_deref()) } else { None };
            let hash_changed = header.as_ref().is_some_and(|h| h.body_hash.as_deref() != body_hash);
            if plan.unchanged && hash_changed {
                // Same content in another order or with other org names: only the digest moves.
                sqlx::query("UPDATE snapshots SET body_hash = $4 WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3")
                    .bind(t)
                    .bind(m)
                    .bind(day.as_str())
                    .bind(body_hash)
                    .execute(&mut *tx)
                    .await?;
            }
            if !plan.unchanged {
                sqlx::query(
                    "INSERT INTO snapshots (tenant_id, module_code, usage_date, complete, version, received_at, received_by, body_hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, module_code, usage_date) DO UPDATE SET \
                     complete = excluded.complete, version = excluded.version, received_at = excluded.received_at, \
                     received_by = excluded.received_by, body_hash = excluded.body_hash",
                )
                .bind(t)
                .bind(m)
                .bind(day.as_str())
                .bind(plan.complete_after)
                .bind(version)
                .bind(put.now)
                .bind(put.actor)
                .bind(body_hash)
                .execute(&mut *tx)
                .await?;
            }
            if !plan.unchanged {
                // The recompute mark commits with the values: a crash cannot keep one without
                // the other.
                Self::mark_dirty(&mut tx, t, put.date).await?;
            }
            tx.commit().await?;
            Ok(SnapshotOutcome {
                changed: !plan.unchanged,
                version,
                values_written: plan.writes.len(),
                revisions: plan.revisions.len(),
                new_orgs,
            })
        }

        async fn snapshot(&self, tenant_id: i64, module_code: &str, date: Date) -> StoreResult<Option<StoredSnapshot>> {
            let day = date_text(date);
            let mut tx = self.pool.begin().await?;
            let header: Option<(bool, i64, String, String)> = sqlx::query_as(
                "SELECT complete, version, received_at, received_by FROM snapshots WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3",
            )
            .bind(tenant_id)
            .bind(module_code)
            .bind(day.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((complete, version, received_at, received_by)) = header else {
                return Ok(None);
            };
            let mut values: Vec<UsageValue> = if complete {
                Self::covering_runs(&mut tx, tenant_id, module_code, &day)
                    .await?
                    .into_iter()
                    .map(|r| UsageValue { org_id: r.org_id, billing_type: r.billing_type, quantity: r.quantity })
                    .collect()
            } else {
                Self::partial_values(&mut tx, tenant_id, module_code, &day).await?
            };
            values.sort_by(|a, b| (a.org_id.as_str(), a.billing_type.as_str()).cmp(&(b.org_id.as_str(), b.billing_type.as_str())));
            tx.commit().await?;
            Ok(Some(StoredSnapshot { complete, version, received_at, received_by, values }))
        }

        async fn module_orgs(&self, tenant_id: i64, module_code: Option<&str>) -> StoreResult<Vec<ModuleOrg>> {
            let rows: Vec<(String, String, String, Option<String>, String, String)> = sqlx::query_as(
                "SELECT module_code, org_id, name, parent_id, first_seen_date, last_seen_date FROM module_orgs \
                 WHERE tenant_id = $1 AND ($2 IS NULL OR module_code = $2) ORDER BY module_code, name, org_id",
            )
            .bind(tenant_id)
            .bind(module_code)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(module_code, org_id, name, parent_id, first_seen_date, last_seen_date)| ModuleOrg {
                    module_code,
                    org_id,
                    name,
                    parent_id,
                    first_seen_date,
                    last_seen_date,
                })
                .collect())
        }

        async fn usage_revisions(&self, tenant_id: i64, module_code: &str, date: Date) -> StoreResult<Vec<UsageRevision>> {
            let rows: Vec<(String, String, i64, i64, String, String)> = sqlx::query_as(
                "SELECT org_id, billing_type, old_quantity, new_quantity, changed_by, changed_at FROM usage_revisions \
                 WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3 ORDER BY id",
            )
            .bind(tenant_id)
            .bind(module_code)
            .bind(date_text(date))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(org_id, billing_type, old_quantity, new_quantity, changed_by, changed_at)| UsageRevision {
                    org_id,
                    billing_type,
                    old_quantity,
                    new_quantity,
                    changed_by,
                    changed_at,
                })
                .collect())
        }
    }
}

sql_backend! {
    impl {
    async fn insert_revisions(
        tx: &mut sqlx::Transaction<'_, DB>,
        put: &PutSnapshot<'_>,
        day: &str,
        revisions: &[Revision],
    ) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO usage_revisions
                 (tenant_id, module_code, usage_date, org_id, billing_type, old_quantity, new_quantity, changed_by, changed_at)
             SELECT $2, $3, $4, value->>0, value->>1, CAST(value->>2 AS BIGINT), CAST(value->>3 AS BIGINT), $5, $6
             FROM {}",
            DB::JSON_ROWS
        );
        let rows = JsonRows::chunks(revisions, |rows, r| rows.push(&(r.org_id.as_str(), r.billing_type.as_str(), r.old_quantity, r.new_quantity)));
        Self::write_chunks(tx, &sql, rows, put.tenant_id, put.module_code, &[day, put.actor, put.now]).await?;
        Ok(())
    }
    }
}

/// A complete day's content with a partial snapshot's listed values merged into it.
fn merged(old: &[UsageValue], writes: &[UsageValue]) -> Vec<UsageValue> {
    let mut content: std::collections::BTreeMap<(&str, &str), &UsageValue> = old
        .iter()
        .map(|v| ((v.org_id.as_str(), v.billing_type.as_str()), v))
        .collect();
    for v in writes {
        content.insert((v.org_id.as_str(), v.billing_type.as_str()), v);
    }
    content.into_values().cloned().collect()
}
