//! The lake conformance suite: the same cases run against a `file://` lake, a fresh bucket on
//! the test SeaweedFS (`scripts/s3-server.sh run cargo test -p cinelake-lake`) and the embedded
//! endpoint (`cinelake-serve`, what `cinelake serve` and `cinelake demo` run), plus the S3-only
//! crash test on a SeaweedFS of its own.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Result, ensure};
use chrono::NaiveDate;
use cinelake_core::Kind;
use cinelake_core::raw::{Mode, RawKind};
use cinelake_lake::ingest;
use cinelake_lake::s3admin::{CompleteError, OpenUpload, PartAnswer};
use cinelake_lake::upload::{digest_file, digest_file_parts, stored_digest};
use cinelake_lake::{
    Lake, LakeError, NoProgress, Progress, UploadOptions, UploadOutcome, UploadRequest, raw_key,
    upload_file,
};
use futures::TryStreamExt;
use object_store::{
    Attribute, GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
};
use support::{OwnSeaweed, Target, TempDir, sample, write_file};

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 2).expect("valid date")
}

fn request(lake: &Lake, kind: Kind, file: &std::path::Path) -> Result<UploadRequest> {
    Ok(UploadRequest {
        key: lake.key(&raw_key(kind, date())),
        file: file.to_owned(),
        digest: digest_file(file)?,
        part_checksums: None,
        metadata: vec![("rows".into(), "100".into()), ("titles".into(), "7".into())],
    })
}

/// [`request`] with the part checksums validation computes for parts of `part_size` bytes.
fn request_with_parts(
    lake: &Lake,
    kind: Kind,
    file: &std::path::Path,
    part_size: usize,
) -> Result<UploadRequest> {
    let (digest, part_checksums) = digest_file_parts(file, Some(part_size as u64))?;
    Ok(UploadRequest {
        digest,
        part_checksums,
        ..request(lake, kind, file)?
    })
}

/// Every key in the lake (under its prefix), sorted.
async fn keys(lake: &Lake) -> Result<Vec<String>> {
    let prefix = lake.key("");
    let prefix = if prefix.as_ref().is_empty() {
        None
    } else {
        Some(&prefix)
    };
    let mut keys: Vec<String> = lake
        .store()
        .list(prefix)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await?;
    keys.sort();
    Ok(keys)
}

fn small_parts() -> UploadOptions {
    // 5 MiB is S3's smallest part size.
    UploadOptions {
        part_size: 5 << 20,
        concurrency: 2,
        ..Default::default()
    }
}

async fn exact_key_checksum_and_metadata(t: Target) -> Result<()> {
    let req = request(&t.lake, Kind::Movie, &sample("movies_sample_100.csv"))?;
    let report = upload_file(&t.lake, &req, &UploadOptions::default(), &NoProgress).await?;
    ensure!(report.outcome == UploadOutcome::Created, "{report:?}");

    let prefix = if t.kind == "s3" { "lake-prefix/" } else { "" };
    let expected = vec![format!(
        "{prefix}Raw/Local/CSV/Movies/2024/01/02/movies.csv"
    )];
    ensure!(
        keys(&t.lake).await? == expected,
        "keys {:?}",
        keys(&t.lake).await?
    );
    ensure!(stored_digest(&t.lake, &req.key).await? == Some(req.digest.clone()));

    let head = t
        .lake
        .store()
        .get_opts(
            &req.key,
            GetOptions {
                head: true,
                ..Default::default()
            },
        )
        .await?;
    let meta = |k: &'static str| {
        head.attributes
            .get(&Attribute::Metadata(k.into()))
            .map(|v| v.as_ref().to_owned())
    };
    if t.lake.has_object_metadata() {
        ensure!(
            meta("sha256") == Some(req.digest.sha256.clone()),
            "sha256 metadata {:?}",
            meta("sha256")
        );
        ensure!(meta("rows").as_deref() == Some("100") && meta("titles").as_deref() == Some("7"));
    } else {
        ensure!(meta("sha256").is_none(), "file:// keeps no metadata");
    }
    // The bytes themselves round-trip.
    let stored = t
        .lake
        .store()
        .get_opts(&req.key, GetOptions::default())
        .await?
        .bytes()
        .await?;
    ensure!(stored.as_ref() == std::fs::read(&req.file)?.as_slice());
    Ok(())
}

async fn identical_rerun_is_a_noop(t: Target) -> Result<()> {
    let req = request(&t.lake, Kind::Series, &sample("series_sample_100.csv"))?;
    upload_file(&t.lake, &req, &UploadOptions::default(), &NoProgress).await?;
    let before = t
        .lake
        .store()
        .get_opts(
            &req.key,
            GetOptions {
                head: true,
                ..Default::default()
            },
        )
        .await?
        .meta;
    let again = upload_file(&t.lake, &req, &UploadOptions::default(), &NoProgress).await?;
    ensure!(again.outcome == UploadOutcome::AlreadyPresent, "{again:?}");
    let after = t
        .lake
        .store()
        .get_opts(
            &req.key,
            GetOptions {
                head: true,
                ..Default::default()
            },
        )
        .await?
        .meta;
    ensure!(
        before.last_modified == after.last_modified && before.e_tag == after.e_tag,
        "object was rewritten"
    );
    Ok(())
}

async fn conflicting_rerun_is_refused_and_overwrite_replaces(t: Target) -> Result<()> {
    let first = request(&t.lake, Kind::Movie, &sample("movies_sample_100.csv"))?;
    upload_file(&t.lake, &first, &UploadOptions::default(), &NoProgress).await?;

    // Same date, different content (the series sample stands in for a changed movies.csv).
    let second = UploadRequest {
        file: sample("series_sample_100.csv"),
        digest: digest_file(&sample("series_sample_100.csv"))?,
        ..first.clone()
    };
    let refused = upload_file(&t.lake, &second, &UploadOptions::default(), &NoProgress).await;
    match &refused {
        Err(LakeError::Conflict { stored, local, .. }) => {
            ensure!(stored == &first.digest.sha256 && local == &second.digest.sha256);
            let text = refused
                .as_ref()
                .map(|_| ())
                .map_err(ToString::to_string)
                .err()
                .unwrap_or_default();
            ensure!(
                text.contains("already exists with different content")
                    && text.contains("--overwrite"),
                "{text}"
            );
        }
        other => anyhow::bail!("expected a conflict, got {other:?}"),
    }
    ensure!(
        stored_digest(&t.lake, &first.key).await? == Some(first.digest.clone()),
        "refused upload changed the object"
    );

    let overwrite = UploadOptions {
        overwrite: true,
        ..Default::default()
    };
    let replaced = upload_file(&t.lake, &second, &overwrite, &NoProgress).await?;
    ensure!(
        replaced.outcome == UploadOutcome::Overwritten,
        "{replaced:?}"
    );
    ensure!(stored_digest(&t.lake, &first.key).await? == Some(second.digest.clone()));
    Ok(())
}

async fn multipart_upload_is_verified_and_create_only(t: Target) -> Result<()> {
    // Parts hashed during the upload (to the movies key), then parts whose checksums validation
    // computed (to the series key).
    for with_checksums in [false, true] {
        multipart_case(&t, with_checksums)
            .await
            .map_err(|e| e.context(format!("part checksums from validation: {with_checksums}")))?;
    }
    Ok(())
}

async fn multipart_case(t: &Target, with_checksums: bool) -> Result<()> {
    let dir = TempDir::new("mp")?;
    let big = write_file(dir.path(), "movies.csv", 12 << 20, 1)?;
    let kind = if with_checksums {
        Kind::Series
    } else {
        Kind::Movie
    };
    let req = if with_checksums {
        request_with_parts(&t.lake, kind, &big, small_parts().part_size)?
    } else {
        request(&t.lake, kind, &big)?
    };
    ensure!(req.part_checksums.as_ref().map(|c| c.sha256.len()) == with_checksums.then_some(3));
    let parts = Counter::default();
    let report = upload_file(&t.lake, &req, &small_parts(), &parts).await?;
    ensure!(report.outcome == UploadOutcome::Created, "{report:?}");
    ensure!(
        *parts.0.lock().expect("lock") == (vec![req.digest.bytes], 3, 12 << 20),
        "progress {:?}",
        parts.0.lock()
    );
    ensure!(stored_digest(&t.lake, &req.key).await? == Some(req.digest.clone()));
    let stored = t
        .lake
        .store()
        .get_opts(&req.key, GetOptions::default())
        .await?
        .bytes()
        .await?;
    ensure!(
        stored.as_ref() == std::fs::read(&big)?.as_slice(),
        "multipart bytes differ"
    );

    let again = upload_file(&t.lake, &req, &small_parts(), &NoProgress).await?;
    ensure!(again.outcome == UploadOutcome::AlreadyPresent);
    let other = write_file(dir.path(), "other.csv", 11 << 20, 2)?;
    let other = if with_checksums {
        request_with_parts(&t.lake, kind, &other, small_parts().part_size)?
    } else {
        request(&t.lake, kind, &other)?
    };
    let refused = upload_file(&t.lake, &other, &small_parts(), &NoProgress).await;
    ensure!(
        matches!(refused, Err(LakeError::Conflict { .. })),
        "{refused:?}"
    );
    let replaced = upload_file(
        &t.lake,
        &other,
        &UploadOptions {
            overwrite: true,
            ..small_parts()
        },
        &NoProgress,
    )
    .await?;
    ensure!(replaced.outcome == UploadOutcome::Overwritten);
    ensure!(stored_digest(&t.lake, &req.key).await? == Some(other.digest.clone()));
    Ok(())
}

async fn file_changed_after_validation_stores_nothing(t: Target) -> Result<()> {
    let dir = TempDir::new("changed")?;
    for (size, opts) in [(1000, UploadOptions::default()), (11 << 20, small_parts())] {
        let file = write_file(dir.path(), "movies.csv", size, 3)?;
        let mut req = request(&t.lake, Kind::Movie, &file)?;
        // The digest of what was validated no longer matches the file.
        req.digest.sha256 = "0".repeat(64);
        let result = upload_file(&t.lake, &req, &opts, &NoProgress).await;
        let text = result
            .map(|r| format!("{r:?}"))
            .unwrap_or_else(|e| e.to_string());
        ensure!(
            text.contains("the file changed after it was validated"),
            "{text}"
        );
        ensure!(
            keys(&t.lake).await?.is_empty(),
            "something was stored: {:?}",
            keys(&t.lake).await?
        );
        if let Some(admin) = t.lake.s3_admin() {
            let open = admin.list_multipart_uploads("").await?;
            ensure!(open.is_empty(), "open uploads left: {open:?}");
        }
    }
    // The part checksums of the validated file, then a part of the file rewritten with other
    // bytes of the same length: the server (SeaweedFS) or the client (a server that does not
    // check checksums, file://) notices, and nothing is stored.
    let file = write_file(dir.path(), "parts.csv", 11 << 20, 4)?;
    let req = request_with_parts(&t.lake, Kind::Movie, &file, small_parts().part_size)?;
    let mut bytes = std::fs::read(&file)?;
    bytes[(5 << 20) + 17] ^= 0xff;
    std::fs::write(&file, &bytes)?;
    let result = upload_file(&t.lake, &req, &small_parts(), &NoProgress).await;
    let text = result
        .map(|r| format!("{r:?}"))
        .unwrap_or_else(|e| e.to_string());
    ensure!(
        text.contains("the file changed after it was validated"),
        "part checksums: {text}"
    );
    ensure!(keys(&t.lake).await?.is_empty(), "something was stored");
    if let Some(admin) = t.lake.s3_admin() {
        let open = admin.list_multipart_uploads("").await?;
        ensure!(open.is_empty(), "open uploads left: {open:?}");
    }
    Ok(())
}

async fn multipart_completion_is_create_only(t: Target) -> Result<()> {
    // The race the check before an upload cannot close: the key appears while the parts go up.
    // The completion's `If-None-Match: *` refuses to replace it (S3 lakes; file:// has no
    // multipart completion of its own).
    let Some(admin) = t.lake.s3_admin() else {
        return Ok(());
    };
    let dir = TempDir::new("race")?;
    let file = write_file(dir.path(), "movies.csv", 11 << 20, 5)?;
    let req = request_with_parts(&t.lake, Kind::Movie, &file, small_parts().part_size)?;
    let key = req.key.to_string();
    let upload = admin.create_multipart_upload(&key, &[]).await?;
    let bytes = bytes::Bytes::from(std::fs::read(&file)?);
    let sums = req.part_checksums.clone().expect("multipart-sized");
    let mut parts = Vec::new();
    for (index, sha256) in sums.sha256.iter().enumerate() {
        let start = index * small_parts().part_size;
        let end = (start + small_parts().part_size).min(bytes.len());
        match admin
            .upload_part(&upload, index as u32 + 1, bytes.slice(start..end), sha256)
            .await?
        {
            PartAnswer::Stored { part, .. } => parts.push(part),
            PartAnswer::BadDigest => anyhow::bail!("part {index} refused"),
        }
    }
    // Someone else writes the key meanwhile.
    t.lake
        .store()
        .put(&req.key, PutPayload::from_static(b"someone else"))
        .await?;
    let completed = admin.complete_multipart_upload(&upload, &parts, true).await;
    ensure!(
        matches!(completed, Err(CompleteError::KeyExists)),
        "{completed:?}"
    );
    let stored = t.lake.store().get(&req.key).await?.bytes().await?;
    ensure!(
        stored.as_ref() == b"someone else",
        "the other writer's object was replaced"
    );
    admin
        .abort_multipart_upload(&OpenUpload::from(&upload))
        .await?;
    // Without the condition the same parts replace it.
    let upload = admin.create_multipart_upload(&key, &[]).await?;
    let mut parts = Vec::new();
    for (index, sha256) in sums.sha256.iter().enumerate() {
        let start = index * small_parts().part_size;
        let end = (start + small_parts().part_size).min(bytes.len());
        if let PartAnswer::Stored { part, .. } = admin
            .upload_part(&upload, index as u32 + 1, bytes.slice(start..end), sha256)
            .await?
        {
            parts.push(part);
        }
    }
    admin
        .complete_multipart_upload(&upload, &parts, false)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let stored = t.lake.store().get(&req.key).await?.bytes().await?;
    ensure!(
        stored == bytes,
        "the unconditional completion stored other bytes"
    );
    Ok(())
}

async fn create_only_put_refuses_an_existing_key(t: Target) -> Result<()> {
    // The store-level guarantee ingest relies on for single-PUT files (If-None-Match: *).
    let key = t.lake.key("Raw/create-only.txt");
    let create = || PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    t.lake
        .store()
        .put_opts(&key, PutPayload::from_static(b"first"), create())
        .await?;
    let second = t
        .lake
        .store()
        .put_opts(&key, PutPayload::from_static(b"second"), create())
        .await;
    ensure!(
        matches!(second, Err(object_store::Error::AlreadyExists { .. })),
        "{second:?}"
    );
    let stored = t
        .lake
        .store()
        .get_opts(&key, GetOptions::default())
        .await?
        .bytes()
        .await?;
    ensure!(stored.as_ref() == b"first");
    Ok(())
}

async fn ingest_writes_both_raw_files_with_counts(t: Target) -> Result<()> {
    let movies = ingest::validate(&sample("movies_sample_100.csv"), RawKind::Movies, 20)?;
    let series = ingest::validate(&sample("series_sample_100.csv"), RawKind::Series, 20)?;
    ensure!(
        movies.rows == 100 && movies.rejected == 0 && movies.titles > 0,
        "{movies:?}"
    );
    ensure!(
        series.rows == 100 && series.rejected == 0 && series.titles > 0,
        "{series:?}"
    );
    let plan = ingest::plan(&t.lake, vec![movies.clone(), series], date(), Mode::Strict)?;
    for p in &plan {
        let report = ingest::upload(&t.lake, p, &UploadOptions::default(), &NoProgress).await?;
        ensure!(report.outcome == UploadOutcome::Created, "{report:?}");
    }
    let prefix = if t.kind == "s3" { "lake-prefix/" } else { "" };
    let expected = vec![
        format!("{prefix}Raw/Local/CSV/Movies/2024/01/02/movies.csv"),
        format!("{prefix}Raw/Local/CSV/Series/2024/01/02/series.csv"),
    ];
    ensure!(
        keys(&t.lake).await? == expected,
        "keys {:?}",
        keys(&t.lake).await?
    );
    if t.lake.has_object_metadata() {
        let head = t
            .lake
            .store()
            .get_opts(
                &plan[0].key,
                GetOptions {
                    head: true,
                    ..Default::default()
                },
            )
            .await?;
        let meta = |k: &'static str| {
            head.attributes
                .get(&Attribute::Metadata(k.into()))
                .map(|v| v.as_ref().to_owned())
        };
        ensure!(meta("rows") == Some("100".into()) && meta("rejected") == Some("0".into()));
        ensure!(
            meta("titles") == Some(movies.titles.to_string())
                && meta("sha256") == Some(movies.digest.sha256.clone())
        );
    }
    Ok(())
}

async fn malformed_file_uploads_nothing(t: Target) -> Result<()> {
    let dir = TempDir::new("bad")?;
    let text = std::fs::read_to_string(sample("movies_sample_100.csv"))?;
    // Line 3 gets a rating with a decimal comma, the classic locale bug.
    let bad: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i != 2 {
                return line.to_owned();
            }
            let mut fields: Vec<&str> = line.split('|').collect();
            fields[6] = "7,5";
            fields.join("|")
        })
        .collect();
    let bad_path = dir.path().join("movies.csv");
    std::fs::write(&bad_path, bad.join("\n") + "\n")?;

    let movies = ingest::validate(&bad_path, RawKind::Movies, 20)?;
    let series = ingest::validate(&sample("series_sample_100.csv"), RawKind::Series, 20)?;
    ensure!(
        movies.rejected == 1 && movies.errors.len() == 1,
        "{movies:?}"
    );
    let refused = ingest::plan(
        &t.lake,
        vec![series.clone(), movies.clone()],
        date(),
        Mode::Strict,
    );
    let text = refused
        .map(|p| format!("{p:?}"))
        .unwrap_or_else(|e| e.to_string());
    ensure!(
        text.contains("1 of 100 rows rejected")
            && text.contains("movies.csv:3: column notaMedia")
            && text.contains("nothing was uploaded"),
        "{text}"
    );
    ensure!(keys(&t.lake).await?.is_empty());

    // A series file given as movies is refused by its header, before any row is read.
    let wrong = ingest::validate(&sample("series_sample_100.csv"), RawKind::Movies, 20);
    ensure!(
        matches!(wrong, Err(ingest::IngestError::Raw(_))),
        "{wrong:?}"
    );

    // Lenient mode uploads the raw bytes as they are and records the rejects.
    let plan = ingest::plan(&t.lake, vec![movies], date(), Mode::Lenient)?;
    ingest::upload(&t.lake, &plan[0], &UploadOptions::default(), &NoProgress).await?;
    ensure!(keys(&t.lake).await?.len() == 1);
    Ok(())
}

/// An upload left open by a crashed run is listed, and the next upload of that key aborts it
/// before it starts, so no orphan parts stay behind. (`file://` lakes have no uploads to list.)
async fn open_upload_is_listed_and_removed_by_the_next_upload(t: Target) -> Result<()> {
    let Some(admin) = t.lake.s3_admin() else {
        return Ok(());
    };
    let req = request(&t.lake, Kind::Movie, &sample("movies_sample_100.csv"))?;
    let mut crashed = t.lake.store().put_multipart(&req.key).await?;
    crashed
        .put_part(PutPayload::from_static(b"half of a file"))
        .await?;
    drop(crashed); // never completed nor aborted, as after a kill -9

    let open = admin.list_multipart_uploads("").await?;
    ensure!(
        open.len() == 1 && open[0].key == req.key.as_ref(),
        "the crashed upload should be listed: {open:?}"
    );
    ensure!(
        keys(&t.lake).await?.is_empty(),
        "{:?}",
        keys(&t.lake).await?
    );

    let report = upload_file(&t.lake, &req, &UploadOptions::default(), &NoProgress).await?;
    ensure!(
        report.outcome == UploadOutcome::Created && report.stale_uploads_aborted == 1,
        "{report:?}"
    );
    let open = admin.list_multipart_uploads("").await?;
    ensure!(open.is_empty(), "uploads left open: {open:?}");
    ensure!(stored_digest(&t.lake, &req.key).await? == Some(req.digest.clone()));
    Ok(())
}

/// A presigned GET (what publish hands the dashboard) is accepted as issued, and refused once
/// tampered with or expired; a `file://` lake refuses to presign with a clear message.
async fn presigned_get_accepted_tampered_and_expired_refused(t: Target) -> Result<()> {
    let req = request(&t.lake, Kind::Movie, &sample("movies_sample_100.csv"))?;
    upload_file(&t.lake, &req, &UploadOptions::default(), &NoProgress).await?;
    let expected = std::fs::read(&req.file)?;

    if t.s3.is_none() {
        let refused = t
            .lake
            .signed_get_url(&req.key, Duration::from_secs(60))
            .await;
        ensure!(
            matches!(&refused, Err(e) if e.to_string().contains("only s3:// lakes can make presigned urls")),
            "{refused:?}"
        );
        return Ok(());
    }

    let http = reqwest::Client::new();
    let url = t
        .lake
        .signed_get_url(&req.key, Duration::from_secs(600))
        .await?;
    let answer = http.get(url.clone()).send().await?;
    ensure!(answer.status() == 200, "issued url: {}", answer.status());
    ensure!(answer.bytes().await?.as_ref() == expected.as_slice());

    // The same url without its signature is an anonymous request for a private object.
    let mut unsigned = url.clone();
    unsigned.set_query(None);
    let status = http.get(unsigned).send().await?.status();
    ensure!(status == 403, "unsigned url: {status}");

    // One character of the signature changed.
    let tampered_signature = tamper(&url, "X-Amz-Signature", |v| {
        let last = if v.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &v[..v.len() - 1])
    })?;
    let status = http.get(tampered_signature).send().await?.status();
    ensure!(status == 403, "tampered signature: {status}");

    // A longer validity than was signed.
    let tampered_expiry = tamper(&url, "X-Amz-Expires", |_| "604800".into())?;
    let status = http.get(tampered_expiry).send().await?.status();
    ensure!(status == 403, "tampered expiry: {status}");

    // Another key with the same signature.
    let mut other_key = url.clone();
    other_key.set_path(&url.path().replace("movies.csv", "series.csv"));
    let status = http.get(other_key).send().await?.status();
    ensure!(
        status == 403 || status == 404,
        "signature reused for another key: {status}"
    );

    // Expired: valid for one second, used after two.
    let short = t
        .lake
        .signed_get_url(&req.key, Duration::from_secs(1))
        .await?;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let status = http.get(short).send().await?.status();
    ensure!(status == 403, "expired url: {status}");
    Ok(())
}

/// `url` with query parameter `name`'s value replaced by `change(value)`.
fn tamper(url: &reqwest::Url, name: &str, change: impl Fn(&str) -> String) -> Result<reqwest::Url> {
    let mut found = false;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            if k == name {
                found = true;
                (k.into_owned(), change(&v))
            } else {
                (k.into_owned(), v.into_owned())
            }
        })
        .collect();
    ensure!(found, "{name} not in {url}");
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    Ok(out)
}

/// Records progress calls: totals announced, parts advanced, bytes advanced.
#[derive(Default)]
struct Counter(Mutex<(Vec<u64>, usize, u64)>);
impl Progress for Counter {
    fn begin(&self, _key: &str, total: u64) {
        if let Ok(mut c) = self.0.lock() {
            c.0.push(total);
        }
    }
    fn advance(&self, bytes: u64) {
        if let Ok(mut c) = self.0.lock() {
            c.1 += 1;
            c.2 += bytes;
        }
    }
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod file {
            $(#[tokio::test] async fn $case() -> anyhow::Result<()> {
                super::$case(super::Target::file(stringify!($case))?).await
            })*
        }
        mod s3 {
            $(#[tokio::test] async fn $case() -> anyhow::Result<()> {
                super::$case(super::Target::s3(stringify!($case)).await?).await
            })*
        }
        /// The embedded endpoint runs in the test's runtime: two workers so the server answers
        /// while the test awaits.
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $case() -> anyhow::Result<()> {
                super::$case(super::Target::embedded(stringify!($case)).await?).await
            })*
        }
    };
}

conformance!(
    exact_key_checksum_and_metadata,
    identical_rerun_is_a_noop,
    conflicting_rerun_is_refused_and_overwrite_replaces,
    multipart_upload_is_verified_and_create_only,
    file_changed_after_validation_stores_nothing,
    multipart_completion_is_create_only,
    create_only_put_refuses_an_existing_key,
    ingest_writes_both_raw_files_with_counts,
    malformed_file_uploads_nothing,
    presigned_get_accepted_tampered_and_expired_refused,
    open_upload_is_listed_and_removed_by_the_next_upload,
);

/// Kills its server when the first part is stored.
struct KillAfterFirstPart(Mutex<Option<OwnSeaweed>>, Mutex<bool>);
impl Progress for KillAfterFirstPart {
    fn advance(&self, _bytes: u64) {
        if let (Ok(mut weed), Ok(mut killed)) = (self.0.lock(), self.1.lock())
            && !*killed
            && let Some(weed) = weed.as_mut()
        {
            weed.kill();
            *killed = true;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stopped_mid_multipart_leaves_nothing_and_rerun_succeeds() -> Result<()> {
    let weed = OwnSeaweed::start()?;
    let env = weed.env.clone();
    let url = "s3://crash-lake/p";
    let lake = Lake::open(&url.parse()?, &env.options(support::quick_retry()))?;
    lake.create_bucket().await?;
    let dir = TempDir::new("crash")?;
    let big = write_file(dir.path(), "movies.csv", 30 << 20, 4)?;
    let req = request(&lake, Kind::Movie, &big)?;

    let killer = KillAfterFirstPart(Mutex::new(Some(weed)), Mutex::new(false));
    let failed = upload_file(&lake, &req, &small_parts(), &killer).await;
    let text = failed
        .as_ref()
        .map(|r| format!("{r:?}"))
        .unwrap_or_else(|e| e.to_string());
    ensure!(
        matches!(failed, Err(LakeError::AbortFailed { .. })),
        "expected a failed upload, got: {text}"
    );
    ensure!(
        text.contains("movies.csv") && text.contains("the next ingest of this key removes it"),
        "{text}"
    );

    let mut weed = killer
        .0
        .into_inner()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .ok_or_else(|| anyhow::anyhow!("no server"))?;
    weed.restart()?;
    // Nothing partial is visible under the key.
    ensure!(
        keys(&lake).await?.is_empty(),
        "visible after crash: {:?}",
        keys(&lake).await?
    );
    ensure!(stored_digest(&lake, &req.key).await?.is_none());
    let admin = lake
        .s3_admin()
        .ok_or_else(|| anyhow::anyhow!("s3 lake has an admin"))?;
    let open = admin.list_multipart_uploads("").await?;
    ensure!(
        open.len() == 1 && open[0].key == req.key.as_ref(),
        "the killed upload should still be open: {open:?}"
    );

    // The re-run removes the leftover upload, then succeeds.
    let rerun = upload_file(&lake, &req, &small_parts(), &NoProgress).await?;
    ensure!(
        rerun.outcome == UploadOutcome::Created && rerun.stale_uploads_aborted == 1,
        "{rerun:?}"
    );
    ensure!(stored_digest(&lake, &req.key).await? == Some(req.digest.clone()));
    let open = admin.list_multipart_uploads("").await?;
    ensure!(open.is_empty(), "uploads left open: {open:?}");
    Ok(())
}
