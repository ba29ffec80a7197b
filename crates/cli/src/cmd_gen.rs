//! `cinelake gen`: writes a generated raw file (movies or series, the challenge's exact format) or
//! a dashboard extract, deterministic per seed. A file is written under a temporary name and
//! renamed when complete, so a crash never leaves a truncated file behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use cinelake_core::extract::ExtractWriter;
use cinelake_core::generate::{self, GenOptions};
use cinelake_core::raw::RawKind;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to write: a raw movies.csv, a raw series.csv, or a dashboard extract.
    #[arg(long, value_enum)]
    kind: GenKind,
    /// How many titles (a raw file has 1–8 rows per title).
    #[arg(long)]
    titles: u64,
    /// The seed: the same seed and kind give the same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output file, or `-` for standard output.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum GenKind {
    Movies,
    Series,
    Extract,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let summary = if args.out.as_os_str() == "-" {
        write(&args, std::io::stdout().lock())?
    } else {
        write_file(&args, &args.out)?
    };
    eprintln!(
        "cinelake gen: wrote {summary} to {} in {:.1} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn write_file(args: &Args, path: &Path) -> anyhow::Result<String> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".partial-{}", std::process::id()));
    let partial = PathBuf::from(partial);
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let result = write(args, file).and_then(|summary| {
        std::fs::rename(&partial, path).with_context(|| {
            format!("cannot rename {} to {}", partial.display(), path.display())
        })?;
        Ok(summary)
    });
    if result.is_err() {
        // Best effort: the error being reported matters more than a leftover temporary file.
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn write<W: Write>(args: &Args, out: W) -> anyhow::Result<String> {
    let raw = |kind, out: W| {
        let options = GenOptions {
            kind,
            titles: args.titles,
            seed: args.seed,
        };
        generate::write_raw(out, &options)
            .map(|s| format!("{} titles, {} rows, {} bytes", s.titles, s.rows, s.bytes))
            .with_context(|| format!("cannot write {}", args.out.display()))
    };
    match args.kind {
        GenKind::Movies => raw(RawKind::Movies, out),
        GenKind::Series => raw(RawKind::Series, out),
        GenKind::Extract => {
            let count = usize::try_from(args.titles).context("--titles is too large")?;
            let titles = generate::extract_titles(count, args.seed);
            let mut writer = ExtractWriter::new(BufWriter::with_capacity(1 << 16, out))?;
            for title in &titles {
                writer.write(title)?;
            }
            let mut out = writer.finish()?;
            out.flush()
                .with_context(|| format!("cannot write {}", args.out.display()))?;
            Ok(format!("{} extract titles", titles.len()))
        }
    }
}
