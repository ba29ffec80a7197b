//! The two yearly charts: what they show ([`ChartData`], derived from core's [`Yearly`]) and how
//! they are drawn on a canvas with plotters.
//!
//! Both charts share one x range (each year ± half a year, so bars and points sit on whole
//! years) and the same margins, so their plot areas line up and one hovered year means the same
//! pixel column in both. Tooltips are not drawn here: [`Layout`] gives the plot area in CSS
//! pixels and the page maps the mouse back to a year and shows a DOM overlay.

use cinelake_core::yearly::{GROUPS, KINDS, Yearly};
use cinelake_core::{GenreGroup, Kind};
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use crate::i18n::{Lang, Text};
use crate::state::{Split, Theme};

/// A colour as the canvas and CSS both take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn css(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    fn plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// A theme's colours for the canvas (the page's CSS holds the same values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub background: Rgb,
    pub text: Rgb,
    pub muted: Rgb,
    pub grid: Rgb,
    pub axis: Rgb,
}

impl Palette {
    pub fn of(theme: Theme) -> Palette {
        match theme {
            Theme::Light => Palette {
                background: Rgb(0xff, 0xff, 0xff),
                text: Rgb(0x1d, 0x23, 0x30),
                muted: Rgb(0x5b, 0x64, 0x75),
                grid: Rgb(0xec, 0xee, 0xf2),
                axis: Rgb(0xc3, 0xc9, 0xd3),
            },
            Theme::Dark => Palette {
                background: Rgb(0x1a, 0x1f, 0x2b),
                text: Rgb(0xe6, 0xe9, 0xef),
                muted: Rgb(0x9a, 0xa3, 0xb2),
                grid: Rgb(0x29, 0x30, 0x3d),
                axis: Rgb(0x45, 0x4e, 0x5f),
            },
        }
    }
}

/// The colour of a kind's line and bars.
pub fn kind_color(kind: Kind, theme: Theme) -> Rgb {
    match (kind, theme) {
        (Kind::Movie, Theme::Light) => Rgb(0x2f, 0x6f, 0xed),
        (Kind::Movie, Theme::Dark) => Rgb(0x6e, 0x9b, 0xff),
        (Kind::Series, Theme::Light) => Rgb(0xe8, 0x59, 0x0c),
        (Kind::Series, Theme::Dark) => Rgb(0xff, 0x92, 0x2b),
    }
}

/// The colour of a genre group's line and bars.
pub fn group_color(group: GenreGroup, theme: Theme) -> Rgb {
    let dark = theme == Theme::Dark;
    match group {
        GenreGroup::Comedy if dark => Rgb(0xfc, 0xc4, 0x19),
        GenreGroup::Comedy => Rgb(0xe6, 0x77, 0x00),
        GenreGroup::Animation if dark => Rgb(0xb1, 0x97, 0xfc),
        GenreGroup::Animation => Rgb(0x70, 0x48, 0xe8),
        GenreGroup::Both if dark => Rgb(0x38, 0xd9, 0xa9),
        GenreGroup::Both => Rgb(0x0c, 0xa6, 0x78),
        GenreGroup::Other => Rgb(0x86, 0x8e, 0x96),
    }
}

pub fn group_text(group: GenreGroup) -> Text {
    match group {
        GenreGroup::Comedy => Text::Comedy,
        GenreGroup::Animation => Text::Animation,
        GenreGroup::Both => Text::Both,
        GenreGroup::Other => Text::Other,
    }
}

pub fn kind_text(kind: Kind) -> Text {
    match kind {
        Kind::Movie => Text::Movies,
        Kind::Series => Text::Series,
    }
}

/// One line (rating chart) or one bar stack layer (releases chart).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: &'static str,
    pub color: Rgb,
    /// One value per year of [`ChartData::years`]; `None` where the year has no rated title.
    pub values: Vec<Option<f64>>,
    /// Titles behind each value (shown in tooltips).
    pub counts: Vec<u64>,
}

/// What one chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub years: Vec<u16>,
    pub series: Vec<Series>,
    /// The trend of the yearly mean rating projected past the data (rating chart only).
    pub projection: Option<Projection>,
    /// Extends the x axis to this year (both charts, so their years stay aligned).
    pub extend_to: Option<u16>,
}

/// A straight trend drawn dashed from the last year with data through the projected years,
/// with its prediction interval as a light band (`cinelake_core::model::trend`).
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub label: &'static str,
    pub color: Rgb,
    /// The line's value at the last year with data, where the dashes start.
    pub start: (u16, f64),
    /// (year, predicted, lower, upper) for each projected year.
    pub forecasts: Vec<(u16, f64, f64, f64)>,
}

impl ChartData {
    pub fn is_empty(&self) -> bool {
        self.years.is_empty()
    }

    /// The index of `year` in [`ChartData::years`].
    pub fn index_of(&self, year: u16) -> Option<usize> {
        let first = *self.years.first()?;
        let index = usize::from(year.checked_sub(first)?);
        (index < self.years.len()).then_some(index)
    }
}

/// The series a split shows: every kind or every genre group that has titles after filtering.
fn parts(
    yearly: &Yearly,
    split: Split,
    theme: Theme,
    lang: Lang,
) -> Vec<(Part, &'static str, Rgb)> {
    let has = |part: Part| yearly.rows.iter().any(|row| part.cell(row).titles > 0);
    let all: Vec<(Part, &'static str, Rgb)> = match split {
        Split::Kind => KINDS
            .iter()
            .map(|kind| {
                (
                    Part::Kind(*kind),
                    lang.t(kind_text(*kind)),
                    kind_color(*kind, theme),
                )
            })
            .collect(),
        Split::Genre => GROUPS
            .iter()
            .map(|group| {
                let label = lang.t(group_text(*group));
                (Part::Group(*group), label, group_color(*group, theme))
            })
            .collect(),
    };
    all.into_iter().filter(|(part, _, _)| has(*part)).collect()
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Kind(Kind),
    Group(GenreGroup),
}

impl Part {
    fn cell(self, row: &cinelake_core::yearly::YearRow) -> cinelake_core::yearly::Cell {
        match self {
            Part::Kind(kind) => row.by_kind(kind),
            Part::Group(group) => row.by_group(group),
        }
    }
}

/// The mean rating per year, one line per part of the split.
pub fn rating_data(
    yearly: &Yearly,
    split: Split,
    weighted: bool,
    theme: Theme,
    lang: Lang,
) -> ChartData {
    build(yearly, split, theme, lang, |cell| cell.mean(weighted))
}

/// Titles released per year, one bar layer per part of the split.
pub fn releases_data(yearly: &Yearly, split: Split, theme: Theme, lang: Lang) -> ChartData {
    build(yearly, split, theme, lang, |cell| Some(cell.titles as f64))
}

fn build(
    yearly: &Yearly,
    split: Split,
    theme: Theme,
    lang: Lang,
    value: impl Fn(&cinelake_core::yearly::Cell) -> Option<f64>,
) -> ChartData {
    let series = parts(yearly, split, theme, lang)
        .into_iter()
        .map(|(part, label, color)| {
            let cells: Vec<_> = yearly.rows.iter().map(|row| part.cell(row)).collect();
            Series {
                label,
                color,
                values: cells.iter().map(&value).collect(),
                counts: cells.iter().map(|cell| cell.titles).collect(),
            }
        })
        .collect();
    ChartData {
        years: yearly.rows.iter().map(|row| row.year).collect(),
        series,
        projection: None,
        extend_to: None,
    }
}

/// Where the plot area landed, in CSS pixels of the canvas, and the years it spans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub first_year: u16,
    /// The last year with data (hover and keyboard stop here).
    pub last_year: u16,
    /// The x axis's last year: later than `last_year` when a trend is projected.
    pub axis_last: u16,
}

impl Layout {
    /// The year under a horizontal CSS pixel position, if it is inside the plot area.
    pub fn year_at(&self, x: f64) -> Option<u16> {
        if x < self.left || x > self.right || self.right <= self.left {
            return None;
        }
        let span = f64::from(self.axis_last - self.first_year) + 1.0;
        let offset = ((x - self.left) / (self.right - self.left) * span).floor();
        let year = f64::from(self.first_year) + offset.min(span - 1.0);
        Some((year as u16).min(self.last_year))
    }

    /// The horizontal CSS pixel position of a year's centre.
    pub fn x_of(&self, year: u16) -> f64 {
        let span = f64::from(self.axis_last - self.first_year) + 1.0;
        let t = (f64::from(year) - f64::from(self.first_year) + 0.5) / span;
        self.left + t * (self.right - self.left)
    }
}

/// How a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One line per series (the rating chart).
    Lines,
    /// Stacked bars (the releases chart).
    StackedBars,
}

/// Axis titles and number formatting for one chart.
pub struct Axes<'a> {
    pub x: &'a str,
    pub y: &'a str,
    pub lang: Lang,
    /// Decimals of the y labels.
    pub y_places: usize,
}

/// Draws `data` on `canvas` at its current CSS size and the device's pixel ratio.
pub fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    data: &ChartData,
    style: Style,
    axes: &Axes,
    palette: Palette,
) -> Result<Layout, String> {
    let ratio = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let css_width = f64::from(canvas.client_width().max(200));
    let css_height = f64::from(canvas.client_height().max(150));
    canvas.set_width((css_width * ratio).round() as u32);
    canvas.set_height((css_height * ratio).round() as u32);
    let px = |v: f64| (v * ratio).round() as i32;
    let narrow = css_width < 520.0;

    let backend = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| "the canvas has no 2d context".to_string())?;
    let root = backend.into_drawing_area();
    root.fill(&palette.background.plotters())
        .map_err(|e| e.to_string())?;
    let (Some(first), Some(last)) = (data.years.first(), data.years.last()) else {
        return Ok(Layout {
            left: 0.0,
            right: 0.0,
            top: 0.0,
            bottom: 0.0,
            first_year: 0,
            last_year: 0,
            axis_last: 0,
        });
    };
    let axis_last = data.extend_to.map_or(*last, |year| year.max(*last));
    let x_range = f64::from(*first) - 0.5..f64::from(axis_last) + 0.5;
    let y_range = match style {
        Style::Lines => {
            let projected = data.projection.iter().flat_map(|p| {
                p.forecasts
                    .iter()
                    .flat_map(|&(_, mid, lo, hi)| [mid, lo, hi])
                    .chain([p.start.1])
            });
            let values = data
                .series
                .iter()
                .flat_map(|s| s.values.iter().flatten().copied())
                .chain(projected);
            let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            if lo.is_finite() {
                let pad = ((hi - lo) * 0.08).max(0.25);
                (lo - pad).max(0.0)..(hi + pad).min(10.5)
            } else {
                1.0..10.0
            }
        }
        Style::StackedBars => {
            let top = (0..data.years.len())
                .map(|i| data.series.iter().filter_map(|s| s.values[i]).sum::<f64>())
                .fold(0.0, f64::max);
            0.0..(top * 1.08).max(1.0)
        }
    };

    let font = |size: f64, color: Rgb| {
        ("system-ui, sans-serif", f64::from(px(size)))
            .into_font()
            .color(&color.plotters())
    };
    let mut chart = ChartBuilder::on(&root)
        .margin_top(px(12.0))
        .margin_right(px(if narrow { 8.0 } else { 16.0 }))
        .margin_left(px(4.0))
        .margin_bottom(px(4.0))
        .x_label_area_size(px(if narrow { 38.0 } else { 42.0 }))
        .y_label_area_size(px(if narrow { 50.0 } else { 62.0 }))
        .build_cartesian_2d(x_range, y_range)
        .map_err(|e| e.to_string())?;
    let lang = axes.lang;
    let x_labels = ((css_width / 90.0) as usize).clamp(3, 12);
    let y_places = axes.y_places;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(x_labels)
        .y_labels(6)
        .x_label_formatter(&|x| format!("{:.0}", x))
        .y_label_formatter(&|y| lang.dec(*y, y_places))
        .label_style(font(11.5, palette.muted))
        .axis_desc_style(font(12.0, palette.text))
        .x_desc(axes.x)
        .y_desc(axes.y)
        .light_line_style(palette.background.plotters())
        .bold_line_style(palette.grid.plotters())
        .axis_style(palette.axis.plotters())
        .set_all_tick_mark_size(px(3.0))
        .draw()
        .map_err(|e| e.to_string())?;

    let years = &data.years;
    match style {
        Style::Lines => {
            let width = px(2.0).max(1) as u32;
            for series in &data.series {
                let color = series.color.plotters();
                // Years without a value break the line instead of bridging the gap.
                let mut run: Vec<(f64, f64)> = Vec::new();
                let flush = |run: &mut Vec<(f64, f64)>,
                             chart: &mut ChartContext<'_, CanvasBackend, _>|
                 -> Result<(), String> {
                    match run.len() {
                        0 => {}
                        1 => {
                            chart
                                .draw_series(std::iter::once(Circle::new(
                                    run[0],
                                    px(2.5),
                                    color.filled(),
                                )))
                                .map_err(|e| e.to_string())?;
                        }
                        _ => {
                            chart
                                .draw_series(LineSeries::new(
                                    run.iter().copied(),
                                    color.stroke_width(width),
                                ))
                                .map_err(|e| e.to_string())?;
                        }
                    }
                    run.clear();
                    Ok(())
                };
                for (year, value) in years.iter().zip(&series.values) {
                    match value {
                        Some(v) => run.push((f64::from(*year), *v)),
                        None => flush(&mut run, &mut chart)?,
                    }
                }
                flush(&mut run, &mut chart)?;
            }
        }
        Style::StackedBars => {
            let mut base = vec![0.0; years.len()];
            // Bars narrower than a few pixels lose their gap, which reads better than slivers.
            let plot_width = css_width - 80.0;
            let gap = if plot_width / years.len() as f64 > 6.0 {
                0.38
            } else {
                0.5
            };
            for series in &data.series {
                let color = series.color.plotters();
                let bars: Vec<_> = years
                    .iter()
                    .enumerate()
                    .filter_map(|(i, year)| {
                        let value = series.values[i].filter(|v| *v > 0.0)?;
                        let x = f64::from(*year);
                        let bar = Rectangle::new(
                            [(x - gap, base[i]), (x + gap, base[i] + value)],
                            color.filled(),
                        );
                        base[i] += value;
                        Some(bar)
                    })
                    .collect();
                chart.draw_series(bars).map_err(|e| e.to_string())?;
            }
        }
    }
    if let Some(projection) = &data.projection {
        let color = projection.color.plotters();
        let (start_year, start_value) = projection.start;
        let start = (f64::from(start_year), start_value);
        // The band: upper edge forward, lower edge back, starting from the line's start.
        let band: Vec<(f64, f64)> = std::iter::once(start)
            .chain(projection.forecasts.iter().map(|f| (f64::from(f.0), f.3)))
            .chain(
                projection
                    .forecasts
                    .iter()
                    .rev()
                    .map(|f| (f64::from(f.0), f.2)),
            )
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.14).filled(),
            )))
            .map_err(|e| e.to_string())?;
        let line: Vec<(f64, f64)> = std::iter::once(start)
            .chain(projection.forecasts.iter().map(|f| (f64::from(f.0), f.1)))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                line,
                px(6.0),
                px(4.0),
                color.stroke_width(px(2.0).max(1) as u32),
            ))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())?;

    let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
    Ok(Layout {
        left: f64::from(x_pixels.start) / ratio,
        right: f64::from(x_pixels.end) / ratio,
        top: f64::from(y_pixels.start) / ratio,
        bottom: f64::from(y_pixels.end) / ratio,
        first_year: *first,
        last_year: *last,
        axis_last,
    })
}
