//! The dashboard's components: KPI cards, the filter bar, chart panels with legends and
//! tooltips, and the loading, picking and error states.
//!
//! Components only render: numbers come from core's [`Yearly`](cinelake_core::yearly::Yearly)
//! and from [`ChartData`]. Everything from the dataset is inserted as text (Leptos escapes text
//! nodes), never as HTML.

use cinelake_core::yearly::{GROUPS, KINDS, Totals};
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::chart::{ChartData, Layout, group_text, kind_text};
use crate::i18n::{Lang, Text};
use crate::load::{LoadError, Progress};
use crate::state::{Split, ViewState};

/// One KPI card; `value` is the exact figure for tests (`data-value`), `shown` the formatted one.
#[component]
fn Card(
    kpi: &'static str,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] shown: Signal<String>,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] note: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="card" data-kpi=kpi data-value=value>
            <div class="card-label">{label}</div>
            <div class="card-value">{shown}</div>
            <div class="card-note">{note}</div>
        </div>
    }
}

/// The KPI cards: titles, movies, series, mean rating, total votes, year span.
#[component]
pub fn KpiCards(
    #[prop(into)] totals: Signal<Option<Totals>>,
    #[prop(into)] lang: Signal<Lang>,
) -> impl IntoView {
    let t = move |text: Text| Signal::derive(move || lang.get().t(text).to_string());
    let totals = move || totals.get().unwrap_or_default();
    let int = move |f: fn(&Totals) -> u64| {
        (
            Signal::derive(move || lang.get().int(f(&totals()))),
            Signal::derive(move || f(&totals()).to_string()),
        )
    };
    let share = move |f: fn(&Totals) -> u64| {
        Signal::derive(move || {
            let totals = totals();
            if totals.titles == 0 {
                String::new()
            } else {
                let percent = 100.0 * f(&totals) as f64 / totals.titles as f64;
                format!("{}%", lang.get().dec(percent, 1))
            }
        })
    };
    let (titles, titles_value) = int(|t| t.titles);
    let (movies, movies_value) = int(|t| t.movies);
    let (series, series_value) = int(|t| t.series);
    let (votes, votes_value) = int(|t| t.votes);
    let mean = |weighted: bool| {
        move || {
            let totals = totals();
            if weighted {
                totals.weighted_mean_rating
            } else {
                totals.mean_rating
            }
        }
    };
    let plain = mean(false);
    let weighted = mean(true);
    let mean_shown =
        Signal::derive(move || plain().map_or_else(|| "—".into(), |m| lang.get().dec(m, 2)));
    let mean_value = Signal::derive(move || plain().map(|m| format!("{m:.4}")).unwrap_or_default());
    let mean_note = Signal::derive(move || {
        let lang = lang.get();
        let rated = format!("{} {}", lang.int(totals().rated), lang.t(Text::Rated));
        match weighted() {
            Some(w) => format!(
                "{}: {} · {rated}",
                lang.t(Text::VoteWeighted),
                lang.dec(w, 2)
            ),
            None => rated,
        }
    });
    let years_shown = Signal::derive(move || match totals().years {
        Some((first, last)) => format!("{first}–{last}"),
        None => "—".into(),
    });
    let years_value = Signal::derive(move || match totals().years {
        Some((first, last)) => format!("{first}-{last}"),
        None => String::new(),
    });
    let years_note = Signal::derive(move || match totals().years {
        Some((first, last)) => {
            let count = u64::from(last - first) + 1;
            match lang.get() {
                Lang::En => format!("{count} years"),
                Lang::PtBr => format!("{count} anos"),
            }
        }
        None => String::new(),
    });
    view! {
        <section class="cards" aria-label="KPI">
            <Card kpi="titles" label=t(Text::Titles) shown=titles value=titles_value note=Signal::derive(String::new) />
            <Card kpi="movies" label=t(Text::Movies) shown=movies value=movies_value note=share(|t| t.movies) />
            <Card kpi="series" label=t(Text::Series) shown=series value=series_value note=share(|t| t.series) />
            <Card kpi="mean_rating" label=t(Text::MeanRating) shown=mean_shown value=mean_value note=mean_note />
            <Card kpi="votes" label=t(Text::TotalVotes) shown=votes value=votes_value note=Signal::derive(String::new) />
            <Card kpi="years" label=t(Text::YearSpan) shown=years_shown value=years_value note=years_note />
        </section>
    }
}

/// The filter bar. `span` is the data's first and last year (the inputs' bounds).
#[component]
pub fn Filters(
    state: RwSignal<ViewState>,
    #[prop(into)] lang: Signal<Lang>,
    #[prop(into)] span: Signal<Option<(u16, u16)>>,
    #[prop(into)] has_other: Signal<bool>,
    on_export: Callback<()>,
) -> impl IntoView {
    let t = move |text: Text| move || lang.get().t(text);
    let kind_chips = KINDS
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let text = kind_text(*kind);
            view! {
                <label class="chip">
                    <input
                        type="checkbox"
                        name="kind"
                        value=kind.as_str()
                        prop:checked=move || state.with(|s| s.kinds[i])
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            state.update(|s| s.kinds[i] = on);
                        }
                    />
                    <span>{t(text)}</span>
                </label>
            }
        })
        .collect_view();
    let group_chips = GROUPS
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let text = group_text(*group);
            let hidden = move || i == 3 && !has_other.get();
            view! {
                <label class="chip" class:hidden=hidden>
                    <input
                        type="checkbox"
                        name="genre"
                        value=cinelake_core::yearly::group_name(*group)
                        prop:checked=move || state.with(|s| s.groups[i])
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            state.update(|s| s.groups[i] = on);
                        }
                    />
                    <span>{t(text)}</span>
                </label>
            }
        })
        .collect_view();
    let year_input = move |is_from: bool| {
        let value = move || {
            state
                .with(|s| if is_from { s.from } else { s.to })
                .map(|y| y.to_string())
                .unwrap_or_default()
        };
        let placeholder = move || {
            span.get()
                .map(|(a, b)| if is_from { a } else { b }.to_string())
                .unwrap_or_default()
        };
        view! {
            <input
                type="number"
                inputmode="numeric"
                name=if is_from { "from" } else { "to" }
                min=move || span.get().map(|s| s.0)
                max=move || span.get().map(|s| s.1)
                prop:value=value
                placeholder=placeholder
                on:change=move |ev| {
                    let year = event_target_value(&ev).trim().parse::<u16>().ok();
                    state.update(|s| if is_from { s.from = year } else { s.to = year });
                }
            />
        }
    };
    view! {
        <section class="filters" aria-label=move || lang.get().t(Text::Filters)>
            <fieldset>
                <legend>{t(Text::Kind)}</legend>
                <div class="chips">{kind_chips}</div>
            </fieldset>
            <fieldset>
                <legend>{t(Text::Genre)}</legend>
                <div class="chips">{group_chips}</div>
            </fieldset>
            <fieldset class="years">
                <legend>{t(Text::YearSpan)}</legend>
                <label class="field">
                    <span>{t(Text::FromYear)}</span>
                    {year_input(true)}
                </label>
                <label class="field">
                    <span>{t(Text::ToYear)}</span>
                    {year_input(false)}
                </label>
            </fieldset>
            <fieldset>
                <legend>{t(Text::MinVotes)}</legend>
                <label class="field">
                    <span class="sr-only">{t(Text::MinVotes)}</span>
                    <input
                        type="number"
                        inputmode="numeric"
                        name="min_votes"
                        min="0"
                        step="100"
                        prop:value=move || state.with(|s| s.min_votes.to_string())
                        on:change=move |ev| {
                            let votes = event_target_value(&ev).trim().parse::<u64>().unwrap_or(0);
                            state.update(|s| s.min_votes = votes);
                        }
                    />
                </label>
            </fieldset>
            <fieldset>
                <legend>{t(Text::SplitBy)}</legend>
                <div class="segmented" role="radiogroup">
                    <label class="chip">
                        <input
                            type="radio"
                            name="split"
                            value="kind"
                            prop:checked=move || state.with(|s| s.split == Split::Kind)
                            on:change=move |_| state.update(|s| s.split = Split::Kind)
                        />
                        <span>{t(Text::ByKind)}</span>
                    </label>
                    <label class="chip">
                        <input
                            type="radio"
                            name="split"
                            value="genre"
                            prop:checked=move || state.with(|s| s.split == Split::Genre)
                            on:change=move |_| state.update(|s| s.split = Split::Genre)
                        />
                        <span>{t(Text::ByGenre)}</span>
                    </label>
                </div>
            </fieldset>
            <fieldset>
                <legend>{t(Text::MeanRating)}</legend>
                <label class="chip">
                    <input
                        type="checkbox"
                        name="weighted"
                        prop:checked=move || state.with(|s| s.weighted)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            state.update(|s| s.weighted = on);
                        }
                    />
                    <span>{t(Text::VoteWeighted)}</span>
                </label>
            </fieldset>
            <div class="filter-actions">
                <button
                    type="button"
                    class="ghost"
                    on:click=move |_| {
                        // Reset clears the filters; the model's choices are not filters.
                        state.update(|s| {
                            let keep = ViewState {
                                lang: s.lang,
                                theme: s.theme,
                                model: s.model,
                                seed: s.seed,
                                horizon: s.horizon,
                                ..ViewState::default()
                            };
                            *s = keep;
                        })
                    }
                >
                    {t(Text::Reset)}
                </button>
                <button type="button" class="primary" id="export-csv" on:click=move |_| on_export.run(())>
                    {t(Text::ExportCsv)}
                </button>
            </div>
        </section>
    }
}

/// Which chart a hover belongs to, and the hovered year.
pub type Hover = Option<(usize, u16)>;

/// A chart with its title, legend, PNG export, hover guide and tooltip.
#[component]
pub fn ChartPanel(
    /// 0 or 1: which chart this is (hover is shared between both).
    index: usize,
    /// The element id (also the PNG's name).
    id: &'static str,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] data: Signal<Option<ChartData>>,
    #[prop(into)] layout: Signal<Option<Layout>>,
    #[prop(into)] lang: Signal<Lang>,
    /// Decimals of the values in the tooltip.
    places: usize,
    /// Whether the tooltip adds a total line (stacked bars).
    totals: bool,
    hover: RwSignal<Hover>,
    canvas: NodeRef<Canvas>,
) -> impl IntoView {
    let legend = move || {
        data.get().map(|data| {
            data.series
                .into_iter()
                .map(|series| {
                    view! {
                        <span class="legend-item">
                            <span class="swatch" style:background-color=series.color.css()></span>
                            {series.label}
                        </span>
                    }
                })
                .collect_view()
        })
    };
    let projection_legend = move || {
        data.get().and_then(|data| data.projection).map(|p| {
            view! {
                <span class="legend-item trend-legend">
                    <span class="swatch dashed" style:border-color=p.color.css()></span>
                    {p.label}
                </span>
            }
        })
    };
    let year = move || hover.get().map(|(_, year)| year);
    let guide_x = move || {
        let (layout, year) = (layout.get()?, year()?);
        Some(layout.x_of(year))
    };
    let set_year_at = move |x: f64| {
        if let Some(year) = layout.get().and_then(|layout| layout.year_at(x)) {
            hover.set(Some((index, year)));
        }
    };
    let step = move |delta: i32| {
        let Some(layout) = layout.get() else { return };
        let current = hover
            .get()
            .map(|(_, year)| i32::from(year))
            .unwrap_or(i32::from(layout.last_year) + i32::from(delta < 0));
        let next =
            (current + delta).clamp(i32::from(layout.first_year), i32::from(layout.last_year));
        hover.set(Some((index, next as u16)));
    };
    let tooltip_rows = move || {
        let (data, year) = (data.get()?, year()?);
        let i = data.index_of(year)?;
        let lang = lang.get();
        let mut rows: Vec<_> = data
            .series
            .iter()
            .map(|series| {
                let value =
                    series.values[i].map_or_else(|| "—".to_string(), |v| lang.dec(v, places));
                let count = series.counts[i];
                let note = if places > 0 {
                    format!(
                        " ({} {})",
                        lang.int(count),
                        lang.t(Text::Titles).to_lowercase()
                    )
                } else {
                    String::new()
                };
                view! {
                    <div class="tip-row">
                        <span class="swatch" style:background-color=series.color.css()></span>
                        <span class="tip-label">{series.label}</span>
                        <span class="tip-value">{value}<span class="tip-note">{note}</span></span>
                    </div>
                }
                .into_any()
            })
            .collect();
        if totals {
            let total: f64 = data.series.iter().filter_map(|s| s.values[i]).sum();
            rows.push(
                view! {
                    <div class="tip-row tip-total">
                        <span class="tip-label">"Σ"</span>
                        <span class="tip-value">{lang.dec(total, places)}</span>
                    </div>
                }
                .into_any(),
            );
        }
        Some(view! { <div class="tip-year">{year}</div> {rows} })
    };
    let flip = move || {
        let (Some(layout), Some(x)) = (layout.get(), guide_x()) else {
            return false;
        };
        x > (layout.left + layout.right) / 2.0
    };
    let empty = move || data.get().is_some_and(|d| d.is_empty());
    let png = move |_| {
        if let Some(url) = canvas.get().and_then(|canvas| canvas.to_data_url().ok()) {
            crate::download(&format!("cinelake-{id}.png"), &url);
        }
    };
    let heading_id = format!("{id}-title");
    let labelled_by = heading_id.clone();
    view! {
        <section class="panel chart-panel" id=id aria-labelledby=labelled_by>
            <header class="panel-head">
                <h2 id=heading_id>{title}</h2>
                <div class="legend">{legend}{projection_legend}</div>
                <button type="button" class="ghost small png" on:click=png aria-label=move || format!("PNG: {}", title.get())>
                    {move || lang.get().t(Text::ExportPng)}
                </button>
            </header>
            <div
                class="chart-box"
                tabindex="0"
                role="img"
                aria-label=move || format!("{} — {}", title.get(), lang.get().t(Text::ChartHint))
                on:mousemove=move |ev| {
                    let target: web_sys::Element = event_target(&ev);
                    let Some(host) = target.closest(".chart-box").ok().flatten() else { return };
                    let rect = host.get_bounding_client_rect();
                    set_year_at(f64::from(ev.client_x()) - rect.left());
                }
                on:mouseleave=move |_| hover.set(None)
                on:blur=move |_| hover.set(None)
                on:keydown=move |ev| {
                    match ev.key().as_str() {
                        "ArrowLeft" => step(-1),
                        "ArrowRight" => step(1),
                        "Home" => step(-10_000),
                        "End" => step(10_000),
                        "Escape" => hover.set(None),
                        _ => return,
                    }
                    ev.prevent_default();
                }
            >
                <canvas node_ref=canvas></canvas>
                <div
                    class="guide"
                    class:hidden=move || guide_x().is_none()
                    style:left=move || format!("{}px", guide_x().unwrap_or(0.0))
                    style:top=move || format!("{}px", layout.get().map_or(0.0, |l| l.top))
                    style:height=move || {
                        format!("{}px", layout.get().map_or(0.0, |l| l.bottom - l.top))
                    }
                ></div>
                <div
                    class="tooltip"
                    role="status"
                    class:hidden=move || guide_x().is_none() || hover.get().is_some_and(|(i, _)| i != index)
                    class:flip=flip
                    style:left=move || format!("{}px", guide_x().unwrap_or(0.0))
                >
                    {tooltip_rows}
                </div>
                <div class="empty-note" class:hidden=move || !empty()>
                    {move || lang.get().t(Text::NoMatch)}
                </div>
            </div>
        </section>
    }
}

/// The download / parse progress.
#[component]
pub fn ProgressView(
    #[prop(into)] progress: Signal<Option<Progress>>,
    #[prop(into)] lang: Signal<Lang>,
) -> impl IntoView {
    let text = move || {
        let lang = lang.get();
        match progress.get() {
            None => lang.t(Text::Loading).to_string(),
            Some(Progress::Download { bytes, total, rows }) => {
                let mut text = match total {
                    Some(total) => format!(
                        "{} {} / {}",
                        lang.t(Text::Downloading),
                        lang.bytes(bytes),
                        lang.bytes(total)
                    ),
                    None => format!("{} {}", lang.t(Text::Downloading), lang.bytes(bytes)),
                };
                // Rows are parsed as the bytes arrive.
                if rows > 0 {
                    text.push_str(&format!(" · {} {}", lang.int(rows), lang.t(Text::Rows)));
                }
                text
            }
            Some(Progress::Parse { rows, .. }) => format!(
                "{} · {} {}",
                lang.t(Text::Parsing),
                lang.int(rows),
                lang.t(Text::Rows)
            ),
        }
    };
    // `None` leaves the bar indeterminate.
    let fraction = move || match progress.get()? {
        Progress::Download { bytes, total, .. } => total
            .filter(|t| *t > 0)
            .map(|t| (bytes as f64 / t as f64).min(1.0)),
        Progress::Parse { bytes, total, .. } => Some(if total == 0 {
            1.0
        } else {
            bytes as f64 / total as f64
        }),
    };
    view! {
        <div class="panel loading" role="status" aria-live="polite">
            <div class="progress" class:indeterminate=move || fraction().is_none()>
                <div class="progress-bar" style:width=move || format!("{:.1}%", 100.0 * fraction().unwrap_or(0.3))></div>
            </div>
            <p class="progress-text">{text}</p>
        </div>
    }
}

/// Where a file is dropped or picked when there is nothing to load (or loading failed).
#[component]
pub fn DropZone(
    #[prop(into)] lang: Signal<Lang>,
    #[prop(into)] note: Signal<Option<String>>,
    on_file: Callback<web_sys::File>,
) -> impl IntoView {
    let over = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    view! {
        <div
            class="panel dropzone"
            class:over=move || over.get()
            on:dragover=move |ev| {
                ev.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev| {
                ev.prevent_default();
                over.set(false);
                if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                    on_file.run(file);
                }
            }
        >
            <h2>{move || lang.get().t(Text::DropTitle)}</h2>
            <p class="muted">{move || lang.get().t(Text::DropHint)}</p>
            <p class="muted small">{move || note.get()}</p>
            <input
                type="file"
                id="file-input"
                class="sr-only"
                accept=".csv,text/csv"
                node_ref=input
                on:change=move |ev| {
                    let target: web_sys::HtmlInputElement = event_target(&ev);
                    if let Some(file) = target.files().and_then(|f| f.get(0)) {
                        on_file.run(file);
                    }
                }
            />
            <button
                type="button"
                class="primary"
                on:click=move |_| {
                    if let Some(input) = input.get() {
                        input.click();
                    }
                }
            >
                {move || lang.get().t(Text::ChooseFile)}
            </button>
        </div>
    }
}

/// The failure message (`#error`), in words.
#[component]
pub fn ErrorView(error: LoadError, #[prop(into)] lang: Signal<Lang>) -> impl IntoView {
    view! {
        <div class="panel error" role="alert">
            <h2>{move || lang.get().t(Text::ErrorTitle)}</h2>
            <p id="error" class="error-message">{move || error.message(lang.get())}</p>
        </div>
    }
}

/// The warning about rows that could not be read, with a few examples (as text).
#[component]
pub fn BadRows(
    count: u64,
    examples: Vec<String>,
    #[prop(into)] lang: Signal<Lang>,
) -> impl IntoView {
    view! {
        <details class="warning" id="bad-rows" data-count=count.to_string()>
            <summary>{move || format!("{} {}", lang.get().int(count), lang.get().t(Text::BadRows))}</summary>
            <ul>{examples.into_iter().map(|e| view! { <li><code>{e}</code></li> }).collect_view()}</ul>
        </details>
    }
}

/// Casts an event's target (helper for handlers on non-input elements).
fn event_target<T: JsCast>(ev: &impl AsRef<web_sys::Event>) -> T {
    // Every handler here is attached to an element, so the target exists and is that element
    // or one of its children, which are all `Element`s of the requested type.
    ev.as_ref()
        .target()
        .expect("an event dispatched on an element has a target")
        .unchecked_into()
}
