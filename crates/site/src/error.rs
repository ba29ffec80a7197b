//! The site's typed errors. Messages name the key, file or URL they are about, and never a secret.

use std::path::PathBuf;

use cinelake_lake::LakeError;

use crate::expiry::ExpiryError;

/// Anything that can go wrong while publishing or deploying.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// Opening or using a lake or site bucket failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// `--expires` was refused.
    #[error(transparent)]
    Expiry(#[from] ExpiryError),
    /// A `file://` URL where an S3 bucket is needed.
    #[error(
        "{role} {url}: publish and deploy need an s3:// bucket (presigned urls and public reads are S3 features)"
    )]
    NotS3 {
        /// `lake`, `site` or `data bucket`.
        role: &'static str,
        /// The URL given.
        url: String,
    },
    /// Refine has not committed a run yet.
    #[error("lake {lake}: no {key} yet; run `cinelake refine` first")]
    NoRefinedManifest {
        /// The lake.
        lake: String,
        /// The manifest key looked for.
        key: String,
    },
    /// The refined manifest does not parse.
    #[error("{key}: not a refine manifest: {source}")]
    RefinedManifest {
        /// The manifest key.
        key: String,
        /// What serde said (line and column included).
        #[source]
        source: serde_json::Error,
    },
    /// The site's `manifest.json` does not parse.
    #[error("{key}: not a site manifest: {source}")]
    SiteManifest {
        /// The manifest key.
        key: String,
        /// What serde said (line and column included).
        #[source]
        source: serde_json::Error,
    },
    /// The refined manifest names an extract that is not there.
    #[error(
        "{manifest} names the extract {key}, which does not exist; run `cinelake refine` again"
    )]
    ExtractMissing {
        /// The manifest key.
        manifest: String,
        /// The missing extract key.
        key: String,
    },
    /// The extract's bytes differ from what refine recorded.
    #[error(
        "{key}: {detail} differs from the refine manifest (expected {expected}, found {actual}); run `cinelake refine` again"
    )]
    ExtractChanged {
        /// The extract key.
        key: String,
        /// `size` or `sha256`.
        detail: &'static str,
        /// What the manifest says.
        expected: String,
        /// What is stored.
        actual: String,
    },
    /// A storage operation failed.
    #[error("{key}: {action} failed: {source}")]
    Store {
        /// The full key.
        key: String,
        /// What we were doing.
        action: &'static str,
        /// What object_store said.
        #[source]
        source: object_store::Error,
    },
    /// The `dist/` folder is not a complete build.
    #[error("{}: {reason}", path.display())]
    Dist {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong, in words.
        reason: String,
    },
    /// Reading a local file failed.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The site origin for CORS could not be worked out.
    #[error("cannot tell the site's origin from {site}; pass --origin https://your-site.example")]
    Origin {
        /// The site URL.
        site: String,
    },
}
