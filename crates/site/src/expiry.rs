//! How long presigned links live: `--expires 24h`, `90m`, `7d`, `1d12h`, `3600s`.
//!
//! SigV4 query-string signatures are valid for at most 7 days (604 800 s); S3 refuses longer
//! ones only when the link is used, so we refuse them up front with a message that says why.

use std::time::Duration;

/// SigV4's limit for presigned URLs.
pub const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Why an expiry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    /// Not a sequence of `<number><unit>` with units `s`, `m`, `h`, `d`.
    #[error(
        "--expires {input:?}: expected a duration such as 24h, 90m, 7d or 1d12h (units s, m, h, d)"
    )]
    Syntax {
        /// The offending input.
        input: String,
    },
    /// Zero seconds.
    #[error("--expires {input:?}: must be at least 1 second")]
    Zero {
        /// The offending input.
        input: String,
    },
    /// More than [`MAX_EXPIRY`].
    #[error(
        "--expires {input:?}: presigned urls last at most 7 days (604800 s), the SigV4 limit; publish again before they expire instead"
    )]
    TooLong {
        /// The offending input.
        input: String,
    },
}

/// Parses `24h`, `90m`, `7d`, `1d12h`, `3600s` (whole numbers; whitespace around is ignored).
pub fn parse_expiry(input: &str) -> Result<Duration, ExpiryError> {
    let syntax = || ExpiryError::Syntax {
        input: input.to_owned(),
    };
    let text = input.trim();
    if text.is_empty() {
        return Err(syntax());
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(digit) = c.to_digit(10) {
            // Saturation keeps absurd inputs in the "too long" branch instead of overflowing.
            number = Some(
                number
                    .unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u64::from(digit)),
            );
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(syntax()),
        };
        let n = number.take().ok_or_else(syntax)?;
        total = total.saturating_add(n.saturating_mul(unit));
    }
    if number.is_some() {
        // A bare trailing number has no unit: `24` could mean hours or seconds.
        return Err(syntax());
    }
    if total == 0 {
        return Err(ExpiryError::Zero {
            input: input.to_owned(),
        });
    }
    let duration = Duration::from_secs(total);
    if duration > MAX_EXPIRY {
        return Err(ExpiryError::TooLong {
            input: input.to_owned(),
        });
    }
    Ok(duration)
}

/// Writes a duration the way [`parse_expiry`] reads it, largest units first (`1d12h`).
pub fn format_expiry(duration: Duration) -> String {
    let mut secs = duration.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [('d', 86_400), ('h', 3600), ('m', 60), ('s', 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: Result<u64, &str>) {
        let got = parse_expiry(input)
            .map(|d| d.as_secs())
            .map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_owned), "input {input:?}");
    }

    #[test]
    fn parses_durations() {
        check("24h", Ok(86_400));
        check("90m", Ok(5400));
        check("7d", Ok(604_800));
        check("1d12h", Ok(129_600));
        check(" 3600s ", Ok(3600));
        check("1s", Ok(1));
        check("6d23h59m59s", Ok(604_799));
    }

    #[test]
    fn refuses_bad_durations() {
        check(
            "8d",
            Err(
                r#"--expires "8d": presigned urls last at most 7 days (604800 s), the SigV4 limit; publish again before they expire instead"#,
            ),
        );
        check(
            "7d1s",
            Err(
                r#"--expires "7d1s": presigned urls last at most 7 days (604800 s), the SigV4 limit; publish again before they expire instead"#,
            ),
        );
        check("0h", Err(r#"--expires "0h": must be at least 1 second"#));
        check(
            "24",
            Err(
                r#"--expires "24": expected a duration such as 24h, 90m, 7d or 1d12h (units s, m, h, d)"#,
            ),
        );
        for bad in [
            "",
            "h",
            "1w",
            "-1h",
            "1.5h",
            "1 h",
            "99999999999999999999999d",
        ] {
            assert!(parse_expiry(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn format_round_trips(secs in 1u64..=604_800) {
            let d = Duration::from_secs(secs);
            prop_assert_eq!(parse_expiry(&format_expiry(d)), Ok(d));
        }

        #[test]
        fn never_panics_and_never_exceeds_the_limit(input in "\\PC{0,24}") {
            if let Ok(d) = parse_expiry(&input) {
                prop_assert!(d <= MAX_EXPIRY && d.as_secs() >= 1);
            }
        }
    }
}
