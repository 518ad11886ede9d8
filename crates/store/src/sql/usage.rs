//! Connected modules, module keys, module organizations and daily usage.

use jiff::civil::Date;
use unitbill_domain::catalog::{BillingType, BillingTypeCode, UnitOfMeasure};
use unitbill_domain::usage::{UsageValue, plan_snapshot};

use crate::sql::{conflict, date_text, sql_backend, values_placeholders};
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

            let count_orgs = "SELECT COUNT(*) FROM module_orgs WHERE tenant_id = $1 AND module_code = $2";
            let (orgs_before,): (i64,) = sqlx::query_as(count_orgs).bind(t).bind(m).fetch_one(&mut *tx).await?;
            for chunk in put.orgs.chunks(DB::BATCH_ROWS) {
                // A late snapshot for an older day must not overwrite the name a newer day gave.
                let sql = format!(
                    "INSERT INTO module_orgs (tenant_id, module_code, org_id, name, parent_id, first_seen_date, last_seen_date, first_seen_at) \
                     VALUES {} ON CONFLICT (tenant_id, module_code, org_id) DO UPDATE SET \
                     name = CASE WHEN excluded.last_seen_date >= module_orgs.last_seen_date THEN excluded.name ELSE module_orgs.name END, \
                     parent_id = CASE WHEN excluded.last_seen_date >= module_orgs.last_seen_date THEN excluded.parent_id ELSE module_orgs.parent_id END, \
                     last_seen_date = CASE WHEN excluded.last_seen_date > module_orgs.last_seen_date THEN excluded.last_seen_date ELSE module_orgs.last_seen_date END, \
                     first_seen_date = CASE WHEN excluded.first_seen_date < module_orgs.first_seen_date THEN excluded.first_seen_date ELSE module_orgs.first_seen_date END",
                    values_placeholders(chunk.len(), 8)
                );
                let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql));
                for org in chunk {
                    q = q
                        .bind(t)
                        .bind(m)
                        .bind(org.id.as_str())
                        .bind(org.name.as_str())
                        .bind(org.parent_id.clone())
                        .bind(day.as_str())
                        .bind(day.as_str())
                        .bind(put.now);
                }
                q.execute(&mut *tx).await?;
            }
            let (orgs_after,): (i64,) = sqlx::query_as(count_orgs).bind(t).bind(m).fetch_one(&mut *tx).await?;

            let header: Option<(bool, i64)> = sqlx::query_as(
                "SELECT complete, version FROM snapshots WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3",
            )
            .bind(t)
            .bind(m)
            .bind(day.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let old = match header {
                Some(_) => Self::read_day_values(&mut tx, t, m, &day).await?,
                None => Vec::new(),
            };
            let plan = plan_snapshot(header.map(|(c, _)| (c, old.as_slice())), put.complete, put.values);
            let mut version = header.map_or(0, |(_, v)| v);
            if !plan.unchanged {
                if plan.replace_day {
                    sqlx::query("DELETE FROM usage_values WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3")
                        .bind(t)
                        .bind(m)
                        .bind(day.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                for chunk in plan.writes.chunks(DB::BATCH_ROWS) {
                    let sql = format!(
                        "INSERT INTO usage_values (tenant_id, module_code, usage_date, org_id, billing_type, quantity) VALUES {} \
                         ON CONFLICT (tenant_id, module_code, usage_date, org_id, billing_type) DO UPDATE SET quantity = excluded.quantity",
                        values_placeholders(chunk.len(), 6)
                    );
                    let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql));
                    for v in chunk {
                        q = q.bind(t).bind(m).bind(day.as_str()).bind(v.org_id.as_str()).bind(v.billing_type.as_str()).bind(v.quantity);
                    }
                    q.execute(&mut *tx).await?;
                }
                for chunk in plan.revisions.chunks(DB::BATCH_ROWS) {
                    let sql = format!(
                        "INSERT INTO usage_revisions (tenant_id, module_code, usage_date, org_id, billing_type, old_quantity, new_quantity, changed_by, changed_at) VALUES {}",
                        values_placeholders(chunk.len(), 9)
                    );
                    let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql));
                    for r in chunk {
                        q = q
                            .bind(t)
                            .bind(m)
                            .bind(day.as_str())
                            .bind(r.org_id.as_str())
                            .bind(r.billing_type.as_str())
                            .bind(r.old_quantity)
                            .bind(r.new_quantity)
                            .bind(put.actor)
                            .bind(put.now);
                    }
                    q.execute(&mut *tx).await?;
                }
                version += 1;
                sqlx::query(
                    "INSERT INTO snapshots (tenant_id, module_code, usage_date, complete, version, received_at, received_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, module_code, usage_date) DO UPDATE SET \
                     complete = excluded.complete, version = excluded.version, received_at = excluded.received_at, received_by = excluded.received_by",
                )
                .bind(t)
                .bind(m)
                .bind(day.as_str())
                .bind(plan.complete_after)
                .bind(version)
                .bind(put.now)
                .bind(put.actor)
                .execute(&mut *tx)
                .await?;
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
                new_orgs: usize::try_from(orgs_after - orgs_before).unwrap_or(0),
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
            let values = Self::read_day_values(&mut tx, tenant_id, module_code, &day).await?;
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
    async fn read_day_values(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        module_code: &str,
        day: &str,
    ) -> StoreResult<Vec<UsageValue>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT org_id, billing_type, quantity FROM usage_values WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3 \
             ORDER BY org_id, billing_type",
        )
        .bind(tenant_id)
        .bind(module_code)
        .bind(day)
        .fetch_all(&mut **tx)
        .await?;
        rows.into_iter()
            .map(|(org_id, bt, quantity)| {
                Ok(UsageValue {
                    org_id,
                    billing_type: code(bt)?,
                    quantity,
                })
            })
            .collect()
    }
    }
}
