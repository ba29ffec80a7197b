//! From the extract stage's Arrow rows to [`Title`]s and the dashboard extract CSV.
//!
//! Both engines end here: DataFusion's extract rows come straight from the query, Spark's from the
//! Parquet its driver wrote. Writing the CSV with the core crate's [`ExtractWriter`] means the
//! extract follows the contract the dashboard reads, whichever engine ran.

use std::sync::Arc;

use cinelake_core::extract::{Columns, ExtractWriter};
use cinelake_core::{Kind, Rating, Title, Tmdb, Year};
use datafusion::arrow::array::{
    Array, ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;

use crate::RefineError;

/// One column of a batch, cast to `to` (the engines differ in string and integer widths).
fn column(batch: &RecordBatch, name: &str, to: &DataType) -> Result<ArrayRef, RefineError> {
    let array = batch
        .column_by_name(name)
        .ok_or_else(|| RefineError::ExtractSchema {
            message: format!("no column {name}"),
        })?;
    cast(array, to).map_err(|e| RefineError::ExtractSchema {
        message: format!("column {name}: {e}"),
    })
}

fn strings(batch: &RecordBatch, name: &str) -> Result<Arc<StringArray>, RefineError> {
    let array = column(batch, name, &DataType::Utf8)?;
    // `cast` to Utf8 returns a StringArray, so this downcast cannot fail.
    Ok(Arc::new(
        array
            .as_any()
            .downcast_ref::<StringArray>()
            .cloned()
            .ok_or_else(|| RefineError::ExtractSchema {
                message: format!("column {name}: not text"),
            })?,
    ))
}

fn integers(batch: &RecordBatch, name: &str) -> Result<Arc<Int64Array>, RefineError> {
    let array = column(batch, name, &DataType::Int64)?;
    Ok(Arc::new(
        array
            .as_any()
            .downcast_ref::<Int64Array>()
            .cloned()
            .ok_or_else(|| RefineError::ExtractSchema {
                message: format!("column {name}: not an integer"),
            })?,
    ))
}

fn floats(batch: &RecordBatch, name: &str) -> Result<Arc<Float64Array>, RefineError> {
    let array = column(batch, name, &DataType::Float64)?;
    Ok(Arc::new(
        array
            .as_any()
            .downcast_ref::<Float64Array>()
            .cloned()
            .ok_or_else(|| RefineError::ExtractSchema {
                message: format!("column {name}: not a float"),
            })?,
    ))
}

/// Converts extract rows (`kind, id, title, original_title, year, end_year, runtime_minutes,
/// genres, rating, votes`, genres `;`-joined, rating a decimal with one place, then the TMDB
/// columns `budget, revenue, popularity, tmdb_vote_average, tmdb_vote_count,
/// production_countries`, countries `;`-joined) to titles.
pub fn titles_from_batches(batches: &[RecordBatch]) -> Result<Vec<Title>, RefineError> {
    let mut titles = Vec::new();
    for batch in batches {
        let kind = strings(batch, "kind")?;
        let id = strings(batch, "id")?;
        let title = strings(batch, "title")?;
        let original_title = strings(batch, "original_title")?;
        let year = integers(batch, "year")?;
        let end_year = integers(batch, "end_year")?;
        let runtime = integers(batch, "runtime_minutes")?;
        let genres = strings(batch, "genres")?;
        let votes = integers(batch, "votes")?;
        let budget = integers(batch, "budget")?;
        let revenue = integers(batch, "revenue")?;
        let popularity = floats(batch, "popularity")?;
        let vote_average = floats(batch, "tmdb_vote_average")?;
        let vote_count = integers(batch, "tmdb_vote_count")?;
        let countries = strings(batch, "production_countries")?;
        // Tenths as an integer: DECIMAL(3,1) 7.5 is stored as 75 at scale 1.
        let rating = column(batch, "rating", &DataType::Decimal128(4, 1))?;
        let rating = rating
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .cloned()
            .ok_or_else(|| RefineError::ExtractSchema {
                message: "column rating: not a decimal".to_string(),
            })?;

        for row in 0..batch.num_rows() {
            let text = |a: &StringArray| (!a.is_null(row)).then(|| a.value(row).to_string());
            let int = |a: &Int64Array| (!a.is_null(row)).then(|| a.value(row));
            let id_text = text(&id).unwrap_or_default();
            let bad = |reason: String| RefineError::ExtractRow {
                id: id_text.clone(),
                reason,
            };
            let year_of = |value: Option<i64>, name: &str| -> Result<Option<Year>, RefineError> {
                value
                    .map(|v| {
                        u16::try_from(v)
                            .ok()
                            .and_then(Year::new)
                            .ok_or_else(|| bad(format!("{name} {v} is not a year in 1850-2100")))
                    })
                    .transpose()
            };
            let kind = text(&kind)
                .as_deref()
                .and_then(Kind::parse)
                .ok_or_else(|| bad("kind is not movie or series".to_string()))?;
            let rating = if rating.is_null(row) {
                None
            } else {
                let tenths = rating.value(row);
                Some(
                    u8::try_from(tenths)
                        .ok()
                        .and_then(Rating::from_tenths)
                        .ok_or_else(|| bad(format!("rating {tenths} tenths is not in 1.0-10.0")))?,
                )
            };
            let runtime_minutes = int(&runtime)
                .map(|v| u32::try_from(v).map_err(|_| bad(format!("runtime {v} is out of range"))))
                .transpose()?;
            let votes = int(&votes)
                .map(|v| u64::try_from(v).map_err(|_| bad(format!("votes {v} is negative"))))
                .transpose()?;
            let count = |a: &Int64Array, name: &str| {
                int(a)
                    .map(|v| u64::try_from(v).map_err(|_| bad(format!("{name} {v} is negative"))))
                    .transpose()
            };
            let float = |a: &Float64Array| (!a.is_null(row)).then(|| a.value(row));
            let tmdb = Tmdb {
                budget: count(&budget, "budget")?,
                revenue: count(&revenue, "revenue")?,
                popularity: float(&popularity),
                vote_average: float(&vote_average),
                vote_count: count(&vote_count, "tmdb_vote_count")?,
                production_countries: text(&countries)
                    .map(|c| c.split(';').map(str::to_string).collect())
                    .unwrap_or_default(),
            };
            titles.push(Title {
                kind,
                id: id_text.clone(),
                title: text(&title).ok_or_else(|| bad("title is null".to_string()))?,
                original_title: text(&original_title),
                year: year_of(int(&year), "year")?,
                end_year: year_of(int(&end_year), "end_year")?,
                runtime_minutes,
                genres: text(&genres)
                    .map(|g| g.split(';').map(str::to_string).collect())
                    .unwrap_or_default(),
                rating,
                votes,
                tmdb: (!tmdb.is_empty()).then_some(tmdb),
            });
        }
    }
    Ok(titles)
}

/// Writes titles as the dashboard extract (header + one line per title), with the TMDB columns
/// only when some title has TMDB data: without any, the extract is what it was before the join.
pub fn extract_csv(titles: &[Title]) -> Result<Vec<u8>, RefineError> {
    let mut writer = ExtractWriter::with_columns(Vec::new(), Columns::for_titles(titles))
        .map_err(RefineError::Extract)?;
    for title in titles {
        writer.write(title).map_err(RefineError::Extract)?;
    }
    writer.finish().map_err(RefineError::Extract)
}
