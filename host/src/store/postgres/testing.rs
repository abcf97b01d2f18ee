//! Throwaway Postgres servers for tests, started from the installed server binaries
//! (Debian's `postgresql` package): [`database`] gives each test a fresh database on
//! one cluster shared by the whole test process; [`Cluster::start`] gives a test a
//! cluster of its own, to stop and start.
//!
//! A cluster lives in its own temporary folder (data, socket, log) and listens on
//! 127.0.0.1 on a free port, with durability off (`fsync=off`: a test database is
//! thrown away). As root, the server runs as the `postgres` user through `runuser`,
//! since Postgres refuses to run as root. A watcher process started with each cluster
//! stops it and deletes its folder once the test process is gone, however it ends:
//! passed, failed, panicked or killed.
//!
//! Without the binaries the tests that need them fail, saying how to install them,
//! unless `SWITCHYARD_TEST_POSTGRES=skip` is set.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use crate::store::url::{self, DatabaseUrl, PostgresUrl};

/// Set to `skip` to skip the tests that need a Postgres server instead of failing.
pub const SKIP_VAR: &str = "SWITCHYARD_TEST_POSTGRES";

/// The folder holding `initdb`, `pg_ctl` and `psql`, when it is not the newest
/// `/usr/lib/postgresql/<version>/bin`.
pub const BIN_VAR: &str = "SWITCHYARD_TEST_PG_BIN";

/// The password test URLs carry. The test server trusts local connections and never
/// asks for it; it is there so tests can check that messages never show it.
pub const PASSWORD: &str = "hunter2-not-for-logs";

/// A fresh database on the process's shared cluster, or `None` when Postgres tests
/// are skipped. Panics, saying how to install Postgres, when it cannot be started.
pub fn database() -> Option<TestDatabase<'static>> {
    if skipped() {
        eprintln!("{SKIP_VAR}=skip: a test that needs Postgres did not run");
        return None;
    }
    static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match SHARED.get_or_init(Cluster::start) {
        Ok(cluster) => Some(cluster.create_database()),
        Err(why) => panic!("{why}"),
    }
}

/// Whether `SWITCHYARD_TEST_POSTGRES=skip` is set.
pub fn skipped() -> bool {
    std::env::var(SKIP_VAR).is_ok_and(|v| v.eq_ignore_ascii_case("skip"))
}

/// A Postgres cluster in a temporary folder, stopped and deleted on drop (and by
/// its watcher when the process ends without dropping it).
pub struct Cluster {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    /// Server commands go through `runuser -u postgres` (the tests run as root).
    as_postgres: bool,
    watcher: Child,
}

impl Cluster {
    /// Creates and starts a cluster, or says why it cannot.
    pub fn start() -> Result<Self, String> {
        let began = Instant::now();
        let bin = find_bin()?;
        let as_postgres = std::fs::metadata("/proc/self")
            .map_err(|e| e.to_string())?
            .uid()
            == 0;
        let root = std::env::temp_dir().join(format!(
            "switchyard-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir(&root).map_err(|e| format!("cannot create {root:?}: {e}"))?;
        if as_postgres {
            let (uid, gid) = postgres_user()?;
            std::os::unix::fs::chown(&root, Some(uid), Some(gid))
                .map_err(|e| format!("cannot give {root:?} to the postgres user: {e}"))?;
        }
        let watcher = watch(&bin, &root, as_postgres)?;
        let mut cluster = Self {
            bin,
            root,
            port: 0,
            as_postgres,
            watcher,
        };
        let data = cluster.data();
        cluster.server_command(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        cluster.port = free_port()?;
        cluster.start_again()?;
        eprintln!(
            "postgres test cluster on 127.0.0.1:{} ready in {} ms",
            cluster.port,
            began.elapsed().as_millis()
        );
        Ok(cluster)
    }

    /// Stops the server (fast shutdown: sessions are ended, as an operator's restart
    /// does); [`Cluster::start_again`] brings it back on the same port.
    pub fn stop(&self) -> Result<(), String> {
        self.server_command("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"])
    }

    /// Starts the stopped server again, waiting until it accepts connections.
    pub fn start_again(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.root.display()
        );
        let log = self.root.join("server.log").display().to_string();
        self.server_command(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .map_err(|why| format!("{why}\nserver log:\n{}", self.log_tail()))
    }

    /// The URL of `database` on this cluster (as the superuser `postgres`).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// A fresh, empty database, dropped with the value.
    pub fn create_database(&self) -> TestDatabase<'_> {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        if let Err(why) = self.sql(&format!("CREATE DATABASE {name}")) {
            panic!("cannot create a test database: {why}");
        }
        TestDatabase {
            url: self.url(&name),
            name,
            cluster: self,
        }
    }

    /// Runs `sql` as the superuser, through `psql`.
    pub fn sql(&self, sql: &str) -> Result<String, String> {
        let port = self.port.to_string();
        let output = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-qAtc", sql])
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    fn data(&self) -> String {
        self.root.join("data").display().to_string()
    }

    fn server_command(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let output = command(&self.bin, program, self.as_postgres)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        Err(format!(
            "{program} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().rev().take(20).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.server_command("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.root);
        let _ = self.watcher.kill();
        let _ = self.watcher.wait();
    }
}

/// A database created for one test, dropped (with its sessions) with the value.
pub struct TestDatabase<'a> {
    name: String,
    url: String,
    cluster: &'a Cluster,
}

impl TestDatabase<'_> {
    /// Its `postgres://` URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its URL, parsed as the store reads it.
    pub fn parsed(&self) -> PostgresUrl {
        match url::parse(&self.url) {
            Ok(DatabaseUrl::Postgres(parsed)) => *parsed,
            other => panic!("the test URL {} is not a Postgres URL: {other:?}", self.url),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase<'_> {
    fn drop(&mut self) {
        let _ = self.cluster.sql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// `program` from `bin`, run as the `postgres` user when `as_postgres`.
fn command(bin: &Path, program: &str, as_postgres: bool) -> Command {
    if as_postgres {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

/// The server binaries: `$SWITCHYARD_TEST_PG_BIN`, else the newest installed version.
fn find_bin() -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = match std::env::var_os(BIN_VAR) {
        Some(dir) => vec![PathBuf::from(dir)],
        None => {
            let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|entry| {
                    let version = entry.file_name().to_str()?.parse().ok()?;
                    Some((version, entry.path().join("bin")))
                })
                .collect();
            versions.sort();
            versions.into_iter().rev().map(|(_, bin)| bin).collect()
        }
    };
    candidates
        .into_iter()
        .find(|bin| {
            ["initdb", "pg_ctl", "psql"]
                .iter()
                .all(|p| bin.join(p).is_file())
        })
        .ok_or_else(|| {
            format!(
                "these tests need a Postgres server, and none is installed: initdb, pg_ctl \
                 and psql were not found in /usr/lib/postgresql/<version>/bin (or in \
                 ${BIN_VAR}). Install them with `apt-get install postgresql` (Debian, \
                 Ubuntu), or set {SKIP_VAR}=skip to skip the tests that need Postgres."
            )
        })
}

/// The `postgres` user's ids, which the server runs as when the tests run as root.
fn postgres_user() -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let output = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .map_err(|e| format!("cannot run `id`: {e}"))?;
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .map_err(|_| {
                "there is no `postgres` user to run the test server as (Postgres refuses to \
                 run as root): `apt-get install postgresql` creates it"
                    .to_string()
            })
    };
    let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"];
    if !runuser.iter().any(|p| Path::new(p).is_file()) {
        return Err(
            "running as root, the test server is started as the `postgres` user \
                    through `runuser`, which is missing: `apt-get install util-linux`"
                .into(),
        );
    }
    Ok((id("-u")?, id("-g")?))
}

/// Starts the process that stops the cluster and deletes `root` once this process is
/// gone. It has its own process group, so a Ctrl-C that ends the tests does not end
/// it before it has cleaned up.
fn watch(bin: &Path, root: &Path, as_postgres: bool) -> Result<Child, String> {
    let pg_ctl = bin.join("pg_ctl").display().to_string();
    let stop = if as_postgres {
        format!("runuser -u postgres -- {pg_ctl}")
    } else {
        pg_ctl
    };
    let script = format!(
        "while kill -0 \"$0\" 2>/dev/null; do sleep 0.2; done; \
         {stop} -D \"$1/data\" -m immediate stop; rm -rf \"$1\""
    );
    std::os::unix::process::CommandExt::process_group(
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(std::process::id().to_string())
            .arg(root),
        0,
    )
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .map_err(|e| format!("cannot start the cluster's watcher: {e}"))
}

/// A port nothing listens on now (the kernel's pick; the server binds it a moment
/// later).
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}
