//! The mock OpenAI upstream as a process, for the Python end-to-end tests.
//!
//! Prints `mock-upstream listening on http://127.0.0.1:PORT` on stdout once it accepts
//! connections, then serves until killed. `GET /__mock/requests` returns the recorded
//! requests as JSON and `DELETE /__mock/requests` clears them.

use e2e::MockUpstream;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    println!("mock-upstream listening on http://{}", mock.addr());
    tokio::signal::ctrl_c().await?;
    drop(mock);
    Ok(())
}
