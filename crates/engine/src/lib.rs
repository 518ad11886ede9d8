//! The use cases of unitbill, in one place: set up tenants and keys, ingest usage, map,
//! sync, invoice, post, pay, export. Each use case validates with the domain's rules, then
//! calls the store, whose operations are transactional. The HTTP edge and the CLI both call
//! these and nothing else.

mod admin;
pub mod auth;
mod bulk;
mod clock;
pub mod exports;
pub mod import;
pub mod ingest;
pub mod insights;
pub mod invoicing;
pub mod mapping;
mod periods;
pub mod setup;
pub mod signin;
pub mod sync;
pub mod tenants;
mod views;

use std::sync::Arc;

pub use clock::Clock;
use unitbill_domain::catalog::Catalog;
use unitbill_domain::usage::FieldError;
use unitbill_store::{Store, StoreError};

/// Why a use case refused or failed. The HTTP edge maps each kind to one status.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request is malformed; each error names its field.
    #[error("invalid request: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is well-formed but conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("missing or unknown credentials")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            other => Self::Store(other),
        }
    }
}

impl EngineError {
    /// A refusal of one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

pub type EngineResult<T> = Result<T, EngineError>;

/// The use cases, over one store. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    pub clock: Clock,
    /// Sign-in throttling policy and counters; shared by clones.
    signin: Arc<signin::SignInState>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, catalog: Catalog, clock: Clock) -> Self {
        Self {
            store,
            catalog: Arc::new(catalog),
            clock,
            signin: Arc::new(signin::SignInState::new(signin::ThrottlePolicy::default())),
        }
    }

    /// Now, as the store records it (RFC 3339, UTC).
    pub(crate) fn now_text(&self) -> String {
        self.clock.now().to_string()
    }
}
