//! `s3s_fs::FileSystem` plus the one S3 operation the lake needs that it lacks:
//! `ListMultipartUploads`. Ingest lists the open uploads of a key to abort the leftovers of a
//! crashed run (no orphan parts), so without it the embedded endpoint would behave unlike S3 and
//! SeaweedFS on exactly the path the reliability promises rest on.
//!
//! Every other operation is passed through unchanged. An upload in progress is found the way
//! s3s-fs records it: `ROOT/.bucket-{b64(bucket)}.object-{b64(key)}.upload-{uuid}.metadata.json`,
//! written by CreateMultipartUpload and removed by CompleteMultipartUpload and
//! AbortMultipartUpload (base64 is URL-safe without padding).

use std::path::PathBuf;

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

/// The file system backend the endpoint serves.
pub(crate) struct LocalFs {
    inner: s3s_fs::FileSystem,
    root: PathBuf,
}

impl LocalFs {
    pub(crate) fn new(inner: s3s_fs::FileSystem, root: PathBuf) -> LocalFs {
        LocalFs { inner, root }
    }
}

/// One open upload, from its metadata file's name.
#[derive(Debug, PartialEq, Eq)]
struct OpenUpload {
    bucket: String,
    key: String,
    upload_id: String,
}

/// Parses `.bucket-B.object-K.upload-U.metadata.json`; anything else (objects' own metadata,
/// parts, temporary files) is `None`.
fn parse_upload_file_name(name: &str) -> Option<OpenUpload> {
    let rest = name.strip_prefix(".bucket-")?;
    let rest = rest.strip_suffix(".metadata.json")?;
    let (bucket, rest) = rest.split_once(".object-")?;
    let (key, upload_id) = rest.split_once(".upload-")?;
    let decode = |s: &str| -> Option<String> {
        let bytes = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(s).ok()?;
        String::from_utf8(bytes).ok()
    };
    Some(OpenUpload {
        bucket: decode(bucket)?,
        key: decode(key)?,
        upload_id: upload_id.to_owned(),
    })
}

#[async_trait::async_trait]
impl S3 for LocalFs {
    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        if !self.root.join(&input.bucket).is_dir() {
            return Err(s3_error!(NoSuchBucket));
        }
        let prefix = input.prefix.clone().unwrap_or_default();
        let entries = std::fs::read_dir(&self.root)
            .map_err(|e| s3_error!(InternalError, "cannot list the endpoint's root: {e}"))?;
        let mut uploads: Vec<(OpenUpload, Option<Timestamp>)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name();
                let upload = parse_upload_file_name(name.to_str()?)?;
                let initiated = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .map(Timestamp::from);
                Some((upload, initiated))
            })
            .filter(|(u, _)| u.bucket == input.bucket && u.key.starts_with(&prefix))
            .collect();
        // S3 orders by key, then by initiation; the upload id is a stable stand-in for the latter.
        uploads.sort_by(|(a, _), (b, _)| (&a.key, &a.upload_id).cmp(&(&b.key, &b.upload_id)));
        if let Some(marker) = &input.key_marker {
            let id_marker = input.upload_id_marker.clone().unwrap_or_default();
            uploads.retain(|(u, _)| {
                u.key.as_str() > marker.as_str()
                    || (u.key == *marker && !id_marker.is_empty() && u.upload_id > id_marker)
            });
        }
        let max = input.max_uploads.unwrap_or(1000).clamp(1, 1000) as usize;
        let truncated = uploads.len() > max;
        uploads.truncate(max);
        let last = uploads
            .last()
            .map(|(u, _)| (u.key.clone(), u.upload_id.clone()));
        let list = uploads
            .into_iter()
            .map(|(u, initiated)| MultipartUpload {
                key: Some(u.key),
                upload_id: Some(u.upload_id),
                initiated,
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            next_key_marker: truncated.then(|| last.clone().map(|l| l.0)).flatten(),
            next_upload_id_marker: truncated.then(|| last.map(|l| l.1)).flatten(),
            uploads: Some(list),
            ..Default::default()
        }))
    }

    // Everything below is s3s-fs unchanged.

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.inner.create_bucket(req).await
    }
    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.inner.copy_object(req).await
    }
    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.inner.delete_bucket(req).await
    }
    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.inner.delete_object(req).await
    }
    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.inner.delete_objects(req).await
    }
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.inner.get_bucket_location(req).await
    }
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.inner.get_object(req).await
    }
    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }
    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.inner.head_object(req).await
    }
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.inner.list_buckets(req).await
    }
    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.inner.list_objects(req).await
    }
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.inner.list_objects_v2(req).await
    }
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.inner.put_object(req).await
    }
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.inner.create_multipart_upload(req).await
    }
    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.inner.upload_part(req).await
    }
    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.inner.upload_part_copy(req).await
    }
    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.inner.list_parts(req).await
    }
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.inner.complete_multipart_upload(req).await
    }
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.inner.abort_multipart_upload(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64_simd::URL_SAFE_NO_PAD.encode_to_string(s)
    }

    #[test]
    fn parses_only_open_upload_metadata_files() {
        let key = "lake-prefix/Raw/Local/CSV/Movies/2024/01/02/movies.csv";
        let upload = format!(
            ".bucket-{}.object-{}.upload-1234-abcd.metadata.json",
            b64("lake"),
            b64(key)
        );
        assert_eq!(
            parse_upload_file_name(&upload),
            Some(OpenUpload {
                bucket: "lake".into(),
                key: key.into(),
                upload_id: "1234-abcd".into()
            })
        );
        let object_metadata = format!(".bucket-{}.object-{}.metadata.json", b64("lake"), b64(key));
        assert_eq!(parse_upload_file_name(&object_metadata), None);
        assert_eq!(parse_upload_file_name(".upload_id-1234.part-1"), None);
        assert_eq!(parse_upload_file_name("lake"), None);
        assert_eq!(
            parse_upload_file_name(".bucket-!!.object-!!.upload-x.metadata.json"),
            None
        );
    }
}
