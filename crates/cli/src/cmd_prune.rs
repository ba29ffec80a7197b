//! `cinelake prune`: delete refine runs nothing needs any more; flags and a summary here, the
//! work in `cinelake_refine::prune`.

use std::process::ExitCode;

use anyhow::Context;
use cinelake_lake::{Lake, LakeOptions, LakeUrl};
use cinelake_refine::layout::run_of_key;
use cinelake_refine::prune::{Keep, PruneOptions, Run, prune};
use indicatif::HumanBytes;

/// Flags of `cinelake prune`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lake: s3://bucket[/prefix] or file://DIR.
    #[arg(long)]
    pub lake: String,
    /// How many of the most recently written runs to keep; the committed run is always kept.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub keep: u16,
    /// A site the lake was published to (s3://bucket[/prefix]): the runs its manifest.json
    /// links to are kept too. Without it, only runs among the kept ones stay reachable from
    /// links published earlier.
    #[arg(long)]
    pub site: Option<LakeUrl>,
    /// List what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The S3 endpoint of an S3-compatible server (overrides AWS_ENDPOINT_URL).
    #[arg(long)]
    pub endpoint: Option<String>,
}

/// Runs `cinelake prune`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = LakeOptions {
        endpoint: args.endpoint.clone(),
        ..LakeOptions::default()
    };
    let url: LakeUrl = args.lake.parse()?;
    let lake =
        Lake::open(&url, &options).with_context(|| format!("opening the lake {}", args.lake))?;
    let runtime = crate::runtime()?;
    let linked = match &args.site {
        Some(site_url) => {
            let site = Lake::open(site_url, &options)
                .with_context(|| format!("opening the site {site_url}"))?;
            let urls = runtime.block_on(cinelake_site::published_urls(&site))?;
            urls.iter()
                .filter_map(|url| run_of_key(url).map(str::to_owned))
                .collect()
        }
        None => Vec::new(),
    };
    let report = runtime.block_on(prune(
        cinelake_refine::lake_store(&lake).as_ref(),
        &PruneOptions {
            keep: usize::from(args.keep),
            linked,
            dry_run: args.dry_run,
        },
    ))?;
    let describe = |run: &Run| {
        format!(
            "{}  {} objects, {}, written {}",
            run.id,
            run.objects,
            HumanBytes(run.bytes),
            run.newest.format("%Y-%m-%d %H:%M:%S UTC")
        )
    };
    for (run, why) in &report.plan.kept {
        let why = match why {
            Keep::Committed => "committed",
            Keep::Linked => "linked by the site",
            Keep::Recent => "recent",
        };
        println!("keep   {} ({why})", describe(run));
    }
    let verb = if args.dry_run {
        "would delete"
    } else {
        "delete"
    };
    for run in &report.plan.pruned {
        println!("{verb} {}", describe(run));
    }
    let (objects, bytes) = report
        .plan
        .pruned
        .iter()
        .fold((0, 0), |(o, b), run| (o + run.objects, b + run.bytes));
    if args.dry_run {
        println!(
            "dry run: {} of {} runs would be deleted ({objects} objects, {}); nothing was deleted",
            report.plan.pruned.len(),
            report.plan.pruned.len() + report.plan.kept.len(),
            HumanBytes(bytes)
        );
    } else {
        println!(
            "pruned {} of {} runs: {} objects, {} deleted",
            report.plan.pruned.len(),
            report.plan.pruned.len() + report.plan.kept.len(),
            report.deleted_objects,
            HumanBytes(report.deleted_bytes)
        );
    }
    if args.site.is_none() && !report.plan.pruned.is_empty() {
        eprintln!(
            "note: without --site, a dashboard published from a deleted run stops loading; `cinelake publish` links the committed run again"
        );
    }
    Ok(ExitCode::SUCCESS)
}
