//! Postgres URLs: checked when the configuration is read, so a typo stops the start
//! with a message that says what is wrong, and never echoes the password.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};

use crate::store::StoreError;

/// How long a connection attempt may take when the URL sets no `connect_timeout`:
/// long enough for a server across a data centre, short enough that a dead server is
/// reported at once rather than after the kernel's two minutes.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The port libpq assumes when the URL names none.
const DEFAULT_PORT: u16 = 5432;

/// Schemes that name Postgres: libpq's two and SQLAlchemy's driver spellings.
const SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
];

/// A parsed Postgres `database_url`: the driver's settings and a description of the
/// server for messages (hosts, ports and database; never the user's password).
#[derive(Clone)]
pub struct PostgresUrl {
    config: tokio_postgres::Config,
    server: String,
}

impl PostgresUrl {
    /// The driver's connection settings (with the default connect timeout and
    /// application name filled in).
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// Where the server is, for messages: `host:port/database`.
    pub fn server(&self) -> &str {
        &self.server
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PostgresUrl").field(&self.server).finish()
    }
}

/// `None` when `url` is not a Postgres URL; otherwise the parsed URL or why it is
/// not usable.
pub(super) fn parse(url: &str) -> Option<Result<PostgresUrl, StoreError>> {
    let (scheme, rest) = url.split_once("://")?;
    SCHEMES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
        .then(|| parse_libpq(url, &format!("postgresql://{rest}")))
}

fn parse_libpq(original: &str, url: &str) -> Result<PostgresUrl, StoreError> {
    let invalid = |reason: String| StoreError::InvalidUrl {
        url: crate::redact::url_password(original).into_owned(),
        reason,
    };
    let mut config = tokio_postgres::Config::from_str(url).map_err(|err| invalid(chain(&err)))?;
    if config.get_hosts().is_empty() {
        return Err(invalid(
            "it names no host: write postgres://user:password@host:5432/database".into(),
        ));
    }
    let Some(user) = config.get_user().map(str::to_string) else {
        return Err(invalid(
            "it names no user: write postgres://user:password@host:5432/database".into(),
        ));
    };
    if config.get_ssl_mode() == SslMode::Require {
        return Err(invalid(
            "sslmode=require: this build connects without TLS (use sslmode=disable or \
             prefer, on a private network or through a TLS tunnel)"
                .into(),
        ));
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("switchyard");
    }
    let server = describe(&config, &user);
    Ok(PostgresUrl { config, server })
}

/// `host:port[,host:port]/database`, the database being the user's name when the URL
/// names none (as the server assumes).
fn describe(config: &tokio_postgres::Config, user: &str) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports
                .get(i)
                .or_else(|| ports.first())
                .copied()
                .unwrap_or(DEFAULT_PORT);
            match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(dir) => format!("{}:{port}", dir.display()),
            }
        })
        .collect();
    let database = config.get_dbname().unwrap_or(user);
    format!("{}/{database}", hosts.join(","))
}

/// An error and its causes on one line: the driver's own messages name only their
/// kind (`db error`, `invalid connection string`) and keep the detail as a source.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> PostgresUrl {
        parse(url).expect("a postgres url").expect("valid")
    }

    fn refused(url: &str) -> String {
        let err = parse(url).expect("a postgres url").unwrap_err();
        assert!(matches!(err, StoreError::InvalidUrl { .. }), "{err}");
        err.to_string()
    }

    #[test]
    fn every_scheme_spelling_is_postgres_and_the_server_is_described_without_secrets() {
        for url in [
            "postgres://app:s3cret@db.internal:6432/gw",
            "postgresql://app:s3cret@db.internal:6432/gw",
            "POSTGRESQL+asyncpg://app:s3cret@db.internal:6432/gw",
            "postgresql+psycopg2://app:s3cret@db.internal:6432/gw",
        ] {
            let parsed = ok(url);
            assert_eq!(parsed.server(), "db.internal:6432/gw", "{url}");
            assert_eq!(parsed.config().get_password(), Some(&b"s3cret"[..]));
            assert!(!format!("{parsed:?}").contains("s3cret"));
        }
        let parsed = ok("postgres://app@localhost");
        assert_eq!(parsed.server(), "localhost:5432/app");
        assert_eq!(
            parsed.config().get_connect_timeout(),
            Some(&DEFAULT_CONNECT_TIMEOUT)
        );
        let parsed = ok("postgres://app@localhost/db?connect_timeout=2&application_name=x");
        assert_eq!(
            parsed.config().get_connect_timeout(),
            Some(&Duration::from_secs(2))
        );
        assert_eq!(parsed.config().get_application_name(), Some("x"));
        assert!(parse("sqlite://x.db").is_none());
        assert!(
            parse("postgres:x").is_none(),
            "not a URL: left to SQLite's reader"
        );
    }

    #[test]
    fn a_malformed_url_says_why_and_hides_the_password() {
        for (url, why) in [
            ("postgres://app:hunter2-secret@h:notaport/db", "invalid"),
            (
                "postgres://app:hunter2-secret@h/db?ssl=true",
                "unknown option `ssl`",
            ),
            ("postgres://:hunter2-secret@/db", "no host"),
            ("postgres://h/db", "no user"),
            (
                "postgres://app:hunter2-secret@h/db?sslmode=require",
                "without TLS",
            ),
        ] {
            let message = refused(url);
            assert!(message.contains(why), "{url}: {message}");
            assert!(!message.contains("hunter2-secret"), "{url}: {message}");
        }
    }
}
