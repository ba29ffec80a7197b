//! Times validation's hasher alone on one file: the whole file's SHA-256 and its parts' in one
//! read (`digest_file_parts`), as `cinelake ingest` runs it next to the validating threads.
//!
//! `cargo run --profile fast -p cinelake-lake --example hash_file -- FILE [PART_MIB] [RUNS]`
//! prints each run's wall time and throughput; run it under `perf stat` for CPU time.

use std::time::Instant;

use cinelake_lake::upload::digest_file_parts;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(
        args.next()
            .ok_or("usage: hash_file FILE [PART_MIB] [RUNS]")?,
    );
    let part_mib: u64 = args.next().map_or(Ok(5), |s| s.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    for _ in 0..runs {
        let start = Instant::now();
        let (digest, parts) = digest_file_parts(&path, Some(part_mib << 20))?;
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{:.3} s  {:.0} MB/s  {} bytes  sha256 {}  {} parts",
            seconds,
            digest.bytes as f64 / seconds / 1e6,
            digest.bytes,
            digest.sha256,
            parts.map_or(0, |p| p.sha256.len()),
        );
    }
    Ok(())
}
