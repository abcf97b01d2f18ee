//! What a model's tokens cost: the table shipped with the gateway (`host/data/prices.toml`),
//! under the operator's overrides (`[prices]` per model, `price` per deployment).
//! Money is counted in nanodollars (`i64`), so sums are exact and a budget compares
//! integers; a price of $0.075 per million tokens is 75 nanodollars a token.

use std::collections::HashMap;

use serde::Deserialize;

/// The shipped table.
const SHIPPED: &str = include_str!("../../data/prices.toml");

/// Nanodollars in a dollar.
pub const NANOS_PER_USD: f64 = 1e9;

/// A price as written in a table or `config.toml`: dollars per million tokens.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// Prompt tokens not served from a cache.
    pub input: f64,
    /// Prompt tokens read from the cache; defaults to `input`.
    #[serde(default)]
    pub cached_input: Option<f64>,
    /// Prompt tokens written to the cache; defaults to `input`.
    #[serde(default)]
    pub cache_write: Option<f64>,
    /// Completion tokens, reasoning included.
    pub output: f64,
    /// Where the figures come from.
    #[serde(default)]
    pub source: Option<String>,
    /// When they were read (`YYYY-MM-DD`).
    #[serde(default)]
    pub as_of: Option<String>,
}

/// A model's price, in nanodollars per million tokens of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Price {
    /// Uncached prompt tokens.
    pub input: i64,
    /// Prompt tokens read from the cache.
    pub cached_input: i64,
    /// Prompt tokens written to the cache.
    pub cache_write: i64,
    /// Completion tokens.
    pub output: i64,
}

/// A price that cannot be used: negative, or not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the price of `{model}` must be a finite, non-negative number of dollars")]
pub struct InvalidPrice {
    /// The model or deployment whose price is wrong.
    pub model: String,
}

/// Dollars per million tokens to nanodollars per million tokens.
fn nanos(model: &str, dollars: f64) -> Result<i64, InvalidPrice> {
    if !dollars.is_finite() || !(0.0..=1e6).contains(&dollars) {
        return Err(InvalidPrice {
            model: model.to_string(),
        });
    }
    // At most 1e15: well inside i64.
    #[expect(clippy::cast_possible_truncation, reason = "checked range above")]
    Ok((dollars * NANOS_PER_USD).round() as i64)
}

impl PriceConfig {
    /// The price in nanodollars, or why it cannot be used.
    pub fn to_price(&self, model: &str) -> Result<Price, InvalidPrice> {
        let input = nanos(model, self.input)?;
        Ok(Price {
            input,
            cached_input: self.cached_input.map_or(Ok(input), |d| nanos(model, d))?,
            cache_write: self.cache_write.map_or(Ok(input), |d| nanos(model, d))?,
            output: nanos(model, self.output)?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    models: HashMap<String, PriceConfig>,
}

/// Prices by model name: the operator's over the shipped table.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    shipped: HashMap<String, Price>,
    configured: HashMap<String, Price>,
}

impl PriceTable {
    /// The shipped table with `overrides` (`[prices]`, by public or upstream model name).
    pub fn new(overrides: &HashMap<String, PriceConfig>) -> Result<Self, InvalidPrice> {
        let shipped = shipped()?;
        let configured = overrides
            .iter()
            .map(|(model, price)| Ok((model.clone(), price.to_price(model)?)))
            .collect::<Result<_, InvalidPrice>>()?;
        Ok(Self {
            shipped,
            configured,
        })
    }

    /// The price of a deployment of public model `public` calling `upstream`: the
    /// operator's price for either name, else the shipped one for the upstream model
    /// (with or without its date suffix), else `None` (unknown).
    pub fn lookup(&self, public: &str, upstream: &str) -> Option<Price> {
        self.configured
            .get(public)
            .or_else(|| self.configured.get(upstream))
            .or_else(|| self.shipped.get(upstream))
            .or_else(|| self.shipped.get(undated(upstream)))
            .or_else(|| self.shipped.get(public))
            .copied()
    }
}

/// The shipped table, parsed (a test checks it parses).
fn shipped() -> Result<HashMap<String, Price>, InvalidPrice> {
    let file: TableFile = toml::from_str(SHIPPED).map_err(|_| InvalidPrice {
        model: "the shipped price table".into(),
    })?;
    file.models
        .iter()
        .map(|(model, price)| Ok((model.clone(), price.to_price(model)?)))
        .collect()
}

/// `name` without a trailing release date or version: `-2024-08-06`, `-20250929`,
/// `@20250929`, `-latest`, `-001`.
fn undated(name: &str) -> &str {
    let name = name.split_once('@').map_or(name, |(base, _)| base);
    if let Some(base) = name.strip_suffix("-latest") {
        return base;
    }
    // -YYYY-MM-DD
    if name.len() > 11 {
        let (base, tail) = name.split_at(name.len() - 11);
        let digits = tail.bytes().filter(u8::is_ascii_digit).count();
        if tail.starts_with('-') && digits == 8 && tail.as_bytes()[5] == b'-' {
            return base;
        }
    }
    // -YYYYMMDD or -NNN
    match name.rsplit_once('-') {
        Some((base, tail))
            if (tail.len() == 8 || tail.len() == 3) && tail.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_dates_each_figure() {
        let file: TableFile = toml::from_str(SHIPPED).expect("the table parses");
        for (model, price) in &file.models {
            price.to_price(model).expect("a usable price");
            assert!(price.source.is_some(), "{model} has no source");
            assert!(price.as_of.is_some(), "{model} has no date");
        }
        assert!(file.models.len() >= 20);
    }

    #[test]
    fn dated_names_find_their_model() {
        assert_eq!(undated("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(undated("claude-sonnet-4-5-20250929"), "claude-sonnet-4-5");
        assert_eq!(undated("claude-sonnet-4-5@20250929"), "claude-sonnet-4-5");
        assert_eq!(undated("gemini-2.0-flash-001"), "gemini-2.0-flash");
        assert_eq!(undated("claude-3-5-haiku-latest"), "claude-3-5-haiku");
        assert_eq!(undated("gpt-4o-mini"), "gpt-4o-mini");
        assert_eq!(undated("claude-opus-4-1"), "claude-opus-4-1");
        assert_eq!(undated("o3"), "o3");
    }

    #[test]
    fn the_operator_wins_and_unknown_stays_unknown() {
        let mut overrides = HashMap::new();
        overrides.insert(
            "cheap".to_string(),
            PriceConfig {
                input: 1.0,
                output: 2.0,
                ..PriceConfig::default()
            },
        );
        let table = PriceTable::new(&overrides).expect("valid");
        let cheap = table.lookup("cheap", "gpt-4o").expect("configured");
        assert_eq!(cheap.input, 1_000_000_000);
        assert_eq!(cheap.cached_input, 1_000_000_000, "defaults to input");
        let mini = table
            .lookup("my-mini", "gpt-4o-mini-2024-07-18")
            .expect("shipped");
        assert_eq!(mini.input, 150_000_000);
        assert_eq!(mini.cached_input, 75_000_000);
        assert_eq!(mini.output, 600_000_000);
        let sonnet = table
            .lookup("sonnet", "claude-sonnet-4-5-20250929")
            .expect("shipped");
        assert_eq!(sonnet.cache_write, 3_750_000_000);
        assert_eq!(table.lookup("bot", "7412345678901234567"), None);
    }

    #[test]
    fn negative_or_absurd_prices_are_refused() {
        for dollars in [-1.0, f64::NAN, f64::INFINITY] {
            let price = PriceConfig {
                input: dollars,
                output: 1.0,
                ..PriceConfig::default()
            };
            assert!(price.to_price("m").is_err(), "{dollars}");
        }
    }
}
