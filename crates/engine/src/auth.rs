//! Credentials: passwords (argon2), API tokens and module keys (random secrets stored as
//! SHA-256 hashes, shown once).
//!
//! A token or key carries its tenant id in clear (`ubm_12_<secret>`), so it is looked up by
//! (tenant, hash): every lookup stays inside one tenant, as every table is keyed by tenant.
//! The secret has 256 bits of entropy, so a fast hash is right for it; argon2 is for
//! passwords, which people choose.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sha2::{Digest, Sha256};
use unitbill_store::{ApiToken, ModuleKey, Role};

use crate::{Engine, EngineError, EngineResult};

const MODULE_KEY_PREFIX: &str = "ubm";
const API_TOKEN_PREFIX: &str = "ubt";

pub(crate) fn hash_password(password: &str) -> EngineResult<String> {
    if password.chars().count() < 8 {
        return Err(EngineError::field(
            "password",
            "must be at least 8 characters",
        ));
    }
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| EngineError::field("password", e.to_string()))?;
    Ok(hash.to_string())
}

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn new_secret(prefix: &str, tenant_id: i64) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{prefix}_{tenant_id}_{}", hex::encode(bytes));
    let hash = secret_hash(&secret);
    (secret, hash)
}

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The tenant id a presented secret claims, if it has the given prefix.
fn claimed_tenant(prefix: &str, secret: &str) -> Option<i64> {
    let rest = secret.strip_prefix(prefix)?.strip_prefix('_')?;
    let (tenant, _) = rest.split_once('_')?;
    tenant.parse().ok()
}

/// A secret shown once, with what it grants.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedSecret<T> {
    pub secret: String,
    #[serde(flatten)]
    pub record: T,
}

impl Engine {
    /// Issues a module key for a connected module.
    pub async fn issue_module_key(
        &self,
        tenant_id: i64,
        module_code: &str,
    ) -> EngineResult<IssuedSecret<ModuleKey>> {
        let (secret, hash) = new_secret(MODULE_KEY_PREFIX, tenant_id);
        let record = self
            .store
            .create_module_key(tenant_id, module_code, &hash, &self.now_text())
            .await?;
        Ok(IssuedSecret { secret, record })
    }

    /// The module key a bearer secret names, if it is valid and not revoked.
    pub async fn authenticate_module_key(&self, secret: &str) -> EngineResult<ModuleKey> {
        let tenant_id =
            claimed_tenant(MODULE_KEY_PREFIX, secret).ok_or(EngineError::Unauthorized)?;
        self.store
            .find_module_key(tenant_id, &secret_hash(secret))
            .await?
            .ok_or(EngineError::Unauthorized)
    }

    pub async fn issue_api_token(
        &self,
        tenant_id: i64,
        name: &str,
        role: Role,
    ) -> EngineResult<IssuedSecret<ApiToken>> {
        if name.trim().is_empty() {
            return Err(EngineError::field("name", "must not be empty"));
        }
        let (secret, hash) = new_secret(API_TOKEN_PREFIX, tenant_id);
        let record = self
            .store
            .create_api_token(tenant_id, name.trim(), role, &hash, &self.now_text())
            .await?;
        Ok(IssuedSecret { secret, record })
    }

    pub async fn authenticate_api_token(&self, secret: &str) -> EngineResult<ApiToken> {
        let tenant_id =
            claimed_tenant(API_TOKEN_PREFIX, secret).ok_or(EngineError::Unauthorized)?;
        self.store
            .find_api_token(tenant_id, &secret_hash(secret))
            .await?
            .ok_or(EngineError::Unauthorized)
    }

    /// Checks a password login; the same error whether the user or the password is wrong.
    pub async fn login(
        &self,
        tenant_slug: &str,
        email: &str,
        password: &str,
    ) -> EngineResult<unitbill_store::User> {
        let tenant = self
            .store
            .tenant_by_slug(tenant_slug)
            .await
            .map_err(|_| EngineError::Unauthorized)?;
        let user = self
            .store
            .user_by_email(tenant.id, &email.trim().to_lowercase())
            .await
            .map_err(|_| EngineError::Unauthorized)?;
        if verify_password(password, &user.password_hash) {
            Ok(user)
        } else {
            Err(EngineError::Unauthorized)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_name_their_tenant_and_hash_stably() {
        let (secret, hash) = new_secret(MODULE_KEY_PREFIX, 42);
        assert_eq!(claimed_tenant(MODULE_KEY_PREFIX, &secret), Some(42));
        assert_eq!(claimed_tenant(API_TOKEN_PREFIX, &secret), None);
        assert_eq!(secret_hash(&secret), hash);
        assert_eq!(claimed_tenant(MODULE_KEY_PREFIX, "ubm_x_y"), None);
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse!", &h));
        assert!(hash_password("short").is_err());
    }
}
