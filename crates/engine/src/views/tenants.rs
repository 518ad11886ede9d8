//! Views of tenants and their users.

use unitbill_store::{Tenant, User};

use crate::{Engine, EngineResult};

impl Engine {
    /// The storage backend's name (`sqlite` or `postgres`), for logs.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// One tenant by id.
    pub async fn tenant(&self, tenant_id: i64) -> EngineResult<Tenant> {
        Ok(self.store.tenant(tenant_id).await?)
    }

    /// One tenant by slug.
    pub async fn tenant_by_slug(&self, slug: &str) -> EngineResult<Tenant> {
        Ok(self.store.tenant_by_slug(slug).await?)
    }

    /// Every tenant.
    pub async fn tenants(&self) -> EngineResult<Vec<Tenant>> {
        Ok(self.store.tenants().await?)
    }

    /// A tenant's user by email (as stored: trimmed and lowercase).
    pub async fn user_by_email(&self, tenant_id: i64, email: &str) -> EngineResult<User> {
        Ok(self.store.user_by_email(tenant_id, email).await?)
    }
}
