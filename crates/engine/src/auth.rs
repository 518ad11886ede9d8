//! Credentials: passwords (argon2), API tokens and module keys (random secrets stored as
//! SHA-256 hashes, shown once).
//!
//! A token or key carries its tenant id in clear (`ubm_12_<secret>`), so it is looked up by
//! (tenant, hash): every lookup stays inside one tenant, as every table is keyed by tenant.
//! The secret has 256 bits of entropy, so a fast hash is right for it; argon2 is for
//! passwords, which people choose.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sha2::{Digest, Sha256};
use unitbill_store::{ApiToken, ModuleKey, Role};

use crate::{Engine, EngineError, EngineResult};

const MODULE_KEY_PREFIX: &str = "ubm";
const API_TOKEN_PREFIX: &str = "ubt";

/// The shortest password accepted, in characters (NIST SP 800-63B asks for at least 8; a
/// sign-in that guards invoices and payment data asks for more).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The vendored list of common passwords (see the file's header), lowercased at first use.
static COMMON_PASSWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
});

/// Refuses a password that is short, blank or common, naming the field `password`.
///
/// Nothing is trimmed: spaces count as characters, as people type them. A password is common
/// when it is on the list, or is a word of the list padded with digits and symbols at its end
/// (`football1234!`), which is how people make a listed word long enough.
pub fn check_password_policy(password: &str) -> EngineResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(EngineError::field(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.chars().all(char::is_whitespace) {
        return Err(EngineError::field("password", "must not be only spaces"));
    }
    let lower = password.to_lowercase();
    let base = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let padded_word = base.len() >= 4 && base != lower && COMMON_PASSWORDS.contains(base);
    if COMMON_PASSWORDS.contains(&lower) || padded_word {
        return Err(EngineError::field(
            "password",
            "is too common; choose a longer phrase of your own",
        ));
    }
    Ok(())
}

pub(crate) fn hash_password(password: &str) -> EngineResult<String> {
    check_password_policy(password)?;
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| EngineError::field("password", e.to_string()))?;
    Ok(hash.to_string())
}

/// A hash of a password nobody knows, made once with the same parameters as real ones: a
/// sign-in for an unknown tenant or email verifies against it, so it costs what a known one
/// costs and its timing does not tell which accounts exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    Argon2::default()
        .hash_password(hex::encode(secret).as_bytes())
        .map(|h| h.to_string())
        .expect("argon2 hashes any input")
});

pub(crate) fn dummy_hash() -> &'static str {
    &DUMMY_HASH
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

pub(crate) fn secret_hash(secret: &str) -> String {
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
        assert!(!verify_password("correct horse", dummy_hash()));
    }

    fn refusal(password: &str) -> Option<String> {
        match check_password_policy(password) {
            Ok(()) => None,
            Err(EngineError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "password");
                Some(errors[0].message.clone())
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn weak_passwords_are_refused_by_name() {
        for weak in [
            "short",
            "password",
            "        ",
            "            ",
            "\t\t\t\t\t\t\t\t\t\t\t\t",
            "eleven char",
            "password1234",
            "PassWord1234",
            "QWERTYUIOP123",
            "football1234!",
            "Liverpool2024!!",
            "123456789012",
            "correct horse battery staple",
        ] {
            assert!(refusal(weak).is_some(), "{weak:?} should be refused");
        }
        for fine in [
            "a long password",
            "demo-password",
            "correct horse",
            "Velvet-Kayak-Orbit-42",
            "football on a rainy tuesday",
        ] {
            assert_eq!(refusal(fine), None, "{fine:?} should pass");
        }
    }
}
