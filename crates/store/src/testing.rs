//! Fresh databases for test stories: SQLite always, PostgreSQL when
//! `UNITBILL_TEST_DATABASE_URL` names a server. With `UNITBILL_REQUIRE_ALL_TESTS=1` a missing
//! PostgreSQL fails the run instead of being skipped.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}_{}_{}", std::process::id(), nanos % 1_000_000_000, n)
}

/// Database URLs to run a story against, each a new empty database: `(backend, url)`.
pub async fn fresh_databases() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let dir = std::env::temp_dir().join("unitbill-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    out.push((
        "sqlite",
        format!(
            "sqlite://{}",
            dir.join(format!("t_{}.db", unique_suffix())).display()
        ),
    ));
    match std::env::var("UNITBILL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => out.push(("postgres", fresh_postgres(&url).await)),
        _ => {
            if std::env::var("UNITBILL_REQUIRE_ALL_TESTS").as_deref() == Ok("1") {
                panic!(
                    "UNITBILL_REQUIRE_ALL_TESTS=1 but UNITBILL_TEST_DATABASE_URL is not set: the PostgreSQL story cannot run"
                );
            }
            eprintln!(
                "note: UNITBILL_TEST_DATABASE_URL is not set; the PostgreSQL story is skipped"
            );
        }
    }
    out
}

/// Creates a new database on the server of `admin_url` and returns its URL.
pub async fn fresh_postgres(admin_url: &str) -> String {
    let name = format!("unitbill_t_{}", unique_suffix());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("UNITBILL_TEST_DATABASE_URL={admin_url} is not reachable: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    // Replace the path (database name) of the URL, keeping any query string.
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// Columns a refused request may legitimately change, left out of [`dump`] by
/// `(table, column)`. None today: authenticating a key or token writes nothing.
const VOLATILE_COLUMNS: &[(&str, &str)] = &[];

/// A canonical text of every row of every table of the database at `url` (SQLite or
/// PostgreSQL): tables by name, columns in their declared order, each value quoted so NULL,
/// `''` and `'NULL'` differ, rows ordered by all columns. Tables are discovered from the
/// catalog, so a table added by a later migration is covered without naming it here. Two
/// dumps are equal exactly when the stored state is.
pub async fn dump(url: &str) -> String {
    StateDump::connect(url).await.dump().await
}

/// A connection kept open for many [`dump`]s of one database.
pub enum StateDump {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl StateDump {
    /// Connects to the database at `url` (read-only for SQLite).
    pub async fn connect(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .expect("sqlite url")
                .read_only(true);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .expect("open the sqlite database to dump");
            Self::Sqlite(pool)
        } else {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("connect to the postgres database to dump");
            Self::Postgres(pool)
        }
    }

    /// The canonical text of the whole database now (see [`dump`]).
    pub async fn dump(&self) -> String {
        let columns: Vec<(String, String)> = match self {
            Self::Sqlite(pool) => sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' ORDER BY m.name, p.cid",
            )
            .fetch_all(pool)
            .await
            .expect("sqlite catalog"),
            Self::Postgres(pool) => sqlx::query_as(
                "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
                 JOIN information_schema.tables t \
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
                 ORDER BY c.table_name, c.ordinal_position",
            )
            .fetch_all(pool)
            .await
            .expect("postgres catalog"),
        };
        let mut tables: Vec<(String, Vec<String>)> = Vec::new();
        for (table, column) in columns {
            if VOLATILE_COLUMNS.contains(&(table.as_str(), column.as_str())) {
                continue;
            }
            match tables.last_mut() {
                Some((t, cols)) if *t == table => cols.push(column),
                _ => tables.push((table, vec![column])),
            }
        }
        // One query for all tables: a round trip per table would make a dump per request
        // slow on PostgreSQL. Each row is one text; rows sort by table, then by that text
        // (by every column, in their declared order).
        let selects: Vec<String> = tables
            .iter()
            .enumerate()
            .map(|(i, (table, cols))| {
                let values = cols
                    .iter()
                    .map(|c| self.quoted(c))
                    .collect::<Vec<_>>()
                    .join(" || ' | ' || ");
                format!("SELECT CAST({i} AS BIGINT) AS t, {values} AS r FROM \"{table}\"")
            })
            .collect();
        let sql = format!(
            "SELECT t, r FROM ({}) AS everything ORDER BY t, r",
            selects.join(" UNION ALL ")
        );
        let rows: Vec<(i64, String)> = match self {
            Self::Sqlite(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await
            }
            Self::Postgres(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await
            }
        }
        .expect("dump every table");
        let mut out = String::new();
        let mut rows = rows.into_iter().peekable();
        for (i, (table, cols)) in tables.iter().enumerate() {
            out.push_str(&format!("== {table} ({})\n", cols.join(", ")));
            while let Some((_, row)) = rows.next_if(|(t, _)| *t == i as i64) {
                out.push_str(&row);
                out.push('\n');
            }
        }
        out
    }

    /// A column's value as text that tells NULL, `''` and `'NULL'` apart.
    fn quoted(&self, column: &str) -> String {
        match self {
            Self::Sqlite(_) => format!("quote(\"{column}\")"),
            Self::Postgres(_) => format!("quote_nullable(\"{column}\"::text)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::NewTenant;

    #[tokio::test]
    async fn a_dump_sees_every_change_and_tells_null_from_text() {
        for (backend, url) in super::fresh_databases().await {
            let store = crate::connect(&url).await.expect("store");
            let dumper = super::StateDump::connect(&url).await;
            let empty = dumper.dump().await;
            assert!(empty.contains("== tenants ("), "{backend}: {empty}");
            assert_eq!(empty, dumper.dump().await, "{backend}: a dump is stable");
            let tenant = store
                .create_tenant(&NewTenant {
                    slug: "acme".into(),
                    name: "NULL".into(),
                    time_zone: "UTC".into(),
                    currency: "USD".into(),
                    sync_hour: 1,
                    now: "2026-01-01T00:00:00Z".into(),
                })
                .await
                .expect("tenant");
            let one = super::dump(&url).await;
            assert_ne!(empty, one, "{backend}: a new row shows");
            assert!(
                one.contains("'NULL'"),
                "{backend}: text NULL is quoted: {one}"
            );
            assert!(
                one.contains(" NULL"),
                "{backend}: a missing value is NULL: {one}"
            );
            let mut renamed = tenant.clone();
            renamed.name = "Acme".into();
            store.update_tenant(&renamed).await.expect("rename");
            assert_ne!(one, dumper.dump().await, "{backend}: a changed value shows");
        }
    }
}
