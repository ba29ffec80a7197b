//! Loading: where the extract comes from (`?data=`, the site's `manifest.json`, a local file),
//! and a streaming download that parses each chunk as it arrives (core's `ExtractParser`), so
//! parsing runs while the rest downloads, in slices that yield to the event loop so the page
//! keeps answering while hundreds of thousands of rows are read. Progress counts bytes and rows.
//!
//! Failures are explained in words a reader can act on: a refused presigned link says it expired
//! or was altered, a network failure names CORS and the page's origin. Rows that fail to parse
//! are counted with a few examples and never stop the load.

use cinelake_core::Title;
use cinelake_core::extract::{ExtractParser, ExtractRow};
use cinelake_core::model::FeatureColumns;
use cinelake_core::yearly::Columns;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::Lang;
use crate::perf;

/// How many examples of unreadable rows the warning shows.
pub const BAD_ROW_EXAMPLES: usize = 5;

/// How long one parsing slice may run before yielding (milliseconds): short enough that input
/// and progress painting stay fluid, long enough that yielding costs little.
const SLICE_MS: f64 = 40.0;

/// The shortest interval between two download progress reports (milliseconds).
const PROGRESS_MS: f64 = 50.0;

/// A loaded extract.
#[derive(Debug, Default)]
pub struct Dataset {
    pub titles: Vec<Title>,
    pub columns: Columns,
    /// What the model's default features read, packed as the titles load (the model's first
    /// run then reads these instead of the titles).
    pub features: FeatureColumns,
    pub bad_rows: u64,
    pub bad_examples: Vec<String>,
    /// Where it came from, for the footer (a file name or a URL without its query string).
    pub source: String,
    pub bytes: u64,
}

impl Dataset {
    /// Rows read, good and bad.
    pub fn rows(&self) -> u64 {
        self.titles.len() as u64 + self.bad_rows
    }
}

/// Where loading stands, for the progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    /// Downloading (or reading a local file) and parsing what has arrived: bytes so far, the
    /// size when known, and rows read so far.
    Download {
        bytes: u64,
        total: Option<u64>,
        rows: u64,
    },
    /// Parsing bytes already in memory.
    Parse { bytes: u64, total: u64, rows: u64 },
}

/// Why loading failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The server answered with a non-2xx status.
    Http {
        url: String,
        status: u16,
        presigned: bool,
    },
    /// The request never got an answer the page may read: offline, DNS, or CORS.
    Network { url: String, origin: String },
    /// The file is not an extract (wrong header, empty).
    NotExtract(String),
    /// `manifest.json` exists but says nothing usable.
    Manifest(String),
    /// The browser refused something it should not (no body, unreadable file).
    Browser(String),
}

impl LoadError {
    /// The message shown to the reader.
    pub fn message(&self, lang: Lang) -> String {
        let pt = lang == Lang::PtBr;
        match self {
            LoadError::Http {
                url,
                status,
                presigned: true,
            } if matches!(status, 400 | 401 | 403) => {
                if pt {
                    format!(
                        "{url} respondeu {status}: o link expirou ou foi alterado; rode `cinelake publish` para gerar links novos"
                    )
                } else {
                    format!(
                        "{url} answered {status}: the link expired or was altered; run `cinelake publish` to make fresh links"
                    )
                }
            }
            LoadError::Http {
                url, status: 404, ..
            } => {
                if pt {
                    format!("{url} não existe (404)")
                } else {
                    format!("{url} was not found (404)")
                }
            }
            LoadError::Http { url, status, .. } => {
                if pt {
                    format!("{url} respondeu com o status HTTP {status}")
                } else {
                    format!("{url} answered with HTTP status {status}")
                }
            }
            LoadError::Network { url, origin } => {
                if pt {
                    format!(
                        "não foi possível ler {url}: o servidor está inacessível ou recusou CORS; ele precisa permitir a origem {origin}"
                    )
                } else {
                    format!(
                        "could not read {url}: the server is unreachable or refused CORS; it must allow the origin {origin}"
                    )
                }
            }
            LoadError::NotExtract(reason) => {
                if pt {
                    format!("o arquivo não é um extrato do cinelake: {reason}")
                } else {
                    format!("the file is not a cinelake extract: {reason}")
                }
            }
            LoadError::Manifest(reason) => format!("manifest.json: {reason}"),
            LoadError::Browser(reason) => reason.clone(),
        }
    }
}

/// The URL without its query string: presigned signatures stay out of messages and footers.
pub fn display_url(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

/// Whether a URL is an S3 presigned one (SigV4 or the older V2 form).
pub fn is_presigned(url: &str) -> bool {
    url.contains("X-Amz-Signature=") || url.contains("Signature=")
}

fn window() -> web_sys::Window {
    // The dashboard only runs in a page, where `window` exists.
    web_sys::window().expect("the dashboard runs in a browser window")
}

fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// Yields to the event loop: a task, so input, painting and other tasks get their turn.
///
/// `scheduler.yield()` where the browser has it (Chromium), else a `MessageChannel` message,
/// else `setTimeout(0)`: nested timeouts are clamped to at least 4 ms, which a parse of
/// hundreds of slices would pay each time, while the other two resume as soon as the page has
/// had its turn.
pub async fn yield_now() {
    let _ = JsFuture::from(yield_promise()).await;
}

fn yield_promise() -> js_sys::Promise {
    let global: JsValue = js_sys::global().into();
    let get = |target: &JsValue, key: &str| Reflect::get(target, &JsValue::from_str(key)).ok();
    if let Some(scheduler) = get(&global, "scheduler").filter(JsValue::is_object)
        && let Some(yield_fn) =
            get(&scheduler, "yield").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        && let Some(promise) = yield_fn
            .call0(&scheduler)
            .ok()
            .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
    {
        return promise;
    }
    js_sys::Promise::new(&mut |resolve, _| {
        let posted = (|| {
            let constructor: js_sys::Function = get(&global, "MessageChannel")?.dyn_into().ok()?;
            let channel = Reflect::construct(&constructor, &js_sys::Array::new()).ok()?;
            let (receiver, sender) = (get(&channel, "port1")?, get(&channel, "port2")?);
            Reflect::set(&receiver, &JsValue::from_str("onmessage"), &resolve).ok()?;
            let post: js_sys::Function = get(&sender, "postMessage")?.dyn_into().ok()?;
            post.call1(&sender, &JsValue::NULL).ok()
        })();
        if posted.is_none() {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    })
}

/// Resolves a possibly relative URL against the page.
fn absolute(url: &str) -> String {
    web_sys::Url::new_with_base(url, &window().location().href().unwrap_or_default())
        .map(|u| u.href())
        .unwrap_or_else(|_| url.to_string())
}

/// The response `web/boot.js` started fetching for `url` while the wasm compiled, if any (taken
/// once: a later request for the same URL, such as a retry, fetches anew).
///
/// `window.cinelakePrefetch` maps URLs, exactly as the page or the manifest spells them, to
/// promises of their responses: `?data=`'s URL, or `manifest.json` and the extract it names.
fn take_prefetch(url: &str) -> Option<js_sys::Promise> {
    let prefetched = Reflect::get(&window(), &JsValue::from_str("cinelakePrefetch"))
        .ok()
        .filter(JsValue::is_object)?;
    let key = JsValue::from_str(url);
    let response = Reflect::get(&prefetched, &key)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    let _ = Reflect::delete_property(prefetched.unchecked_ref::<js_sys::Object>(), &key);
    Some(response)
}

async fn fetch(url: &str) -> Result<web_sys::Response, LoadError> {
    let shown = display_url(&absolute(url));
    let network = || LoadError::Network {
        url: shown.clone(),
        origin: origin(),
    };
    let request = take_prefetch(url).unwrap_or_else(|| window().fetch_with_str(url));
    let response = JsFuture::from(request).await.map_err(|_| network())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| network())?;
    if !response.ok() {
        return Err(LoadError::Http {
            url: shown,
            status: response.status(),
            presigned: is_presigned(url),
        });
    }
    Ok(response)
}

/// How many bytes are parsed between two looks at the clock: a network chunk can be megabytes
/// when the body was buffered while the wasm started, and one piece takes a few milliseconds.
const PIECE: usize = 64 * 1024;

/// A [`Dataset`] being built from an extract handed over in chunks: the parser, the titles and
/// yearly columns so far, the bad rows, and how long parsing has held the page since it last
/// yielded.
struct Building {
    parser: ExtractParser,
    dataset: Dataset,
    /// Parsing time since the page last had a turn (ms).
    busy: f64,
    /// Parsing time in all (ms), for the `parse` measure.
    parse_ms: f64,
    /// When the first byte was parsed (`performance.now()`), where the `parse` measure starts.
    first_parse: Option<f64>,
}

/// Fewer bytes than any real extract row takes (generated ones average 80): a download's size
/// divided by this is room for all its titles, reserved at once instead of grown by doubling,
/// each doubling copying every title so far.
const MIN_ROW_BYTES: u64 = 64;

/// How many bytes of wasm heap one byte of extract takes once loaded and modelled, rounded up
/// from what was measured (titles with their strings and the yearly columns: 5.0; with the
/// model's first run: 5.9 at 115k and 363k titles, 7.1 at 16k where the program's own memory
/// counts).
const HEAP_PER_INPUT_BYTE: u64 = 7;

/// The largest heap reserved ahead (bytes): a wrong Content-Length must not take gigabytes.
const MAX_RESERVED_HEAP: u64 = 1 << 30;

/// Grows the wasm heap once by about `bytes` and hands the room back to the allocator.
///
/// Rust's wasm allocator (dlmalloc) grows the memory by just what each allocation lacks,
/// rounded up to 64 KiB: loading 363k titles grew it about 2 200 times and the model's first
/// run 400 more. Each `memory.grow` costs the browser a new `ArrayBuffer` and now and then a
/// garbage collection of several milliseconds (a trace at 16k titles: 38 grows, 23 ms), while
/// one grow of 150 MB costs under a millisecond. The block is freed at once: it joins the
/// allocator's top chunk, which later allocations split without growing the memory.
pub fn reserve_heap(bytes: u64) {
    let mut block: Vec<u8> = Vec::new();
    // Too large for this browser: the allocator grows on demand as before.
    if block
        .try_reserve_exact(bytes.min(MAX_RESERVED_HEAP) as usize)
        .is_ok()
    {
        // Kept observable so the allocation is not optimised away.
        std::hint::black_box(&mut block);
    }
}

impl Building {
    /// `total`: the input's size when known.
    fn new(source: String, total: Option<u64>) -> Self {
        if let Some(total) = total {
            reserve_heap(total.saturating_mul(HEAP_PER_INPUT_BYTE));
        }
        // Capped: a wrong Content-Length must not reserve gigabytes.
        let rows = total.map_or(0, |total| (total / MIN_ROW_BYTES).min(4_000_000)) as usize;
        Building {
            parser: ExtractParser::new(),
            dataset: Dataset {
                source,
                titles: Vec::with_capacity(rows),
                features: FeatureColumns::with_capacity(rows),
                ..Dataset::default()
            },
            busy: 0.0,
            parse_ms: 0.0,
            first_parse: None,
        }
    }

    /// Parses `chunk` in pieces of [`PIECE`] bytes, yielding to the page whenever parsing has
    /// held it for [`SLICE_MS`]. A wrong header stops it with [`LoadError::NotExtract`].
    async fn push(&mut self, chunk: &[u8]) -> Result<(), LoadError> {
        self.dataset.bytes += chunk.len() as u64;
        for piece in chunk.chunks(PIECE) {
            let start = perf::now();
            self.first_parse.get_or_insert(start);
            let Building {
                parser, dataset, ..
            } = self;
            parser
                .push_with(piece, &mut |row| take_row(dataset, row))
                .map_err(|error| LoadError::NotExtract(error.to_string()))?;
            let spent = perf::now() - start;
            self.busy += spent;
            self.parse_ms += spent;
            if self.busy > SLICE_MS {
                yield_now().await;
                self.busy = 0.0;
            }
        }
        Ok(())
    }

    /// Ends the input: the last row, the header check of a file without rows, the `parse`
    /// measure (parsing time in all, from the first byte parsed: with a download it overlaps
    /// `fetch`).
    fn finish(mut self) -> Result<Dataset, LoadError> {
        let start = perf::now();
        let Building {
            parser, dataset, ..
        } = &mut self;
        parser
            .finish_with(&mut |row| take_row(dataset, row))
            .map_err(|error| LoadError::NotExtract(error.to_string()))?;
        self.parse_ms += perf::now() - start;
        // The reservation was generous; shrinking a block in place costs no copy.
        self.dataset.titles.shrink_to_fit();
        self.dataset.features.shrink_to_fit();
        perf::measure_span("parse", self.first_parse.unwrap_or(start), self.parse_ms);
        Ok(self.dataset)
    }
}

/// Adds one parsed row to `dataset`: a title to the titles and the yearly columns, an error to
/// the bad-row count and, while there are few, to the examples.
fn take_row(dataset: &mut Dataset, row: ExtractRow) {
    match row {
        Ok(title) => {
            let group = title.genre_group();
            dataset.columns.push_grouped(&title, group);
            dataset.features.push_grouped(&title, group);
            dataset.titles.push(title);
        }
        Err(error) => {
            dataset.bad_rows += 1;
            if dataset.bad_examples.len() < BAD_ROW_EXAMPLES {
                dataset.bad_examples.push(error.to_string());
            }
        }
    }
}

/// Reads `body` chunk by chunk and parses each chunk as it arrives, so parsing runs while the
/// rest downloads; reports bytes and rows at most every [`PROGRESS_MS`]. `fetch` is measured
/// from `fetch:start` (marked by the caller) to the last byte.
async fn stream(
    body: web_sys::ReadableStream,
    total: Option<u64>,
    source: String,
    progress: &dyn Fn(Progress),
    broken: &dyn Fn() -> LoadError,
) -> Result<Dataset, LoadError> {
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| LoadError::Browser("the response body cannot be streamed".into()))?;
    let mut building = Building::new(source, total);
    progress(Progress::Download {
        bytes: 0,
        total,
        rows: 0,
    });
    // Progress is reported at most every PROGRESS_MS: chunks arrive far more often than a
    // progress bar can show, and each report re-renders it.
    let mut reported = perf::now();
    // Each chunk is copied out of JS memory into this buffer, reused from chunk to chunk.
    let mut chunk = Vec::new();
    loop {
        let read = JsFuture::from(reader.read()).await.map_err(|_| broken())?;
        let done = Reflect::get(&read, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&read, &JsValue::from_str("value")).map_err(|_| broken())?;
        let array = Uint8Array::new(&value);
        chunk.resize(array.length() as usize, 0);
        array.copy_to(&mut chunk);
        if let Err(error) = building.push(&chunk).await {
            // Not an extract: the rest of the body is not worth downloading.
            let _ = reader.cancel();
            return Err(error);
        }
        if perf::now() - reported > PROGRESS_MS {
            reported = perf::now();
            progress(Progress::Download {
                bytes: building.dataset.bytes,
                total,
                rows: building.dataset.rows(),
            });
        }
    }
    perf::mark("fetch:end");
    perf::measure("fetch", "fetch:start", "fetch:end");
    let dataset = building.finish()?;
    progress(Progress::Download {
        bytes: dataset.bytes,
        total,
        rows: dataset.rows(),
    });
    Ok(dataset)
}

/// Downloads `url` and parses it while it downloads, reporting bytes and rows.
pub async fn load_url(url: &str, progress: &dyn Fn(Progress)) -> Result<Dataset, LoadError> {
    perf::mark("fetch:start");
    let response = fetch(url).await?;
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|value| value.parse::<u64>().ok());
    let source = display_url(url);
    let Some(body) = response.body() else {
        // No body at all (a 204): an empty file, which the parser refuses as such.
        return parse(Vec::new(), source, progress).await;
    };
    let broken = || LoadError::Network {
        url: display_url(&absolute(url)),
        origin: origin(),
    };
    stream(body, total, source, progress, &broken).await
}

/// Reads a local file and parses it as it is read, the way a download is.
pub async fn load_file(
    file: &web_sys::File,
    progress: &dyn Fn(Progress),
) -> Result<Dataset, LoadError> {
    load_stream(
        file.stream(),
        Some(file.size() as u64),
        file.name(),
        progress,
    )
    .await
}

/// Parses an extract from any byte stream as it is read (a local file's stream, or a test's).
pub async fn load_stream(
    body: web_sys::ReadableStream,
    total: Option<u64>,
    source: String,
    progress: &dyn Fn(Progress),
) -> Result<Dataset, LoadError> {
    perf::mark("fetch:start");
    let unreadable = LoadError::Browser(format!("{source}: the file could not be read"));
    stream(body, total, source, progress, &|| unreadable.clone()).await
}

/// Parses an extract already in memory, in slices of about `SLICE_MS` (40 ms) that yield between
/// them: the same parser and slicing as a download.
pub async fn parse(
    bytes: Vec<u8>,
    source: String,
    progress: &dyn Fn(Progress),
) -> Result<Dataset, LoadError> {
    let total = bytes.len() as u64;
    let mut building = Building::new(source, Some(total));
    // One slice of bytes per report: the progress bar moves while the page has a turn.
    for slice in bytes.chunks(16 * PIECE) {
        building.push(slice).await?;
        progress(Progress::Parse {
            bytes: building.dataset.bytes,
            total,
            rows: building.dataset.rows(),
        });
    }
    let dataset = building.finish()?;
    progress(Progress::Parse {
        bytes: total,
        total,
        rows: dataset.rows(),
    });
    Ok(dataset)
}

/// Where the extract comes from, decided from the page's URL and the site's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A URL to download.
    Url(String),
    /// Nothing to load: the reader picks a file.
    Pick,
}

/// `?data=` wins; otherwise the `titles` dataset of `manifest.json` next to the page; if there
/// is no manifest, the reader picks a file.
pub async fn resolve(data_param: Option<String>) -> Result<Origin, LoadError> {
    if let Some(url) = data_param.filter(|url| !url.is_empty()) {
        return Ok(Origin::Url(url));
    }
    let response = match fetch("manifest.json").await {
        Ok(response) => response,
        // No manifest (a local `trunk serve`, a page opened to explore a file) is not an error.
        Err(LoadError::Http { status: 404, .. }) => return Ok(Origin::Pick),
        Err(LoadError::Network { .. }) => return Ok(Origin::Pick),
        Err(error) => return Err(error),
    };
    let text = JsFuture::from(
        response
            .text()
            .map_err(|_| LoadError::Manifest("unreadable".into()))?,
    )
    .await
    .map_err(|_| LoadError::Manifest("unreadable".into()))?
    .as_string()
    .unwrap_or_default();
    manifest_url(&text).map(Origin::Url)
}

/// The `titles` dataset's URL in a manifest (DESIGN.md: `{"version":1,…,"datasets":[…]}`).
pub fn manifest_url(text: &str) -> Result<String, LoadError> {
    let bad = |reason: &str| LoadError::Manifest(reason.to_string());
    let json = js_sys::JSON::parse(text).map_err(|_| bad("not valid JSON"))?;
    let version = Reflect::get(&json, &JsValue::from_str("version"))
        .ok()
        .and_then(|v| v.as_f64());
    if version != Some(1.0) {
        return Err(bad("expected \"version\": 1"));
    }
    let datasets = Reflect::get(&json, &JsValue::from_str("datasets"))
        .ok()
        .filter(js_sys::Array::is_array)
        .map(|d| js_sys::Array::from(&d))
        .ok_or_else(|| bad("no \"datasets\" list"))?;
    for dataset in datasets.iter() {
        let field = |key: &str| {
            Reflect::get(&dataset, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_string())
        };
        if field("name").as_deref() == Some("titles") {
            return field("url").ok_or_else(|| bad("dataset \"titles\" has no \"url\""));
        }
    }
    Err(bad("no dataset named \"titles\""))
}
