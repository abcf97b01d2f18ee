//! What each Gemini model accepts, by the upstream model's name:
//!
//! | models | `reasoning_effort` becomes | penalties |
//! |---|---|---|
//! | Gemini 3 Pro | `thinkingLevel` `low` or `high` | dropped |
//! | later Gemini 3 Pro (3.1, …) and other Gemini 3 | `thinkingLevel` `low`, `medium`, `high` | dropped |
//! | Gemini 3 Flash, Flash-Lite | `thinkingLevel` `minimal`, `low`, `medium`, `high` | dropped |
//! | Gemini 2.5 Pro | `thinkingBudget` 128-32768 (thinking cannot be off) | dropped |
//! | Gemini 2.5 Flash | `thinkingBudget` 0-24576 | dropped |
//! | Gemini 2.5 Flash-Lite | `thinkingBudget` 0 or 512-24576 | dropped |
//! | older (2.0, 1.5) | `thinkingBudget` as asked | sent |
//!
//! Gemini answers 400 "Penalty is not enabled for this model" to a non-zero
//! `presence_penalty` or `frequency_penalty` on 2.5 and 3 models, so they are dropped
//! there. A level the model lacks becomes the nearest one below it (or its lowest);
//! `none` is the lowest level or budget the model takes. Options override the table:
//! `thinking = "level" | "budget"`, `thinking-levels = "low,high"`,
//! `penalties = "send" | "drop"`.

use switchyard_guest_kit::options::{bad_option, option};
use switchyard_guest_kit::{ApiError, CallContext};

/// Option: `level` or `budget`, how `reasoning_effort` is sent.
pub const OPTION_THINKING: &str = "thinking";
/// Option: the comma-separated `thinkingLevel` values the model accepts.
pub const OPTION_THINKING_LEVELS: &str = "thinking-levels";
/// Option: `send` or `drop` for `presence_penalty` and `frequency_penalty`.
pub const OPTION_PENALTIES: &str = "penalties";

/// Every `thinkingLevel`, lowest first.
const LEVELS: &[&str] = &["minimal", "low", "medium", "high"];

/// How a model is asked to think.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thinking {
    /// `thinkingLevel`, one of these (lowest first).
    Levels(Vec<String>),
    /// `thinkingBudget` within `min..=max`, or 0 when `can_disable`.
    Budget {
        /// Smallest budget besides 0.
        min: u32,
        /// Largest budget.
        max: u32,
        /// Whether 0 (no thinking) is accepted.
        can_disable: bool,
    },
}

/// What one model accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// How thinking is asked for.
    pub thinking: Thinking,
    /// Whether `presencePenalty` and `frequencyPenalty` are sent.
    pub penalties: bool,
}

/// The rules for the call's upstream model: the table, then the model's options.
pub fn for_call(ctx: &CallContext) -> Result<Rules, ApiError> {
    let mut rules = for_model(&ctx.upstream_model);
    let levels = option(ctx, OPTION_THINKING_LEVELS).map(|text| {
        text.split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    if let Some(unknown) = levels
        .iter()
        .flatten()
        .find(|l| !LEVELS.contains(&l.as_str()))
    {
        return Err(bad_option(
            OPTION_THINKING_LEVELS,
            unknown,
            "a list of minimal, low, medium, high",
        ));
    }
    match option(ctx, OPTION_THINKING).map(str::trim) {
        None => {}
        Some("level") if !matches!(rules.thinking, Thinking::Levels(_)) => {
            rules.thinking = Thinking::Levels(LEVELS.iter().map(|l| (*l).to_owned()).collect());
        }
        Some("level") => {}
        Some("budget") => rules.thinking = open_budget(),
        Some(other) => return Err(bad_option(OPTION_THINKING, other, "level or budget")),
    }
    if let (Some(levels), Thinking::Levels(have)) = (levels, &mut rules.thinking) {
        *have = levels;
    }
    match option(ctx, OPTION_PENALTIES).map(str::trim) {
        None => {}
        Some("send") => rules.penalties = true,
        Some("drop") => rules.penalties = false,
        Some(other) => return Err(bad_option(OPTION_PENALTIES, other, "send or drop")),
    }
    Ok(rules)
}

/// The table's rules for a model name (`gemini-2.5-flash`, `models/gemini-3-pro-preview`).
pub fn for_model(model: &str) -> Rules {
    let name = model
        .trim_start_matches("models/")
        .to_ascii_lowercase()
        .replace('.', "-");
    let version = version(&name);
    let levels = |list: &[&str]| Thinking::Levels(list.iter().map(|l| (*l).to_owned()).collect());
    let thinking = if version.0 >= 3 {
        if name.contains("flash") {
            levels(LEVELS)
        } else if name.starts_with("gemini-3-pro") {
            levels(&["low", "high"])
        } else {
            levels(&["low", "medium", "high"])
        }
    } else if version == (2, 5) {
        if name.contains("flash-lite") {
            Thinking::Budget {
                min: 512,
                max: 24576,
                can_disable: true,
            }
        } else if name.contains("flash") {
            Thinking::Budget {
                min: 1,
                max: 24576,
                can_disable: true,
            }
        } else {
            Thinking::Budget {
                min: 128,
                max: 32768,
                can_disable: false,
            }
        }
    } else {
        open_budget()
    };
    Rules {
        thinking,
        penalties: version < (2, 5),
    }
}

/// A budget the table knows no bounds for.
fn open_budget() -> Thinking {
    Thinking::Budget {
        min: 1,
        max: u32::MAX,
        can_disable: true,
    }
}

/// `(major, minor)` of a `gemini-<major>-<minor>…` name; `(0, 0)` when it has none.
fn version(name: &str) -> (u32, u32) {
    let mut numbers = name
        .strip_prefix("gemini-")
        .unwrap_or_default()
        .split('-')
        .map_while(|part| part.parse::<u32>().ok());
    let major = numbers.next().unwrap_or(0);
    (major, numbers.next().unwrap_or(0))
}

impl Rules {
    /// The `thinkingLevel` for a known OpenAI effort on a level model.
    pub fn level(&self, effort: &str) -> Option<&str> {
        let Thinking::Levels(have) = &self.thinking else {
            return None;
        };
        let wanted = match effort {
            "none" | "minimal" => "minimal",
            "xhigh" | "max" => "high",
            other => other,
        };
        let rank = LEVELS.iter().position(|l| *l == wanted)?;
        LEVELS[..=rank]
            .iter()
            .rev()
            .find_map(|l| have.iter().find(|h| h == l))
            .or_else(|| have.first())
            .map(String::as_str)
    }

    /// `budget` (0 for no thinking) made one the model takes.
    pub fn budget(&self, budget: u32) -> u32 {
        match self.thinking {
            Thinking::Budget {
                min,
                max,
                can_disable,
            } => {
                if budget == 0 && can_disable {
                    0
                } else {
                    budget.clamp(min, max)
                }
            }
            Thinking::Levels(_) => budget,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_model() {
        let pro = for_model("gemini-3-pro-preview");
        assert_eq!(pro.level("none"), Some("low"), "Pro cannot think minimally");
        assert_eq!(pro.level("medium"), Some("low"), "Pro has no medium");
        assert_eq!(pro.level("xhigh"), Some("high"));
        let flash = for_model("models/gemini-3-flash-preview");
        assert_eq!(flash.level("none"), Some("minimal"));
        assert_eq!(flash.level("medium"), Some("medium"));
        let pro_3_1 = for_model("gemini-3.1-pro-preview");
        assert_eq!(pro_3_1.level("medium"), Some("medium"));
        assert_eq!(pro_3_1.level("minimal"), Some("low"));
        for name in ["gemini-3-pro-preview", "gemini-2.5-flash", "gemini-2.5-pro"] {
            assert!(!for_model(name).penalties, "{name} refuses penalties");
        }
        assert!(for_model("gemini-2.0-flash").penalties);
    }

    #[test]
    fn budgets_stay_within_what_the_model_takes() {
        let pro = for_model("gemini-2.5-pro");
        assert_eq!(pro.budget(0), 128, "2.5 Pro cannot stop thinking");
        assert_eq!(pro.budget(24576), 24576);
        let flash = for_model("gemini-2.5-flash");
        assert_eq!(flash.budget(0), 0);
        assert_eq!(flash.budget(32768), 24576);
        let lite = for_model("gemini-2.5-flash-lite");
        assert_eq!(lite.budget(0), 0);
        assert_eq!(lite.budget(256), 512);
    }
}
