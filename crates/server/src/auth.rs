//! Who is calling: a module (module key) or a person or script of a tenant (API token).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use unitbill_engine::EngineError;
use unitbill_store::{ApiToken, ModuleKey, Role};

use crate::AppState;
use crate::problem::Problem;

fn bearer(parts: &Parts) -> Result<&str, Problem> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| Problem::from(EngineError::Unauthorized))
}

/// A request signed with a module key.
pub struct ModuleCaller(pub ModuleKey);

impl FromRequestParts<AppState> for ModuleCaller {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let secret = bearer(parts)?;
        Ok(Self(state.engine.authenticate_module_key(secret).await?))
    }
}

/// A request signed with a tenant's API token.
pub struct TenantCaller(pub ApiToken);

impl TenantCaller {
    pub fn tenant_id(&self) -> i64 {
        self.0.tenant_id
    }

    /// Refuses callers whose role is below `role`.
    pub fn require(&self, role: Role) -> Result<(), Problem> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(EngineError::Forbidden(format!("this needs the {} role", role.as_str())).into())
        }
    }
}

impl FromRequestParts<AppState> for TenantCaller {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let secret = bearer(parts)?;
        Ok(Self(state.engine.authenticate_api_token(secret).await?))
    }
}
