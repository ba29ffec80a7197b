//! Test support: a TCP proxy that sits between a client (the `cinelake` binary) and an S3 server
//! (the test SeaweedFS) and injects faults at random points chosen by a seeded RNG.
//!
//! The proxy understands just enough HTTP/1.1 to find where requests and responses start and end
//! (the request head, `Content-Length`), so it can fault one request of a kept-alive connection:
//!
//! - [`FaultKind::DropRequest`]: forwards part of the request (head and body), then closes both
//!   sides; the server sees a truncated request, the client a connection that died mid-request.
//! - [`FaultKind::DropResponse`]: forwards the request, then cuts the response at a random byte
//!   (inside the head or the body) and closes both sides.
//! - [`FaultKind::Delay`]: holds the request for a random time before forwarding it.
//! - [`FaultKind::Status500`], [`FaultKind::Status503`]: reads the request and answers it itself
//!   with a minimal S3-style error response; the server never sees it.
//! - [`FaultKind::Outage`]: the server "stops and restarts": the proxy closes every connection and
//!   its listening socket, so connections are refused for a random while, then listens again on
//!   the same port. From the client's side that is a server restart; the real server is left
//!   alone because other tests share it.
//!
//! [`FaultConfig::target`] and [`FaultConfig::max_faults`] narrow faults down to one exact step
//! (say, the response to the first `PUT`) for regression tests.
//!
//! Which requests get a fault is drawn from an RNG seeded per connection from
//! [`FaultConfig::seed`] and the connection's number. Connections race, so a run is reproducible
//! only as far as the client's request order is; the counts ([`FaultCounts`]) say what happened.
//!
//! ```no_run
//! # async fn f() -> Result<(), cinelake_faults::FaultError> {
//! use cinelake_faults::{FaultConfig, FaultProxy};
//! let proxy = FaultProxy::start("127.0.0.1:8333".parse().unwrap(), FaultConfig::new(7, 0.2)).await?;
//! println!("point the client at {}", proxy.endpoint());
//! // ... run the client ...
//! println!("{}", proxy.counts());
//! # Ok(()) }
//! ```

mod config;
mod counts;
mod http;
mod proxy;

pub use config::{FaultConfig, FaultKind, FaultTarget, FaultWeights};
pub use counts::FaultCounts;
pub use proxy::{FaultError, FaultProxy};
