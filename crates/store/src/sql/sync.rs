//! The sync's reads and writes.

use jiff::civil::Date;

use crate::sql::{date_text, sql_backend, values_placeholders};
use crate::{
    ActivityRecord, DatedUsage, SnapshotDay, StoreError, StoreResult, SyncBatch, SyncState,
    SyncStore, SyncedDay, UnitRow, UnitSourceRow, UsageChange,
};

fn day(s: &str) -> StoreResult<Date> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("date {s:?}")))
}

sql_backend! {
    impl SyncStore {
        async fn sync_state(&self, tenant_id: i64) -> StoreResult<SyncState> {
            let row: Option<(Option<String>, Option<String>, i64)> = sqlx::query_as(
                "SELECT synced_through, resync_from, mark_seq FROM sync_state WHERE tenant_id = $1",
            )
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
            let Some((through, from, mark_seq)) = row else { return Ok(SyncState::default()) };
            Ok(SyncState {
                synced_through: through.as_deref().map(day).transpose()?,
                resync_from: from.as_deref().map(day).transpose()?,
                mark_seq,
            })
        }

        async fn mark_resync_from(&self, tenant_id: i64, from: Date) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            Self::mark_dirty(&mut tx, tenant_id, from).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn acquire_sync_lease(&self, tenant_id: i64, holder: &str, now: &str, expires_at: &str) -> StoreResult<bool> {
            let got: Option<(String,)> = sqlx::query_as(
                "INSERT INTO sync_leases (tenant_id, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE sync_leases.expires_at < $4 OR sync_leases.holder = excluded.holder RETURNING holder",
            )
            .bind(tenant_id)
            .bind(holder)
            .bind(expires_at)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            Ok(got.is_some())
        }

        async fn release_sync_lease(&self, tenant_id: i64, holder: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM sync_leases WHERE tenant_id = $1 AND holder = $2").bind(tenant_id).bind(holder).execute(&self.pool).await?;
            Ok(())
        }

        async fn renew_sync_lease(&self, tenant_id: i64, holder: &str, expires_at: &str) -> StoreResult<bool> {
            let kept: Option<(String,)> =
                sqlx::query_as("UPDATE sync_leases SET expires_at = $3 WHERE tenant_id = $1 AND holder = $2 RETURNING holder")
                    .bind(tenant_id)
                    .bind(holder)
                    .bind(expires_at)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(kept.is_some())
        }

        async fn first_usage_day(&self, tenant_id: i64) -> StoreResult<Option<Date>> {
            let (d,): (Option<String>,) =
                sqlx::query_as("SELECT MIN(usage_date) FROM snapshots WHERE tenant_id = $1").bind(tenant_id).fetch_one(&self.pool).await?;
            d.as_deref().map(day).transpose()
        }

        async fn snapshot_days(&self, tenant_id: i64, from: Date, to: Date) -> StoreResult<Vec<SnapshotDay>> {
            let rows: Vec<(String, String, bool)> = sqlx::query_as(
                "SELECT module_code, usage_date, complete FROM snapshots WHERE tenant_id = $1 AND usage_date >= $2 AND usage_date <= $3 \
                 ORDER BY usage_date, module_code",
            )
            .bind(tenant_id)
            .bind(date_text(from))
            .bind(date_text(to))
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(|(m, d, complete)| Ok(SnapshotDay { module_code: m, day: day(&d)?, complete })).collect()
        }

        async fn last_complete_days(&self, tenant_id: i64, before: Date) -> StoreResult<Vec<(String, Date)>> {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT module_code, MAX(usage_date) FROM snapshots WHERE tenant_id = $1 AND complete AND usage_date < $2 GROUP BY module_code",
            )
            .bind(tenant_id)
            .bind(date_text(before))
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(|(m, d)| Ok((m, day(&d)?))).collect()
        }

        async fn usage_content_at(&self, tenant_id: i64, day: Date) -> StoreResult<Vec<DatedUsage>> {
            self.read_usage_content_at(tenant_id, day).await
        }

        async fn usage_changes(&self, tenant_id: i64, from: Date, to: Date) -> StoreResult<Vec<UsageChange>> {
            self.read_usage_changes(tenant_id, from, to).await
        }

        async fn partial_usage(&self, tenant_id: i64, from: Date, to: Date) -> StoreResult<Vec<DatedUsage>> {
            self.read_partial_usage(tenant_id, from, to).await
        }

        async fn write_synced_days(&self, tenant_id: i64, days: &[SyncedDay], batch: SyncBatch) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            for synced in days {
                let Some(d) = synced.day else { continue };
                let d = date_text(d);
                for table in ["unit_history", "unit_sources"] {
                    sqlx::query::<DB>(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE tenant_id = $1 AND day = $2")))
                        .bind(tenant_id)
                        .bind(d.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM activity_log WHERE tenant_id = $1 AND day = $2").bind(tenant_id).bind(d.as_str()).execute(&mut *tx).await?;
                for chunk in synced.units.chunks(DB::BATCH_ROWS) {
                    let sql = format!("INSERT INTO unit_history (tenant_id, contract_service_id, day, units, stale) VALUES {}", values_placeholders(chunk.len(), 5));
                    let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql));
                    for u in chunk {
                        q = q.bind(tenant_id).bind(u.contract_service_id).bind(d.as_str()).bind(u.units.normalize().to_string()).bind(u.stale);
                    }
                    q.execute(&mut *tx).await?;
                }
                for chunk in synced.sources.chunks(DB::BATCH_ROWS) {
                    let sql = format!(
                        "INSERT INTO unit_sources (tenant_id, contract_service_id, day, module_code, org_id, billing_type, quantity) VALUES {}",
                        values_placeholders(chunk.len(), 7)
                    );
                    let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql));
                    for s in chunk {
                        q = q
                            .bind(tenant_id)
                            .bind(s.contract_service_id)
                            .bind(d.as_str())
                            .bind(s.module_code.as_str())
                            .bind(s.org_id.as_str())
                            .bind(s.billing_type.as_str())
                            .bind(s.quantity);
                    }
                    q.execute(&mut *tx).await?;
                }
                for (n, chunk) in synced.activity.chunks(DB::BATCH_ROWS).enumerate() {
                    let sql = format!(
                        "INSERT INTO activity_log (tenant_id, day, seq, module_code, billing_type, company_id, contract_service_id, status, reason, units, previous_units, amount_at_stake) VALUES {}",
                        values_placeholders(chunk.len(), 12)
                    );
                    let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql));
                    for (i, a) in chunk.iter().enumerate() {
                        q = q
                            .bind(tenant_id)
                            .bind(d.as_str())
                            .bind((n * DB::BATCH_ROWS + i) as i64)
                            .bind(a.module_code.as_str())
                            .bind(a.billing_type.as_str())
                            .bind(a.company_id)
                            .bind(a.contract_service_id)
                            .bind(a.status.as_str())
                            .bind(a.reason.clone())
                            .bind(a.units)
                            .bind(a.previous_units)
                            .bind(a.amount_at_stake.clone());
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            Self::advance_sync_state(&mut tx, tenant_id, batch).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn unit_history(&self, tenant_id: i64, cs: Option<i64>, from: Date, to: Date) -> StoreResult<Vec<UnitRow>> {
            let rows: Vec<(i64, String, String, bool)> = sqlx::query_as(
                "SELECT contract_service_id, day, units, stale FROM unit_history WHERE tenant_id = $1 AND ($2 IS NULL OR contract_service_id = $2) \
                 AND day >= $3 AND day <= $4 ORDER BY contract_service_id, day",
            )
            .bind(tenant_id)
            .bind(cs)
            .bind(date_text(from))
            .bind(date_text(to))
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|(cs, d, u, stale)| {
                    Ok(UnitRow { contract_service_id: cs, day: day(&d)?, units: u.parse().map_err(|_| StoreError::Corrupt(format!("units {u:?}")))?, stale })
                })
                .collect()
        }

        async fn unit_history_for_services(&self, tenant_id: i64, first_cs: i64, last_cs: i64, from: Date, to: Date) -> StoreResult<Vec<UnitRow>> {
            let rows: Vec<(i64, String, String, bool)> = sqlx::query_as(
                "SELECT contract_service_id, day, units, stale FROM unit_history WHERE tenant_id = $1 AND contract_service_id >= $2 \
                 AND contract_service_id <= $3 AND day >= $4 AND day <= $5 ORDER BY contract_service_id, day",
            )
            .bind(tenant_id)
            .bind(first_cs)
            .bind(last_cs)
            .bind(date_text(from))
            .bind(date_text(to))
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|(cs, d, u, stale)| {
                    Ok(UnitRow { contract_service_id: cs, day: day(&d)?, units: u.parse().map_err(|_| StoreError::Corrupt(format!("units {u:?}")))?, stale })
                })
                .collect()
        }

        async fn unit_sources(&self, tenant_id: i64, cs: i64, from: Date, to: Date) -> StoreResult<Vec<UnitSourceRow>> {
            let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
                "SELECT day, module_code, org_id, billing_type, quantity FROM unit_sources WHERE tenant_id = $1 AND contract_service_id = $2 \
                 AND day >= $3 AND day <= $4 ORDER BY day, module_code, org_id, billing_type",
            )
            .bind(tenant_id)
            .bind(cs)
            .bind(date_text(from))
            .bind(date_text(to))
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|(d, module_code, org_id, billing_type, quantity)| {
                    Ok(UnitSourceRow { contract_service_id: cs, day: day(&d)?, module_code, org_id, billing_type, quantity })
                })
                .collect()
        }

        async fn prune_activity(&self, tenant_id: i64, before: Date) -> StoreResult<()> {
            sqlx::query("DELETE FROM activity_log WHERE tenant_id = $1 AND day < $2").bind(tenant_id).bind(date_text(before)).execute(&self.pool).await?;
            Ok(())
        }

        async fn activity(&self, tenant_id: i64, from: Date, to: Date, failed_only: bool) -> StoreResult<Vec<ActivityRecord>> {
            type Row = (String, String, String, Option<i64>, Option<i64>, String, Option<String>, i64, i64, Option<String>);
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT day, module_code, billing_type, company_id, contract_service_id, status, reason, units, previous_units, amount_at_stake \
                 FROM activity_log WHERE tenant_id = $1 AND day >= $2 AND day <= $3 AND ($4 = FALSE OR status = 'failed') ORDER BY day, seq",
            )
            .bind(tenant_id)
            .bind(date_text(from))
            .bind(date_text(to))
            .bind(failed_only)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(ActivityRecord {
                        day: day(&r.0)?,
                        module_code: r.1,
                        billing_type: r.2,
                        company_id: r.3,
                        contract_service_id: r.4,
                        status: r.5,
                        reason: r.6,
                        units: r.7,
                        previous_units: r.8,
                        amount_at_stake: r.9,
                    })
                })
                .collect()
        }
    }
}

sql_backend! {
    impl {
    /// Records, inside the caller's transaction, that the days from `from` on must be
    /// recomputed: the mark only ever moves earlier, and `mark_seq` tells a running sync that
    /// its inputs changed under it.
    pub(crate) async fn mark_dirty(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        from: Date,
    ) -> StoreResult<()> {
        sqlx::query::<DB>(
            "INSERT INTO sync_state (tenant_id, synced_through, resync_from, mark_seq)
             VALUES ($1, NULL, $2, 1)
             ON CONFLICT (tenant_id) DO UPDATE SET
                 resync_from = CASE
                     WHEN sync_state.resync_from IS NULL OR excluded.resync_from < sync_state.resync_from
                         THEN excluded.resync_from
                     ELSE sync_state.resync_from
                 END,
                 mark_seq = sync_state.mark_seq + 1",
        )
        .bind(tenant_id)
        .bind(date_text(from))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// After a batch of days is written: `synced_through` only grows; the recompute mark moves
    /// past the batch only when the batch started at or before it and no change was marked
    /// since the sync read its inputs (a mark that arrived meanwhile stays for the next pass).
    async fn advance_sync_state(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        batch: SyncBatch,
    ) -> StoreResult<()> {
        let sql = format!(
            "SELECT synced_through, resync_from, mark_seq FROM sync_state WHERE tenant_id = $1{}",
            DB::FOR_UPDATE
        );
        let row: Option<(Option<String>, Option<String>, i64)> =
            sqlx::query_as::<DB, _>(sqlx::AssertSqlSafe(sql))
                .bind(tenant_id)
                .fetch_optional(&mut **tx)
                .await?;
        let (through, resync, seq) = match row {
            Some((t, r, seq)) => (t.as_deref().map(day).transpose()?, r.as_deref().map(day).transpose()?, seq),
            None => (None, None, 0),
        };
        let state = SyncState { synced_through: through, resync_from: resync, mark_seq: seq }.after_batch(&batch);
        sqlx::query::<DB>(
            "INSERT INTO sync_state (tenant_id, synced_through, resync_from, mark_seq)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id) DO UPDATE SET
                 synced_through = excluded.synced_through,
                 resync_from = excluded.resync_from",
        )
        .bind(tenant_id)
        .bind(state.synced_through.map(date_text))
        .bind(state.resync_from.map(date_text))
        .bind(seq)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
    }
}
