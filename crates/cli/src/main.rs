//! The `cinelake` binary: parses flags, wires the library crates together and reports errors.
//!
//! Each subcommand lives in its own `cmd_*.rs` module with its clap arguments and a `run`
//! function; this file only dispatches and turns errors into a one-line message and exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_check;
mod cmd_demo;
mod cmd_deploy;
mod cmd_enrich;
mod cmd_gen;
mod cmd_ingest;
mod cmd_model;
mod cmd_publish;
mod cmd_refine;
mod cmd_serve;

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
    Check(cmd_check::Args),
    /// Generate raw files in the challenge's format, at any scale, deterministically.
    Gen(cmd_gen::Args),
    /// Upload raw files to the lake's Raw zone, verified and create-only.
    Ingest(cmd_ingest::Args),
    /// Refine Raw into Trusted and Refined with DataFusion (or Spark).
    Refine(cmd_refine::Args),
    /// Write presigned URLs for the refined extract into the site's manifest.json.
    Publish(cmd_publish::Args),
    /// Upload the built dashboard to the site bucket and set CORS on the data bucket.
    Deploy(cmd_deploy::Args),
    /// Serve an S3-compatible endpoint over a local folder.
    Serve(cmd_serve::Args),
    /// Run the whole pipeline on an embedded local lake and open the dashboard.
    Demo(cmd_demo::Args),
    /// Enrich refined titles with data from the TMDB API.
    Enrich(cmd_enrich::Args),
    /// Fit and evaluate the rating model on a dashboard extract.
    Model(cmd_model::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            if cli.verbose {
                eprintln!("cinelake: {error:?}");
            } else {
                eprintln!("cinelake: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check(args) => cmd_check::run(args),
        Command::Gen(args) => cmd_gen::run(args),
        Command::Ingest(args) => cmd_ingest::run(args),
        Command::Refine(args) => cmd_refine::run(args),
        Command::Publish(args) => cmd_publish::run(args),
        Command::Deploy(args) => cmd_deploy::run(args),
        Command::Serve(args) => cmd_serve::run(args),
        Command::Demo(args) => cmd_demo::run(args),
        Command::Model(args) => cmd_model::run(args),
        Command::Enrich(args) => cmd_enrich::run(args),
    }
}

/// A multi-threaded Tokio runtime for the commands that talk to a lake.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
