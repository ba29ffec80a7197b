//! Verified, create-only upload of one local file to one key.
//!
//! The steps, and why:
//! 1. Look at the key first. Identical content (same size and SHA-256) makes the upload a no-op;
//!    different content is refused unless the caller asked to overwrite.
//! 2. Small files go up in one `PUT` with `If-None-Match: *` (object_store's `PutMode::Create`),
//!    so a concurrent writer cannot be overwritten.
//! 3. Larger files go up as a multipart upload streamed from disk: `concurrency` parts of
//!    `part_size` bytes in flight at most, so memory stays bounded whatever the file size. Each
//!    part carries its SHA-256 (`x-amz-checksum-sha256`) and is retried with backoff by
//!    object_store. Any failure aborts the upload so no parts linger; afterwards every open upload
//!    of the key is aborted too (one whose creation answer was lost has an id this run never
//!    saw). If even that cannot reach the server, the next upload of the key finds and aborts the
//!    leftover.
//! 4. The stored object is confirmed afterwards: size, and the SHA-256 recorded in its metadata
//!    (S3) or recomputed from the stored file (`file://`, which keeps no object metadata). This
//!    check also decides when a request failed only on the way back: if the answer to the PUT or
//!    to the completion was lost but the key holds exactly the file, the upload succeeded.
//!
//! Create-only and multipart: object_store 0.13 completes multipart uploads without
//! `If-None-Match` (`CompleteMultipartMode::Overwrite` in its `aws/mod.rs`), so for large files
//! the create-only guarantee is the check in step 1, made just before the upload starts. Two
//! ingests racing on the same key can therefore both write; the later one wins and step 4 of the
//! earlier one reports the mismatch. Every object is still complete or absent.

use std::path::{Path as FsPath, PathBuf};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, GetOptions, ObjectStore, PutMode, PutMultipartOptions, PutOptions,
    PutPayload,
};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt;

use crate::error::LakeError;
use crate::lake::Lake;

/// The metadata key holding the source's SHA-256 (stored as `x-amz-meta-sha256`).
pub const SHA256_METADATA: &str = "sha256";

/// Size and SHA-256 of some bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Length in bytes.
    pub bytes: u64,
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

/// A reader that hashes what passes through it, so validation and hashing share one read.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The digest of everything read so far.
    pub fn finish(self) -> Digest {
        Digest {
            bytes: self.bytes,
            sha256: hex(&self.hasher.finalize()),
        }
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Hashes a local file (blocking; call from a blocking context or `spawn_blocking`).
pub fn digest_file(path: &FsPath) -> Result<Digest, LakeError> {
    let read_error = |source| LakeError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut reader = HashingReader::new(std::io::BufReader::with_capacity(1 << 20, file));
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(read_error)?;
    Ok(reader.finish())
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOptions {
    /// Replace a key that holds different content (otherwise that is an error).
    pub overwrite: bool,
    /// Bytes per multipart part (S3: at least 5 MiB); files up to this size go in one `PUT`.
    pub part_size: usize,
    /// Parts in flight at once. Memory use is about `part_size * (concurrency + 1)`.
    pub concurrency: usize,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            overwrite: false,
            // Measured (BENCHMARKS.md, ingest): 8 parts of 5 MiB in flight upload about as fast
            // as aws-cli's 10 of 8 MiB and keep the whole command near 75 MB of RSS.
            part_size: 5 << 20,
            concurrency: 8,
        }
    }
}

/// Receives upload progress (the CLI draws a bar or prints log lines).
pub trait Progress: Send + Sync {
    /// An upload of `total` bytes to `key` starts.
    fn begin(&self, _key: &str, _total: u64) {}
    /// `bytes` more bytes are stored.
    fn advance(&self, _bytes: u64) {}
    /// The upload ended (successfully or not).
    fn end(&self) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadOutcome {
    /// The key did not exist and now holds the file.
    Created,
    /// The key already held identical content; nothing was sent.
    AlreadyPresent,
    /// The key held different content and was replaced (`overwrite`).
    Overwritten,
}

/// The result of [`upload_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    /// What happened.
    pub outcome: UploadOutcome,
    /// Leftover multipart uploads of this key (from an earlier failed run) that were aborted.
    pub stale_uploads_aborted: usize,
    /// Why looking for leftover uploads failed, if it did (for example a policy without
    /// `s3:ListBucketMultipartUploads`). Not fatal: the upload itself went ahead.
    pub cleanup_warning: Option<String>,
}

/// One file to upload.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    /// Full key (from [`Lake::key`]).
    pub key: Path,
    /// The local file.
    pub file: PathBuf,
    /// Its digest, computed beforehand (during validation); the upload re-hashes what it sends
    /// and refuses to complete if the file changed meanwhile.
    pub digest: Digest,
    /// Extra object metadata (`x-amz-meta-NAME`), e.g. row counts. `sha256` is added.
    pub metadata: Vec<(String, String)>,
}

/// Uploads `request.file` to `request.key`, create-only and verified (see the module docs).
pub async fn upload_file(
    lake: &Lake,
    request: &UploadRequest,
    options: &UploadOptions,
    progress: &dyn Progress,
) -> Result<UploadReport, LakeError> {
    let key = &request.key;
    let store = lake.store();
    let outcome = match stored_digest(lake, key).await? {
        Some(stored) if stored == request.digest => {
            return Ok(UploadReport {
                outcome: UploadOutcome::AlreadyPresent,
                stale_uploads_aborted: 0,
                cleanup_warning: None,
            });
        }
        Some(stored) if !options.overwrite => {
            return Err(LakeError::Conflict {
                key: key.to_string(),
                stored: stored.sha256,
                local: request.digest.sha256.clone(),
            });
        }
        Some(_) => UploadOutcome::Overwritten,
        None => UploadOutcome::Created,
    };

    let (mut stale_uploads_aborted, cleanup_warning) = match abort_stale_uploads(lake, key).await {
        Ok(n) => (n, None),
        Err(e) => (0, Some(e.to_string())),
    };

    let mut attributes = Attributes::new();
    if lake.has_object_metadata() {
        attributes.insert(
            Attribute::Metadata(SHA256_METADATA.into()),
            request.digest.sha256.clone().into(),
        );
        for (k, v) in &request.metadata {
            attributes.insert(Attribute::Metadata(k.clone().into()), v.clone().into());
        }
    }

    progress.begin(key.as_ref(), request.digest.bytes);
    let multipart = request.digest.bytes > options.part_size as u64;
    let sent = if multipart {
        put_multipart(store.as_ref(), request, attributes, options, progress).await
    } else {
        put_single(store.as_ref(), request, attributes, outcome, progress).await
    };
    progress.end();
    if multipart {
        // A CreateMultipartUpload whose answer was lost leaves an upload whose id this run never
        // learnt, so `put_multipart` cannot abort it: abort every open upload of the key now,
        // whatever happened (best effort, like the cleanup before the upload).
        if let Ok(n) = abort_stale_uploads(lake, key).await {
            stale_uploads_aborted += n;
        }
    }
    if let Err(error) = sent {
        // The request may have reached the server and only its answer been lost (a dropped
        // connection; a retried create-only PUT then answered 412, a retried completion 404):
        // if the key now holds exactly this file, the upload did happen.
        match stored_digest(lake, key).await {
            Ok(Some(stored)) if stored == request.digest => {}
            _ => return Err(error),
        }
    }

    match stored_digest(lake, key).await? {
        Some(stored) if stored == request.digest => Ok(UploadReport {
            outcome,
            stale_uploads_aborted,
            cleanup_warning,
        }),
        Some(stored) => Err(LakeError::Verify {
            key: key.to_string(),
            detail: format!(
                "stored {} bytes with sha256 {}, sent {} bytes with sha256 {}",
                stored.bytes, stored.sha256, request.digest.bytes, request.digest.sha256
            ),
        }),
        None => Err(LakeError::Verify {
            key: key.to_string(),
            detail: "the object is not there".into(),
        }),
    }
}

/// The size and SHA-256 of what is stored at `key`, or `None` if nothing is. On S3 the SHA-256
/// comes from the object's `sha256` metadata when present; otherwise (objects written by other
/// tools, `file://` lakes) the object is read and hashed.
pub async fn stored_digest(lake: &Lake, key: &Path) -> Result<Option<Digest>, LakeError> {
    let store = lake.store();
    let store_error = |action, source| LakeError::Store {
        key: key.to_string(),
        action,
        source,
    };
    let head = match store
        .get_opts(
            key,
            GetOptions {
                head: true,
                ..Default::default()
            },
        )
        .await
    {
        Ok(head) => head,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(source) => return Err(store_error("look up", source)),
    };
    let bytes = head.meta.size;
    if let Some(sha) = head
        .attributes
        .get(&Attribute::Metadata(SHA256_METADATA.into()))
    {
        return Ok(Some(Digest {
            bytes,
            sha256: sha.as_ref().to_owned(),
        }));
    }
    let mut stream = match store.get_opts(key, GetOptions::default()).await {
        Ok(got) => got.into_stream(),
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(source) => return Err(store_error("read", source)),
    };
    let mut hasher = Sha256::new();
    let mut read = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|source| store_error("read", source))?;
        read += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok(Some(Digest {
        bytes: read,
        sha256: hex(&hasher.finalize()),
    }))
}

/// Aborts open multipart uploads of exactly `key` left by an earlier run (S3 only).
async fn abort_stale_uploads(lake: &Lake, key: &Path) -> Result<usize, LakeError> {
    let Some(admin) = lake.s3_admin() else {
        return Ok(0);
    };
    let stale: Vec<_> = admin
        .list_multipart_uploads(key.as_ref())
        .await?
        .into_iter()
        .filter(|u| u.key == key.as_ref())
        .collect();
    for upload in &stale {
        admin.abort_multipart_upload(upload).await?;
    }
    Ok(stale.len())
}

async fn put_single(
    store: &dyn ObjectStore,
    request: &UploadRequest,
    attributes: Attributes,
    outcome: UploadOutcome,
    progress: &dyn Progress,
) -> Result<(), LakeError> {
    let key = &request.key;
    let data = tokio::fs::read(&request.file)
        .await
        .map_err(|source| LakeError::Read {
            path: request.file.clone(),
            source,
        })?;
    let digest = Digest {
        bytes: data.len() as u64,
        sha256: hex(&Sha256::digest(&data)),
    };
    if digest != request.digest {
        return Err(changed_meanwhile(request));
    }
    let mode = if outcome == UploadOutcome::Overwritten {
        PutMode::Overwrite
    } else {
        PutMode::Create
    };
    let options = PutOptions {
        mode,
        attributes,
        ..Default::default()
    };
    match store.put_opts(key, PutPayload::from(data), options).await {
        Ok(_) => {
            progress.advance(digest.bytes);
            Ok(())
        }
        Err(object_store::Error::AlreadyExists { .. }) => Err(LakeError::Conflict {
            key: key.to_string(),
            stored: "written by someone else meanwhile".into(),
            local: request.digest.sha256.clone(),
        }),
        Err(source) => Err(LakeError::Store {
            key: key.to_string(),
            action: "upload",
            source,
        }),
    }
}

fn changed_meanwhile(request: &UploadRequest) -> LakeError {
    LakeError::Read {
        path: request.file.clone(),
        source: std::io::Error::other(
            "the file changed after it was validated; nothing was stored",
        ),
    }
}

async fn put_multipart(
    store: &dyn ObjectStore,
    request: &UploadRequest,
    attributes: Attributes,
    options: &UploadOptions,
    progress: &dyn Progress,
) -> Result<(), LakeError> {
    let key = request.key.to_string();
    let store_error = |action, source| LakeError::Store {
        key: key.clone(),
        action,
        source,
    };
    let part_size = effective_part_size(options.part_size, request.digest.bytes);
    let mut upload = store
        .put_multipart_opts(
            &request.key,
            PutMultipartOptions {
                attributes,
                ..Default::default()
            },
        )
        .await
        .map_err(|source| store_error("start multipart upload", source))?;

    let sent = async {
        let read_error = |source| LakeError::Read {
            path: request.file.clone(),
            source,
        };
        let mut file = tokio::fs::File::open(&request.file)
            .await
            .map_err(read_error)?;
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let mut in_flight: FuturesUnordered<BoxFuture<'static, object_store::Result<u64>>> =
            FuturesUnordered::new();
        loop {
            let part = read_part(&mut file, part_size).await.map_err(read_error)?;
            if part.is_empty() {
                break;
            }
            hasher.update(&part);
            bytes += part.len() as u64;
            // Back-pressure: at most `concurrency` parts in memory besides the one just read.
            while in_flight.len() >= options.concurrency.max(1) {
                if let Some(done) = in_flight.next().await {
                    progress.advance(done.map_err(|source| store_error("upload part", source))?);
                }
            }
            let len = part.len() as u64;
            let put = upload.put_part(PutPayload::from(part));
            in_flight.push(Box::pin(async move { put.await.map(|()| len) }));
        }
        while let Some(done) = in_flight.next().await {
            progress.advance(done.map_err(|source| store_error("upload part", source))?);
        }
        if (Digest {
            bytes,
            sha256: hex(&hasher.finalize()),
        }) != request.digest
        {
            return Err(changed_meanwhile(request));
        }
        upload
            .complete()
            .await
            .map_err(|source| store_error("complete multipart upload", source))?;
        Ok(())
    }
    .await;

    match sent {
        Ok(()) => Ok(()),
        Err(error) => match upload.abort().await {
            Ok(()) => Err(error),
            Err(abort) => Err(LakeError::AbortFailed {
                key,
                source: Box::new(error),
                abort: abort.to_string(),
            }),
        },
    }
}

/// S3 allows at most this many parts in one multipart upload.
const MAX_PARTS: u64 = 10_000;

/// The part size for a file of `bytes`: the configured one, or larger (whole MiB) when the file
/// would otherwise need more than [`MAX_PARTS`] parts (5 MiB parts reach about 48 GiB).
fn effective_part_size(configured: usize, bytes: u64) -> usize {
    const MIB: u64 = 1 << 20;
    let needed = bytes.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    configured.max(usize::try_from(needed).unwrap_or(usize::MAX))
}

/// Reads up to `size` bytes (fewer only at the end of the file) into an exactly sized buffer.
async fn read_part(file: &mut tokio::fs::File, size: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; size];
    let mut filled = 0;
    while filled < size {
        let n = file.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_grows_only_past_ten_thousand_parts() {
        let mib = 1usize << 20;
        assert_eq!(effective_part_size(5 * mib, 700_000_000), 5 * mib);
        assert_eq!(
            effective_part_size(5 * mib, 10_000 * 5 * mib as u64),
            5 * mib
        );
        // One byte more needs 6 MiB parts: 10 000 of them hold it.
        let bigger = 10_000 * 5 * mib as u64 + 1;
        assert_eq!(effective_part_size(5 * mib, bigger), 6 * mib);
        assert!(bigger.div_ceil(6 * mib as u64) <= MAX_PARTS);
        // A configured size is kept unless the file needs more.
        assert_eq!(effective_part_size(64 * mib, 1 << 40), 105 * mib);
        assert_eq!(effective_part_size(64 * mib, 1 << 30), 64 * mib);
    }
}
