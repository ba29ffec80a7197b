//! The S3 requests object_store does not offer: create a bucket, list and abort open multipart
//! uploads, and a multipart upload whose parts carry checksums computed beforehand and whose
//! completion is conditional. They are signed with object_store's own SigV4 [`AwsAuthorizer`]
//! and sent with the reqwest client object_store already links, so they add no dependency weight.
//!
//! Listing open uploads is what lets ingest clean up after a run that died while the server was
//! unreachable (the abort could not be delivered then).
//!
//! Why ingest's multipart upload is here and not object_store's `put_multipart` (0.13): that one
//! hashes every part again (its SHA-256 checksum and payload signature) and completes without
//! `If-None-Match`. Here each part goes with the SHA-256 computed while the file was validated
//! (`x-amz-checksum-sha256`, a signed header; the payload itself is `UNSIGNED-PAYLOAD`), so the
//! client hashes nothing twice and a server that verifies checksums refuses bytes that changed
//! since validation; and the completion carries `If-None-Match: *` when the key must not exist,
//! so create-only holds for large files too, atomically on the server.
//!
//! Every request is retried on transport errors, 5xx and 429 answers with doubling pauses, as
//! object_store retries its own: the bucket-level ones a fixed few times, the upload's requests
//! as the lake's [`RetryOptions`] say.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use object_store::aws::{AmazonS3, AwsAuthorizer};
use object_store::client::HttpRequestBody;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};

use crate::error::LakeError;
use crate::lake::RetryOptions;

/// Retries of the bucket-level requests (list, abort, bucket configuration): all idempotent,
/// and 5 retries (0.2 s to 3.2 s apart, 6.2 s in all) ride out a server restart of a few seconds.
const ADMIN_RETRY: RetryOptions = RetryOptions {
    max_retries: 5,
    timeout: Duration::from_secs(60),
};
/// The pause before the first retry; it doubles each time up to [`MAX_RETRY_PAUSE`].
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between two attempts.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take, body and answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// The S3 checksum header ingest sends with every part.
const CHECKSUM_SHA256: &str = "x-amz-checksum-sha256";

/// A multipart upload this run opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedUpload {
    /// The key it creates.
    pub key: String,
    /// The server's upload id.
    pub upload_id: String,
}

impl From<&StartedUpload> for OpenUpload {
    fn from(upload: &StartedUpload) -> OpenUpload {
        OpenUpload {
            key: upload.key.clone(),
            upload_id: upload.upload_id.clone(),
        }
    }
}

/// A stored part, as the completion lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    /// 1-based part number.
    pub number: u32,
    /// The ETag the server gave it.
    pub etag: String,
    /// Its SHA-256, base64 (what `x-amz-checksum-sha256` carried).
    pub sha256_base64: String,
}

/// What the server said about a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartAnswer {
    /// Stored. `verified`: the server answered with the checksum it was sent, so it checked the
    /// bytes against it (servers that ignore checksums do not echo them).
    Stored {
        /// The part.
        part: StoredPart,
        /// Whether the server confirmed the checksum.
        verified: bool,
    },
    /// The server refused the part: its bytes do not match the checksum (`BadDigest`).
    BadDigest,
}

/// Why a conditional completion failed.
#[derive(Debug)]
pub enum CompleteError {
    /// `If-None-Match: *` failed: the key exists (written meanwhile, or by this very request
    /// whose first answer was lost).
    KeyExists,
    /// Anything else.
    Other(LakeError),
}

/// A request's answer.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

/// An open (neither completed nor aborted) multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenUpload {
    /// The key it would create.
    pub key: String,
    /// The server's upload id.
    pub upload_id: String,
}

/// Signed raw requests against one bucket.
pub struct S3Admin {
    store: Arc<AmazonS3>,
    client: reqwest::Client,
    bucket: String,
    region: String,
    /// The bucket's URL, without a trailing slash: path-style with an endpoint, virtual-hosted on AWS.
    bucket_url: String,
    /// Retries of the upload's requests.
    retry: RetryOptions,
}

impl S3Admin {
    pub(crate) fn new(
        store: Arc<AmazonS3>,
        bucket: &str,
        region: &str,
        endpoint: Option<&str>,
        retry: RetryOptions,
    ) -> S3Admin {
        let bucket_url = match endpoint {
            Some(e) => format!("{}/{bucket}", e.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        };
        S3Admin {
            store,
            // No request may hang forever: a server that stops answering is cut off and the
            // request retried. Generous, since eight 5 MiB parts may share a slow uplink.
            client: reqwest::Client::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            bucket: bucket.to_owned(),
            region: region.to_owned(),
            bucket_url,
            retry,
        }
    }

    /// The bucket's base URL without a trailing `/` (path-style with an endpoint, virtual-hosted
    /// on AWS): where anonymous readers of a public-read bucket find its objects.
    pub fn bucket_url(&self) -> &str {
        &self.bucket_url
    }

    /// PUTs a bucket configuration subresource such as `cors` (`PUT /bucket?cors`) with `body`
    /// and extra `headers` (S3 wants `Content-MD5` on these). Used by deploy for PutBucketCors.
    pub async fn put_bucket_subresource(
        &self,
        subresource: &str,
        body: String,
        headers: &[(&str, String)],
    ) -> Result<(), LakeError> {
        let what = format!("put {subresource} configuration of bucket {}", self.bucket);
        let query = [(subresource, String::new())];
        let (status, text) = self
            .send_with_headers(&what, Method::PUT, "", &query, headers, body)
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(LakeError::S3Request {
                what,
                detail: format!("{status}: {}", one_line(&text)),
            })
        }
    }

    /// Creates the bucket; "already owned by you" counts as success.
    pub async fn create_bucket(&self) -> Result<(), LakeError> {
        let what = format!("create bucket {}", self.bucket);
        // Outside us-east-1, S3 wants the region in the body.
        let body = if self.region == "us-east-1" {
            String::new()
        } else {
            format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            )
        };
        let (status, text) = self.send(&what, Method::PUT, "", &[], body).await?;
        if status.is_success() || text.contains("BucketAlreadyOwnedByYou") {
            Ok(())
        } else {
            Err(LakeError::S3Request {
                what,
                detail: format!("{status}: {}", one_line(&text)),
            })
        }
    }

    /// Lists the open multipart uploads whose key starts with `prefix` (full key, no leading `/`).
    pub async fn list_multipart_uploads(&self, prefix: &str) -> Result<Vec<OpenUpload>, LakeError> {
        let what = format!(
            "list multipart uploads in bucket {} under {prefix:?}",
            self.bucket
        );
        let mut out = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut query = vec![("uploads", String::new()), ("prefix", prefix.to_owned())];
            if let Some((key, id)) = &markers {
                query.push(("key-marker", key.clone()));
                query.push(("upload-id-marker", id.clone()));
            }
            let (status, text) = self
                .send(&what, Method::GET, "", &query, String::new())
                .await?;
            if !status.is_success() {
                return Err(LakeError::S3Request {
                    what,
                    detail: format!("{status}: {}", one_line(&text)),
                });
            }
            out.extend(elements(&text, "Upload").into_iter().filter_map(|u| {
                Some(OpenUpload {
                    key: element(u, "Key")?,
                    upload_id: element(u, "UploadId")?,
                })
            }));
            let truncated = element(&text, "IsTruncated").is_some_and(|t| t == "true");
            match (
                truncated,
                element(&text, "NextKeyMarker"),
                element(&text, "NextUploadIdMarker"),
            ) {
                (true, Some(k), Some(u)) => markers = Some((k, u)),
                _ => return Ok(out),
            }
        }
    }

    /// Aborts one multipart upload; an upload that no longer exists counts as aborted.
    pub async fn abort_multipart_upload(&self, upload: &OpenUpload) -> Result<(), LakeError> {
        let what = format!("abort multipart upload of {}", upload.key);
        let query = [("uploadId", upload.upload_id.clone())];
        let (status, text) = self
            .send(&what, Method::DELETE, &upload.key, &query, String::new())
            .await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(LakeError::S3Request {
                what,
                detail: format!("{status}: {}", one_line(&text)),
            })
        }
    }

    async fn send(
        &self,
        what: &str,
        method: Method,
        key: &str,
        query: &[(&str, String)],
        body: String,
    ) -> Result<(StatusCode, String), LakeError> {
        self.send_with_headers(what, method, key, query, &[], body)
            .await
    }

    async fn send_with_headers(
        &self,
        what: &str,
        method: Method,
        key: &str,
        query: &[(&str, String)],
        headers: &[(&str, String)],
        body: String,
    ) -> Result<(StatusCode, String), LakeError> {
        let request = Request {
            what,
            method,
            key,
            query,
            headers,
            body: Bytes::from(body),
            sign_payload: true,
        };
        let answer = self.request(&request, &ADMIN_RETRY).await?;
        Ok((answer.status, answer.text))
    }

    /// Sends `request`, retrying transport errors, 5xx and 429 as `retry` says.
    async fn request(
        &self,
        request: &Request<'_>,
        retry: &RetryOptions,
    ) -> Result<Answer, LakeError> {
        let fail = |detail: String| LakeError::S3Request {
            what: request.what.to_owned(),
            detail,
        };
        let mut url = Url::parse(&format!("{}/{}", self.bucket_url, encode_key(request.key)))
            .map_err(|e| fail(format!("bad url: {e}")))?;
        if !request.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(request.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let credential = self
            .store
            .credentials()
            .get_credential()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut signed = http::Request::builder()
            .method(request.method.clone())
            .uri(url.as_str());
        for (name, value) in request.headers {
            signed = signed.header(*name, value);
        }
        // The authorizer reads the body only to hash it for a signed payload.
        let body_to_sign = if request.sign_payload {
            request.body.clone()
        } else {
            Bytes::new()
        };
        let mut signed = signed
            .body(HttpRequestBody::from(body_to_sign))
            .map_err(|e| fail(e.to_string()))?;
        AwsAuthorizer::new(&credential, "s3", &self.region)
            .with_sign_payload(request.sign_payload)
            .authorize(&mut signed, None);
        let started = Instant::now();
        let mut retries = 0;
        loop {
            let sent = async {
                let response = self
                    .client
                    .request(request.method.clone(), url.clone())
                    .headers(signed.headers().clone())
                    .body(request.body.clone())
                    .send()
                    .await?;
                let status = response.status();
                let headers = response.headers().clone();
                let text = response.text().await?;
                Ok::<_, reqwest::Error>(Answer {
                    status,
                    headers,
                    text,
                })
            }
            .await;
            let retryable = match &sent {
                Ok(answer) => {
                    answer.status.is_server_error()
                        || answer.status == StatusCode::TOO_MANY_REQUESTS
                }
                Err(_) => true,
            };
            if !retryable || retries >= retry.max_retries || started.elapsed() >= retry.timeout {
                return sent.map_err(|e| {
                    let after = if retries > 0 {
                        format!(" (after {retries} retries)")
                    } else {
                        String::new()
                    };
                    fail(format!("{e}{after}"))
                });
            }
            let pause = RETRY_PAUSE
                .saturating_mul(1 << retries.min(16))
                .min(MAX_RETRY_PAUSE);
            tokio::time::sleep(pause).await;
            retries += 1;
        }
    }

    /// Opens a multipart upload of `key` whose parts carry SHA-256 checksums, with `metadata`
    /// as `x-amz-meta-NAME` headers.
    pub async fn create_multipart_upload(
        &self,
        key: &str,
        metadata: &[(String, String)],
    ) -> Result<StartedUpload, LakeError> {
        let what = format!("{key}: start multipart upload failed");
        let mut headers = vec![("x-amz-checksum-algorithm", "SHA256".to_owned())];
        let names: Vec<String> = metadata
            .iter()
            .map(|(name, _)| format!("x-amz-meta-{name}"))
            .collect();
        for (name, (_, value)) in names.iter().zip(metadata) {
            headers.push((name.as_str(), value.clone()));
        }
        let request = Request {
            what: &what,
            method: Method::POST,
            key,
            query: &[("uploads", String::new())],
            headers: &headers,
            body: Bytes::new(),
            sign_payload: true,
        };
        let answer = self.request(&request, &self.retry).await?;
        match element(&answer.text, "UploadId") {
            Some(upload_id) if answer.status.is_success() => Ok(StartedUpload {
                key: key.to_owned(),
                upload_id,
            }),
            _ => Err(unexpected(what, &answer)),
        }
    }

    /// Uploads part `number` (1-based) of `upload` with its SHA-256 computed beforehand.
    pub async fn upload_part(
        &self,
        upload: &StartedUpload,
        number: u32,
        body: Bytes,
        sha256: &[u8; 32],
    ) -> Result<PartAnswer, LakeError> {
        let what = format!("{}: upload part {number} failed", upload.key);
        let sha256_base64 = BASE64.encode(sha256);
        let request = Request {
            what: &what,
            method: Method::PUT,
            key: &upload.key,
            query: &[
                ("partNumber", number.to_string()),
                ("uploadId", upload.upload_id.clone()),
            ],
            headers: &[(CHECKSUM_SHA256, sha256_base64.clone())],
            body,
            sign_payload: false,
        };
        let answer = self.request(&request, &self.retry).await?;
        if answer.status == StatusCode::BAD_REQUEST
            && answer.text.contains("<Code>BadDigest</Code>")
        {
            return Ok(PartAnswer::BadDigest);
        }
        let etag = answer
            .headers
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok());
        match etag {
            Some(etag) if answer.status.is_success() => {
                let echoed = answer
                    .headers
                    .get(CHECKSUM_SHA256)
                    .and_then(|v| v.to_str().ok());
                if let Some(echoed) = echoed
                    && echoed != sha256_base64
                {
                    return Err(LakeError::S3Request {
                        what,
                        detail: format!(
                            "the server stored a part with checksum {echoed}, sent {sha256_base64}"
                        ),
                    });
                }
                Ok(PartAnswer::Stored {
                    part: StoredPart {
                        number,
                        etag: etag.to_owned(),
                        sha256_base64,
                    },
                    verified: echoed.is_some(),
                })
            }
            _ => Err(unexpected(what, &answer)),
        }
    }

    /// Completes `upload` from `parts` (in order). `create_only` sends `If-None-Match: *`.
    pub async fn complete_multipart_upload(
        &self,
        upload: &StartedUpload,
        parts: &[StoredPart],
        create_only: bool,
    ) -> Result<(), CompleteError> {
        let what = format!("{}: complete multipart upload failed", upload.key);
        let mut body = String::from(
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
        );
        for part in parts {
            body.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag><ChecksumSHA256>{}</ChecksumSHA256></Part>",
                part.number,
                escape_xml(&part.etag),
                part.sha256_base64
            ));
        }
        body.push_str("</CompleteMultipartUpload>");
        let mut headers = vec![("content-type", "application/xml".to_owned())];
        if create_only {
            headers.push(("if-none-match", "*".to_owned()));
        }
        let request = Request {
            what: &what,
            method: Method::POST,
            key: &upload.key,
            query: &[("uploadId", upload.upload_id.clone())],
            headers: &headers,
            body: Bytes::from(body),
            sign_payload: true,
        };
        let answer = self
            .request(&request, &self.retry)
            .await
            .map_err(CompleteError::Other)?;
        // S3 may answer 200 and put the error in the body (the completion can fail late).
        if answer.status.is_success() && !answer.text.contains("<Error>") {
            Ok(())
        } else if answer.status == StatusCode::PRECONDITION_FAILED {
            Err(CompleteError::KeyExists)
        } else {
            Err(CompleteError::Other(unexpected(what, &answer)))
        }
    }
}

/// One raw request.
struct Request<'a> {
    /// What it does, for messages.
    what: &'a str,
    method: Method,
    /// Full key, or empty for the bucket.
    key: &'a str,
    query: &'a [(&'a str, String)],
    headers: &'a [(&'a str, String)],
    body: Bytes,
    /// Sign the body's SHA-256 (`false`: `UNSIGNED-PAYLOAD`, for parts whose checksum header,
    /// itself signed, binds the bytes).
    sign_payload: bool,
}

fn unexpected(what: String, answer: &Answer) -> LakeError {
    LakeError::S3Request {
        what,
        detail: format!("{}: {}", answer.status, one_line(&answer.text)),
    }
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Percent-encodes a key for a URL path, keeping `/` (S3's URI encoding).
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The bodies of all `<name>...</name>` elements (S3's XML has no attributes on these).
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

/// The first `<name>` element's text, with XML entities decoded.
fn element(xml: &str, name: &str) -> Option<String> {
    elements(xml, name).first().map(|t| {
        t.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    })
}

fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_multipart_uploads() {
        let xml = "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>\
            <Upload><Key>a/b&amp;c.csv</Key><UploadId>u1</UploadId></Upload>\
            <Upload><Key>d.csv</Key><UploadId>u2</UploadId></Upload></ListMultipartUploadsResult>";
        let uploads: Vec<_> = elements(xml, "Upload")
            .into_iter()
            .filter_map(|u| Some((element(u, "Key")?, element(u, "UploadId")?)))
            .collect();
        assert_eq!(
            uploads,
            vec![
                ("a/b&c.csv".into(), "u1".into()),
                ("d.csv".into(), "u2".into())
            ]
        );
        assert_eq!(element(xml, "IsTruncated").as_deref(), Some("false"));
    }

    #[test]
    fn encodes_keys() {
        assert_eq!(encode_key("Raw/a b+c/ü.csv"), "Raw/a%20b%2Bc/%C3%BC.csv");
    }
}
