//! CORS on the data bucket: the page (served from the site's origin) fetches the extract from the
//! data bucket's origin through a presigned URL, which is a cross-origin GET. The browser reads the
//! answer only if the data bucket allows the site's origin.
//!
//! The rule is the least the dashboard needs: GET and HEAD from one origin, the `Range` request
//! header (resumable and partial reads), and `Content-Length`, `Content-Range` and `ETag` exposed
//! (progress and integrity). PutBucketCors replaces the bucket's whole CORS configuration.

use base64::Engine;
use cinelake_lake::{Lake, LakeUrl};
use md5::{Digest, Md5};

use crate::error::SiteError;
use crate::publish::require_s3;

/// The CORS configuration XML allowing `origin` to GET and HEAD.
pub fn cors_xml(origin: &str) -> String {
    let origin = escape(origin);
    format!(
        "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule>\
         <AllowedOrigin>{origin}</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>\
         <AllowedHeader>Range</AllowedHeader>\
         <ExposeHeader>Content-Length</ExposeHeader><ExposeHeader>Content-Range</ExposeHeader><ExposeHeader>ETag</ExposeHeader>\
         <MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>"
    )
}

/// Sets the data bucket's CORS configuration to [`cors_xml`]`(origin)`.
pub async fn set_cors(data: &Lake, origin: &str) -> Result<(), SiteError> {
    require_s3("data bucket", data)?;
    let Some(admin) = data.s3_admin() else {
        return Err(SiteError::NotS3 {
            role: "data bucket",
            url: data.url().to_string(),
        });
    };
    let body = cors_xml(origin);
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body.as_bytes()));
    admin
        .put_bucket_subresource(
            "cors",
            body,
            &[
                ("content-md5", md5),
                ("content-type", "application/xml".to_owned()),
            ],
        )
        .await?;
    Ok(())
}

/// The origin (`scheme://host[:port]`) readers load the site from when it is served by its own
/// S3 endpoint; `None` for a `file://` site.
pub fn site_origin(site: &Lake) -> Option<String> {
    if !matches!(site.url(), LakeUrl::S3 { .. }) {
        return None;
    }
    let base = site.s3_admin()?.bucket_url();
    origin_of(base)
}

fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_bucket_urls() {
        let check = |url: &str, expected: Option<&str>| {
            assert_eq!(origin_of(url).as_deref(), expected, "{url}")
        };
        check("http://127.0.0.1:8333/site", Some("http://127.0.0.1:8333"));
        check(
            "https://site.s3.eu-west-1.amazonaws.com",
            Some("https://site.s3.eu-west-1.amazonaws.com"),
        );
        check("nonsense", None);
        check("http:///x", None);
    }

    #[test]
    fn cors_rule_is_least_privilege() {
        let xml = cors_xml("https://a.example");
        assert!(
            xml.contains("<AllowedOrigin>https://a.example</AllowedOrigin>"),
            "{xml}"
        );
        assert_eq!(
            xml.matches("<AllowedMethod>").count(),
            2,
            "GET and HEAD only: {xml}"
        );
        for header in ["Content-Length", "Content-Range", "ETag"] {
            assert!(
                xml.contains(&format!("<ExposeHeader>{header}</ExposeHeader>")),
                "{header}: {xml}"
            );
        }
        assert!(!xml.contains("<AllowedOrigin>*"), "{xml}");
    }
}
