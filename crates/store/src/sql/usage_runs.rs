//! Usage stored as change points (`usage_points`, see [`unitbill_domain::usage_points`]) and
//! the values of partial-only days (`usage_partials`): the snapshot write's steps and the
//! sync's reads. Every bulk write binds one JSON array ([`JsonRows`]).

use jiff::civil::Date;
use unitbill_domain::catalog::BillingTypeCode;
use unitbill_domain::usage::{OrgReport, UsageValue};
use unitbill_domain::usage_points::{UsageRun, plan_runs};

use crate::sql::{JsonRows, date_text, sql_backend};
use crate::{DatedUsage, StoreError, StoreResult, UsageChange};

fn day(s: &str) -> StoreResult<Date> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("date {s:?}")))
}

fn code(s: &str) -> StoreResult<BillingTypeCode> {
    BillingTypeCode::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

type RunRow = (String, String, String, Option<String>, i64);

fn run(r: RunRow) -> StoreResult<UsageRun> {
    Ok(UsageRun {
        org_id: r.0,
        billing_type: code(&r.1)?,
        from: day(&r.2)?,
        until: r.3.as_deref().map(day).transpose()?,
        quantity: r.4,
    })
}

/// The header of a stored snapshot day.
pub(crate) struct DayHeader {
    pub complete: bool,
    pub version: i64,
    pub body_hash: Option<String>,
}

sql_backend! {
    impl {
    pub(crate) async fn day_header(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        module_code: &str,
        day: &str,
    ) -> StoreResult<Option<DayHeader>> {
        let row: Option<(bool, i64, Option<String>)> = sqlx::query_as(
            "SELECT complete, version, body_hash
             FROM snapshots
             WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3",
        )
        .bind(tenant_id)
        .bind(module_code)
        .bind(day)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.map(|(complete, version, body_hash)| DayHeader { complete, version, body_hash }))
    }

    /// The module's runs covering `day`: the content of its latest complete day on or before it.
    pub(crate) async fn covering_runs(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        module_code: &str,
        day: &str,
    ) -> StoreResult<Vec<UsageRun>> {
        // Two branches so each reads one range of the until_day index: the open runs, and the
        // runs that end after the day.
        let rows: Vec<RunRow> = sqlx::query_as(
            "SELECT org_id, billing_type, from_day, until_day, quantity
             FROM usage_points
             WHERE tenant_id = $1 AND until_day IS NULL AND module_code = $2 AND from_day <= $3
             UNION ALL
             SELECT org_id, billing_type, from_day, until_day, quantity
             FROM usage_points
             WHERE tenant_id = $1 AND until_day > $3 AND module_code = $2 AND from_day <= $3",
        )
        .bind(tenant_id)
        .bind(module_code)
        .bind(day)
        .fetch_all(&mut **tx)
        .await?;
        rows.into_iter().map(run).collect()
    }

    /// The module's runs whose `column` (`from_day` or `until_day`) is `day`.
    async fn runs_on(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        module_code: &str,
        starting: bool,
        day: &str,
    ) -> StoreResult<Vec<UsageRun>> {
        let sql = if starting {
            "SELECT org_id, billing_type, from_day, until_day, quantity
             FROM usage_points
             WHERE tenant_id = $1 AND from_day = $3 AND module_code = $2"
        } else {
            "SELECT org_id, billing_type, from_day, until_day, quantity
             FROM usage_points
             WHERE tenant_id = $1 AND until_day = $3 AND module_code = $2"
        };
        let rows: Vec<RunRow> = sqlx::query_as(sql)
            .bind(tenant_id)
            .bind(module_code)
            .bind(day)
            .fetch_all(&mut **tx)
            .await?;
        rows.into_iter().map(run).collect()
    }

    /// The listed values of a partial-only day.
    pub(crate) async fn partial_values(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        module_code: &str,
        day: &str,
    ) -> StoreResult<Vec<UsageValue>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT org_id, billing_type, quantity
             FROM usage_partials
             WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3
             ORDER BY org_id, billing_type",
        )
        .bind(tenant_id)
        .bind(module_code)
        .bind(day)
        .fetch_all(&mut **tx)
        .await?;
        rows.into_iter()
            .map(|(org_id, bt, quantity)| Ok(UsageValue { org_id, billing_type: code(&bt)?, quantity }))
            .collect()
    }

    /// Runs `sql` once per chunk of JSON rows, bound as `$1`, then `$2` = tenant, `$3` = module
    /// and `$4`.. = `texts`: the shape of every bulk write of a module's usage.
    pub(crate) async fn write_chunks(
        tx: &mut sqlx::Transaction<'_, DB>,
        sql: &str,
        chunks: impl Iterator<Item = String>,
        tenant_id: i64,
        module_code: &str,
        texts: &[&str],
    ) -> StoreResult<()> {
        for rows in chunks {
            let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql)).bind(rows).bind(tenant_id).bind(module_code);
            for t in texts {
                q = q.bind(*t);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Makes `content` the complete content of `date` (given the runs covering it, already
    /// read): writes only the runs whose quantity changes, and drops the day's partial values.
    pub(crate) async fn store_complete_day(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        module_code: &str,
        date: Date,
        covering: &[UsageRun],
        content: &[UsageValue],
    ) -> StoreResult<()> {
        let d = date_text(date);
        sqlx::query("DELETE FROM usage_partials WHERE tenant_id = $1 AND module_code = $2 AND usage_date = $3")
            .bind(tenant_id)
            .bind(module_code)
            .bind(d.as_str())
            .execute(&mut **tx)
            .await?;
        let (next,): (Option<String>,) = sqlx::query_as(
            "SELECT MIN(usage_date)
             FROM snapshots
             WHERE tenant_id = $1 AND module_code = $2 AND complete AND usage_date > $3",
        )
        .bind(tenant_id)
        .bind(module_code)
        .bind(d.as_str())
        .fetch_one(&mut **tx)
        .await?;
        let ending = Self::runs_on(tx, tenant_id, module_code, false, &d).await?;
        let starting = match &next {
            Some(n) => Self::runs_on(tx, tenant_id, module_code, true, n).await?,
            None => Vec::new(),
        };
        let next = next.as_deref().map(day).transpose()?;
        let plan = plan_runs(date, next, covering, &ending, &starting, content);
        let delete = format!(
            "DELETE FROM usage_points
             WHERE tenant_id = $2 AND module_code = $3
               AND (org_id, billing_type, from_day) IN (
                   SELECT value->>0, value->>1, value->>2 FROM {}
               )",
            DB::JSON_ROWS
        );
        let deleted = JsonRows::chunks(&plan.delete, |rows, (org, bt, from)| rows.push(&(*org, bt.as_str(), date_text(*from))));
        Self::write_chunks(tx, &delete, deleted, tenant_id, module_code, &[]).await?;
        // `WHERE true`: SQLite's parser needs it before an upsert clause on INSERT ... SELECT.
        let upsert = format!(
            "INSERT INTO usage_points
                 (tenant_id, module_code, org_id, billing_type, from_day, until_day, quantity)
             SELECT $2, $3, value->>0, value->>1, value->>2, value->>3, CAST(value->>4 AS BIGINT)
             FROM {}
             WHERE true
             ON CONFLICT (tenant_id, module_code, org_id, billing_type, from_day) DO UPDATE SET
                 until_day = excluded.until_day,
                 quantity = excluded.quantity",
            DB::JSON_ROWS
        );
        let upserted = JsonRows::chunks(&plan.upsert, |rows, r| {
            rows.push(&(r.org_id, r.billing_type.as_str(), date_text(r.from), r.until.map(date_text), r.quantity))
        });
        Self::write_chunks(tx, &upsert, upserted, tenant_id, module_code, &[]).await
    }

    /// Writes listed values of a partial-only day (insert or overwrite).
    pub(crate) async fn store_partial_values(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        module_code: &str,
        day: &str,
        values: &[UsageValue],
    ) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO usage_partials
                 (tenant_id, module_code, usage_date, org_id, billing_type, quantity)
             SELECT $2, $3, $4, value->>0, value->>1, CAST(value->>2 AS BIGINT)
             FROM {}
             WHERE true
             ON CONFLICT (tenant_id, module_code, usage_date, org_id, billing_type) DO UPDATE SET
                 quantity = excluded.quantity",
            DB::JSON_ROWS
        );
        let rows = JsonRows::chunks(values, |rows, v| rows.push(&(v.org_id.as_str(), v.billing_type.as_str(), v.quantity)));
        Self::write_chunks(tx, &sql, rows, tenant_id, module_code, &[day]).await
    }

    /// Records the snapshot's orgs (names from the newest day win); returns how many are new.
    pub(crate) async fn upsert_orgs(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        module_code: &str,
        day: &str,
        orgs: &[OrgReport],
        now: &str,
    ) -> StoreResult<usize> {
        let count = "SELECT COUNT(*) FROM module_orgs WHERE tenant_id = $1 AND module_code = $2";
        let (before,): (i64,) = sqlx::query_as(count).bind(tenant_id).bind(module_code).fetch_one(&mut **tx).await?;
        // A late snapshot for an older day must not overwrite the name a newer day gave.
        let sql = format!(
            "INSERT INTO module_orgs
                 (tenant_id, module_code, org_id, name, parent_id, first_seen_date, last_seen_date, first_seen_at)
             SELECT $2, $3, value->>0, value->>1, value->>2, $4, $4, $5
             FROM {}
             WHERE true
             ON CONFLICT (tenant_id, module_code, org_id) DO UPDATE SET
                 name = CASE WHEN excluded.last_seen_date >= module_orgs.last_seen_date
                     THEN excluded.name ELSE module_orgs.name END,
                 parent_id = CASE WHEN excluded.last_seen_date >= module_orgs.last_seen_date
                     THEN excluded.parent_id ELSE module_orgs.parent_id END,
                 last_seen_date = CASE WHEN excluded.last_seen_date > module_orgs.last_seen_date
                     THEN excluded.last_seen_date ELSE module_orgs.last_seen_date END,
                 first_seen_date = CASE WHEN excluded.first_seen_date < module_orgs.first_seen_date
                     THEN excluded.first_seen_date ELSE module_orgs.first_seen_date END",
            DB::JSON_ROWS
        );
        let rows = JsonRows::chunks(orgs, |rows, o| rows.push(&(o.id.as_str(), o.name.as_str(), o.parent_id.as_deref())));
        Self::write_chunks(tx, &sql, rows, tenant_id, module_code, &[day, now]).await?;
        let (after,): (i64,) = sqlx::query_as(count).bind(tenant_id).bind(module_code).fetch_one(&mut **tx).await?;
        Ok(usize::try_from(after - before).unwrap_or(0))
    }

    /// The sync's starting point: every module's runs covering `day`.
    pub(crate) async fn read_usage_content_at(&self, tenant_id: i64, day_: Date) -> StoreResult<Vec<DatedUsage>> {
        let d = date_text(day_);
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT module_code, org_id, billing_type, quantity
             FROM usage_points
             WHERE tenant_id = $1 AND until_day IS NULL AND from_day <= $2
             UNION ALL
             SELECT module_code, org_id, billing_type, quantity
             FROM usage_points
             WHERE tenant_id = $1 AND until_day > $2 AND from_day <= $2",
        )
        .bind(tenant_id)
        .bind(d.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(module_code, org_id, bt, quantity)| {
                Ok(DatedUsage { module_code, day: day_, value: UsageValue { org_id, billing_type: code(&bt)?, quantity } })
            })
            .collect()
    }

    /// Runs starting in [from, to] and keys whose run ends there with none after it.
    pub(crate) async fn read_usage_changes(&self, tenant_id: i64, from: Date, to: Date) -> StoreResult<Vec<UsageChange>> {
        let rows: Vec<(String, String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT module_code, from_day, org_id, billing_type, quantity
             FROM usage_points
             WHERE tenant_id = $1 AND from_day >= $2 AND from_day <= $3
             UNION ALL
             SELECT p.module_code, p.until_day, p.org_id, p.billing_type, NULL
             FROM usage_points p
             WHERE p.tenant_id = $1 AND p.until_day >= $2 AND p.until_day <= $3
               AND NOT EXISTS (
                   SELECT 1 FROM usage_points n
                   WHERE n.tenant_id = p.tenant_id AND n.module_code = p.module_code
                     AND n.org_id = p.org_id AND n.billing_type = p.billing_type
                     AND n.from_day = p.until_day
               )",
        )
        .bind(tenant_id)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(module_code, d, org_id, billing_type, quantity)| {
                Ok(UsageChange { module_code, day: day(&d)?, org_id, billing_type, quantity })
            })
            .collect()
    }

    /// Listed values of partial-only days in [from, to], by day.
    pub(crate) async fn read_partial_usage(&self, tenant_id: i64, from: Date, to: Date) -> StoreResult<Vec<DatedUsage>> {
        let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT module_code, usage_date, org_id, billing_type, quantity
             FROM usage_partials
             WHERE tenant_id = $1 AND usage_date >= $2 AND usage_date <= $3
             ORDER BY usage_date, module_code, org_id, billing_type",
        )
        .bind(tenant_id)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(module_code, d, org_id, bt, quantity)| {
                Ok(DatedUsage { module_code, day: day(&d)?, value: UsageValue { org_id, billing_type: code(&bt)?, quantity } })
            })
            .collect()
    }
    }
}
