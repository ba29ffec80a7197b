//! Browser tests of the dashboard's components, run by wasm-bindgen-test in headless Chromium:
//! `cargo test --target wasm32-unknown-unknown -p cinelake-dashboard --test web`.
#![cfg(target_arch = "wasm32")]

use cinelake_core::model::ModelKind;
use cinelake_core::yearly::{Columns, Filter, Totals, aggregate};
use cinelake_dashboard::chart::{self, Axes, Palette, Style};
use cinelake_dashboard::i18n::Lang;
use cinelake_dashboard::load::{self, LoadError, Progress};
use cinelake_dashboard::state::{Split, Theme, ViewState};
use cinelake_dashboard::views::{BadRows, KpiCards};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|window| window.document())
        .expect("a browser test runs in a page with a document")
}

/// A fresh element in the page to mount a component into.
fn host() -> web_sys::HtmlElement {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    host.unchecked_into()
}

/// Lets effects and spawned tasks run.
async fn tick() {
    load::yield_now().await;
}

const EXTRACT: &str =
    "kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes
movie,tt0000001,One,,2000,,90,Comedy,8.0,100
movie,tt0000002,Two,,2000,,95,Comedy;Drama,6.0,300
series,tt0000003,Three,,2001,2003,25,Animation;Comedy,9.0,50
movie,tt0000004,<img src=x onerror=alert(1)>,,2001,,90,Comedy,11.0,10
film,tt0000005,Five,,2001,,90,Comedy,5.0,10
movie,tt0000006,Six,,,,90,Animation,7.0,1
";

#[wasm_bindgen_test]
fn app_renders_its_header() {
    let host = host();
    let handle = leptos::mount::mount_to(host.clone(), cinelake_dashboard::App);
    let heading = host
        .query_selector("h1")
        .unwrap()
        .expect("the app has a heading");
    assert_eq!(heading.text_content().as_deref(), Some("cinelake"));
    drop(handle);
}

#[wasm_bindgen_test]
async fn parse_counts_titles_and_bad_rows_and_reports_progress() {
    let seen = std::cell::RefCell::new(Vec::new());
    let progress = |p: Progress| seen.borrow_mut().push(p);
    let dataset = load::parse(EXTRACT.as_bytes().to_vec(), "test.csv".into(), &progress)
        .await
        .expect("the header is right");
    assert_eq!(dataset.titles.len(), 4);
    assert_eq!(dataset.columns.len(), 4);
    assert_eq!(dataset.bad_rows, 2);
    assert_eq!(dataset.bad_examples.len(), 2);
    assert!(
        dataset.bad_examples[0].contains("line 5"),
        "{:?}",
        dataset.bad_examples
    );
    assert!(
        dataset.bad_examples[1].contains("line 6"),
        "{:?}",
        dataset.bad_examples
    );
    let last = *seen.borrow().last().expect("progress was reported");
    assert_eq!(
        last,
        Progress::Parse {
            bytes: EXTRACT.len() as u64,
            total: EXTRACT.len() as u64,
            rows: 6
        }
    );
}

/// A byte stream that hands out `bytes` in chunks of `piece` bytes, as a network body does.
fn stream_of(bytes: &[u8], piece: usize) -> web_sys::ReadableStream {
    use wasm_bindgen::JsValue;
    use wasm_bindgen::closure::Closure;
    let chunks = js_sys::Array::new();
    for chunk in bytes.chunks(piece) {
        chunks.push(&js_sys::Uint8Array::from(chunk));
    }
    let call = |target: &JsValue, name: &str, args: &js_sys::Array| {
        let method: js_sys::Function = js_sys::Reflect::get(target, &JsValue::from_str(name))
            .unwrap()
            .dyn_into()
            .unwrap();
        method.apply(target, args).unwrap()
    };
    let start = Closure::once_into_js(move |controller: JsValue| {
        for chunk in chunks.iter() {
            call(&controller, "enqueue", &js_sys::Array::of1(&chunk));
        }
        call(&controller, "close", &js_sys::Array::new());
    });
    let source = js_sys::Object::new();
    js_sys::Reflect::set(&source, &JsValue::from_str("start"), &start).unwrap();
    let constructor: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("ReadableStream"))
            .unwrap()
            .dyn_into()
            .unwrap();
    js_sys::Reflect::construct(&constructor, &js_sys::Array::of1(&source))
        .unwrap()
        .unchecked_into()
}

#[wasm_bindgen_test]
async fn a_stream_in_any_chunks_parses_like_bytes_in_memory() {
    // A BOM, CRLF line ends, quoted fields with commas, quotes and line breaks, bad rows, and
    // enough rows to span many chunks.
    let mut text = String::from("\u{feff}");
    text.push_str(&EXTRACT.replace('\n', "\r\n"));
    for i in 0..300 {
        text.push_str(&format!(
            "movie,tt{i:07},\"Title, \"\"{i}\"\"\r\nsecond line\",,{},,90,Comedy;Drama,{}.{},{}\r\n",
            1950 + i % 70,
            1 + i % 9,
            i % 10,
            i * 7
        ));
        if i % 50 == 0 {
            text.push_str("series,nm1,bad id,,2000,,,,,\r\n");
        }
    }
    let bytes = text.into_bytes();
    let in_memory = load::parse(bytes.clone(), "t".into(), &|_| {})
        .await
        .unwrap();
    assert_eq!(in_memory.titles.len(), 304);
    assert_eq!(in_memory.bad_rows, 8);
    let (core_titles, core_errors) = cinelake_core::extract::ExtractReader::new(&bytes[..])
        .unwrap()
        .read_all();
    assert_eq!(in_memory.titles, core_titles);
    assert_eq!(in_memory.bad_rows, core_errors.len() as u64);
    // The model's packed columns are filled as the titles load, one for one.
    assert_eq!(
        in_memory.features,
        cinelake_core::model::FeatureColumns::from_titles(&core_titles)
    );
    for piece in [1, 3, 97, 4096, bytes.len()] {
        let seen = std::cell::RefCell::new(Vec::new());
        let progress = |p: Progress| seen.borrow_mut().push(p);
        let streamed = load::load_stream(
            stream_of(&bytes, piece),
            Some(bytes.len() as u64),
            "t".into(),
            &progress,
        )
        .await
        .unwrap_or_else(|e| panic!("pieces of {piece}: {e:?}"));
        assert_eq!(streamed.titles, in_memory.titles, "pieces of {piece}");
        assert_eq!(streamed.columns.len(), in_memory.columns.len());
        assert_eq!(streamed.bad_rows, in_memory.bad_rows);
        assert_eq!(streamed.bad_examples, in_memory.bad_examples);
        assert_eq!(streamed.bytes, bytes.len() as u64);
        assert_eq!(
            seen.borrow().last().copied(),
            Some(Progress::Download {
                bytes: bytes.len() as u64,
                total: Some(bytes.len() as u64),
                rows: 312
            }),
            "pieces of {piece}"
        );
    }
    // A stream that is not an extract is refused at its header, whatever the chunks.
    let error = load::load_stream(stream_of(b"id|title\n1|x\n", 2), None, "x".into(), &|_| {})
        .await
        .expect_err("not an extract");
    assert!(matches!(error, LoadError::NotExtract(_)), "{error:?}");
}

#[wasm_bindgen_test]
async fn parse_refuses_a_file_that_is_not_an_extract() {
    let error = load::parse(
        b"id|tituloPincipal\n".to_vec(),
        "movies.csv".into(),
        &|_| {},
    )
    .await
    .expect_err("a raw file is not an extract");
    assert!(matches!(error, LoadError::NotExtract(_)), "{error:?}");
    assert!(
        error
            .message(Lang::En)
            .starts_with("the file is not a cinelake extract")
    );
}

#[wasm_bindgen_test]
fn load_errors_are_explained_in_words() {
    let expired = LoadError::Http {
        url: "https://bucket.example/titles.csv".into(),
        status: 403,
        presigned: true,
    };
    let message = expired.message(Lang::En);
    assert!(message.contains("expired or was altered"), "{message}");
    assert!(message.contains("cinelake publish"), "{message}");
    assert!(expired.message(Lang::PtBr).contains("expirou"));
    let cors = LoadError::Network {
        url: "https://elsewhere.example/x.csv".into(),
        origin: "http://127.0.0.1:8080".into(),
    };
    let message = cors.message(Lang::En);
    assert!(
        message.contains("CORS") && message.contains("http://127.0.0.1:8080"),
        "{message}"
    );
    let missing = LoadError::Http {
        url: "u".into(),
        status: 404,
        presigned: true,
    };
    assert!(missing.message(Lang::En).contains("404"));
    // Signatures stay out of what the page shows.
    assert_eq!(
        load::display_url("https://b.example/t.csv?X-Amz-Signature=abc"),
        "https://b.example/t.csv"
    );
    assert!(load::is_presigned(
        "https://b.example/t.csv?X-Amz-Signature=abc"
    ));
    assert!(!load::is_presigned("https://b.example/t.csv"));
}

#[wasm_bindgen_test]
fn manifest_gives_the_titles_url() {
    let check = |text: &str, expected: Result<&str, &str>| {
        let got = load::manifest_url(text);
        match expected {
            Ok(url) => assert_eq!(got, Ok(url.to_string()), "{text}"),
            Err(reason) => match got {
                Err(LoadError::Manifest(got)) => assert!(got.contains(reason), "{got}"),
                other => panic!("{text}: expected a manifest error, got {other:?}"),
            },
        }
    };
    check(
        r#"{"version":1,"datasets":[{"name":"other","url":"a"},{"name":"titles","url":"https://x/t.csv?sig"}]}"#,
        Ok("https://x/t.csv?sig"),
    );
    check(r#"{"version":2,"datasets":[]}"#, Err("version"));
    check(r#"{"version":1}"#, Err("datasets"));
    check(
        r#"{"version":1,"datasets":[{"name":"titles"}]}"#,
        Err("url"),
    );
    check(r#"{"version":1,"datasets":[]}"#, Err("titles"));
    check("not json", Err("JSON"));
}

#[wasm_bindgen_test]
fn numbers_follow_the_language() {
    let check = |lang: Lang, value: f64, places: usize, expected: &str| {
        assert_eq!(lang.dec(value, places), expected, "{lang:?} {value}");
    };
    check(Lang::En, 1234567.891, 2, "1,234,567.89");
    check(Lang::PtBr, 1234567.891, 2, "1.234.567,89");
    check(Lang::PtBr, 7.25, 1, "7,2");
    check(Lang::En, 0.0, 0, "0");
    check(Lang::En, -0.001, 2, "0.00");
    check(Lang::En, -12.5, 1, "-12.5");
    assert_eq!(Lang::En.int(1000), "1,000");
    assert_eq!(Lang::PtBr.int(363_000), "363.000");
    assert_eq!(Lang::En.int(999), "999");
}

#[wasm_bindgen_test]
fn view_state_round_trips_through_the_url() {
    let state = ViewState {
        kinds: [false, true],
        groups: [true, false, true, false],
        from: Some(1950),
        to: Some(1999),
        min_votes: 500,
        weighted: true,
        split: Split::Genre,
        model: ModelKind::Forest,
        seed: 7,
        tmdb_features: true,
        horizon: 12,
        lang: Some(Lang::PtBr),
        theme: Some(Theme::Dark),
    };
    let pairs = state.to_pairs();
    assert!(pairs.contains(&("model", "forest".into())), "{pairs:?}");
    assert!(pairs.contains(&("seed", "7".into())), "{pairs:?}");
    assert!(pairs.contains(&("tmdb_features", "1".into())), "{pairs:?}");
    let back = ViewState::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(back, state);
    assert!(ViewState::default().to_pairs().is_empty());
    // Garbage in a shared link falls back to defaults instead of failing.
    let odd = ViewState::from_pairs([
        ("kind", "film"),
        ("from", "x"),
        ("min_votes", "-3"),
        ("model", "svm"),
        ("seed", "-1"),
        ("horizon", "many"),
        ("tmdb_features", "yes"),
    ]);
    assert_eq!(odd, ViewState::default());
    // A horizon beyond the longest offered is clamped, not refused.
    let far = ViewState::from_pairs([("horizon", "500")]);
    assert_eq!(far.horizon, cinelake_dashboard::state::MAX_HORIZON);
    assert_eq!(state.filter().years, (1950, 1999));
}

#[wasm_bindgen_test]
async fn kpi_cards_show_core_totals_in_the_chosen_language() {
    let totals = Totals {
        titles: 12345,
        movies: 10000,
        series: 2345,
        rated: 12000,
        votes: 9_876_543,
        mean_rating: Some(6.54321),
        weighted_mean_rating: Some(7.1),
        years: Some((1906, 2024)),
    };
    let host = host();
    let lang = RwSignal::new(Lang::PtBr);
    let handle = leptos::mount::mount_to(host.clone(), move || {
        view! { <KpiCards totals=Signal::derive(move || Some(totals)) lang=lang /> }
    });
    tick().await;
    let card = |kpi: &str| {
        host.query_selector(&format!("[data-kpi={kpi}]"))
            .unwrap()
            .unwrap_or_else(|| panic!("card {kpi}"))
    };
    let shown = |kpi: &str| {
        card(kpi)
            .query_selector(".card-value")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap()
    };
    assert_eq!(shown("titles"), "12.345");
    assert_eq!(shown("votes"), "9.876.543");
    assert_eq!(shown("mean_rating"), "6,54");
    assert_eq!(shown("years"), "1906–2024");
    assert_eq!(
        card("mean_rating").get_attribute("data-value").as_deref(),
        Some("6.5432")
    );
    assert_eq!(
        card("movies").get_attribute("data-value").as_deref(),
        Some("10000")
    );
    lang.set(Lang::En);
    tick().await;
    assert_eq!(shown("titles"), "12,345");
    assert_eq!(shown("mean_rating"), "6.54");
    drop(handle);
}

#[wasm_bindgen_test]
async fn data_is_rendered_as_text_never_as_html() {
    let host = host();
    let evil = "line 2: column title: <img src=x onerror=alert(1)>".to_string();
    let handle = leptos::mount::mount_to(host.clone(), move || {
        view! { <BadRows count=1 examples=vec![evil.clone()] lang=Signal::derive(|| Lang::En) /> }
    });
    tick().await;
    assert!(
        host.query_selector("img").unwrap().is_none(),
        "no element came from data"
    );
    let code = host
        .query_selector("code")
        .unwrap()
        .expect("the example is shown");
    assert_eq!(
        code.text_content().as_deref(),
        Some("line 2: column title: <img src=x onerror=alert(1)>")
    );
    drop(handle);
}

#[wasm_bindgen_test]
async fn charts_draw_and_map_pixels_back_to_years() {
    let dataset = load::parse(EXTRACT.as_bytes().to_vec(), "t".into(), &|_| {})
        .await
        .unwrap();
    let yearly = aggregate(&dataset.columns, &Filter::default());
    let data = chart::rating_data(&yearly, Split::Kind, false, Theme::Light, Lang::En);
    assert_eq!(data.years, [2000, 2001]);
    assert_eq!(data.series.len(), 2, "movies and series both have titles");
    assert_eq!(data.series[0].values, [Some(7.0), None]);
    assert_eq!(data.series[1].values, [None, Some(9.0)]);
    let releases = chart::releases_data(&yearly, Split::Genre, Theme::Dark, Lang::En);
    let labels: Vec<&str> = releases.series.iter().map(|s| s.label).collect();
    assert_eq!(labels, ["Comedy", "Comedy + Animation"]);

    let canvas: web_sys::HtmlCanvasElement = document()
        .create_element("canvas")
        .unwrap()
        .unchecked_into();
    // Through the DOM interface: Leptos' `ElementExt::style` shadows `HtmlElement::style`.
    let style = web_sys::HtmlElement::style(&canvas);
    style.set_property("width", "600px").unwrap();
    style.set_property("height", "300px").unwrap();
    style.set_property("display", "block").unwrap();
    host().append_child(&canvas).unwrap();
    let axes = Axes {
        x: "Year",
        y: "Rating",
        lang: Lang::En,
        y_places: 1,
    };
    let layout = chart::draw(
        &canvas,
        &data,
        Style::Lines,
        &axes,
        Palette::of(Theme::Light),
    )
    .expect("drawing works");
    assert!(layout.left > 0.0 && layout.right <= 600.0 && layout.left < layout.right);
    assert_eq!((layout.first_year, layout.last_year), (2000, 2001));
    for year in [2000, 2001] {
        assert_eq!(layout.year_at(layout.x_of(year)), Some(year));
    }
    assert_eq!(layout.year_at(layout.left - 1.0), None);
    // Something was drawn: the canvas is not blank.
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let pixels = context
        .get_image_data(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        )
        .unwrap()
        .data();
    assert!(
        pixels.chunks(4).any(|p| p[0] < 200),
        "the chart drew dark pixels"
    );
    // An empty filter result draws an empty chart instead of failing.
    let empty = aggregate(&Columns::new(), &Filter::default());
    let none = chart::rating_data(&empty, Split::Kind, true, Theme::Dark, Lang::PtBr);
    assert!(none.is_empty());
    chart::draw(
        &canvas,
        &none,
        Style::StackedBars,
        &axes,
        Palette::of(Theme::Dark),
    )
    .unwrap();
}

#[wasm_bindgen_test]
fn reserving_the_heap_grows_the_memory_once_for_later_allocations() {
    let pages = || core::arch::wasm32::memory_size(0);
    const MIB: u64 = 1 << 20;
    let before = pages();
    load::reserve_heap(64 * MIB);
    let reserved = pages();
    assert!(
        (reserved - before) * 65536 >= 64 * MIB as usize,
        "{before} → {reserved} pages"
    );
    // Allocations that fit in the reserved room do not grow the memory again.
    let blocks: Vec<Vec<u8>> = (0..48).map(|_| Vec::with_capacity(MIB as usize)).collect();
    assert_eq!(pages(), reserved);
    drop(blocks);
}
