//! `cinelake enrich` against a local TMDB-shaped server (the real API is out of reach here): a
//! hand-rolled HTTP/1.1 responder on 127.0.0.1:0 serving `/find`, `/movie` and `/tv`, with 401
//! for a wrong token, 404, empty finds, 429 with `Retry-After`, transient 500s and a title that
//! always answers 500. The lake is a `file://` tempdir.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use cinelake_lake::{Lake, LakeOptions, LakeUrl};
use cinelake_tmdb::{
    Client, ClientOptions, EnrichOptions, EnrichReport, Record, RecordStatus, TmdbError, Token,
    enrich, store,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN: &str = "tok-SECRET-4f9a1c-never-shown";

/// Ids with a scripted behaviour; every other id is a plain hit.
const NOT_FOUND_404: &str = "tt9000404";
const EMPTY_FIND: &str = "tt9000000";
const RATE_LIMITED: &str = "tt9000429";
const FLAKY_500: &str = "tt9000500";
const ALWAYS_500: &str = "tt9000599";
const MOVIE_404: &str = "tt9000414";

#[derive(Default)]
struct ServerState {
    /// Every request: (path, when).
    log: Vec<(String, Instant)>,
    hits: HashMap<String, u32>,
}

type Shared = Arc<Mutex<ServerState>>;

async fn serve() -> Result<(String, Shared)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state: Shared = Arc::default();
    let shared = state.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let state = shared.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 2048];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let (status, extra, body) = respond(&text, &state);
                let reason = match status {
                    200 => "OK",
                    401 => "Unauthorized",
                    404 => "Not Found",
                    429 => "Too Many Requests",
                    _ => "Internal Server Error",
                };
                let reply = format!(
                    "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Ok((base, state))
}

/// The scripted TMDB: (status, extra header lines, body).
fn respond(request: &str, state: &Shared) -> (u16, String, String) {
    let path = request
        .lines()
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let authorized = request.lines().any(|line| {
        line.to_ascii_lowercase().starts_with("authorization:")
            && line.split_once(':').map(|(_, v)| v.trim()) == Some(&format!("Bearer {TOKEN}"))
    });
    let hits = {
        let mut state = state.lock().expect("server state");
        state.log.push((path.clone(), Instant::now()));
        let hits = state.hits.entry(path.clone()).or_default();
        *hits += 1;
        *hits
    };
    let error = r#"{"status_code":7,"status_message":"Invalid API key"}"#.to_string();
    if !authorized {
        return (401, String::new(), error);
    }
    if let Some(rest) = path.strip_prefix("/find/") {
        let Some((id, "external_source=imdb_id")) = rest.split_once('?') else {
            return (400, String::new(), "{}".to_string());
        };
        return match id {
            NOT_FOUND_404 => (404, String::new(), r#"{"status_code":34}"#.to_string()),
            RATE_LIMITED if hits == 1 => (429, "retry-after: 1\r\n".to_string(), error),
            FLAKY_500 if hits <= 2 => (500, String::new(), "oops".to_string()),
            ALWAYS_500 => (503, "retry-after: 0\r\n".to_string(), "down".to_string()),
            EMPTY_FIND => (200, String::new(), find_body("movie", None)),
            MOVIE_404 => (200, String::new(), find_body("movie", Some(404))),
            _ => {
                let number: u64 = id[2..].parse().unwrap_or(1);
                let kind = if number >= 8_000_000 { "tv" } else { "movie" };
                (200, String::new(), find_body(kind, Some(number)))
            }
        };
    }
    if let Some(id) = path.strip_prefix("/movie/") {
        if id == "404" {
            return (404, String::new(), "{}".to_string());
        }
        let body = format!(
            r#"{{"id":{id},"budget":1000,"revenue":2500,"popularity":1.5,"vote_average":7.1,"vote_count":42,"production_countries":[{{"iso_3166_1":"US","name":"United States of America"}}]}}"#
        );
        return (200, String::new(), body);
    }
    if let Some(id) = path.strip_prefix("/tv/") {
        return (
            200,
            String::new(),
            format!(r#"{{"id":{id},"name":"A show"}}"#),
        );
    }
    (400, String::new(), "{}".to_string())
}

fn find_body(kind: &str, id: Option<u64>) -> String {
    let hit = id.map(|id| format!(r#"{{"id":{id}}}"#)).unwrap_or_default();
    let (movies, tv) = if kind == "tv" {
        (String::new(), hit)
    } else {
        (hit, String::new())
    };
    format!(
        r#"{{"movie_results":[{movies}],"person_results":[],"tv_results":[{tv}],"tv_episode_results":[],"tv_season_results":[]}}"#
    )
}

/// The refined extract and its manifest, as refine writes them.
fn write_refined(root: &std::path::Path, ids: &[String]) -> Result<()> {
    let mut csv = String::from(
        "kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes\n",
    );
    for id in ids {
        let kind = if id[2..].parse::<u64>()? >= 8_000_000 && !id.starts_with("tt9") {
            "series"
        } else {
            "movie"
        };
        csv.push_str(&format!(
            "{kind},{id},Title {id},,2000,,90,Comedy,7.0,100\n"
        ));
    }
    let dir = root.join("Refined/runs/r1/dashboard");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("titles.csv"), csv)?;
    std::fs::write(
        root.join("Refined/_manifest.json"),
        r#"{"version":1,"extract":{"key":"Refined/runs/r1/dashboard/titles.csv","stable_key":"Refined/dashboard/titles.csv","rows":0,"bytes":0,"sha256":""}}"#,
    )?;
    Ok(())
}

fn options(base: &str) -> ClientOptions {
    ClientOptions {
        base_url: base.to_string(),
        requests_per_second: 0.0,
        max_retries: 2,
        backoff: Duration::from_millis(5),
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
    }
}

/// One run: the report (or error) and every progress line it produced.
async fn run(
    lake: &Lake,
    base: &str,
    token: &str,
    limit: Option<usize>,
) -> Result<(Result<EnrichReport, TmdbError>, Vec<String>)> {
    let (titles, skipped) = store::refined_titles(lake).await?;
    assert_eq!(skipped, 0);
    let mut client = Client::new(&Token::new(token), options(base))?;
    let mut lines = Vec::new();
    let date = NaiveDate::from_ymd_opt(2026, 11, 25).context("date")?;
    let result = enrich(
        lake,
        &mut client,
        &titles,
        &EnrichOptions { date, limit },
        &mut |event| lines.push(format!("{event:?}")),
    )
    .await;
    Ok((result, lines))
}

/// Every stored file: relative path and parsed records; also checks no file holds the token.
fn stored_files(root: &std::path::Path) -> Result<Vec<(String, Vec<Record>)>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path)?;
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(TOKEN), "token stored in {}", path.display());
            let relative = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            if relative.starts_with("Raw/TMDB/JSON/") {
                files.push((relative, serde_json::from_slice(&bytes)?));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

fn assert_no_token(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "token in {what}: {text}");
    assert!(!text.contains("SECRET"), "token part in {what}: {text}");
}

fn ids() -> Vec<String> {
    let mut ids: Vec<String> = (1..=230).map(|n| format!("tt{n:07}")).collect();
    ids.extend((1..=15).map(|n| format!("tt{:07}", 8_000_000 + n)));
    for special in [
        NOT_FOUND_404,
        EMPTY_FIND,
        RATE_LIMITED,
        FLAKY_500,
        ALWAYS_500,
        MOVIE_404,
    ] {
        ids.push(special.to_string());
    }
    ids
}

#[tokio::test]
async fn every_title_is_fetched_or_reported_resumably_and_the_token_never_shows() -> Result<()> {
    let (base, server) = serve().await?;
    let dir = tempfile::tempdir()?;
    let ids = ids();
    write_refined(dir.path(), &ids)?;
    let url: LakeUrl = format!("file://{}", dir.path().display()).parse()?;
    let lake = Lake::open(&url, &LakeOptions::default())?;

    // Run 1 stops after 150 titles (an interrupted run), run 2 finishes, run 3 has nothing to do.
    let (first, lines1) = run(&lake, &base, TOKEN, Some(150)).await?;
    let first = first?;
    assert_eq!(first.found, 150);
    assert_eq!(
        first.files,
        [
            "Raw/TMDB/JSON/2026/11/25/tmdb-00001.json",
            "Raw/TMDB/JSON/2026/11/25/tmdb-00002.json"
        ]
    );
    let (second, lines2) = run(&lake, &base, TOKEN, None).await?;
    let second = second?;
    assert_eq!(second.already_stored, 150);
    assert_eq!(second.titles, ids.len());
    assert_eq!(
        second.found,
        230 + 15 - 150 + 2,
        "plain hits plus 429 and 500 retried"
    );
    let not_found: BTreeSet<&str> = second.not_found.iter().map(String::as_str).collect();
    assert_eq!(
        not_found,
        BTreeSet::from([NOT_FOUND_404, EMPTY_FIND, MOVIE_404])
    );
    assert_eq!(second.failed.len(), 1);
    assert_eq!(second.failed[0].imdb_id, ALWAYS_500);
    assert!(
        second.failed[0]
            .reason
            .contains("gave up after 3 attempts: status 503"),
        "{}",
        second.failed[0].reason
    );
    // Every title ends up fetched or reported.
    assert_eq!(
        second.already_stored + second.found + second.not_found.len() + second.failed.len(),
        ids.len()
    );

    // Retry-After: 1 was honoured: the retry came at least a second after the 429.
    {
        let state = server.lock().expect("server state");
        let find = format!("/find/{RATE_LIMITED}?external_source=imdb_id");
        let times: Vec<Instant> = state
            .log
            .iter()
            .filter(|(p, _)| *p == find)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(times.len(), 2);
        assert!(times[1] - times[0] >= Duration::from_secs(1));
        assert_eq!(
            state.hits[&format!("/find/{FLAKY_500}?external_source=imdb_id")],
            3
        );
        // Series use /tv.
        assert_eq!(state.hits.get("/tv/8000001"), Some(&1));
    }

    // Files hold at most 100 records, each id once, with the raw responses.
    let files = stored_files(dir.path())?;
    let mut stored = BTreeSet::new();
    for (key, records) in &files {
        assert!(
            !records.is_empty() && records.len() <= 100,
            "{key}: {}",
            records.len()
        );
        for record in records {
            assert!(
                stored.insert(record.imdb_id.clone()),
                "{} twice",
                record.imdb_id
            );
        }
    }
    // 100 + 50 from the interrupted run, then the other 100 (the always-failing title is not
    // stored) in the next number of the same day.
    let layout: Vec<(&str, usize)> = files
        .iter()
        .map(|(k, r)| (k.rsplit('/').next().unwrap_or(""), r.len()))
        .collect();
    assert_eq!(
        layout,
        [
            ("tmdb-00001.json", 100),
            ("tmdb-00002.json", 50),
            ("tmdb-00003.json", 100)
        ]
    );
    let expected: BTreeSet<String> = ids.iter().filter(|id| *id != ALWAYS_500).cloned().collect();
    assert_eq!(stored, expected);
    let movie = files
        .iter()
        .flat_map(|(_, r)| r)
        .find(|r| r.imdb_id == "tt0000007")
        .context("tt0000007 stored")?;
    assert_eq!(movie.status, RecordStatus::Found);
    assert_eq!(movie.kind.as_deref(), Some("movie"));
    assert_eq!(movie.details["budget"], 1000);
    assert_eq!(movie.find["movie_results"][0]["id"], 7);

    // Run 3: nothing new is fetched; only the failed title is tried again.
    let requests_before = server.lock().expect("server state").log.len();
    let (third, lines3) = run(&lake, &base, TOKEN, None).await?;
    let third = third?;
    assert_eq!(third.already_stored, ids.len() - 1);
    assert_eq!((third.found, third.files.len()), (0, 0));
    assert_eq!(third.failed.len(), 1);
    let state = server.lock().expect("server state");
    let new_paths: BTreeSet<&str> = state.log[requests_before..]
        .iter()
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(
        new_paths,
        BTreeSet::from(["/find/tt9000599?external_source=imdb_id"])
    );
    assert_eq!(stored_files(dir.path())?.len(), 3);

    for (what, text) in [
        ("run 1", format!("{first:?} {lines1:?}")),
        ("run 2", format!("{second:?} {lines2:?}")),
        ("run 3", format!("{third:?} {lines3:?}")),
    ] {
        assert_no_token(what, &text);
    }
    Ok(())
}

#[tokio::test]
async fn a_bad_token_stops_at_once_with_a_clear_message() -> Result<()> {
    let (base, server) = serve().await?;
    let dir = tempfile::tempdir()?;
    write_refined(dir.path(), &ids())?;
    let url: LakeUrl = format!("file://{}", dir.path().display()).parse()?;
    let lake = Lake::open(&url, &LakeOptions::default())?;
    let wrong = "tok-SECRET-wrong-one";
    let (result, lines) = run(&lake, &base, wrong, None).await?;
    let error = result.err().context("a wrong token must fail")?;
    assert!(matches!(error, TmdbError::Unauthorized { .. }), "{error:?}");
    let message = error.to_string();
    assert_eq!(
        message,
        "tmdb refused the API token (401 on /find/tt0000001?external_source=imdb_id): check TMDB_API_TOKEN"
    );
    assert_eq!(
        server.lock().expect("server state").log.len(),
        1,
        "no retry on 401"
    );
    assert!(stored_files(dir.path())?.is_empty());
    let shown = format!("{error:?} {message} {lines:?}");
    assert!(!shown.contains(wrong), "{shown}");
    assert_no_token("bad-token run", &shown);
    Ok(())
}

#[tokio::test]
async fn a_missing_manifest_says_to_run_refine() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let url: LakeUrl = format!("file://{}", dir.path().display()).parse()?;
    let lake = Lake::open(&url, &LakeOptions::default())?;
    let error = store::refined_titles(&lake)
        .await
        .err()
        .context("no manifest")?;
    assert!(
        error
            .to_string()
            .ends_with("Refined/_manifest.json: not found: run `cinelake refine` first"),
        "{error}"
    );
    Ok(())
}

#[tokio::test]
async fn the_request_rate_is_a_ceiling() -> Result<()> {
    let (base, server) = serve().await?;
    let mut client = Client::new(
        &Token::new(TOKEN),
        ClientOptions {
            requests_per_second: 20.0,
            ..options(&base)
        },
    )?;
    for _ in 0..5 {
        assert!(matches!(
            client.details("movie", 1).await?,
            cinelake_tmdb::Fetched::Found(_)
        ));
    }
    let state = server.lock().expect("server state");
    let times: Vec<Instant> = state.log.iter().map(|(_, t)| *t).collect();
    assert_eq!(times.len(), 5);
    // 20 a second: starts 50 ms apart, so the last comes at least 4 × 50 ms after the first
    // (less a little for when the server notes the time).
    assert!(
        times[4] - times[0] >= Duration::from_millis(180),
        "{:?}",
        times[4] - times[0]
    );
    Ok(())
}
