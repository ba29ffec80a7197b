//! `cinelake publish`: presign the lake's committed dashboard extract and write the site's
//! `manifest.json`. The work is `cinelake_site::publish`; this module parses flags and reports.

use std::process::ExitCode;

use anyhow::{Context, Result};
use cinelake_lake::{Lake, LakeOptions, LakeUrl};
use cinelake_site::{PublishOptions, format_expiry, parse_expiry};

/// Write presigned URLs for the refined extract into the site's manifest.json.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lake holding Refined/_manifest.json: s3://bucket[/prefix].
    #[arg(long)]
    lake: LakeUrl,
    /// Where the dashboard is deployed: s3://site-bucket[/prefix].
    #[arg(long)]
    site: LakeUrl,
    /// How long the links work: 24h, 90m, 7d, 1d12h (at most 7d, the SigV4 limit).
    #[arg(long, default_value = "24h")]
    expires: String,
    /// Store a gzip-encoded copy of the extract (Content-Encoding: gzip) and link that.
    #[arg(long)]
    gzip: bool,
    /// The dashboard's public URL, if not the site bucket's S3 URL (CloudFront, website endpoint).
    #[arg(long)]
    site_url: Option<String>,
    /// S3 endpoint for S3-compatible servers (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long)]
    endpoint: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let expires = parse_expiry(&args.expires)?;
    let options = LakeOptions {
        endpoint: args.endpoint.clone(),
        ..LakeOptions::default()
    };
    let lake = Lake::open(&args.lake, &options)
        .with_context(|| format!("cannot open lake {}", args.lake))?;
    let site = Lake::open(&args.site, &options)
        .with_context(|| format!("cannot open site {}", args.site))?;
    let publish_options = PublishOptions {
        expires,
        gzip: args.gzip,
        site_url: args.site_url,
        now: chrono::Utc::now(),
    };
    let report =
        crate::runtime()?.block_on(cinelake_site::publish(&lake, &site, &publish_options))?;

    let dataset = &report.manifest.datasets[0];
    let run = report
        .run_id
        .as_deref()
        .map(|r| format!(" (refine run {r})"))
        .unwrap_or_default();
    println!(
        "published {} rows, {} bytes{run}",
        dataset.rows, dataset.bytes
    );
    println!("linked    {}", report.linked_key);
    println!("manifest  {}", report.manifest_key);
    println!(
        "expires   {} (in {})",
        report.manifest.expires_at,
        format_expiry(expires)
    );
    match &report.dashboard_url {
        Some(url) => println!("dashboard {url}"),
        None => println!("dashboard: open index.html of {}", args.site),
    }
    Ok(ExitCode::SUCCESS)
}
