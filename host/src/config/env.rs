//! The seed's environment variables: the short settings (`HOST`, `PORT`, `LOG_LEVEL`,
//! `DATABASE_URL`, `ENABLE_CLIENT_AUTH`, `ALLOW_ANONYMOUS_ACCESS`, `ADMIN_KEY`) and the
//! single-model quick start (`TYPE`, `API_KEY`, `BASE_URL`, `ACTUAL_NAME`,
//! `MODEL_NAME`). They are read here rather than through figment so that a value that
//! cannot be parsed stops startup with a message naming the variable, not the setting
//! it maps to. An empty variable counts as unset.

use std::collections::BTreeMap;

use secrecy::SecretString;

use super::{Config, ConfigError, ModelConfig, TimeoutsConfig};

/// Adapters shipped in the binary, accepted by the `TYPE` quick start.
pub const QUICK_START_TYPES: &[&str] = &["openai", "anthropic", "gemini", "azure", "coze"];

/// Reads one environment variable; `None` when unset (tests pass a map).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Applies the seed's short variables over `config` (they win over the file and over
/// `SWITCHYARD_*`, being the most specific), then adds the quick-start model.
pub fn apply_seed(config: &mut Config, env: Lookup<'_>) -> Result<(), ConfigError> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(host) = var("HOST") {
        config.server.host = host.trim().to_string();
        config
            .listen_addr()
            .map_err(|_| invalid("HOST", &host, "is not an IP address or `localhost`"))?;
    }
    if let Some(port) = var("PORT") {
        config.server.port = port
            .trim()
            .parse()
            .map_err(|_| invalid("PORT", &port, "is not a port number (0 to 65535)"))?;
    }
    if let Some(level) = var("LOG_LEVEL") {
        config.server.log_level = log_filter(&level)?;
    }
    if let Some(url) = var("DATABASE_URL") {
        crate::store::url::parse(url.trim()).map_err(|err| {
            let err = err.to_string();
            ConfigError::Invalid(format!(
                "DATABASE_URL is not understood: {}",
                crate::redact::url_password(&err)
            ))
        })?;
        config.storage.database_url = url.trim().to_string();
    }
    if let Some(url) = var("REDIS_URL") {
        config.storage.redis_url = url.trim().to_string();
    }
    if let Some(value) = var("ENABLE_CLIENT_AUTH") {
        config.auth.enable_client_auth = boolean("ENABLE_CLIENT_AUTH", &value)?;
    }
    if let Some(value) = var("ALLOW_ANONYMOUS_ACCESS") {
        config.auth.allow_anonymous_access = boolean("ALLOW_ANONYMOUS_ACCESS", &value)?;
    }
    if let Some(admin) = var("ADMIN_KEY") {
        config.auth.admin_key = Some(SecretString::from(admin));
    }
    if let Some(model) = quick_start_model(&var)? {
        config.models.retain(|m| m.name != model.name);
        config.models.push(model);
    }
    Ok(())
}

fn invalid(name: &str, value: &str, why: &str) -> ConfigError {
    ConfigError::Invalid(format!("{name}={value:?} {why}"))
}

/// `true`/`false` as the seed wrote them, and the other spellings its Python settings
/// accepted (`1`/`0`, `yes`/`no`, `on`/`off`), in any case.
fn boolean(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, value, "is not true or false")),
    }
}

/// A tracing filter from `LOG_LEVEL`. Python's level names (the seed's `WARNING`,
/// `CRITICAL`) are mapped to tracing's; anything else must be a valid filter.
fn log_filter(value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    let mapped = match value.to_ascii_lowercase().as_str() {
        "warning" => "warn".to_string(),
        "critical" | "fatal" => "error".to_string(),
        "notset" => "trace".to_string(),
        _ => value.to_string(),
    };
    tracing_subscriber::EnvFilter::try_new(&mapped).map_err(|_| {
        invalid(
            "LOG_LEVEL",
            value,
            "is not a log level (error, warn, info, debug, trace) nor a tracing filter",
        )
    })?;
    Ok(mapped)
}

/// The seed's single-model quick start: `TYPE`, `API_KEY`, `BASE_URL`, `ACTUAL_NAME`
/// and optionally `MODEL_NAME` (the public name; defaults to `ACTUAL_NAME`).
fn quick_start_model(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ModelConfig>, ConfigError> {
    let Some(kind) = var("TYPE") else {
        return Ok(None);
    };
    let kind = kind.trim().to_ascii_lowercase();
    if !QUICK_START_TYPES.contains(&kind.as_str()) {
        return Err(ConfigError::Invalid(format!(
            "TYPE={kind} is not one of {}",
            QUICK_START_TYPES.join(", ")
        )));
    }
    let actual = var("ACTUAL_NAME").ok_or_else(|| {
        ConfigError::Invalid(format!(
            "TYPE={kind} needs ACTUAL_NAME, the upstream model (or deployment, or bot id)"
        ))
    })?;
    let name = var("MODEL_NAME").unwrap_or_else(|| actual.clone());
    Ok(Some(ModelConfig {
        name,
        adapter: kind,
        upstream_model: Some(actual),
        base_url: var("BASE_URL"),
        api_key_env: None,
        api_key: var("API_KEY").map(SecretString::from),
        options: BTreeMap::new(),
        deployments: Vec::new(),
        fallbacks: Vec::new(),
        timeouts: TimeoutsConfig::default(),
        max_attempts: None,
        price: None,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn applied(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        let mut config = Config::default();
        apply_seed(&mut config, &|name| vars.get(name).cloned())?;
        Ok(config)
    }

    #[test]
    fn the_seed_env_file_configures_the_gateway() {
        let config = applied(&[
            ("HOST", "0.0.0.0"),
            ("PORT", "8000"),
            ("LOG_LEVEL", "INFO"),
            ("DATABASE_URL", "sqlite+aiosqlite:///./data/proxy.db"),
            ("ENABLE_CLIENT_AUTH", "false"),
            ("ALLOW_ANONYMOUS_ACCESS", "true"),
            ("TYPE", "openai"),
            ("API_KEY", "sk-test"),
            ("BASE_URL", "http://127.0.0.1:9/v1"),
            ("ACTUAL_NAME", "my-model"),
        ])
        .unwrap();
        assert_eq!(config.listen_addr().unwrap().to_string(), "0.0.0.0:8000");
        assert_eq!(config.server.log_level, "INFO");
        assert!(!config.auth.enable_client_auth);
        assert!(config.auth.allow_anonymous_access);
        assert_eq!(
            config.storage.database_url,
            "sqlite+aiosqlite:///./data/proxy.db"
        );
        assert!(config.models.iter().any(|m| m.name == "my-model"));
    }

    #[test]
    fn booleans_take_the_usual_spellings() {
        for (value, expected) in [
            ("true", true),
            ("FALSE", false),
            ("1", true),
            ("off", false),
        ] {
            let config = applied(&[("ENABLE_CLIENT_AUTH", value)]).unwrap();
            assert_eq!(config.auth.enable_client_auth, expected, "{value}");
        }
    }

    #[test]
    fn unparsable_values_name_the_variable() {
        for (name, value) in [
            ("ENABLE_CLIENT_AUTH", "maybe"),
            ("ALLOW_ANONYMOUS_ACCESS", "sometimes"),
            ("PORT", "abc"),
            ("PORT", "70000"),
            ("HOST", "example.com"),
            ("DATABASE_URL", "mysql://db/x"),
            ("LOG_LEVEL", "info,[[["),
        ] {
            let err = applied(&[(name, value)]).unwrap_err().to_string();
            assert!(err.contains(name), "{name}={value}: {err}");
        }
        let err = applied(&[("DATABASE_URL", "postgres://app:hunter2-secret@db/gw?ssl=1")])
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2-secret"), "{err}");
        assert!(err.contains("unknown option `ssl`"), "{err}");
    }

    #[test]
    fn a_postgres_database_url_is_taken() {
        for url in [
            "postgres://app:secret@db.internal:5432/gw",
            "postgresql://app@db/gw?connect_timeout=3",
        ] {
            let config = applied(&[("DATABASE_URL", url)]).unwrap();
            assert_eq!(config.storage.database_url, url);
        }
    }

    #[test]
    fn python_level_names_and_empty_values_are_understood() {
        let config = applied(&[("LOG_LEVEL", "WARNING"), ("PORT", "")]).unwrap();
        assert_eq!(config.server.log_level, "warn");
        assert_eq!(config.server.port, 8080, "an empty PORT keeps the default");
    }
}
