//! Insight decisions and recorded insights.

use jiff::civil::Date;

use crate::sql::sql_backend;
use crate::{InsightStore, RecordedInsight, StoreError, StoreResult};

sql_backend! {
    impl InsightStore {
        async fn set_insight_status(&self, tenant_id: i64, key: &str, status: Option<&str>, by: &str, now: &str) -> StoreResult<()> {
            match status {
                Some(status) => {
                    sqlx::query(
                        "INSERT INTO insight_states (tenant_id, insight_key, status, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (tenant_id, insight_key) DO UPDATE SET status = excluded.status, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                    )
                    .bind(tenant_id)
                    .bind(key)
                    .bind(status)
                    .bind(by)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM insight_states WHERE tenant_id = $1 AND insight_key = $2").bind(tenant_id).bind(key).execute(&self.pool).await?;
                }
            }
            Ok(())
        }

        async fn insight_statuses(&self, tenant_id: i64) -> StoreResult<Vec<(String, String)>> {
            Ok(sqlx::query_as("SELECT insight_key, status FROM insight_states WHERE tenant_id = $1").bind(tenant_id).fetch_all(&self.pool).await?)
        }

        async fn record_insight(&self, tenant_id: i64, i: &RecordedInsight) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO recorded_insights (tenant_id, insight_key, kind, title, detail, amount, company_id, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, insight_key) DO UPDATE SET \
                 title = excluded.title, detail = excluded.detail, amount = excluded.amount, recorded_at = excluded.recorded_at",
            )
            .bind(tenant_id)
            .bind(i.key.as_str())
            .bind(i.kind.as_str())
            .bind(i.title.as_str())
            .bind(i.detail.as_str())
            .bind(i.amount.clone())
            .bind(i.company_id)
            .bind(i.recorded_at.as_str())
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn recorded_insights(&self, tenant_id: i64) -> StoreResult<Vec<RecordedInsight>> {
            let rows: Vec<(String, String, String, String, Option<String>, Option<i64>, String)> = sqlx::query_as(
                "SELECT insight_key, kind, title, detail, amount, company_id, recorded_at FROM recorded_insights WHERE tenant_id = $1 ORDER BY recorded_at, insight_key",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|r| RecordedInsight { key: r.0, kind: r.1, title: r.2, detail: r.3, amount: r.4, company_id: r.5, recorded_at: r.6 })
                .collect())
        }

        async fn last_snapshot_days(&self, tenant_id: i64) -> StoreResult<Vec<(String, Date)>> {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT module_code, MAX(usage_date) FROM snapshots WHERE tenant_id = $1 GROUP BY module_code ORDER BY module_code")
                    .bind(tenant_id)
                    .fetch_all(&self.pool)
                    .await?;
            rows.into_iter()
                .map(|(m, d)| Ok((m, d.parse().map_err(|_| StoreError::Corrupt(format!("date {d:?}")))?)))
                .collect()
        }
    }
}
