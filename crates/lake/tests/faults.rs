//! The lake's reads when an answer is cut, through the fault proxy (`cinelake-faults`) in front
//! of the test SeaweedFS: what object_store 0.13 alone does not survive (RELIABILITY.md).

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use cinelake_faults::{FaultConfig, FaultKind, FaultProxy, FaultTarget};
use cinelake_lake::{Lake, RetryOptions};
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use support::{S3Env, unique};

const KEYS: usize = 60;

/// S3 listings (`ListObjectsV2`) cut once each, at a random byte of the answer, head or body:
/// every listing still yields every key once, in order.
#[tokio::test]
async fn a_listing_cut_anywhere_in_its_answer_still_lists_every_key_once() -> Result<()> {
    let env = S3Env::from_env()?;
    let server: SocketAddr = env
        .endpoint
        .strip_prefix("http://")
        .context("the test endpoint is http://IP:PORT")?
        .trim_end_matches('/')
        .parse()?;
    let proxy = FaultProxy::start(server, FaultConfig::none()).await?;
    let url = format!("s3://t{}/lake", unique("cut-listing"));
    let retry = RetryOptions {
        max_retries: 10,
        timeout: Duration::from_secs(60),
    };
    let direct = Lake::open(&url.parse()?, &env.options(retry.clone()))?;
    direct.create_bucket().await?;
    let mut expected = Vec::new();
    for i in 0..KEYS {
        // Long keys, so most of a listing's bytes are its body.
        let key = direct.key(&format!(
            "Raw/Local/CSV/Movies/2024/01/{i:02}/movies-with-a-long-name-{i:03}.csv"
        ));
        direct.store().put(&key, "x".into()).await?;
        expected.push(key.to_string());
    }

    let proxied = S3Env {
        endpoint: proxy.endpoint(),
        ..env.clone()
    };
    let lake = Lake::open(&url.parse()?, &proxied.options(retry))?;
    for seed in 1..=12 {
        let mut config = FaultConfig::once(
            FaultKind::DropResponse,
            FaultTarget {
                method: Some("GET".into()),
                path_contains: Some("list-type=2".into()),
            },
        );
        config.seed = seed;
        proxy.set_config(config)?;
        let before = proxy.counts();
        let listed: Vec<String> = lake
            .store()
            .list(Some(&lake.key("Raw")))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .with_context(|| format!("seed {seed}"))?;
        assert_eq!(listed, expected, "seed {seed}");
        assert_eq!(
            proxy.counts().since(&before).get(FaultKind::DropResponse),
            1,
            "seed {seed}: one answer cut"
        );
    }
    proxy.check()?;
    Ok(())
}
