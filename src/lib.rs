//! The cinelake dashboard: a Leptos CSR app compiled to wasm32 by Trunk.
//!
//! It loads the refined extract through presigned URLs (the site's `manifest.json`), any URL
//! (`?data=`) or a local file, and computes and draws everything client-side; the maths lives in
//! `cinelake-core`. `main.rs` only mounts [`App`].
//!
//! Module map: [`load`] does I/O and parsing, [`state`] holds the reader's choices and their URL
//! form, [`chart`] turns aggregates into drawn charts, [`views`] renders, [`model_view`] renders
//! the rating model (issue 8), [`i18n`] holds every
//! string in English and Portuguese, and [`perf`] publishes timings and the page's state.

pub mod chart;
pub mod i18n;
pub mod load;
pub mod model_view;
pub mod perf;
pub mod state;
pub mod tmdb_view;
pub mod views;

use std::sync::Arc;

use cinelake_core::yearly::{Yearly, aggregate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};

use crate::chart::{Axes, Layout, Palette, Style};
use crate::i18n::{Lang, Text};
use crate::load::{Dataset, LoadError, Origin, Progress};
use crate::model_view::ModelSection;
use crate::state::{Theme, ViewState};
use crate::tmdb_view::TmdbSection;
use crate::views::{
    BadRows, ChartPanel, DropZone, ErrorView, Filters, Hover, KpiCards, ProgressView,
};

/// Where loading stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Looking for `?data=` or `manifest.json`.
    Resolving,
    /// Nothing to load: waiting for a file.
    Picking,
    /// Downloading or parsing; how far is in a separate signal, so that progress updates
    /// redraw the progress bar only.
    Loading,
    Ready,
    Failed(LoadError),
}

/// The query parameters the page reads, decoded.
fn query_param(key: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(key)
}

/// The reader's choices from the page's URL.
pub fn state_from_url() -> ViewState {
    const KEYS: [&str; 13] = [
        "kind",
        "genre",
        "from",
        "to",
        "min_votes",
        "weighted",
        "split",
        "model",
        "seed",
        "tmdb_features",
        "horizon",
        "lang",
        "theme",
    ];
    let values: Vec<(&str, String)> = KEYS
        .iter()
        .filter_map(|key| Some((*key, query_param(key)?)))
        .collect();
    ViewState::from_pairs(values.iter().map(|(k, v)| (*k, v.as_str())))
}

/// Rewrites the address bar (without a navigation) so that it reproduces this view.
fn write_url(state: &ViewState, data: Option<&str>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let mut query: Vec<String> = Vec::new();
    if let Some(data) = data {
        query.push(format!("data={}", js_sys::encode_uri_component(data)));
    }
    query.extend(
        state
            .to_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}")),
    );
    let path = window.location().pathname().unwrap_or_default();
    let url = if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

fn browser_lang() -> Lang {
    let language = web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_default();
    if language.to_ascii_lowercase().starts_with("pt") {
        Lang::PtBr
    } else {
        Lang::En
    }
}

fn system_theme() -> Theme {
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|query| query.matches());
    if dark { Theme::Dark } else { Theme::Light }
}

/// Starts a download of `href` named `name` (a data: or blob: URL).
pub fn download(name: &str, href: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(anchor) = document.create_element("a") else {
        return;
    };
    let anchor: web_sys::HtmlAnchorElement = anchor.unchecked_into();
    anchor.set_href(href);
    anchor.set_download(name);
    anchor.click();
}

/// Starts a download of `text` as a file.
pub fn download_text(name: &str, text: &str, mime: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    download(name, &url);
    // The download has started by the time a task runs; the URL is no longer needed.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(10),
    );
}

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    perf::set_state("loading");
    let view_state = RwSignal::new(state_from_url());
    let data_param = query_param("data");
    let phase = RwSignal::new(Phase::Resolving);
    let progress: RwSignal<Option<Progress>> = RwSignal::new(None);
    let dataset: RwSignal<Option<Arc<Dataset>>> = RwSignal::new(None);
    let lang = Memo::new(move |_| view_state.with(|s| s.lang).unwrap_or_else(browser_lang));
    let theme = Memo::new(move |_| view_state.with(|s| s.theme).unwrap_or_else(system_theme));

    // The document follows the language and theme (CSS reads `data-theme`).
    Effect::new(move |_| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-theme", theme.get().name());
            let _ = root.set_attribute("lang", lang.get().code());
        }
    });
    {
        let data_param = data_param.clone();
        Effect::new(move |_| view_state.with(|state| write_url(state, data_param.as_deref())));
    }

    let fail = move |error: LoadError| {
        perf::set_state("error");
        phase.set(Phase::Failed(error));
    };
    let finish = move |loaded: Result<Dataset, LoadError>| match loaded {
        Ok(loaded) => {
            dataset.set(Some(Arc::new(loaded)));
            phase.set(Phase::Ready);
        }
        Err(error) => fail(error),
    };
    let load_url = move |url: String| {
        spawn_local(async move {
            progress.set(None);
            phase.set(Phase::Loading);
            let progress = move |p: Progress| progress.set(Some(p));
            finish(load::load_url(&url, &progress).await);
        })
    };
    let on_file = Callback::new(move |file: web_sys::File| {
        perf::set_state("loading");
        dataset.set(None);
        spawn_local(async move {
            progress.set(None);
            phase.set(Phase::Loading);
            let progress = move |p: Progress| progress.set(Some(p));
            finish(load::load_file(&file, &progress).await);
        })
    });
    spawn_local(async move {
        match load::resolve(data_param).await {
            Ok(Origin::Url(url)) => load_url(url),
            Ok(Origin::Pick) => {
                perf::set_state("empty");
                phase.set(Phase::Picking);
            }
            Err(error) => fail(error),
        }
    });

    let filter = Memo::new(move |_| view_state.with(|s| s.filter()));
    let yearly: Memo<Option<Arc<Yearly>>> = Memo::new(move |_| {
        let filter = filter.get();
        dataset.with(|d| {
            d.as_ref()
                .map(|d| Arc::new(perf::timed("aggregate", || aggregate(&d.columns, &filter))))
        })
    });
    let totals = Signal::derive(move || yearly.with(|y| y.as_ref().map(|y| y.totals())));
    let span =
        Signal::derive(move || dataset.with(|d| d.as_ref().and_then(|d| d.columns.year_span())));
    let has_other = Signal::derive(move || {
        dataset.with(|d| {
            d.as_ref()
                .is_some_and(|d| d.columns.has_group(cinelake_core::GenreGroup::Other))
        })
    });
    let split = Memo::new(move |_| view_state.with(|s| s.split));
    let weighted = Memo::new(move |_| view_state.with(|s| s.weighted));
    // The yearly mean rating's trend, projected `horizon` years (issue 8); `None` with fewer
    // than three rated years.
    let horizon = Memo::new(move |_| view_state.with(|s| s.horizon));
    let trend = Memo::new(move |_| {
        let yearly = yearly.get()?;
        let points = cinelake_core::model::trend::yearly_points(&yearly, weighted.get());
        cinelake_core::model::trend::trend(&points, horizon.get(), 0.95).ok()
    });
    let rating_data = Memo::new(move |_| {
        yearly.get().map(|y| {
            let mut data =
                chart::rating_data(&y, split.get(), weighted.get(), theme.get(), lang.get());
            if let (Some(trend), Some(&last)) = (trend.get(), data.years.last()) {
                data.extend_to = trend.forecasts.last().map(|f| f.year);
                data.projection = Some(chart::Projection {
                    label: lang.get().t(Text::TrendLabel),
                    color: model_view::trend_color(theme.get()),
                    start: (last, trend.intercept + trend.slope * f64::from(last)),
                    forecasts: trend
                        .forecasts
                        .iter()
                        .map(|f| (f.year, f.predicted, f.lower, f.upper))
                        .collect(),
                });
            }
            data
        })
    });
    let releases_data = Memo::new(move |_| {
        yearly.get().map(|y| {
            let mut data = chart::releases_data(&y, split.get(), theme.get(), lang.get());
            data.extend_to = trend.with(|t| t.as_ref()?.forecasts.last().map(|f| f.year));
            data
        })
    });

    let rating_canvas = NodeRef::<leptos::html::Canvas>::new();
    let releases_canvas = NodeRef::<leptos::html::Canvas>::new();
    let layouts: RwSignal<[Option<Layout>; 2]> = RwSignal::new([None, None]);
    let hover: RwSignal<Hover> = RwSignal::new(None);
    let resized = RwSignal::new(0u32);
    let _ = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));

    // Draws both charts whenever what they show, the theme, the language or the size changes,
    // then tells tests and benchmarks that the page is ready.
    Effect::new(move |_| {
        resized.track();
        let (Some(rating_el), Some(releases_el)) = (rating_canvas.get(), releases_canvas.get())
        else {
            return;
        };
        let (Some(rating), Some(releases)) = (rating_data.get(), releases_data.get()) else {
            return;
        };
        let lang = lang.get();
        let palette = Palette::of(theme.get());
        let drawn = perf::timed("render", || {
            let year = lang.t(Text::Year);
            let first = chart::draw(
                &rating_el,
                &rating,
                Style::Lines,
                &Axes {
                    x: year,
                    y: lang.t(Text::MeanRatingAxis),
                    lang,
                    y_places: 1,
                },
                palette,
            )?;
            let second = chart::draw(
                &releases_el,
                &releases,
                Style::StackedBars,
                &Axes {
                    x: year,
                    y: lang.t(Text::TitlesAxis),
                    lang,
                    y_places: 0,
                },
                palette,
            )?;
            Ok::<_, String>([Some(first), Some(second)])
        });
        match drawn {
            Ok(drawn) => {
                layouts.set(drawn);
                perf::set_state("ready");
            }
            Err(error) => fail(LoadError::Browser(format!(
                "drawing a chart failed: {error}"
            ))),
        }
    });

    let on_export = Callback::new(move |()| {
        if let Some(yearly) = yearly.get_untracked() {
            download_text("cinelake-aggregates.csv", &yearly.to_csv(), "text/csv");
        }
    });

    let rating_title = Signal::derive(move || {
        let text = if weighted.get() {
            Text::RatingChartTitleWeighted
        } else {
            Text::RatingChartTitle
        };
        lang.get().t(text).to_string()
    });
    let releases_title = Signal::derive(move || lang.get().t(Text::ReleasesChartTitle).to_string());
    let rating_signal = Signal::derive(move || rating_data.get());
    let releases_signal = Signal::derive(move || releases_data.get());
    let rating_layout = Signal::derive(move || layouts.get()[0]);
    let releases_layout = Signal::derive(move || layouts.get()[1]);
    let lang_signal = Signal::derive(move || lang.get());

    let toolbar = view! {
        <div class="toolbar">
            <div class="segmented small" role="group" aria-label=move || lang.get().t(Text::Language)>
                <button
                    type="button"
                    aria-pressed=move || (lang.get() == Lang::En).to_string()
                    on:click=move |_| view_state.update(|s| s.lang = Some(Lang::En))
                >"EN"</button>
                <button
                    type="button"
                    aria-pressed=move || (lang.get() == Lang::PtBr).to_string()
                    on:click=move |_| view_state.update(|s| s.lang = Some(Lang::PtBr))
                >"PT-BR"</button>
            </div>
            <button
                type="button"
                class="ghost theme-toggle"
                aria-label=move || lang.get().t(Text::Theme)
                on:click=move |_| {
                    let next = if theme.get_untracked() == Theme::Dark { Theme::Light } else { Theme::Dark };
                    view_state.update(|s| s.theme = Some(next));
                }
            >
                {move || match theme.get() {
                    Theme::Dark => format!("☀ {}", lang.get().t(Text::Light)),
                    Theme::Light => format!("☾ {}", lang.get().t(Text::Dark)),
                }}
            </button>
        </div>
    };

    let body = move || {
        match phase.get() {
        Phase::Resolving => view! { <ProgressView progress=Signal::derive(|| None::<Progress>) lang=lang_signal /> }.into_any(),
        Phase::Loading => {
            view! { <ProgressView progress=progress lang=lang_signal /> }.into_any()
        }
        Phase::Picking => view! {
            <DropZone lang=lang_signal note=Signal::derive(move || Some(lang.get().t(Text::NoManifest).to_string())) on_file=on_file />
        }
        .into_any(),
        Phase::Failed(error) => view! {
            <ErrorView error=error lang=lang_signal />
            <DropZone lang=lang_signal note=Signal::derive(|| None::<String>) on_file=on_file />
        }
        .into_any(),
        Phase::Ready => {
            let loaded = dataset.get_untracked().unwrap_or_default();
            let bad = (loaded.bad_rows > 0).then(|| {
                view! { <BadRows count=loaded.bad_rows examples=loaded.bad_examples.clone() lang=lang_signal /> }
            });
            let undated = loaded.columns.len() - loaded.columns.dated();
            let footer = move || {
                let lang = lang.get();
                let mut text = format!(
                    "{}: {} · {} · {} {}",
                    lang.t(Text::Source),
                    loaded.source,
                    lang.bytes(loaded.bytes),
                    lang.int(loaded.titles.len() as u64),
                    lang.t(Text::Titles).to_lowercase(),
                );
                if undated > 0 {
                    text.push_str(&format!(" · {} {}", lang.int(undated as u64), lang.t(Text::UndatedNote)));
                }
                text
            };
            view! {
                {bad}
                <KpiCards totals=totals lang=lang_signal />
                <Filters state=view_state lang=lang_signal span=span has_other=has_other on_export=on_export />
                <div class="charts">
                    <ChartPanel
                        index=0
                        id="rating-chart"
                        title=rating_title
                        data=rating_signal
                        layout=rating_layout
                        lang=lang_signal
                        places=2
                        totals=false
                        hover=hover
                        canvas=rating_canvas
                    />
                    <ChartPanel
                        index=1
                        id="releases-chart"
                        title=releases_title
                        data=releases_signal
                        layout=releases_layout
                        lang=lang_signal
                        places=0
                        totals=true
                        hover=hover
                        canvas=releases_canvas
                    />
                </div>
                <TmdbSection data=dataset filter=filter lang=lang_signal theme=theme />
                <ModelSection data=dataset filter=filter lang=lang_signal theme=theme state=view_state />
                <footer class="footer muted small">{footer}</footer>
            }
            .into_any()
        }
    }
    };

    view! {
        <main class="app">
            <header class="app-header">
                <div class="brand">
                    <h1>"cinelake"</h1>
                    <p class="tagline">{move || lang.get().t(Text::Tagline)}</p>
                </div>
                {toolbar}
            </header>
            {body}
        </main>
    }
}
