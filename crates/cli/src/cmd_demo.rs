//! `cinelake demo`: the whole pipeline on an embedded, S3-compatible local lake, with one command.
//!
//! It runs exactly the code paths a real deployment runs — SigV4-signed uploads, create-only
//! ingest, DataFusion refine, site deploy, presigned publish — against `cinelake serve`'s endpoint
//! over a local folder, then keeps serving the dashboard until Ctrl-C. Every step is idempotent,
//! so a second run reuses the lake (ingest finds identical objects, refine finds its run) and is
//! ready in seconds.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cinelake_core::generate::{self, GenOptions};
use cinelake_core::raw::{Mode, RawKind};
use cinelake_lake::upload::{NoProgress, UploadOptions, UploadOutcome};
use cinelake_lake::{Lake, LakeOptions, LakeUrl, StaticCredentials, ingest};
use cinelake_serve::{Credentials, ServeOptions, Server};

/// The lake's bucket and the dashboard's (public-read) bucket on the embedded endpoint.
const LAKE_BUCKET: &str = "lake";
const SITE_BUCKET: &str = "site";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder for the demo: the lake's objects (under `s3/`) and generated inputs (under `input/`).
    #[arg(long, default_value = "cinelake-demo")]
    dir: PathBuf,
    /// Port of the embedded S3 endpoint that also serves the dashboard.
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// A raw movies.csv to use instead of generated data.
    #[arg(long, requires = "series")]
    movies: Option<PathBuf>,
    /// A raw series.csv to use instead of generated data.
    #[arg(long, requires = "movies")]
    series: Option<PathBuf>,
    /// Movie titles to generate when no files are given (series: two fifths of it).
    #[arg(long, default_value_t = 20_000)]
    titles: u64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The built dashboard (`trunk build --release`).
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Stop after publishing instead of serving until Ctrl-C (for scripts).
    #[arg(long)]
    no_wait: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.dist.join("index.html").is_file() {
        bail!(
            "{} has no index.html: build the dashboard first (`trunk build --release`, which \
             scripts/demo.sh runs)",
            args.dist.display()
        );
    }
    let assets = cinelake_site::plan_deploy(&args.dist)?;
    let (movies, series) = inputs(&args)?;
    let runtime = crate::runtime()?;
    runtime.block_on(async move {
        let started = Instant::now();
        let credentials = Credentials::generate();
        let server = Server::start(ServeOptions {
            root: args.dir.join("s3"),
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port),
            credentials: credentials.clone(),
            public_read_buckets: vec![SITE_BUCKET.into()],
            create_buckets: vec![LAKE_BUCKET.into(), SITE_BUCKET.into()],
        })
        .await
        .context("cannot start the embedded S3 endpoint (is the port taken? try --port)")?;
        let endpoint = server.endpoint();
        step(&format!(
            "embedded S3 endpoint at {endpoint}, data in {}",
            args.dir.display()
        ));

        let options = LakeOptions {
            endpoint: Some(endpoint.clone()),
            region: Some("us-east-1".into()),
            credentials: Some(StaticCredentials {
                access_key_id: credentials.access_key.clone(),
                secret_access_key: credentials.secret_key.clone(),
                session_token: None,
            }),
            ..LakeOptions::default()
        };
        let lake_url: LakeUrl = format!("s3://{LAKE_BUCKET}").parse()?;
        let site_url: LakeUrl = format!("s3://{SITE_BUCKET}").parse()?;
        let lake = Lake::open(&lake_url, &options)?;
        let site = Lake::open(&site_url, &options)?;

        // Ingest: validated, create-only; identical objects from an earlier run are kept.
        let today = chrono::Utc::now().date_naive();
        let upload = UploadOptions::default();
        let validations = vec![
            ingest::validate_for_upload(&movies, RawKind::Movies, 10, upload.part_size)?,
            ingest::validate_for_upload(&series, RawKind::Series, 10, upload.part_size)?,
        ];
        for planned in ingest::plan(&lake, validations, today, Mode::Strict)? {
            let report = ingest::upload(&lake, &planned, &upload, &NoProgress).await?;
            let what = match report.outcome {
                UploadOutcome::Created => "ingested",
                UploadOutcome::AlreadyPresent => "already present, identical:",
                UploadOutcome::Overwritten => "replaced",
            };
            step(&format!(
                "{what} {} ({} rows, {} titles)",
                planned.key, planned.validation.rows, planned.validation.titles
            ));
        }

        // Refine with DataFusion; a run over the same inputs and SQL is found and reused.
        let refine_options = cinelake_refine::RefineOptions {
            date: Some(today),
            engine: cinelake_refine::Engine::DataFusion,
        };
        let refined =
            cinelake_refine::refine(cinelake_refine::lake_store(&lake), &refine_options).await?;
        step(&format!(
            "{} run {}: {} titles in the dashboard extract",
            if refined.reused {
                "reused refine"
            } else {
                "refined, "
            },
            refined.manifest.run_id,
            refined.manifest.extract.rows
        ));

        // Deploy the site, then publish the presigned link to the extract next to it.
        let deployed = cinelake_site::deploy(&site, &assets).await?;
        step(&format!(
            "deployed the dashboard ({} files)",
            deployed.keys.len()
        ));
        let published = cinelake_site::publish(
            &lake,
            &site,
            &cinelake_site::PublishOptions {
                expires: Duration::from_secs(24 * 3600),
                gzip: false,
                site_url: None,
                now: chrono::Utc::now(),
            },
        )
        .await?;
        step(&format!("published; links expire {}", published.expires_at));

        let url = format!("{endpoint}/{SITE_BUCKET}/index.html");
        println!();
        println!("cinelake dashboard: {url}");
        println!("(ready in {:.1} s)", started.elapsed().as_secs_f64());
        if args.no_wait {
            server.shutdown().await;
            return anyhow::Ok(ExitCode::SUCCESS);
        }
        println!(
            "Ctrl-C stops the demo; the lake stays in {}.",
            args.dir.display()
        );
        server
            .run_until(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

fn step(message: &str) {
    println!("demo: {message}");
}

/// The raw files to ingest: the user's, or generated ones kept under `DIR/input/` (generated once
/// per size and seed, so later runs ingest identical bytes and skip the upload).
fn inputs(args: &Args) -> anyhow::Result<(PathBuf, PathBuf)> {
    if let (Some(movies), Some(series)) = (&args.movies, &args.series) {
        return Ok((movies.clone(), series.clone()));
    }
    let input = args.dir.join("input");
    std::fs::create_dir_all(&input)
        .with_context(|| format!("cannot create {}", input.display()))?;
    let file = |kind: RawKind, titles: u64, seed: u64, name: &str| -> anyhow::Result<PathBuf> {
        let path = input.join(format!("{titles}-{seed}")).join(name);
        if !path.is_file() {
            generate_raw(&path, kind, titles, seed)?;
            step(&format!("generated {}", path.display()));
        }
        Ok(path)
    };
    // The real series.csv is about 0.45 of movies.csv; a different seed keeps the two files from
    // sharing their shape.
    let series_titles = (args.titles * 2 / 5).max(1);
    Ok((
        file(RawKind::Movies, args.titles, args.seed, "movies.csv")?,
        file(
            RawKind::Series,
            series_titles,
            args.seed.wrapping_add(1),
            "series.csv",
        )?,
    ))
}

/// Writes a generated raw file next to its final name, then renames it: a cut-off run leaves no
/// truncated input behind for the next run to ingest.
fn generate_raw(path: &Path, kind: RawKind, titles: u64, seed: u64) -> anyhow::Result<()> {
    let folder = path.parent().context("a generated file has a folder")?;
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let partial = path.with_extension("csv.partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let options = GenOptions { kind, titles, seed };
    let mut out = std::io::BufWriter::new(file);
    generate::write_raw(&mut out, &options)
        .and_then(|_| std::io::Write::flush(&mut out))
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), path.display()))?;
    Ok(())
}
