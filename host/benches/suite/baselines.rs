//! Other proxies in front of the same mock, when installed: nginx (a plain reverse
//! proxy) and LiteLLM (a Python LLM gateway). Each is found through `BENCH_NGINX` /
//! `BENCH_LITELLM` (a path; `off` disables), else on `PATH`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A baseline proxy process; stopped with SIGTERM on drop.
pub struct Baseline {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Baseline {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `var` if set (`off` or empty: disabled), else `program` on `PATH` or in `extra`.
fn locate(var: &str, program: &str, extra: &[&str]) -> Option<PathBuf> {
    if let Some(v) = std::env::var_os(var) {
        return (!v.is_empty() && v != "off").then(|| PathBuf::from(v));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .chain(extra.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Waits until something accepts connections on `addr`.
fn wait_listening(addr: SocketAddr, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// nginx as a keep-alive reverse proxy to `mock`, or why there is none.
pub fn nginx(dir: &Path, mock: SocketAddr) -> Result<Baseline, String> {
    let bin = locate("BENCH_NGINX", "nginx", &["/usr/sbin/nginx"])
        .ok_or("skipped: nginx not installed")?;
    let prefix = dir.join("nginx");
    std::fs::create_dir_all(&prefix).map_err(|e| e.to_string())?;
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let p = prefix.display();
    let conf = format!(
        r#"
worker_processes auto;
daemon off;
pid {p}/nginx.pid;
error_log {p}/error.log error;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {p}/body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    upstream mock {{ server {mock}; keepalive 128; }}
    server {{
        listen {addr};
        location / {{
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }}
    }}
}}
"#
    );
    let conf_path = prefix.join("nginx.conf");
    std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
    let child = Command::new(&bin)
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("skipped: cannot start {}: {e}", bin.display()))?;
    let baseline = Baseline { child, addr };
    if !wait_listening(addr, Duration::from_secs(5)) {
        return Err(format!("skipped: nginx did not start (see {p}/error.log)"));
    }
    Ok(baseline)
}

/// The LiteLLM proxy with one OpenAI model pointing at `mock`, or why there is none.
pub fn litellm(dir: &Path, mock: SocketAddr) -> Result<Baseline, String> {
    let bin = locate("BENCH_LITELLM", "litellm", &[]).ok_or("skipped: litellm not installed")?;
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let conf_path = dir.join("litellm.yaml");
    let conf = format!(
        "model_list:\n  - model_name: bench\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: http://{mock}/v1\n      api_key: sk-bench\n"
    );
    std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("litellm.log")).map_err(|e| e.to_string())?;
    let child = Command::new(&bin)
        .arg("--config")
        .arg(&conf_path)
        .arg("--host")
        .arg("127.0.0.1")
        .arg("--port")
        .arg(addr.port().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("skipped: cannot start {}: {e}", bin.display()))?;
    let baseline = Baseline { child, addr };
    if !wait_listening(addr, Duration::from_secs(60)) {
        return Err("skipped: litellm did not start within 60 s".into());
    }
    Ok(baseline)
}
