//! The TMDB section: what `cinelake enrich` and `refine` added to the extract (issue 10).
//!
//! Shown only when the loaded extract carries TMDB data (the optional trailing columns of the
//! extract contract, docs/extract.md); an extract in the base format renders nothing here. It
//! shows how many titles in view have TMDB data, a "budget vs rating" scatter on a log budget
//! axis, and the correlation between log budget and rating. The numbers come from
//! [`cinelake_core::tmdb`] under the page's filter; the scatter is rasterised like the model's
//! (points counted per pixel in core, painted with one `putImageData`).
//!
//! For tests: the section is `#tmdb`, the cards carry `data-kpi` and the exact `data-value`, the
//! canvas `#budget-chart` carries `data-points`, and `document.body.dataset.tmdb` is `ready`
//! after a draw (`none` when the extract has no TMDB data).

use std::sync::Arc;

use cinelake_core::model::scatter::{self, Range};
use cinelake_core::tmdb::{self, TmdbSummary};
use cinelake_core::yearly::Filter;
use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use wasm_bindgen::{Clamped, JsCast};

use crate::chart::{Palette, Rgb};
use crate::i18n::{Lang, Text};
use crate::load::Dataset;
use crate::model_view::{fit_canvas, rgb, root};
use crate::state::Theme;

fn set_body_data(value: &str) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.dataset().set("tmdb", value);
    }
}

/// The points' colour: the kind colour of movies (budgets are movies' in practice).
fn accent(theme: Theme) -> Rgb {
    crate::chart::kind_color(cinelake_core::Kind::Movie, theme)
}

/// The TMDB section, or nothing when the data has no TMDB columns.
#[component]
pub fn TmdbSection(
    #[prop(into)] data: Signal<Option<Arc<Dataset>>>,
    #[prop(into)] filter: Signal<Filter>,
    #[prop(into)] lang: Signal<Lang>,
    #[prop(into)] theme: Signal<Theme>,
) -> impl IntoView {
    let present =
        Memo::new(move |_| data.with(|d| d.as_ref().is_some_and(|d| tmdb::has_tmdb(&d.titles))));
    let summary: Memo<Option<Arc<TmdbSummary>>> = Memo::new(move |_| {
        if !present.get() {
            return None;
        }
        let filter = filter.get();
        data.with(|d| {
            d.as_ref()
                .map(|d| Arc::new(tmdb::summary(&d.titles, &filter)))
        })
    });
    let canvas = NodeRef::<Canvas>::new();
    let resized = RwSignal::new(0u32);
    let _ = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));

    Effect::new(move |_| {
        resized.track();
        if !present.get() {
            set_body_data("none");
            return;
        }
        let (Some(el), Some(s)) = (canvas.get(), summary.get()) else {
            return;
        };
        let theme = theme.get();
        match draw_budget(&el, &s, lang.get(), Palette::of(theme), accent(theme)) {
            Ok(()) => set_body_data("ready"),
            Err(error) => {
                leptos::logging::error!("drawing the budget chart failed: {error}");
                set_body_data("error");
            }
        }
    });

    let t = move |text: Text| move || lang.get().t(text);
    let card = move |kpi: &'static str,
                     label: Text,
                     value: fn(&TmdbSummary, Lang) -> (String, String),
                     note: fn(&TmdbSummary, Lang) -> String| {
        let shown = move || summary.get().map(|s| value(&s, lang.get()));
        view! {
            <div
                class="card"
                data-kpi=kpi
                data-value=move || shown().map(|(_, exact)| exact).unwrap_or_default()
            >
                <div class="card-label">{t(label)}</div>
                <div class="card-value">{move || shown().map(|(text, _)| text).unwrap_or_default()}</div>
                <div class="card-note">
                    {move || summary.get().map(|s| note(&s, lang.get())).unwrap_or_default()}
                </div>
            </div>
        }
    };

    move || {
        present.get().then(|| {
            view! {
                <section class="panel model-section tmdb-section" id="tmdb" aria-labelledby="tmdb-title">
                    <header class="panel-head">
                        <h2 id="tmdb-title">{t(Text::TmdbTitle)}</h2>
                    </header>
                    <div class="cards metric-cards">
                        {card(
                            "tmdb-titles",
                            Text::TmdbTitles,
                            |s, lang| (lang.int(s.with_tmdb as u64), s.with_tmdb.to_string()),
                            |s, lang| {
                                format!(
                                    "{} {} {}",
                                    lang.t(Text::TmdbOf),
                                    lang.int(s.titles as u64),
                                    lang.t(Text::TmdbInView)
                                )
                            },
                        )}
                        {card(
                            "tmdb-budgets",
                            Text::TmdbWithBudget,
                            |s, lang| (lang.int(s.points.len() as u64), s.points.len().to_string()),
                            |_, lang| lang.t(Text::TmdbWithBudgetNote).to_string(),
                        )}
                        {card(
                            "tmdb-correlation",
                            Text::TmdbCorrelation,
                            |s, lang| match s.log_budget_rating_r {
                                Some(r) => (lang.dec(r, 2), format!("{r}")),
                                None => ("–".to_string(), String::new()),
                            },
                            |_, lang| lang.t(Text::TmdbCorrelationNote).to_string(),
                        )}
                    </div>
                    <div class="model-charts tmdb-charts">
                        // Two of the three model-chart columns: a scatter needs the width.
                        <figure class="model-figure" style:grid-column="1 / span 2">
                            <figcaption>{t(Text::BudgetChartTitle)}</figcaption>
                            <canvas
                                id="budget-chart"
                                class="scatter"
                                node_ref=canvas
                                role="img"
                                aria-label=t(Text::BudgetChartLabel)
                                data-points=move || summary.get().map(|s| s.points.len().to_string()).unwrap_or_default()
                            ></canvas>
                        </figure>
                    </div>
                </section>
            }
        })
    }
}

/// `$1k`, `$10M`, `$1bn`: a decade of dollars, short.
fn dollars(decade: i32) -> String {
    let (unit, exp) = match decade {
        d if d >= 9 => ("bn", 9),
        d if d >= 6 => ("M", 6),
        d if d >= 3 => ("k", 3),
        _ => ("", 0),
    };
    format!(
        "${}{unit}",
        10u64.saturating_pow((decade - exp).max(0) as u32)
    )
}

/// Budget (x, log10 of US dollars) against the IMDb rating (y): points counted per device pixel
/// in core and blended into the plot area in one `putImageData`.
fn draw_budget(
    canvas: &web_sys::HtmlCanvasElement,
    s: &TmdbSummary,
    lang: Lang,
    palette: Palette,
    accent: Rgb,
) -> Result<(), String> {
    let (ratio, _) = fit_canvas(canvas);
    let px = |v: f64| (v * ratio).round() as i32;
    let root = root(canvas, palette)?;

    let (lo, hi) = tmdb::budget_decades(&s.points);
    let (x_lo, x_hi) = (f64::from(lo), f64::from(hi));
    let font = |size: f64, color: Rgb| {
        ("system-ui, sans-serif", f64::from(px(size)))
            .into_font()
            .color(&rgb(color))
    };
    let mut chart = ChartBuilder::on(&root)
        .margin(px(10.0))
        // Room for the last decade's label ("$1bn"), centred on the axis's right end.
        .margin_right(px(24.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(40.0))
        .build_cartesian_2d(x_lo..x_hi, 1.0f64..10.0)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        // One label per decade: the axis is log10(budget).
        .x_labels((hi - lo + 1) as usize)
        .x_label_formatter(&|v| dollars(v.round() as i32))
        .y_labels(10)
        .y_label_formatter(&|v| lang.dec(*v, 0))
        .label_style(font(11.0, palette.muted))
        .axis_desc_style(font(12.0, palette.text))
        .x_desc(lang.t(Text::BudgetAxis))
        .y_desc(lang.t(Text::RatingAxis))
        .light_line_style(rgb(palette.background))
        .bold_line_style(rgb(palette.grid))
        .axis_style(rgb(palette.axis))
        .draw()
        .map_err(|e| e.to_string())?;

    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let (w, h) = (
        (xs.end - xs.start).max(1) as usize,
        (ys.end - ys.start).max(1) as usize,
    );
    let raster = scatter::raster(
        s.points
            .iter()
            .map(|p| ((p.budget as f64).log10(), p.rating)),
        w,
        h,
        Range { lo: x_lo, hi: x_hi },
        Range { lo: 1.0, hi: 10.0 },
    );
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or("the canvas has no 2d context")?
        .unchecked_into();
    let image = context
        .get_image_data(f64::from(xs.start), f64::from(ys.start), w as f64, h as f64)
        .map_err(|e| format!("{e:?}"))?;
    let mut pixels = image.data().0;
    if raster.max > 0 {
        let max = f64::from(raster.max).ln_1p();
        // A point is a few device pixels wide so a sparse scatter stays visible.
        let dot = (ratio * 1.5).round().max(1.0) as usize;
        for (i, &count) in raster.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let alpha = 0.45 + 0.55 * f64::from(count).ln_1p() / max;
            let (row, col) = (i / w, i % w);
            for r in row..(row + dot).min(h) {
                for c in col..(col + dot).min(w) {
                    let p = &mut pixels[(r * w + c) * 4..(r * w + c) * 4 + 4];
                    for (channel, target) in p.iter_mut().zip([accent.0, accent.1, accent.2]) {
                        *channel = (f64::from(*channel) * (1.0 - alpha) + f64::from(target) * alpha)
                            .round() as u8;
                    }
                    p[3] = 255;
                }
            }
        }
    }
    let blended =
        web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), w as u32, h as u32)
            .map_err(|e| format!("{e:?}"))?;
    context
        .put_image_data(&blended, f64::from(xs.start), f64::from(ys.start))
        .map_err(|e| format!("{e:?}"))?;
    root.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::dollars;

    #[test]
    fn decades_read_as_dollars() {
        assert_eq!(dollars(0), "$1");
        assert_eq!(dollars(3), "$1k");
        assert_eq!(dollars(5), "$100k");
        assert_eq!(dollars(6), "$1M");
        assert_eq!(dollars(8), "$100M");
        assert_eq!(dollars(9), "$1bn");
        assert_eq!(dollars(10), "$10bn");
    }
}
