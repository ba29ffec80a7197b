//! Just enough of the AWS shared config files (`~/.aws/credentials`, `~/.aws/config`) to honour
//! `AWS_PROFILE`, which object_store 0.13 does not read itself.
//!
//! Only static keys, region and `endpoint_url` are read; SSO, `credential_process` and role
//! chaining are not supported (use environment variables, or `aws configure export-credentials`).

use std::collections::HashMap;
use std::path::PathBuf;

/// The settings of one profile, merged from both files.
#[derive(Default, Clone, PartialEq, Eq)]
pub(crate) struct Profile {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret and the token are never printed.
        f.debug_struct("Profile")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .finish_non_exhaustive()
    }
}

/// Loads the profile named by `AWS_PROFILE` (or `default`) from the files named by
/// `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE` (or their `~/.aws/` defaults). Missing files
/// are not an error: the profile is then empty.
pub(crate) fn load_from_env() -> Profile {
    let name = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".to_owned());
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(default))
    };
    let credentials = std::fs::read_to_string(file("AWS_SHARED_CREDENTIALS_FILE", "credentials"))
        .unwrap_or_default();
    let config = std::fs::read_to_string(file("AWS_CONFIG_FILE", "config")).unwrap_or_default();
    load(&name, &credentials, &config)
}

/// Merges profile `name` from the credentials file text and the config file text. In the config
/// file, profiles other than `default` are written `[profile NAME]`.
pub(crate) fn load(name: &str, credentials: &str, config: &str) -> Profile {
    let config_section = if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {name}")
    };
    let creds = section(credentials, name);
    let conf = section(config, &config_section);
    let get = |key: &str| creds.get(key).or_else(|| conf.get(key)).cloned();
    Profile {
        access_key_id: get("aws_access_key_id"),
        secret_access_key: get("aws_secret_access_key"),
        session_token: get("aws_session_token"),
        region: get("region"),
        endpoint_url: get("endpoint_url"),
    }
}

/// The `key = value` pairs of one `[section]` of an INI-like file.
fn section(text: &str, wanted: &str) -> HashMap<String, String> {
    let mut current: Option<String> = None;
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.trim().to_owned());
        } else if current.as_deref() == Some(wanted)
            && let Some((k, v)) = line.split_once('=')
        {
            out.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: &str = "[default]\naws_access_key_id = AK1\naws_secret_access_key = SK1\n\n[work]\naws_access_key_id=AK2\naws_secret_access_key=SK2\naws_session_token = T2\n";
    const CONFIG: &str = "[default]\nregion = eu-west-1\n# comment\n[profile work]\nregion = us-west-2\nendpoint_url = http://127.0.0.1:9000\n";

    #[test]
    fn reads_default_and_named_profiles() {
        let d = load("default", CREDENTIALS, CONFIG);
        assert_eq!(d.access_key_id.as_deref(), Some("AK1"));
        assert_eq!(d.secret_access_key.as_deref(), Some("SK1"));
        assert_eq!(d.region.as_deref(), Some("eu-west-1"));
        assert_eq!(d.endpoint_url, None);
        let w = load("work", CREDENTIALS, CONFIG);
        assert_eq!(w.access_key_id.as_deref(), Some("AK2"));
        assert_eq!(w.session_token.as_deref(), Some("T2"));
        assert_eq!(w.region.as_deref(), Some("us-west-2"));
        assert_eq!(w.endpoint_url.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(load("absent", CREDENTIALS, CONFIG), Profile::default());
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", load("work", CREDENTIALS, CONFIG));
        assert!(text.contains("AK2"), "{text}");
        assert!(!text.contains("SK2") && !text.contains("T2"), "{text}");
    }
}
