//! The epoch ticker: advances the engines' epochs so that guest calls meet their
//! deadlines (and yield to other requests), and rests while no guest code runs.
//!
//! Ticking every [`EPOCH_TICK`] forever would wake an idle gateway 200 times a second
//! for nothing: the epoch matters only while a guest runs. So guest calls (and the
//! epoch checks inside a running one) mark activity, and once a whole [`QUIET`] has
//! passed without any, the ticker parks. The next call wakes it before its guest code
//! starts, so a call never runs without its deadline; a guest that runs for long keeps
//! the ticker awake by itself, through its epoch checks. Marking costs a call two
//! loads; only the first call after a tick writes.
//!
//! The watch is process-wide: the gateway has one engine (with its two tiers) and one
//! ticker. Where tests run several, any engine's calls keep every ticker awake, and a
//! call wakes every resting one.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use wasmtime::EngineWeak;

/// How often the epoch advances; a call overruns its deadline by at most this.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// How long the ticker keeps ticking after the last guest call before it rests.
pub const QUIET: Duration = Duration::from_secs(1);

/// How often a resting ticker checks that its engine still exists (it ends with it).
const REST_CHECK: Duration = Duration::from_secs(10);

/// What the tickers and the guest calls share: a clock of ticks, the tick of the latest
/// guest activity, and which tickers rest.
pub struct Watch {
    /// Ticks of every ticker so far: the clock calls mark their activity with.
    ticks: AtomicU64,
    /// The tick at which guest code last ran ([`RESTING`] once a ticker rests and no
    /// call has come since). Calls only read it, but for the first one after a tick.
    last_active: AtomicU64,
    /// Tickers parked, and their threads, for a call to wake.
    resting: AtomicUsize,
    parked: Mutex<Vec<Thread>>,
}

/// `last_active` while tickers rest and no guest has run since.
const RESTING: u64 = u64::MAX;

/// The process's one watch: every engine's calls keep every ticker awake.
pub static WATCH: Watch = Watch::new();

impl Watch {
    const fn new() -> Self {
        Self {
            ticks: AtomicU64::new(0),
            last_active: AtomicU64::new(0),
            resting: AtomicUsize::new(0),
            parked: Mutex::new(Vec::new()),
        }
    }

    /// Notes that guest code is about to run (or is running): wakes the tickers if
    /// they rest. Call before entering the guest.
    pub fn guest_running(&self) {
        let now = self.ticks.load(Ordering::Relaxed);
        if self.last_active.load(Ordering::Relaxed) == now {
            return; // already noted at this tick
        }
        // SeqCst pairs with `rest`: either the resting ticker sees this mark, or this
        // call sees it registered as resting and wakes it.
        self.last_active.store(now, Ordering::SeqCst);
        if self.resting.load(Ordering::SeqCst) != 0 {
            for thread in self.parked().iter() {
                thread.unpark();
            }
        }
    }

    fn parked(&self) -> std::sync::MutexGuard<'_, Vec<Thread>> {
        self.parked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a thread advancing the epochs of `engines` every [`EPOCH_TICK`] while
    /// guest code runs, resting after `quiet` without any, for as long as the first
    /// engine lives. A thread, not a task: a busy runtime must not delay deadlines.
    pub fn start(
        &'static self,
        engines: Vec<EngineWeak>,
        quiet: Duration,
    ) -> std::io::Result<JoinHandle<()>> {
        std::thread::Builder::new()
            .name("switchyard-epoch".into())
            .spawn(move || {
                // The latest activity this ticker saw, and since when it has seen none.
                let mut seen = self.last_active.load(Ordering::SeqCst);
                let mut quiet_since = Instant::now();
                loop {
                    // A tick's sleep comes first: a ticker woken by a call does not
                    // interrupt that call's first instructions.
                    #[allow(clippy::disallowed_methods)] // a dedicated timer thread
                    std::thread::sleep(EPOCH_TICK);
                    if !tick(&engines) {
                        return;
                    }
                    self.ticks.fetch_add(1, Ordering::SeqCst);
                    let last = self.last_active.load(Ordering::SeqCst);
                    if last != seen && last != RESTING {
                        seen = last;
                        quiet_since = Instant::now();
                    } else if quiet_since.elapsed() >= quiet {
                        if !self.rest(last, &engines) {
                            return;
                        }
                        seen = self.last_active.load(Ordering::SeqCst);
                        quiet_since = Instant::now();
                    }
                }
            })
    }

    /// Parks until guest code runs after `last`; false if the engine went away
    /// meanwhile.
    fn rest(&self, last: u64, engines: &[EngineWeak]) -> bool {
        let me = std::thread::current();
        self.parked().push(me.clone());
        self.resting.fetch_add(1, Ordering::SeqCst);
        let mut alive = true;
        // A call that came since `last` cancels the rest (and nothing is written);
        // one that comes later replaces `RESTING` and finds this thread registered.
        let settled =
            self.last_active
                .compare_exchange(last, RESTING, Ordering::SeqCst, Ordering::SeqCst);
        if settled.is_ok() {
            while self.last_active.load(Ordering::SeqCst) == RESTING {
                std::thread::park_timeout(REST_CHECK);
                if engines.first().and_then(EngineWeak::upgrade).is_none() {
                    alive = false;
                    break;
                }
            }
        }
        self.resting.fetch_sub(1, Ordering::SeqCst);
        self.parked().retain(|thread| thread.id() != me.id());
        alive
    }
}

/// Advances each engine's epoch; false once the first (the one the ticker serves) is
/// gone.
fn tick(engines: &[EngineWeak]) -> bool {
    let mut engines = engines.iter();
    let Some(first) = engines.next().and_then(EngineWeak::upgrade) else {
        return false;
    };
    first.increment_epoch();
    for engine in engines.filter_map(EngineWeak::upgrade) {
        engine.increment_epoch();
    }
    true
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // plain threads, no runtime to block
mod tests {
    use super::*;

    fn wait_until(what: &str, check: impl Fn() -> bool) {
        let give_up = Instant::now() + Duration::from_secs(10);
        while !check() {
            assert!(Instant::now() < give_up, "never {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn ticks(watch: &Watch) -> u64 {
        watch.ticks.load(Ordering::SeqCst)
    }

    /// Whether `count` tickers are parked.
    fn resting(watch: &Watch, count: usize) -> bool {
        watch.resting.load(Ordering::SeqCst) == count
    }

    #[test]
    fn a_ticker_rests_after_a_quiet_period_wakes_for_a_call_and_ends_with_its_engine() {
        // A watch of its own: other tests' guest calls must not keep it awake.
        static OWN: Watch = Watch::new();
        let quiet = Duration::from_millis(300);
        let engine = wasmtime::Engine::default();
        let ticker = OWN.start(vec![engine.weak()], quiet).expect("thread");
        wait_until("rests", || resting(&OWN, 1));
        let parked_at = ticks(&OWN);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(ticks(&OWN), parked_at, "a resting ticker does not tick");

        // A call wakes it, and it ticks again.
        OWN.guest_running();
        wait_until("ticks after a call", || ticks(&OWN) > parked_at + 2);
        // Calls keep coming for longer than the quiet period; it rests no sooner than
        // a whole quiet period after the last one.
        let calls_until = Instant::now() + quiet * 2;
        while Instant::now() < calls_until {
            OWN.guest_running();
            std::thread::sleep(Duration::from_millis(2));
        }
        OWN.guest_running();
        let last_call = Instant::now();
        wait_until("rests again", || resting(&OWN, 1));
        assert!(
            last_call.elapsed() >= quiet,
            "rested {:?} after the last call, within the {quiet:?} quiet period",
            last_call.elapsed()
        );

        drop(engine);
        OWN.guest_running();
        wait_until("ends with its engine", || ticker.is_finished());
    }

    #[test]
    fn a_call_wakes_every_resting_ticker() {
        static SHARED: Watch = Watch::new();
        let quiet = Duration::from_millis(50);
        let engines = [wasmtime::Engine::default(), wasmtime::Engine::default()];
        for engine in &engines {
            SHARED.start(vec![engine.weak()], quiet).expect("thread");
        }
        for _ in 0..20 {
            wait_until("both rest", || resting(&SHARED, 2));
            let before = ticks(&SHARED);
            SHARED.guest_running();
            wait_until("both wake", || resting(&SHARED, 0));
            wait_until("ticks resume", || ticks(&SHARED) > before + 1);
        }
    }
}
