//! The SQL code path shared by SQLite and PostgreSQL.
//!
//! `SqlStore<DB>` is generic over the sqlx database; the [`sql_backend!`] macro states once the
//! trait bounds every implementation block needs, so each area file writes its SQL once for
//! both backends. What truly differs between them lives in [`Dialect`].

mod insights;
mod intervals;
mod invoices;
mod sessions;
mod setup;
mod sync;
mod tenants;
mod usage;
mod usage_runs;

use std::str::FromStr;
use std::time::Duration;

use jiff::civil::Date;
use sqlx::migrate::Migrator;
use sqlx::{Database, Pool};

use crate::{Store, StoreError, StoreResult};

/// What differs between the two backends.
pub trait Dialect: Database {
    const LABEL: &'static str;
    /// SQLite must take the write lock when a transaction starts, or two writers that both
    /// read first deadlock on the upgrade; PostgreSQL locks rows as it goes.
    const BEGIN_WRITE: &'static str;
    /// Appended to a `SELECT` that must lock the rows it reads until the transaction ends
    /// (PostgreSQL); SQLite's `BEGIN IMMEDIATE` already holds the whole database.
    const FOR_UPDATE: &'static str;
    /// A statement taking a transaction-scoped lock on a text key (`$1`), so that writers of
    /// one key (a module's snapshot of a day) queue instead of interleaving; `None` where the
    /// write transaction already excludes every other writer.
    const LOCK_KEY: Option<&'static str>;
    /// A `FROM` item that expands the JSON array of rows bound as `$1` into one row per
    /// element, each in a column named `value` (read its fields with `value->>0`, ...): see
    /// [`JsonRows`].
    const JSON_ROWS: &'static str;
    fn migrator() -> &'static Migrator;
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

impl Dialect for sqlx::Sqlite {
    const LABEL: &'static str = "sqlite";
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const FOR_UPDATE: &'static str = "";
    const LOCK_KEY: Option<&'static str> = None;
    const JSON_ROWS: &'static str = "json_each($1)";
    fn migrator() -> &'static Migrator {
        &SQLITE_MIGRATIONS
    }
}

impl Dialect for sqlx::Postgres {
    const LABEL: &'static str = "postgres";
    const BEGIN_WRITE: &'static str = "BEGIN";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const LOCK_KEY: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))");
    const JSON_ROWS: &'static str = "jsonb_array_elements($1::jsonb) AS json_rows (value)";
    fn migrator() -> &'static Migrator {
        &POSTGRES_MIGRATIONS
    }
}

/// The store, on one of the two backends.
pub struct SqlStore<DB: Database> {
    pub(crate) pool: Pool<DB>,
}

impl SqlStore<sqlx::Sqlite> {
    /// Opens (creating if needed) a SQLite database in WAL mode and migrates it.
    pub async fn open(url: &str) -> StoreResult<Self> {
        use sqlx::sqlite::{
            SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a process crash without loss; only a power cut may
            // lose the last transactions, and FULL costs an fsync per commit.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // 16 MiB of page cache per connection (the default is 2 MiB): the index pages a
            // day's sync and a snapshot's write walk stay in memory. Not more: each of the pool's
            // connections has its own, and it counts in the server's memory. No mmap either:
            // mapped pages count in the process's resident memory too.
            .pragma("cache_size", "-16384")
            // Sorts and temporary indexes of large GROUP BYs stay in memory.
            .pragma("temp_store", "memory");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool_options = || {
            SqlitePoolOptions::new()
                // An in-memory database lives in one connection.
                .max_connections(if in_memory { 1 } else { 8 })
        };
        let pool = pool_options().connect_with(options.clone()).await?;
        sqlx::Sqlite::migrator().run(&pool).await?;
        // A migration that rebuilds tables turns foreign keys off on its connection; every
        // connection the store uses must enforce them.
        let pool = if in_memory {
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&pool)
                .await?;
            pool
        } else {
            pool.close().await;
            pool_options().connect_with(options).await?
        };
        Ok(Self { pool })
    }
}

impl SqlStore<sqlx::Postgres> {
    /// Connects to PostgreSQL and migrates the schema.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        sqlx::Postgres::migrator().run(&pool).await?;
        Ok(Self { pool })
    }
}

/// Writes `impl` blocks for `SqlStore<DB>` with the bounds the shared SQL needs.
macro_rules! sql_backend {
    (impl $trait:ident { $($body:tt)* }) => {
        $crate::sql::sql_backend!(@bounds [#[async_trait::async_trait] impl<DB> $trait for] { $($body)* });
    };
    (impl { $($body:tt)* }) => {
        $crate::sql::sql_backend!(@bounds [impl<DB>] { $($body)* });
    };
    (@bounds [$($head:tt)*] { $($body:tt)* }) => {
        $($head)* $crate::sql::SqlStore<DB>
        where
            DB: $crate::sql::Dialect,
            for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
            <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
            i64: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
            String: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
            bool: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
            for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
            for<'a> Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
            Option<String>: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
            Option<i64>: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
            usize: sqlx::ColumnIndex<<DB as sqlx::Database>::Row>,
            for<'a> &'a str: sqlx::ColumnIndex<<DB as sqlx::Database>::Row>,
        {
            $($body)*
        }
    };
}
pub(crate) use sql_backend;

sql_backend! {
    impl Store {
        fn backend(&self) -> &'static str {
            DB::LABEL
        }
    }
}

/// Rows for a bulk write bound as **one** JSON array parameter and expanded in SQL by
/// [`Dialect::JSON_ROWS`] (`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL).
///
/// Why: sqlx binds each parameter of a multi-row `VALUES` separately, and on SQLite that cost
/// grows faster than the number of parameters; one text parameter costs the same for any
/// number of rows, and both engines expand it at the speed of a prepared insert. Each row is a
/// JSON array (a tuple serializes as one); read its fields as `value->>0`, `value->>1`, ...,
/// with `CAST(value->>2 AS BIGINT)` for integers.
pub(crate) struct JsonRows {
    text: String,
    rows: usize,
}

impl JsonRows {
    /// Rows per statement: bounds the text held in memory for one statement.
    pub(crate) const CHUNK: usize = 50_000;

    pub(crate) fn new() -> Self {
        Self {
            text: String::from("["),
            rows: 0,
        }
    }

    /// Appends one row (a tuple or an array).
    pub(crate) fn push(&mut self, row: &impl serde::Serialize) {
        if self.rows > 0 {
            self.text.push(',');
        }
        // Serializing plain tuples of numbers, strings and booleans cannot fail.
        if let Ok(json) = serde_json::to_string(row) {
            self.text.push_str(&json);
        }
        self.rows += 1;
    }

    /// Rows pushed so far.
    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The JSON array text, ready to bind as `$1`.
    pub(crate) fn finish(mut self) -> String {
        self.text.push(']');
        self.text
    }

    /// Splits `items` (a slice or any iterator) into chunks of at most [`Self::CHUNK`] rows,
    /// each as one JSON array, built lazily one chunk at a time; `row` pushes an item's row
    /// (a tuple: `|rows, v| rows.push(&(v.a.as_str(), v.b))`).
    pub(crate) fn chunks<I: IntoIterator>(
        items: I,
        row: impl Fn(&mut Self, I::Item),
    ) -> impl Iterator<Item = String> {
        let mut items = items.into_iter().peekable();
        std::iter::from_fn(move || {
            items.peek()?;
            let mut rows = Self::new();
            while rows.rows < Self::CHUNK {
                let Some(item) = items.next() else { break };
                row(&mut rows, item);
            }
            Some(rows.finish())
        })
    }
}

pub(crate) fn date_text(d: Date) -> String {
    d.to_string()
}

/// Maps a unique-key violation to a readable conflict.
pub(crate) fn conflict(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let what = what.into();
    move |e| match &e {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            StoreError::Conflict(what)
        }
        _ => StoreError::Database(e),
    }
}
