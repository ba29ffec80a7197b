//! `cinelake deploy`: upload a built dashboard (`dist/`) to the site bucket.
//!
//! Nothing is uploaded until the whole folder checks out ([`plan_deploy`]): `index.html` exists,
//! every local file it references exists, and there is a wasm module. Then every asset is
//! uploaded, `index.html` last: each PUT is atomic, and until the last one the old `index.html`
//! (still pointing at the old hashed assets, which stay) is what readers get. A failure part-way
//! leaves the old site working; running deploy again finishes the job.
//!
//! Hidden files and folders (`.stage`, which Trunk uses while building) are skipped. A
//! `manifest.json` inside `dist/` (a leftover of local testing) is never uploaded: the site's
//! manifest is publish's, and deploying must not replace live links with stale ones.

use std::path::{Path as FsPath, PathBuf};

use cinelake_lake::Lake;

use crate::SITE_MANIFEST;
use crate::content::{cache_control, content_type};
use crate::error::SiteError;
use crate::publish::{put_with_headers, require_s3};

/// One file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// The path relative to `dist/` and to the site root, `/`-separated.
    pub relative: String,
    /// The local file.
    pub path: PathBuf,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its `Cache-Control`.
    pub cache_control: &'static str,
    /// Its size in bytes.
    pub bytes: u64,
}

/// What deploy uploaded.
#[derive(Debug, Clone, Default)]
pub struct DeployReport {
    /// The full keys written, in order (`index.html` last).
    pub keys: Vec<String>,
    /// Total bytes uploaded.
    pub bytes: u64,
}

/// Checks `dist` and lists its files in upload order (`index.html` last).
pub fn plan_deploy(dist: &FsPath) -> Result<Vec<Asset>, SiteError> {
    let dist_error = |path: &FsPath, reason: &str| SiteError::Dist {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if !dist.is_dir() {
        return Err(dist_error(
            dist,
            "not a folder; build the dashboard first: trunk build --release --locked --offline",
        ));
    }
    let index = dist.join("index.html");
    if !index.is_file() {
        return Err(dist_error(
            dist,
            "has no index.html; build the dashboard first: trunk build --release --locked --offline",
        ));
    }
    let mut files = Vec::new();
    walk(dist, dist, &mut files)?;
    files.retain(|(relative, _)| relative != SITE_MANIFEST);

    let html = std::fs::read_to_string(&index).map_err(|source| SiteError::Read {
        path: index.clone(),
        source,
    })?;
    for reference in local_references(&html) {
        if !files.iter().any(|(relative, _)| *relative == reference) {
            return Err(dist_error(
                &index,
                &format!(
                    "references {reference}, which is not in {}; rebuild the dashboard",
                    dist.display()
                ),
            ));
        }
    }
    if !files
        .iter()
        .any(|(relative, _)| relative.ends_with(".wasm"))
    {
        return Err(dist_error(
            dist,
            "has no .wasm module; rebuild the dashboard",
        ));
    }

    let mut assets = Vec::with_capacity(files.len());
    for (relative, path) in files {
        let bytes = std::fs::metadata(&path)
            .map_err(|source| SiteError::Read {
                path: path.clone(),
                source,
            })?
            .len();
        assets.push(Asset {
            content_type: content_type(&relative),
            cache_control: cache_control(&relative),
            relative,
            path,
            bytes,
        });
    }
    // Hashed assets first, then the rest, then index.html: a page never references a missing file.
    assets.sort_by_key(|a| {
        (
            a.relative == "index.html",
            a.cache_control != crate::content::IMMUTABLE,
            a.relative.clone(),
        )
    });
    Ok(assets)
}

/// Uploads `assets` (from [`plan_deploy`]) to the site, in order.
pub async fn deploy(site: &Lake, assets: &[Asset]) -> Result<DeployReport, SiteError> {
    require_s3("site", site)?;
    let store = site.store();
    let mut report = DeployReport::default();
    for asset in assets {
        let body = std::fs::read(&asset.path).map_err(|source| SiteError::Read {
            path: asset.path.clone(),
            source,
        })?;
        let key = site.key(&asset.relative);
        report.bytes += body.len() as u64;
        put_with_headers(
            store.as_ref(),
            &key,
            body,
            asset.content_type,
            asset.cache_control,
            None,
        )
        .await?;
        report.keys.push(key.to_string());
    }
    Ok(report)
}

/// Every file under `dir`, as (`/`-separated path relative to `root`, path), sorted.
fn walk(root: &FsPath, dir: &FsPath, out: &mut Vec<(String, PathBuf)>) -> Result<(), SiteError> {
    let read_error = |source| SiteError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(read_error)?
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        // Hidden entries are tool state (Trunk's `.stage` while it builds, editor files), not site.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // `metadata` follows symlinks: a link to a file is deployed as that file.
        let meta = std::fs::metadata(&path).map_err(|source| SiteError::Read {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(root, &path, out)?;
        } else if meta.is_file() {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let Some(relative) = relative.to_str() else {
                return Err(SiteError::Dist {
                    path,
                    reason: "file name is not UTF-8".into(),
                });
            };
            out.push((
                relative.replace(std::path::MAIN_SEPARATOR, "/"),
                path.clone(),
            ));
        }
    }
    Ok(())
}

/// The local files an HTML page references through attribute values (`href`, `src`, Trunk's
/// `data-js` / `data-wasm`): relative URLs without a scheme, query or fragment, normalised
/// (`./a.js` → `a.js`). Absolute (`https:`, `data:`, `//host`) and root-relative references are
/// not files of this folder.
fn local_references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in ["href=\"", "src=\"", "data-js=\"", "data-wasm=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            let after = &rest[start + attribute.len()..];
            let Some(end) = after.find('"') else { break };
            let value = &after[..end];
            rest = &after[end..];
            let value = value.split(['?', '#']).next().unwrap_or(value);
            if value.is_empty() || value.contains(':') || value.starts_with('/') {
                continue;
            }
            let value = value.strip_prefix("./").unwrap_or(value).to_owned();
            if !out.contains(&value) {
                out.push(value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_local_references() {
        let html = r##"<link rel="icon" href="data:,"><link rel="stylesheet" href="./main-0123456789abcdef.css"/>
            <script type="module" src="./boot.js" data-js="./app-0123456789abcdef.js" data-wasm="./app-0123456789abcdef_bg.wasm"></script>
            <a href="https://example.com/x">x</a><a href="/abs">y</a><a href="#top">z</a><img src="img/a.png?v=1">"##;
        assert_eq!(
            local_references(html),
            vec![
                "main-0123456789abcdef.css",
                "boot.js",
                "img/a.png",
                "app-0123456789abcdef.js",
                "app-0123456789abcdef_bg.wasm"
            ]
        );
    }
}
