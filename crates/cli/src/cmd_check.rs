//! `cinelake check FILE…`: validates raw movies.csv / series.csv files and reports rows, distinct
//! titles, Comedy / Animation / both counts and rejected rows. Exit code 0 only when every file is
//! valid under the chosen mode (strict by default, `--lenient` to skip bad rows).

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use cinelake_core::raw::{self, CheckOptions, Mode, RawError, RawKind, RawSummary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Raw files to validate (`-` reads standard input).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Skip bad rows (counted and reported) instead of failing the file.
    #[arg(long)]
    lenient: bool,
    /// Print one JSON report on standard output instead of text.
    #[arg(long)]
    json: bool,
    /// How many rejected rows (and title disagreements) to list per file; all are counted.
    #[arg(long, default_value_t = 20)]
    max_errors: usize,
    /// Require this kind of header (a series file given as movies is then an error).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Movies,
    Series,
}

/// One file's outcome: a summary, or the error that stopped reading it.
enum Outcome {
    Read(Box<RawSummary>),
    Failed(RawError),
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = CheckOptions {
        mode: if args.lenient {
            Mode::Lenient
        } else {
            Mode::Strict
        },
        expect: args.kind.map(|k| match k {
            KindArg::Movies => RawKind::Movies,
            KindArg::Series => RawKind::Series,
        }),
        max_errors: args.max_errors,
        max_disagreements: args.max_errors,
    };
    let mut outcomes = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let input: Box<dyn Read> = if name == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(File::open(path).with_context(|| format!("cannot open {name}"))?)
        };
        let outcome = match raw::check(input, &name, &options) {
            Ok(summary) => Outcome::Read(Box::new(summary)),
            Err(error @ RawError::Io { .. }) => return Err(error.into()),
            Err(error) => Outcome::Failed(error),
        };
        if !args.json {
            print_text(&outcome);
        }
        outcomes.push((name, outcome));
    }
    let valid = outcomes
        .iter()
        .all(|(_, o)| matches!(o, Outcome::Read(summary) if summary.is_valid()));
    if args.json {
        let files: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|(name, o)| json(name, o, &options))
            .collect();
        let report = serde_json::json!({ "valid": valid, "files": files });
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Strict => "strict",
        Mode::Lenient => "lenient",
    }
}

fn print_text(outcome: &Outcome) {
    let s = match outcome {
        Outcome::Failed(error) => {
            println!("{error}");
            println!("  invalid");
            return;
        }
        Outcome::Read(summary) => summary,
    };
    let counts = s.genre_counts();
    println!(
        "{}: {} file, {} rows, {} titles (Comedy {}, Animation {}, both {}), {} rejected",
        s.file,
        s.kind,
        s.rows,
        s.folded.titles.len(),
        counts.comedy,
        counts.animation,
        counts.both,
        s.rejected,
    );
    for error in &s.errors {
        println!("  rejected {error}");
    }
    if s.rejected > s.errors.len() as u64 {
        println!(
            "  … and {} more rejected rows",
            s.rejected - s.errors.len() as u64
        );
    }
    for d in &s.folded.disagreements {
        println!("  disagreement {d}");
    }
    let shown = s.folded.disagreements.len() as u64;
    if s.folded.disagreement_count > shown {
        println!(
            "  … and {} more disagreements",
            s.folded.disagreement_count - shown
        );
    }
    if s.blank_lines > 0 {
        println!("  {} blank lines skipped", s.blank_lines);
    }
    println!(
        "  {} ({})",
        if s.is_valid() { "valid" } else { "invalid" },
        mode_name(s.mode)
    );
}

fn json(name: &str, outcome: &Outcome, options: &CheckOptions) -> serde_json::Value {
    match outcome {
        Outcome::Failed(error) => serde_json::json!({
            "file": name,
            "valid": false,
            "mode": mode_name(options.mode),
            "error": error.to_string(),
        }),
        Outcome::Read(s) => {
            let counts = s.genre_counts();
            let errors: Vec<serde_json::Value> = s
                .errors
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "line": e.line,
                        "column": e.column,
                        "reason": e.reason,
                        "message": e.to_string(),
                    })
                })
                .collect();
            let disagreements: Vec<String> = s
                .folded
                .disagreements
                .iter()
                .map(ToString::to_string)
                .collect();
            serde_json::json!({
                "file": name,
                "kind": s.kind.as_str(),
                "mode": mode_name(s.mode),
                "valid": s.is_valid(),
                "rows": s.rows,
                "accepted": s.accepted(),
                "rejected": s.rejected,
                "blank_lines": s.blank_lines,
                "titles": s.folded.titles.len(),
                "comedy": counts.comedy,
                "animation": counts.animation,
                "both": counts.both,
                "errors": errors,
                "disagreement_count": s.folded.disagreement_count,
                "disagreements": disagreements,
            })
        }
    }
}
