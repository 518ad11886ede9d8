//! The engine's notion of now. Production reads the system clock; `serve --test-clock` and the
//! golden tests set it, as billing engines' test modes do, so months can pass in a test.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

/// A clock that is either the system's or one set by hand.
#[derive(Clone, Debug)]
pub struct Clock {
    fixed: Option<Arc<Mutex<Timestamp>>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A test clock starting at `now`.
    pub fn test(now: Timestamp) -> Self {
        Self {
            fixed: Some(Arc::new(Mutex::new(now))),
        }
    }

    pub fn is_test(&self) -> bool {
        self.fixed.is_some()
    }

    pub fn now(&self) -> Timestamp {
        match &self.fixed {
            Some(t) => *t.lock().expect("clock lock"),
            None => Timestamp::now(),
        }
    }

    /// Moves a test clock; refused on the system clock.
    pub fn set(&self, now: Timestamp) -> Result<(), &'static str> {
        match &self.fixed {
            Some(t) => {
                *t.lock().expect("clock lock") = now;
                Ok(())
            }
            None => Err("the clock can be set only when the server runs with --test-clock"),
        }
    }
}
