//! `cinelake deploy`: upload the built dashboard to the site bucket and let the site's origin read
//! the data bucket (CORS). The work is `cinelake_site::{plan_deploy, deploy, set_cors}`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use cinelake_lake::{Lake, LakeOptions, LakeUrl};

/// Upload the built dashboard to the site bucket and set CORS on the data bucket.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to deploy: s3://site-bucket[/prefix].
    #[arg(long)]
    site: LakeUrl,
    /// The built dashboard (trunk build --release).
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// The data bucket (the lake, s3://bucket) whose CORS should allow the site's origin.
    #[arg(long, alias = "lake")]
    data_bucket: Option<LakeUrl>,
    /// The site's origin for CORS (default: the site bucket's S3 endpoint origin). Set it when
    /// the site is served from CloudFront or a bucket website endpoint.
    #[arg(long)]
    origin: Option<String>,
    /// S3 endpoint for S3-compatible servers (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long)]
    endpoint: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    // Validate everything before the first upload.
    let assets = cinelake_site::plan_deploy(&args.dist)?;
    let options = LakeOptions {
        endpoint: args.endpoint.clone(),
        ..LakeOptions::default()
    };
    let site = Lake::open(&args.site, &options)
        .with_context(|| format!("cannot open site {}", args.site))?;
    let data = match &args.data_bucket {
        Some(url) => Some(
            Lake::open(url, &options).with_context(|| format!("cannot open data bucket {url}"))?,
        ),
        None => None,
    };
    let origin = match (&args.origin, &data) {
        (Some(origin), _) => Some(origin.trim_end_matches('/').to_owned()),
        (None, Some(_)) => Some(cinelake_site::site_origin(&site).ok_or_else(|| {
            cinelake_site::SiteError::Origin {
                site: args.site.to_string(),
            }
        })?),
        (None, None) => None,
    };

    let runtime = crate::runtime()?;
    let report = runtime.block_on(cinelake_site::deploy(&site, &assets))?;
    println!(
        "deployed {} files, {} bytes, to {}",
        report.keys.len(),
        report.bytes,
        args.site
    );
    if let (Some(data), Some(origin)) = (&data, &origin) {
        runtime.block_on(cinelake_site::set_cors(data, origin))?;
        println!("cors     {} allows GET, HEAD from {origin}", data.url());
    } else {
        println!(
            "cors     not changed (pass --data-bucket s3://LAKE so the page may read the extract)"
        );
    }
    if let Some(base) = cinelake_site::site_base_url(&site) {
        println!("site     {base}/index.html (run `cinelake publish` to write its manifest.json)");
    }
    Ok(ExitCode::SUCCESS)
}
