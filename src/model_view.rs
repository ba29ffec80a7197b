//! The model section: can a simple model predict a title's rating, how precisely, and where
//! does it err? (issue 8)
//!
//! The reader picks a model (linear regression or random forest) and a seed; the current
//! filters apply. Training runs as a task that yields to the event loop between steps (the
//! forest one chunk of trees at a time, with progress), and a newer request cancels an older
//! one, so the page never freezes and never shows a stale result. Everything numeric comes
//! from `cinelake_core::model`; this module renders it: metric cards beside the baseline, a
//! predicted-vs-actual scatter rasterised into an `ImageData` (fast at 100k points), the
//! residual histogram, residuals by year, and the largest errors as a text table.
//!
//! For tests and benchmarks, `document.body.dataset.model` is `training`, `ready` or `error`,
//! `dataset.modelMs` holds the last training's wall time (`modelWorkMs` the same without the
//! yields), and each card carries its exact
//! numbers in `data-*` attributes.

use std::sync::Arc;

use cinelake_core::model::{
    self, Evaluation, FeatureSet, Fitted, ForestModel, ModelError, ModelKind, ModelOptions, linear,
    scatter::{self, Range},
};
use cinelake_core::yearly::Filter;
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{Clamped, JsCast};

use crate::chart::{Palette, Rgb};
use crate::i18n::{Lang, Text};
use crate::load::{self, Dataset};
use crate::perf;
use crate::state::{MAX_HORIZON, Theme, ViewState};

/// Where training stands.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    Idle,
    Training { trees: usize, total: usize },
    Done(Arc<Evaluation>),
    Failed(ModelError),
}

fn set_body_data(key: &str, value: &str) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.dataset().set(key, value);
    }
}

/// Fits and assesses, yielding between steps; gives up as soon as `run` is no longer current.
async fn train(
    data: Arc<Dataset>,
    options: ModelOptions,
    run: u64,
    generation: RwSignal<u64>,
    status: RwSignal<Status>,
) {
    let current = move || generation.get_untracked() == run;
    // The forest takes long enough to show its progress: let the page paint the "training"
    // state before the first heavy step. The linear fit does not wait: it takes a few frames at
    // most (16–130 ms at 16k–363k titles on first run), and yielding first made the browser
    // paint the page once more before it (a frame of 15–35 ms in a trace at 16k titles, after
    // the charts were drawn) for a state nobody sees; its result is drawn in the same frame.
    if options.kind == ModelKind::Forest {
        load::yield_now().await;
        if !current() {
            return;
        }
    }
    let started = perf::now();
    // Time spent computing, without the yields (what the page is blocked for in total).
    let mut work = 0.0;
    let mut segment = started;
    perf::mark("model:start");
    let result = async {
        let prepared = perf::timed("model:prepare", || {
            model::prepare_packed(&data.titles, &data.features, &options)
        })?;
        let (x, y, rows) = (&prepared.data.x, &prepared.data.y, &prepared.split.train);
        let width = prepared.data.width();
        let fitted = match options.kind {
            ModelKind::Linear => Fitted::Linear(perf::timed("model:fit", || {
                linear::fit_linear(x, y, rows, width)
            })?),
            ModelKind::Forest => {
                let mut forest = ForestModel::new();
                while !forest.is_complete(&options.forest) {
                    forest.grow(x, y, rows, width, &options.forest, options.seed)?;
                    status.set(Status::Training {
                        trees: forest.trees(),
                        total: options.forest.trees,
                    });
                    work += perf::now() - segment;
                    load::yield_now().await;
                    segment = perf::now();
                    if !current() {
                        return Ok(None);
                    }
                }
                Fitted::Forest(forest)
            }
        };
        let predicted = perf::timed("model:predict", || fitted.predict_test(&prepared))?;
        Ok(Some(perf::timed("model:assess", || {
            model::assess(&data.titles, &prepared, &fitted, &predicted, &options)
        })))
    }
    .await;
    if !current() {
        return;
    }
    perf::mark("model:end");
    perf::measure("model", "model:start", "model:end");
    match result {
        Ok(Some(evaluation)) => {
            let now = perf::now();
            set_body_data("modelMs", &format!("{:.1}", now - started));
            set_body_data("modelWorkMs", &format!("{:.1}", work + now - segment));
            status.set(Status::Done(Arc::new(evaluation)));
        }
        Ok(None) => {}
        Err(error) => status.set(Status::Failed(error)),
    }
}

/// The whole model section.
#[component]
pub fn ModelSection(
    #[prop(into)] data: Signal<Option<Arc<Dataset>>>,
    #[prop(into)] filter: Signal<Filter>,
    #[prop(into)] lang: Signal<Lang>,
    #[prop(into)] theme: Signal<Theme>,
    /// The reader's choices: the model, its seed and the trend's horizon live there (and so in
    /// the URL); the horizon is drawn by the yearly chart but chosen here.
    state: RwSignal<ViewState>,
) -> impl IntoView {
    let kind = Memo::new(move |_| state.with(|s| s.model));
    let seed = Memo::new(move |_| state.with(|s| s.seed));
    let horizon = Memo::new(move |_| state.with(|s| s.horizon));
    // The TMDB features are offered only for an extract with TMDB data; a link asking for them
    // on one without is ignored rather than turned into an error.
    let has_tmdb = Memo::new(move |_| {
        data.with(|d| {
            d.as_ref()
                .is_some_and(|d| cinelake_core::tmdb::has_tmdb(&d.titles))
        })
    });
    let tmdb_wanted = Memo::new(move |_| state.with(|s| s.tmdb_features));
    let features = Memo::new(move |_| {
        if tmdb_wanted.get() && has_tmdb.get() {
            FeatureSet::Tmdb
        } else {
            FeatureSet::Base
        }
    });
    let status = RwSignal::new(Status::Idle);
    let generation = RwSignal::new(0u64);

    // Any change of data, filter, model, seed or features starts a new run and cancels the old
    // one.
    Effect::new(move |_| {
        let (Some(data), filter, kind, seed, features) = (
            data.get(),
            filter.get(),
            kind.get(),
            seed.get(),
            features.get(),
        ) else {
            return;
        };
        let run = generation.get_untracked() + 1;
        generation.set(run);
        status.set(Status::Training { trees: 0, total: 0 });
        set_body_data("model", "training");
        let options = ModelOptions {
            kind,
            seed,
            filter,
            features,
            ..ModelOptions::default()
        };
        spawn_local(train(data, options, run, generation, status));
    });
    Effect::new(move |_| match status.get() {
        Status::Done(_) => set_body_data("model", "ready"),
        Status::Failed(_) => set_body_data("model", "error"),
        _ => {}
    });

    let evaluation = Memo::new(move |_| match status.get() {
        Status::Done(e) => Some(e),
        _ => None,
    });
    let scatter_canvas = NodeRef::<Canvas>::new();
    let histogram_canvas = NodeRef::<Canvas>::new();
    let years_canvas = NodeRef::<Canvas>::new();
    let resized = RwSignal::new(0u32);
    let _ = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    Effect::new(move |_| {
        resized.track();
        let Some(e) = evaluation.get() else { return };
        let (Some(a), Some(b), Some(c)) = (
            scatter_canvas.get(),
            histogram_canvas.get(),
            years_canvas.get(),
        ) else {
            return;
        };
        let (lang, palette, accent) = (lang.get(), Palette::of(theme.get()), accent(theme.get()));
        perf::timed("model:render", || {
            let results = [
                draw_scatter(&a, &e, lang, palette, accent),
                draw_histogram(&b, &e, lang, palette, accent),
                draw_by_year(&c, &e, lang, palette, accent),
            ];
            for error in results.into_iter().filter_map(Result::err) {
                leptos::logging::error!("model chart: {error}");
            }
        });
    });

    let model_button = move |which: ModelKind, label: Text| {
        view! {
            <button
                type="button"
                data-model=which.as_str()
                aria-pressed=move || (kind.get() == which).to_string()
                on:click=move |_| state.update(|s| s.model = which)
            >
                {move || lang.get().t(label)}
            </button>
        }
    };
    let progress = move || match status.get() {
        Status::Training { trees, total } => {
            let text = if total == 0 {
                lang.get().t(Text::Training).to_string()
            } else {
                format!("{} {trees}/{total}", lang.get().t(Text::TrainingTrees))
            };
            let percent = if total == 0 {
                5.0
            } else {
                100.0 * trees as f64 / total as f64
            };
            Some(view! {
                <div class="model-progress" role="status">
                    <div class="bar"><div class="fill" style:width=format!("{percent:.0}%")></div></div>
                    <span class="small muted">{text}</span>
                </div>
            })
        }
        _ => None,
    };
    let message = move || match status.get() {
        Status::Failed(ModelError::TooFewRows { usable, required }) => Some(format!(
            "{} ({usable} / {required})",
            lang.get().t(Text::TooFewRows)
        )),
        Status::Failed(error) => Some(error.to_string()),
        _ => None,
    };
    let summary = move || {
        let e = evaluation.get()?;
        let lang = lang.get();
        let x = &e.excluded;
        let no_tmdb = x
            .no_tmdb
            .map(|n| format!(", {}: {}", lang.t(Text::NoTmdb), lang.int(n as u64)))
            .unwrap_or_default();
        Some(format!(
            "{} {} · {} {} ({}: {}, {}: {}, {}: {}, {}: {}{}) · {} {} / {} {} · {} {}",
            lang.int(e.usable as u64),
            lang.t(Text::UsableTitles),
            lang.int(x.total as u64),
            lang.t(Text::Excluded),
            lang.t(Text::NoYear),
            lang.int(x.no_year as u64),
            lang.t(Text::NoRuntime),
            lang.int(x.no_runtime as u64),
            lang.t(Text::NoVotes),
            lang.int(x.no_votes as u64),
            lang.t(Text::NoRating),
            lang.int(x.no_rating as u64),
            no_tmdb,
            lang.t(Text::Train),
            lang.int(e.train as u64),
            lang.t(Text::Test),
            lang.int(e.test as u64),
            lang.t(Text::Seed).to_lowercase(),
            e.seed,
        ))
    };

    view! {
        <section
            class="panel model-section"
            id="model"
            aria-labelledby="model-title"
            data-model=move || evaluation.get().map(|e| e.model.as_str()).unwrap_or_default()
            data-seed=move || evaluation.get().map(|e| e.seed.to_string()).unwrap_or_default()
            data-features=move || {
                evaluation
                    .get()
                    .map(|e| if e.features == FeatureSet::Tmdb { "tmdb" } else { "base" })
                    .unwrap_or_default()
            }
            data-usable=move || evaluation.get().map(|e| e.usable.to_string()).unwrap_or_default()
            data-train=move || evaluation.get().map(|e| e.train.to_string()).unwrap_or_default()
            data-test=move || evaluation.get().map(|e| e.test.to_string()).unwrap_or_default()
        >
            <header class="panel-head">
                <h2 id="model-title">
                    {move || lang.get().t(Text::ModelTitle)}
                </h2>
                <div class="segmented small" role="group" aria-label=move || lang.get().t(Text::Model)>
                    {model_button(ModelKind::Linear, Text::LinearRegression)}
                    {model_button(ModelKind::Forest, Text::RandomForest)}
                </div>
                <label class="field seed-field">
                    <span>{move || lang.get().t(Text::Seed)}</span>
                    <input
                        type="number"
                        inputmode="numeric"
                        name="seed"
                        min="0"
                        prop:value=move || seed.get().to_string()
                        on:change=move |ev| {
                            if let Ok(value) = event_target_value(&ev).trim().parse::<u64>() {
                                state.update(|s| s.seed = value);
                            }
                        }
                    />
                </label>
                {move || {
                    has_tmdb.get().then(|| view! {
                        <label class="field tmdb-features-field" title=move || lang.get().t(Text::UseTmdbFeaturesNote)>
                            <input
                                type="checkbox"
                                name="tmdb_features"
                                prop:checked=move || tmdb_wanted.get()
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    state.update(|s| s.tmdb_features = on);
                                }
                            />
                            <span>{move || lang.get().t(Text::UseTmdbFeatures)}</span>
                        </label>
                    })
                }}
                <label class="field horizon-field">
                    <span>{move || lang.get().t(Text::TrendYears)}</span>
                    <input
                        type="number"
                        inputmode="numeric"
                        name="horizon"
                        min="0"
                        max=MAX_HORIZON.to_string()
                        prop:value=move || horizon.get().to_string()
                        on:change=move |ev| {
                            if let Ok(value) = event_target_value(&ev).trim().parse::<u16>() {
                                state.update(|s| s.horizon = value.min(MAX_HORIZON));
                            }
                        }
                    />
                </label>
            </header>
            <p class="small muted model-summary">{summary}</p>
            {progress}
            {move || message().map(|m| view! { <p class="model-message" role="alert">{m}</p> })}
            <div class="model-body" class:hidden=move || evaluation.get().is_none()>
                <MetricCards evaluation=evaluation lang=lang />
                <div class="model-charts">
                    <figure class="model-figure">
                        <figcaption>{move || lang.get().t(Text::ScatterCaption)}</figcaption>
                        <canvas class="scatter" node_ref=scatter_canvas role="img" aria-label=move || lang.get().t(Text::ScatterLabel)></canvas>
                    </figure>
                    <figure class="model-figure">
                        <figcaption>{move || lang.get().t(Text::HistogramCaption)}</figcaption>
                        <canvas node_ref=histogram_canvas role="img" aria-label=move || lang.get().t(Text::HistogramLabel)></canvas>
                    </figure>
                    <figure class="model-figure">
                        <figcaption>{move || lang.get().t(Text::ByYearCaption)}</figcaption>
                        <canvas node_ref=years_canvas role="img" aria-label=move || lang.get().t(Text::ByYearLabel)></canvas>
                    </figure>
                </div>
                <LargestErrors evaluation=evaluation lang=lang />
            </div>
        </section>
    }
}

/// MSE, MAE, RMSE and R², each beside the baseline and the improvement over it.
#[component]
fn MetricCards(
    evaluation: Memo<Option<Arc<Evaluation>>>,
    #[prop(into)] lang: Signal<Lang>,
) -> impl IntoView {
    type Pick = fn(&Evaluation) -> (f64, f64, f64);
    // The metrics' symbols are the same in English and Portuguese, so they are not in `i18n`.
    let cards: [(&'static str, &'static str, bool, Pick); 4] = [
        ("mse", "MSE", true, |e| {
            (e.metrics.mse, e.baseline.mse, e.improvement.mse)
        }),
        ("mae", "MAE", true, |e| {
            (e.metrics.mae, e.baseline.mae, e.improvement.mae)
        }),
        ("rmse", "RMSE", true, |e| {
            (e.metrics.rmse, e.baseline.rmse, e.improvement.rmse)
        }),
        ("r2", "R²", false, |e| {
            (e.metrics.r2, e.baseline.r2, e.improvement.r2)
        }),
    ];
    let cards = cards
        .into_iter()
        .map(|(key, label, relative, pick)| {
            let values = move || evaluation.get().map(|e| pick(&e));
            let shown = move || {
                values().map_or_else(
                    || lang.get().t(Text::Undefined).into(),
                    |(m, _, _)| lang.get().dec(m, 3),
                )
            };
            let note = move || {
                let (_, b, i) = values()?;
                let lang = lang.get();
                let gain = if relative {
                    let word = if i >= 0.0 {
                        lang.t(Text::Lower)
                    } else {
                        lang.t(Text::Higher)
                    };
                    format!("{}% {word}", lang.dec(i.abs() * 100.0, 1))
                } else {
                    format!(
                        "{}{}",
                        if i >= 0.0 { "+" } else { "−" },
                        lang.dec(i.abs(), 3)
                    )
                };
                Some(format!(
                    "{} {} · {gain}",
                    lang.t(Text::Baseline).to_lowercase(),
                    lang.dec(b, 3)
                ))
            };
            view! {
                <div
                    class="card metric-card"
                    data-metric=key
                    data-value=move || values().map(|v| v.0.to_string()).unwrap_or_default()
                    data-baseline=move || values().map(|v| v.1.to_string()).unwrap_or_default()
                    data-improvement=move || values().map(|v| v.2.to_string()).unwrap_or_default()
                >
                    <div class="card-label">{label}</div>
                    <div class="card-value">{shown}</div>
                    <div class="card-note">{note}</div>
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="cards metric-cards">
            {cards}
            <div class="card model-note">
                <div class="card-label">{move || lang.get().t(Text::Baseline)}</div>
                <div class="card-note">
                    {move || lang.get().t(Text::BaselineNote)}
                </div>
            </div>
        </div>
    }
}

/// The 20 largest errors, as text (titles come from the data: never HTML).
#[component]
fn LargestErrors(
    evaluation: Memo<Option<Arc<Evaluation>>>,
    #[prop(into)] lang: Signal<Lang>,
) -> impl IntoView {
    let rows = move || {
        let e = evaluation.get()?;
        let lang = lang.get();
        Some(
            e.largest
                .iter()
                .map(|row| {
                    let error = row.actual - row.predicted;
                    view! {
                        <tr>
                            <td class="title-cell">{row.title.clone()}</td>
                            <td class="num">{row.year}</td>
                            <td class="num">{lang.dec(row.actual, 1)}</td>
                            <td class="num">{lang.dec(row.predicted, 2)}</td>
                            <td class="num">{lang.dec(error, 2)}</td>
                        </tr>
                    }
                })
                .collect_view(),
        )
    };
    view! {
        <div class="table-wrap">
            <table class="largest-errors">
                <caption>{move || lang.get().t(Text::LargestErrors)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{move || lang.get().t(Text::TitleColumn)}</th>
                        <th scope="col" class="num">{move || lang.get().t(Text::YearColumn)}</th>
                        <th scope="col" class="num">{move || lang.get().t(Text::Actual)}</th>
                        <th scope="col" class="num">{move || lang.get().t(Text::Predicted)}</th>
                        <th scope="col" class="num">{move || lang.get().t(Text::ErrorColumn)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The colour of the trend projected on the rating chart.
pub fn trend_color(theme: Theme) -> Rgb {
    match theme {
        Theme::Light => Rgb(0xc2, 0x25, 0x5c),
        Theme::Dark => Rgb(0xf0, 0x65, 0x95),
    }
}

fn accent(theme: Theme) -> Rgb {
    match theme {
        Theme::Light => Rgb(0x2f, 0x6f, 0xed),
        Theme::Dark => Rgb(0x6e, 0x9b, 0xff),
    }
}

/// Shared with the TMDB section's chart (`tmdb_view`).
pub(crate) fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Sizes the canvas to its CSS box at the device's pixel ratio; returns the ratio and CSS width.
pub(crate) fn fit_canvas(canvas: &web_sys::HtmlCanvasElement) -> (f64, f64) {
    let ratio = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let width = f64::from(canvas.client_width().max(200));
    let height = f64::from(canvas.client_height().max(150));
    canvas.set_width((width * ratio).round() as u32);
    canvas.set_height((height * ratio).round() as u32);
    (ratio, width)
}

pub(crate) type Area = DrawingArea<CanvasBackend, plotters::coord::Shift>;

/// The canvas as a drawing area, filled with the theme's background.
pub(crate) fn root(canvas: &web_sys::HtmlCanvasElement, palette: Palette) -> Result<Area, String> {
    let backend = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| "the canvas has no 2d context".to_string())?;
    let root = backend.into_drawing_area();
    root.fill(&rgb(palette.background))
        .map_err(|e| e.to_string())?;
    Ok(root)
}

/// Predicted (y) against actual (x) on equal axes: points counted per device pixel in core and
/// blended into the plot area's pixels in one `putImageData`; the y = x line drawn on top.
fn draw_scatter(
    canvas: &web_sys::HtmlCanvasElement,
    e: &Evaluation,
    lang: Lang,
    palette: Palette,
    accent: Rgb,
) -> Result<(), String> {
    let (ratio, _) = fit_canvas(canvas);
    let px = |v: f64| (v * ratio).round() as i32;
    let root = root(canvas, palette)?;
    let (lo, hi) = e.points.iter().fold((1.0f64, 10.0f64), |(lo, hi), p| {
        (
            lo.min(p.predicted).min(p.actual),
            hi.max(p.predicted).max(p.actual),
        )
    });
    let (lo, hi) = (lo.floor(), hi.ceil());
    let font = |size: f64, color: Rgb| {
        ("system-ui, sans-serif", f64::from(px(size)))
            .into_font()
            .color(&rgb(color))
    };
    let mut chart = ChartBuilder::on(&root)
        .margin(px(10.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(48.0))
        .build_cartesian_2d(lo..hi, lo..hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(10)
        .x_label_formatter(&|v| lang.dec(*v, 0))
        .y_label_formatter(&|v| lang.dec(*v, 0))
        .label_style(font(11.0, palette.muted))
        .axis_desc_style(font(12.0, palette.text))
        .x_desc(lang.t(Text::ActualAxis))
        .y_desc(lang.t(Text::PredictedAxis))
        .light_line_style(rgb(palette.background))
        .bold_line_style(rgb(palette.grid))
        .axis_style(rgb(palette.axis))
        .draw()
        .map_err(|e| e.to_string())?;

    // The plot area in device pixels: read it back, blend the points in, write it back.
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let (width, height) = (
        (xs.end - xs.start).max(1) as usize,
        (ys.end - ys.start).max(1) as usize,
    );
    let raster = scatter::raster(
        e.points.iter().map(|p| (p.actual, p.predicted)),
        width,
        height,
        Range { lo, hi },
        Range { lo, hi },
    );
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or("the canvas has no 2d context")?
        .unchecked_into();
    let image = context
        .get_image_data(
            f64::from(xs.start),
            f64::from(ys.start),
            width as f64,
            height as f64,
        )
        .map_err(|e| format!("{e:?}"))?;
    let mut pixels = image.data().0;
    if raster.max > 0 {
        let max = f64::from(raster.max).ln_1p();
        for (i, &count) in raster.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            // Log shading: a lone point is visible, the densest pixel is solid.
            let alpha = 0.35 + 0.65 * f64::from(count).ln_1p() / max;
            let p = &mut pixels[i * 4..i * 4 + 4];
            for (channel, target) in p.iter_mut().zip([accent.0, accent.1, accent.2]) {
                *channel =
                    (f64::from(*channel) * (1.0 - alpha) + f64::from(target) * alpha).round() as u8;
            }
            p[3] = 255;
        }
    }
    let blended = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        Clamped(&pixels),
        width as u32,
        height as u32,
    )
    .map_err(|e| format!("{e:?}"))?;
    context
        .put_image_data(&blended, f64::from(xs.start), f64::from(ys.start))
        .map_err(|e| format!("{e:?}"))?;

    let line = ShapeStyle::from(&rgb(palette.text)).stroke_width(px(1.5).max(1) as u32);
    chart
        .draw_series(DashedLineSeries::new(
            [(lo, lo), (hi, hi)],
            px(6.0),
            px(4.0),
            line,
        ))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// The residual histogram.
fn draw_histogram(
    canvas: &web_sys::HtmlCanvasElement,
    e: &Evaluation,
    lang: Lang,
    palette: Palette,
    accent: Rgb,
) -> Result<(), String> {
    let (ratio, _) = fit_canvas(canvas);
    let px = |v: f64| (v * ratio).round() as i32;
    let root = root(canvas, palette)?;
    let h = &e.histogram;
    let edges = h.edges();
    let (first, last) = (edges[0], edges[edges.len() - 1]);
    let top = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.08;
    let font = |size: f64, color: Rgb| {
        ("system-ui, sans-serif", f64::from(px(size)))
            .into_font()
            .color(&rgb(color))
    };
    let mut chart = ChartBuilder::on(&root)
        .margin(px(10.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d(first..last, 0.0..top)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(8)
        .y_labels(5)
        .x_label_formatter(&|v| lang.dec(*v, 1))
        .y_label_formatter(&|v| lang.dec(*v, 0))
        .label_style(font(11.0, palette.muted))
        .axis_desc_style(font(12.0, palette.text))
        .x_desc(lang.t(Text::ResidualAxis))
        .y_desc(lang.t(Text::TitlesCountAxis))
        .light_line_style(rgb(palette.background))
        .bold_line_style(rgb(palette.grid))
        .axis_style(rgb(palette.axis))
        .draw()
        .map_err(|e| e.to_string())?;
    let gap = h.width * 0.06;
    chart
        .draw_series(h.counts.iter().enumerate().map(|(i, &count)| {
            Rectangle::new(
                [(edges[i] + gap, 0.0), (edges[i + 1] - gap, count as f64)],
                rgb(accent).filled(),
            )
        }))
        .map_err(|e| e.to_string())?;
    if first < 0.0 && last > 0.0 {
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, 0.0), (0.0, top)],
                px(4.0),
                px(4.0),
                ShapeStyle::from(&rgb(palette.text)).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Mean residual per release year (the model's bias over time), with zero marked.
fn draw_by_year(
    canvas: &web_sys::HtmlCanvasElement,
    e: &Evaluation,
    lang: Lang,
    palette: Palette,
    accent: Rgb,
) -> Result<(), String> {
    let (ratio, _) = fit_canvas(canvas);
    let px = |v: f64| (v * ratio).round() as i32;
    let root = root(canvas, palette)?;
    let (Some(first), Some(last)) = (e.by_year.first(), e.by_year.last()) else {
        return root.present().map_err(|e| e.to_string());
    };
    let bound = e
        .by_year
        .iter()
        .map(|y| y.mean.abs())
        .fold(0.5f64, f64::max)
        * 1.1;
    let font = |size: f64, color: Rgb| {
        ("system-ui, sans-serif", f64::from(px(size)))
            .into_font()
            .color(&rgb(color))
    };
    let x_range = f64::from(first.year) - 0.5..f64::from(last.year) + 0.5;
    let mut chart = ChartBuilder::on(&root)
        .margin(px(10.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(48.0))
        .build_cartesian_2d(x_range.clone(), -bound..bound)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(8)
        .y_labels(5)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| lang.dec(*v, 1))
        .label_style(font(11.0, palette.muted))
        .axis_desc_style(font(12.0, palette.text))
        .x_desc(lang.t(Text::YearAxis))
        .y_desc(lang.t(Text::MeanResidualAxis))
        .light_line_style(rgb(palette.background))
        .bold_line_style(rgb(palette.grid))
        .axis_style(rgb(palette.axis))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            [(x_range.start, 0.0), (x_range.end, 0.0)],
            rgb(palette.muted),
        ))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(e.by_year.iter().map(|y| {
            let x = f64::from(y.year);
            let mean = y.mean.clamp(-bound, bound);
            Rectangle::new([(x - 0.4, 0.0), (x + 0.4, mean)], rgb(accent).filled())
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
