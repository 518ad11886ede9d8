//! The open period and the default effective date (DESIGN.md, "open period").

use jiff::civil::Date;

use crate::{Engine, EngineResult};

/// The start of history: before any invoice run, undated changes count for all days.
pub const HISTORY_START: Date = Date::constant(1900, 1, 1);

impl Engine {
    /// The first day of the open period. No invoice run can exist yet in this version (invoice
    /// runs arrive with the invoicing issue), so the open period reaches back to the start of
    /// history, as DESIGN.md says for a tenant before its first run.
    pub async fn default_effective_date(&self, _tenant_id: i64) -> EngineResult<Date> {
        Ok(HISTORY_START)
    }

    /// Whether a contract has posted invoice lines (its timing is then fixed). Without invoice
    /// runs nothing is posted yet.
    pub(crate) async fn contract_has_posted_lines(
        &self,
        _tenant_id: i64,
        _contract_id: i64,
    ) -> EngineResult<bool> {
        Ok(false)
    }

    /// Records that units from `from` on must be recomputed by the next sync.
    pub(crate) async fn mark_resync_from(
        &self,
        _tenant_id: i64,
        _from: Option<Date>,
    ) -> EngineResult<()> {
        Ok(())
    }
}
