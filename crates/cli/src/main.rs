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
mod cmd_prune;
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
    /// Delete old refine runs: keeps the committed run, the newest ones, and what a site links.
    Prune(cmd_prune::Args),
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
                eprintln!("cinelake: {}", one_line(&error));
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `: `-joined like anyhow's `{:#}`, without the causes
/// whose text the message already holds: several libraries (object_store, reqwest) repeat their
/// source in their own message, which would print the same words two or three times.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check(args) => cmd_check::run(args),
        Command::Gen(args) => cmd_gen::run(args),
        Command::Ingest(args) => cmd_ingest::run(args),
        Command::Refine(args) => cmd_refine::run(args),
        Command::Prune(args) => cmd_prune::run(args),
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

#[cfg(test)]
mod tests {
    use super::one_line;

    use std::fmt;

    #[derive(Debug)]
    struct Transport;
    impl fmt::Display for Transport {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection closed before message completed")
        }
    }
    impl std::error::Error for Transport {}

    /// Like object_store's errors: its message repeats its source's.
    #[derive(Debug)]
    struct Repeats(Transport);
    impl fmt::Display for Repeats {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "Generic S3 error: error sending request: {}", self.0)
        }
    }
    impl std::error::Error for Repeats {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn causes_already_in_the_message_are_printed_once() {
        let error = anyhow::Error::new(Repeats(Transport)).context("upload movies.csv");
        assert_eq!(
            one_line(&error),
            "upload movies.csv: Generic S3 error: error sending request: connection closed before message completed"
        );
        let plain = anyhow::Error::new(Transport).context("upload movies.csv");
        assert_eq!(
            one_line(&plain),
            "upload movies.csv: connection closed before message completed"
        );
    }
}
