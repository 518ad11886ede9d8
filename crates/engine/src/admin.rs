//! Administrative writes the edge makes directly: revoking credentials, asking for a resync.

use jiff::civil::Date;

use crate::{Engine, EngineResult};

impl Engine {
    /// Revokes a module key: the module can no longer push usage with it.
    pub async fn revoke_module_key(&self, tenant_id: i64, id: i64) -> EngineResult<()> {
        Ok(self
            .store
            .revoke_module_key(tenant_id, id, &self.now_text())
            .await?)
    }

    /// Revokes an API token.
    pub async fn revoke_api_token(&self, tenant_id: i64, id: i64) -> EngineResult<()> {
        Ok(self
            .store
            .revoke_api_token(tenant_id, id, &self.now_text())
            .await?)
    }

    /// Marks the unit history from `from` on to be recomputed by the next sync.
    pub async fn resync_from(&self, tenant_id: i64, from: Date) -> EngineResult<()> {
        Ok(self.store.mark_resync_from(tenant_id, from).await?)
    }
}
