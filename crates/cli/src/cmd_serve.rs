//! `cinelake serve`: an S3-compatible endpoint over a local folder, for trying cinelake (and any
//! S3 client) without a cloud account.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use cinelake_serve::{Credentials, ServeOptions, Server};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder that holds one sub-folder per bucket (objects are plain files under ROOT/bucket/key).
    #[arg(long, default_value = "cinelake-data")]
    root: PathBuf,
    /// Address to listen on. Anything but loopback exposes the lake to your network.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// Create this bucket if it does not exist (repeatable).
    #[arg(long = "bucket", value_name = "NAME")]
    buckets: Vec<String>,
    /// Let anonymous requests GET and HEAD objects of this bucket, e.g. the dashboard's site
    /// bucket (repeatable).
    #[arg(long = "public-read", value_name = "NAME")]
    public_read: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (credentials, generated) = credentials_from_env()?;
    let options = ServeOptions {
        root: args.root.clone(),
        addr: SocketAddr::new(args.host, args.port),
        credentials: credentials.clone(),
        public_read_buckets: args.public_read,
        create_buckets: args.buckets,
    };
    crate::runtime()?.block_on(async move {
        let server = Server::start(options).await?;
        println!(
            "cinelake: serving {} at {}",
            args.root.display(),
            server.endpoint()
        );
        println!("point S3 clients at it with:");
        println!("  export AWS_ENDPOINT_URL={}", server.endpoint());
        println!("  export AWS_REGION=us-east-1");
        println!("  export AWS_ACCESS_KEY_ID={}", credentials.access_key);
        if generated {
            // The user has no other way to learn a generated secret; one set in the environment
            // is never echoed.
            println!("  export AWS_SECRET_ACCESS_KEY={}", credentials.secret_key);
        } else {
            println!("  (AWS_SECRET_ACCESS_KEY: the one in your environment)");
        }
        println!("Ctrl-C stops it.");
        server
            .run_until(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// The key pair from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, or a generated one (`true`).
pub fn credentials_from_env() -> anyhow::Result<(Credentials, bool)> {
    let access_key = std::env::var("AWS_ACCESS_KEY_ID")
        .ok()
        .filter(|v| !v.is_empty());
    let secret_key = std::env::var("AWS_SECRET_ACCESS_KEY")
        .ok()
        .filter(|v| !v.is_empty());
    match (access_key, secret_key) {
        (Some(access_key), Some(secret_key)) => Ok((
            Credentials {
                access_key,
                secret_key,
            },
            false,
        )),
        (None, None) => Ok((Credentials::generate(), true)),
        _ => Err(anyhow::anyhow!(
            "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither to generate a pair"
        ))
        .context("cannot choose the endpoint's credentials"),
    }
}
