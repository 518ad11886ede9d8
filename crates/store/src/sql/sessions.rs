//! Web sessions and failed sign-in counters.

use crate::sql::sql_backend;
use crate::{
    LoginFailures, NewSession, Role, SessionRecord, SessionStore, StoreError, StoreResult,
    ThrottleScope,
};

type SessionRow = (String, i64, i64, String, String, i64, Option<String>);

fn session(r: SessionRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: r.0,
        tenant_id: r.1,
        user_id: r.2,
        email: r.3,
        role: Role::parse(&r.4).ok_or_else(|| StoreError::Corrupt(format!("role {:?}", r.4)))?,
        expires_at: r.5,
        revoked_at: r.6,
    })
}

fn scope(s: &str) -> StoreResult<ThrottleScope> {
    match s {
        "account" => Ok(ThrottleScope::Account),
        "address" => Ok(ThrottleScope::Address),
        other => Err(StoreError::Corrupt(format!("throttle scope {other:?}"))),
    }
}

const INSERT_SESSION: &str = "INSERT INTO sessions (id, tenant_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";

sql_backend! {
    impl SessionStore {
        async fn create_session(&self, s: &NewSession, now: i64) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            // Keeps the table bounded: a user's dead sessions go when they sign in again.
            sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND expires_at <= $3")
                .bind(s.tenant_id)
                .bind(s.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_SESSION)
                .bind(s.id.as_str())
                .bind(s.tenant_id)
                .bind(s.user_id)
                .bind(s.created_at.as_str())
                .bind(s.expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn session(&self, id: &str) -> StoreResult<Option<SessionRecord>> {
            let row: Option<SessionRow> = sqlx::query_as(
                "SELECT s.id, s.tenant_id, s.user_id, u.email, u.role, s.expires_at, s.revoked_at \
                 FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id WHERE s.id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            row.map(session).transpose()
        }

        async fn revoke_session(&self, id: &str, now: &str) -> StoreResult<()> {
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn change_password(&self, tenant_id: i64, user_id: i64, password_hash: &str, now: &str, replacement: Option<&NewSession>) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let done: Option<(i64,)> = sqlx::query_as("UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2 RETURNING id")
                .bind(tenant_id)
                .bind(user_id)
                .bind(password_hash)
                .fetch_optional(&mut *tx)
                .await?;
            done.ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
            sqlx::query("UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL")
                .bind(tenant_id)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if let Some(s) = replacement {
                sqlx::query(INSERT_SESSION)
                    .bind(s.id.as_str())
                    .bind(s.tenant_id)
                    .bind(s.user_id)
                    .bind(s.created_at.as_str())
                    .bind(s.expires_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn login_failures(&self, keys: &[(ThrottleScope, &str)]) -> StoreResult<Vec<(ThrottleScope, String, LoginFailures)>> {
            let mut out = Vec::with_capacity(keys.len());
            for (s, key) in keys {
                let row: Option<(String, String, i64, i64)> = sqlx::query_as(
                    "SELECT scope, key, failures, last_failure_at FROM login_failures WHERE scope = $1 AND key = $2",
                )
                .bind(s.as_str())
                .bind(*key)
                .fetch_optional(&self.pool)
                .await?;
                if let Some((sc, k, failures, last_failure_at)) = row {
                    out.push((scope(&sc)?, k, LoginFailures { failures, last_failure_at }));
                }
            }
            Ok(out)
        }

        async fn record_login_failure(&self, keys: &[(ThrottleScope, &str)], now: i64, forget_before: i64) -> StoreResult<()> {
            // One statement per key: the increment happens in the database, so processes that
            // count at the same time lose no failure.
            for (s, key) in keys {
                sqlx::query(
                    "INSERT INTO login_failures (scope, key, failures, last_failure_at) VALUES ($1, $2, 1, $3) \
                     ON CONFLICT (scope, key) DO UPDATE SET \
                     failures = CASE WHEN login_failures.last_failure_at < $4 THEN 1 ELSE login_failures.failures + 1 END, \
                     last_failure_at = $3",
                )
                .bind(s.as_str())
                .bind(*key)
                .bind(now)
                .bind(forget_before)
                .execute(&self.pool)
                .await?;
            }
            Ok(())
        }

        async fn clear_login_failures(&self, s: ThrottleScope, key: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM login_failures WHERE scope = $1 AND key = $2")
                .bind(s.as_str())
                .bind(key)
                .execute(&self.pool)
                .await?;
            Ok(())
        }
    }
}
