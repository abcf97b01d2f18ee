//! What OpenAI objects carry and Ollama does not send: completion and tool call ids,
//! and `created` as Unix seconds (Ollama sends an RFC 3339 `created_at`).
//!
//! Ids are derived from the answer (its time, model, position), not from a clock or
//! random source, so a translation is a pure function of its input: the same answer
//! always gives the same ids, and answers at different times give different ones.

/// `chatcmpl-<16 hex digits>` for the answer created at `created_at` by `model`.
pub fn completion_id(created_at: &str, model: &str) -> String {
    format!("chatcmpl-{:016x}", fnv1a(&[created_at, model]))
}

/// `call_<16 hex digits>` for tool call `index` (counted over the whole answer) of the
/// answer created at `created_at`.
pub fn tool_call_id(created_at: &str, index: u32, name: &str) -> String {
    format!(
        "call_{:016x}",
        fnv1a(&[created_at, &index.to_string(), name])
    )
}

/// 64-bit FNV-1a over the parts, each followed by a separator byte.
fn fnv1a(parts: &[&str]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

/// Unix seconds of an RFC 3339 time (`2023-08-04T08:52:19.385406455-07:00`,
/// `2023-12-12T14:13:43.416799Z`); fractions are dropped. `None` if unreadable.
pub fn unix_seconds(rfc3339: &str) -> Option<u64> {
    let b = rfc3339.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let text = rfc3339.get(from..from + len)?;
        text.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| text.parse().ok())?
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, c)| b.get(at) != Some(&c))
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }

    // Skip the fraction, then read the offset.
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        at += 1;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == b.len() && b.get(at + 3) == Some(&b':') => {
            let minutes = digits(at + 1, 2)? * 60 + digits(at + 4, 2)?;
            if sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + hour * 3_600 + minute * 60 + second;
    u64::try_from(local - offset).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_become_unix_seconds() {
        // Reference values: `date -u -d '<time>' +%s`.
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_seconds("2023-12-12T14:13:43.416799Z"),
            Some(1_702_390_423)
        );
        assert_eq!(
            unix_seconds("2023-08-04T08:52:19.385406455-07:00"),
            Some(1_691_164_339)
        );
        assert_eq!(
            unix_seconds("2024-02-29T23:59:59+01:00"),
            Some(1_709_247_599)
        );
        assert_eq!(unix_seconds("2000-03-01T00:00:00Z"), Some(951_868_800));
    }

    #[test]
    fn unreadable_times_are_none() {
        for bad in [
            "",
            "yesterday",
            "2023-12-12",
            "2023-12-12T14:13:43",
            "2023-13-12T14:13:43Z",
            "2023-12-12T14:13:43+0100",
            "2023-12-12T14:13:43Zjunk",
            "1960-01-01T00:00:00Z",
            "2023-1x-12T14:13:43Z",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = completion_id("2023-12-12T14:13:43.416799Z", "llama3.2");
        assert_eq!(a, completion_id("2023-12-12T14:13:43.416799Z", "llama3.2"));
        assert_ne!(a, completion_id("2023-12-12T14:13:44.000000Z", "llama3.2"));
        assert!(a.starts_with("chatcmpl-") && a.len() == "chatcmpl-".len() + 16);

        let first = tool_call_id("t", 0, "get_weather");
        assert_ne!(first, tool_call_id("t", 1, "get_weather"));
        assert!(first.starts_with("call_"));
    }
}
