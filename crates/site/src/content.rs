//! Which `Content-Type` and `Cache-Control` each deployed file gets.
//!
//! Trunk names the assets it builds `NAME-<16 hex digits>.ext` (and `..._bg.wasm`): their content
//! never changes under a name, so browsers and CDNs may keep them a year. `index.html` and
//! `manifest.json` change in place and must be revalidated on every load (`no-cache`), or a
//! reader keeps an old page pointing at deleted assets, or expired links. Other files (such as
//! Trunk's copied `boot.js`) change in place too but rarely: a short cache.

/// Long-lived and immutable: for content-addressed (hashed) assets.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Always revalidate: `index.html` and `manifest.json`.
pub const NO_CACHE: &str = "no-cache";
/// Unhashed assets that may change on the next deploy.
pub const SHORT: &str = "public, max-age=300";

/// The `Content-Type` of a file by its extension (case-insensitive).
pub fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => "application/octet-stream",
    }
}

/// Whether the file name carries a Trunk content hash: `-` then 16 hex digits, then `.` or `_`.
pub fn is_hashed_asset(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    let bytes = file.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'-'
            && bytes.len() > i + 17
            && bytes[i + 1..i + 17].iter().all(|c| c.is_ascii_hexdigit())
            && matches!(bytes[i + 17], b'.' | b'_')
    })
}

/// The `Cache-Control` of a deployed file, by its path relative to the site root.
pub fn cache_control(relative: &str) -> &'static str {
    let file = relative.rsplit('/').next().unwrap_or(relative);
    if file == "index.html" || file == "manifest.json" {
        NO_CACHE
    } else if is_hashed_asset(file) {
        IMMUTABLE
    } else {
        SHORT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expected_type: &str, expected_cache: &str) {
        assert_eq!(
            (content_type(name), cache_control(name)),
            (expected_type, expected_cache),
            "{name}"
        );
    }

    #[test]
    fn headers_by_file() {
        check("index.html", "text/html; charset=utf-8", NO_CACHE);
        check("manifest.json", "application/json", NO_CACHE);
        check(
            "cinelake-dashboard-5314a75806ec8cf2_bg.wasm",
            "application/wasm",
            IMMUTABLE,
        );
        check(
            "cinelake-dashboard-5314a75806ec8cf2.js",
            "text/javascript; charset=utf-8",
            IMMUTABLE,
        );
        check(
            "main-5eae4dee4a40bf63.css",
            "text/css; charset=utf-8",
            IMMUTABLE,
        );
        check("boot.js", "text/javascript; charset=utf-8", SHORT);
        check("assets/logo.SVG", "image/svg+xml", SHORT);
        check("README", "application/octet-stream", SHORT);
        check("sub/index.html", "text/html; charset=utf-8", NO_CACHE);
    }

    #[test]
    fn hash_detection() {
        assert!(is_hashed_asset("a-0123456789abcdef.js"));
        assert!(is_hashed_asset("dir/a-b-0123456789ABCDEF_bg.wasm"));
        assert!(!is_hashed_asset("a-0123456789abcde.js"), "15 digits");
        assert!(!is_hashed_asset("a-0123456789abcdefg.js"), "17 characters");
        assert!(!is_hashed_asset("a-0123456789abcdef"), "nothing after");
        assert!(!is_hashed_asset("boot.js"));
    }
}
