//! `switchyard keys ...`: the admin API's key operations from the command line, on
//! the database the configuration names. A running gateway on the same database
//! accepts a new key on its first use and sees other changes within a second.

use std::io::Write;

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::access::keys;
use crate::config::Config;
use crate::store::{self, ClientKey, KeyLimits, NewKey};

/// Key operations.
#[derive(Debug, Clone, Subcommand)]
pub enum KeysCommand {
    /// Creates a key and prints its secret (shown only this once).
    Create {
        /// A label for the key.
        #[arg(long)]
        name: String,
        /// Models the key may call (comma-separated); all when omitted.
        #[arg(long, value_delimiter = ',')]
        models: Option<Vec<String>>,
        /// Requests per minute.
        #[arg(long)]
        rpm: Option<u32>,
        /// Tokens per minute.
        #[arg(long)]
        tpm: Option<u32>,
        /// Requests in flight at once.
        #[arg(long)]
        max_concurrent: Option<u32>,
        /// Days until the key expires.
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// Print the key as JSON.
        #[arg(long, conflicts_with = "quiet")]
        json: bool,
        /// Print only the secret, for scripts: `export KEY=$(switchyard keys create -q --name ci)`.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Lists keys (never their secrets).
    List {
        /// Include revoked keys.
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revokes a key for good.
    Revoke {
        /// The key id (`key_...`).
        id: String,
    },
    /// Gives a key a new secret, printed once; the old one works for the grace period.
    Rotate {
        /// The key id (`key_...`).
        id: String,
        /// Seconds the old secret keeps working (default: auth.rotation_grace_secs).
        #[arg(long)]
        grace_secs: Option<u64>,
        /// Print the key as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `command` against the configured database, writing the result to `out`.
pub fn run(command: KeysCommand, config: &Config, out: &mut dyn Write) -> anyhow::Result<()> {
    let url = &config.storage.database_url;
    let store = store::open_with(url, &config.storage.open_options())
        .with_context(|| format!("cannot open {}", crate::redact::url_password(url)))?;
    match command {
        KeysCommand::Create {
            name,
            models,
            rpm,
            tpm,
            max_concurrent,
            expires_in_days,
            json,
            quiet,
        } => {
            let expires_at =
                expires_in_days.map(|days| store::now_secs() + i64::from(days) * 86_400);
            keys::check_settings(Some(&name), models.as_deref(), expires_at, |m| {
                config.models.iter().any(|known| known.name == m)
            })
            .map_err(|invalid| anyhow::anyhow!(invalid.message))?;
            let new = NewKey {
                name: name.trim().to_string(),
                models,
                limits: KeyLimits {
                    requests_per_minute: rpm,
                    tokens_per_minute: tpm,
                    max_concurrent,
                },
                expires_at,
                ..NewKey::default()
            };
            let issued = keys::create(store.as_ref(), new)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&issued)?)?;
            } else if quiet {
                writeln!(out, "{}", issued.secret)?;
            } else {
                writeln!(out, "created key {} ({})", issued.key.id, issued.key.name)?;
                writeln!(out, "secret (shown only now): {}", issued.secret)?;
            }
        }
        KeysCommand::List { all, json } => {
            let keys = store.list_keys(all)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&keys)?)?;
            } else {
                write_table(out, &keys)?;
            }
        }
        KeysCommand::Revoke { id } => {
            if !store.revoke_key(&id)? {
                bail!("no client key `{id}`");
            }
            writeln!(out, "revoked {id}")?;
        }
        KeysCommand::Rotate {
            id,
            grace_secs,
            json,
        } => {
            let grace = grace_secs.unwrap_or(config.auth.rotation_grace_secs);
            let Some(issued) = keys::rotate(store.as_ref(), &id, grace)? else {
                bail!("no client key `{id}` (or it is revoked)");
            };
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&issued)?)?;
            } else {
                writeln!(out, "rotated {id}; the old secret works for {grace} s")?;
                writeln!(out, "new secret (shown only now): {}", issued.secret)?;
            }
        }
    }
    Ok(())
}

fn write_table(out: &mut dyn Write, keys: &[ClientKey]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<36}  {:<20}  {:<12}  {:<8}  {:<20}  MODELS",
        "ID", "NAME", "PREFIX", "STATE", "LAST USED"
    )?;
    let now = store::now_secs();
    for key in keys {
        let state = if key.revoked_at.is_some() {
            "revoked"
        } else if !key.enabled {
            "disabled"
        } else if key.expires_at.is_some_and(|at| at <= now) {
            "expired"
        } else {
            "active"
        };
        let last_used = key
            .last_used_at
            .map_or_else(|| "never".to_string(), |at| format!("{}s ago", now - at));
        let models = key
            .models
            .as_ref()
            .map_or_else(|| "*".to_string(), |m| m.join(","));
        writeln!(
            out,
            "{:<36}  {:<20}  {:<12}  {:<8}  {:<20}  {}",
            key.id, key.name, key.prefix, state, last_used, models
        )?;
    }
    Ok(())
}
