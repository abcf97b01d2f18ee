//! `switchyard store ...`: tools that work on a whole store. `store copy` moves a
//! gateway's data into another database, so a single node on SQLite can grow into
//! several gateways sharing Postgres (or go back, or keep an SQLite backup) without
//! starting over: every key keeps its id and secret, so clients notice nothing.

use std::io::Write;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::redact;
use crate::store::transfer::{self, Kind, Progress};
use crate::store::url::{self, DatabaseUrl};
use crate::store::{OpenOptions, StoreError};

/// Connections a copy needs on a Postgres server: it reads or writes one batch at a
/// time.
const POOL_SIZE: usize = 2;

/// Whole-store operations.
#[derive(Debug, Clone, Subcommand)]
pub enum StoreCommand {
    /// Copy every client key (ids and secret hashes included), log row, conversation,
    /// stored response, budget and daily spend line into an empty database, e.g. from
    /// SQLite to Postgres. Stop the gateway first, or copy from a snapshot of its SQLite
    /// file.
    Copy(CopyArgs),
}

/// `switchyard store copy --from <url> --to <url>`
#[derive(Debug, Clone, Args)]
pub struct CopyArgs {
    /// The database to copy from: `sqlite://<path>` or
    /// `postgres://<user>:<password>@<host>:<port>/<database>`.
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The database to copy into, in the same forms; created (SQLite) and migrated as
    /// the gateway would, and refused unless it holds nothing.
    #[arg(long, value_name = "URL")]
    pub to: String,
}

/// Runs `command`, writing progress and the outcome to `out`.
pub fn run(command: &StoreCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        StoreCommand::Copy(args) => copy(args, out),
    }
}

fn copy(args: &CopyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (shown_from, shown_to) = (
        redact::url_password(&args.from),
        redact::url_password(&args.to),
    );
    if args.from == args.to {
        bail!("--from and --to both name {shown_from}: copy into another database");
    }
    // Opening an SQLite URL creates the file: a mistyped source would copy nothing.
    if let DatabaseUrl::Sqlite(path) =
        url::parse(&args.from).with_context(|| format!("cannot read --from {shown_from}"))?
        && !path.is_file()
    {
        bail!(
            "cannot copy from {shown_from}: there is no file at {}",
            path.display()
        );
    }
    let options = OpenOptions {
        pool_size: POOL_SIZE,
    };
    let from = transfer::open(&args.from, &options)
        .with_context(|| format!("cannot open the source {shown_from}"))?;
    let to = transfer::open(&args.to, &options)
        .with_context(|| format!("cannot open the target {shown_to}"))?;
    writeln!(out, "copying {shown_from} to {shown_to}")?;

    let mut shown = Shown::default();
    let copied = transfer::copy(
        from.as_ref(),
        to.as_ref(),
        transfer::BATCH,
        &mut |progress| {
            // A closed stdout must not stop a copy that is going well.
            let _ = shown.report(out, progress);
        },
    )
    .map_err(|err| match err {
        StoreError::NotEmpty(_) => {
            anyhow::Error::new(err).context(format!("refusing to copy into {shown_to}"))
        }
        other => anyhow::Error::new(other).context(format!(
            "the copy from {shown_from} to {shown_to} failed; the target may now hold part \
             of the data: empty it (or create a new database) before copying again"
        )),
    })?;
    writeln!(out, "copied {}", copied.counts)?;
    writeln!(
        out,
        "keys_version on the target is now {}: gateways running on it reload their keys",
        copied.keys_version
    )?;
    Ok(())
}

/// Progress lines already written: one per kind at each tenth of its total, so a
/// million log rows make ten lines, not a thousand.
#[derive(Default)]
struct Shown {
    last: Option<(Kind, u64)>,
}

impl Shown {
    fn report(&mut self, out: &mut dyn Write, progress: Progress) -> std::io::Result<()> {
        let Progress { kind, done, total } = progress;
        let tenth = (done.saturating_mul(10) / total.max(1)).min(10);
        if self.last == Some((kind, tenth)) {
            return Ok(());
        }
        self.last = Some((kind, tenth));
        writeln!(
            out,
            "  {kind}: {} of {}",
            transfer::grouped(done),
            transfer::grouped(total)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::keys;
    use crate::store;
    use crate::store::model::{NewKey, RequestRecord};

    fn run_copy(from: &str, to: &str) -> anyhow::Result<String> {
        let args = CopyArgs {
            from: from.into(),
            to: to.into(),
        };
        let mut out = Vec::new();
        run(&StoreCommand::Copy(args), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_copy_prints_its_progress_and_a_summary_and_the_key_works_on_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let from = format!("sqlite://{}/from.db", dir.path().display());
        let to = format!("sqlite://{}/new/to.db", dir.path().display());
        let source = store::open(&from).unwrap();
        let issued = keys::create(source.as_ref(), NewKey::default()).unwrap();
        let row = RequestRecord {
            client_id: issued.key.id.clone(),
            ..RequestRecord::default()
        };
        source.write_batch(&[row], &[], &[]).unwrap();
        drop(source);

        let printed = run_copy(&from, &to).unwrap();
        assert_eq!(
            printed,
            format!(
                "copying {from} to {to}\n  keys: 1 of 1\n  log rows: 1 of 1\n\
                 copied 1 key, 1 log row, 0 conversations (0 messages), 0 stored responses, \
                 0 budgets, 0 daily spend lines\n\
                 keys_version on the target is now 2: gateways running on it reload their keys\n"
            )
        );
        let target = store::open(&to).unwrap();
        let found = target
            .find_key_by_hash(&keys::hash(&issued.secret))
            .unwrap();
        assert_eq!(found.map(|(key, _)| key.id), Some(issued.key.id));
    }

    #[test]
    fn a_full_target_is_refused_naming_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let from = format!("sqlite://{}/from.db", dir.path().display());
        let to = format!("sqlite://{}/to.db", dir.path().display());
        store::open(&from).unwrap();
        store::open(&to)
            .unwrap()
            .create_key(&NewKey::default(), "hash")
            .unwrap();
        let message = format!("{:#}", run_copy(&from, &to).unwrap_err());
        assert!(
            message.starts_with(&format!(
                "refusing to copy into {to}: the target is not empty, it holds 1 key: "
            )),
            "{message}"
        );
    }

    #[test]
    fn a_missing_source_or_unreachable_target_is_a_clear_error_without_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.db");
        let from = format!("sqlite://{}", missing.display());
        let message = format!("{:#}", run_copy(&from, "sqlite://x.db").unwrap_err());
        assert!(message.contains("there is no file at"), "{message}");
        assert!(!missing.exists(), "the source is never created");

        let existing = format!("sqlite://{}/from.db", dir.path().display());
        store::open(&existing).unwrap();
        let to = "postgres://app:hunter2-secret@127.0.0.1:1/gw";
        let message = format!("{:#}", run_copy(&existing, to).unwrap_err());
        assert!(
            message
                .starts_with("cannot open the target postgres://app:[REDACTED]@127.0.0.1:1/gw: "),
            "{message}"
        );
        assert!(!message.contains("hunter2-secret"), "{message}");
        assert!(
            run_copy(to, to).is_err(),
            "a database is never copied into itself"
        );
    }
}
