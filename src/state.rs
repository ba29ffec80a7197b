//! What the reader chose (filters, comparison, the model and its seed, language, theme) and its
//! round trip through the URL's query string, so that a view can be shared by copying the address.
//!
//! Parsing is forgiving: an unknown or malformed parameter is ignored rather than refused, since
//! a shared link should open on something sensible.

use cinelake_core::model::ModelKind;
use cinelake_core::yearly::{GROUPS, KINDS, group_name, parse_group};
use cinelake_core::{GenreGroup, Kind};

use crate::i18n::Lang;

/// How the charts split the titles into lines and bar stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    /// Movies vs series.
    #[default]
    Kind,
    /// Comedy vs Animation vs both.
    Genre,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// The model's seed when the URL names none.
pub const DEFAULT_SEED: u64 = 42;
/// Years the trend projects when the URL names none.
pub const DEFAULT_HORIZON: u16 = 5;
/// The longest projection offered (a trend line far beyond the data says little).
pub const MAX_HORIZON: u16 = 30;

/// The reader's choices. Year bounds of `None` mean "the data's first/last year".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewState {
    pub kinds: [bool; 2],
    pub groups: [bool; 4],
    pub from: Option<u16>,
    pub to: Option<u16>,
    pub min_votes: u64,
    pub weighted: bool,
    pub split: Split,
    /// The rating model (issue 8) and the seed of its split and forest.
    pub model: ModelKind,
    pub seed: u64,
    /// Whether the model adds the TMDB features (offered only for an extract with TMDB data;
    /// ignored for one without, so a shared link never breaks the model).
    pub tmdb_features: bool,
    /// Years the rating chart's trend projects.
    pub horizon: u16,
    /// `None` follows the browser's language.
    pub lang: Option<Lang>,
    /// `None` follows the system's preference.
    pub theme: Option<Theme>,
}

impl Default for ViewState {
    fn default() -> ViewState {
        ViewState {
            kinds: [true; 2],
            groups: [true; 4],
            from: None,
            to: None,
            min_votes: 0,
            weighted: false,
            split: Split::Kind,
            model: ModelKind::Linear,
            seed: DEFAULT_SEED,
            tmdb_features: false,
            horizon: DEFAULT_HORIZON,
            lang: None,
            theme: None,
        }
    }
}

impl ViewState {
    /// The core filter for these choices.
    pub fn filter(&self) -> cinelake_core::yearly::Filter {
        cinelake_core::yearly::Filter {
            kinds: self.kinds,
            groups: self.groups,
            years: (self.from.unwrap_or(0), self.to.unwrap_or(u16::MAX)),
            min_votes: self.min_votes,
        }
    }

    /// Reads the choices from `key=value` pairs (already URL-decoded); the rest is default.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ViewState {
        let mut state = ViewState::default();
        for (key, value) in pairs {
            match key {
                "kind" => {
                    let kinds: Vec<Kind> = value.split(',').filter_map(Kind::parse).collect();
                    if !kinds.is_empty() {
                        state.kinds = KINDS.map(|kind| kinds.contains(&kind));
                    }
                }
                "genre" => {
                    let groups: Vec<GenreGroup> =
                        value.split(',').filter_map(parse_group).collect();
                    if !groups.is_empty() {
                        state.groups = GROUPS.map(|group| groups.contains(&group));
                    }
                }
                "from" => state.from = value.parse().ok(),
                "to" => state.to = value.parse().ok(),
                "min_votes" => state.min_votes = value.parse().unwrap_or(0),
                "weighted" => state.weighted = value == "1",
                "split" => {
                    state.split = if value == "genre" {
                        Split::Genre
                    } else {
                        Split::Kind
                    }
                }
                "model" => state.model = ModelKind::parse(value).unwrap_or_default(),
                "seed" => state.seed = value.parse().unwrap_or(DEFAULT_SEED),
                "tmdb_features" => state.tmdb_features = value == "1",
                "horizon" => {
                    state.horizon = value
                        .parse::<u16>()
                        .map_or(DEFAULT_HORIZON, |h| h.min(MAX_HORIZON))
                }
                "lang" => state.lang = Lang::parse(value),
                "theme" => {
                    state.theme = match value {
                        "dark" => Some(Theme::Dark),
                        "light" => Some(Theme::Light),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        state
    }

    /// The non-default choices as `key=value` pairs (values need no URL encoding), in a fixed
    /// order so that equal states give equal URLs.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let default = ViewState::default();
        let mut pairs = Vec::new();
        if self.kinds != default.kinds {
            let kinds: Vec<&str> = KINDS
                .iter()
                .zip(self.kinds)
                .filter(|(_, on)| *on)
                .map(|(kind, _)| kind.as_str())
                .collect();
            // No kind at all has no spelling in the list form; `none` parses to "all" on the
            // way back, which beats a link that opens on an empty page.
            pairs.push(("kind", kinds.join(",")));
        }
        if self.groups != default.groups {
            let groups: Vec<&str> = GROUPS
                .iter()
                .zip(self.groups)
                .filter(|(_, on)| *on)
                .map(|(group, _)| group_name(*group))
                .collect();
            pairs.push(("genre", groups.join(",")));
        }
        if let Some(from) = self.from {
            pairs.push(("from", from.to_string()));
        }
        if let Some(to) = self.to {
            pairs.push(("to", to.to_string()));
        }
        if self.min_votes > 0 {
            pairs.push(("min_votes", self.min_votes.to_string()));
        }
        if self.weighted {
            pairs.push(("weighted", "1".into()));
        }
        if self.split == Split::Genre {
            pairs.push(("split", "genre".into()));
        }
        if self.model != default.model {
            pairs.push(("model", self.model.as_str().into()));
        }
        if self.seed != default.seed {
            pairs.push(("seed", self.seed.to_string()));
        }
        if self.tmdb_features {
            pairs.push(("tmdb_features", "1".into()));
        }
        if self.horizon != default.horizon {
            pairs.push(("horizon", self.horizon.to_string()));
        }
        if let Some(lang) = self.lang {
            pairs.push(("lang", lang.code().into()));
        }
        if let Some(theme) = self.theme {
            pairs.push(("theme", theme.name().into()));
        }
        pairs
    }
}
