//! `cinelake publish` and `cinelake deploy`: how the dashboard becomes a static site on S3 that
//! reads the refined extract without ever holding a credential.
//!
//! - [`publish()`] reads the lake's `Refined/_manifest.json` (refine's commit point), presigns a GET
//!   URL for the extract it names (SigV4, at most 7 days, see [`parse_expiry`]) and writes the
//!   site's `manifest.json` ([`SiteManifest`]), optionally after storing a gzip-encoded copy.
//! - [`plan_deploy`] validates a built `dist/` folder and decides each file's `Content-Type` and
//!   `Cache-Control` ([`content_type`], [`cache_control`]); [`deploy()`] uploads it with
//!   `index.html` last, so a reader never gets a page whose assets are missing.
//! - [`set_cors`] lets the site's origin read the data bucket ([`cors_xml`]).
//!
//! Architecture invariant: nothing this crate writes to a site contains a secret. The manifest
//! holds only presigned URLs; their `X-Amz-Credential` names the access key *id*, as SigV4
//! requires, never the secret key.

mod content;
mod cors;
mod deploy;
mod error;
mod expiry;
mod manifest;
mod publish;

pub use content::{cache_control, content_type, is_hashed_asset};
pub use cors::{cors_xml, set_cors, site_origin};
pub use deploy::{Asset, DeployReport, deploy, plan_deploy};
pub use error::SiteError;
pub use expiry::{ExpiryError, MAX_EXPIRY, format_expiry, parse_expiry};
pub use manifest::{Dataset, RefinedExtract, SiteManifest};
pub use publish::{PublishOptions, PublishReport, publish, published_urls, site_base_url};

/// The site's manifest key, next to `index.html`.
pub const SITE_MANIFEST: &str = "manifest.json";
/// Refine's commit point, relative to the lake's root.
pub const REFINED_MANIFEST: &str = "Refined/_manifest.json";
