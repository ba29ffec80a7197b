//! The interface's two languages (English and Brazilian Portuguese) and number formatting.
//!
//! Every visible string goes through [`Lang::t`], so a missing translation is a compile error
//! (a missing match arm) rather than a blank label. Numbers follow each locale's habits:
//! `1,234.5` in English, `1.234,5` in pt-BR.

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    PtBr,
}

/// Every string the interface shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Tagline,
    Titles,
    Movies,
    Series,
    MeanRating,
    VoteWeighted,
    TotalVotes,
    YearSpan,
    Rated,
    Filters,
    Kind,
    Genre,
    Comedy,
    Animation,
    Both,
    Other,
    FromYear,
    ToYear,
    MinVotes,
    Reset,
    SplitBy,
    ByKind,
    ByGenre,
    RatingChartTitle,
    RatingChartTitleWeighted,
    ReleasesChartTitle,
    Year,
    MeanRatingAxis,
    TitlesAxis,
    ExportCsv,
    ExportPng,
    Theme,
    Dark,
    Light,
    Language,
    Loading,
    Downloading,
    Parsing,
    Rows,
    DropTitle,
    DropHint,
    ChooseFile,
    NoManifest,
    BadRows,
    NoMatch,
    Source,
    ErrorTitle,
    Retry,
    ChartHint,
    UndatedNote,
    // The TMDB section (issue 10).
    TmdbTitle,
    TmdbTitles,
    TmdbOf,
    TmdbInView,
    TmdbWithBudget,
    TmdbWithBudgetNote,
    TmdbCorrelation,
    TmdbCorrelationNote,
    BudgetChartTitle,
    BudgetChartLabel,
    BudgetAxis,
    RatingAxis,
    TmdbFeatures,
    Undefined,
    // The model section (issue 8).
    ModelTitle,
    Model,
    LinearRegression,
    RandomForest,
    Seed,
    TrendYears,
    TrendLabel,
    Training,
    TrainingTrees,
    TooFewRows,
    UsableTitles,
    Excluded,
    NoYear,
    NoRuntime,
    NoVotes,
    NoRating,
    NoTmdb,
    UseTmdbFeatures,
    UseTmdbFeaturesNote,
    Train,
    Test,
    Baseline,
    BaselineNote,
    Lower,
    Higher,
    ScatterCaption,
    ScatterLabel,
    HistogramCaption,
    HistogramLabel,
    ByYearCaption,
    ByYearLabel,
    LargestErrors,
    TitleColumn,
    YearColumn,
    Actual,
    Predicted,
    ErrorColumn,
    ActualAxis,
    PredictedAxis,
    ResidualAxis,
    TitlesCountAxis,
    YearAxis,
    MeanResidualAxis,
}

impl Lang {
    /// The URL and `<html lang>` spelling.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::PtBr => "pt-BR",
        }
    }

    /// Parses [`Lang::code`]'s spelling, also accepting `pt`.
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "en" => Some(Lang::En),
            "pt-BR" | "pt" | "pt-br" => Some(Lang::PtBr),
            _ => None,
        }
    }

    pub fn t(self, text: Text) -> &'static str {
        use Text::*;
        let (en, pt) = match text {
            Tagline => (
                "Comedy & Animation on IMDb: how ratings and releases changed year by year",
                "Comédia e Animação no IMDb: como notas e lançamentos mudaram ano a ano",
            ),
            Titles => ("Titles", "Títulos"),
            Movies => ("Movies", "Filmes"),
            Series => ("Series", "Séries"),
            MeanRating => ("Mean rating", "Nota média"),
            VoteWeighted => ("Vote-weighted", "Ponderada por votos"),
            TotalVotes => ("Total votes", "Total de votos"),
            YearSpan => ("Years", "Anos"),
            Rated => ("rated", "com nota"),
            Filters => ("Filters", "Filtros"),
            Kind => ("Kind", "Tipo"),
            Genre => ("Genre", "Gênero"),
            Comedy => ("Comedy", "Comédia"),
            Animation => ("Animation", "Animação"),
            Both => ("Comedy + Animation", "Comédia + Animação"),
            Other => ("Other", "Outros"),
            FromYear => ("From", "De"),
            ToYear => ("To", "Até"),
            MinVotes => ("Min. votes", "Mín. de votos"),
            Reset => ("Reset", "Limpar"),
            SplitBy => ("Compare", "Comparar"),
            ByKind => ("Movies vs series", "Filmes × séries"),
            ByGenre => ("By genre", "Por gênero"),
            RatingChartTitle => ("Mean rating per year", "Nota média por ano"),
            RatingChartTitleWeighted => (
                "Vote-weighted mean rating per year",
                "Nota média ponderada por votos, por ano",
            ),
            ReleasesChartTitle => ("Releases per year", "Lançamentos por ano"),
            Year => ("Release year", "Ano de lançamento"),
            MeanRatingAxis => ("Mean rating", "Nota média"),
            TitlesAxis => ("Titles released", "Títulos lançados"),
            ExportCsv => ("Export CSV", "Exportar CSV"),
            ExportPng => ("PNG", "PNG"),
            Theme => ("Theme", "Tema"),
            Dark => ("Dark", "Escuro"),
            Light => ("Light", "Claro"),
            Language => ("Language", "Idioma"),
            Loading => ("Loading…", "Carregando…"),
            Downloading => ("Downloading", "Baixando"),
            Parsing => ("Reading rows", "Lendo linhas"),
            Rows => ("rows", "linhas"),
            DropTitle => ("Open a cinelake extract", "Abra um extrato do cinelake"),
            DropHint => (
                "Drop a titles.csv here, choose a file, or open the page with ?data=<url>",
                "Solte um titles.csv aqui, escolha um arquivo ou abra a página com ?data=<url>",
            ),
            ChooseFile => ("Choose file", "Escolher arquivo"),
            NoManifest => (
                "No manifest.json next to this page: pick a file to explore.",
                "Nenhum manifest.json ao lado desta página: escolha um arquivo.",
            ),
            BadRows => (
                "rows could not be read and were skipped",
                "linhas não puderam ser lidas e foram ignoradas",
            ),
            NoMatch => (
                "No title matches these filters",
                "Nenhum título corresponde a estes filtros",
            ),
            Source => ("Source", "Fonte"),
            ErrorTitle => (
                "The data could not be loaded",
                "Os dados não puderam ser carregados",
            ),
            Retry => ("Open another file", "Abrir outro arquivo"),
            ChartHint => (
                "Hover or focus the chart and use ← → to read exact values",
                "Passe o mouse ou foque o gráfico e use ← → para ver os valores",
            ),
            UndatedNote => (
                "titles without a release year are not counted",
                "títulos sem ano de lançamento não são contados",
            ),
            TmdbTitle => ("TMDB: budgets and ratings", "TMDB: orçamentos e notas"),
            TmdbTitles => ("Titles with TMDB data", "Títulos com dados do TMDB"),
            TmdbOf => ("of", "de"),
            TmdbInView => ("in view", "no filtro"),
            TmdbWithBudget => ("With a budget and a rating", "Com orçamento e nota"),
            TmdbWithBudgetNote => ("points in the chart", "pontos no gráfico"),
            TmdbCorrelation => ("Correlation", "Correlação"),
            TmdbCorrelationNote => (
                "Pearson r of log budget and rating",
                "r de Pearson entre log do orçamento e nota",
            ),
            BudgetChartTitle => ("Budget vs rating", "Orçamento × nota"),
            BudgetChartLabel => (
                "Scatter of TMDB budget (log scale) against IMDb rating",
                "Dispersão do orçamento no TMDB (escala log) contra a nota no IMDb",
            ),
            BudgetAxis => ("Budget (US$, log scale)", "Orçamento (US$, escala log)"),
            RatingAxis => ("IMDb rating", "Nota no IMDb"),
            TmdbFeatures => ("TMDB features", "Dados do TMDB"),
            Undefined => ("—", "—"),
            ModelTitle => ("Predicting the rating", "Prevendo a nota"),
            Model => ("Model", "Modelo"),
            LinearRegression => ("Linear regression", "Regressão linear"),
            RandomForest => ("Random forest", "Floresta aleatória"),
            Seed => ("Seed", "Semente"),
            TrendYears => ("Trend years ahead", "Anos de projeção"),
            TrendLabel => (
                "Trend (95% prediction interval)",
                "Tendência (intervalo de previsão de 95%)",
            ),
            Training => ("Training…", "Treinando…"),
            TrainingTrees => ("Training: trees", "Treinando: árvores"),
            TooFewRows => (
                "Too few titles with every feature and a rating to fit a model for these filters",
                "Poucos títulos com todas as variáveis e nota para ajustar um modelo com estes filtros",
            ),
            UsableTitles => ("usable titles", "títulos usados"),
            Excluded => ("excluded", "excluídos"),
            NoYear => ("no year", "sem ano"),
            NoRuntime => ("no runtime", "sem duração"),
            NoVotes => ("no votes", "sem votos"),
            NoRating => ("no rating", "sem nota"),
            NoTmdb => ("no TMDB feature", "sem dado do TMDB"),
            UseTmdbFeatures => ("use TMDB features", "usar dados do TMDB"),
            UseTmdbFeaturesNote => (
                "adds ln(1 + budget), ln(1 + popularity) and the TMDB vote average; titles without them are excluded",
                "acrescenta ln(1 + orçamento), ln(1 + popularidade) e a nota média do TMDB; títulos sem eles ficam de fora",
            ),
            Train => ("train", "treino"),
            Test => ("test", "teste"),
            Baseline => ("Baseline", "Linha de base"),
            BaselineNote => (
                "predicts the training set's mean rating; the % is how much lower the model's error is",
                "prevê a nota média do treino; o % é quanto o erro do modelo é menor",
            ),
            Lower => ("lower", "menor"),
            Higher => ("higher", "maior"),
            ScatterCaption => (
                "Predicted vs actual (test set), y = x dashed",
                "Previsto vs real (teste), y = x tracejada",
            ),
            ScatterLabel => ("Predicted vs actual", "Previsto vs real"),
            HistogramCaption => (
                "Residuals (actual − predicted)",
                "Resíduos (real − previsto)",
            ),
            HistogramLabel => ("Residual histogram", "Histograma dos resíduos"),
            ByYearCaption => (
                "Mean residual by release year",
                "Resíduo médio por ano de lançamento",
            ),
            ByYearLabel => ("Residuals by year", "Resíduos por ano"),
            LargestErrors => (
                "The 20 largest errors (test set)",
                "Os 20 maiores erros (teste)",
            ),
            TitleColumn => ("Title", "Título"),
            YearColumn => ("Year", "Ano"),
            Actual => ("Actual", "Real"),
            Predicted => ("Predicted", "Previsto"),
            ErrorColumn => ("Error", "Erro"),
            ActualAxis => ("actual rating", "nota real"),
            PredictedAxis => ("predicted rating", "nota prevista"),
            ResidualAxis => ("residual", "resíduo"),
            TitlesCountAxis => ("titles", "títulos"),
            YearAxis => ("year", "ano"),
            MeanResidualAxis => ("mean residual", "resíduo médio"),
        };
        match self {
            Lang::En => en,
            Lang::PtBr => pt,
        }
    }

    fn separators(self) -> (char, char) {
        match self {
            Lang::En => (',', '.'),
            Lang::PtBr => ('.', ','),
        }
    }

    /// A whole number with thousands separators: `1,234,567` / `1.234.567`.
    pub fn int(self, value: u64) -> String {
        let (thousands, _) = self.separators();
        let digits = value.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(thousands);
            }
            out.push(digit);
        }
        out
    }

    /// A decimal with `places` decimals and the locale's separators: `7.25` / `7,25`.
    pub fn dec(self, value: f64, places: usize) -> String {
        let (thousands, decimal) = self.separators();
        let text = format!("{:.*}", places, value.abs());
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        if value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
            out.push('-');
        }
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                out.push(thousands);
            }
            out.push(digit);
        }
        if !fraction.is_empty() {
            out.push(decimal);
            out.push_str(fraction);
        }
        out
    }

    /// Byte counts for the progress bar: `12.3 MB`.
    pub fn bytes(self, bytes: u64) -> String {
        const MB: f64 = 1_000_000.0;
        if bytes < 1_000_000 {
            format!("{} kB", self.dec(bytes as f64 / 1000.0, 0))
        } else {
            format!("{} MB", self.dec(bytes as f64 / MB, 1))
        }
    }
}
