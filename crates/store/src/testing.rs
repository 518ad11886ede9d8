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
