//! What faults to inject and how often.

use std::fmt;
use std::time::Duration;

use crate::proxy::FaultError;

/// One kind of fault (see the crate docs for what each does on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// The connection dies while the request is being forwarded.
    DropRequest,
    /// The connection dies while the response is being forwarded.
    DropResponse,
    /// The request is held back for a while, then forwarded.
    Delay,
    /// The proxy answers `500 Internal Server Error` itself.
    Status500,
    /// The proxy answers `503 Service Unavailable` itself.
    Status503,
    /// Every connection is closed and new ones are refused for a while (a server restart).
    Outage,
}

impl FaultKind {
    /// Every kind, in a fixed order (reports list them in this order).
    pub const ALL: [FaultKind; 6] = [
        FaultKind::DropRequest,
        FaultKind::DropResponse,
        FaultKind::Delay,
        FaultKind::Status500,
        FaultKind::Status503,
        FaultKind::Outage,
    ];

    /// A short name for reports: `drop-request`, `drop-response`, `delay`, `500`, `503`, `outage`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::DropRequest => "drop-request",
            FaultKind::DropResponse => "drop-response",
            FaultKind::Delay => "delay",
            FaultKind::Status500 => "500",
            FaultKind::Status503 => "503",
            FaultKind::Outage => "outage",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            FaultKind::DropRequest => 0,
            FaultKind::DropResponse => 1,
            FaultKind::Delay => 2,
            FaultKind::Status500 => 3,
            FaultKind::Status503 => 4,
            FaultKind::Outage => 5,
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Relative weights of the fault kinds: when a request gets a fault, kind `k` is chosen with
/// probability `weight(k) / sum of weights`. A weight of 0 turns a kind off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultWeights {
    pub drop_request: u32,
    pub drop_response: u32,
    pub delay: u32,
    pub status_500: u32,
    pub status_503: u32,
    pub outage: u32,
}

impl Default for FaultWeights {
    /// Every kind equally likely except outages, which cost the most wall time.
    fn default() -> Self {
        FaultWeights {
            drop_request: 4,
            drop_response: 4,
            delay: 3,
            status_500: 3,
            status_503: 3,
            outage: 1,
        }
    }
}

impl FaultWeights {
    /// The weight of one kind.
    pub fn weight(&self, kind: FaultKind) -> u32 {
        match kind {
            FaultKind::DropRequest => self.drop_request,
            FaultKind::DropResponse => self.drop_response,
            FaultKind::Delay => self.delay,
            FaultKind::Status500 => self.status_500,
            FaultKind::Status503 => self.status_503,
            FaultKind::Outage => self.outage,
        }
    }

    /// The sum of the weights (saturating).
    pub fn total(&self) -> u32 {
        FaultKind::ALL
            .iter()
            .fold(0u32, |sum, k| sum.saturating_add(self.weight(*k)))
    }

    /// The kind at `point`, a number below [`FaultWeights::total`]; `None` past the end.
    pub fn pick(&self, mut point: u32) -> Option<FaultKind> {
        for kind in FaultKind::ALL {
            let w = self.weight(kind);
            if point < w {
                return Some(kind);
            }
            point -= w;
        }
        None
    }
}

/// Which requests may get a fault (all when a field is `None`): for regression tests that fault
/// one exact step, such as the response to the first `PUT`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultTarget {
    /// Only requests with this method (`PUT`, `POST`, ...).
    pub method: Option<String>,
    /// Only requests whose path and query contain this text (`?uploads`, `uploadId=`).
    pub path_contains: Option<String>,
}

impl FaultTarget {
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|text| path.contains(text))
    }
}

/// What the proxy injects.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Seeds every connection's RNG (mixed with the connection's number).
    pub seed: u64,
    /// The chance, from 0.0 to 1.0, that a request gets a fault.
    pub fault_rate: f64,
    /// Which kinds of fault, how likely relative to each other.
    pub weights: FaultWeights,
    /// Shortest and longest [`FaultKind::Delay`].
    pub delay: (Duration, Duration),
    /// Shortest and longest [`FaultKind::Outage`].
    pub outage: (Duration, Duration),
    /// Which requests may get a fault.
    pub target: FaultTarget,
    /// Stop injecting after this many faults (counted from when the config was set).
    pub max_faults: Option<u64>,
}

impl FaultConfig {
    /// Faults at `fault_rate` per request with the default weights, delays of 50–800 ms and
    /// outages of 0.2–2 s (short enough for a client's retries to ride them out).
    pub fn new(seed: u64, fault_rate: f64) -> FaultConfig {
        FaultConfig {
            seed,
            fault_rate,
            weights: FaultWeights::default(),
            delay: (Duration::from_millis(50), Duration::from_millis(800)),
            outage: (Duration::from_millis(200), Duration::from_secs(2)),
            target: FaultTarget::default(),
            max_faults: None,
        }
    }

    /// Exactly one fault of `kind`, on the first request that `target` matches.
    pub fn once(kind: FaultKind, target: FaultTarget) -> FaultConfig {
        let mut weights = FaultWeights {
            drop_request: 0,
            drop_response: 0,
            delay: 0,
            status_500: 0,
            status_503: 0,
            outage: 0,
        };
        match kind {
            FaultKind::DropRequest => weights.drop_request = 1,
            FaultKind::DropResponse => weights.drop_response = 1,
            FaultKind::Delay => weights.delay = 1,
            FaultKind::Status500 => weights.status_500 = 1,
            FaultKind::Status503 => weights.status_503 = 1,
            FaultKind::Outage => weights.outage = 1,
        }
        FaultConfig {
            weights,
            target,
            max_faults: Some(1),
            ..FaultConfig::new(0, 1.0)
        }
    }

    /// No faults at all: the proxy only forwards.
    pub fn none() -> FaultConfig {
        FaultConfig::new(0, 0.0)
    }

    /// Refuses rates outside 0–1, inverted ranges and a positive rate with no kind enabled.
    pub fn validate(&self) -> Result<(), FaultError> {
        let invalid = |reason: String| Err(FaultError::Config { reason });
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return invalid(format!(
                "fault rate {} is not between 0 and 1",
                self.fault_rate
            ));
        }
        if self.fault_rate > 0.0 && self.weights.total() == 0 {
            return invalid("every fault kind has weight 0".to_string());
        }
        for (what, (low, high)) in [("delay", self.delay), ("outage", self.outage)] {
            if low > high {
                return invalid(format!("{what} range {low:?}..{high:?} is inverted"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_pick_each_kind_in_proportion() {
        let weights = FaultWeights {
            drop_request: 1,
            drop_response: 0,
            delay: 2,
            status_500: 0,
            status_503: 0,
            outage: 1,
        };
        assert_eq!(weights.total(), 4);
        let picked: Vec<_> = (0..5).map(|p| weights.pick(p)).collect();
        assert_eq!(
            picked,
            [
                Some(FaultKind::DropRequest),
                Some(FaultKind::Delay),
                Some(FaultKind::Delay),
                Some(FaultKind::Outage),
                None
            ]
        );
    }

    #[test]
    fn targets_match_method_and_path() {
        let target = FaultTarget {
            method: Some("POST".into()),
            path_contains: Some("?uploads".into()),
        };
        assert!(target.matches("POST", "/b/k.csv?uploads"));
        assert!(!target.matches("PUT", "/b/k.csv?uploads"));
        assert!(!target.matches("POST", "/b/k.csv?uploadId=1"));
        assert!(FaultTarget::default().matches("GET", "/"));
        let once = FaultConfig::once(FaultKind::Status503, target);
        assert_eq!(once.weights.pick(0), Some(FaultKind::Status503));
        assert_eq!(once.weights.total(), 1);
        assert_eq!(once.max_faults, Some(1));
    }

    #[test]
    fn invalid_configs_are_refused_with_a_reason() {
        let check = |config: FaultConfig, expected: &str| {
            let err = config.validate().expect_err("refused");
            assert_eq!(err.to_string(), expected);
        };
        check(
            FaultConfig::new(1, 1.5),
            "fault proxy: invalid config: fault rate 1.5 is not between 0 and 1",
        );
        let mut no_kinds = FaultConfig::new(1, 0.5);
        no_kinds.weights = FaultWeights {
            drop_request: 0,
            drop_response: 0,
            delay: 0,
            status_500: 0,
            status_503: 0,
            outage: 0,
        };
        check(
            no_kinds,
            "fault proxy: invalid config: every fault kind has weight 0",
        );
        let mut inverted = FaultConfig::new(1, 0.5);
        inverted.delay = (Duration::from_secs(2), Duration::from_secs(1));
        check(
            inverted,
            "fault proxy: invalid config: delay range 2s..1s is inverted",
        );
        assert!(FaultConfig::none().validate().is_ok());
    }
}
