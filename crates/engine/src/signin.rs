//! Signing in to the web UI: throttled password checks, server-side sessions, password changes.
//!
//! Failed sign-ins are counted in the database per account (tenant slug and email as typed,
//! whether or not they exist) and per client address, so every process sharing the database
//! agrees. After [`Limits::delay_after`] failures a key must wait a growing delay before its
//! next attempt; after [`Limits::lockout_after`] it is locked for [`Limits::lockout_seconds`].
//! A refused attempt verifies nothing and counts nothing. A success forgets the account's
//! failures but not the address's, so signing in to one's own account between guesses at
//! others does not reset an attacker's address.
//!
//! A session is a random 256-bit secret in the cookie; the store keeps only its SHA-256, with
//! the user, the expiry and whether it was revoked. Signing out revokes it; a password change
//! revokes every session of the user and re-issues the one that made the change.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngCore;
use unitbill_domain::text::MAX_TEXT_CHARS;
use unitbill_store::{LoginFailures, NewSession, SessionRecord, ThrottleScope, User};

use crate::auth::{dummy_hash, hash_password, secret_hash, verify_password};
use crate::{Engine, EngineError, EngineResult};

/// How long a sign-in lasts.
pub const SESSION_SECONDS: i64 = 12 * 60 * 60;

/// When one key (an account or an address) must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures allowed without delay; each one after waits twice as long as the last.
    pub delay_after: i64,
    /// Failures after which the key is locked out.
    pub lockout_after: i64,
    /// How long a lockout lasts; failures older than this are forgotten.
    pub lockout_seconds: i64,
}

impl Limits {
    /// The delay after the first failure past `delay_after`; it doubles with each one.
    const FIRST_DELAY_SECONDS: i64 = 2;

    /// Seconds the key must still wait at `now`, if any.
    pub fn wait(&self, f: LoginFailures, now: i64) -> Option<i64> {
        if f.failures < self.delay_after || now - f.last_failure_at >= self.lockout_seconds {
            return None;
        }
        let until = if f.failures >= self.lockout_after {
            f.last_failure_at + self.lockout_seconds
        } else {
            let doublings = u32::try_from(f.failures - self.delay_after).unwrap_or(u32::MAX);
            let delay = Self::FIRST_DELAY_SECONDS
                .saturating_mul(2i64.saturating_pow(doublings))
                .min(self.lockout_seconds);
            f.last_failure_at + delay
        };
        (until > now).then_some(until - now)
    }
}

/// The limits for accounts and for client addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub account: Limits,
    /// Looser than the account's: one address can be a whole office behind one NAT.
    pub address: Limits,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account: Limits {
                delay_after: 5,
                lockout_after: 10,
                lockout_seconds: 15 * 60,
            },
            address: Limits {
                delay_after: 20,
                lockout_after: 50,
                lockout_seconds: 15 * 60,
            },
        }
    }
}

/// What the engine keeps for sign-in: its policy, and a count of password verifications
/// (real or against the dummy hash), which shows that unknown users cost the same work.
#[derive(Debug, Default)]
pub(crate) struct SignInState {
    pub policy: ThrottlePolicy,
    verifications: AtomicU64,
}

impl SignInState {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            verifications: AtomicU64::new(0),
        }
    }
}

/// A sign-in attempt as the form sent it.
#[derive(Debug, Clone, Copy)]
pub struct SignInAttempt<'a> {
    pub tenant: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    /// The client's address, when the server knows it.
    pub client: Option<IpAddr>,
}

/// Why a sign-in did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The tenant, email or password is wrong (which one is not said).
    #[error("the organization, email or password is not right")]
    Refused,
    /// Too many failures for this account or address: try again after this many seconds.
    #[error("too many failed sign-ins; try again in {retry_after} seconds")]
    Throttled { retry_after: i64 },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<unitbill_store::StoreError> for SignInError {
    fn from(e: unitbill_store::StoreError) -> Self {
        Self::Engine(e.into())
    }
}

/// A new session: the secret for the cookie (shown once) and what it signs in.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub secret: String,
    pub session: SessionRecord,
}

/// The throttle key of an account as typed. Control characters (which no account holds and
/// PostgreSQL cannot store) become U+FFFD and the key is bounded, so any typing is counted.
fn account_key(tenant: &str, email: &str) -> String {
    format!(
        "{}|{}",
        tenant.trim().to_lowercase(),
        email.trim().to_lowercase()
    )
    .chars()
    .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
    .take(2 * MAX_TEXT_CHARS + 1)
    .collect()
}

/// Whether a typed tenant or email could name an account at all (the domain's text rule).
fn could_name_an_account(text: &str) -> bool {
    unitbill_domain::text::is_plain(text)
}

fn new_session_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A cookie value that could be a session secret (64 hex digits): others are refused unread.
fn well_formed(secret: &str) -> bool {
    secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Engine {
    /// Uses `policy` for sign-in throttling instead of the default.
    pub fn with_throttle_policy(mut self, policy: ThrottlePolicy) -> Self {
        self.signin = std::sync::Arc::new(SignInState::new(policy));
        self
    }

    /// The throttling policy in force.
    pub fn throttle_policy(&self) -> ThrottlePolicy {
        self.signin.policy
    }

    /// How many passwords this engine has verified, against real or dummy hashes.
    pub fn password_verifications(&self) -> u64 {
        self.signin.verifications.load(Ordering::Relaxed)
    }

    fn verify_counted(&self, password: &str, hash: &str) -> bool {
        self.signin.verifications.fetch_add(1, Ordering::Relaxed);
        verify_password(password, hash)
    }

    fn now_seconds(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// The longest wait any of the keys must still sit out.
    async fn throttle_wait(&self, keys: &[(ThrottleScope, &str)]) -> EngineResult<Option<i64>> {
        let now = self.now_seconds();
        let policy = self.signin.policy;
        let found = self.store.login_failures(keys).await?;
        Ok(found
            .into_iter()
            .filter_map(|(scope, _, f)| match scope {
                ThrottleScope::Account => policy.account.wait(f, now),
                ThrottleScope::Address => policy.address.wait(f, now),
            })
            .max())
    }

    async fn count_failure(&self, keys: &[(ThrottleScope, &str)]) -> EngineResult<()> {
        let now = self.now_seconds();
        let window = self
            .signin
            .policy
            .account
            .lockout_seconds
            .max(self.signin.policy.address.lockout_seconds);
        self.store
            .record_login_failure(keys, now, now - window)
            .await?;
        Ok(())
    }

    /// The user a tenant slug and email name, if both exist.
    async fn find_user(&self, tenant: &str, email: &str) -> EngineResult<Option<User>> {
        if !could_name_an_account(tenant) || !could_name_an_account(email) {
            return Ok(None);
        }
        let tenant = match self.store.tenant_by_slug(tenant.trim()).await {
            Ok(t) => t,
            Err(unitbill_store::StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match self
            .store
            .user_by_email(tenant.id, &email.trim().to_lowercase())
            .await
        {
            Ok(u) => Ok(Some(u)),
            Err(unitbill_store::StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks a password sign-in under the throttle and opens a session.
    ///
    /// Every attempt that is not throttled verifies one argon2 hash, the user's or a dummy
    /// one, so known and unknown accounts cost the same and answer alike.
    pub async fn sign_in(&self, a: SignInAttempt<'_>) -> Result<IssuedSession, SignInError> {
        let account = account_key(a.tenant, a.email);
        let address = a.client.map(|ip| ip.to_string());
        let mut keys = vec![(ThrottleScope::Account, account.as_str())];
        if let Some(addr) = &address {
            keys.push((ThrottleScope::Address, addr.as_str()));
        }
        if let Some(retry_after) = self.throttle_wait(&keys).await? {
            return Err(SignInError::Throttled { retry_after });
        }
        let user = self.find_user(a.tenant, a.email).await?;
        let hash = user
            .as_ref()
            .map_or(dummy_hash(), |u| u.password_hash.as_str());
        let verified = self.verify_counted(a.password, hash);
        match user {
            Some(user) if verified => {
                self.store
                    .clear_login_failures(ThrottleScope::Account, &account)
                    .await?;
                Ok(self.open_session(&user).await?)
            }
            _ => {
                self.count_failure(&keys).await?;
                Err(SignInError::Refused)
            }
        }
    }

    fn new_session(&self, tenant_id: i64, user_id: i64) -> (String, NewSession) {
        let secret = new_session_secret();
        let record = NewSession {
            id: secret_hash(&secret),
            tenant_id,
            user_id,
            created_at: self.now_text(),
            expires_at: self.now_seconds() + SESSION_SECONDS,
        };
        (secret, record)
    }

    async fn open_session(&self, user: &User) -> EngineResult<IssuedSession> {
        let (secret, new) = self.new_session(user.tenant_id, user.id);
        self.store.create_session(&new, self.now_seconds()).await?;
        Ok(IssuedSession {
            secret,
            session: SessionRecord {
                id: new.id,
                tenant_id: user.tenant_id,
                user_id: user.id,
                email: user.email.clone(),
                role: user.role,
                expires_at: new.expires_at,
                revoked_at: None,
            },
        })
    }

    /// The live session a cookie's secret names: stored, not revoked, not expired.
    pub async fn session(&self, secret: &str) -> EngineResult<Option<SessionRecord>> {
        if !well_formed(secret) {
            return Ok(None);
        }
        let now = self.now_seconds();
        Ok(self
            .store
            .session(&secret_hash(secret))
            .await?
            .filter(|s| s.revoked_at.is_none() && s.expires_at > now))
    }

    /// Revokes the session a cookie's secret names (signing out); unknown secrets do nothing.
    pub async fn sign_out(&self, secret: &str) -> EngineResult<()> {
        if well_formed(secret) {
            self.store
                .revoke_session(&secret_hash(secret), &self.now_text())
                .await?;
        }
        Ok(())
    }

    /// Changes a signed-in user's password (the session's tenant and email) after checking the
    /// current one (under the account throttle); revokes every session of the user and returns the secret of the one that
    /// replaces the caller's. Refusals name `current_password` or `new_password`.
    pub async fn change_password(
        &self,
        tenant_id: i64,
        email: &str,
        current: &str,
        new: &str,
    ) -> Result<String, SignInError> {
        let tenant = self.store.tenant(tenant_id).await?;
        let account = account_key(&tenant.slug, email);
        let keys = [(ThrottleScope::Account, account.as_str())];
        if let Some(retry_after) = self.throttle_wait(&keys).await? {
            return Err(SignInError::Throttled { retry_after });
        }
        let user = self.store.user_by_email(tenant.id, email).await?;
        if !self.verify_counted(current, &user.password_hash) {
            self.count_failure(&keys).await?;
            return Err(EngineError::field("current_password", "is not right").into());
        }
        let hash = hash_password(new).map_err(|e| rename_field(e, "new_password"))?;
        let (secret, replacement) = self.new_session(tenant.id, user.id);
        self.store
            .change_password(
                tenant.id,
                user.id,
                &hash,
                &self.now_text(),
                Some(&replacement),
            )
            .await?;
        Ok(secret)
    }

    /// Sets a user's password (the operator's CLI) and revokes every session of the user.
    pub async fn set_password(&self, tenant_id: i64, email: &str, new: &str) -> EngineResult<()> {
        let user = self
            .store
            .user_by_email(tenant_id, &email.trim().to_lowercase())
            .await?;
        let hash = hash_password(new)?;
        self.store
            .change_password(tenant_id, user.id, &hash, &self.now_text(), None)
            .await?;
        Ok(())
    }
}

/// The same refusal, naming the form's field instead of `password`.
fn rename_field(e: EngineError, field: &str) -> EngineError {
    match e {
        EngineError::Invalid(mut list) => {
            for fe in &mut list {
                fe.field = field.to_owned();
            }
            EngineError::Invalid(list)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(failures: i64, last_failure_at: i64) -> LoginFailures {
        LoginFailures {
            failures,
            last_failure_at,
        }
    }

    #[test]
    fn delays_grow_then_lock_out_then_expire() {
        let l = ThrottlePolicy::default().account;
        assert_eq!(l.wait(failures(4, 100), 100), None, "under the threshold");
        assert_eq!(l.wait(failures(5, 100), 100), Some(2));
        assert_eq!(l.wait(failures(5, 100), 102), None, "the delay has passed");
        assert_eq!(l.wait(failures(6, 100), 100), Some(4));
        assert_eq!(l.wait(failures(9, 100), 101), Some(31));
        assert_eq!(l.wait(failures(10, 100), 100), Some(900), "locked out");
        assert_eq!(l.wait(failures(10, 100), 999), Some(1));
        assert_eq!(
            l.wait(failures(10, 100), 1000),
            None,
            "the lockout has ended"
        );
        assert_eq!(l.wait(failures(500, 100), 100), Some(900));
    }

    #[test]
    fn accounts_are_keyed_as_typed_and_secrets_are_checked_before_lookup() {
        assert_eq!(
            account_key(" Acme-MSP ", "Ann@Acme.example "),
            "acme-msp|ann@acme.example"
        );
        let secret = new_session_secret();
        assert!(well_formed(&secret));
        assert!(!well_formed("abc"));
        assert!(!well_formed(&format!("{}g", &secret[1..])));
    }
}
