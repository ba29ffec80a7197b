//! The lake: `s3://` and `file://` storage through object_store, verified create-only uploads,
//! the Raw zone layout and `cinelake ingest`.
//!
//! - [`LakeUrl`] parses a lake address; [`Lake::open`] turns it into an object store plus key
//!   prefix, configured through the standard AWS chain ([`LakeOptions`]).
//! - [`raw_key`] is the Raw zone layout that refine reads.
//! - [`upload_file`] is the verified, create-only, memory-bounded upload every writer uses.
//! - [`ingest`] validates raw files with the core reader and uploads them.
//!
//! Architecture invariant: this crate does not link DataFusion (refine does, and depends on this
//! crate); it uses object_store 0.13, the version DataFusion 55 links, so both share one
//! `ObjectStore` trait.

mod error;
pub mod ingest;
mod lake;
mod layout;
mod profile;
pub mod resilient;
pub mod s3admin;
pub mod upload;
mod url;

pub use error::LakeError;
pub use lake::{Lake, LakeOptions, RetryOptions, StaticCredentials};
pub use layout::raw_key;
pub use upload::{
    Digest, NoProgress, Progress, UploadOptions, UploadOutcome, UploadReport, UploadRequest,
    upload_file,
};
pub use url::{LakeUrl, LakeUrlError};
