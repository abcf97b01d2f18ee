#![allow(clippy::result_large_err)] // figment::Jail's closure signature

use figment::Jail;
use secrecy::ExposeSecret;

use super::*;

#[test]
fn the_shipped_config_parses_and_validates() {
    let config = Config::from_toml_str(EMBEDDED_CONFIG).expect("config.toml must be valid");
    assert_eq!(config.server.port, 8080);
    assert!(config.models.iter().any(|m| m.adapter == "openai"));
}

#[test]
fn unknown_keys_are_errors_that_name_the_key() {
    let err = Config::from_toml_str("[server]\nprot = 9000\n").unwrap_err();
    assert!(err.to_string().contains("prot"), "{err}");

    let err =
        Config::from_toml_str("[[models]]\nname='a'\nadapter='openai'\napi_kye='x'\n").unwrap_err();
    assert!(err.to_string().contains("api_kye"), "{err}");
}

#[test]
fn wrong_types_are_errors() {
    let err = Config::from_toml_str("[server]\nport = \"eighty\"\n").unwrap_err();
    assert!(err.to_string().contains("port"), "{err}");
}

#[test]
fn duplicate_models_and_zero_limits_are_rejected() {
    let dup = "[[models]]\nname='a'\nadapter='openai'\n[[models]]\nname='a'\nadapter='openai'\n";
    assert!(
        Config::from_toml_str(dup)
            .unwrap_err()
            .to_string()
            .contains("twice")
    );
    let zero = "[plugins]\ncall_timeout_ms = 0\n";
    assert!(Config::from_toml_str(zero).is_err());
}

#[test]
fn environment_overrides_file_and_seed_variables() {
    Jail::expect_with(|jail| {
        jail.create_file("c.toml", "[server]\nport = 1000\nhost = '0.0.0.0'\n")?;
        jail.set_env("SWITCHYARD_SERVER__PORT", "2000");
        jail.set_env("SWITCHYARD_PLUGINS__CALL_TIMEOUT_MS", "250");
        jail.set_env("LOG_LEVEL", "debug");
        jail.set_env("DATABASE_URL", "sqlite://elsewhere.db");
        let config = Config::load(Some(Path::new("c.toml"))).expect("loads");
        assert_eq!(config.server.port, 2000, "SWITCHYARD_ wins over the file");
        assert_eq!(config.plugins.call_timeout_ms, 250);
        assert_eq!(
            config.server.host, "0.0.0.0",
            "untouched keys keep the file's value"
        );
        assert_eq!(config.server.log_level, "debug");
        assert_eq!(config.storage.database_url, "sqlite://elsewhere.db");
        jail.set_env("PORT", "3000");
        let config = Config::load(Some(Path::new("c.toml"))).expect("loads");
        assert_eq!(
            config.server.port, 3000,
            "the seed's PORT is the most specific"
        );
        Ok(())
    });
}

#[test]
fn unknown_switchyard_variables_are_errors() {
    Jail::expect_with(|jail| {
        jail.set_env("SWITCHYARD_SERVER__PROT", "1");
        let err = Config::load(None).unwrap_err();
        assert!(err.to_string().contains("prot"), "{err}");
        Ok(())
    });
}

#[test]
fn quick_start_adds_one_model_from_the_seed_variables() {
    Jail::expect_with(|jail| {
        jail.set_env("TYPE", "anthropic");
        jail.set_env("API_KEY", "sk-ant-test");
        jail.set_env("BASE_URL", "http://127.0.0.1:9/");
        jail.set_env("ACTUAL_NAME", "claude-sonnet-4-5");
        let config = Config::load(None).expect("loads");
        let model = config
            .models
            .iter()
            .find(|m| m.name == "claude-sonnet-4-5")
            .expect("quick-start model present");
        assert_eq!(model.adapter, "anthropic");
        assert_eq!(
            model.api_key.as_ref().map(|k| k.expose_secret()),
            Some("sk-ant-test")
        );
        assert_eq!(model.base_url.as_deref(), Some("http://127.0.0.1:9/"));
        jail.set_env("MODEL_NAME", "claude");
        let config = Config::load(None).expect("loads");
        assert!(config.models.iter().any(
            |m| m.name == "claude" && m.upstream_model.as_deref() == Some("claude-sonnet-4-5")
        ));
        Ok(())
    });
}

#[test]
fn quick_start_rejects_unknown_types_and_missing_names() {
    Jail::expect_with(|jail| {
        jail.set_env("TYPE", "palm");
        assert!(Config::load(None).unwrap_err().to_string().contains("palm"));
        jail.set_env("TYPE", "openai");
        assert!(
            Config::load(None)
                .unwrap_err()
                .to_string()
                .contains("ACTUAL_NAME")
        );
        Ok(())
    });
}

#[test]
fn listen_address_accepts_ips_and_localhost() {
    let mut config = Config::default();
    config.server.host = "localhost".into();
    config.server.port = 0;
    assert_eq!(config.listen_addr().unwrap().to_string(), "127.0.0.1:0");
    config.server.host = "[::1]".into();
    assert!(config.listen_addr().is_ok());
    config.server.host = "example.com".into();
    assert!(config.listen_addr().is_err());
}

#[test]
fn a_base_url_that_is_not_http_stops_startup_naming_the_model() {
    for bad in ["not a url", "ftp://files.example/x", "file:///etc/passwd"] {
        let text = format!("[[models]]\nname='m'\nadapter='openai'\nbase_url='{bad}'\n");
        let err = Config::from_toml_str(&text).unwrap_err().to_string();
        assert!(
            err.contains("model `m`") && err.contains(bad),
            "{bad}: {err}"
        );
    }
    let deployment =
        "[[models]]\nname='d'\nadapter='openai'\ndeployments=[{base_url='gopher://x'}]\n";
    assert!(Config::from_toml_str(deployment).is_err());
    let fine = "[[models]]\nname='ok'\nadapter='openai'\nbase_url='https://api.example.com/v1'\n";
    assert!(Config::from_toml_str(fine).is_ok());
}
