//! What serde cannot check in a configuration: unique model names, base URLs that
//! are http(s), positive limits. A configuration that fails here stops start-up with a
//! message naming the field.

use super::{Config, ConfigError};
use secrecy::ExposeSecret;

impl Config {
    /// Checks what serde cannot: unique names, sane limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.server.header_read_timeout_ms == 0 || self.server.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "server.header_read_timeout_ms and server.max_connections must be positive".into(),
            ));
        }
        crate::spend::calendar::Calendar::new(&self.spend.time_zone)
            .map_err(|err| ConfigError::Invalid(format!("spend.time_zone: {err}")))?;
        if !(self.spend.max_reservation_usd.is_finite() && self.spend.max_reservation_usd > 0.0) {
            return Err(ConfigError::Invalid(
                "spend.max_reservation_usd must be a positive number of dollars".into(),
            ));
        }
        crate::spend::price::PriceTable::new(&self.prices)
            .map_err(|err| ConfigError::Invalid(format!("prices: {err}")))?;
        if self.console.session_ttl_secs == 0 {
            return Err(ConfigError::Invalid(
                "console.session_ttl_secs must be positive".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for model in &self.models {
            let prices = model
                .price
                .iter()
                .chain(model.deployments.iter().filter_map(|d| d.price.as_ref()));
            for price in prices {
                price.to_price(&model.name).map_err(|err| {
                    ConfigError::Invalid(format!("model `{}`: {err}", model.name))
                })?;
            }
            if model.name.trim().is_empty() {
                return Err(ConfigError::Invalid("a model has an empty name".into()));
            }
            let base_urls = model
                .base_url
                .iter()
                .chain(model.deployments.iter().filter_map(|d| d.base_url.as_ref()));
            for url in base_urls {
                let scheme = url::Url::parse(url).map(|u| u.scheme().to_string());
                if !matches!(scheme.as_deref(), Ok("http" | "https")) {
                    return Err(ConfigError::Invalid(format!(
                        "model `{}`: base_url `{url}` is not an http(s) URL",
                        model.name
                    )));
                }
            }
            if !seen.insert(model.name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "model `{}` is defined twice",
                    model.name
                )));
            }
            let adapterless = if model.deployments.is_empty() {
                model.adapter.trim().is_empty()
            } else {
                model.adapter.trim().is_empty()
                    && model.deployments.iter().any(|d| d.adapter.is_none())
            };
            if adapterless {
                return Err(ConfigError::Invalid(format!(
                    "model `{}` names no adapter",
                    model.name
                )));
            }
            if model.deployments.iter().any(|d| d.weight == 0) {
                return Err(ConfigError::Invalid(format!(
                    "model `{}`: a deployment weight must be positive",
                    model.name
                )));
            }
            if model.max_attempts == Some(0) {
                return Err(ConfigError::Invalid(format!(
                    "model `{}`: max_attempts must be positive",
                    model.name
                )));
            }
        }
        for model in &self.models {
            for fallback in &model.fallbacks {
                if !seen.contains(fallback.as_str()) || fallback == &model.name {
                    return Err(ConfigError::Invalid(format!(
                        "model `{}` falls back to `{fallback}`, which is not another configured model",
                        model.name
                    )));
                }
            }
        }
        if self.routing.max_attempts == 0 || self.routing.breaker_failures == 0 {
            return Err(ConfigError::Invalid(
                "routing.max_attempts and breaker_failures must be positive".into(),
            ));
        }
        let p = &self.plugins;
        if p.call_timeout_ms == 0 || p.memory_limit_mib == 0 || p.max_concurrent_calls == 0 {
            return Err(ConfigError::Invalid(
                "plugins.call_timeout_ms, memory_limit_mib and max_concurrent_calls must be positive"
                    .into(),
            ));
        }
        if self.storage.write_queue == 0 || self.storage.pool_size == 0 {
            return Err(ConfigError::Invalid(
                "storage.write_queue and pool_size must be positive".into(),
            ));
        }
        if self
            .auth
            .admin_key
            .as_ref()
            .is_some_and(|k| k.expose_secret().trim().len() < 16)
        {
            return Err(ConfigError::Invalid(
                "auth.admin_key must be at least 16 characters".into(),
            ));
        }
        if self.server.max_body_bytes == 0 {
            return Err(ConfigError::Invalid(
                "server.max_body_bytes must be positive".into(),
            ));
        }
        Ok(())
    }
}
