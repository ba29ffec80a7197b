//! The crate's error type. No variant holds the API token, and reqwest's messages name only the
//! URL (the token travels in a header), so every error is safe to print.

/// What went wrong while enriching.
#[derive(Debug, thiserror::Error)]
pub enum TmdbError {
    /// The API refused the token: nothing more can succeed, so the run stops at once.
    #[error("tmdb refused the API token (401 on {path}): check TMDB_API_TOKEN")]
    Unauthorized { path: String },
    /// The token cannot go into an HTTP header (control characters).
    #[error("the API token is not a valid header value")]
    BadToken,
    /// The base URL does not parse.
    #[error("base url {url:?}: {reason}")]
    BaseUrl { url: String, reason: String },
    /// The HTTP client could not be built.
    #[error("cannot build the http client: {0}")]
    ClientBuild(#[source] reqwest::Error),
    /// A request kept failing (429, 5xx or a transport error) after every retry.
    #[error("{path}: gave up after {attempts} attempts: {last}")]
    GaveUp {
        path: String,
        attempts: u32,
        last: String,
    },
    /// An unexpected status (neither success, 401, 404, 429 nor 5xx).
    #[error("{path}: unexpected status {status}")]
    Status { path: String, status: u16 },
    /// A response body is not the JSON it should be.
    #[error("{path}: response is not valid json: {reason}")]
    Json { path: String, reason: String },
    /// A lake read, list or write failed.
    #[error("{key}: {source}")]
    Store {
        key: String,
        #[source]
        source: object_store::Error,
    },
    /// A stored TMDB file does not hold an array of records.
    #[error("{key}: not a tmdb records file: {reason}")]
    StoredFile { key: String, reason: String },
    /// The refined manifest is missing or unreadable.
    #[error("{key}: {reason}")]
    Manifest { key: String, reason: String },
    /// The refined extract does not read.
    #[error("{key}: {source}")]
    Extract {
        key: String,
        #[source]
        source: cinelake_core::extract::ExtractError,
    },
}
