//! `cinelake publish`: presign the committed extract and write the site's `manifest.json`.
//!
//! The order matters for readers of the site: the (optional) gzip copy is stored and verified
//! before the manifest that points at it, and the manifest is a single PUT, so a page loads either
//! the previous manifest or the new one, never a half-written one.

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use cinelake_lake::Lake;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use sha2::{Digest, Sha256};

use crate::content::NO_CACHE;
use crate::error::SiteError;
use crate::manifest::{Dataset, RefinedExtract, SiteManifest};
use crate::{REFINED_MANIFEST, SITE_MANIFEST};

/// What publish does beyond its two buckets.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// How long the presigned links live; at most [`crate::MAX_EXPIRY`].
    pub expires: Duration,
    /// Store a gzip-encoded copy of the extract (`Content-Encoding: gzip`) and link that.
    pub gzip: bool,
    /// The dashboard's public URL when it is not the bucket's own S3 URL (CloudFront, a bucket
    /// website endpoint); only used in the report.
    pub site_url: Option<String>,
    /// "Now", for the manifest's times (tests pin it; the CLI passes `Utc::now()`).
    pub now: DateTime<Utc>,
}

/// What publish did.
#[derive(Debug, Clone)]
pub struct PublishReport {
    /// The manifest as written.
    pub manifest: SiteManifest,
    /// The full key of the site's `manifest.json`.
    pub manifest_key: String,
    /// The full key of the object the link points at (the extract, or its gzip copy).
    pub linked_key: String,
    /// The refine run published, when its manifest names one.
    pub run_id: Option<String>,
    /// Where the dashboard is, if known.
    pub dashboard_url: Option<String>,
    /// When the links expire.
    pub expires_at: DateTime<Utc>,
}

/// Publishes the lake's committed extract to the site.
pub async fn publish(
    lake: &Lake,
    site: &Lake,
    options: &PublishOptions,
) -> Result<PublishReport, SiteError> {
    require_s3("lake", lake)?;
    require_s3("site", site)?;
    // The CLI parses `--expires` with `parse_expiry`; library callers get the same limits.
    let input = crate::format_expiry(options.expires);
    if options.expires.as_secs() == 0 {
        return Err(crate::ExpiryError::Zero { input }.into());
    }
    if options.expires > crate::MAX_EXPIRY {
        return Err(crate::ExpiryError::TooLong { input }.into());
    }
    let store = lake.store();

    let manifest_key = lake.key(REFINED_MANIFEST);
    let text = match store.get(&manifest_key).await {
        Ok(result) => result
            .bytes()
            .await
            .map_err(store_error(&manifest_key, "read"))?,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(SiteError::NoRefinedManifest {
                lake: lake.url().to_string(),
                key: manifest_key.to_string(),
            });
        }
        Err(source) => return Err(store_error(&manifest_key, "read")(source)),
    };
    let (extract, run_id) = RefinedExtract::from_manifest(manifest_key.as_ref(), &text)?;
    let extract_key = lake.key(&extract.key);

    let linked_key = if options.gzip {
        store_gzip_copy(store.as_ref(), &manifest_key, &extract_key, &extract).await?
    } else {
        let meta = match store.head(&extract_key).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(SiteError::ExtractMissing {
                    manifest: manifest_key.to_string(),
                    key: extract_key.to_string(),
                });
            }
            Err(source) => return Err(store_error(&extract_key, "check")(source)),
        };
        if meta.size != extract.bytes {
            return Err(SiteError::ExtractChanged {
                key: extract_key.to_string(),
                detail: "size",
                expected: extract.bytes.to_string(),
                actual: meta.size.to_string(),
            });
        }
        extract_key
    };

    let url = lake.signed_get_url(&linked_key, options.expires).await?;
    let expires_at = options.now
        + chrono::Duration::seconds(i64::try_from(options.expires.as_secs()).unwrap_or(i64::MAX));
    let manifest = SiteManifest {
        version: 1,
        generated_at: options.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        expires_at: expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        datasets: vec![Dataset {
            name: "titles".to_owned(),
            url: url.to_string(),
            rows: extract.rows,
            bytes: extract.bytes,
            sha256: extract.sha256.clone(),
        }],
    };
    let body = serde_json::to_vec_pretty(&manifest).map_err(|e| SiteError::Dist {
        // Serialising plain strings and numbers cannot fail; mapped rather than unwrapped anyway.
        path: SITE_MANIFEST.into(),
        reason: e.to_string(),
    })?;
    let site_manifest_key = site.key(SITE_MANIFEST);
    put_with_headers(
        site.store().as_ref(),
        &site_manifest_key,
        body,
        "application/json",
        NO_CACHE,
        None,
    )
    .await?;

    let dashboard_url = match &options.site_url {
        Some(url) => Some(url.clone()),
        None => site_base_url(site).map(|base| format!("{base}/index.html")),
    };
    Ok(PublishReport {
        manifest,
        manifest_key: site_manifest_key.to_string(),
        linked_key: linked_key.to_string(),
        run_id,
        dashboard_url,
        expires_at,
    })
}

/// The dataset URLs of the site's `manifest.json` (what a published dashboard downloads), or
/// none when nothing has been published there. `cinelake prune` keeps the runs these link to.
pub async fn published_urls(site: &Lake) -> Result<Vec<String>, SiteError> {
    let key = site.key(SITE_MANIFEST);
    let bytes = match site.store().get(&key).await {
        Ok(result) => result.bytes().await.map_err(store_error(&key, "read"))?,
        Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
        Err(source) => return Err(store_error(&key, "read")(source)),
    };
    let manifest: SiteManifest =
        serde_json::from_slice(&bytes).map_err(|source| SiteError::SiteManifest {
            key: key.to_string(),
            source,
        })?;
    Ok(manifest.datasets.into_iter().map(|d| d.url).collect())
}

/// The site's base URL on its S3 endpoint (`http://host:port/bucket/prefix` with an endpoint,
/// `https://bucket.s3.region.amazonaws.com/prefix` on AWS), without a trailing `/`.
pub fn site_base_url(site: &Lake) -> Option<String> {
    let admin = site.s3_admin()?;
    let prefix = site.key("");
    Some(if prefix.as_ref().is_empty() {
        admin.bucket_url().to_owned()
    } else {
        format!("{}/{}", admin.bucket_url(), prefix.as_ref())
    })
}

/// Reads the extract, checks it against refine's record, and stores `KEY.gz` beside it with
/// `Content-Encoding: gzip` (the browser decodes it transparently). Returns the copy's key.
async fn store_gzip_copy(
    store: &dyn ObjectStore,
    manifest_key: &Path,
    extract_key: &Path,
    extract: &RefinedExtract,
) -> Result<Path, SiteError> {
    let bytes = match store.get(extract_key).await {
        Ok(result) => result
            .bytes()
            .await
            .map_err(store_error(extract_key, "read"))?,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(SiteError::ExtractMissing {
                manifest: manifest_key.to_string(),
                key: extract_key.to_string(),
            });
        }
        Err(source) => return Err(store_error(extract_key, "read")(source)),
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    if !sha256.eq_ignore_ascii_case(&extract.sha256) {
        return Err(SiteError::ExtractChanged {
            key: extract_key.to_string(),
            detail: "sha256",
            expected: extract.sha256.clone(),
            actual: sha256,
        });
    }
    let gzipped = gzip(&bytes).map_err(|source| SiteError::Read {
        path: extract_key.as_ref().into(),
        source,
    })?;
    let gz_key = Path::from(format!("{}.gz", extract_key.as_ref()));
    // Private data: caches along the way may keep it only as long as the link lives.
    put_with_headers(
        store,
        &gz_key,
        gzipped,
        "text/csv; charset=utf-8",
        "private, max-age=3600",
        Some("gzip"),
    )
    .await?;
    Ok(gz_key)
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::best(),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// One PUT with the headers browsers see when they GET the object.
pub(crate) async fn put_with_headers(
    store: &dyn ObjectStore,
    key: &Path,
    body: Vec<u8>,
    content_type: &'static str,
    cache_control: &'static str,
    content_encoding: Option<&'static str>,
) -> Result<(), SiteError> {
    let mut attributes = Attributes::new();
    attributes.insert(Attribute::ContentType, content_type.into());
    attributes.insert(Attribute::CacheControl, cache_control.into());
    if let Some(encoding) = content_encoding {
        attributes.insert(Attribute::ContentEncoding, encoding.into());
    }
    let options = PutOptions {
        attributes,
        ..PutOptions::default()
    };
    store
        .put_opts(key, PutPayload::from(body), options)
        .await
        .map_err(store_error(key, "upload"))?;
    Ok(())
}

pub(crate) fn require_s3(role: &'static str, lake: &Lake) -> Result<(), SiteError> {
    match lake.url() {
        cinelake_lake::LakeUrl::S3 { .. } => Ok(()),
        other => Err(SiteError::NotS3 {
            role,
            url: other.to_string(),
        }),
    }
}

pub(crate) fn store_error<'a>(
    key: &'a Path,
    action: &'static str,
) -> impl Fn(object_store::Error) -> SiteError + 'a {
    move |source| SiteError::Store {
        key: key.to_string(),
        action,
        source,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
