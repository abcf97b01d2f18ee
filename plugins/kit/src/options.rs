//! Per-model adapter settings (`CallContext.options`, the model's `options` table).

use crate::{ApiError, CallContext};

/// The value of option `key`, if the model's configuration sets it.
///
/// Keys are matched exactly; when a key appears twice the first one wins.
pub fn option<'a>(ctx: &'a CallContext, key: &str) -> Option<&'a str> {
    ctx.options
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

/// Option `key` read as a boolean: `true`/`false`, `yes`/`no`, `1`/`0`, `on`/`off`
/// (any case). `None` when the option is missing or is none of these.
pub fn flag(ctx: &CallContext, key: &str) -> Option<bool> {
    let value = option(ctx, key)?.trim();
    const TRUE: [&str; 4] = ["true", "yes", "1", "on"];
    const FALSE: [&str; 4] = ["false", "no", "0", "off"];
    if TRUE.iter().any(|t| value.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|f| value.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

/// A model option set to something this adapter cannot use: the operator's mistake,
/// so a 500 `server_error` naming the option, what it holds, and what it takes.
pub fn bad_option(name: &str, value: &str, expected: &str) -> ApiError {
    ApiError {
        status: 500,
        message: format!("model option `{name}` must be {expected}, not {value:?}"),
        error_type: "server_error".into(),
        param: None,
        code: None,
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Endpoint;

    fn ctx(options: &[(&str, &str)]) -> CallContext {
        CallContext {
            endpoint: Endpoint::ChatCompletions,
            public_model: "m".into(),
            upstream_model: "m".into(),
            streaming: false,
            include_usage: false,
            client_id: "c".into(),
            options: options
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn option_finds_the_first_matching_key() {
        let ctx = ctx(&[("api-version", "2024-10-21"), ("api-version", "later")]);
        assert_eq!(option(&ctx, "api-version"), Some("2024-10-21"));
        assert_eq!(option(&ctx, "API-VERSION"), None, "keys are exact");
        assert_eq!(option(&ctx, "bot-id"), None);
    }

    #[test]
    fn flag_reads_common_spellings_and_rejects_the_rest() {
        assert_eq!(flag(&ctx(&[("x", "FALSE")]), "x"), Some(false));
        assert_eq!(flag(&ctx(&[("x", " yes ")]), "x"), Some(true));
        assert_eq!(flag(&ctx(&[("x", "0")]), "x"), Some(false));
        assert_eq!(flag(&ctx(&[("x", "maybe")]), "x"), None);
        assert_eq!(flag(&ctx(&[]), "x"), None);
    }
}
