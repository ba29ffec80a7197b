//! The TMDB HTTP client: one GET at a time through a rate limiter, with retries.
//!
//! Status handling, decided per the API's documented behaviour:
//! - 2xx: the JSON body.
//! - 401: [`TmdbError::Unauthorized`] at once — a bad token will not get better by retrying.
//! - 404: [`Fetched::NotFound`], not retried.
//! - 429 and 5xx (and transport errors): retried up to [`ClientOptions::max_retries`] times; the
//!   wait is the response's `Retry-After` (seconds) when present, else exponential backoff.
//! - anything else: [`TmdbError::Status`].

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use tokio::time::Instant;

use crate::error::TmdbError;

/// The API token. `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token (from `TMDB_API_TOKEN`).
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// How the client paces and retries requests.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The API root, such as `https://api.themoviedb.org/3` (no trailing `/` needed).
    pub base_url: String,
    /// Requests started per second at most; 0 means no limit.
    pub requests_per_second: f64,
    /// Attempts after the first on 429, 5xx and transport errors.
    pub max_retries: u32,
    /// The first backoff when the server gives no `Retry-After`; doubled on each retry.
    pub backoff: Duration,
    /// The longest single wait, whatever `Retry-After` asks for.
    pub max_wait: Duration,
    /// Each request's timeout.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: crate::DEFAULT_BASE_URL.to_string(),
            // TMDB allows about 50 requests a second per IP; stay well below.
            requests_per_second: 20.0,
            max_retries: 5,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        }
    }
}

/// A response that is not an error.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// 2xx with its JSON body.
    Found(serde_json::Value),
    /// 404.
    NotFound,
}

/// A TMDB API client. `Debug` hides the token.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    auth: HeaderValue,
    options: ClientOptions,
    next_start: Option<Instant>,
    requests: u64,
}

impl Client {
    /// Builds a client; nothing is contacted yet.
    pub fn new(token: &Token, options: ClientOptions) -> Result<Client, TmdbError> {
        let base_url = options.base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(TmdbError::BaseUrl {
                url: options.base_url.clone(),
                reason: "must start with http:// or https://".to_string(),
            });
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.0))
            .map_err(|_| TmdbError::BadToken)?;
        // Keeps the value out of any header dump reqwest or hyper might make.
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .user_agent(concat!("cinelake/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(TmdbError::ClientBuild)?;
        Ok(Client {
            http,
            base_url,
            auth,
            options,
            next_start: None,
            requests: 0,
        })
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// `GET /find/{imdb_id}?external_source=imdb_id`.
    pub async fn find(&mut self, imdb_id: &str) -> Result<Fetched, TmdbError> {
        self.get(&format!("/find/{imdb_id}?external_source=imdb_id"))
            .await
    }

    /// `GET /movie/{id}` or `/tv/{id}` (`kind` is `movie` or `tv`).
    pub async fn details(&mut self, kind: &str, tmdb_id: u64) -> Result<Fetched, TmdbError> {
        self.get(&format!("/{kind}/{tmdb_id}")).await
    }

    /// `GET {base_url}{path}` with the rules in the module docs. `path` starts with `/`.
    pub async fn get(&mut self, path: &str) -> Result<Fetched, TmdbError> {
        let url = format!("{}{path}", self.base_url);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            self.pace().await;
            self.requests += 1;
            let sent = self
                .http
                .get(&url)
                .header(AUTHORIZATION, self.auth.clone())
                .send()
                .await;
            let (last, wait) = match sent {
                Err(error) => (error.without_url().to_string(), None),
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        let body = response.bytes().await.map_err(|e| TmdbError::GaveUp {
                            path: path.to_string(),
                            attempts: attempt,
                            last: e.without_url().to_string(),
                        })?;
                        let value = serde_json::from_slice(&body).map_err(|e| TmdbError::Json {
                            path: path.to_string(),
                            reason: e.to_string(),
                        })?;
                        return Ok(Fetched::Found(value));
                    }
                    match status {
                        StatusCode::UNAUTHORIZED => {
                            return Err(TmdbError::Unauthorized {
                                path: path.to_string(),
                            });
                        }
                        StatusCode::NOT_FOUND => return Ok(Fetched::NotFound),
                        s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                            let wait = retry_after(response.headers().get(RETRY_AFTER));
                            (format!("status {}", s.as_u16()), wait)
                        }
                        s => {
                            return Err(TmdbError::Status {
                                path: path.to_string(),
                                status: s.as_u16(),
                            });
                        }
                    }
                }
            };
            if attempt > self.options.max_retries {
                return Err(TmdbError::GaveUp {
                    path: path.to_string(),
                    attempts: attempt,
                    last,
                });
            }
            let backoff = self
                .options
                .backoff
                .saturating_mul(1 << (attempt - 1).min(16));
            let wait = wait.unwrap_or(backoff).min(self.options.max_wait);
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits until the next request may start under the rate limit.
    async fn pace(&mut self) {
        let rate = self.options.requests_per_second;
        if !(rate > 0.0 && rate.is_finite()) {
            return;
        }
        let now = Instant::now();
        if let Some(at) = self.next_start
            && at > now
        {
            tokio::time::sleep_until(at).await;
        }
        let start = Instant::now();
        self.next_start = Some(start + Duration::from_secs_f64(1.0 / rate));
    }
}

/// `Retry-After` as a wait: whole (or decimal) seconds. The HTTP-date form is rare on APIs and is
/// treated as absent, which falls back to the exponential backoff.
pub(crate) fn retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let text = value?.to_str().ok()?.trim();
    let seconds: f64 = text.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(header: Option<&str>, expected: Option<Duration>) {
        let value = header.map(|h| HeaderValue::from_str(h).expect("test header"));
        assert_eq!(retry_after(value.as_ref()), expected, "{header:?}");
    }

    #[test]
    fn retry_after_values() {
        check(None, None);
        check(Some("0"), Some(Duration::ZERO));
        check(Some("3"), Some(Duration::from_secs(3)));
        check(Some(" 2 "), Some(Duration::from_secs(2)));
        check(Some("1.5"), Some(Duration::from_millis(1500)));
        check(Some("-1"), None);
        check(Some("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        check(Some("soon"), None);
    }

    #[test]
    fn token_debug_is_redacted() {
        let token = Token::new("s3cr3t-token");
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
        let client = Client::new(&token, ClientOptions::default()).expect("client");
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }
}
