//! The retries object_store 0.13 leaves out, for an S3 lake.
//!
//! object_store retries a request that fails before its answer's head arrives, and resumes a GET
//! whose body is cut. It does not retry a LIST whose answer is cut inside its body ("Error getting
//! list response body"), and it gives up on a request once its own retries fail with an error it
//! does not classify as transient. In the fault runs (RELIABILITY.md) those two made refine fail
//! in 11 runs of 50: the LIST of a Raw prefix cut mid-body, the GET of a manifest.
//!
//! [`ResilientStore`] wraps the lake's S3 store and, on a generic store error (never on "not
//! found", a failed precondition or a refused permission), retries:
//! - a listing, resumed after the last key it already yielded (S3 lists in key order, so
//!   `list_with_offset` from that key yields exactly the rest, nothing twice);
//! - a listing by delimiter, and the request of a GET or HEAD (`get_opts`, `get_ranges`), whole;
//! - a plain overwriting PUT (`PutMode::Overwrite`) or copy (`CopyMode::Overwrite`), whose answer
//!   object_store does not retry when it is cut after its head (refine's stable copy of the
//!   extract failed so in 2 fault runs of 50): doing it again leaves the same object. A
//!   create-only or conditional PUT or copy is never retried here — a lost answer to one may mean
//!   it succeeded, which only its caller can tell (ingest checks the stored object);
//! - a batch of deletes (S3's DeleteObjects, which object_store sends even for one key): its
//!   answer cut inside the body fails the whole batch (`cinelake prune` failed so in a fault
//!   run), and deleting the same keys again is harmless.
//!
//! At most [`EXTRA_ATTEMPTS`] more times, pausing 200 ms, then twice as long each time, and never
//! once the lake's retry timeout has passed since the first attempt, so a server that stays down
//! still fails the command in about the same time. `--retries 0` turns these off too. Writes are
//! passed through untouched: their retries are object_store's and `s3admin`'s, with the
//! create-only checks the upload needs.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyMode, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

use crate::lake::RetryOptions;

/// Retries after object_store's own, at most.
pub const EXTRA_ATTEMPTS: usize = 3;

/// The first pause; each next one is twice as long.
const FIRST_PAUSE: Duration = Duration::from_millis(200);

/// An S3 store with the retries of the module docs.
#[derive(Debug)]
pub struct ResilientStore {
    inner: Arc<dyn ObjectStore>,
    retry: RetryOptions,
}

impl ResilientStore {
    /// `inner` must list in key order (S3 does; a local folder does not).
    pub fn new(inner: Arc<dyn ObjectStore>, retry: RetryOptions) -> ResilientStore {
        ResilientStore { inner, retry }
    }
}

impl fmt::Display for ResilientStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResilientStore({})", self.inner)
    }
}

/// Whether another attempt may help: object_store's catch-all for transport and server trouble,
/// as opposed to the answers that are final (not found, precondition, permission, ...).
fn worth_retrying(error: &object_store::Error) -> bool {
    matches!(error, object_store::Error::Generic { .. })
}

/// When attempts may be made, from the first one.
#[derive(Debug, Clone)]
struct Schedule {
    started: Instant,
    retried: usize,
    retry: RetryOptions,
}

impl Schedule {
    fn new(retry: &RetryOptions) -> Schedule {
        Schedule {
            started: Instant::now(),
            retried: 0,
            retry: retry.clone(),
        }
    }

    /// The pause before the next attempt after `error`, or `None` to give up.
    fn next_pause(&mut self, error: &object_store::Error) -> Option<Duration> {
        let allowed = EXTRA_ATTEMPTS.min(self.retry.max_retries);
        if !worth_retrying(error)
            || self.retried >= allowed
            || self.started.elapsed() >= self.retry.timeout
        {
            return None;
        }
        let pause = FIRST_PAUSE * 2u32.pow(self.retried as u32);
        self.retried += 1;
        Some(pause)
    }
}

/// Runs `attempt` until it succeeds or [`Schedule`] gives up.
async fn with_retries<T, F, Fut>(retry: &RetryOptions, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut schedule = Schedule::new(retry);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => match schedule.next_pause(&error) {
                Some(pause) => tokio::time::sleep(pause).await,
                None => return Err(error),
            },
        }
    }
}

/// Keys per DeleteObjects request: S3's limit.
const DELETE_BATCH: usize = 1000;

/// Deletes one batch, all of it again while it fails with a generic error (the request's answer
/// was lost, so which keys went is unknown). Errors of the input stream pass through unchanged;
/// a batch that still fails answers with its last error alone.
async fn delete_batch(
    inner: Arc<dyn ObjectStore>,
    batch: Vec<Result<Path>>,
    retry: RetryOptions,
) -> Vec<Result<Path>> {
    let (paths, mut out): (Vec<_>, Vec<_>) = batch.into_iter().partition(Result::is_ok);
    let paths: Vec<Path> = paths.into_iter().flatten().collect();
    if paths.is_empty() {
        return out;
    }
    let deleted = with_retries(&retry, || {
        let locations = futures::stream::iter(paths.clone().into_iter().map(Ok)).boxed();
        let answers = inner.delete_stream(locations).collect::<Vec<_>>();
        async move {
            // A final answer for a key (not found, refused) is the caller's to see, not retried.
            answers
                .await
                .into_iter()
                .try_fold(Vec::new(), |mut answers, answer| match answer {
                    Err(error) if worth_retrying(&error) => Err(error),
                    answer => {
                        answers.push(answer);
                        Ok(answers)
                    }
                })
        }
    })
    .await;
    match deleted {
        Ok(answers) => out.extend(answers),
        Err(error) => out.push(Err(error)),
    }
    out
}

/// A listing that starts again after its last key when it fails.
fn resumed_listing(
    inner: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    offset: Option<Path>,
    retry: RetryOptions,
) -> BoxStream<'static, Result<ObjectMeta>> {
    struct Listing {
        inner: Arc<dyn ObjectStore>,
        prefix: Option<Path>,
        /// The last key yielded (or the caller's offset): a restart lists after it.
        after: Option<Path>,
        current: Option<BoxStream<'static, Result<ObjectMeta>>>,
        schedule: Schedule,
        finished: bool,
    }
    let listing = Listing {
        inner,
        prefix,
        after: offset,
        current: None,
        schedule: Schedule::new(&retry),
        finished: false,
    };
    futures::stream::unfold(listing, |mut listing| async move {
        if listing.finished {
            return None;
        }
        loop {
            let current = listing.current.get_or_insert_with(|| match &listing.after {
                Some(after) => listing
                    .inner
                    .list_with_offset(listing.prefix.as_ref(), after),
                None => listing.inner.list(listing.prefix.as_ref()),
            });
            match current.next().await {
                Some(Ok(meta)) => {
                    listing.after = Some(meta.location.clone());
                    return Some((Ok(meta), listing));
                }
                None => return None,
                Some(Err(error)) => match listing.schedule.next_pause(&error) {
                    Some(pause) => {
                        listing.current = None;
                        tokio::time::sleep(pause).await;
                    }
                    None => {
                        listing.finished = true;
                        return Some((Err(error), listing));
                    }
                },
            }
        }
    })
    .boxed()
}

#[async_trait::async_trait]
impl ObjectStore for ResilientStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        if opts.mode != PutMode::Overwrite {
            return self.inner.put_opts(location, payload, opts).await;
        }
        with_retries(&self.retry, || {
            self.inner.put_opts(location, payload.clone(), opts.clone())
        })
        .await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        with_retries(&self.retry, || {
            self.inner.get_opts(location, options.clone())
        })
        .await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        with_retries(&self.retry, || self.inner.get_ranges(location, ranges)).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let (inner, retry) = (self.inner.clone(), self.retry.clone());
        locations
            .chunks(DELETE_BATCH)
            .then(move |batch| delete_batch(inner.clone(), batch, retry.clone()))
            .flat_map(futures::stream::iter)
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        resumed_listing(
            self.inner.clone(),
            prefix.cloned(),
            None,
            self.retry.clone(),
        )
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        resumed_listing(
            self.inner.clone(),
            prefix.cloned(),
            Some(offset.clone()),
            self.retry.clone(),
        )
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        with_retries(&self.retry, || self.inner.list_with_delimiter(prefix)).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        if options.mode != CopyMode::Overwrite {
            return self.inner.copy_opts(from, to, options).await;
        }
        with_retries(&self.retry, || {
            self.inner.copy_opts(from, to, options.clone())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;

    use super::*;

    /// An in-memory store (which lists in key order) whose listings fail after `fail_after`
    /// items, `failures` times, and whose GETs fail `failures` times first.
    #[derive(Debug)]
    struct Flaky {
        inner: InMemory,
        fail_after: usize,
        failures: AtomicUsize,
        calls: AtomicUsize,
        error: fn() -> object_store::Error,
    }

    fn cut() -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: "Error getting list response body: connection closed".into(),
        }
    }

    fn not_found() -> object_store::Error {
        object_store::Error::NotFound {
            path: "x".into(),
            source: "gone".into(),
        }
    }

    impl Flaky {
        /// Counts a call and says whether it fails.
        fn failing(&self) -> bool {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        }

        /// A request that fails on cue.
        fn attempt(&self) -> Result<()> {
            if self.failing() {
                Err((self.error)())
            } else {
                Ok(())
            }
        }

        /// A listing cut after `fail_after` items on cue.
        fn listing(
            &self,
            items: BoxStream<'static, Result<ObjectMeta>>,
        ) -> BoxStream<'static, Result<ObjectMeta>> {
            if !self.failing() {
                return items;
            }
            let error = self.error;
            items
                .take(self.fail_after)
                .chain(futures::stream::once(async move { Err(error()) }))
                .boxed()
        }
    }

    impl fmt::Display for Flaky {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Flaky")
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for Flaky {
        async fn put_opts(&self, l: &Path, p: PutPayload, o: PutOptions) -> Result<PutResult> {
            self.attempt()?;
            self.inner.put_opts(l, p, o).await
        }
        async fn put_multipart_opts(
            &self,
            l: &Path,
            o: PutMultipartOptions,
        ) -> Result<Box<dyn MultipartUpload>> {
            self.inner.put_multipart_opts(l, o).await
        }
        async fn get_opts(&self, l: &Path, o: GetOptions) -> Result<GetResult> {
            self.attempt()?;
            self.inner.get_opts(l, o).await
        }
        fn delete_stream(
            &self,
            l: BoxStream<'static, Result<Path>>,
        ) -> BoxStream<'static, Result<Path>> {
            // A DeleteObjects answer cut in its body: the whole batch fails, nothing deleted.
            if self.failing() {
                return futures::stream::once(async { Err(cut()) }).boxed();
            }
            self.inner.delete_stream(l)
        }
        fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
            self.listing(self.inner.list(prefix))
        }
        fn list_with_offset(
            &self,
            prefix: Option<&Path>,
            offset: &Path,
        ) -> BoxStream<'static, Result<ObjectMeta>> {
            self.listing(self.inner.list_with_offset(prefix, offset))
        }
        async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
            self.inner.list_with_delimiter(prefix).await
        }
        async fn copy_opts(&self, f: &Path, t: &Path, o: CopyOptions) -> Result<()> {
            self.attempt()?;
            self.inner.copy_opts(f, t, o).await
        }
    }

    async fn flaky(keys: usize, fail_after: usize, failures: usize) -> Arc<Flaky> {
        flaky_with(keys, fail_after, failures, cut).await
    }

    async fn flaky_with(
        keys: usize,
        fail_after: usize,
        failures: usize,
        error: fn() -> object_store::Error,
    ) -> Arc<Flaky> {
        let inner = InMemory::new();
        for i in 0..keys {
            inner
                .put(&Path::from(format!("Raw/k{i:03}")), "x".into())
                .await
                .expect("put");
        }
        Arc::new(Flaky {
            inner,
            fail_after,
            failures: AtomicUsize::new(failures),
            calls: AtomicUsize::new(0),
            error,
        })
    }

    fn retry(max_retries: usize) -> RetryOptions {
        RetryOptions {
            max_retries,
            timeout: Duration::from_secs(60),
        }
    }

    async fn keys(stream: BoxStream<'static, Result<ObjectMeta>>) -> Result<Vec<String>> {
        stream
            .map(|meta| meta.map(|m| m.location.to_string()))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    fn expected(range: Range<usize>) -> Vec<String> {
        range.map(|i| format!("Raw/k{i:03}")).collect()
    }

    #[tokio::test]
    async fn a_cut_listing_resumes_after_its_last_key_with_nothing_twice() {
        let inner = flaky(25, 7, 2).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        let listed = keys(store.list(Some(&Path::from("Raw"))))
            .await
            .expect("listed");
        assert_eq!(listed, expected(0..25));
        // The first listing, then two resumed ones (one of them cut again).
        assert_eq!(inner.calls.load(Ordering::SeqCst), 3);

        let inner = flaky(25, 4, 1).await;
        let store = ResilientStore::new(inner, retry(10));
        let listed =
            keys(store.list_with_offset(Some(&Path::from("Raw")), &Path::from("Raw/k009")))
                .await
                .expect("listed");
        assert_eq!(listed, expected(10..25));
    }

    #[tokio::test]
    async fn retries_stop_after_three_and_the_last_error_is_returned() {
        let inner = flaky(25, 3, 4).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        let error = keys(store.list(None)).await.expect_err("four cuts");
        assert!(error.to_string().contains("list response body"), "{error}");
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1 + EXTRA_ATTEMPTS);

        let inner = flaky(1, 0, 4).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        assert!(store.get(&Path::from("Raw/k000")).await.is_err());
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1 + EXTRA_ATTEMPTS);
    }

    #[tokio::test]
    async fn a_get_is_retried_but_not_found_and_no_retries_are_final() {
        let inner = flaky(1, 0, 2).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        let got = store.get(&Path::from("Raw/k000")).await.expect("third try");
        assert_eq!(got.bytes().await.expect("body"), Bytes::from("x"));
        assert_eq!(inner.calls.load(Ordering::SeqCst), 3);

        let inner = flaky_with(1, 0, 1, not_found).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        assert!(matches!(
            store.get(&Path::from("Raw/k000")).await,
            Err(object_store::Error::NotFound { .. })
        ));
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);

        let inner = flaky(25, 3, 1).await;
        let store = ResilientStore::new(inner.clone(), retry(0));
        assert!(keys(store.list(None)).await.is_err());
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_overwriting_put_or_copy_is_retried_a_create_only_one_is_not() {
        let key = Path::from("Refined/dashboard/titles.csv");
        let inner = flaky(0, 0, 2).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        store.put(&key, "v1".into()).await.expect("third try");
        assert_eq!(inner.calls.load(Ordering::SeqCst), 3);
        let stored = inner.inner.get(&key).await.expect("stored");
        assert_eq!(stored.bytes().await.expect("body"), Bytes::from("v1"));

        let inner = flaky(0, 0, 1).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        let create_only = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        assert!(
            store
                .put_opts(&key, "v1".into(), create_only)
                .await
                .is_err()
        );
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);

        // The same for copies: refine's stable copy of the extract.
        let inner = flaky(1, 0, 2).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        store
            .copy(&Path::from("Raw/k000"), &key)
            .await
            .expect("third try");
        assert_eq!(inner.calls.load(Ordering::SeqCst), 3);
        let inner = flaky(1, 0, 1).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        assert!(
            store
                .copy_if_not_exists(&Path::from("Raw/k000"), &key)
                .await
                .is_err()
        );
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_batch_of_deletes_is_sent_again() {
        let paths =
            || futures::stream::iter(expected(0..3).into_iter().map(|k| Ok(Path::from(k)))).boxed();
        let inner = flaky(4, 0, 2).await;
        let store = ResilientStore::new(inner.clone(), retry(10));
        let answers: Vec<Result<Path>> = store.delete_stream(paths()).collect().await;
        assert_eq!(answers.len(), 3, "{answers:?}");
        assert!(answers.iter().all(Result::is_ok), "{answers:?}");
        assert_eq!(inner.calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            keys(inner.inner.list(None)).await.expect("listing"),
            expected(3..4)
        );

        // Without retries the batch's error is the answer, and the keys stay.
        let inner = flaky(4, 0, 1).await;
        let store = ResilientStore::new(inner.clone(), retry(0));
        let answers: Vec<Result<Path>> = store.delete_stream(paths()).collect().await;
        assert!(
            matches!(answers[..], [Err(object_store::Error::Generic { .. })]),
            "{answers:?}"
        );
        assert_eq!(
            keys(inner.inner.list(None)).await.expect("listing"),
            expected(0..4)
        );
    }

    #[tokio::test]
    async fn no_retry_starts_after_the_timeout() {
        let inner = flaky(25, 3, 1).await;
        let store = ResilientStore::new(
            inner.clone(),
            RetryOptions {
                max_retries: 10,
                timeout: Duration::ZERO,
            },
        );
        assert!(keys(store.list(None)).await.is_err());
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
    }
}
