//! Telling systemd what the daemon is doing (`Type=notify`): ready once the store is open and
//! the listener bound, reloading while SIGHUP is handled, stopping at shutdown, and alive, at
//! half the unit's `WatchdogSec`, from inside the scheduler loop so that a stuck loop stops
//! the pings and lets systemd restart the service.
//!
//! Every call is a no-op outside systemd (no `NOTIFY_SOCKET`), and a failed send is logged,
//! never fatal: the daemon's work does not depend on its supervisor.

use std::time::Duration;

use sd_notify::NotifyState;

fn send(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "cannot notify systemd (NOTIFY_SOCKET)");
    }
}

/// READY=1: the store is open and the endpoint accepts connections (also after a reload).
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// RELOADING=1: the config is being re-read (followed by [`ready`]).
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(_) => send(&[NotifyState::Reloading]),
    }
}

/// STOPPING=1: shutdown has begun.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

/// WATCHDOG=1: the scheduler loop is alive.
pub fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// How often to send [`watchdog`]: half of `WATCHDOG_USEC`, if systemd asked for pings.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
        .filter(|d| !d.is_zero())
        .map(|d| d / 2)
}
