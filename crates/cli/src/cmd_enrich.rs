//! `cinelake enrich`: looks the refined titles up in TMDB and stores the raw responses under
//! `Raw/TMDB/JSON/YYYY/MM/DD/`; flags, the progress bar and the summary here, the work in
//! `cinelake_tmdb`. The token comes only from `TMDB_API_TOKEN` (a flag would show in `ps` and
//! shell history) and is never printed.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDate;
use cinelake_lake::{Lake, LakeOptions, LakeUrl};
use cinelake_tmdb::{Client, ClientOptions, EnrichOptions, Event, TOKEN_ENV, Token};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Flags of `cinelake enrich`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lake: s3://bucket[/prefix] or file://DIR.
    #[arg(long)]
    pub lake: String,
    /// The S3 endpoint of an S3-compatible server (overrides AWS_ENDPOINT_URL).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The TMDB API root (tests point it at a local server).
    #[arg(long, default_value = cinelake_tmdb::DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Requests started per second at most (0: no limit).
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Retries of a request answered 429 or 5xx (or lost), honouring Retry-After.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Fetch at most this many titles in this run (the rest are fetched by the next run).
    #[arg(long)]
    pub limit: Option<usize>,
    /// The day folder of the new files, YYYY-MM-DD [default: today, UTC].
    #[arg(long)]
    pub date: Option<NaiveDate>,
}

/// Runs `cinelake enrich`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let token = match std::env::var(TOKEN_ENV) {
        Ok(token) if !token.trim().is_empty() => Token::new(token.trim()),
        _ => anyhow::bail!("{TOKEN_ENV} is not set: export the TMDB API read access token"),
    };
    let url: LakeUrl = args.lake.parse()?;
    let lake = Lake::open(
        &url,
        &LakeOptions {
            endpoint: args.endpoint.clone(),
            ..LakeOptions::default()
        },
    )
    .with_context(|| format!("opening the lake {}", args.lake))?;
    let mut client = Client::new(
        &token,
        ClientOptions {
            base_url: args.base_url.clone(),
            requests_per_second: args.rate,
            max_retries: args.retries,
            ..ClientOptions::default()
        },
    )?;
    let options = EnrichOptions {
        date: args.date.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        limit: args.limit,
    };
    let interactive = std::io::stdout().is_terminal();
    let report = crate::runtime()?.block_on(async {
        let (titles, skipped) = cinelake_tmdb::store::refined_titles(&lake).await?;
        if skipped > 0 {
            eprintln!("cinelake enrich: skipped {skipped} extract rows that do not parse");
        }
        let mut bar: Option<ProgressBar> = None;
        let mut progress = |event: Event<'_>| match event {
            Event::Start { to_fetch } => {
                println!("{} titles, {to_fetch} to fetch", titles.len());
                if interactive {
                    let b = ProgressBar::with_draw_target(
                        Some(to_fetch as u64),
                        ProgressDrawTarget::stdout(),
                    );
                    b.set_style(
                        ProgressStyle::with_template(
                            "{bar:40} {pos}/{len} titles {per_sec} eta {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    b.enable_steady_tick(Duration::from_millis(200));
                    bar = Some(b);
                }
            }
            Event::Title { imdb_id, outcome } => match &bar {
                Some(b) => {
                    b.inc(1);
                    if outcome != "found" {
                        b.println(format!("{imdb_id}: {outcome}"));
                    }
                }
                None => println!("{imdb_id}: {outcome}"),
            },
            Event::File { key, records } => match &bar {
                Some(b) => b.println(format!("wrote {key} ({records} records)")),
                None => println!("wrote {key} ({records} records)"),
            },
        };
        let result =
            cinelake_tmdb::enrich(&lake, &mut client, &titles, &options, &mut progress).await;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        anyhow::Ok(result?)
    })?;
    println!(
        "{} titles: {} already stored, {} fetched, {} not found, {} failed; {} files, {} requests",
        report.titles,
        report.already_stored,
        report.found,
        report.not_found.len(),
        report.failed.len(),
        report.files.len(),
        report.requests
    );
    for failure in &report.failed {
        eprintln!("cinelake enrich: {}: {}", failure.imdb_id, failure.reason);
    }
    if report.failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "cinelake enrich: {} titles failed; run again to retry them",
            report.failed.len()
        );
        Ok(ExitCode::FAILURE)
    }
}
