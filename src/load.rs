//! Loading: where the extract comes from (`?data=`, the site's `manifest.json`, a local file),
//! a streaming download with byte progress, and parsing in time slices that yield to the event
//! loop so the page keeps answering while hundreds of thousands of rows are read.
//!
//! Failures are explained in words a reader can act on: a refused presigned link says it expired
//! or was altered, a network failure names CORS and the page's origin. Rows that fail to parse
//! are counted with a few examples and never stop the load.

use std::cell::Cell;
use std::io::{Cursor, Read};
use std::rc::Rc;

use cinelake_core::Title;
use cinelake_core::extract::ExtractReader;
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
    pub bad_rows: u64,
    pub bad_examples: Vec<String>,
    /// Where it came from, for the footer (a file name or a URL without its query string).
    pub source: String,
    pub bytes: u64,
}

/// Where loading stands, for the progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    Download { bytes: u64, total: Option<u64> },
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

/// Yields to the event loop (a macrotask, so input and painting get their turn).
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves a possibly relative URL against the page.
fn absolute(url: &str) -> String {
    web_sys::Url::new_with_base(url, &window().location().href().unwrap_or_default())
        .map(|u| u.href())
        .unwrap_or_else(|_| url.to_string())
}

/// The response `web/boot.js` started fetching for `url` while the wasm compiled, if any (taken
/// once: a later request for the same URL, such as a retry, fetches anew).
fn take_prefetch(url: &str) -> Option<js_sys::Promise> {
    let window = window();
    let key = JsValue::from_str("cinelakePrefetch");
    let prefetch = Reflect::get(&window, &key)
        .ok()
        .filter(JsValue::is_object)?;
    let same = Reflect::get(&prefetch, &JsValue::from_str("url"))
        .ok()?
        .as_string()?
        == url;
    if !same {
        return None;
    }
    let _ = Reflect::delete_property(&window, &key);
    Reflect::get(&prefetch, &JsValue::from_str("response"))
        .ok()?
        .dyn_into()
        .ok()
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

/// Downloads `url` whole, reporting bytes as they arrive.
pub async fn download(url: &str, progress: &dyn Fn(Progress)) -> Result<Vec<u8>, LoadError> {
    perf::mark("fetch:start");
    let response = fetch(url).await?;
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|value| value.parse::<u64>().ok());
    let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(1 << 30) as usize);
    let broken = || LoadError::Network {
        url: display_url(&absolute(url)),
        origin: origin(),
    };
    let Some(body) = response.body() else {
        return Ok(bytes);
    };
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| LoadError::Browser("the response body cannot be streamed".into()))?;
    progress(Progress::Download { bytes: 0, total });
    // Progress is reported at most every PROGRESS_MS: chunks arrive far more often than a
    // progress bar can show, and each report re-renders it.
    let mut reported = perf::now();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|_| broken())?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|_| broken())?;
        let array = Uint8Array::new(&value);
        let start = bytes.len();
        bytes.resize(start + array.length() as usize, 0);
        array.copy_to(&mut bytes[start..]);
        if perf::now() - reported > PROGRESS_MS {
            reported = perf::now();
            progress(Progress::Download {
                bytes: bytes.len() as u64,
                total,
            });
        }
    }
    progress(Progress::Download {
        bytes: bytes.len() as u64,
        total,
    });
    perf::mark("fetch:end");
    perf::measure("fetch", "fetch:start", "fetch:end");
    Ok(bytes)
}

/// Reads a local file whole.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, LoadError> {
    perf::mark("fetch:start");
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| LoadError::Browser(format!("{}: the file could not be read", file.name())))?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    perf::mark("fetch:end");
    perf::measure("fetch", "fetch:start", "fetch:end");
    Ok(bytes)
}

/// A reader that counts the bytes it hands out, so parsing can report its position.
struct Counting {
    inner: Cursor<Vec<u8>>,
    read: Rc<Cell<u64>>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Parses an extract in slices of about `SLICE_MS` (40 ms), yielding between them.
pub async fn parse(
    bytes: Vec<u8>,
    source: String,
    progress: &dyn Fn(Progress),
) -> Result<Dataset, LoadError> {
    perf::mark("parse:start");
    let total = bytes.len() as u64;
    let read = Rc::new(Cell::new(0));
    let mut rows = ExtractReader::new(Counting {
        inner: Cursor::new(bytes),
        read: read.clone(),
    })
    .map_err(|error| LoadError::NotExtract(error.to_string()))?;
    let mut dataset = Dataset {
        source,
        bytes: total,
        ..Dataset::default()
    };
    let mut finished = false;
    while !finished {
        let deadline = perf::now() + SLICE_MS;
        loop {
            match rows.next() {
                None => {
                    finished = true;
                    break;
                }
                Some(Ok(title)) => {
                    dataset.columns.push(&title);
                    dataset.titles.push(title);
                }
                Some(Err(error)) => {
                    dataset.bad_rows += 1;
                    if dataset.bad_examples.len() < BAD_ROW_EXAMPLES {
                        dataset.bad_examples.push(error.to_string());
                    }
                }
            }
            // Reading the clock costs a JS call: look at it every few hundred rows only.
            if (dataset.titles.len() + dataset.bad_rows as usize).is_multiple_of(512)
                && perf::now() > deadline
            {
                break;
            }
        }
        progress(Progress::Parse {
            bytes: read.get(),
            total,
            rows: dataset.titles.len() as u64 + dataset.bad_rows,
        });
        if !finished {
            yield_now().await;
        }
    }
    perf::mark("parse:end");
    perf::measure("parse", "parse:start", "parse:end");
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
