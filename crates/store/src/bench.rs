//! Benchmark baselines: what the storage engine itself does with the rows the application
//! writes, bypassing the store's own code paths, so `unitbill bench` can report the
//! application's figures next to the engine's limit measured in the same run.
//!
//! Nothing here is used by the application. The baseline insert is the fastest plain way per
//! backend that this crate's driver offers:
//! - SQLite: one bound JSON array per statement expanded with `json_each(?1)` (a multi-row
//!   `VALUES` statement pays sqlx's per-parameter binding cost, which grows faster than the
//!   parameter count; the store's own writes bind one JSON array too, see `sql::JsonRows`);
//! - PostgreSQL: `INSERT ... SELECT FROM UNNEST($4::text[], $5::text[], $6::bigint[])`, three
//!   bound arrays per statement.
//!
//! Both write in one transaction, in statements of [`BASELINE_CHUNK_ROWS`] rows.

use std::time::{Duration, Instant};

use jiff::civil::Date;
use sqlx::{Connection, Pool};
use unitbill_domain::usage::UsageValue;

use crate::sql::{Dialect, SqlStore, date_text};

const COUNT: &str = "SELECT COUNT(*) FROM usage_points";
use crate::{StoreError, StoreResult};

/// Rows per baseline statement: large enough that statement overhead vanishes, small enough
/// that the bound text or arrays stay a few MB.
pub const BASELINE_CHUNK_ROWS: usize = 50_000;

/// What one baseline insert measured.
#[derive(Debug, Clone)]
pub struct BaselineOutcome {
    /// Rows in `usage_points` after the insert (checked against the rows given).
    pub rows: u64,
    /// Time of the transaction: building the bound values, the statements and the commit.
    pub elapsed: Duration,
    /// How the rows were written, for the report.
    pub method: &'static str,
}

/// Migrates a fresh database at `url` and inserts `rows` into its `usage_points` table for
/// one (tenant, module, day) in one transaction, timed. A benchmark baseline only: no checks,
/// no revisions, no module orgs.
pub async fn baseline_insert(
    url: &str,
    tenant_id: i64,
    module_code: &str,
    date: Date,
    rows: &[UsageValue],
) -> StoreResult<BaselineOutcome> {
    let day = date_text(date);
    if is_postgres(url) {
        let store = SqlStore::<sqlx::Postgres>::open(url).await?;
        let start = Instant::now();
        insert_postgres(&store.pool, tenant_id, module_code, &day, rows).await?;
        let elapsed = start.elapsed();
        let (rows,): (i64,) = sqlx::query_as(COUNT).fetch_one(&store.pool).await?;
        store.pool.close().await;
        Ok(BaselineOutcome {
            rows: u64::try_from(rows).unwrap_or(0),
            elapsed,
            method: "INSERT ... SELECT FROM UNNEST(text[], text[], bigint[])",
        })
    } else {
        let store = SqlStore::<sqlx::Sqlite>::open(url).await?;
        let start = Instant::now();
        insert_sqlite(&store.pool, tenant_id, module_code, &day, rows).await?;
        let elapsed = start.elapsed();
        let (rows,): (i64,) = sqlx::query_as(COUNT).fetch_one(&store.pool).await?;
        store.pool.close().await;
        Ok(BaselineOutcome {
            rows: u64::try_from(rows).unwrap_or(0),
            elapsed,
            method: "INSERT ... SELECT FROM json_each(?) (one bound JSON array)",
        })
    }
}

async fn insert_sqlite(
    pool: &Pool<sqlx::Sqlite>,
    tenant_id: i64,
    module_code: &str,
    day: &str,
    rows: &[UsageValue],
) -> StoreResult<()> {
    let mut tx = pool.begin_with(sqlx::Sqlite::BEGIN_WRITE).await?;
    for chunk in rows.chunks(BASELINE_CHUNK_ROWS) {
        let array: Vec<(&str, &str, i64)> = chunk
            .iter()
            .map(|v| (v.org_id.as_str(), v.billing_type.as_str(), v.quantity))
            .collect();
        let json = serde_json::to_string(&array)
            .map_err(|e| StoreError::Corrupt(format!("baseline rows: {e}")))?;
        sqlx::query(
            "INSERT INTO usage_points (tenant_id, module_code, from_day, org_id, billing_type, quantity) \
             SELECT $1, $2, $3, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]') \
             FROM json_each($4) AS j",
        )
        .bind(tenant_id)
        .bind(module_code)
        .bind(day)
        .bind(json)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn insert_postgres(
    pool: &Pool<sqlx::Postgres>,
    tenant_id: i64,
    module_code: &str,
    day: &str,
    rows: &[UsageValue],
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for chunk in rows.chunks(BASELINE_CHUNK_ROWS) {
        let orgs: Vec<&str> = chunk.iter().map(|v| v.org_id.as_str()).collect();
        let types: Vec<&str> = chunk.iter().map(|v| v.billing_type.as_str()).collect();
        let quantities: Vec<i64> = chunk.iter().map(|v| v.quantity).collect();
        sqlx::query(
            "INSERT INTO usage_points (tenant_id, module_code, from_day, org_id, billing_type, quantity) \
             SELECT $1, $2, $3, o, b, q FROM UNNEST($4::text[], $5::text[], $6::bigint[]) AS u(o, b, q)",
        )
        .bind(tenant_id)
        .bind(module_code)
        .bind(day)
        .bind(orgs)
        .bind(types)
        .bind(quantities)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The on-disk size of the database at `url`, in bytes. SQLite: the WAL is checkpointed into
/// the main file first, then `page_count * page_size` (free pages included, as on disk);
/// PostgreSQL: `pg_database_size` (tables, indexes and TOAST of that database).
pub async fn database_bytes(url: &str) -> StoreResult<u64> {
    let bytes: i64 = if is_postgres(url) {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let (n,): (i64,) = sqlx::query_as("SELECT pg_database_size(current_database())")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        n
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        // TRUNCATE may not finish while another connection reads; page_count then still
        // counts the pages in the WAL, so the size is right either way.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await?;
        let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
            .fetch_one(&mut conn)
            .await?;
        let (size,): (i64,) = sqlx::query_as("PRAGMA page_size")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        pages * size
    };
    Ok(u64::try_from(bytes).unwrap_or(0))
}

/// Drops the database that `db_url` names (made by [`crate::testing::fresh_postgres`] on the
/// server of `admin_url`), closing any connection still open to it.
pub async fn drop_postgres_database(admin_url: &str, db_url: &str) -> StoreResult<()> {
    let name = db_url
        .split('?')
        .next()
        .and_then(|base| base.rsplit('/').next())
        .unwrap_or_default();
    // The name is interpolated into the statement: accept only what fresh_postgres makes.
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::UnsupportedUrl(db_url.to_owned()));
    }
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    Ok(())
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
