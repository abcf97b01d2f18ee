//! The long memory check (`BENCH_MILLION=1 bash tests/bench.sh`): a million requests
//! through a gateway on its embedded defaults (client key in every request, request
//! log on), its RSS read once 100,000 requests have been served and again at the
//! million. A gateway whose memory grows per request (a map never pruned, a log queue
//! that never drains) shows it here; the budget is growth within 10%.

use std::time::{Duration, Instant};

use crate::common::{Load, any_body, env_num};
use crate::gateway::{self, Gateway};
use crate::mock;

/// When the first reading is taken, and how many requests the check makes in all.
const FIRST_READING: usize = 100_000;
const BUDGET_GROWTH: f64 = 0.10;

/// Runs the check and prints its table; the process exits non-zero over budget.
pub fn main() {
    let total = env_num("BENCH_MILLION_REQUESTS", 1_000_000).max(FIRST_READING as u64 * 2) as usize;
    let conns = env_num("BENCH_CONNS", 32).max(1) as usize;
    // At a few thousand requests per second a million takes minutes; beyond this the
    // run hangs.
    crate::watchdog(Duration::from_secs(1800));

    let mock = mock::start(mock::Pace {
        events: 10,
        gap: Duration::from_millis(20),
    });
    let dir = tempfile::Builder::new()
        .prefix("switchyard-million-")
        .tempdir()
        .unwrap();
    let gw = Gateway::start_with(dir.path(), mock, gateway::Profile::DEFAULTS, None);
    crate::watch_pid(gw.pid());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let (readings, served, errors, elapsed) = rt.block_on(async {
        let client = reqwest::Client::new();
        let key: &'static str =
            Box::leak(format!("Bearer {}", gw.create_key(&client).await).into_boxed_str());
        let headers: &'static [(&'static str, &'static str)] =
            Box::leak(vec![("authorization", key)].into_boxed_slice());
        let url = format!("http://{}/v1/chat/completions", gw.addr);
        let started = Instant::now();
        let idle = gw.rss_kib();
        let (mut served, mut errors) = (0usize, 0usize);
        let mut readings = vec![(0usize, idle)];
        while served < total {
            let outcome = Load {
                url: &url,
                body: crate::OPENAI_PLAIN,
                headers,
                conns,
                secs: 5.0,
                check: any_body,
            }
            .run()
            .await;
            let before = served;
            served += outcome.requests;
            errors += outcome.errors;
            if before < FIRST_READING && served >= FIRST_READING || served >= total {
                // Let the request-log writer drain before reading.
                tokio::time::sleep(Duration::from_secs(1)).await;
                readings.push((served, gw.rss_kib()));
            }
            if outcome.requests == 0 {
                break;
            }
        }
        (readings, served, errors, started.elapsed())
    });

    println!(
        "Switchyard million-request memory check (embedded defaults: client key, request log; {conns} connections)"
    );
    println!("{:>12}  {:>10}", "requests", "RSS MiB");
    for (requests, kib) in &readings {
        println!("{requests:>12}  {:>10.1}", *kib as f64 / 1024.0);
    }
    println!(
        "served {served} in {:.0} s ({:.0} req/s), {errors} errors",
        elapsed.as_secs_f64(),
        served as f64 / elapsed.as_secs_f64()
    );
    let [.., (_, first), (_, last)] = readings[..] else {
        eprintln!("bench: too few readings: {readings:?}");
        std::process::exit(2);
    };
    let growth = last as f64 / first as f64 - 1.0;
    println!(
        "RSS growth from the first {FIRST_READING} requests to the last: {:+.1}% (budget {:+.0}%)",
        growth * 100.0,
        BUDGET_GROWTH * 100.0
    );
    if growth > BUDGET_GROWTH || errors > 0 {
        std::process::exit(1);
    }
}
