//! The embedded endpoint against a real S3 client (object_store) and raw HTTP: signatures,
//! presigned URLs, public-read, CORS.

use std::time::Duration;

use cinelake_serve::{Credentials, ServeOptions, Server};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload};

struct Fixture {
    _root: tempfile::TempDir,
    server: Server,
    credentials: Credentials,
}

async fn start() -> Fixture {
    let root = tempfile::tempdir().unwrap();
    let credentials = Credentials::generate();
    let server = Server::start(ServeOptions {
        root: root.path().to_path_buf(),
        addr: "127.0.0.1:0".parse().unwrap(),
        credentials: credentials.clone(),
        public_read_buckets: vec!["site".into()],
        create_buckets: vec!["lake".into(), "site".into()],
    })
    .await
    .unwrap();
    Fixture {
        _root: root,
        server,
        credentials,
    }
}

fn store(fixture: &Fixture, bucket: &str, secret: &str) -> AmazonS3 {
    AmazonS3Builder::new()
        .with_endpoint(fixture.server.endpoint())
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_region("us-east-1")
        .with_bucket_name(bucket)
        .with_access_key_id(&fixture.credentials.access_key)
        .with_secret_access_key(secret)
        .build()
        .unwrap()
}

#[tokio::test]
async fn signed_put_then_get_round_trips() {
    let fixture = start().await;
    let lake = store(&fixture, "lake", &fixture.credentials.secret_key);
    let key = Path::from("Raw/Local/CSV/Movies/2026/11/25/movies.csv");
    lake.put(&key, PutPayload::from_static(b"id|x\n"))
        .await
        .unwrap();
    let bytes = lake.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..], b"id|x\n");
    // The object is a plain file under ROOT/bucket/key.
    let on_disk = std::fs::read(fixture._root.path().join("lake").join(key.as_ref())).unwrap();
    assert_eq!(on_disk, b"id|x\n");
    fixture.server.shutdown().await;
}

#[tokio::test]
async fn wrong_secret_is_refused() {
    let fixture = start().await;
    let lake = store(&fixture, "lake", "not-the-secret");
    let error = lake
        .put(&Path::from("k"), PutPayload::from_static(b"x"))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("403") || error.to_string().contains("SignatureDoesNotMatch"),
        "{error}"
    );
}

#[tokio::test]
async fn create_only_put_refuses_an_existing_key() {
    let fixture = start().await;
    let lake = store(&fixture, "lake", &fixture.credentials.secret_key);
    let key = Path::from("a/b.csv");
    let create = || object_store::PutOptions::from(PutMode::Create);
    lake.put_opts(&key, PutPayload::from_static(b"one"), create())
        .await
        .unwrap();
    let second = lake
        .put_opts(&key, PutPayload::from_static(b"two"), create())
        .await;
    assert!(
        matches!(second, Err(object_store::Error::AlreadyExists { .. })),
        "{second:?}"
    );
    let bytes = lake.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..], b"one");
}

#[tokio::test]
async fn presigned_get_works_and_tampering_or_expiry_is_refused() {
    let fixture = start().await;
    let lake = store(&fixture, "lake", &fixture.credentials.secret_key);
    let key = Path::from("Refined/dashboard/titles.csv");
    lake.put(&key, PutPayload::from_static(b"kind,id\n"))
        .await
        .unwrap();
    let client = reqwest::Client::new();

    let url = lake
        .signed_url(http::Method::GET, &key, Duration::from_secs(600))
        .await
        .unwrap();
    let response = client.get(url.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "kind,id\n");

    let tampered = url.as_str().replace("titles.csv", "titles.csv2");
    assert_eq!(client.get(tampered).send().await.unwrap().status(), 403);

    let short = lake
        .signed_url(http::Method::GET, &key, Duration::from_secs(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = client.get(short).send().await.unwrap().status();
    assert!(
        !expired.is_success(),
        "an expired URL must not be served, got {expired}"
    );
}

#[tokio::test]
async fn anonymous_reads_only_public_read_buckets() {
    let fixture = start().await;
    let secret = &fixture.credentials.secret_key;
    store(&fixture, "site", secret)
        .put(
            &Path::from("index.html"),
            PutPayload::from_static(b"<html></html>"),
        )
        .await
        .unwrap();
    store(&fixture, "lake", secret)
        .put(&Path::from("secret.csv"), PutPayload::from_static(b"x"))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let endpoint = fixture.server.endpoint();
    let status = |url: String| {
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(format!("{endpoint}/site/index.html")).await, 200);
    assert_eq!(status(format!("{endpoint}/lake/secret.csv")).await, 403);
    assert_eq!(
        status(format!("{endpoint}/site")).await,
        403,
        "listing is not public"
    );
    let anonymous_put = client
        .put(format!("{endpoint}/site/evil.html"))
        .body("x")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(anonymous_put, 403);
}

#[tokio::test]
async fn cors_preflight_and_exposed_headers() {
    let fixture = start().await;
    let endpoint = fixture.server.endpoint();
    let client = reqwest::Client::new();
    let preflight = client
        .request(http::Method::OPTIONS, format!("{endpoint}/lake/x.csv"))
        .header("Origin", "http://127.0.0.1:9999")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "range")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let header = |name: &str| {
        preflight
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(
        header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:9999")
    );
    assert_eq!(
        header("access-control-allow-headers").as_deref(),
        Some("range")
    );

    store(&fixture, "site", &fixture.credentials.secret_key)
        .put(&Path::from("a.txt"), PutPayload::from_static(b"hello"))
        .await
        .unwrap();
    let response = client
        .get(format!("{endpoint}/site/a.txt"))
        .header("Origin", "http://127.0.0.1:9999")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let exposed = response
        .headers()
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap();
    for name in ["Content-Length", "Content-Range", "ETag"] {
        assert!(exposed.contains(name), "{exposed}");
    }
}
