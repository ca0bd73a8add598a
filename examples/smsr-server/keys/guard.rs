//! The server's hold on its PKCS#11 token ([`crate::hsm::Hsm`]): an
//! operation that finds the session or the login gone
//! (`CKR_USER_NOT_LOGGED_IN`, `CKR_SESSION_HANDLE_INVALID`,
//! `CKR_SESSION_CLOSED`, a token removed: [`Failure::Unavailable`], or a
//! private key no longer visible: [`Failure::NotFound`]) fails with that
//! error — nothing falls back to memory — and the token is logged in
//! again ([`Hsm::relogin`]) at once; while logging in fails, further
//! tries wait an exponential backoff (100 ms doubling to 30 s), so an HSM
//! that is away is not hammered. The delivery core retries the failed
//! operation under its own backoff with a fresh counter.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use smsr::crypto::provider::Failure;
use smsr::crypto::{self};

use crate::hsm::Hsm;

/// The first and the longest wait between failed logins.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(30));

/// When the next login may be tried, and the wait after it fails.
struct Backoff {
    next_try: Instant,
    delay: Duration,
}

/// A logged-in token that logs in again after an outage.
pub struct Guarded {
    hsm: Hsm,
    backoff: Mutex<Backoff>,
    /// Test hook: log the session out before every N-th operation (0:
    /// never), see [`Guarded::dangerous_logout_every`].
    logout_every: u64,
    operations: AtomicU64,
}

impl Guarded {
    /// Guards `hsm`.
    pub fn new(hsm: Hsm) -> Self {
        Self {
            hsm,
            backoff: Mutex::new(Backoff {
                next_try: Instant::now(),
                delay: BACKOFF.0,
            }),
            logout_every: 0,
            operations: AtomicU64::new(0),
        }
    }

    /// For tests of an HSM that goes away mid-batch: the session is
    /// logged out before every `n`-th operation, as a token that drops
    /// its logins would. Never for production.
    #[must_use]
    pub const fn dangerous_logout_every(mut self, n: u64) -> Self {
        self.logout_every = n;
        self
    }

    /// Runs `f` on the token; on an outage, logs in again (within the
    /// backoff) and returns `f`'s error.
    ///
    /// # Errors
    /// `f`'s error.
    pub fn run<T>(
        &self,
        f: impl FnOnce(&Hsm) -> Result<T, crypto::Error>,
    ) -> Result<T, crypto::Error> {
        let n = self.operations.fetch_add(1, Ordering::Relaxed) + 1;
        if self.logout_every > 0 && n.is_multiple_of(self.logout_every) {
            tracing::warn!(operation = n, "HSM test hook: session logged out");
            if let Err(e) = self.hsm.logout() {
                tracing::warn!("HSM test hook: logout: {e}");
            }
        }
        let r = f(&self.hsm);
        if let Err(
            e @ crypto::Error::Provider {
                failure: Failure::Unavailable | Failure::NotFound,
                ..
            },
        ) = &r
        {
            tracing::warn!("HSM operation failed: {e}");
            self.recover();
        }
        r
    }

    /// Logs in again, unless a failed login asks to wait longer.
    fn recover(&self) {
        let Ok(mut b) = self.backoff.lock() else {
            tracing::error!("HSM backoff lock poisoned: no relogin");
            return;
        };
        let now = Instant::now();
        if now < b.next_try {
            return;
        }
        match self.hsm.relogin() {
            Ok(()) => {
                tracing::warn!("HSM: logged in again");
                b.delay = BACKOFF.0;
                b.next_try = now;
            }
            Err(e) => {
                b.next_try = now + b.delay;
                tracing::error!("HSM relogin failed: {e}; next try in {:?}", b.delay);
                b.delay = (b.delay * 2).min(BACKOFF.1);
            }
        }
    }
}
