//! End-to-end tests of `cinelake_refine::refine` on `file://` lakes (and one S3 lake, one Spark
//! run): refined output against an independent fold of the raw rows, rejects, the commit
//! protocol (a failed run leaves the committed data intact, a re-run is idempotent) and
//! DataFusion–Spark parity.
//!
//! The independent reference ([`reference`]) parses the raw text line by line in plain Rust and
//! folds rows into titles without any SQL, so a mistake in the SQL shows up as a difference.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};
use chrono::NaiveDate;
use cinelake_core::extract::ExtractReader;
use cinelake_core::raw::{CheckOptions, Mode, check};
use cinelake_core::{GenreGroup, Kind, Title, Tmdb, Year};
use cinelake_refine::layout::{self, MANIFEST_KEY, STABLE_EXTRACT_KEY};
use cinelake_refine::prune::{Keep, PruneOptions, prune};
use cinelake_refine::{Engine, RefineError, RefineOptions, SparkOptions, refine};
use datafusion::arrow::array::{Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::TryStreamExt;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

const MOVIES_HEADER: &str = "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";
const SERIES_HEADER: &str = "id|tituloPincipal|tituloOriginal|anoLancamento|anoTermino|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";

fn samples(file: &str) -> Result<String> {
    let path = format!(
        "{}/../../testdata/samples/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

/// A `file://` lake in a temporary folder.
struct TestLake {
    _dir: tempfile::TempDir,
    store: Arc<dyn ObjectStore>,
}

impl TestLake {
    fn new() -> Result<TestLake> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(LocalFileSystem::new_with_prefix(dir.path())?);
        Ok(TestLake { _dir: dir, store })
    }

    async fn put_raw(&self, date: NaiveDate, movies: &str, series: &str) -> Result<()> {
        put(
            self.store.as_ref(),
            &layout::raw_key(Kind::Movie, date),
            movies,
        )
        .await?;
        put(
            self.store.as_ref(),
            &layout::raw_key(Kind::Series, date),
            series,
        )
        .await
    }
}

async fn put(store: &dyn ObjectStore, key: &str, text: &str) -> Result<()> {
    store
        .put(
            &StorePath::from(key),
            PutPayload::from(text.as_bytes().to_vec()),
        )
        .await
        .with_context(|| format!("putting {key}"))?;
    Ok(())
}

async fn get(store: &dyn ObjectStore, key: &str) -> Result<Vec<u8>> {
    let result = store
        .get(&StorePath::from(key))
        .await
        .with_context(|| format!("getting {key}"))?;
    Ok(result.bytes().await?.to_vec())
}

async fn keys(store: &dyn ObjectStore) -> Result<Vec<String>> {
    let mut keys: Vec<String> = store
        .list(None)
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await?;
    keys.sort();
    Ok(keys)
}

async fn extract_titles(store: &dyn ObjectStore, key: &str) -> Result<Vec<Title>> {
    let bytes = get(store, key).await?;
    let (titles, errors) = ExtractReader::new(bytes.as_slice())?.read_all();
    ensure!(errors.is_empty(), "extract {key} has bad rows: {errors:?}");
    Ok(titles)
}

fn datafusion() -> Engine {
    Engine::DataFusion
}

fn options(date: Option<NaiveDate>) -> RefineOptions {
    RefineOptions {
        date,
        engine: datafusion(),
    }
}

// ---------------------------------------------------------------------------------------------
// The independent reference: the core crate's raw reader and title fold, no SQL.

/// What the reference makes of raw files.
#[derive(Debug, Default)]
struct Reference {
    /// Comedy/Animation titles, sorted by kind then id.
    titles: Vec<Title>,
    rows_in: BTreeMap<Kind, u64>,
    rejected: BTreeMap<Kind, u64>,
}

/// Reads both raw files with `cinelake_core::raw::check` (lenient: bad rows are counted and
/// skipped) and keeps the Comedy/Animation titles, the way the refined zone should.
fn reference(movies: &str, series: &str) -> Result<Reference> {
    let mut out = Reference::default();
    let options = CheckOptions {
        mode: Mode::Lenient,
        ..CheckOptions::default()
    };
    for (kind, file, text) in [
        (Kind::Movie, "movies.csv", movies),
        (Kind::Series, "series.csv", series),
    ] {
        let summary = check(text.as_bytes(), file, &options)?;
        ensure!(
            summary.kind.title_kind() == kind,
            "{file} read as {}",
            summary.kind
        );
        out.rows_in.insert(kind, summary.rows);
        out.rejected.insert(kind, summary.rejected);
        out.titles.extend(
            summary
                .folded
                .titles
                .into_iter()
                .filter(|t| t.genre_group() != GenreGroup::Other),
        );
    }
    out.titles
        .sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// A deterministic generator of raw files with the features the SQL must handle.

/// A small deterministic PRNG (SplitMix64): the tests must not depend on a crate's sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn range(&mut self, range: Range<u64>) -> u64 {
        range.start + self.below(range.end - range.start)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const GENRES: [&str; 8] = [
    "Comedy",
    "Animation",
    "Drama",
    "Action",
    "Sci-Fi",
    "Family",
    "Romance",
    "Film-Noir",
];

/// Raw movies and series text: `titles` titles of each kind, 1–5 artist rows each, with nulls,
/// genre mixes, running and ended series, titles with commas and quotes.
fn generate(seed: u64, titles: u64) -> (String, String) {
    let mut rng = Rng(seed);
    let mut movies = format!("{MOVIES_HEADER}\n");
    let mut series = format!("{SERIES_HEADER}\n");
    for kind in [Kind::Movie, Kind::Series] {
        for n in 0..titles {
            let id = format!(
                "tt{:07}",
                1000 + n * 7 + if kind == Kind::Series { 3 } else { 0 }
            );
            let name = match rng.below(4) {
                0 => format!("Title {n}, with a comma"),
                1 => format!("\"Quoted\" {n}"),
                2 => format!("Título número {n}"),
                _ => format!("Title {n}"),
            };
            let original = if rng.chance(15) {
                "\\N".to_string()
            } else {
                format!("Original {n}")
            };
            let start = rng.range(1890..2025);
            let year = if rng.chance(5) {
                "\\N".to_string()
            } else {
                start.to_string()
            };
            let end = if rng.chance(40) {
                "\\N".to_string()
            } else {
                (start + rng.below(20)).min(2030).to_string()
            };
            let runtime = if rng.chance(10) {
                "\\N".to_string()
            } else {
                rng.range(1..300).to_string()
            };
            let genres = if rng.chance(5) {
                "\\N".to_string()
            } else {
                let count = rng.range(1..4) as usize;
                let mut list: Vec<&str> = Vec::new();
                while list.len() < count {
                    let g = GENRES[rng.below(GENRES.len() as u64) as usize];
                    if !list.contains(&g) {
                        list.push(g);
                    }
                }
                list.join(",")
            };
            let rating = if rng.chance(8) {
                "\\N".to_string()
            } else {
                let tenths = rng.range(10..101);
                if tenths.is_multiple_of(10) && rng.chance(50) {
                    (tenths / 10).to_string()
                } else {
                    format!("{}.{}", tenths / 10, tenths % 10)
                }
            };
            let votes = if rng.chance(8) {
                "\\N".to_string()
            } else {
                rng.range(5..3_000_000).to_string()
            };
            for artist in 0..rng.range(1..6) {
                let birth = if rng.chance(30) {
                    "\\N".to_string()
                } else {
                    rng.range(1820..2010).to_string()
                };
                let death = if rng.chance(70) {
                    "\\N".to_string()
                } else {
                    rng.range(1900..2024).to_string()
                };
                let gender = if rng.chance(50) { "actor" } else { "actress" };
                let character = if rng.chance(30) {
                    "\\N".to_string()
                } else {
                    format!("Role {artist}")
                };
                let artist_fields = format!(
                    "{gender}|{character}|Artist {n}-{artist}|{birth}|{death}|actor,writer|tt0000001,{id}"
                );
                match kind {
                    Kind::Movie => movies.push_str(&format!(
                        "{id}|{name}|{original}|{year}|{runtime}|{genres}|{rating}|{votes}|{artist_fields}\n"
                    )),
                    Kind::Series => series.push_str(&format!(
                        "{id}|{name}|{original}|{year}|{end}|{runtime}|{genres}|{rating}|{votes}|{artist_fields}\r\n"
                    )),
                }
            }
        }
    }
    (movies, series)
}

// ---------------------------------------------------------------------------------------------
// Reading the Parquet outputs back.

/// All rows of the Parquet files under `folder` of a local lake, each row rendered as text,
/// sorted: the row-for-row comparable form of an output.
async fn parquet_rows(root: &std::path::Path, keys: &[String]) -> Result<Vec<String>> {
    let ctx = SessionContext::new();
    let mut rows = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let path = root.join(key);
        let table = format!("t{i}");
        ctx.register_parquet(
            &table,
            path.to_string_lossy().as_ref(),
            ParquetReadOptions::default(),
        )
        .await?;
        let batches = ctx
            .sql(&format!("SELECT * FROM {table}"))
            .await?
            .collect()
            .await?;
        rows.extend(render(&batches)?);
    }
    rows.sort();
    Ok(rows)
}

fn render(batches: &[RecordBatch]) -> Result<Vec<String>> {
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        for row in 0..batch.num_rows() {
            let mut cells = Vec::new();
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                let value = if column.is_null(row) {
                    "NULL".to_string()
                } else {
                    array_value_to_string(column, row)?
                };
                cells.push(format!("{}={value}", field.name()));
            }
            rows.push(cells.join("|"));
        }
    }
    Ok(rows)
}

/// `(kind, reason, line)` of the rejects output.
async fn rejects(root: &std::path::Path, keys: &[String]) -> Result<Vec<(String, String, String)>> {
    let ctx = SessionContext::new();
    let mut out = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let table = format!("r{i}");
        ctx.register_parquet(
            &table,
            root.join(key).to_string_lossy().as_ref(),
            ParquetReadOptions::default(),
        )
        .await?;
        let batches = ctx
            .sql(&format!("SELECT kind, reason, line FROM {table}"))
            .await?
            .collect()
            .await?;
        for batch in &batches {
            let text = |i: usize| -> Result<StringArray> {
                let array = cast(batch.column(i), &DataType::Utf8)?;
                Ok(array
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .context("text column")?
                    .clone())
            };
            let (kind, reason, line) = (text(0)?, text(1)?, text(2)?);
            for row in 0..batch.num_rows() {
                out.push((
                    kind.value(row).to_string(),
                    reason.value(row).to_string(),
                    line.value(row).to_string(),
                ));
            }
        }
    }
    out.sort();
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The tests.

/// Runs refine on `movies`/`series` in a fresh lake and checks the extract and the counts
/// against the reference. Returns the lake and the manifest for further checks.
async fn check_against_reference(
    movies: &str,
    series: &str,
) -> Result<(TestLake, cinelake_refine::Manifest)> {
    let lake = TestLake::new()?;
    lake.put_raw(day(2024, 7, 10), movies, series).await?;
    let report = refine(lake.store.clone(), &options(None)).await?;
    ensure!(!report.reused);
    let manifest = report.manifest;
    let expected = reference(movies, series)?;

    let titles = extract_titles(lake.store.as_ref(), &manifest.extract.key).await?;
    assert_eq!(titles.len(), expected.titles.len(), "refined title count");
    for (got, want) in titles.iter().zip(&expected.titles) {
        assert_eq!(got, want);
    }
    let stable = get(lake.store.as_ref(), STABLE_EXTRACT_KEY).await?;
    assert_eq!(
        stable,
        get(lake.store.as_ref(), &manifest.extract.key).await?
    );

    let trusted = &manifest.stages["trusted"];
    for kind in [Kind::Movie, Kind::Series] {
        let counts = &trusted.by_kind[kind.as_str()];
        let rows_in = expected.rows_in.get(&kind).copied().unwrap_or(0);
        let rejected = expected.rejected.get(&kind).copied().unwrap_or(0);
        assert_eq!(counts.rows_in, rows_in, "{kind} rows in");
        assert_eq!(counts.rows_rejected, rejected, "{kind} rows rejected");
        assert_eq!(counts.rows_out, rows_in - rejected, "{kind} trusted rows");
        let refined = expected.titles.iter().filter(|t| t.kind == kind).count() as u64;
        assert_eq!(
            manifest.stages["refined"].by_kind[kind.as_str()].rows_out,
            refined,
            "{kind} refined"
        );
    }
    assert_eq!(manifest.outputs["trusted"].rows, trusted.rows_out);
    assert_eq!(manifest.outputs["rejects"].rows, trusted.rows_rejected);
    assert_eq!(
        manifest.outputs["refined"].rows,
        expected.titles.len() as u64
    );
    assert_eq!(manifest.extract.rows, expected.titles.len() as u64);
    Ok((lake, manifest))
}

#[tokio::test]
async fn real_samples_refine_like_the_reference() -> Result<()> {
    let (movies, series) = (
        samples("movies_sample_100.csv")?,
        samples("series_sample_100.csv")?,
    );
    let (lake, manifest) = check_against_reference(&movies, &series).await?;
    assert_eq!(manifest.stages["trusted"].rows_in, 200);
    assert_eq!(manifest.stages["trusted"].rows_rejected, 0);
    // The sample's series include running and ended Comedy titles.
    let titles = extract_titles(lake.store.as_ref(), &manifest.extract.key).await?;
    assert_eq!(titles.len(), 4);
    let berle = titles
        .iter()
        .find(|t| t.id == "tt0040041")
        .context("tt0040041 is refined")?;
    assert_eq!(berle.title, "The Milton Berle Show");
    assert_eq!(
        berle.original_title.as_deref(),
        Some("Texaco Star Theatre Starring Milton Berle")
    );
    assert_eq!(
        (berle.year, berle.end_year),
        (Year::new(1948), Year::new(1956))
    );
    assert_eq!(berle.genres, ["Comedy", "Family"]);
    assert_eq!(berle.rating.map(|r| r.tenths()), Some(77));
    assert_eq!(berle.votes, Some(144));
    let running = titles
        .iter()
        .find(|t| t.id == "tt0040993")
        .context("tt0040993 is refined")?;
    assert_eq!(running.end_year, None);

    // Lineage: the sources' checksums are those of the files put in the lake.
    for source in &manifest.sources {
        let bytes = get(lake.store.as_ref(), &source.key).await?;
        assert_eq!(source.bytes, bytes.len() as u64);
        assert_eq!(source.sha256, cinelake_refine::stages::sha256_hex(&bytes));
    }
    assert_eq!(manifest.engine, "datafusion");
    assert_eq!(manifest.sql_sha256, cinelake_refine::stages::sql_sha256());
    assert_eq!(manifest.partition_date, "2024-07-10");
    Ok(())
}

#[tokio::test]
async fn generated_data_dedups_artist_rows_filters_genres_and_keeps_nulls() -> Result<()> {
    let (movies, series) = generate(7, 400);
    let (lake, manifest) = check_against_reference(&movies, &series).await?;
    let titles = extract_titles(lake.store.as_ref(), &manifest.extract.key).await?;
    // The generator makes every kind of value the SQL must carry through; make sure the run saw
    // them, so the comparison above was not vacuous.
    assert!(
        manifest.stages["trusted"].rows_in > 2 * 400,
        "several artist rows per title"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.kind == Kind::Series && t.end_year.is_none())
    );
    assert!(
        titles
            .iter()
            .any(|t| t.kind == Kind::Series && t.end_year.is_some())
    );
    assert!(
        titles
            .iter()
            .any(|t| t.rating.is_none() && t.votes.is_none())
    );
    assert!(
        titles
            .iter()
            .any(|t| t.year.is_none() && t.original_title.is_none())
    );
    assert!(
        titles
            .iter()
            .any(|t| t.title.contains(',') && !t.title.contains('"'))
    );
    assert!(titles.iter().any(|t| t.title.contains('"')));
    assert!(
        titles
            .iter()
            .all(|t| t.genres.iter().any(|g| g == "Comedy" || g == "Animation"))
    );
    let ids: std::collections::BTreeSet<_> =
        titles.iter().map(|t| (t.kind, t.id.clone())).collect();
    assert_eq!(ids.len(), titles.len(), "one row per title");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// TMDB: `cinelake enrich`'s files joined into the refined titles and the extract.

/// One stored TMDB record, as `cinelake enrich` writes it (with the raw `/find` response and the
/// details' fields refine ignores, so the test shows they do not get in the way).
fn tmdb_record(
    imdb_id: &str,
    fetched_at: &str,
    details: Option<serde_json::Value>,
) -> serde_json::Value {
    let found = details.is_some();
    serde_json::json!({
        "imdb_id": imdb_id,
        "status": if found { "found" } else { "not_found" },
        "kind": if found { serde_json::json!("movie") } else { serde_json::Value::Null },
        "tmdb_id": if found { serde_json::json!(42) } else { serde_json::Value::Null },
        "fetched_at": fetched_at,
        "find": {"movie_results": [], "tv_results": []},
        "details": details.unwrap_or(serde_json::Value::Null),
    })
}

fn tmdb_details(
    budget: i64,
    revenue: i64,
    popularity: f64,
    vote_average: f64,
    vote_count: i64,
    countries: &[&str],
) -> serde_json::Value {
    serde_json::json!({
        "id": 42, "title": "ignored", "genres": [{"id": 35, "name": "Comedy"}],
        "budget": budget, "revenue": revenue, "popularity": popularity,
        "vote_average": vote_average, "vote_count": vote_count,
        "production_countries": countries.iter()
            .map(|c| serde_json::json!({"iso_3166_1": c, "name": "ignored"}))
            .collect::<Vec<_>>(),
    })
}

/// `(lake key, JSON text)` of TMDB files, and the TMDB data each IMDb id must end up with.
type TmdbFixture = (Vec<(String, String)>, BTreeMap<String, Tmdb>);

/// TMDB files for some of `titles` (refined titles, sorted by kind and id), in two day folders,
/// and the TMDB data each title must end up with. Covers: a plain match, an id fetched twice
/// (the newer record wins; in the same second, the later file), TMDB's zeros (unknown budget and revenue, an average with no votes)
/// becoming null, a TV record without budget or revenue, an id found then not found (the newer
/// `not_found` wins), a `not_found` record, and a record for an id refine does not have.
fn tmdb_lake_files(titles: &[Title]) -> Result<TmdbFixture> {
    let movies: Vec<&Title> = titles.iter().filter(|t| t.kind == Kind::Movie).collect();
    let series: Vec<&Title> = titles.iter().filter(|t| t.kind == Kind::Series).collect();
    ensure!(
        movies.len() >= 6 && !series.is_empty(),
        "enough titles to enrich"
    );
    let (plain, twice, zeros, flipped, missing) = (
        &movies[0].id,
        &movies[1].id,
        &movies[2].id,
        &movies[3].id,
        &movies[4].id,
    );
    let tv = &series[0].id;
    // Fetched twice in the same second: the later file (by key) wins.
    let tie = &movies[5].id;
    let day1 = vec![
        tmdb_record(
            tie,
            "2026-11-25T08:00:00Z",
            Some(tmdb_details(111, 0, 1.0, 1.0, 1, &["IT"])),
        ),
        tmdb_record(
            plain,
            "2026-11-24T10:00:00Z",
            Some(tmdb_details(
                237_000_000,
                2_923_706_026,
                35.123,
                7.587,
                31_034,
                &["US", "GB"],
            )),
        ),
        tmdb_record(
            twice,
            "2026-11-24T10:00:01Z",
            Some(tmdb_details(1, 2, 3.0, 4.0, 5, &["FR"])),
        ),
        tmdb_record(
            zeros,
            "2026-11-24T10:00:02Z",
            Some(tmdb_details(0, 0, 0.6, 0.0, 0, &[])),
        ),
        tmdb_record(
            flipped,
            "2026-11-24T10:00:03Z",
            Some(tmdb_details(9, 9, 9.0, 9.0, 9, &["DE"])),
        ),
        tmdb_record(missing, "2026-11-24T10:00:04Z", None),
    ];
    let mut tv_details = tmdb_details(0, 0, 12.5, 8.25, 400, &["JP"]);
    if let Some(object) = tv_details.as_object_mut() {
        object.remove("budget");
        object.remove("revenue");
    }
    let day2 = vec![
        // Fetched again later: these values win.
        tmdb_record(
            twice,
            "2026-11-25T09:00:00Z",
            Some(tmdb_details(15_000_000, 0, 0.001, 6.5, 2, &["BR", "PT"])),
        ),
        tmdb_record(tv, "2026-11-25T09:00:01Z", Some(tv_details)),
        tmdb_record(flipped, "2026-11-25T09:00:02Z", None),
        tmdb_record(
            tie,
            "2026-11-25T08:00:00Z",
            Some(tmdb_details(222, 0, 2.0, 2.0, 2, &["ES"])),
        ),
        tmdb_record(
            "tt9999999999",
            "2026-11-25T09:00:03Z",
            Some(tmdb_details(5, 5, 5.0, 5.0, 5, &[])),
        ),
    ];
    let files = vec![
        (
            "Raw/TMDB/JSON/2026/11/24/tmdb-00001.json".to_string(),
            serde_json::to_string(&day1)?,
        ),
        (
            "Raw/TMDB/JSON/2026/11/25/tmdb-00001.json".to_string(),
            serde_json::to_string_pretty(&day2)?,
        ),
    ];
    let expected = BTreeMap::from([
        (
            plain.clone(),
            Tmdb {
                budget: Some(237_000_000),
                revenue: Some(2_923_706_026),
                popularity: Some(35.123),
                vote_average: Some(7.587),
                vote_count: Some(31_034),
                production_countries: vec!["US".into(), "GB".into()],
            },
        ),
        (
            twice.clone(),
            Tmdb {
                budget: Some(15_000_000),
                revenue: None,
                popularity: Some(0.001),
                vote_average: Some(6.5),
                vote_count: Some(2),
                production_countries: vec!["BR".into(), "PT".into()],
            },
        ),
        (
            zeros.clone(),
            Tmdb {
                popularity: Some(0.6),
                vote_count: Some(0),
                ..Tmdb::default()
            },
        ),
        (
            tie.clone(),
            Tmdb {
                budget: Some(222),
                popularity: Some(2.0),
                vote_average: Some(2.0),
                vote_count: Some(2),
                production_countries: vec!["ES".into()],
                ..Tmdb::default()
            },
        ),
        (
            tv.clone(),
            Tmdb {
                popularity: Some(12.5),
                vote_average: Some(8.25),
                vote_count: Some(400),
                production_countries: vec!["JP".into()],
                ..Tmdb::default()
            },
        ),
    ]);
    Ok((files, expected))
}

/// Refines `movies`/`series` without TMDB files, then with them: the first extract keeps the ten
/// base columns, the second carries exactly the expected TMDB data and nothing else changes.
#[tokio::test]
async fn tmdb_records_join_the_refined_titles_and_the_extract() -> Result<()> {
    let (movies, series) = generate(11, 200);
    let date = day(2024, 9, 1);
    let lake = TestLake::new()?;
    lake.put_raw(date, &movies, &series).await?;
    let before = refine(lake.store.clone(), &options(None)).await?.manifest;
    let csv = get(lake.store.as_ref(), &before.extract.key).await?;
    assert!(
        csv.starts_with(
            b"kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes\n"
        ),
        "no TMDB files: the base columns only"
    );
    assert!(before.tmdb_sources.is_empty());
    assert_eq!(
        (before.tmdb.records, before.tmdb.ids, before.tmdb.matched),
        (0, 0, 0)
    );
    let plain = extract_titles(lake.store.as_ref(), &before.extract.key).await?;
    assert!(plain.iter().all(|t| t.tmdb.is_none()));

    let (files, expected) = tmdb_lake_files(&plain)?;
    for (key, text) in &files {
        put(lake.store.as_ref(), key, text).await?;
    }
    // Not an enrich file: ignored.
    put(
        lake.store.as_ref(),
        "Raw/TMDB/JSON/2026/11/25/notes.json",
        "not json",
    )
    .await?;
    let report = refine(lake.store.clone(), &options(None)).await?;
    assert!(!report.reused, "new TMDB files make a new run");
    let after = report.manifest;
    assert_ne!(after.run_id, before.run_id);
    let csv = get(lake.store.as_ref(), &after.extract.key).await?;
    assert!(csv.starts_with(
        b"kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes,\
          budget,revenue,popularity,tmdb_vote_average,tmdb_vote_count,production_countries\n"
    ));
    let titles = extract_titles(lake.store.as_ref(), &after.extract.key).await?;
    assert_eq!(titles.len(), plain.len());
    for (with, without) in titles.iter().zip(&plain) {
        assert_eq!(with.tmdb, expected.get(&with.id).cloned(), "{}", with.id);
        // Everything else is unchanged.
        assert_eq!(
            &Title {
                tmdb: None,
                ..with.clone()
            },
            without
        );
    }

    // Lineage: both files, 11 records of 8 ids, 5 refined titles matched (1 series).
    let keys: Vec<&str> = after.tmdb_sources.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, [files[0].0.as_str(), files[1].0.as_str()]);
    assert_eq!(after.tmdb_sources[1].bytes, files[1].1.len() as u64);
    assert_eq!(after.tmdb.records, 11);
    assert_eq!(after.tmdb.ids, 8);
    assert_eq!(after.tmdb.matched, 5);
    assert_eq!(
        after.tmdb.matched_by_kind,
        BTreeMap::from([("movie".to_string(), 4), ("series".to_string(), 1)])
    );
    assert_eq!(
        after.stages, before.stages,
        "the TMDB join changes no counts"
    );

    // The refined Parquet carries the columns, NULL where TMDB has nothing.
    let rows = parquet_rows(lake._dir.path(), &after.outputs["refined"].keys).await?;
    let row_of = |id: &str| {
        rows.iter()
            .find(|r| r.contains(&format!("|id={id}|")))
            .cloned()
            .unwrap_or_default()
    };
    let plain_id = expected
        .iter()
        .find(|(_, t)| t.budget == Some(237_000_000))
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    assert!(
        row_of(&plain_id).ends_with(
            "|budget=237000000|revenue=2923706026|popularity=35.123|tmdb_vote_average=7.587|tmdb_vote_count=31034|production_countries=US,GB"
        ),
        "{}",
        row_of(&plain_id)
    );
    let unmatched = titles
        .iter()
        .find(|t| t.tmdb.is_none())
        .context("an unmatched title")?;
    assert!(row_of(&unmatched.id).ends_with(
        "|budget=NULL|revenue=NULL|popularity=NULL|tmdb_vote_average=NULL|tmdb_vote_count=NULL|production_countries=NULL"
    ));

    // A TMDB file that is not what enrich writes fails the run, naming the file.
    put(
        lake.store.as_ref(),
        "Raw/TMDB/JSON/2026/11/26/tmdb-00001.json",
        "{\"oops\": 1}",
    )
    .await?;
    let error = refine(lake.store.clone(), &options(None))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading Raw/TMDB/JSON/2026/11/26/tmdb-00001.json: expected a JSON array of records"
    );
    Ok(())
}

/// A bad raw line and the reason its reject must carry.
struct BadRow {
    kind: Kind,
    line: String,
    reason: &'static str,
    core: Core,
}

/// What the core reader says of a bad row.
#[derive(Debug, Clone, Copy)]
enum Core {
    /// The same reason, word for word.
    Same,
    /// It accepts the row (a deliberate difference).
    Accepts,
    /// It rejects the row in other words.
    Rejects(&'static str),
}

impl fmt::Debug for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.line)
    }
}

const GOOD_MOVIE: &str =
    "tt0000001|Good|Good|1999|90|Comedy|7.5|100|actor|\\N|A|1950|\\N|actor|tt0000001";
const GOOD_SERIES: &str =
    "tt0000002|Good|Good|1999|2001|30|Animation|8.0|100|actor|\\N|A|1950|\\N|actor|tt0000002";

fn bad_rows() -> Vec<BadRow> {
    let movie = |line: &str, reason| BadRow {
        kind: Kind::Movie,
        line: line.to_string(),
        reason,
        core: Core::Same,
    };
    let series = |line: &str, reason| BadRow {
        kind: Kind::Series,
        line: line.to_string(),
        reason,
        core: Core::Same,
    };
    let differs = |row: BadRow, core| BadRow { core, ..row };
    vec![
        movie(
            "tt0000010|Too few|1999",
            "expected 15 columns separated by | but found 3",
        ),
        movie(
            "tt0000011|A | in the title|x|1999|90|Comedy|7.5|100|actor|\\N|A|1950|\\N|actor|tt1",
            "expected 15 columns separated by | but found 16",
        ),
        movie(
            &bad("x0000012", 0),
            "column id: \"x0000012\" is not an IMDb title id (tt followed by digits)",
        ),
        movie(
            &bad("tt", 0),
            "column id: \"tt\" is not an IMDb title id (tt followed by digits)",
        ),
        movie(
            &bad("\\N", 1),
            "column tituloPincipal: is null (\\N) but a title is required",
        ),
        movie(
            &bad("", 1),
            "column tituloPincipal: is empty but a title is required",
        ),
        movie(
            &bad("19x9", 3),
            "column anoLancamento: \"19x9\" is not a whole number",
        ),
        movie(
            &bad("1700", 3),
            "column anoLancamento: \"1700\" is not a year between 1850 and 2100",
        ),
        movie(
            &bad("99999999999", 3),
            "column anoLancamento: \"99999999999\" is too large",
        ),
        movie(
            &bad("-5", 4),
            "column tempoMinutos: \"-5\" is not a whole number",
        ),
        movie(
            &bad("4294967296", 4),
            "column tempoMinutos: \"4294967296\" is too large",
        ),
        movie(
            &bad("Comedy,,Drama", 5),
            "column genero: \"Comedy,,Drama\" has an empty genre",
        ),
        movie(
            &bad("Comedy,", 5),
            "column genero: \"Comedy,\" has an empty genre",
        ),
        movie(
            &bad("Comedy,Drama,Action,Family", 5),
            "column genero: \"Comedy,Drama,Action,Family\" has 4 genres; at most 3 are allowed",
        ),
        differs(
            movie(
                &bad("Comedy;Drama", 5),
                "column genero: \"Comedy;Drama\" has a genre containing ;",
            ),
            Core::Accepts,
        ),
        movie(&bad("7,5", 6), "column notaMedia: \"7,5\" is not a number"),
        movie(
            &bad("10.5", 6),
            "column notaMedia: \"10.5\" is not a rating between 1.0 and 10.0 with at most one decimal",
        ),
        movie(
            &bad("0.5", 6),
            "column notaMedia: \"0.5\" is not a rating between 1.0 and 10.0 with at most one decimal",
        ),
        movie(
            &bad("7.55", 6),
            "column notaMedia: \"7.55\" is not a rating between 1.0 and 10.0 with at most one decimal",
        ),
        movie(
            &bad("1e3", 7),
            "column numeroVotos: \"1e3\" is not a whole number",
        ),
        movie(
            &bad("19501", 11),
            "column anoNascimento: \"19501\" is not a year between 1 and 2100",
        ),
        movie(
            &bad("0", 11),
            "column anoNascimento: \"0\" is not a year between 1 and 2100",
        ),
        movie(
            &bad("?", 12),
            "column anoFalecimento: \"?\" is not a whole number",
        ),
        movie(
            &bad("actor,,writer", 13),
            "column profissao: \"actor,,writer\" has an empty item",
        ),
        movie(
            &bad("tt1,,tt2", 14),
            "column titulosMaisConhecidos: \"tt1,,tt2\" has an empty title id",
        ),
        differs(
            movie(
                &bad("tt1,nm2", 14),
                "column titulosMaisConhecidos: \"tt1,nm2\" lists an item that is not an IMDb title id",
            ),
            Core::Rejects(
                "column titulosMaisConhecidos: \"tt1,nm2\" lists \"nm2\", not an IMDb title id",
            ),
        ),
        series(
            "tt0000025|T|T|1999|199|30|Comedy|7.5|100|actor|\\N|A|1950|\\N|actor|tt1",
            "column anoTermino: \"199\" is not a year between 1850 and 2100",
        ),
        series(
            GOOD_MOVIE,
            "expected 16 columns separated by | but found 15",
        ),
    ]
}

/// `GOOD_MOVIE` with field `index` replaced by `value` (and a distinct id unless the id is the
/// field replaced).
fn bad(value: &str, index: usize) -> String {
    let mut fields: Vec<&str> = GOOD_MOVIE.split('|').collect();
    fields[index] = value;
    fields.join("|")
}

#[tokio::test]
async fn bad_raw_rows_become_rejects_with_reasons_and_the_run_succeeds() -> Result<()> {
    let rows = bad_rows();
    let mut movies = format!("{MOVIES_HEADER}\n{GOOD_MOVIE}\n");
    let mut series = format!("{SERIES_HEADER}\n{GOOD_SERIES}\n");
    for row in &rows {
        let file = if row.kind == Kind::Movie {
            &mut movies
        } else {
            &mut series
        };
        file.push_str(&row.line);
        file.push('\n');
    }
    let lake = TestLake::new()?;
    lake.put_raw(day(2024, 7, 10), &movies, &series).await?;
    let manifest = refine(lake.store.clone(), &options(None)).await?.manifest;
    let got = rejects(lake._dir.path(), &manifest.outputs["rejects"].keys).await?;
    let mut want: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.kind.to_string(), r.reason.to_string(), r.line.clone()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(manifest.stages["trusted"].rows_rejected, rows.len() as u64);
    assert_eq!(manifest.outputs["rejects"].rows, rows.len() as u64);
    assert_eq!(manifest.stages["trusted"].rows_out, 2);
    let titles = extract_titles(lake.store.as_ref(), &manifest.extract.key).await?;
    let ids: Vec<&str> = titles.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["tt0000001", "tt0000002"]);

    // The core reader rejects the same rows for the same reasons, in the same words, except
    // where the SQL deliberately differs (see sql/10_raw_rows.sql).
    for row in &rows {
        let (header, file) = match row.kind {
            Kind::Movie => (MOVIES_HEADER, "movies.csv"),
            Kind::Series => (SERIES_HEADER, "series.csv"),
        };
        let text = format!("{header}\n{}\n", row.line);
        let summary = check(
            text.as_bytes(),
            file,
            &CheckOptions {
                mode: Mode::Lenient,
                ..CheckOptions::default()
            },
        )?;
        let core_reason = summary.errors.first().map(|e| match e.column {
            Some(column) => format!("column {column}: {}", e.reason),
            None => e.reason.clone(),
        });
        match row.core {
            Core::Same => assert_eq!(core_reason.as_deref(), Some(row.reason), "{row:?}"),
            Core::Accepts => assert_eq!(core_reason, None, "{row:?}"),
            Core::Rejects(reason) => assert_eq!(core_reason.as_deref(), Some(reason), "{row:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_bom_crlf_and_blank_lines_are_read_like_plain_lines() -> Result<()> {
    let movies = format!("\u{feff}{MOVIES_HEADER}\r\n{GOOD_MOVIE}\r\n\r\n");
    let series = format!("{SERIES_HEADER}\n{GOOD_SERIES}\n\n");
    let (_lake, manifest) = check_against_reference(&movies, &series).await?;
    assert_eq!(manifest.stages["trusted"].rows_in, 2);
    assert_eq!(manifest.extract.rows, 2);
    Ok(())
}

#[tokio::test]
async fn conflicting_rows_of_one_title_give_one_whole_row() -> Result<()> {
    // Two rows of tt0000001 disagree on votes and runtime: the title takes one row's columns,
    // the one first in the SQL's order (here the smaller runtime), never a mix.
    let movies = format!(
        "{MOVIES_HEADER}\n\
         tt0000001|Good|Good|1999|95|Comedy|7.5|100|actor|\\N|A|1950|\\N|actor|tt1\n\
         tt0000001|Good|Good|1999|90|Comedy|7.5|200|actor|\\N|B|1950|\\N|actor|tt1\n"
    );
    let series = format!("{SERIES_HEADER}\n");
    let lake = TestLake::new()?;
    lake.put_raw(day(2024, 1, 1), &movies, &series).await?;
    let manifest = refine(lake.store.clone(), &options(None)).await?.manifest;
    let titles = extract_titles(lake.store.as_ref(), &manifest.extract.key).await?;
    assert_eq!(titles.len(), 1);
    assert_eq!(
        (titles[0].runtime_minutes, titles[0].votes),
        (Some(90), Some(200))
    );
    Ok(())
}

#[tokio::test]
async fn the_newest_partition_is_the_default_and_date_picks_another() -> Result<()> {
    let lake = TestLake::new()?;
    let (old_movies, old_series) = generate(1, 30);
    let (new_movies, new_series) = generate(2, 40);
    lake.put_raw(day(2024, 1, 31), &old_movies, &old_series)
        .await?;
    lake.put_raw(day(2024, 2, 1), &new_movies, &new_series)
        .await?;
    // A newer day with movies only is not a complete partition.
    put(
        lake.store.as_ref(),
        &layout::raw_key(Kind::Movie, day(2024, 3, 1)),
        &new_movies,
    )
    .await?;

    let newest = refine(lake.store.clone(), &options(None)).await?.manifest;
    assert_eq!(newest.partition_date, "2024-02-01");
    assert_eq!(
        newest.extract.rows,
        reference(&new_movies, &new_series)?.titles.len() as u64
    );

    let older = refine(lake.store.clone(), &options(Some(day(2024, 1, 31))))
        .await?
        .manifest;
    assert_eq!(older.partition_date, "2024-01-31");
    assert_eq!(
        older.extract.rows,
        reference(&old_movies, &old_series)?.titles.len() as u64
    );
    assert_ne!(older.run_id, newest.run_id);

    let missing = refine(lake.store.clone(), &options(Some(day(2024, 3, 1)))).await;
    match missing {
        Err(RefineError::MissingSource { key, .. }) => {
            assert_eq!(key, "Raw/Local/CSV/Series/2024/03/01/series.csv");
        }
        other => bail!("expected a missing series file, got {other:?}"),
    }
    let empty = TestLake::new()?;
    let error = refine(empty.store.clone(), &options(None))
        .await
        .expect_err("an empty lake has nothing to refine");
    assert!(matches!(error, RefineError::NoPartition), "{error}");
    Ok(())
}

/// The runs a lake holds (the `RUN` of every `…/runs/RUN/…` key), sorted.
async fn run_ids(store: &dyn ObjectStore) -> Result<Vec<String>> {
    let mut runs: Vec<String> = keys(store)
        .await?
        .iter()
        .filter_map(|key| layout::run_of_key(key).map(str::to_owned))
        .collect();
    runs.sort();
    runs.dedup();
    Ok(runs)
}

#[tokio::test]
async fn prune_keeps_the_committed_linked_and_newest_runs_and_deletes_the_rest() -> Result<()> {
    let lake = TestLake::new()?;
    let mut runs = Vec::new();
    for (seed, date) in [
        (1, day(2024, 1, 1)),
        (2, day(2024, 1, 2)),
        (3, day(2024, 1, 3)),
        (4, day(2024, 1, 4)),
    ] {
        let (movies, series) = generate(seed, 20);
        lake.put_raw(date, &movies, &series).await?;
        runs.push(
            refine(lake.store.clone(), &options(Some(date)))
                .await?
                .manifest
                .run_id,
        );
    }
    // Roll back to the second day: its run is written again (it was not the committed one), so
    // it is both the committed and the most recently written run.
    let committed = refine(lake.store.clone(), &options(Some(day(2024, 1, 2))))
        .await?
        .manifest;
    assert_eq!(committed.run_id, runs[1]);
    let mut all = runs.clone();
    all.sort();
    assert_eq!(run_ids(lake.store.as_ref()).await?, all);
    let options = |dry_run| PruneOptions {
        keep: 2,
        linked: vec![runs[0].clone()],
        dry_run,
    };

    let planned = prune(lake.store.as_ref(), &options(true)).await?;
    let kept: Vec<(&str, Keep)> = planned
        .plan
        .kept
        .iter()
        .map(|(r, k)| (r.id.as_str(), *k))
        .collect();
    assert_eq!(
        kept,
        vec![
            (runs[1].as_str(), Keep::Committed),
            (runs[3].as_str(), Keep::Recent),
            (runs[0].as_str(), Keep::Linked)
        ]
    );
    let pruned: Vec<&str> = planned.plan.pruned.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(pruned, vec![runs[2].as_str()]);
    assert!(
        planned.plan.pruned[0].objects >= 4,
        "{:?}",
        planned.plan.pruned
    );
    assert_eq!(planned.deleted_objects, 0);
    assert_eq!(
        run_ids(lake.store.as_ref()).await?,
        all,
        "a dry run deletes nothing"
    );

    let before = keys(lake.store.as_ref()).await?;
    let done = prune(lake.store.as_ref(), &options(false)).await?;
    assert_eq!(done.plan, planned.plan);
    let after = keys(lake.store.as_ref()).await?;
    let gone: Vec<&String> = before.iter().filter(|k| !after.contains(k)).collect();
    assert_eq!(gone.len() as u64, done.deleted_objects);
    assert!(
        gone.iter()
            .all(|k| layout::run_of_key(k) == Some(runs[2].as_str())),
        "{gone:?}"
    );
    // The commit point, the stable copy, the raw files and the kept runs are untouched.
    for key in [MANIFEST_KEY, STABLE_EXTRACT_KEY] {
        assert!(after.contains(&key.to_owned()), "{key}");
    }
    assert_eq!(after.iter().filter(|k| k.starts_with("Raw/")).count(), 8);
    let titles = extract_titles(lake.store.as_ref(), &committed.extract.key).await?;
    assert_eq!(titles.len() as u64, committed.extract.rows);

    // Nothing left to delete with the same options; without the link, the linked run goes too.
    assert!(
        prune(lake.store.as_ref(), &options(false))
            .await?
            .plan
            .pruned
            .is_empty()
    );
    let unlinked = prune(
        lake.store.as_ref(),
        &PruneOptions {
            keep: 2,
            linked: Vec::new(),
            dry_run: false,
        },
    )
    .await?;
    assert_eq!(
        unlinked
            .plan
            .pruned
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        vec![runs[0].as_str()]
    );
    let mut left = vec![runs[1].clone(), runs[3].clone()];
    left.sort();
    assert_eq!(run_ids(lake.store.as_ref()).await?, left);

    // A refine that commits the run about to be deleted, between the plan and the deletion: the
    // prune stops before touching it.
    let older = String::from_utf8(get(lake.store.as_ref(), MANIFEST_KEY).await?)?
        .replace(&runs[1], &runs[3]);
    let racing = FailingStore {
        inner: lake.store.clone(),
        fail_key: String::new(),
        recommit: Some((Default::default(), older.into_bytes())),
    };
    let stopped = prune(
        &racing,
        &PruneOptions {
            keep: 1,
            linked: Vec::new(),
            dry_run: false,
        },
    )
    .await;
    match stopped {
        Err(RefineError::CommittedWhilePruning { run }) => assert_eq!(run, runs[3]),
        other => bail!("expected the prune to stop, got {other:?}"),
    }
    assert_eq!(
        run_ids(lake.store.as_ref()).await?,
        left,
        "nothing was deleted"
    );
    Ok(())
}

#[tokio::test]
async fn a_rerun_of_the_same_inputs_is_idempotent() -> Result<()> {
    let lake = TestLake::new()?;
    let (movies, series) = generate(3, 50);
    lake.put_raw(day(2024, 5, 5), &movies, &series).await?;
    let first = refine(lake.store.clone(), &options(None)).await?;
    let objects = keys(lake.store.as_ref()).await?;
    let manifest_bytes = get(lake.store.as_ref(), MANIFEST_KEY).await?;

    let second = refine(lake.store.clone(), &options(None)).await?;
    assert!(second.reused);
    assert_eq!(second.manifest, first.manifest);
    assert_eq!(keys(lake.store.as_ref()).await?, objects);
    assert_eq!(
        get(lake.store.as_ref(), MANIFEST_KEY).await?,
        manifest_bytes
    );

    // Changed input → a new run id, a new commit.
    let (movies, series) = generate(4, 50);
    lake.put_raw(day(2024, 5, 5), &movies, &series).await?;
    let third = refine(lake.store.clone(), &options(None)).await?;
    assert!(!third.reused);
    assert_ne!(third.manifest.run_id, first.manifest.run_id);
    Ok(())
}

/// A store that fails every write to one key: a run that dies at its commit point. With
/// `recommit`, the second read of the committed manifest first finds these bytes written there:
/// a refine that committed while prune was working.
#[derive(Debug)]
struct FailingStore {
    inner: Arc<dyn ObjectStore>,
    fail_key: String,
    recommit: Option<(std::sync::atomic::AtomicUsize, Vec<u8>)>,
}

impl fmt::Display for FailingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FailingStore({})", self.inner)
    }
}

impl FailingStore {
    fn check(&self, location: &StorePath) -> object_store::Result<()> {
        if location.as_ref() == self.fail_key {
            return Err(object_store::Error::Generic {
                store: "FailingStore",
                source: "injected failure".into(),
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ObjectStore for FailingStore {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.check(location)?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.check(location)?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &StorePath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        if let Some((reads, manifest)) = &self.recommit
            && location.as_ref() == MANIFEST_KEY
            && reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1
        {
            self.inner
                .put(location, PutPayload::from(manifest.clone()))
                .await?;
        }
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<StorePath>>,
    ) -> BoxStream<'static, object_store::Result<StorePath>> {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&StorePath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&StorePath>,
    ) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &StorePath,
        to: &StorePath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.check(to)?;
        self.inner.copy_opts(from, to, options).await
    }
}

#[tokio::test]
async fn a_failed_run_leaves_the_committed_data_intact() -> Result<()> {
    let lake = TestLake::new()?;
    let (movies, series) = generate(5, 60);
    lake.put_raw(day(2024, 6, 1), &movies, &series).await?;
    let committed = refine(lake.store.clone(), &options(None)).await?.manifest;
    let manifest_bytes = get(lake.store.as_ref(), MANIFEST_KEY).await?;
    let stable = get(lake.store.as_ref(), STABLE_EXTRACT_KEY).await?;

    // New raw data, and a run that dies writing the manifest.
    let (movies2, series2) = generate(6, 70);
    lake.put_raw(day(2024, 6, 2), &movies2, &series2).await?;
    let failing: Arc<dyn ObjectStore> = Arc::new(FailingStore {
        inner: lake.store.clone(),
        fail_key: MANIFEST_KEY.to_string(),
        recommit: None,
    });
    let error = refine(failing, &options(None))
        .await
        .expect_err("the commit fails");
    assert!(error.to_string().contains(MANIFEST_KEY), "{error}");

    assert_eq!(
        get(lake.store.as_ref(), MANIFEST_KEY).await?,
        manifest_bytes
    );
    assert_eq!(get(lake.store.as_ref(), STABLE_EXTRACT_KEY).await?, stable);
    for output in committed.outputs.values() {
        for key in &output.keys {
            lake.store
                .head(&StorePath::from(key.as_str()))
                .await
                .with_context(|| format!("{key} survives"))?;
        }
    }
    let titles = extract_titles(lake.store.as_ref(), &committed.extract.key).await?;
    assert_eq!(titles, reference(&movies, &series)?.titles);

    // The retry finds the failed attempt's leftovers under its run id and commits cleanly.
    let retried = refine(lake.store.clone(), &options(None)).await?;
    assert!(!retried.reused);
    assert_eq!(retried.manifest.partition_date, "2024-06-02");
    let titles = extract_titles(lake.store.as_ref(), STABLE_EXTRACT_KEY).await?;
    assert_eq!(titles, reference(&movies2, &series2)?.titles);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// S3 and Spark.

fn required_env(name: &str, how: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set: {how}"))
}

#[tokio::test]
async fn an_s3_lake_refines_like_a_folder() -> Result<()> {
    let how = "run the tests with scripts/s3-server.sh run cargo test -p cinelake-refine";
    let endpoint = required_env("CINELAKE_TEST_S3_ENDPOINT", how)?;
    let access_key = required_env("CINELAKE_TEST_S3_ACCESS_KEY", how)?;
    let secret_key = required_env("CINELAKE_TEST_S3_SECRET_KEY", how)?;
    let region = required_env("CINELAKE_TEST_S3_REGION", how)?;
    let bucket = format!("refine-test-{}", std::process::id());
    let store = s3_store(&endpoint, &access_key, &secret_key, &region, &bucket).await?;

    let (movies, series) = generate(11, 80);
    put(
        store.as_ref(),
        &layout::raw_key(Kind::Movie, day(2024, 7, 1)),
        &movies,
    )
    .await?;
    put(
        store.as_ref(),
        &layout::raw_key(Kind::Series, day(2024, 7, 1)),
        &series,
    )
    .await?;
    let report = refine(store.clone(), &options(None)).await?;
    let titles = extract_titles(store.as_ref(), &report.manifest.extract.key).await?;
    assert_eq!(titles, reference(&movies, &series)?.titles);
    assert!(
        report.manifest.stages["trusted"].rows_in > 80,
        "{:?}",
        report.manifest.stages
    );
    assert!(refine(store.clone(), &options(None)).await?.reused);
    Ok(())
}

/// Parity: DataFusion and Spark on the same generated raw files and TMDB files give the same
/// refined rows (TMDB columns included), trusted rows, rejects, extract bytes and TMDB counts.
#[tokio::test]
async fn spark_and_datafusion_agree_row_for_row() -> Result<()> {
    let spark = SparkOptions::from_env();
    ensure!(
        spark.spark_submit.is_file() || which(&spark.spark_submit),
        "spark-submit not found at {}: install PySpark into ~/.cache/cinelake/tools/pyspark-venv (docs/spark.md) or set CINELAKE_SPARK_SUBMIT",
        spark.spark_submit.display()
    );
    let (mut movies, series) = generate(21, 300);
    movies.push_str("tt0000099|Bad|Bad|1999|90|Comedy|7,5|100|actor|\\N|A|1950|\\N|actor|tt1\n");
    let date = day(2024, 8, 8);
    let df_lake = TestLake::new()?;
    df_lake.put_raw(date, &movies, &series).await?;
    let spark_lake = TestLake::new()?;
    spark_lake.put_raw(date, &movies, &series).await?;
    let (tmdb_files, tmdb_expected) = tmdb_lake_files(&reference(&movies, &series)?.titles)?;
    for (key, text) in &tmdb_files {
        put(df_lake.store.as_ref(), key, text).await?;
        put(spark_lake.store.as_ref(), key, text).await?;
    }

    let df = refine(df_lake.store.clone(), &options(None))
        .await?
        .manifest;
    let sp = refine(
        spark_lake.store.clone(),
        &RefineOptions {
            date: None,
            engine: Engine::Spark(spark),
        },
    )
    .await?
    .manifest;
    assert_eq!(sp.engine, "spark");
    assert_ne!(df.run_id, sp.run_id);
    assert_eq!(df.stages, sp.stages);
    assert_eq!(df.extract.sha256, sp.extract.sha256);
    assert_eq!(
        get(df_lake.store.as_ref(), &df.extract.key).await?,
        get(spark_lake.store.as_ref(), &sp.extract.key).await?
    );
    for output in ["refined", "trusted", "rejects"] {
        let a = parquet_rows(df_lake._dir.path(), &df.outputs[output].keys).await?;
        let b = parquet_rows(spark_lake._dir.path(), &sp.outputs[output].keys).await?;
        assert_eq!(a.len(), b.len(), "{output} rows");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{output}");
        }
    }
    assert_eq!(df.stages["trusted"].rows_rejected, 1);
    assert_eq!(df.tmdb, sp.tmdb);
    assert_eq!(df.tmdb_sources, sp.tmdb_sources);
    // Not vacuous: the TMDB data made it through both engines.
    let titles = extract_titles(spark_lake.store.as_ref(), &sp.extract.key).await?;
    let joined: BTreeMap<String, Tmdb> = titles
        .into_iter()
        .filter_map(|t| t.tmdb.map(|d| (t.id, d)))
        .collect();
    assert_eq!(joined, tmdb_expected);
    Ok(())
}

/// A store rooted at `s3://BUCKET/lake` on the test server, through the lake crate (the same
/// path the CLI takes), with the bucket created.
async fn s3_store(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
    region: &str,
    bucket: &str,
) -> Result<Arc<dyn ObjectStore>> {
    use cinelake_lake::{Lake, LakeOptions, LakeUrl, StaticCredentials};
    let url: LakeUrl = format!("s3://{bucket}/lake").parse()?;
    let options = LakeOptions {
        endpoint: Some(endpoint.to_string()),
        region: Some(region.to_string()),
        credentials: Some(StaticCredentials {
            access_key_id: access_key.to_string(),
            secret_access_key: secret_key.to_string(),
            session_token: None,
        }),
        ..LakeOptions::default()
    };
    let lake = Lake::open(&url, &options)?;
    lake.s3_admin()
        .context("an s3:// lake has an admin helper")?
        .create_bucket()
        .await?;
    Ok(cinelake_refine::lake_store(&lake))
}

fn which(program: &std::path::Path) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}
