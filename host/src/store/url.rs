//! Where `database_url` points: an SQLite file or a Postgres server ([`parse`]).
//!
//! For SQLite two spellings are in use and both are accepted: sqlx's,
//! `sqlite://<path>` (what the README shows; `sqlite:///abs` is absolute), and
//! SQLAlchemy's, which the seed's `.env` uses: `sqlite+aiosqlite:///./rel.db`,
//! `sqlite:///./rel.db` (three slashes, relative) and `sqlite:////abs.db` (four,
//! absolute). For Postgres, libpq's URLs (`postgres://` or `postgresql://`, with its
//! query parameters such as `connect_timeout`) and SQLAlchemy's driver spellings
//! (`postgresql+asyncpg://`, `postgresql+psycopg://`, `postgresql+psycopg2://`).

use std::path::PathBuf;

use super::StoreError;

pub mod postgres;

pub use postgres::PostgresUrl;

/// The database a `database_url` names.
#[derive(Debug)]
pub enum DatabaseUrl {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A Postgres server and database (boxed: the driver's settings are large).
    Postgres(Box<PostgresUrl>),
}

/// Reads `url`: a Postgres URL by its scheme, otherwise an SQLite one. A malformed
/// Postgres URL is [`StoreError::InvalidUrl`], anything else unknown
/// [`StoreError::UnsupportedUrl`]; neither message shows the URL's password.
pub fn parse(url: &str) -> Result<DatabaseUrl, StoreError> {
    match postgres::parse(url) {
        Some(parsed) => parsed.map(|url| DatabaseUrl::Postgres(Box::new(url))),
        None => sqlite_path(url).map(DatabaseUrl::Sqlite),
    }
}

/// SQLAlchemy driver suffixes that name SQLite (`sqlite+aiosqlite://`).
const SQLALCHEMY_DRIVERS: &[&str] = &["aiosqlite", "pysqlite", "pysqlcipher"];

/// The SQLite file `url` names, relative paths being relative to the working
/// directory. A query string (`?mode=rwc`) is ignored.
pub fn sqlite_path(url: &str) -> Result<PathBuf, StoreError> {
    let unsupported = || StoreError::UnsupportedUrl(crate::redact::url_password(url).into_owned());
    let (scheme, rest) = url.split_once(':').ok_or_else(unsupported)?;
    let rest = rest.split('?').next().unwrap_or_default();
    let path = match scheme.split_once('+') {
        None if scheme.eq_ignore_ascii_case("sqlite") => match rest.strip_prefix("//") {
            // `sqlite:///./x`, `sqlite:///../x` and `sqlite:////x` can only mean
            // SQLAlchemy's relative or absolute path; any other `sqlite://<path>`
            // keeps sqlx's reading.
            Some(path) if ["/./", "/../", "//"].iter().any(|p| path.starts_with(p)) => {
                path.strip_prefix('/').unwrap_or(path)
            }
            Some(path) => path,
            None => rest,
        },
        Some((base, driver))
            if base.eq_ignore_ascii_case("sqlite")
                && SQLALCHEMY_DRIVERS
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(driver)) =>
        {
            // SQLAlchemy: `sqlite:///<relative>` and `sqlite:////<absolute>`.
            rest.strip_prefix("///").ok_or_else(unsupported)?
        }
        _ => return Err(unsupported()),
    };
    if path.is_empty() || path == ":memory:" {
        return Err(unsupported());
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_in_use_names_the_intended_file() {
        for (url, path) in [
            ("sqlite://data/switchyard.db", "data/switchyard.db"),
            ("sqlite:data.db", "data.db"),
            ("sqlite:///var/lib/sy.db", "/var/lib/sy.db"),
            ("sqlite+aiosqlite:///./data/proxy.db", "./data/proxy.db"),
            ("sqlite+aiosqlite:///data/proxy.db", "data/proxy.db"),
            ("sqlite+aiosqlite:////srv/proxy.db", "/srv/proxy.db"),
            ("sqlite:///./data/proxy.db", "./data/proxy.db"),
            ("sqlite:///../proxy.db", "../proxy.db"),
            ("sqlite:////abs/path.db", "/abs/path.db"),
            ("sqlite://data/x.db?mode=rwc", "data/x.db"),
        ] {
            assert_eq!(sqlite_path(url).unwrap(), PathBuf::from(path), "{url}");
        }
    }

    #[test]
    fn sqlite_and_postgres_urls_are_told_apart() {
        use std::path::Path;

        assert!(matches!(
            parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite(path) if path == Path::new("data/x.db")
        ));
        assert!(matches!(
            parse("postgres://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        let err = parse("mysql://root:hunter2-secret@h/db").unwrap_err();
        assert!(matches!(err, StoreError::UnsupportedUrl(_)), "{err}");
        assert!(!err.to_string().contains("hunter2-secret"), "{err}");
    }

    #[test]
    fn other_databases_and_empty_paths_are_refused() {
        for url in [
            "postgres://localhost/db",
            "mysql+aiomysql://x/y",
            "sqlite+aiosqlite://x.db",
            "sqlite://",
            "sqlite::memory:",
            "data.db",
        ] {
            assert!(sqlite_path(url).is_err(), "{url}");
        }
    }
}
