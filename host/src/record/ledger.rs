//! The request log and conversation writer. Entries from the request path go through
//! a bounded channel to one thread that commits them in batches, so a request never
//! waits for the disk (only, under overload, for room in the queue). [`Ledger::flush`]
//! on shutdown writes everything already answered.
//!
//! Spend goes into the daily rollup with the batch's log rows; with the request log
//! off, a batch of spend alone is summed in memory and committed once a second (or at
//! a flush), so spend tracking costs no transaction per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::spend::calendar::Calendar;
use crate::store::{Exchange, RequestRecord, SharedStore, SpendLine};

/// Entries written in one transaction at most.
const BATCH: usize = 1024;

/// How long spend alone (no log rows) waits to be committed at most.
const SPEND_EVERY: Duration = Duration::from_secs(1);

enum Entry {
    /// A finished request: its log row (when logged) and its spend.
    Finished(Box<(Option<RequestRecord>, Option<SpendLine>)>),
    Exchange(Box<Exchange>),
    Flush(oneshot::Sender<()>),
    /// Time to commit spend that is waiting.
    Tick,
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
    /// Entries handed to a task because the queue was full when a stream ended.
    detached: Arc<AtomicUsize>,
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
        let writer = std::thread::Builder::new()
            .name("switchyard-ledger".into())
            .spawn(move || write_loop(&store, rx))?;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(tick(tx.downgrade()));
        }
        Ok(Self {
            tx,
            log_requests,
            calendar,
            detached: Arc::new(AtomicUsize::new(0)),
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
        let row = row.filter(|_| self.log_requests);
        let spend = spend.map(|(at_ms, mut line)| {
            line.day = self.calendar.day(at_ms);
            line
        });
        let finished =
            (row.is_some() || spend.is_some()).then(|| Entry::Finished(Box::new((row, spend))));
        finished
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
        let (ack, done) = oneshot::channel();
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

/// Reminds the writer of waiting spend every [`SPEND_EVERY`], until the ledger is gone.
async fn tick(tx: mpsc::WeakSender<Entry>) {
    let mut every = tokio::time::interval(SPEND_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(tx) = tx.upgrade() else { return };
        // A full queue will be written soon anyway.
        let _ = tx.try_send(Entry::Tick);
    }
}

fn write_loop(store: &SharedStore, mut rx: mpsc::Receiver<Entry>) {
    let mut requests = Vec::new();
    let mut exchanges = Vec::new();
    // Spend not yet committed, one line per (day, key, model).
    let mut spend: HashMap<(String, String, String), SpendLine> = HashMap::new();
    let mut spend_since = std::time::Instant::now();
    let mut acks = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        let mut taken = 0;
        let mut tick = false;
        while let Some(entry) = next.take() {
            match entry {
                Entry::Finished(finished) => {
                    let (row, line) = *finished;
                    requests.extend(row);
                    if let Some(line) = line {
                        let key = (line.day.clone(), line.client_id.clone(), line.model.clone());
                        spend
                            .entry(key)
                            .and_modify(|sum| sum.add(&line))
                            .or_insert(line);
                    }
                }
                Entry::Exchange(exchange) => exchanges.push(*exchange),
                Entry::Flush(ack) => acks.push(ack),
                Entry::Tick => tick = true,
            }
            taken += 1;
            if taken < BATCH {
                next = rx.try_recv().ok();
            }
        }
        // Spend alone waits for company, a tick, a flush or a full batch.
        let spend_due = !spend.is_empty()
            && (tick
                || !acks.is_empty()
                || spend.len() >= BATCH
                || spend_since.elapsed() >= SPEND_EVERY);
        if !requests.is_empty() || !exchanges.is_empty() || spend_due {
            spend_since = std::time::Instant::now();
            let lines: Vec<SpendLine> = spend.drain().map(|(_, line)| line).collect();
            if let Err(err) = store.write_batch(&requests, &lines, &exchanges) {
                tracing::error!(
                    error = %err,
                    requests = requests.len(),
                    spend = lines.len(),
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
    // Every sender is gone: what spend is still waiting goes now.
    let lines: Vec<SpendLine> = spend.into_values().collect();
    if !lines.is_empty()
        && let Err(err) = store.write_batch(&[], &lines, &[])
    {
        tracing::error!(error = %err, spend = lines.len(), "cannot write the spend rollup");
    }
}
