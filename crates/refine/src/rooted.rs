//! An object store seen from a key prefix: the lake's `s3://bucket/prefix` as a store whose keys
//! start at the lake's root.
//!
//! object_store's own `PrefixStore` (0.13.2) adds the prefix on every request but does not strip
//! it from the metadata `get_opts` returns, so `head` reports `prefix/key` instead of `key`.
//! DataFusion takes a table file's location from `head` and then asks for it again, which through
//! `PrefixStore` becomes `prefix/prefix/key`: an S3 lake with a prefix read as empty tables.
//! This wrapper delegates to `PrefixStore` and strips the prefix from `get_opts`'s metadata too.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// `inner` with every key under `prefix`; see the module docs.
#[derive(Debug)]
pub struct RootedStore {
    prefix: Path,
    inner: PrefixStore<Arc<dyn ObjectStore>>,
}

impl RootedStore {
    pub fn new(inner: Arc<dyn ObjectStore>, prefix: Path) -> RootedStore {
        RootedStore {
            inner: PrefixStore::new(inner, prefix.clone()),
            prefix,
        }
    }
}

impl fmt::Display for RootedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootedStore({}, {})", self.prefix, self.inner)
    }
}

#[async_trait::async_trait]
impl ObjectStore for RootedStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let mut result = self.inner.get_opts(location, options).await?;
        let stripped: Option<Path> = result
            .meta
            .location
            .prefix_match(&self.prefix)
            .map(|suffix| suffix.collect());
        if let Some(location) = stripped {
            result.meta.location = location;
        }
        Ok(result)
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> Result<Vec<bytes::Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;

    use super::*;

    #[tokio::test]
    async fn head_through_a_prefix_reports_the_key_without_the_prefix() {
        let inner: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let store = RootedStore::new(inner.clone(), Path::from("lake"));
        let key = Path::from("Raw/m.csv");
        store
            .put(&key, PutPayload::from_static(b"x"))
            .await
            .expect("put");
        assert_eq!(store.head(&key).await.expect("head").location, key);
        assert_eq!(store.get(&key).await.expect("get").meta.location, key);
        // The object really lives under the prefix.
        inner
            .head(&Path::from("lake/Raw/m.csv"))
            .await
            .expect("stored under the prefix");
    }
}
