//! The few S3 requests object_store does not offer: create a bucket, list and abort open
//! multipart uploads. They are signed with object_store's own SigV4 [`AwsAuthorizer`] and sent
//! with the reqwest client object_store already links, so they add no dependency weight.
//!
//! Listing open uploads is what lets ingest clean up after a run that died while the server was
//! unreachable (the abort could not be delivered then). Requests are retried on transport errors
//! and 5xx answers, as object_store retries its own.

use std::sync::Arc;

use object_store::aws::{AmazonS3, AwsAuthorizer};
use object_store::client::HttpRequestBody;
use reqwest::{Method, StatusCode, Url};

use crate::error::LakeError;

/// Attempts per request. Every request here is idempotent (list, abort, bucket configuration),
/// and object_store's retries do not cover them: a dropped connection or a 5xx is tried again.
const ATTEMPTS: u32 = 5;
/// The pause before the second attempt; it doubles each time (0.4 s, 0.8 s, 1.6 s, 3.2 s: a
/// server restart of a few seconds is ridden out).
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

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
}

impl S3Admin {
    pub(crate) fn new(
        store: Arc<AmazonS3>,
        bucket: &str,
        region: &str,
        endpoint: Option<&str>,
    ) -> S3Admin {
        let bucket_url = match endpoint {
            Some(e) => format!("{}/{bucket}", e.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        };
        S3Admin {
            store,
            client: reqwest::Client::new(),
            bucket: bucket.to_owned(),
            region: region.to_owned(),
            bucket_url,
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
        let fail = |detail: String| LakeError::S3Request {
            what: what.to_owned(),
            detail,
        };
        let mut url = Url::parse(&format!("{}/{}", self.bucket_url, encode_key(key)))
            .map_err(|e| fail(format!("bad url: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let credential = self
            .store
            .credentials()
            .get_credential()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut request = request
            .body(HttpRequestBody::from(body.clone()))
            .map_err(|e| fail(e.to_string()))?;
        AwsAuthorizer::new(&credential, "s3", &self.region).authorize(&mut request, None);
        let mut attempt = 1;
        loop {
            let sent = async {
                let response = self
                    .client
                    .request(method.clone(), url.clone())
                    .headers(request.headers().clone())
                    .body(body.clone())
                    .send()
                    .await?;
                let status = response.status();
                Ok::<_, reqwest::Error>((status, response.text().await?))
            }
            .await;
            let retry = match &sent {
                Ok((status, _)) => {
                    status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
                }
                Err(_) => true,
            };
            if !retry || attempt >= ATTEMPTS {
                return sent.map_err(|e| fail(e.to_string()));
            }
            tokio::time::sleep(RETRY_PAUSE * 2u32.pow(attempt)).await;
            attempt += 1;
        }
    }
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
