//! TMDB enrichment for `cinelake enrich`: looks the refined titles up in The Movie Database by
//! IMDb id and keeps the raw responses in the lake's Raw zone.
//!
//! - [`Client`] talks to the TMDB API: bearer token ([`Token`], never printed), a request rate,
//!   retries with backoff on 429 and 5xx that honour `Retry-After`, 401 as a hard stop and 404 as
//!   "not found".
//! - [`store`] reads the refined extract's ids (through `Refined/_manifest.json`), lists what is
//!   already stored and writes `Raw/TMDB/JSON/YYYY/MM/DD/tmdb-NNNNN.json` files of at most
//!   [`RECORDS_PER_FILE`] records, each written once and complete (create-only).
//! - [`enrich`] ties them together and is resumable: ids already stored are skipped.
//!
//! Architecture invariant: this crate does not link DataFusion; refine reads what it stores.

mod client;
mod enrich;
mod error;
pub mod store;

pub use client::{Client, ClientOptions, Fetched, Token};
pub use enrich::{EnrichOptions, EnrichReport, Event, Failure, enrich};
pub use error::TmdbError;
pub use store::{RECORDS_PER_FILE, Record, RecordStatus, TMDB_PREFIX};

/// The public TMDB API, version 3.
pub const DEFAULT_BASE_URL: &str = "https://api.themoviedb.org/3";

/// The environment variable holding the API read access token (a bearer token).
pub const TOKEN_ENV: &str = "TMDB_API_TOKEN";
