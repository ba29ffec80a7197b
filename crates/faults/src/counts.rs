//! What the proxy saw and did: connections, requests and faults by kind.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::FaultKind;

/// A snapshot of the proxy's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Client connections accepted.
    pub connections: u64,
    /// HTTP requests read from clients (faulted or not).
    pub requests: u64,
    /// Faults injected, indexed like [`FaultKind::ALL`]. A fault counts once it happened on the
    /// wire (a response cut counts when the cut is made).
    faults: [u64; 6],
}

impl FaultCounts {
    /// Faults of one kind.
    pub fn get(&self, kind: FaultKind) -> u64 {
        self.faults[kind.index()]
    }

    /// Faults of every kind.
    pub fn total(&self) -> u64 {
        self.faults.iter().sum()
    }

    /// Adds another snapshot (for totals over several runs).
    pub fn add(&mut self, other: &FaultCounts) {
        self.connections += other.connections;
        self.requests += other.requests;
        for (mine, theirs) in self.faults.iter_mut().zip(other.faults) {
            *mine += theirs;
        }
    }

    /// The difference since an earlier snapshot of the same proxy.
    pub fn since(&self, earlier: &FaultCounts) -> FaultCounts {
        let mut faults = [0; 6];
        for (i, f) in faults.iter_mut().enumerate() {
            *f = self.faults[i].saturating_sub(earlier.faults[i]);
        }
        FaultCounts {
            connections: self.connections.saturating_sub(earlier.connections),
            requests: self.requests.saturating_sub(earlier.requests),
            faults,
        }
    }
}

impl fmt::Display for FaultCounts {
    /// `12 faults in 140 requests (35 connections): drop-request 3, drop-response 2, ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} faults in {} requests ({} connections):",
            self.total(),
            self.requests,
            self.connections
        )?;
        for (i, kind) in FaultKind::ALL.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{kind} {}", self.get(*kind))?;
        }
        Ok(())
    }
}

/// The live counters behind [`FaultCounts`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    connections: AtomicU64,
    requests: AtomicU64,
    faults: [AtomicU64; 6],
}

impl Counters {
    pub fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn fault(&self, kind: FaultKind) {
        self.faults[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> FaultCounts {
        let mut faults = [0; 6];
        for (i, f) in faults.iter_mut().enumerate() {
            *f = self.faults[i].load(Ordering::Relaxed);
        }
        FaultCounts {
            connections: self.connections.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            faults,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_subtract_and_print_every_kind() {
        let counters = Counters::default();
        counters.connection();
        counters.request();
        counters.request();
        let before = counters.snapshot();
        counters.fault(FaultKind::Status503);
        counters.fault(FaultKind::Status503);
        counters.fault(FaultKind::Outage);
        counters.request();
        let now = counters.snapshot();
        let delta = now.since(&before);
        assert_eq!((delta.requests, delta.total()), (1, 3));
        assert_eq!(delta.get(FaultKind::Status503), 2);
        let mut sum = FaultCounts::default();
        sum.add(&delta);
        sum.add(&delta);
        assert_eq!(sum.get(FaultKind::Outage), 2);
        assert_eq!(
            now.to_string(),
            "3 faults in 3 requests (1 connections): drop-request 0, drop-response 0, delay 0, 500 0, 503 2, outage 1"
        );
    }
}
