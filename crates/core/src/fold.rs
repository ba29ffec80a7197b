//! Folding raw rows into titles.
//!
//! The raw files hold one row per (title, artist), so a title's own fields repeat on each of its
//! rows. [`TitleFolder`] keeps one [`Title`] per id, in order of first appearance, from the first
//! row that names it. A later row whose title fields differ is reported as a [`Disagreement`]
//! (the first value is kept): in the real data they never differ, so a disagreement means a broken
//! export, and hiding it would hide that.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::raw::RawRow;
use crate::title::{Kind, Title};

/// A repeated title field that differs from the value on the title's first row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub file: Arc<str>,
    /// The line of the disagreeing row.
    pub line: u64,
    /// The line of the title's first row, whose value is kept.
    pub first_line: u64,
    pub id: String,
    /// The raw column name.
    pub column: &'static str,
    /// The kept value, as the raw file writes it.
    pub kept: String,
    pub found: String,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: title {}: column {}: {:?} differs from {:?} on line {}; keeping the first",
            self.file, self.line, self.id, self.column, self.found, self.kept, self.first_line
        )
    }
}

/// How many titles have Comedy, Animation, and both among their genres.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenreCounts {
    /// Titles with Comedy (those with Animation too included).
    pub comedy: u64,
    /// Titles with Animation (those with Comedy too included).
    pub animation: u64,
    /// Titles with both.
    pub both: u64,
}

impl GenreCounts {
    pub fn of(titles: &[Title]) -> GenreCounts {
        let mut counts = GenreCounts::default();
        for title in titles {
            let group = title.genre_group();
            counts.comedy += u64::from(group.is_comedy());
            counts.animation += u64::from(group.is_animation());
            counts.both += u64::from(group.is_comedy() && group.is_animation());
        }
        counts
    }

    /// Titles with Comedy or Animation: those the refined zone keeps.
    pub fn either(self) -> u64 {
        self.comedy + self.animation - self.both
    }
}

/// The result of folding: titles in order of first appearance and the disagreements found.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    pub titles: Vec<Title>,
    /// The first disagreements, up to the folder's cap.
    pub disagreements: Vec<Disagreement>,
    /// All disagreements, including those past the cap.
    pub disagreement_count: u64,
}

/// Folds typed rows into titles; see the module docs.
#[derive(Debug)]
pub struct TitleFolder {
    kind: Kind,
    max_disagreements: usize,
    folded: Folded,
    /// Title id → (index in `titles`, line of its first row).
    index: HashMap<String, (usize, u64)>,
    /// The last title touched: rows of one title are usually adjacent, so most rows skip hashing.
    last: Option<(usize, u64)>,
}

impl TitleFolder {
    /// A folder for rows of `kind` keeping at most `max_disagreements` disagreement reports.
    pub fn new(kind: Kind, max_disagreements: usize) -> TitleFolder {
        TitleFolder {
            kind,
            max_disagreements,
            folded: Folded::default(),
            index: HashMap::new(),
            last: None,
        }
    }

    /// Adds one row: a new title, or a check of the repeated fields against the kept title.
    pub fn push(&mut self, row: &RawRow<'_>, file: &Arc<str>) {
        let known = match self.last {
            Some((at, line)) if self.folded.titles[at].id == row.id => Some((at, line)),
            _ => self.index.get(row.id).copied(),
        };
        let Some((at, first_line)) = known else {
            let at = self.folded.titles.len();
            self.folded.titles.push(title_of(self.kind, row));
            self.index.insert(row.id.to_string(), (at, row.line));
            self.last = Some((at, row.line));
            return;
        };
        self.last = Some((at, first_line));
        let kept = &self.folded.titles[at];
        let null = || crate::raw::NULL.to_string();
        let text = |t: Option<&str>| t.map_or_else(null, str::to_string);
        let show = |v: Option<String>| v.unwrap_or_else(null);
        let genres = |list: String| if list.is_empty() { null() } else { list };
        // Only differing fields are formatted: repeated rows are the common case and must stay
        // allocation-free.
        let mut found = Vec::new();
        if kept.title != row.title {
            found.push(("tituloPincipal", kept.title.clone(), row.title.to_string()));
        }
        if kept.original_title.as_deref() != row.original_title {
            let pair = (
                text(kept.original_title.as_deref()),
                text(row.original_title),
            );
            found.push(("tituloOriginal", pair.0, pair.1));
        }
        if kept.year != row.year {
            let pair = (
                kept.year.map(|y| y.to_string()),
                row.year.map(|y| y.to_string()),
            );
            found.push(("anoLancamento", show(pair.0), show(pair.1)));
        }
        if kept.end_year != row.end_year {
            let pair = (
                kept.end_year.map(|y| y.to_string()),
                row.end_year.map(|y| y.to_string()),
            );
            found.push(("anoTermino", show(pair.0), show(pair.1)));
        }
        if kept.runtime_minutes != row.runtime_minutes {
            let pair = (
                kept.runtime_minutes.map(|m| m.to_string()),
                row.runtime_minutes.map(|m| m.to_string()),
            );
            found.push(("tempoMinutos", show(pair.0), show(pair.1)));
        }
        if !list_equals(row.genres.as_str(), &kept.genres) {
            let pair = (
                genres(kept.genres.join(",")),
                genres(row.genres.as_str().to_string()),
            );
            found.push(("genero", pair.0, pair.1));
        }
        if kept.rating != row.rating {
            let pair = (
                kept.rating.map(|r| r.to_string()),
                row.rating.map(|r| r.to_string()),
            );
            found.push(("notaMedia", show(pair.0), show(pair.1)));
        }
        if kept.votes != row.votes {
            let pair = (
                kept.votes.map(|v| v.to_string()),
                row.votes.map(|v| v.to_string()),
            );
            found.push(("numeroVotos", show(pair.0), show(pair.1)));
        }
        for (column, kept, new) in found {
            self.folded.disagreement_count += 1;
            if self.folded.disagreements.len() < self.max_disagreements {
                self.folded.disagreements.push(Disagreement {
                    file: file.clone(),
                    line: row.line,
                    first_line,
                    id: row.id.to_string(),
                    column,
                    kept,
                    found: new,
                });
            }
        }
    }

    /// The titles folded so far.
    pub fn titles(&self) -> &[Title] {
        &self.folded.titles
    }

    pub fn finish(self) -> Folded {
        self.folded
    }
}

/// Whether a comma-separated list spells exactly `items`, without splitting it.
fn list_equals(list: &str, items: &[String]) -> bool {
    let mut rest = list;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            match rest.strip_prefix(',') {
                Some(after) => rest = after,
                None => return false,
            }
        }
        match rest.strip_prefix(item.as_str()) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

/// The title a row describes.
pub fn title_of(kind: Kind, row: &RawRow<'_>) -> Title {
    Title {
        kind,
        id: row.id.to_string(),
        title: row.title.to_string(),
        original_title: row.original_title.map(str::to_string),
        year: row.year,
        end_year: row.end_year,
        runtime_minutes: row.runtime_minutes,
        genres: row.genres.to_vec(),
        rating: row.rating,
        votes: row.votes,
        tmdb: None,
    }
}
