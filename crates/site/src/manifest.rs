//! The two manifests publish deals with.
//!
//! - [`RefinedExtract`]: the part of refine's `Refined/_manifest.json` that publish needs (the
//!   extract of the committed run). Read leniently (unknown fields ignored) so this crate does not
//!   depend on `cinelake-refine`, which links DataFusion.
//! - [`SiteManifest`]: the site's `manifest.json`, the contract with the dashboard (DESIGN.md):
//!   `{"version":1,"generated_at","expires_at","datasets":[{"name","url","rows","bytes","sha256"}]}`.

use serde::{Deserialize, Serialize};

use crate::error::SiteError;

/// The dashboard extract named by refine's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefinedExtract {
    /// The run's extract key, relative to the lake's root.
    pub key: String,
    /// Data rows (titles).
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
}

#[derive(Deserialize)]
struct RefinedManifest {
    #[serde(default)]
    run_id: Option<String>,
    extract: RefinedExtract,
}

impl RefinedExtract {
    /// Reads the extract (and the run id, when present) out of refine's manifest text.
    pub fn from_manifest(
        key: &str,
        text: &[u8],
    ) -> Result<(RefinedExtract, Option<String>), SiteError> {
        let manifest: RefinedManifest =
            serde_json::from_slice(text).map_err(|source| SiteError::RefinedManifest {
                key: key.to_owned(),
                source,
            })?;
        Ok((manifest.extract, manifest.run_id))
    }
}

/// The site's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteManifest {
    /// Always 1.
    pub version: u32,
    /// When publish ran (RFC 3339, UTC).
    pub generated_at: String,
    /// When the presigned links stop working (RFC 3339, UTC).
    pub expires_at: String,
    /// The datasets; the dashboard reads the one named `titles`.
    pub datasets: Vec<Dataset>,
}

/// One dataset of the site's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// `titles` for the dashboard extract.
    pub name: String,
    /// The presigned GET URL.
    pub url: String,
    /// Data rows.
    pub rows: u64,
    /// Size of the CSV as the page sees it (decoded, when stored gzip-encoded).
    pub bytes: u64,
    /// SHA-256 of the decoded CSV.
    pub sha256: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_extract_from_a_refine_manifest() {
        let text = br#"{"version":1,"run_id":"r1","engine":"datafusion","extract":{"key":"Refined/runs/r1/dashboard/titles.csv","stable_key":"Refined/dashboard/titles.csv","rows":3,"bytes":120,"sha256":"ab"},"stages":{}}"#;
        let (extract, run) =
            RefinedExtract::from_manifest("Refined/_manifest.json", text).expect("parses");
        assert_eq!(extract.key, "Refined/runs/r1/dashboard/titles.csv");
        assert_eq!(
            (extract.rows, extract.bytes, extract.sha256.as_str()),
            (3, 120, "ab")
        );
        assert_eq!(run.as_deref(), Some("r1"));
    }

    #[test]
    fn a_manifest_without_extract_is_refused_with_its_key() {
        let err = RefinedExtract::from_manifest("Refined/_manifest.json", br#"{"version":1}"#)
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "Refined/_manifest.json: not a refine manifest: missing field `extract` at line 1 column 13"
        );
    }

    #[test]
    fn site_manifest_has_the_design_shape() {
        let manifest = SiteManifest {
            version: 1,
            generated_at: "2026-01-01T00:00:00Z".into(),
            expires_at: "2026-01-02T00:00:00Z".into(),
            datasets: vec![Dataset {
                name: "titles".into(),
                url: "https://x/y?X-Amz-Signature=1".into(),
                rows: 2,
                bytes: 10,
                sha256: "ab".into(),
            }],
        };
        assert_eq!(
            serde_json::to_string(&manifest).expect("serialises"),
            r#"{"version":1,"generated_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-02T00:00:00Z","datasets":[{"name":"titles","url":"https://x/y?X-Amz-Signature=1","rows":2,"bytes":10,"sha256":"ab"}]}"#
        );
    }
}
