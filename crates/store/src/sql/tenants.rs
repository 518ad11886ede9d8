//! Tenants, users and API tokens.

use crate::sql::{conflict, sql_backend};
use crate::{ApiToken, NewTenant, Role, StoreError, StoreResult, Tenant, TenantStore, User};

type TenantRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    String,
    Option<String>,
    String,
    String,
    Option<i64>,
    Option<String>,
);
const TENANT_COLUMNS: &str = "id, slug, name, time_zone, currency, sync_hour, lookback_periods, retention_days, created_at, billing_start, invoice_number_format, credit_note_number_format, activity_retention_days, history_start";

fn tenant(r: TenantRow) -> Tenant {
    Tenant {
        id: r.0,
        slug: r.1,
        name: r.2,
        time_zone: r.3,
        currency: r.4,
        sync_hour: r.5,
        lookback_periods: r.6,
        retention_days: r.7,
        created_at: r.8,
        billing_start: r.9,
        invoice_number_format: r.10,
        credit_note_number_format: r.11,
        activity_retention_days: r.12,
        history_start: r.13,
    }
}

fn role(s: &str) -> StoreResult<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("role {s:?}")))
}

type TokenRow = (i64, i64, String, String, String, Option<String>);

fn token(r: TokenRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: r.0,
        tenant_id: r.1,
        name: r.2,
        role: role(&r.3)?,
        created_at: r.4,
        revoked_at: r.5,
    })
}

sql_backend! {
    impl TenantStore {
        async fn create_tenant(&self, t: &NewTenant) -> StoreResult<Tenant> {
            let sql = format!(
                "INSERT INTO tenants (slug, name, time_zone, currency, sync_hour, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TENANT_COLUMNS}"
            );
            let row: TenantRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&t.slug)
                .bind(&t.name)
                .bind(&t.time_zone)
                .bind(&t.currency)
                .bind(t.sync_hour)
                .bind(&t.now)
                .fetch_one(&self.pool)
                .await
                .map_err(conflict(format!("tenant {:?}", t.slug)))?;
            Ok(tenant(row))
        }

        async fn tenant(&self, id: i64) -> StoreResult<Tenant> {
            let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1");
            let row: Option<TenantRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
            row.map(tenant).ok_or_else(|| StoreError::NotFound(format!("tenant {id}")))
        }

        async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Tenant> {
            let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1");
            let row: Option<TenantRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(&self.pool).await?;
            row.map(tenant).ok_or_else(|| StoreError::NotFound(format!("tenant {slug:?}")))
        }

        async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
            let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY id");
            let rows: Vec<TenantRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(tenant).collect())
        }

        async fn update_tenant(&self, t: &Tenant) -> StoreResult<Tenant> {
            let sql = format!(
                "UPDATE tenants SET name = $2, time_zone = $3, sync_hour = $4, lookback_periods = $5, retention_days = $6, \
                 invoice_number_format = $7, credit_note_number_format = $8, activity_retention_days = $9, history_start = $10 WHERE id = $1 RETURNING {TENANT_COLUMNS}"
            );
            let row: Option<TenantRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(t.id)
                .bind(t.name.as_str())
                .bind(t.time_zone.as_str())
                .bind(t.sync_hour)
                .bind(t.lookback_periods)
                .bind(t.retention_days)
                .bind(t.invoice_number_format.as_str())
                .bind(t.credit_note_number_format.as_str())
                .bind(t.activity_retention_days)
                .bind(t.history_start.as_deref())
                .fetch_optional(&self.pool)
                .await?;
            row.map(tenant).ok_or_else(|| StoreError::NotFound(format!("tenant {}", t.id)))
        }

        async fn add_user(&self, tenant_id: i64, email: &str, password_hash: &str, r: Role, now: &str) -> StoreResult<User> {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO users (tenant_id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(tenant_id)
            .bind(email)
            .bind(password_hash)
            .bind(r.as_str())
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(conflict(format!("user {email:?}")))?;
            Ok(User { id, tenant_id, email: email.to_owned(), password_hash: password_hash.to_owned(), role: r, created_at: now.to_owned() })
        }

        async fn user_by_email(&self, tenant_id: i64, email: &str) -> StoreResult<User> {
            let row: Option<(i64, String, String, String)> = sqlx::query_as(
                "SELECT id, password_hash, role, created_at FROM users WHERE tenant_id = $1 AND email = $2",
            )
            .bind(tenant_id)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
            let (id, password_hash, r, created_at) = row.ok_or_else(|| StoreError::NotFound(format!("user {email:?}")))?;
            Ok(User { id, tenant_id, email: email.to_owned(), password_hash, role: role(&r)?, created_at })
        }

        async fn create_api_token(&self, tenant_id: i64, name: &str, r: Role, token_hash: &str, now: &str) -> StoreResult<ApiToken> {
            let row: TokenRow = sqlx::query_as(
                "INSERT INTO api_tokens (tenant_id, name, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id, tenant_id, name, role, created_at, revoked_at",
            )
            .bind(tenant_id)
            .bind(name)
            .bind(r.as_str())
            .bind(token_hash)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(conflict("token"))?;
            token(row)
        }

        async fn find_api_token(&self, tenant_id: i64, token_hash: &str) -> StoreResult<Option<ApiToken>> {
            let row: Option<TokenRow> = sqlx::query_as(
                "SELECT id, tenant_id, name, role, created_at, revoked_at FROM api_tokens \
                 WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL",
            )
            .bind(tenant_id)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
            row.map(token).transpose()
        }

        async fn revoke_api_token(&self, tenant_id: i64, id: i64, now: &str) -> StoreResult<()> {
            let done: Option<(i64,)> = sqlx::query_as(
                "UPDATE api_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            done.ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
            Ok(())
        }
    }
}
