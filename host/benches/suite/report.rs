//! The printed table, the hot-swap and memory lines, and the DESIGN.md budgets.

use std::time::Duration;

use crate::common::Outcome;
use crate::mock::Pace;

/// One line of the table.
pub struct Row {
    name: String,
    result: Result<Outcome, String>,
    /// Index of the row this one is compared with.
    base: Option<usize>,
}

impl Row {
    /// A measured phase, compared with row `base` if any.
    pub fn measured(name: &str, outcome: Outcome, base: Option<usize>) -> Row {
        Row {
            name: name.to_string(),
            result: Ok(outcome),
            base,
        }
    }

    /// A phase that could not run, and why.
    pub fn skipped(name: &str, why: &str) -> Row {
        Row {
            name: name.to_string(),
            result: Err(why.to_string()),
            base: None,
        }
    }
}

/// What the hot swap saw: for each change, whether it installed a file, and how
/// long until `/health` showed it.
pub enum Swap {
    Done(Vec<(bool, Option<Duration>)>),
    Skipped(String),
}

/// Gateway RSS in KiB.
pub struct Memory {
    pub idle_kib: u64,
    pub peak_kib: u64,
    pub after_kib: u64,
}

pub struct Report {
    pub secs: f64,
    pub conns: usize,
    pub streams: usize,
    pub pace: Pace,
    /// A first start (empty compile cache) until ready: baseline code serves.
    pub startup: Duration,
    /// The same start until every component runs optimized code (`None`: not in 180 s).
    pub optimized: Option<Duration>,
    /// A second start on the same data folder: compiled adapters come from the cache.
    pub cached_startup: Duration,
    /// Idle RSS of that cached start (no compiler ran in that process).
    pub cached_idle_kib: u64,
    pub rows: Vec<Row>,
    pub swap: Swap,
    pub memory: Memory,
}

fn ms(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.0}us", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2}ms", d.as_secs_f64() * 1e3)
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub fn print(r: &Report) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!(
        "\nSwitchyard benchmark suite: {}s per phase, loopback, {cores} cores; \
         streams: {} deltas {}ms apart",
        r.secs,
        r.pace.events,
        r.pace.gap.as_millis()
    );
    println!(
        "{:<48} {:>9} {:>9} {:>9} {:>9} {:>7} {:>8}",
        "phase", "req/s", "p50", "p99", "ttfb p50", "errors", "vs base"
    );
    for row in &r.rows {
        match &row.result {
            Ok(o) => {
                let ratio = row
                    .base
                    .and_then(|b| r.rows.get(b))
                    .and_then(|b| b.result.as_ref().ok())
                    .map(|b| format!("{:.2}", o.rps() / b.rps().max(1e-9)))
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{:<48} {:>9.0} {:>9} {:>9} {:>9} {:>7} {:>8}",
                    row.name,
                    o.rps(),
                    ms(o.pct(0.5)),
                    ms(o.pct(0.99)),
                    ms(o.first_byte_pct(0.5)),
                    o.errors,
                    ratio
                );
            }
            Err(why) => println!("{:<48} {why}", row.name),
        }
    }
    println!("(vs base: throughput over the direct-mock row of the same kind, same run)");

    match &r.swap {
        Swap::Done(changes) => {
            let parts: Vec<String> = changes
                .iter()
                .map(|(file, seen)| {
                    let what = if *file { "file in" } else { "file out" };
                    match seen {
                        Some(d) => format!("{what} {}", ms(*d)),
                        None => format!("{what} not seen"),
                    }
                })
                .collect();
            println!("\nhot swap, until /health shows it: {}", parts.join(", "));
        }
        Swap::Skipped(why) => println!("\nhot swap: {why}"),
    }
    let m = &r.memory;
    println!(
        "gateway RSS: idle {}, peak under load {}, after {}",
        mib(m.idle_kib),
        mib(m.peak_kib),
        mib(m.after_kib),
    );
    println!(
        "first start (empty compile cache): ready in {} on baseline code, optimized code in {}",
        ms(r.startup),
        r.optimized
            .map_or_else(|| "more than 180 s".to_string(), ms)
    );
    println!(
        "restart on the same data (adapters from the compile cache): ready in {}, idle RSS {}",
        ms(r.cached_startup),
        mib(r.cached_idle_kib)
    );
    budgets(r);
    println!("note: client, mock and proxies share this machine's cores; quote ratios.");
}

fn find<'a>(r: &'a Report, prefix: &str) -> Option<&'a Outcome> {
    r.rows
        .iter()
        .find(|row| row.name.starts_with(prefix))
        .and_then(|row| row.result.as_ref().ok())
}

/// The DESIGN.md budgets this run can speak to.
fn budgets(r: &Report) {
    println!("\nbudgets (DESIGN.md):");
    if let (Some(d), Some(g)) = (
        find(r, "(a) mock directly, 1 conn"),
        find(r, "(b) switchyard openai, 1 conn"),
    ) {
        let p50 = g.pct(0.5).saturating_sub(d.pct(0.5));
        let p99 = g.pct(0.99).saturating_sub(d.pct(0.99));
        println!(
            "  added latency at 1 conn: p50 {} (<= 100us), p99 {} (<= 1ms)",
            ms(p50),
            ms(p99)
        );
    }
    let defaults = format!("(b) switchyard defaults, key, {} conns", r.conns);
    if let (Some(n), Some(g)) = (find(r, "nginx -> mock"), find(r, &defaults)) {
        println!(
            "  throughput with the defaults (key, request log) vs nginx: {:.2} (>= 0.5)",
            g.rps() / n.rps().max(1e-9)
        );
    }
    if let (Some(d), Some(g)) = (
        find(r, "(f) mock directly, open loop"),
        find(r, "(f) switchyard defaults, open loop"),
    ) {
        println!(
            "  added latency at a fixed load: p50 {} (<= 100us), p99 {} (<= 250us)",
            ms(g.pct(0.5).saturating_sub(d.pct(0.5))),
            ms(g.pct(0.99).saturating_sub(d.pct(0.99)))
        );
        if let Some(n) = find(r, "(f) nginx -> mock, open loop") {
            println!(
                "    (an nginx hop adds p50 {}, p99 {} at the same load)",
                ms(n.pct(0.5).saturating_sub(d.pct(0.5))),
                ms(n.pct(0.99).saturating_sub(d.pct(0.99)))
            );
        }
    }
    let few = |prefix: &str| {
        r.rows
            .iter()
            .filter(|row| row.name.starts_with(prefix) && row.name.ends_with(" streams"))
            .find_map(|row| row.result.as_ref().ok().map(|o| (row.name.as_str(), o)))
    };
    if let (Some((name, d)), Some((_, g))) =
        (few("(d) mock directly, "), few("(d) switchyard openai, "))
    {
        let count = name.trim_start_matches("(d) mock directly, ");
        println!(
            "  added time to first token at {count}: p50 {}, p99 {} (<= 500us)",
            ms(g.first_byte_pct(0.5).saturating_sub(d.first_byte_pct(0.5))),
            ms(g.first_byte_pct(0.99)
                .saturating_sub(d.first_byte_pct(0.99)))
        );
    }
    println!(
        "  idle RSS {} (<= 40 MB); growth under {} streams: {}",
        mib(r.memory.idle_kib),
        r.streams,
        mib(r.memory.peak_kib.saturating_sub(r.memory.idle_kib))
    );
    println!(
        "  start-up to ready: first start {}, restart {} (<= 300ms)",
        ms(r.startup),
        ms(r.cached_startup)
    );
    if let (Some(o), Swap::Done(changes)) = (find(r, "(e) hot swap"), &r.swap) {
        let worst = changes.iter().filter_map(|(_, d)| *d).max();
        let unseen = changes.iter().filter(|(_, d)| d.is_none()).count();
        println!(
            "  hot swap: {} failed requests (0), slowest change visible after {} (<= 500ms){}",
            o.errors,
            worst.map(ms).unwrap_or_else(|| "-".into()),
            if unseen > 0 {
                format!(", {unseen} never seen")
            } else {
                String::new()
            }
        );
    }
}
