//! `cinelake gen` end to end: the same seed gives the same bytes, another seed other bytes, and
//! what it writes passes `cinelake check` strictly with exactly the titles asked for.

use anyhow::{Result, ensure};

use crate::check::{cinelake, cinelake_in};

fn generate(kind: &str, titles: u64, seed: u64) -> Result<Vec<u8>> {
    let run = cinelake(&[
        "gen",
        "--kind",
        kind,
        "--titles",
        &titles.to_string(),
        "--seed",
        &seed.to_string(),
        "--out",
        "-",
    ])?;
    ensure!(run.code == Some(0), "{kind} seed {seed}: {run:?}");
    Ok(run.stdout.into_bytes())
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_others() -> Result<()> {
    for kind in ["movies", "series", "extract"] {
        let first = generate(kind, 300, 7)?;
        ensure!(first.len() > 300 * 20, "{kind}: only {} bytes", first.len());
        ensure!(
            generate(kind, 300, 7)? == first,
            "{kind}: seed 7 twice differs"
        );
        ensure!(
            generate(kind, 300, 8)? != first,
            "{kind}: seeds 7 and 8 agree"
        );
    }
    Ok(())
}

#[test]
fn generated_raw_files_pass_check_strictly() -> Result<()> {
    let scratch = std::env::temp_dir().join(format!("cinelake-cli-gen-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    for (kind, titles) in [("movies", 2000u64), ("series", 700)] {
        let name = format!("{kind}.csv");
        let run = cinelake(&[
            "gen",
            "--kind",
            kind,
            "--titles",
            &titles.to_string(),
            "--seed",
            "11",
            "--out",
            &scratch.join(&name).to_string_lossy(),
        ])?;
        ensure!(run.code == Some(0), "{run:?}");
        let run = cinelake_in(&scratch, &["check", "--json", "--kind", kind, &name], b"")?;
        ensure!(run.code == Some(0), "{kind}: {run:?}");
        let report: serde_json::Value = serde_json::from_str(&run.stdout)?;
        let file = &report["files"][0];
        assert_eq!(file["valid"], true, "{kind}");
        assert_eq!(file["rejected"], 0, "{kind}");
        assert_eq!(file["titles"], titles, "{kind}");
        let rows = file["rows"].as_u64().unwrap_or(0);
        // One to eight artist rows per title.
        ensure!((titles..=8 * titles).contains(&rows), "{kind}: {rows} rows");
        // Comedy in about 30% of titles.
        let comedy = file["comedy"].as_u64().unwrap_or(0);
        ensure!(
            (titles / 5..=titles / 2).contains(&comedy),
            "{kind}: {comedy} comedies"
        );
    }
    std::fs::remove_dir_all(&scratch)?;
    Ok(())
}
