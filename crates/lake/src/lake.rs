//! Opening a lake: a [`LakeUrl`] plus [`LakeOptions`] become a [`Lake`], which hands out the
//! `ObjectStore` and full keys. Refine, publish and ingest all go through this one door, so every
//! command reads credentials, endpoints and retries the same way.
//!
//! Configuration follows the standard AWS chain, in this order: explicit [`LakeOptions`] fields
//! (the CLI's `--endpoint`), the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`, ...), then the `AWS_PROFILE` profile in
//! `~/.aws/credentials` and `~/.aws/config`, then object_store's container and instance
//! credentials. When an endpoint is set, requests use path-style addressing (what S3-compatible
//! servers expect) and `http://` endpoints are allowed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey, Checksum, S3ConditionalPut};
use object_store::local::LocalFileSystem;
use object_store::path::{Path, PathPart};
use object_store::{BackoffConfig, ObjectStore, RetryConfig};

use crate::error::LakeError;
use crate::profile;
use crate::resilient::ResilientStore;
use crate::s3admin::S3Admin;
use crate::url::LakeUrl;

/// Static credentials given explicitly (tests, embedded servers). `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// The access key id (not secret: it appears in signed requests).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// An optional session token.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// How hard to retry a failing request (each part of a multipart upload separately), with
/// exponential backoff between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryOptions {
    /// Attempts after the first one; 0 disables retries.
    pub max_retries: usize,
    /// No retry starts after this much time since the first attempt.
    pub timeout: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            max_retries: 10,
            timeout: Duration::from_secs(120),
        }
    }
}

/// How to reach a lake beyond its URL. `Default` means "the standard AWS chain".
#[derive(Debug, Clone, Default)]
pub struct LakeOptions {
    /// The S3 endpoint, overriding `AWS_ENDPOINT_URL` (for S3-compatible servers).
    pub endpoint: Option<String>,
    /// The region, overriding `AWS_REGION`.
    pub region: Option<String>,
    /// Credentials, overriding the environment and profile.
    pub credentials: Option<StaticCredentials>,
    /// Retries for every request.
    pub retry: RetryOptions,
}

/// An opened lake: its store and its key prefix.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use cinelake_lake::{Lake, LakeOptions};
/// use object_store::ObjectStoreExt;
/// let lake = Lake::open(&"file:///tmp/lake".parse()?, &LakeOptions::default())?;
/// let meta = lake.store().head(&lake.key("Refined/_manifest.json")).await?;
/// # Ok(()) }
/// ```
pub struct Lake {
    url: LakeUrl,
    prefix: Path,
    backend: Backend,
}

enum Backend {
    S3 {
        store: Arc<AmazonS3>,
        /// `store` with the retries object_store leaves out: what [`Lake::store`] hands out.
        resilient: Arc<ResilientStore>,
        admin: S3Admin,
    },
    File {
        store: Arc<LocalFileSystem>,
        root: PathBuf,
    },
}

impl std::fmt::Debug for Lake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the URL: the store's configuration may hold credentials.
        f.debug_struct("Lake")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Lake {
    /// Opens the lake at `url`. Nothing is contacted yet; a `file://` folder is created if missing.
    pub fn open(url: &LakeUrl, options: &LakeOptions) -> Result<Lake, LakeError> {
        match url {
            LakeUrl::S3 { bucket, prefix } => {
                let (store, admin) = open_s3(url, bucket, options)?;
                let resilient = Arc::new(ResilientStore::new(store.clone(), options.retry.clone()));
                Ok(Lake {
                    url: url.clone(),
                    prefix: Path::from(prefix.as_str()),
                    backend: Backend::S3 {
                        store,
                        resilient,
                        admin,
                    },
                })
            }
            LakeUrl::File { root } => {
                let folder_error = |source| LakeError::Folder {
                    path: root.clone(),
                    source,
                };
                std::fs::create_dir_all(root).map_err(folder_error)?;
                let root = std::fs::canonicalize(root).map_err(folder_error)?;
                let store = LocalFileSystem::new_with_prefix(&root).map_err(|source| {
                    LakeError::Config {
                        url: url.to_string(),
                        source,
                    }
                })?;
                Ok(Lake {
                    url: url.clone(),
                    prefix: Path::default(),
                    backend: Backend::File {
                        store: Arc::new(store),
                        root,
                    },
                })
            }
        }
    }

    /// The URL the lake was opened from.
    pub fn url(&self) -> &LakeUrl {
        &self.url
    }

    /// The object store (for S3, with [`ResilientStore`]'s retries). Keys passed to it must come
    /// from [`Lake::key`].
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        match &self.backend {
            Backend::S3 { resilient, .. } => resilient.clone(),
            Backend::File { store, .. } => store.clone(),
        }
    }

    /// The full key of `relative` (a `/`-separated path such as `Raw/Local/...`) under the lake's
    /// prefix. Empty segments are dropped; unusual characters are percent-encoded by object_store.
    pub fn key(&self, relative: &str) -> Path {
        let parts = relative
            .split('/')
            .filter(|s| !s.is_empty())
            .map(PathPart::from);
        self.prefix.parts().chain(parts).collect()
    }

    /// A full key as a URL for messages: `s3://bucket/key` or `file:///folder/key`.
    pub fn display_key(&self, key: &Path) -> String {
        match (&self.url, &self.backend) {
            (LakeUrl::S3 { bucket, .. }, _) => format!("s3://{bucket}/{key}"),
            (_, Backend::File { root, .. }) => format!("file://{}/{key}", root.display()),
            (LakeUrl::File { root }, _) => format!("file://{}/{key}", root.display()),
        }
    }

    /// Whether stored objects carry user metadata (`x-amz-meta-*`). `file://` lakes do not:
    /// ingest then verifies by hashing the stored file instead.
    pub fn has_object_metadata(&self) -> bool {
        matches!(self.backend, Backend::S3 { .. })
    }

    /// The S3 admin helper for requests object_store does not offer; `None` for `file://`.
    pub fn s3_admin(&self) -> Option<&S3Admin> {
        match &self.backend {
            Backend::S3 { admin, .. } => Some(admin),
            Backend::File { .. } => None,
        }
    }

    /// A presigned (SigV4 query-string) GET URL for `key` (from [`Lake::key`]), valid for
    /// `expires` (S3 accepts at most 7 days). Only `s3://` lakes can presign. Used by publish.
    pub async fn signed_get_url(
        &self,
        key: &Path,
        expires: Duration,
    ) -> Result<reqwest::Url, LakeError> {
        use object_store::signer::Signer;
        match &self.backend {
            Backend::S3 { store, .. } => store
                .signed_url(reqwest::Method::GET, key, expires)
                .await
                .map_err(|source| LakeError::Store {
                    key: key.to_string(),
                    action: "presign",
                    source,
                }),
            Backend::File { .. } => Err(LakeError::S3Request {
                what: format!("presign {key}"),
                detail: format!(
                    "lake {} is a folder: only s3:// lakes can make presigned urls",
                    self.url
                ),
            }),
        }
    }

    /// Creates the lake's bucket (S3) or folder (`file://`, already done by [`Lake::open`]).
    /// A bucket that already exists and is ours is not an error.
    pub async fn create_bucket(&self) -> Result<(), LakeError> {
        match &self.backend {
            Backend::S3 { admin, .. } => admin.create_bucket().await,
            Backend::File { .. } => Ok(()),
        }
    }

    /// The local folder of a `file://` lake.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        match &self.backend {
            Backend::File { root, .. } => Some(root),
            Backend::S3 { .. } => None,
        }
    }
}

fn open_s3(
    url: &LakeUrl,
    bucket: &str,
    options: &LakeOptions,
) -> Result<(Arc<AmazonS3>, S3Admin), LakeError> {
    let env_has_keys = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let profile = profile::load_from_env();

    match (
        &options.credentials,
        env_has_keys,
        &profile.access_key_id,
        &profile.secret_access_key,
    ) {
        (Some(c), _, _, _) => {
            builder = builder
                .with_access_key_id(&c.access_key_id)
                .with_secret_access_key(&c.secret_access_key);
            if let Some(t) = &c.session_token {
                builder = builder.with_token(t);
            }
        }
        (None, false, Some(id), Some(secret)) => {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
            if let Some(t) = &profile.session_token {
                builder = builder.with_token(t);
            }
        }
        _ => {}
    }

    let env_region = builder.get_config_value(&AmazonS3ConfigKey::Region);
    let region = options
        .region
        .clone()
        .or(env_region)
        .or(profile.region)
        .unwrap_or_else(|| "us-east-1".to_owned());
    builder = builder.with_region(&region);

    let endpoint = options
        .endpoint
        .clone()
        .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint))
        .or(profile.endpoint_url);
    if let Some(endpoint) = &endpoint {
        builder = builder
            .with_endpoint(endpoint.trim_end_matches('/'))
            .with_virtual_hosted_style_request(false)
            .with_allow_http(endpoint.starts_with("http://"));
    }

    // object_store draws each pause at random between `init_backoff` and `base` times the
    // previous pause, so the mean grows by a factor of about base / 2 per retry: base 4 doubles
    // it (10 retries span about 40 s on average, enough for a server restart), while base 2
    // barely grew it and 10 retries were spent in about 2 s (tests/cli/faults.rs).
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            base: 4.0,
        },
        max_retries: options.retry.max_retries,
        retry_timeout: options.retry.timeout,
    };
    // SHA-256 checksums on every PUT and part: the server verifies what it stored.
    // ETagMatch is object_store's If-None-Match / If-Match support for create-only puts.
    let store = builder
        .with_retry(retry)
        .with_checksum_algorithm(Checksum::SHA256)
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .build()
        .map_err(|source| LakeError::Config {
            url: url.to_string(),
            source,
        })?;
    let store = Arc::new(store);
    let admin = S3Admin::new(
        store.clone(),
        bucket,
        &region,
        endpoint.as_deref(),
        options.retry.clone(),
    );
    Ok((store, admin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_join_prefix_and_relative() {
        let opts = LakeOptions {
            endpoint: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        };
        let check = |url: &str, rel: &str, expected: &str| {
            let lake = Lake::open(&url.parse().expect("valid url"), &opts).expect("opens");
            assert_eq!(lake.key(rel).as_ref(), expected, "{url} + {rel}");
        };
        check("s3://lake", "Raw/a.csv", "Raw/a.csv");
        check("s3://lake/p/q", "Raw/a.csv", "p/q/Raw/a.csv");
        check("s3://lake/p", "/Raw//a.csv", "p/Raw/a.csv");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let creds = StaticCredentials {
            access_key_id: "AKIDVISIBLE".into(),
            secret_access_key: "super-secret-value".into(),
            session_token: Some("token-secret".into()),
        };
        let opts = LakeOptions {
            endpoint: Some("http://127.0.0.1:1".into()),
            credentials: Some(creds),
            ..Default::default()
        };
        let lake = Lake::open(&"s3://lake".parse().expect("valid url"), &opts).expect("opens");
        for text in [
            format!("{lake:?}"),
            format!("{opts:?}"),
            format!("{:?}", lake.store()),
        ] {
            assert!(
                !text.contains("super-secret-value") && !text.contains("token-secret"),
                "{text}"
            );
        }
    }
}
