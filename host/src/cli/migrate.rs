//! `switchyard migrate`: brings the configured database's schema up to date (what
//! the gateway also does when it starts) and prints its version, so an operator can
//! migrate before rolling out a new build, or check which schema a database has.

use std::io::Write;

use anyhow::Context;

use crate::config::Config;
use crate::redact;
use crate::store;

/// Migrates the database `config` names and writes its schema version to `out`.
pub fn run(config: &Config, out: &mut dyn Write) -> anyhow::Result<()> {
    let url = &config.storage.database_url;
    let shown = redact::url_password(url);
    let migrated = store::migrate(url).with_context(|| format!("cannot migrate {shown}"))?;
    if migrated.from == migrated.to {
        writeln!(out, "{shown}: schema version {} (up to date)", migrated.to)?;
    } else {
        writeln!(
            out,
            "{shown}: schema version {} (migrated from version {})",
            migrated.to, migrated.from
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        Config::from_toml_str(&format!("[storage]\ndatabase_url = \"{url}\"\n")).unwrap()
    }

    fn migrate(config: &Config) -> String {
        let mut out = Vec::new();
        run(config, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_sqlite_file_is_created_migrated_and_then_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(&format!("sqlite://{}/new/db.sqlite", dir.path().display()));
        let latest = store::migrations::latest();
        assert!(
            migrate(&config).ends_with(&format!(
                "schema version {latest} (migrated from version 0)\n"
            )),
            "{}",
            migrate(&config)
        );
        assert!(migrate(&config).ends_with(&format!("schema version {latest} (up to date)\n")));
    }

    #[test]
    fn a_postgres_database_is_migrated_and_its_password_never_shown() {
        let Some(database) = store::postgres::testing::database() else {
            return;
        };
        let config = config(database.url());
        let first = migrate(&config);
        assert!(
            first.ends_with("schema version 3 (migrated from version 0)\n"),
            "{first}"
        );
        assert!(
            !first.contains(store::postgres::testing::PASSWORD),
            "{first}"
        );
        assert!(migrate(&config).ends_with("schema version 3 (up to date)\n"));
    }

    #[test]
    fn an_unreachable_server_is_an_error_without_the_password() {
        let config = config("postgres://app:hunter2-secret@127.0.0.1:1/gw");
        let err = run(&config, &mut Vec::new()).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("cannot reach the Postgres server at 127.0.0.1:1/gw"),
            "{message}"
        );
        assert!(!message.contains("hunter2-secret"), "{message}");
    }
}
