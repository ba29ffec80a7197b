//! The `cinelake` binary: parses flags, wires the library modules together and reports errors.

use clap::{Parser, Subcommand};

/// cinelake: a movie-and-series data lake with in-browser analytics.
#[derive(Debug, Parser)]
#[command(name = "cinelake", version, about, long_about = None)]
struct Cli {
    /// Print the whole error chain on failure.
    #[arg(long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate raw movies.csv / series.csv files and report rows, titles and rejects.
    Check,
    /// Generate raw files in the challenge's format, at any scale, deterministically.
    Gen,
    /// Upload raw files to the lake's Raw zone, verified and create-only.
    Ingest,
    /// Refine Raw into Trusted and Refined with DataFusion (or Spark).
    Refine,
    /// Write presigned URLs for the refined extract into the site's manifest.json.
    Publish,
    /// Upload the built dashboard to the site bucket and set CORS on the data bucket.
    Deploy,
    /// Serve an S3-compatible endpoint over a local folder.
    Serve,
    /// Run the whole pipeline on an embedded local lake and open the dashboard.
    Demo,
    /// Enrich refined titles with data from the TMDB API.
    Enrich,
    /// Fit and evaluate the rating model on a dashboard extract.
    Model,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let name = format!("{:?}", cli.command).to_lowercase();
    eprintln!("cinelake {name}: not built yet");
    std::process::ExitCode::from(2)
}
