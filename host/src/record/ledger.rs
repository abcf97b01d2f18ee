//! The request log and conversation writer. Entries from the request path go through
//! a bounded channel to one thread that commits them in batches, so a request never
//! waits for the disk (only, under overload, for room in the queue). [`Ledger::flush`]
//! on shutdown writes everything already answered.
//!
//! Spend is summed in memory on the request path, one line per (day, key, model), and
//! handed to the writer once a second (and at a flush): tracking it costs a request a
//! short lock, never a trip through the queue or a transaction of its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::spend::calendar::Calendar;
use crate::store::{Exchange, RequestRecord, SharedStore, SpendLine};

/// Entries written in one transaction at most.
const BATCH: usize = 1024;

/// How long the writer lets entries gather after the first one arrives, unless a
/// whole [`BATCH`] (or half the queue) is waiting sooner or a flush is asked for. A
/// commit costs far more than a row (its index and rollup pages are written whole):
/// this turns a commit every few requests into one per few dozen at a moderate load,
/// and the request path rarely has to wake the writer.
const LINGER: Duration = Duration::from_millis(50);

/// How often a lingering writer looks whether the batch is full or a flush waits.
const LINGER_STEP: Duration = Duration::from_millis(5);

/// How long spend alone (no log rows) waits to be committed at most.
const SPEND_EVERY: Duration = Duration::from_secs(1);

enum Entry {
    Request(Box<RequestRecord>),
    /// The spend summed since the last one.
    Spend(Vec<SpendLine>),
    Exchange(Box<Exchange>),
    Flush(oneshot::Sender<()>),
}

/// Spend not yet handed to the writer, one line per (day, key, model).
#[derive(Default)]
struct Pending(Mutex<HashMap<(String, String, String), SpendLine>>);

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String, String), SpendLine>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, line: SpendLine) {
        let mut pending = self.lock();
        let key = (line.day.clone(), line.client_id.clone(), line.model.clone());
        match pending.get_mut(&key) {
            Some(sum) => sum.add(&line),
            None => {
                pending.insert(key, line);
            }
        }
    }

    fn take(&self) -> Vec<SpendLine> {
        self.lock().drain().map(|(_, line)| line).collect()
    }
}

/// What a finished request leaves to write.
#[derive(Debug, Default)]
pub struct Remains {
    /// Its request-log row (written when the request log is on).
    pub row: Option<RequestRecord>,
    /// Its spend, for the daily rollup (always written), without its day yet.
    pub spend: Option<(i64, SpendLine)>,
    /// Its conversation exchange, when kept.
    pub exchange: Option<Exchange>,
}

/// The writer's handle.
pub struct Ledger {
    tx: mpsc::Sender<Entry>,
    log_requests: bool,
    /// Files spend under the operator's calendar day.
    calendar: Calendar,
    /// Spend waiting for the next tick.
    pending: Arc<Pending>,
    /// Entries handed to a task because the queue was full when a stream ended.
    detached: Arc<AtomicUsize>,
    /// Flushes asked for and not yet done: the writer stops lingering for them.
    flushes: Arc<AtomicUsize>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Ledger {
    /// Starts the writer thread on `store`.
    pub fn start(
        store: SharedStore,
        capacity: usize,
        log_requests: bool,
        calendar: Calendar,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let flushes = Arc::new(AtomicUsize::new(0));
        let waiting = Arc::clone(&flushes);
        let writer = std::thread::Builder::new()
            .name("switchyard-ledger".into())
            .spawn(move || {
                yield_to_requests();
                write_loop(&store, rx, &waiting)
            })?;
        let pending = Arc::new(Pending::default());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(tick(tx.downgrade(), Arc::downgrade(&pending)));
        }
        Ok(Self {
            tx,
            log_requests,
            calendar,
            pending,
            detached: Arc::new(AtomicUsize::new(0)),
            flushes,
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Queues what a request leaves, waiting for room in the queue (the request
    /// path's only wait on the writer, and only under overload).
    pub async fn write(&self, remains: Remains) {
        for entry in self.entries(remains) {
            self.submit(entry).await;
        }
    }

    /// Queues what a request leaves from synchronous code (a stream's body that ended
    /// or was dropped): at once when there is room, else from a task that
    /// [`Self::flush`] waits for.
    pub fn write_detached(&self, remains: Remains) {
        for entry in self.entries(remains) {
            self.submit_detached(entry);
        }
    }

    /// The entries to queue: the row only when the request log is on; the spend with
    /// its day on the operator's calendar.
    fn entries(&self, remains: Remains) -> impl Iterator<Item = Entry> {
        let Remains {
            row,
            spend,
            exchange,
        } = remains;
        if let Some((at_ms, mut line)) = spend {
            line.day = self.calendar.day(at_ms);
            self.pending.add(line);
        }
        row.filter(|_| self.log_requests)
            .map(|r| Entry::Request(Box::new(r)))
            .into_iter()
            .chain(exchange.map(|e| Entry::Exchange(Box::new(e))))
    }

    async fn submit(&self, entry: Entry) {
        if self.tx.send(entry).await.is_err() {
            tracing::error!("the ledger writer has stopped; an entry was not written");
        }
    }

    fn submit_detached(&self, entry: Entry) {
        match self.tx.try_send(entry) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(entry)) => {
                let tx = self.tx.clone();
                let detached = Arc::clone(&self.detached);
                detached.fetch_add(1, Ordering::AcqRel);
                tokio::spawn(async move {
                    let _ = tx.send(entry).await;
                    detached.fetch_sub(1, Ordering::AcqRel);
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("the ledger writer has stopped; an entry was not written");
            }
        }
    }

    /// Waits until everything queued so far is committed.
    pub async fn flush(&self) {
        while self.detached.load(Ordering::Acquire) > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let spend = self.pending.take();
        if !spend.is_empty() {
            self.submit(Entry::Spend(spend)).await;
        }
        let (ack, done) = oneshot::channel();
        let _asking = Asking::new(&self.flushes);
        self.submit(Entry::Flush(ack)).await;
        let _ = done.await;
    }

    /// Flushes, then stops the writer thread (on shutdown).
    pub async fn close(&self) {
        self.flush().await;
        let writer = self.writer.lock().ok().and_then(|mut w| w.take());
        drop(writer);
    }
}

/// A flush under way, counted while its caller waits (and no longer once it gives up).
struct Asking<'a>(&'a AtomicUsize);

impl<'a> Asking<'a> {
    fn new(flushes: &'a AtomicUsize) -> Self {
        flushes.fetch_add(1, Ordering::AcqRel);
        Self(flushes)
    }
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Hands the spend summed so far to the writer every [`SPEND_EVERY`], until the
/// ledger is gone.
async fn tick(tx: mpsc::WeakSender<Entry>, pending: std::sync::Weak<Pending>) {
    let mut every = tokio::time::interval(SPEND_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let (Some(tx), Some(pending)) = (tx.upgrade(), pending.upgrade()) else {
            return;
        };
        let spend = pending.take();
        if !spend.is_empty() && tx.send(Entry::Spend(spend)).await.is_err() {
            return;
        }
    }
}

/// Lowers the calling thread's priority, so that on a busy machine the scheduler runs
/// request-serving threads before the writer's batch: a log commit never sits in
/// front of a request waiting for a core. The writer still gets its share, and the
/// queue's bound pushes back on requests if it ever falls behind.
#[cfg(target_os = "linux")]
fn yield_to_requests() {
    /// How much lower the writer's scheduling priority is than the threads serving
    /// requests (a nice value, 0-19).
    const WRITER_NICENESS: libc::c_int = 10;

    #[expect(
        unsafe_code,
        reason = "setpriority has no memory-safety preconditions; it changes a scheduling value"
    )]
    // SAFETY: setpriority reads no pointers. On Linux the nice value is per thread, and
    // `who = 0` names the calling thread.
    let changed = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, WRITER_NICENESS) };
    if changed != 0 {
        tracing::debug!(
            error = %std::io::Error::last_os_error(),
            "cannot lower the request log writer's priority"
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn yield_to_requests() {}

fn write_loop(store: &SharedStore, mut rx: mpsc::Receiver<Entry>, flushes: &AtomicUsize) {
    let mut requests = Vec::new();
    let mut exchanges = Vec::new();
    let mut lines = Vec::new();
    let mut acks = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        linger(&rx, flushes);
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(entry) = next.take() {
            match entry {
                Entry::Request(record) => requests.push(*record),
                Entry::Spend(spend) => lines.extend(spend),
                Entry::Exchange(exchange) => exchanges.push(*exchange),
                Entry::Flush(ack) => acks.push(ack),
            }
            taken += 1;
            if taken < BATCH {
                next = rx.try_recv().ok();
            }
        }
        // Two hand-overs of spend in one batch may name the same line: one row each,
        // as Postgres updates a row once per statement.
        let spend = merged(std::mem::take(&mut lines));
        if !requests.is_empty() || !exchanges.is_empty() || !spend.is_empty() {
            if let Err(err) = store.write_batch(&requests, &spend, &exchanges) {
                tracing::error!(
                    error = %err,
                    requests = requests.len(),
                    spend = spend.len(),
                    exchanges = exchanges.len(),
                    "cannot write the request log; these entries are lost"
                );
            }
            requests.clear();
            exchanges.clear();
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

/// Lets entries gather behind the first for up to [`LINGER`], while the queue has
/// room to spare (a small `storage.write_queue` would otherwise make requests wait for
/// room while the writer sleeps) and no flush waits.
fn linger(rx: &mpsc::Receiver<Entry>, flushes: &AtomicUsize) {
    let full = BATCH.min(rx.max_capacity() / 2);
    let until = std::time::Instant::now() + LINGER;
    while rx.len() + 1 < full && flushes.load(Ordering::Acquire) == 0 {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        #[allow(clippy::disallowed_methods)] // the writer's own thread
        std::thread::sleep(left.min(LINGER_STEP));
    }
}

/// `lines` with those of the same (day, key, model) summed into one.
fn merged(lines: Vec<SpendLine>) -> Vec<SpendLine> {
    let pending = Pending::default();
    for line in lines {
        pending.add(line);
    }
    pending.take()
}

#[cfg(test)]
mod tests;
