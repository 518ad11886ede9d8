//! The open period and the default effective date (DESIGN.md, "open period").

use jiff::civil::Date;
use unitbill_domain::period::Period;

use crate::{Engine, EngineError, EngineResult};

/// The start of history: before any invoice run, undated changes count for all days.
pub const HISTORY_START: Date = Date::constant(1900, 1, 1);

impl Engine {
    /// The period being worked on: the earliest run that still has drafts; when every run is
    /// posted, the month after the latest run; None before the first run.
    pub async fn open_period(&self, tenant_id: i64) -> EngineResult<Option<Period>> {
        let runs = self.store.invoice_runs(tenant_id).await?;
        let Some(latest) = runs.last() else {
            return Ok(None);
        };
        let docs = self.store.documents(tenant_id, None, None).await?;
        let with_drafts = runs
            .iter()
            .find(|r| docs.iter().any(|d| d.is_draft() && &d.period == *r));
        let parse = |s: &str| {
            Period::parse(s)
                .map_err(|e| EngineError::Conflict(format!("stored run period {s:?}: {e}")))
        };
        Ok(Some(match with_drafts {
            Some(r) => parse(r)?,
            None => parse(latest)?.next(),
        }))
    }

    /// The first day of the open period (the start of history before any run): a change made
    /// during month-end review counts for the month under review, and nothing posted changes.
    pub async fn default_effective_date(&self, tenant_id: i64) -> EngineResult<Date> {
        Ok(self
            .open_period(tenant_id)
            .await?
            .map_or(HISTORY_START, Period::first_day))
    }

    /// Whether a contract has posted invoice lines (its timing is then fixed).
    pub(crate) async fn contract_has_posted_lines(
        &self,
        tenant_id: i64,
        contract_id: i64,
    ) -> EngineResult<bool> {
        let lines = self
            .store
            .posted_lines(tenant_id, "0000-00", "9999-99")
            .await?;
        Ok(lines
            .iter()
            .any(|p| p.line.contract_id == Some(contract_id)))
    }
}
