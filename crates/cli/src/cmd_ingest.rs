//! `cinelake ingest`: validate raw files, then upload them to the lake's Raw zone, verified and
//! create-only. The work is `cinelake_lake::ingest`; this module parses flags and reports.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use cinelake_core::raw::{Mode, RawKind};
use cinelake_lake::ingest::{self, Validation};
use cinelake_lake::{
    Lake, LakeOptions, LakeUrl, Progress, RetryOptions, UploadOptions, UploadOutcome,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Upload raw movies.csv / series.csv to `Raw/Local/CSV/{Movies,Series}/YYYY/MM/DD/` in the lake.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("files").required(true).multiple(true).args(["movies", "series"])))]
pub struct Args {
    /// The lake: s3://bucket[/prefix] or file://DIR.
    #[arg(long)]
    lake: LakeUrl,
    /// The raw movies file.
    #[arg(long)]
    movies: Option<PathBuf>,
    /// The raw series file.
    #[arg(long)]
    series: Option<PathBuf>,
    /// The ingestion date in the key (YYYY-MM-DD); defaults to today, UTC.
    #[arg(long)]
    date: Option<NaiveDate>,
    /// Validate and print the plan (keys, sizes, rows, titles); upload nothing.
    #[arg(long)]
    dry_run: bool,
    /// Replace objects that hold different content for this date.
    #[arg(long)]
    overwrite: bool,
    /// Upload even if some rows are bad (they are reported; refine rejects them again).
    #[arg(long)]
    lenient: bool,
    /// S3 endpoint for S3-compatible servers (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long)]
    endpoint: Option<String>,
    /// Multipart part size in MiB (at least 5); smaller files go in one request.
    /// Larger when a file would need more than 10 000 parts (S3's limit).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(5..=5120))]
    part_size_mib: u64,
    /// Parts uploaded in parallel. Memory is about part size × (this + 1).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    concurrency: u64,
    /// Retries per request (each part separately), with exponential backoff.
    #[arg(long, default_value_t = 10)]
    retries: usize,
    /// Give up retrying a request after this many seconds.
    #[arg(long, default_value_t = 120)]
    retry_timeout_secs: u64,
    /// Bad rows listed in the report.
    #[arg(long, default_value_t = 20)]
    max_errors: usize,
}

pub fn run(args: Args) -> Result<std::process::ExitCode> {
    let date = args.date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mode = if args.lenient {
        Mode::Lenient
    } else {
        Mode::Strict
    };
    let files: Vec<(RawKind, PathBuf)> = [
        (RawKind::Movies, &args.movies),
        (RawKind::Series, &args.series),
    ]
    .into_iter()
    .filter_map(|(kind, path)| path.clone().map(|p| (kind, p)))
    .collect();

    let part_size = usize::try_from(args.part_size_mib << 20).context("part size too large")?;
    // An upload to S3 sends each part with the SHA-256 validation computes for it.
    let part_checksums =
        (!args.dry_run && matches!(args.lake, LakeUrl::S3 { .. })).then_some(part_size);

    // Validate every file (in parallel: they are independent) before anything is uploaded.
    let max_errors = args.max_errors;
    let validations: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|(kind, path)| {
                scope.spawn(move || match part_checksums {
                    Some(part_size) => {
                        ingest::validate_for_upload(path, *kind, max_errors, part_size)
                    }
                    None => ingest::validate(path, *kind, max_errors),
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut valid = Vec::new();
    for v in validations {
        let v = v.map_err(|_| anyhow::anyhow!("validation crashed (a bug)"))??;
        report_validation(&v);
        valid.push(v);
    }

    let lake_options = LakeOptions {
        endpoint: args.endpoint.clone(),
        retry: RetryOptions {
            max_retries: args.retries,
            timeout: Duration::from_secs(args.retry_timeout_secs),
        },
        ..Default::default()
    };
    let lake = Lake::open(&args.lake, &lake_options)?;
    let planned = ingest::plan(&lake, valid, date, mode)?;

    if args.dry_run {
        println!("plan (dry run, nothing uploaded):");
        for p in &planned {
            let v = &p.validation;
            println!(
                "  {} -> {}  ({} bytes, {} rows, {} titles, sha256 {})",
                v.path.display(),
                lake.display_key(&p.key),
                v.digest.bytes,
                v.rows,
                v.titles,
                v.digest.sha256
            );
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }

    let options = UploadOptions {
        overwrite: args.overwrite,
        part_size,
        concurrency: usize::try_from(args.concurrency).unwrap_or(8),
    };
    let runtime = crate::runtime()?;
    let interactive = std::io::stdout().is_terminal();
    for p in &planned {
        let progress = Reporter::new(interactive);
        let report = runtime
            .block_on(ingest::upload(&lake, p, &options, &progress))
            .with_context(|| format!("ingest of {} failed", p.validation.path.display()))?;
        let url = lake.display_key(&p.key);
        if let Some(warning) = &report.cleanup_warning {
            eprintln!("warning: could not look for unfinished multipart uploads: {warning}");
        }
        if report.stale_uploads_aborted > 0 {
            println!(
                "{url}: aborted {} unfinished multipart upload(s) left by an earlier run",
                report.stale_uploads_aborted
            );
        }
        let d = &p.validation.digest;
        match report.outcome {
            UploadOutcome::AlreadyPresent => {
                println!("{url}: already present, identical (sha256 {})", d.sha256)
            }
            UploadOutcome::Created => println!(
                "{url}: created and verified ({} bytes, sha256 {})",
                d.bytes, d.sha256
            ),
            UploadOutcome::Overwritten => {
                println!(
                    "{url}: overwritten and verified ({} bytes, sha256 {})",
                    d.bytes, d.sha256
                )
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn report_validation(v: &Validation) {
    println!(
        "{}: {} {} rows, {} titles, {} rejected, {} blank lines, {} bytes",
        v.path.display(),
        v.kind,
        v.rows,
        v.titles,
        v.rejected,
        v.blank_lines,
        v.digest.bytes
    );
    for e in &v.errors {
        eprintln!("  {e}");
    }
    if v.rejected > v.errors.len() as u64 {
        eprintln!(
            "  ... and {} more rejected rows",
            v.rejected - v.errors.len() as u64
        );
    }
}

/// A progress bar with bytes/s and ETA on a terminal, else a log line per 10 %.
struct Reporter {
    bar: Option<ProgressBar>,
    plain: Mutex<Plain>,
}

struct Plain {
    key: String,
    total: u64,
    done: u64,
    next_report: u64,
    started: Instant,
}

impl Reporter {
    fn new(interactive: bool) -> Reporter {
        let bar = interactive.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
            let style = ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Reporter {
            bar,
            plain: Mutex::new(Plain {
                key: String::new(),
                total: 0,
                done: 0,
                next_report: 0,
                started: Instant::now(),
            }),
        }
    }
}

impl Progress for Reporter {
    fn begin(&self, key: &str, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_message(key.rsplit('/').next().unwrap_or(key).to_owned());
        } else if let Ok(mut p) = self.plain.lock() {
            *p = Plain {
                key: key.to_owned(),
                total,
                done: 0,
                next_report: total / 10,
                started: Instant::now(),
            };
            println!("uploading {key}: {total} bytes");
        }
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        } else if let Ok(mut p) = self.plain.lock() {
            p.done += bytes;
            if p.done >= p.next_report && p.done < p.total {
                let secs = p.started.elapsed().as_secs_f64().max(1e-3);
                let rate = p.done as f64 / secs;
                let eta = (p.total - p.done) as f64 / rate.max(1.0);
                println!(
                    "uploading {}: {}% ({:.1} MiB/s, eta {:.0} s)",
                    p.key,
                    p.done * 100 / p.total.max(1),
                    rate / 1048576.0,
                    eta
                );
                p.next_report = p.done + p.total / 10;
            }
        }
    }

    fn end(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
