//! Lake addresses: `s3://bucket[/prefix]` and `file://DIR`.
//!
//! A lake URL says where the lake lives, not how to reach it: credentials, region and endpoint come
//! from the standard AWS chain (see [`crate::LakeOptions`]). Parsing is strict so a typo such as
//! `s3:/bucket` or `S3://Bucket` is reported at once instead of writing somewhere unexpected.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where a lake lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeUrl {
    /// An S3 bucket (AWS or any S3-compatible endpoint) and an optional key prefix.
    S3 {
        /// The bucket name, validated against S3's naming rules.
        bucket: String,
        /// The key prefix without leading or trailing `/`; empty for the bucket's root.
        prefix: String,
    },
    /// A plain folder on this machine; created on first use.
    File {
        /// The folder, as given (relative paths are resolved against the working directory
        /// when the lake is opened).
        root: PathBuf,
    },
}

/// Why a lake URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LakeUrlError {
    /// Neither `s3://` nor `file://`.
    #[error("lake url {url:?}: expected s3://bucket[/prefix] or file://DIR")]
    Scheme {
        /// The offending input.
        url: String,
    },
    /// The bucket name breaks S3's rules.
    #[error(
        "lake url {url:?}: bucket {bucket:?} is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit)"
    )]
    Bucket {
        /// The offending input.
        url: String,
        /// The bucket part.
        bucket: String,
    },
    /// The prefix has an empty, `.` or `..` segment.
    #[error("lake url {url:?}: prefix segment {segment:?} is not allowed")]
    Prefix {
        /// The offending input.
        url: String,
        /// The bad segment.
        segment: String,
    },
    /// `file://` with nothing after it.
    #[error("lake url {url:?}: file:// needs a directory, for example file:///tmp/lake")]
    EmptyPath {
        /// The offending input.
        url: String,
    },
}

impl FromStr for LakeUrl {
    type Err = LakeUrlError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if !valid_bucket(bucket) {
                return Err(LakeUrlError::Bucket {
                    url: url.to_owned(),
                    bucket: bucket.to_owned(),
                });
            }
            // A trailing slash is a common way to write a folder; anything else odd is refused.
            let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
            if !prefix.is_empty() {
                for segment in prefix.split('/') {
                    if segment.is_empty() || segment == "." || segment == ".." {
                        return Err(LakeUrlError::Prefix {
                            url: url.to_owned(),
                            segment: segment.to_owned(),
                        });
                    }
                }
            }
            Ok(LakeUrl::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            })
        } else if let Some(rest) = url.strip_prefix("file://") {
            if rest.is_empty() {
                return Err(LakeUrlError::EmptyPath {
                    url: url.to_owned(),
                });
            }
            Ok(LakeUrl::File {
                root: PathBuf::from(rest),
            })
        } else {
            Err(LakeUrlError::Scheme {
                url: url.to_owned(),
            })
        }
    }
}

impl fmt::Display for LakeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LakeUrl::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            LakeUrl::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            LakeUrl::File { root } => write!(f, "file://{}", root.display()),
        }
    }
}

/// S3's general-purpose bucket naming rules (without the rarely relevant reserved prefixes).
fn valid_bucket(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge_ok = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (3..=63).contains(&bytes.len())
        && bytes.iter().all(|b| edge_ok(b) || *b == b'.' || *b == b'-')
        && bytes.first().is_some_and(edge_ok)
        && bytes.last().is_some_and(edge_ok)
        && !name.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<LakeUrl, &str>) {
        let got = input.parse::<LakeUrl>().map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_owned), "input {input:?}");
    }

    fn s3(bucket: &str, prefix: &str) -> LakeUrl {
        LakeUrl::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    #[test]
    fn parses_good_urls() {
        check("s3://lake", Ok(s3("lake", "")));
        check("s3://lake/", Ok(s3("lake", "")));
        check("s3://my-lake.v2/a/b", Ok(s3("my-lake.v2", "a/b")));
        check("s3://lake/a/b/", Ok(s3("lake", "a/b")));
        check(
            "file:///tmp/lake",
            Ok(LakeUrl::File {
                root: "/tmp/lake".into(),
            }),
        );
        check(
            "file://rel/dir",
            Ok(LakeUrl::File {
                root: "rel/dir".into(),
            }),
        );
    }

    #[test]
    fn refuses_bad_urls() {
        check(
            "lake",
            Err(r#"lake url "lake": expected s3://bucket[/prefix] or file://DIR"#),
        );
        check(
            "s3:/lake",
            Err(r#"lake url "s3:/lake": expected s3://bucket[/prefix] or file://DIR"#),
        );
        check(
            "https://x/y",
            Err(r#"lake url "https://x/y": expected s3://bucket[/prefix] or file://DIR"#),
        );
        check(
            "file://",
            Err(r#"lake url "file://": file:// needs a directory, for example file:///tmp/lake"#),
        );
        check(
            "s3://a//b",
            Err(
                r#"lake url "s3://a//b": bucket "a" is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit)"#,
            ),
        );
        check(
            "s3://lake//b",
            Err(r#"lake url "s3://lake//b": prefix segment "" is not allowed"#),
        );
        check(
            "s3://lake/a/../b",
            Err(r#"lake url "s3://lake/a/../b": prefix segment ".." is not allowed"#),
        );
        for bad in [
            "s3://Lake",
            "s3://-lake",
            "s3://lake-",
            "s3://la",
            "s3://a..b",
            "s3://la_ke",
        ] {
            assert!(
                matches!(bad.parse::<LakeUrl>(), Err(LakeUrlError::Bucket { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for url in ["s3://lake", "s3://lake/a/b", "file:///tmp/x"] {
            assert_eq!(
                url.parse::<LakeUrl>().map(|u| u.to_string()),
                Ok(url.to_owned())
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(input in ".{0,80}") {
            let _ = input.parse::<LakeUrl>();
        }

        #[test]
        fn s3_urls_round_trip(
            bucket in "[a-z0-9][a-z0-9-]{1,20}[a-z0-9]",
            prefix in proptest::collection::vec("[A-Za-z0-9_=-][A-Za-z0-9._=-]{0,8}", 0..4),
        ) {
            let url = if prefix.is_empty() {
                format!("s3://{bucket}")
            } else {
                format!("s3://{bucket}/{}", prefix.join("/"))
            };
            let parsed = url.parse::<LakeUrl>();
            proptest::prop_assert_eq!(parsed.map(|u| u.to_string()), Ok(url));
        }
    }
}
