//! The sync's reads and writes.

use jiff::civil::Date;

use rust_decimal::Decimal;

use crate::sql::intervals::{Merge, clipped, days};
use crate::sql::{JsonRows, date_text, sql_backend};
use crate::{
    ActivityRecord, DatedUsage, SnapshotDay, StoreError, StoreResult, SyncBatch, SyncState,
    SyncStore, SyncedDay, UnitInterval, UnitRow, UnitSourceRow, UsageChange,
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
            let written: Vec<(Date, &SyncedDay)> = days.iter().filter_map(|s| s.day.map(|d| (d, s))).collect();
            if let Some(&(first, _)) = written.first() {
                let continues = Self::cut_intervals_at(&mut tx, tenant_id, first).await?;
                Self::write_units(&mut tx, tenant_id, first, continues, &written).await?;
                Self::write_sources(&mut tx, tenant_id, first, continues, &written).await?;
                Self::write_activity(&mut tx, tenant_id, first, continues, &written).await?;
            }
            Self::advance_sync_state(&mut tx, tenant_id, batch).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn unit_history(&self, tenant_id: i64, cs: Option<i64>, from: Date, to: Date) -> StoreResult<Vec<UnitRow>> {
            let rows: Vec<UnitIntervalRow> = sqlx::query_as(
                "SELECT contract_service_id, from_day, until_day, units, stale, (SELECT synced_through FROM sync_state WHERE tenant_id = $1) \
                 FROM unit_history WHERE tenant_id = $1 AND ($2 IS NULL OR contract_service_id = $2) \
                 AND from_day <= $4 AND (until_day IS NULL OR until_day > $3) ORDER BY contract_service_id, from_day",
            )
            .bind(tenant_id)
            .bind(cs)
            .bind(date_text(from))
            .bind(date_text(to))
            .fetch_all(&self.pool)
            .await?;
            unit_rows(rows, from, to)
        }

        async fn unit_history_for_services(&self, tenant_id: i64, first_cs: i64, last_cs: i64, from: Date, to: Date) -> StoreResult<Vec<UnitRow>> {
            let rows = self.unit_interval_rows(tenant_id, first_cs, last_cs, from, to).await?;
            unit_rows(rows, from, to)
        }

        async fn unit_intervals_for_services(&self, tenant_id: i64, first_cs: i64, last_cs: i64, from: Date, to: Date) -> StoreResult<Vec<UnitInterval>> {
            let rows = self.unit_interval_rows(tenant_id, first_cs, last_cs, from, to).await?;
            let mut out = Vec::with_capacity(rows.len());
            for (cs, from_day, until_day, units, stale, synced) in rows {
                if let Some((first, last)) = clipped(day(&from_day)?, until_day.as_deref().map(day).transpose()?, synced.as_deref().map(day).transpose()?, from, to) {
                    out.push(UnitInterval { contract_service_id: cs, first, last, units: parse_units(&units)?, stale });
                }
            }
            Ok(out)
        }

        async fn unit_sources(&self, tenant_id: i64, cs: i64, from: Date, to: Date) -> StoreResult<Vec<UnitSourceRow>> {
            type Row = (String, Option<String>, String, String, String, i64, Option<String>);
            // Ordered by the key in SQL (its collation, as the per-day rows were), then by day in
            // a stable sort: each day lists its rows in that order.
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT from_day, until_day, module_code, org_id, billing_type, quantity, (SELECT synced_through FROM sync_state WHERE tenant_id = $1) \
                 FROM unit_sources WHERE tenant_id = $1 AND contract_service_id = $2 \
                 AND from_day <= $4 AND (until_day IS NULL OR until_day > $3) ORDER BY module_code, org_id, billing_type, from_day",
            )
            .bind(tenant_id)
            .bind(cs)
            .bind(date_text(from))
            .bind(date_text(to))
            .fetch_all(&self.pool)
            .await?;
            let mut out = Vec::new();
            for (from_day, until_day, module_code, org_id, billing_type, quantity, synced) in rows {
                if let Some((first, last)) = clipped(day(&from_day)?, until_day.as_deref().map(day).transpose()?, synced.as_deref().map(day).transpose()?, from, to) {
                    for d in days(first, last) {
                        out.push(UnitSourceRow { contract_service_id: cs, day: d, module_code: module_code.clone(), org_id: org_id.clone(), billing_type: billing_type.clone(), quantity });
                    }
                }
            }
            out.sort_by_key(|r| r.day);
            Ok(out)
        }

        async fn prune_activity(&self, tenant_id: i64, before: Date) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            // Intervals that end before the day go; an open one ends at the synced day.
            sqlx::query(
                "DELETE FROM activity_log WHERE tenant_id = $1 AND (until_day <= $2 OR (until_day IS NULL AND NOT EXISTS \
                 (SELECT 1 FROM sync_state WHERE tenant_id = $1 AND synced_through >= $2)))",
            )
            .bind(tenant_id)
            .bind(date_text(before))
            .execute(&mut *tx)
            .await?;
            // What is left of an earlier start holds on the day: it starts there now (canonical:
            // nothing is stored on the day before).
            sqlx::query("UPDATE activity_log SET from_day = $2 WHERE tenant_id = $1 AND from_day < $2")
                .bind(tenant_id)
                .bind(date_text(before))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn activity(&self, tenant_id: i64, from: Date, to: Date, failed_only: bool) -> StoreResult<Vec<ActivityRecord>> {
            type Row = (i64, String, Option<String>, String, String, Option<i64>, Option<i64>, String, Option<String>, i64, i64, Option<String>, Option<String>);
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT seq, from_day, until_day, module_code, billing_type, company_id, contract_service_id, status, reason, units, previous_units, \
                 amount_at_stake, (SELECT synced_through FROM sync_state WHERE tenant_id = $1) \
                 FROM activity_log WHERE tenant_id = $1 AND from_day <= $3 AND (until_day IS NULL OR until_day > $2) \
                 AND ($4 = FALSE OR status = 'failed')",
            )
            .bind(tenant_id)
            .bind(date_text(from))
            .bind(date_text(to))
            .bind(failed_only)
            .fetch_all(&self.pool)
            .await?;
            let mut out = Vec::new();
            for r in rows {
                let Some((first, last)) = clipped(day(&r.1)?, r.2.as_deref().map(day).transpose()?, r.12.as_deref().map(day).transpose()?, from, to) else {
                    continue;
                };
                for d in days(first, last) {
                    out.push((
                        r.0,
                        ActivityRecord {
                            day: d,
                            module_code: r.3.clone(),
                            billing_type: r.4.clone(),
                            company_id: r.5,
                            contract_service_id: r.6,
                            status: r.7.clone(),
                            reason: r.8.clone(),
                            units: r.9,
                            previous_units: r.10,
                            amount_at_stake: r.11.clone(),
                        },
                    ));
                }
            }
            out.sort_by_key(|(seq, a)| (a.day, *seq));
            Ok(out.into_iter().map(|(_, a)| a).collect())
        }
    }
}

/// A stored interval of U(cs, ·): cs, from_day, until_day, units, stale, and the tenant's
/// synced_through (where an open one ends).
type UnitIntervalRow = (i64, String, Option<String>, String, bool, Option<String>);

fn parse_units(u: &str) -> StoreResult<Decimal> {
    u.parse()
        .map_err(|_| StoreError::Corrupt(format!("units {u:?}")))
}

/// Unit intervals (ordered by contract service, then day) expanded to a row per day in
/// [from, to], in that order.
fn unit_rows(rows: Vec<UnitIntervalRow>, from: Date, to: Date) -> StoreResult<Vec<UnitRow>> {
    let mut out = Vec::new();
    for (cs, from_day, until_day, units, stale, synced) in rows {
        if let Some((first, last)) = clipped(
            day(&from_day)?,
            until_day.as_deref().map(day).transpose()?,
            synced.as_deref().map(day).transpose()?,
            from,
            to,
        ) {
            let units = parse_units(&units)?;
            out.extend(days(first, last).map(|d| UnitRow {
                contract_service_id: cs,
                day: d,
                units,
                stale,
            }));
        }
    }
    Ok(out)
}

/// The date text of the day after `d`.
fn next_day_text(d: Date) -> StoreResult<String> {
    d.tomorrow()
        .map(date_text)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A digest row's columns other than its day and position.
type ActivityValue = (
    String,
    String,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    i64,
    i64,
    Option<String>,
);

fn activity_value(a: &ActivityRecord) -> ActivityValue {
    (
        a.module_code.clone(),
        a.billing_type.clone(),
        a.company_id,
        a.contract_service_id,
        a.status.clone(),
        a.reason.clone(),
        a.units,
        a.previous_units,
        a.amount_at_stake.clone(),
    )
}

/// Stored rows to close, `(key, from_day)` grouped by their new `until_day`: one statement per
/// day and chunk matches rows by key (a row-value `IN`, which both engines answer from the
/// primary key; SQLite's `UPDATE ... FROM` would scan the table instead).
fn by_until<K>(closes: &[(K, Date, Date)]) -> std::collections::BTreeMap<String, Vec<(&K, Date)>> {
    let mut out: std::collections::BTreeMap<String, Vec<(&K, Date)>> =
        std::collections::BTreeMap::new();
    for (k, from, until) in closes {
        out.entry(date_text(*until)).or_default().push((k, *from));
    }
    out
}

fn until_text(u: Option<Date>) -> Option<String> {
    u.map(date_text)
}

sql_backend! {
    impl {
    /// Intervals of U(cs, d) of the contract services in [first_cs, last_cs] that hold on a day
    /// of [from, to], ordered by contract service and day.
    async fn unit_interval_rows(&self, tenant_id: i64, first_cs: i64, last_cs: i64, from: Date, to: Date) -> StoreResult<Vec<UnitIntervalRow>> {
        Ok(sqlx::query_as(
            "SELECT contract_service_id, from_day, until_day, units, stale, (SELECT synced_through FROM sync_state WHERE tenant_id = $1) \
             FROM unit_history WHERE tenant_id = $1 AND contract_service_id >= $2 AND contract_service_id <= $3 \
             AND from_day <= $5 AND (until_day IS NULL OR until_day > $4) ORDER BY contract_service_id, from_day",
        )
        .bind(tenant_id)
        .bind(first_cs)
        .bind(last_cs)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Makes the stored intervals say "rows through the day before `first`", the state a batch
    /// that rewrites every day from `first` on starts from: rows from `first` on go, and rows
    /// that held on the day before open again. True when the open rows then hold on the day
    /// before `first` (it was synced), so the batch continues them; false when there is a gap
    /// (or nothing synced), in which case the open rows are closed after the last synced day.
    async fn cut_intervals_at(tx: &mut sqlx::Transaction<'_, DB>, tenant_id: i64, first: Date) -> StoreResult<bool> {
        let row: Option<(Option<String>,)> = sqlx::query_as::<DB, _>("SELECT synced_through FROM sync_state WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut **tx)
            .await?;
        let synced = row.and_then(|(t,)| t).as_deref().map(day).transpose()?;
        let first_text = date_text(first);
        for table in ["unit_history", "unit_sources", "activity_log"] {
            sqlx::query::<DB>(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE tenant_id = $1 AND from_day >= $2")))
                .bind(tenant_id)
                .bind(first_text.as_str())
                .execute(&mut **tx)
                .await?;
            sqlx::query::<DB>(sqlx::AssertSqlSafe(format!("UPDATE {table} SET until_day = NULL WHERE tenant_id = $1 AND until_day >= $2")))
                .bind(tenant_id)
                .bind(first_text.as_str())
                .execute(&mut **tx)
                .await?;
        }
        let before = first.yesterday().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match synced {
            Some(t) if t >= before => Ok(true),
            Some(t) => {
                let after = next_day_text(t)?;
                for table in ["unit_history", "unit_sources", "activity_log"] {
                    sqlx::query::<DB>(sqlx::AssertSqlSafe(format!("UPDATE {table} SET until_day = $2 WHERE tenant_id = $1 AND until_day IS NULL")))
                        .bind(tenant_id)
                        .bind(after.as_str())
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(false)
            }
            None => Ok(false),
        }
    }

    async fn write_units(tx: &mut sqlx::Transaction<'_, DB>, tenant_id: i64, first: Date, continues: bool, written: &[(Date, &SyncedDay)]) -> StoreResult<()> {
        let open: Vec<(i64, String, String, bool)> = if continues {
            sqlx::query_as::<DB, _>("SELECT contract_service_id, from_day, units, stale FROM unit_history WHERE tenant_id = $1 AND until_day IS NULL")
                .bind(tenant_id)
                .fetch_all(&mut **tx)
                .await?
        } else {
            Vec::new()
        };
        let open = open.into_iter().map(|(cs, f, u, s)| Ok((cs, day(&f)?, (u, s)))).collect::<StoreResult<Vec<_>>>()?;
        let mut merge = Merge::new(open, first);
        for (d, synced) in written {
            // Units compare and store as normalized text: 1.0 and 1 are one value.
            merge.day(*d, synced.units.iter().map(|u| (u.contract_service_id, (u.units.normalize().to_string(), u.stale))))?;
        }
        let changes = merge.finish();
        for (until, closes) in by_until(&changes.closes) {
            for json in JsonRows::chunks(closes, |rows, (cs, f)| rows.push(&(cs, date_text(f)))) {
                sqlx::query::<DB>(sqlx::AssertSqlSafe(format!(
                    "UPDATE unit_history SET until_day = $3 WHERE tenant_id = $2 AND (contract_service_id, from_day) IN \
                     (SELECT CAST(value->>0 AS BIGINT), value->>1 FROM {})",
                    DB::JSON_ROWS
                )))
                .bind(json)
                .bind(tenant_id)
                .bind(until.as_str())
                .execute(&mut **tx)
                .await?;
            }
        }
        for json in JsonRows::chunks(&changes.inserts, |rows, (cs, f, u, (units, stale))| {
            rows.push(&(cs, date_text(*f), until_text(*u), units, i32::from(*stale)))
        }) {
            sqlx::query::<DB>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO unit_history (tenant_id, contract_service_id, from_day, until_day, units, stale) \
                 SELECT $2, CAST(value->>0 AS BIGINT), value->>1, value->>2, value->>3, (CAST(value->>4 AS INTEGER) = 1) FROM {}",
                DB::JSON_ROWS
            )))
            .bind(json)
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    async fn write_sources(tx: &mut sqlx::Transaction<'_, DB>, tenant_id: i64, first: Date, continues: bool, written: &[(Date, &SyncedDay)]) -> StoreResult<()> {
        type Key = (i64, String, String, String);
        let open: Vec<(i64, String, String, String, String, i64)> = if continues {
            sqlx::query_as::<DB, _>(
                "SELECT contract_service_id, module_code, org_id, billing_type, from_day, quantity FROM unit_sources \
                 WHERE tenant_id = $1 AND until_day IS NULL",
            )
            .bind(tenant_id)
            .fetch_all(&mut **tx)
            .await?
        } else {
            Vec::new()
        };
        let open = open.into_iter().map(|(cs, m, o, b, f, q)| Ok(((cs, m, o, b), day(&f)?, q))).collect::<StoreResult<Vec<(Key, Date, i64)>>>()?;
        let mut merge = Merge::new(open, first);
        for (d, synced) in written {
            merge.day(*d, synced.sources.iter().map(|s| ((s.contract_service_id, s.module_code.clone(), s.org_id.clone(), s.billing_type.clone()), s.quantity)))?;
        }
        let changes = merge.finish();
        for (until, closes) in by_until(&changes.closes) {
            for json in JsonRows::chunks(closes, |rows, ((cs, m, o, b), f)| rows.push(&(cs, m, o, b, date_text(f)))) {
                sqlx::query::<DB>(sqlx::AssertSqlSafe(format!(
                    "UPDATE unit_sources SET until_day = $3 WHERE tenant_id = $2 \
                     AND (contract_service_id, module_code, org_id, billing_type, from_day) IN \
                     (SELECT CAST(value->>0 AS BIGINT), value->>1, value->>2, value->>3, value->>4 FROM {})",
                    DB::JSON_ROWS
                )))
                .bind(json)
                .bind(tenant_id)
                .bind(until.as_str())
                .execute(&mut **tx)
                .await?;
            }
        }
        for json in JsonRows::chunks(&changes.inserts, |rows, ((cs, m, o, b), f, u, q)| {
            rows.push(&(cs, m, o, b, date_text(*f), until_text(*u), q))
        }) {
            sqlx::query::<DB>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO unit_sources (tenant_id, contract_service_id, module_code, org_id, billing_type, from_day, until_day, quantity) \
                 SELECT $2, CAST(value->>0 AS BIGINT), value->>1, value->>2, value->>3, value->>4, value->>5, CAST(value->>6 AS BIGINT) FROM {}",
                DB::JSON_ROWS
            )))
            .bind(json)
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    async fn write_activity(tx: &mut sqlx::Transaction<'_, DB>, tenant_id: i64, first: Date, continues: bool, written: &[(Date, &SyncedDay)]) -> StoreResult<()> {
        type Row = (i64, String, String, String, Option<i64>, Option<i64>, String, Option<String>, i64, i64, Option<String>);
        let open: Vec<Row> = if continues {
            sqlx::query_as::<DB, _>(
                "SELECT seq, from_day, module_code, billing_type, company_id, contract_service_id, status, reason, units, previous_units, \
                 amount_at_stake FROM activity_log WHERE tenant_id = $1 AND until_day IS NULL",
            )
            .bind(tenant_id)
            .fetch_all(&mut **tx)
            .await?
        } else {
            Vec::new()
        };
        let open = open
            .into_iter()
            .map(|r| Ok((r.0, day(&r.1)?, (r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10))))
            .collect::<StoreResult<Vec<(i64, Date, ActivityValue)>>>()?;
        let mut merge = Merge::new(open, first);
        for (d, synced) in written {
            // A row's key is its position in its day's digest, so a day reads back in order.
            merge.day(*d, synced.activity.iter().enumerate().map(|(i, a)| (i as i64, activity_value(a))))?;
        }
        let changes = merge.finish();
        for (until, closes) in by_until(&changes.closes) {
            for json in JsonRows::chunks(&closes, |rows, (seq, f)| rows.push(&(**seq, date_text(*f)))) {
                sqlx::query::<DB>(sqlx::AssertSqlSafe(format!(
                    "UPDATE activity_log SET until_day = $3 WHERE tenant_id = $2 AND (seq, from_day) IN \
                     (SELECT CAST(value->>0 AS BIGINT), value->>1 FROM {})",
                    DB::JSON_ROWS
                )))
                .bind(json)
                .bind(tenant_id)
                .bind(until.as_str())
                .execute(&mut **tx)
                .await?;
            }
        }
        for json in JsonRows::chunks(&changes.inserts, |rows, (seq, f, u, v)| {
            rows.push(&(seq, date_text(*f), until_text(*u), &v.0, &v.1, v.2, v.3, &v.4, &v.5, v.6, v.7, &v.8))
        }) {
            sqlx::query::<DB>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO activity_log (tenant_id, seq, from_day, until_day, module_code, billing_type, company_id, contract_service_id, \
                 status, reason, units, previous_units, amount_at_stake) \
                 SELECT $2, CAST(value->>0 AS BIGINT), value->>1, value->>2, value->>3, value->>4, CAST(value->>5 AS BIGINT), \
                 CAST(value->>6 AS BIGINT), value->>7, value->>8, CAST(value->>9 AS BIGINT), CAST(value->>10 AS BIGINT), value->>11 FROM {}",
                DB::JSON_ROWS
            )))
            .bind(json)
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use jiff::ToSpan;
    use jiff::civil::{Date, date};

    use crate::testing::fresh_databases;
    use crate::{ActivityRecord, NewTenant, Store, SyncBatch, SyncedDay, UnitRow, UnitSourceRow};

    fn d(day: i8) -> Date {
        date(2026, 3, day)
    }

    /// A day of outputs: units per service (`"2"`, `"2.50"`, ...), one source per service with
    /// the same quantity, and one activity row per service with that status.
    fn synced(day: Date, units: &[(i64, &str, bool)], status: &str) -> SyncedDay {
        SyncedDay {
            day: Some(day),
            units: units
                .iter()
                .map(|(cs, u, stale)| UnitRow {
                    contract_service_id: *cs,
                    day,
                    units: u.parse().unwrap(),
                    stale: *stale,
                })
                .collect(),
            sources: units
                .iter()
                .map(|(cs, u, _)| UnitSourceRow {
                    contract_service_id: *cs,
                    day,
                    module_code: "datto-rmm".into(),
                    org_id: format!("org-{cs}"),
                    billing_type: "desktop".into(),
                    quantity: u.parse::<f64>().unwrap() as i64,
                })
                .collect(),
            activity: units
                .iter()
                .map(|(cs, u, _)| ActivityRecord {
                    day,
                    module_code: "datto-rmm".into(),
                    billing_type: "desktop".into(),
                    company_id: Some(1),
                    contract_service_id: Some(*cs),
                    status: status.into(),
                    reason: None,
                    units: u.parse::<f64>().unwrap() as i64,
                    previous_units: 0,
                    amount_at_stake: (status == "failed").then(|| "1.50".into()),
                })
                .collect(),
        }
    }

    /// The stored state, less the migrations' timings.
    async fn dump(url: &str) -> String {
        let all = crate::testing::dump(url).await;
        let mut skip = false;
        all.lines()
            .filter(|l| {
                if l.starts_with("== ") {
                    skip = l.starts_with("== _sqlx_migrations");
                }
                !skip
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    async fn tenant(store: &dyn Store) -> i64 {
        store
            .create_tenant(&NewTenant {
                slug: "acme".into(),
                name: "Acme".into(),
                time_zone: "UTC".into(),
                currency: "USD".into(),
                sync_hour: 1,
                now: "2026-01-01T00:00:00Z".into(),
            })
            .await
            .unwrap()
            .id
    }

    /// Writes `days` from their first one on in batches of `batch`, as the sync does.
    async fn write(store: &dyn Store, t: i64, days: &[SyncedDay], batch: usize) {
        let seen = store.sync_state(t).await.unwrap().mark_seq;
        for chunk in days.chunks(batch) {
            let (from, through) = (chunk[0].day.unwrap(), chunk[chunk.len() - 1].day.unwrap());
            store
                .write_synced_days(
                    t,
                    chunk,
                    SyncBatch {
                        from,
                        through,
                        seen_mark_seq: seen,
                    },
                )
                .await
                .unwrap();
        }
    }

    /// Ten days: cs 1 changes on the 4th and back on the 7th, cs 2 vanishes on the 5th and 6th
    /// and returns, cs 3 is stale from the 8th on.
    fn story(day_offset: i64) -> Vec<SyncedDay> {
        (1..=10)
            .map(|n: i8| {
                let day = d(n) + day_offset.days();
                let one = if (4..7).contains(&n) { "3.0" } else { "2" };
                let mut units = vec![(1, one, false), (3, "1", n >= 8)];
                if !(5..=6).contains(&n) {
                    units.push((2, "5", false));
                }
                synced(day, &units, if n == 4 { "increased" } else { "unchanged" })
            })
            .collect()
    }

    #[tokio::test]
    async fn intervals_store_the_same_however_the_days_were_written_and_read_back_per_day() {
        let twins = fresh_databases()
            .await
            .into_iter()
            .zip(fresh_databases().await);
        for ((backend, url), (_, other)) in twins {
            let store = crate::connect(&url).await.unwrap();
            let t = tenant(store.as_ref()).await;
            let days = story(0);
            // Other values first, then a late recompute from a middle day on.
            let mut wrong = days[..5].to_vec();
            wrong.extend(
                (6..=10).map(|n| synced(d(n), &[(1, "9", true), (4, "1", false)], "failed")),
            );
            write(store.as_ref(), t, &wrong, 7).await;
            write(store.as_ref(), t, &days[5..], 2).await;
            let incremental = dump(&url).await;

            let scratch = crate::connect(&other).await.unwrap();
            let t2 = tenant(scratch.as_ref()).await;
            assert_eq!(t, t2);
            write(scratch.as_ref(), t2, &days, 10).await;
            assert_eq!(
                incremental,
                dump(&other).await,
                "{backend}: canonical intervals"
            );

            // Each day reads back as written, open rows through the synced day only.
            let (from, to) = (d(1), d(31));
            let mut want_units: Vec<UnitRow> = days.iter().flat_map(|s| s.units.clone()).collect();
            want_units.sort_by_key(|u| (u.contract_service_id, u.day));
            let got = store.unit_history(t, None, from, to).await.unwrap();
            assert_eq!(got, want_units, "{backend}");
            assert_eq!(got.last().map(|u| u.day), Some(d(10)), "{backend}");
            let for_two = store.unit_history(t, Some(2), d(4), d(7)).await.unwrap();
            assert_eq!(
                for_two.iter().map(|u| u.day).collect::<Vec<_>>(),
                vec![d(4), d(7)],
                "{backend}"
            );
            assert_eq!(
                store
                    .unit_history_for_services(t, 1, 3, from, to)
                    .await
                    .unwrap(),
                want_units,
                "{backend}"
            );
            let runs = store
                .unit_intervals_for_services(t, 1, 1, d(2), d(31))
                .await
                .unwrap();
            let runs: Vec<_> = runs
                .iter()
                .map(|r| (r.first, r.last, r.units.to_string()))
                .collect();
            assert_eq!(
                runs,
                vec![
                    (d(2), d(3), "2".into()),
                    (d(4), d(6), "3".into()),
                    (d(7), d(10), "2".into())
                ],
                "{backend}"
            );
            let want_sources: Vec<UnitSourceRow> = days
                .iter()
                .flat_map(|s| {
                    s.sources
                        .iter()
                        .filter(|x| x.contract_service_id == 1)
                        .cloned()
                })
                .collect();
            assert_eq!(
                store.unit_sources(t, 1, from, to).await.unwrap(),
                want_sources,
                "{backend}"
            );
            let want_activity: Vec<ActivityRecord> =
                days.iter().flat_map(|s| s.activity.clone()).collect();
            assert_eq!(
                store.activity(t, from, to, false).await.unwrap(),
                want_activity,
                "{backend}"
            );
            assert!(
                store.activity(t, from, to, true).await.unwrap().is_empty(),
                "{backend}"
            );

            // Retention clips the intervals: the days before go, the rest reads the same.
            store.prune_activity(t, d(6)).await.unwrap();
            scratch.prune_activity(t2, d(6)).await.unwrap();
            let kept: Vec<ActivityRecord> = want_activity
                .iter()
                .filter(|a| a.day >= d(6))
                .cloned()
                .collect();
            assert_eq!(
                store.activity(t, from, to, false).await.unwrap(),
                kept,
                "{backend}"
            );
            assert_eq!(
                dump(&url).await,
                dump(&other).await,
                "{backend}: pruned alike"
            );
            // Days written again after a gap do not continue the rows open before it.
            write(store.as_ref(), t, &story(20)[..2], 2).await;
            let late = store.unit_history(t, Some(1), d(10), d(31)).await.unwrap();
            assert_eq!(
                late.iter().map(|u| u.day).collect::<Vec<_>>(),
                vec![d(10), d(21), d(22)],
                "{backend}"
            );
        }
    }
}
