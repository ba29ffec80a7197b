//! The lake's typed errors. Every message names the key or file it is about and never contains a
//! secret: object_store's own errors carry URLs and status codes, not credentials.

use std::path::PathBuf;

use crate::url::LakeUrlError;

/// Anything that can go wrong while opening a lake or writing to it.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// The lake URL did not parse.
    #[error(transparent)]
    Url(#[from] LakeUrlError),
    /// The S3 client could not be configured (bad endpoint, missing bucket, ...).
    #[error("lake {url}: cannot configure the S3 client: {source}")]
    Config {
        /// The lake.
        url: String,
        /// What object_store said.
        #[source]
        source: object_store::Error,
    },
    /// A `file://` lake's folder could not be created or opened.
    #[error("lake {}: cannot use folder: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Reading a local source file failed.
    #[error("{}: {source}", path.display())]
    Read {
        /// The local file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A storage operation on a key failed (after object_store's retries).
    #[error("{key}: {action} failed: {source}")]
    Store {
        /// The key, relative to the bucket or folder root.
        key: String,
        /// What we were doing, e.g. `upload part`.
        action: &'static str,
        /// What object_store said.
        #[source]
        source: object_store::Error,
    },
    /// A multipart upload failed and could not be aborted either (usually: the server is down).
    /// The parts stay invisible; the next run (or a bucket lifecycle rule) removes them.
    #[error(
        "{key}: upload failed: {source}; aborting the multipart upload also failed ({abort}), the next ingest of this key removes it"
    )]
    AbortFailed {
        /// The key.
        key: String,
        /// Why the upload failed.
        #[source]
        source: Box<LakeError>,
        /// Why the abort failed.
        abort: String,
    },
    /// The key holds different content and `--overwrite` was not given.
    #[error(
        "{key}: already exists with different content (stored sha256 {stored}, local sha256 {local}); pass --overwrite to replace it"
    )]
    Conflict {
        /// The key.
        key: String,
        /// The stored object's SHA-256 (hex), or a description when unknown.
        stored: String,
        /// The local file's SHA-256 (hex).
        local: String,
    },
    /// The stored object does not match what was sent.
    #[error("{key}: verification after upload failed: {detail}")]
    Verify {
        /// The key.
        key: String,
        /// What differed.
        detail: String,
    },
    /// A raw S3 request (bucket creation, multipart listing) failed.
    #[error("{what}: {detail}")]
    S3Request {
        /// The request, e.g. `list multipart uploads in bucket lake`.
        what: String,
        /// Status and server message, or the transport error.
        detail: String,
    },
}
