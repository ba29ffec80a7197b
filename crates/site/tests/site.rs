//! publish and deploy against the embedded S3 endpoint (`cinelake-serve`): presigned links work,
//! tampered and expired ones are refused, headers are right, and no secret reaches the site.
//! The browser half (CORS, the page's messages) is `tests/e2e/publish.test.mjs` on SeaweedFS.

use std::io::Read;
use std::path::{Path as FsPath, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use cinelake_lake::{Lake, LakeOptions, StaticCredentials};
use cinelake_serve::{Credentials, ServeOptions, Server};
use cinelake_site::{
    PublishOptions, SiteError, SiteManifest, deploy, plan_deploy, publish, site_base_url,
};
use object_store::{ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

const EXTRACT: &str = "kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes\n\
movie,tt0000001,First Comedy,First Comedy,1990,,90,Comedy,6.5,1200\n\
series,tt0000003,\"Both, Together\",,2001,2005,25,Animation;Comedy,8.1,900\n";
const EXTRACT_KEY: &str = "Refined/runs/r1/dashboard/titles.csv";

struct Fixture {
    root: PathBuf,
    server: Server,
    credentials: Credentials,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn temp_dir(tag: &str) -> Result<PathBuf> {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("cinelake-site-{}-{n}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    Ok(dir)
}

async fn start(tag: &str) -> Result<Fixture> {
    let root = temp_dir(tag)?;
    let credentials = Credentials::generate();
    let server = Server::start(ServeOptions {
        root: root.join("s3"),
        addr: "127.0.0.1:0".parse()?,
        credentials: credentials.clone(),
        public_read_buckets: vec!["site".into()],
        create_buckets: vec!["lake".into(), "site".into()],
    })
    .await?;
    Ok(Fixture {
        root,
        server,
        credentials,
    })
}

impl Fixture {
    fn open(&self, url: &str) -> Result<Lake> {
        let options = LakeOptions {
            endpoint: Some(self.server.endpoint()),
            region: Some("us-east-1".into()),
            credentials: Some(StaticCredentials {
                access_key_id: self.credentials.access_key.clone(),
                secret_access_key: self.credentials.secret_key.clone(),
                session_token: None,
            }),
            ..LakeOptions::default()
        };
        Ok(Lake::open(&url.parse()?, &options)?)
    }

    /// A lake holding a committed refine run: the extract and `Refined/_manifest.json`.
    async fn refined_lake(&self) -> Result<Lake> {
        let lake = self.open("s3://lake")?;
        let store = lake.store();
        store
            .put(
                &lake.key(EXTRACT_KEY),
                PutPayload::from(EXTRACT.as_bytes().to_vec()),
            )
            .await?;
        let manifest = serde_json::json!({
            "version": 1, "run_id": "r1", "engine": "datafusion",
            "extract": {"key": EXTRACT_KEY, "stable_key": "Refined/dashboard/titles.csv", "rows": 2,
                        "bytes": EXTRACT.len(), "sha256": hex(&Sha256::digest(EXTRACT.as_bytes()))},
        });
        store
            .put(
                &lake.key("Refined/_manifest.json"),
                PutPayload::from(serde_json::to_vec(&manifest)?),
            )
            .await?;
        Ok(lake)
    }
}

fn options(expires: Duration, gzip: bool) -> PublishOptions {
    PublishOptions {
        expires,
        gzip,
        site_url: None,
        now: chrono::Utc::now(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An anonymous GET, as a browser does it: (status, content-type, cache-control, content-encoding, body).
async fn get(url: &str) -> Result<(u16, String, String, String, Vec<u8>)> {
    let response = reqwest::get(url).await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, cache, encoding) = (
        header("content-type"),
        header("cache-control"),
        header("content-encoding"),
    );
    let status = response.status().as_u16();
    Ok((
        status,
        content_type,
        cache,
        encoding,
        response.bytes().await?.to_vec(),
    ))
}

#[tokio::test]
async fn publish_writes_a_manifest_whose_presigned_link_reads_the_extract() -> Result<()> {
    let fixture = start("publish").await?;
    let lake = fixture.refined_lake().await?;
    let site = fixture.open("s3://site/dash")?;
    let report = publish(&lake, &site, &options(Duration::from_secs(3600), false)).await?;

    let base = site_base_url(&site).context("s3 site has a url")?;
    assert_eq!(base, format!("{}/site/dash", fixture.server.endpoint()));
    assert_eq!(
        report.dashboard_url.as_deref(),
        Some(format!("{base}/index.html").as_str())
    );
    assert_eq!(report.linked_key, EXTRACT_KEY);
    assert_eq!(report.run_id.as_deref(), Some("r1"));

    let (status, content_type, cache, _, body) = get(&format!("{base}/manifest.json")).await?;
    assert_eq!(
        (status, content_type.as_str(), cache.as_str()),
        (200, "application/json", "no-cache")
    );
    let text = String::from_utf8(body)?;
    assert!(
        !text.contains(&fixture.credentials.secret_key),
        "the manifest holds no secret: {text}"
    );
    let manifest: SiteManifest = serde_json::from_str(&text)?;
    assert_eq!(manifest, report.manifest);
    assert_eq!(manifest.version, 1);
    let dataset = &manifest.datasets[0];
    assert_eq!(
        (dataset.name.as_str(), dataset.rows, dataset.bytes),
        ("titles", 2, EXTRACT.len() as u64)
    );
    assert!(
        dataset.url.contains(&format!(
            "X-Amz-Credential={}",
            fixture.credentials.access_key
        )),
        "{}",
        dataset.url
    );
    assert!(
        dataset.url.contains("X-Amz-Expires=3600"),
        "{}",
        dataset.url
    );
    let generated = chrono::DateTime::parse_from_rfc3339(&manifest.generated_at)?;
    let expires = chrono::DateTime::parse_from_rfc3339(&manifest.expires_at)?;
    assert_eq!((expires - generated).num_seconds(), 3600);

    let (status, _, _, _, body) = get(&dataset.url).await?;
    assert_eq!((status, body.as_slice()), (200, EXTRACT.as_bytes()));

    // Tampering with the signed key or the signature is refused by the server.
    let other_key = dataset.url.replace("titles.csv", "titles.csx");
    let flipped = flip_signature(&dataset.url);
    for tampered in [other_key, flipped] {
        let (status, ..) = get(&tampered).await?;
        assert!(
            !(200..300).contains(&status),
            "tampered link answered {status}: {tampered}"
        );
    }
    // The extract itself is not public: only the link reads it.
    let (status, ..) = get(&format!("{}/lake/{EXTRACT_KEY}", fixture.server.endpoint())).await?;
    assert!(
        !(200..300).contains(&status),
        "anonymous read of the lake answered {status}"
    );
    Ok(())
}

fn flip_signature(url: &str) -> String {
    let (head, signature) = url.split_once("X-Amz-Signature=").unwrap_or((url, ""));
    let mut chars: Vec<char> = signature.chars().collect();
    if let Some(first) = chars.first_mut() {
        *first = if *first == '0' { '1' } else { '0' };
    }
    format!(
        "{head}X-Amz-Signature={}",
        chars.into_iter().collect::<String>()
    )
}

#[tokio::test]
async fn an_expired_link_is_refused() -> Result<()> {
    let fixture = start("expired").await?;
    let lake = fixture.refined_lake().await?;
    let site = fixture.open("s3://site")?;
    let report = publish(&lake, &site, &options(Duration::from_secs(1), false)).await?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, ..) = get(&report.manifest.datasets[0].url).await?;
    assert!(
        !(200..300).contains(&status),
        "expired link answered {status}"
    );
    Ok(())
}

#[tokio::test]
async fn publish_gzip_links_a_gzip_encoded_copy() -> Result<()> {
    let fixture = start("gzip").await?;
    let lake = fixture.refined_lake().await?;
    let site = fixture.open("s3://site")?;
    let report = publish(&lake, &site, &options(Duration::from_secs(600), true)).await?;
    assert_eq!(report.linked_key, format!("{EXTRACT_KEY}.gz"));
    let dataset = &report.manifest.datasets[0];
    assert_eq!(
        dataset.bytes,
        EXTRACT.len() as u64,
        "bytes are the decoded size"
    );
    let (status, content_type, _, encoding, body) = get(&dataset.url).await?;
    assert_eq!(
        (status, content_type.as_str(), encoding.as_str()),
        (200, "text/csv; charset=utf-8", "gzip")
    );
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(body.as_slice()).read_to_string(&mut decoded)?;
    assert_eq!(decoded, EXTRACT);
    Ok(())
}

#[tokio::test]
async fn publish_refuses_a_lake_without_a_refine_run() -> Result<()> {
    let fixture = start("norefine").await?;
    let lake = fixture.open("s3://lake/empty")?;
    let site = fixture.open("s3://site")?;
    let error = publish(&lake, &site, &options(Duration::from_secs(60), false))
        .await
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "lake s3://lake/empty: no empty/Refined/_manifest.json yet; run `cinelake refine` first"
    );
    let (status, ..) = get(&format!("{}/site/manifest.json", fixture.server.endpoint())).await?;
    assert_eq!(status, 404, "no manifest was written");
    Ok(())
}

#[tokio::test]
async fn publish_refuses_an_extract_that_changed_since_refine() -> Result<()> {
    let fixture = start("changed").await?;
    let lake = fixture.refined_lake().await?;
    lake.store()
        .put(
            &lake.key(EXTRACT_KEY),
            PutPayload::from_static(b"kind,id\n"),
        )
        .await?;
    let site = fixture.open("s3://site")?;
    let error = publish(&lake, &site, &options(Duration::from_secs(60), false))
        .await
        .expect_err("refused");
    assert!(
        matches!(error, SiteError::ExtractChanged { detail: "size", .. }),
        "{error}"
    );
    let error = publish(&lake, &site, &options(Duration::from_secs(60), true))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            SiteError::ExtractChanged {
                detail: "sha256",
                ..
            }
        ),
        "{error}"
    );
    Ok(())
}

#[tokio::test]
async fn publish_refuses_more_than_seven_days_and_file_lakes() -> Result<()> {
    let fixture = start("limits").await?;
    let lake = fixture.refined_lake().await?;
    let site = fixture.open("s3://site")?;
    let error = publish(
        &lake,
        &site,
        &options(Duration::from_secs(7 * 86_400 + 1), false),
    )
    .await
    .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("presigned urls last at most 7 days"),
        "{error}"
    );
    let folder = temp_dir("filelake")?;
    let file_lake = Lake::open(
        &format!("file://{}", folder.display()).parse()?,
        &LakeOptions::default(),
    )?;
    let error = publish(&file_lake, &site, &options(Duration::from_secs(60), false))
        .await
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("publish and deploy need an s3:// bucket"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(folder);
    Ok(())
}

/// A `dist/` like Trunk's: hashed js, wasm and css, an unhashed `boot.js`, and a leftover
/// `manifest.json` that must not be deployed.
fn fake_dist(dir: &FsPath) -> Result<()> {
    let files: [(&str, &[u8]); 6] = [
        ("index.html", br#"<html><head><link rel="stylesheet" href="./main-5eae4dee4a40bf63.css"/><script type="module" src="./boot.js" data-js="./app-5314a75806ec8cf2.js" data-wasm="./app-5314a75806ec8cf2_bg.wasm"></script></head></html>"#),
        ("main-5eae4dee4a40bf63.css", b"body{}"),
        ("boot.js", b"import('./app.js')"),
        ("app-5314a75806ec8cf2.js", b"export default 1"),
        ("app-5314a75806ec8cf2_bg.wasm", b"\0asm\x01\0\0\0"),
        ("manifest.json", br#"{"version":1,"datasets":[]}"#),
    ];
    for (name, body) in files {
        std::fs::write(dir.join(name), body)?;
    }
    // Trunk's staging folder while a build runs: never deployed.
    std::fs::create_dir_all(dir.join(".stage"))?;
    std::fs::write(dir.join(".stage/index.html"), b"half-built")?;
    Ok(())
}

#[tokio::test]
async fn deploy_uploads_with_content_types_and_cache_control_index_last() -> Result<()> {
    let fixture = start("deploy").await?;
    let dist = temp_dir("dist")?;
    fake_dist(&dist)?;
    let site = fixture.open("s3://site/app")?;
    let plan = plan_deploy(&dist)?;
    let order: Vec<&str> = plan.iter().map(|a| a.relative.as_str()).collect();
    assert_eq!(
        order,
        [
            "app-5314a75806ec8cf2.js",
            "app-5314a75806ec8cf2_bg.wasm",
            "main-5eae4dee4a40bf63.css",
            "boot.js",
            "index.html"
        ]
    );
    let report = deploy(&site, &plan).await?;
    assert_eq!(
        report.keys.last().map(String::as_str),
        Some("app/index.html")
    );

    let base = site_base_url(&site).context("s3 site has a url")?;
    let check = async |name: &str, content_type: &str, cache: &str| -> Result<()> {
        let (status, got_type, got_cache, _, body) = get(&format!("{base}/{name}")).await?;
        assert_eq!(
            (status, got_type.as_str(), got_cache.as_str()),
            (200, content_type, cache),
            "{name}"
        );
        assert_eq!(body, std::fs::read(dist.join(name))?, "{name}");
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains(&fixture.credentials.secret_key),
            "{name} holds no secret"
        );
        Ok(())
    };
    check("index.html", "text/html; charset=utf-8", "no-cache").await?;
    check(
        "app-5314a75806ec8cf2_bg.wasm",
        "application/wasm",
        "public, max-age=31536000, immutable",
    )
    .await?;
    check(
        "app-5314a75806ec8cf2.js",
        "text/javascript; charset=utf-8",
        "public, max-age=31536000, immutable",
    )
    .await?;
    check(
        "main-5eae4dee4a40bf63.css",
        "text/css; charset=utf-8",
        "public, max-age=31536000, immutable",
    )
    .await?;
    check(
        "boot.js",
        "text/javascript; charset=utf-8",
        "public, max-age=300",
    )
    .await?;
    let (status, ..) = get(&format!("{base}/manifest.json")).await?;
    assert_eq!(
        status, 404,
        "dist/manifest.json is publish's business, not deploy's"
    );
    let _ = std::fs::remove_dir_all(dist);
    Ok(())
}

#[test]
fn deploy_refuses_an_incomplete_dist_before_uploading_anything() -> Result<()> {
    let dist = temp_dir("broken")?;
    let check = |expected: &str| {
        let error = plan_deploy(&dist).expect_err("refused").to_string();
        assert!(error.contains(expected), "{error}");
    };
    check("has no index.html");
    fake_dist(&dist)?;
    std::fs::remove_file(dist.join("app-5314a75806ec8cf2_bg.wasm"))?;
    check("references app-5314a75806ec8cf2_bg.wasm, which is not in");
    let error = plan_deploy(&dist.join("absent"))
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains("not a folder; build the dashboard first"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(dist);
    Ok(())
}

/// The CORS rule deploy sets, on the real test server (SeaweedFS, from `scripts/s3-server.sh`):
/// the site's origin may GET through a presigned URL, another origin gets no CORS grant.
/// Like the lake's S3 tests, this fails (never skips) without the server's environment.
#[tokio::test]
async fn set_cors_on_seaweedfs_allows_the_site_origin_only() -> Result<()> {
    let var = |name: &str| {
        std::env::var(name).with_context(|| {
            format!("{name} is not set: run through `scripts/s3-server.sh run cargo test -p cinelake-site`")
        })
    };
    let (endpoint, region) = (
        var("CINELAKE_TEST_S3_ENDPOINT")?,
        var("CINELAKE_TEST_S3_REGION")?,
    );
    let options = LakeOptions {
        endpoint: Some(endpoint.clone()),
        region: Some(region),
        credentials: Some(StaticCredentials {
            access_key_id: var("CINELAKE_TEST_S3_ACCESS_KEY")?,
            secret_access_key: var("CINELAKE_TEST_S3_SECRET_KEY")?,
            session_token: None,
        }),
        ..LakeOptions::default()
    };
    let bucket = format!(
        "site-cors-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    let data = Lake::open(&format!("s3://{bucket}").parse()?, &options)?;
    data.create_bucket().await?;
    let key = data.key("Refined/dashboard/titles.csv");
    data.store()
        .put(&key, PutPayload::from(EXTRACT.as_bytes().to_vec()))
        .await?;
    cinelake_site::set_cors(&data, "http://site.example:8080").await?;
    let url = data.signed_get_url(&key, Duration::from_secs(300)).await?;

    let client = reqwest::Client::new();
    let allowed = client
        .get(url.clone())
        .header("Origin", "http://site.example:8080")
        .send()
        .await?;
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(allowed.status().as_u16(), 200);
    assert_eq!(
        header(&allowed, "access-control-allow-origin").as_deref(),
        Some("http://site.example:8080")
    );
    let exposed = header(&allowed, "access-control-expose-headers").unwrap_or_default();
    for name in ["Content-Length", "Content-Range", "ETag"] {
        assert!(exposed.contains(name), "{name} exposed: {exposed}");
    }
    let other = client
        .get(url.clone())
        .header("Origin", "http://elsewhere.example")
        .send()
        .await?;
    assert_eq!(
        header(&other, "access-control-allow-origin"),
        None,
        "no grant for another origin"
    );
    let preflight = client
        .request(reqwest::Method::OPTIONS, url)
        .header("Origin", "http://site.example:8080")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "range")
        .send()
        .await?;
    assert_eq!(preflight.status().as_u16(), 200);
    let methods = header(&preflight, "access-control-allow-methods").unwrap_or_default();
    assert!(
        methods.contains("GET") && !methods.contains("PUT"),
        "{methods}"
    );
    Ok(())
}
