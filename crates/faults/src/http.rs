//! Just enough HTTP/1.1 framing to fault one exchange of a kept-alive connection: where a request
//! head ends and how long its body is, where a response head ends and how long its body is.

/// Heads longer than this are not parsed: the connection is then only relayed.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyLength {
    /// `Content-Length` bytes (0 when absent on a request).
    Exact(u64),
    /// Chunked or read-to-close: the proxy cannot see where it ends.
    Unknown,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestHead {
    /// Bytes of the head, blank line included.
    pub len: usize,
    /// The method, `GET`, `PUT`, ...
    pub method: String,
    /// The path and query.
    pub path: String,
    /// A `HEAD` request: its response has a head and no body.
    pub is_head: bool,
    pub body: BodyLength,
}

/// A parsed response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponseHead {
    pub len: usize,
    pub status: u16,
    pub body: BodyLength,
}

/// Why a head could not be framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unframeable;

fn content_length(headers: &[httparse::Header<'_>]) -> Result<Option<BodyLength>, Unframeable> {
    let mut length = None;
    for header in headers {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Ok(Some(BodyLength::Unknown));
        }
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).map_err(|_| Unframeable)?;
            let n = text.trim().parse::<u64>().map_err(|_| Unframeable)?;
            length = Some(BodyLength::Exact(n));
        }
    }
    Ok(length)
}

/// Parses a request head at the start of `buf`; `Ok(None)` when more bytes are needed.
pub(crate) fn parse_request(buf: &[u8]) -> Result<Option<RequestHead>, Unframeable> {
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => {
            let body = content_length(request.headers)?.unwrap_or(BodyLength::Exact(0));
            let method = request.method.unwrap_or_default().to_owned();
            Ok(Some(RequestHead {
                len,
                is_head: method == "HEAD",
                method,
                path: request.path.unwrap_or_default().to_owned(),
                body,
            }))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(_) => Err(Unframeable),
    }
}

/// Parses a response head at the start of `buf`; `Ok(None)` when more bytes are needed.
pub(crate) fn parse_response(
    buf: &[u8],
    to_head_request: bool,
) -> Result<Option<ResponseHead>, Unframeable> {
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => {
            let status = response.code.unwrap_or(0);
            let bodiless = to_head_request || status < 200 || status == 204 || status == 304;
            let body = if bodiless {
                BodyLength::Exact(0)
            } else {
                content_length(response.headers)?.unwrap_or(BodyLength::Unknown)
            };
            Ok(Some(ResponseHead { len, status, body }))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(_) => Err(Unframeable),
    }
}

/// A minimal S3-style error response that closes the connection.
pub(crate) fn status_response(status: u16) -> Vec<u8> {
    let (reason, code) = match status {
        503 => ("Service Unavailable", "ServiceUnavailable"),
        _ => ("Internal Server Error", "InternalError"),
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by cinelake-faults</Message></Error>"
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_heads_are_framed() {
        let check = |text: &str, expected: Result<Option<RequestHead>, Unframeable>| {
            assert_eq!(parse_request(text.as_bytes()), expected, "{text:?}");
        };
        let put = "PUT /b/k HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello";
        check(
            put,
            Ok(Some(RequestHead {
                len: put.len() - 5,
                method: "PUT".into(),
                path: "/b/k".into(),
                is_head: false,
                body: BodyLength::Exact(5),
            })),
        );
        let head = "HEAD /b/k HTTP/1.1\r\nhost: x\r\n\r\n";
        check(
            head,
            Ok(Some(RequestHead {
                len: head.len(),
                method: "HEAD".into(),
                path: "/b/k".into(),
                is_head: true,
                body: BodyLength::Exact(0),
            })),
        );
        check("GET /b/k HTTP/1.1\r\nhost: x\r\n", Ok(None));
        let chunked = "POST /b HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n";
        check(
            chunked,
            Ok(Some(RequestHead {
                len: chunked.len(),
                method: "POST".into(),
                path: "/b".into(),
                is_head: false,
                body: BodyLength::Unknown,
            })),
        );
        check(
            "PUT /b HTTP/1.1\r\ncontent-length: many\r\n\r\n",
            Err(Unframeable),
        );
        check("\x01\x02 not http\r\n\r\n", Err(Unframeable));
    }

    #[test]
    fn response_heads_are_framed() {
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
        assert_eq!(
            parse_response(ok.as_bytes(), false),
            Ok(Some(ResponseHead {
                len: ok.len(),
                status: 200,
                body: BodyLength::Exact(10)
            }))
        );
        // The answer to a HEAD carries the object's length but no body.
        assert_eq!(
            parse_response(ok.as_bytes(), true).map(|h| h.map(|h| h.body)),
            Ok(Some(BodyLength::Exact(0)))
        );
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(
            parse_response(chunked.as_bytes(), false).map(|h| h.map(|h| h.body)),
            Ok(Some(BodyLength::Unknown))
        );
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n", false), Ok(None));
    }

    #[test]
    fn injected_responses_parse_and_close() {
        for status in [500, 503] {
            let bytes = status_response(status);
            let head = parse_response(&bytes, false)
                .expect("frames")
                .expect("complete");
            assert_eq!(head.status, status);
            assert_eq!(
                head.body,
                BodyLength::Exact((bytes.len() - head.len) as u64)
            );
            let text = String::from_utf8(bytes).expect("ascii");
            assert!(text.contains("Connection: close"), "{text}");
        }
    }
}
