//! Which failures are worth retrying, and how long to back off.
//!
//! matrix-sdk already retries a request that gets HTTP 429 or a 5xx answer, waiting the
//! `retry_after_ms` the server asks for. It does *not* retry when the connection itself
//! fails (the homeserver is down or restarting), so our loops retry those: the sync loop
//! and the sends wait for the homeserver to answer again (`super::reachability`), the
//! login and joins back off exponentially; all honour `retry_after_ms` when the SDK gave
//! up.

use std::time::Duration;

use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::{Error, HttpError};

/// The first wait after a failure; doubled after each further failure.
const FIRST_DELAY: Duration = Duration::from_millis(500);
/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(30);

/// The wait before attempt `failures + 1`: 0.5 s, 1 s, 2 s, … up to 30 s.
pub fn backoff(failures: u32) -> Duration {
    FIRST_DELAY
        .saturating_mul(2u32.saturating_pow(failures.min(16)))
        .min(MAX_DELAY)
}

/// The wait before retrying after `error`: the server's `retry_after_ms` when it sent
/// one (HTTP 429), else the back-off for the number of `failures` so far.
pub fn delay_after(error: &Error, failures: u32) -> Duration {
    retry_after(error).unwrap_or_else(|| backoff(failures))
}

/// The delay a `M_LIMIT_EXCEEDED` answer asked for.
pub fn retry_after(error: &Error) -> Option<Duration> {
    match error.client_api_error_kind()? {
        ErrorKind::LimitExceeded(data) => match data.retry_after.as_ref()? {
            RetryAfter::Delay(delay) => Some(*delay),
            RetryAfter::DateTime(at) => at.duration_since(std::time::SystemTime::now()).ok(),
        },
        _ => None,
    }
}

/// Whether trying again later may succeed: the connection failed, the server was
/// overloaded or restarting (5xx), or it rate-limited us (429).
pub fn is_transient(error: &Error) -> bool {
    if let Some(api) = error.as_client_api_error() {
        let status = api.status_code.as_u16();
        return status == 429 || status >= 500;
    }
    match error {
        Error::Http(http) => matches!(**http, HttpError::Reqwest(_)),
        _ => false,
    }
}

/// Whether the homeserver no longer accepts our access token (logged out elsewhere).
pub fn is_unknown_token(error: &Error) -> bool {
    matches!(
        error.client_api_error_kind(),
        Some(ErrorKind::UnknownToken(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(10), MAX_DELAY);
        assert_eq!(backoff(u32::MAX), MAX_DELAY);
    }
}
