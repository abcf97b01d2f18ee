//! What each Claude model accepts, by the upstream model's name, so one OpenAI request
//! works on every generation:
//!
//! | models | thinking | `output_config.effort` | `temperature`, `top_p`, `top_k` |
//! |---|---|---|---|
//! | Opus 4.7 and later 4.x, Mythos, the Claude 5 family | adaptive only (`enabled` is a 400) | `low` `medium` `high` `xhigh` `max` | refused upstream: never sent |
//! | Opus 4.6, Sonnet 4.6 | adaptive (`enabled` is deprecated) | `low` `medium` `high` `max` | sent without thinking |
//! | everything older (4.5, 4.1, 3.x) | `enabled` + `budget_tokens` | none | sent without thinking |
//!
//! Names match with dots read as dashes and any provider prefix (`anthropic.` on
//! Bedrock, a date suffix) ignored. A model's `options` override the table:
//! `thinking = "adaptive" | "budget"`, `sampling = "send" | "drop"`, and
//! `efforts = "low,medium,high"` (the efforts it accepts).

use switchyard_guest_kit::options::{bad_option, option};
use switchyard_guest_kit::{ApiError, CallContext};

/// Option: `adaptive` or `budget`, over the table's thinking mode.
pub const OPTION_THINKING: &str = "thinking";
/// Option: `send` or `drop`, over the table's sampling rule.
pub const OPTION_SAMPLING: &str = "sampling";
/// Option: the comma-separated efforts the model accepts, over the table's.
pub const OPTION_EFFORTS: &str = "efforts";

/// How a model is asked to think.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thinking {
    /// `{"type": "adaptive"}` with `output_config.effort`.
    Adaptive,
    /// `{"type": "enabled", "budget_tokens": n}`.
    Budget,
}

/// What one model accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// How thinking is switched on.
    pub thinking: Thinking,
    /// The `output_config.effort` values it accepts, lowest first (adaptive models).
    pub efforts: Vec<String>,
    /// Whether it takes `temperature`, `top_p` and `top_k`.
    pub sampling: bool,
}

const ALL_EFFORTS: &[&str] = &["low", "medium", "high", "xhigh", "max"];
const EFFORTS_4_6: &[&str] = &["low", "medium", "high", "max"];

/// The model families that only think adaptively and refuse sampling settings.
const ADAPTIVE_ONLY: &[&str] = &[
    "opus-4-7", "opus-4-8", "opus-4-9", "mythos", "opus-5", "sonnet-5", "haiku-5",
];
/// The families that think adaptively but still take sampling settings.
const ADAPTIVE: &[&str] = &["opus-4-6", "sonnet-4-6"];

/// The rules for the call's upstream model: the table, then the model's options.
pub fn for_call(ctx: &CallContext) -> Result<Rules, ApiError> {
    let mut rules = for_model(&ctx.upstream_model);
    if let Some(mode) = option(ctx, OPTION_THINKING) {
        rules.thinking = match mode.trim() {
            "adaptive" => Thinking::Adaptive,
            "budget" => Thinking::Budget,
            other => return Err(bad_option(OPTION_THINKING, other, "adaptive or budget")),
        };
    }
    if let Some(sampling) = option(ctx, OPTION_SAMPLING) {
        rules.sampling = match sampling.trim() {
            "send" => true,
            "drop" => false,
            other => return Err(bad_option(OPTION_SAMPLING, other, "send or drop")),
        };
    }
    if let Some(efforts) = option(ctx, OPTION_EFFORTS) {
        let efforts: Vec<String> = efforts
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(unknown) = efforts.iter().find(|e| !ALL_EFFORTS.contains(&e.as_str())) {
            return Err(bad_option(
                OPTION_EFFORTS,
                unknown,
                "a comma-separated list of low, medium, high, xhigh, max",
            ));
        }
        rules.efforts = efforts;
    }
    Ok(rules)
}

/// The table's rules for a model name.
pub fn for_model(model: &str) -> Rules {
    let name = model.to_ascii_lowercase().replace('.', "-");
    let has = |families: &[&str]| families.iter().any(|f| name.contains(f));
    let list = |efforts: &[&str]| efforts.iter().map(|e| (*e).to_owned()).collect();
    if has(ADAPTIVE_ONLY) {
        Rules {
            thinking: Thinking::Adaptive,
            efforts: list(ALL_EFFORTS),
            sampling: false,
        }
    } else if has(ADAPTIVE) {
        Rules {
            thinking: Thinking::Adaptive,
            efforts: list(EFFORTS_4_6),
            sampling: true,
        }
    } else {
        Rules {
            thinking: Thinking::Budget,
            efforts: Vec::new(),
            sampling: true,
        }
    }
}

impl Rules {
    /// The effort to send for an OpenAI `reasoning_effort` (already checked to be one
    /// this adapter knows): `minimal` is `low`; an effort the model lacks becomes the
    /// highest one it has below it.
    pub fn effort(&self, wanted: &str) -> Option<&str> {
        let wanted = if wanted == "minimal" { "low" } else { wanted };
        let rank = ALL_EFFORTS.iter().position(|e| *e == wanted)?;
        ALL_EFFORTS[..=rank]
            .iter()
            .rev()
            .find_map(|e| self.efforts.iter().find(|have| have == e))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_generation_gets_its_rules() {
        for name in [
            "claude-opus-4-7",
            "claude-opus-4.7",
            "anthropic.claude-opus-4-7",
            "claude-opus-4-8-20260528",
            "claude-mythos-preview",
            "claude-sonnet-5",
        ] {
            let rules = for_model(name);
            assert_eq!(rules.thinking, Thinking::Adaptive, "{name}");
            assert!(!rules.sampling, "{name} refuses sampling settings");
            assert_eq!(rules.effort("xhigh"), Some("xhigh"), "{name}");
        }
        let sonnet_4_6 = for_model("claude-sonnet-4-6");
        assert_eq!(sonnet_4_6.thinking, Thinking::Adaptive);
        assert!(sonnet_4_6.sampling);
        assert_eq!(sonnet_4_6.effort("xhigh"), Some("high"), "4.6 has no xhigh");
        assert_eq!(sonnet_4_6.effort("max"), Some("max"));
        for name in [
            "claude-opus-4-5",
            "claude-sonnet-4-5-20250929",
            "claude-3-7-sonnet",
        ] {
            let rules = for_model(name);
            assert_eq!(rules.thinking, Thinking::Budget, "{name}");
            assert!(rules.sampling, "{name}");
        }
    }

    #[test]
    fn minimal_is_low() {
        assert_eq!(for_model("claude-opus-4-7").effort("minimal"), Some("low"));
    }
}
