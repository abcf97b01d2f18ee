//! The request log and conversation writer. Entries from the request path go through
//! a bounded channel to one thread that commits them in batches, so a request never
//! waits for the disk (only, under overload, for room in the queue). [`Ledger::flush`]
//! on shutdown writes everything already answered.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::access::auth::Principal;
use crate::access::limits::SharedLimits;
use crate::error::ErrorType;
use crate::plugins::bindings::Usage;
use crate::record::outcome::{CallInfo, StreamOutcome};
use crate::store::{Exchange, KeyLimits, RequestRecord, SharedStore, now_millis};

/// Entries written in one transaction at most.
const BATCH: usize = 1024;

enum Entry {
    Request(Box<RequestRecord>),
    Exchange(Box<Exchange>),
    Flush(oneshot::Sender<()>),
}

/// The writer's handle.
pub struct Ledger {
    tx: mpsc::Sender<Entry>,
    log_requests: bool,
    /// Entries handed to a task because the queue was full when a stream ended.
    detached: Arc<AtomicUsize>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Ledger {
    /// Starts the writer thread on `store`.
    pub fn start(store: SharedStore, capacity: usize, log_requests: bool) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let writer = std::thread::Builder::new()
            .name("switchyard-ledger".into())
            .spawn(move || write_loop(&store, rx))?;
        Ok(Self {
            tx,
            log_requests,
            detached: Arc::new(AtomicUsize::new(0)),
            writer: Mutex::new(Some(writer)),
        })
    }

    async fn submit(&self, entry: Entry) {
        if self.tx.send(entry).await.is_err() {
            tracing::error!("the ledger writer has stopped; an entry was not written");
        }
    }

    /// Queues an entry from synchronous code (a dropped stream body): at once when
    /// there is room, else from a task that [`Self::flush`] waits for.
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

fn write_loop(store: &SharedStore, mut rx: mpsc::Receiver<Entry>) {
    let mut requests = Vec::new();
    let mut exchanges = Vec::new();
    let mut acks = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(entry) = next.take() {
            match entry {
                Entry::Request(record) => requests.push(*record),
                Entry::Exchange(exchange) => exchanges.push(*exchange),
                Entry::Flush(ack) => acks.push(ack),
            }
            if requests.len() + exchanges.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !requests.is_empty() || !exchanges.is_empty() {
            if let Err(err) = store.write_batch(&requests, &exchanges) {
                tracing::error!(
                    error = %err,
                    requests = requests.len(),
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

/// What the request-log middleware needs: the writer, and the limits that an answer's
/// tokens are charged to.
#[derive(Clone)]
pub struct Recorder {
    /// The request-log and conversation writer.
    pub ledger: Arc<Ledger>,
    /// Per-key limits (tokens per minute are charged from real usage).
    pub limits: SharedLimits,
}

impl Recorder {
    /// Charges an answer's tokens to its key's tokens-per-minute budget.
    fn charge_tokens(&self, key: Option<&(String, KeyLimits)>, record: &RequestRecord) {
        if let (Some((id, limits)), Some(tokens)) = (key, record.total_tokens) {
            self.limits.record(id, *limits, u64::from(tokens));
        }
    }
}

/// Fills a record's token fields.
fn set_usage(record: &mut RequestRecord, usage: Option<&Usage>) {
    if let Some(usage) = usage {
        record.prompt_tokens = Some(usage.prompt_tokens);
        record.completion_tokens = Some(usage.completion_tokens);
        record.total_tokens = Some(usage.prompt_tokens.saturating_add(usage.completion_tokens));
    }
}

/// Middleware on the proxied routes: one request-log row per request, and the
/// conversation exchange when one was captured. Streams are logged when their body
/// ends (or the client goes away).
pub async fn record(State(state): State<Recorder>, request: Request, next: Next) -> Response {
    let at_ms = now_millis();
    let started = Instant::now();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let endpoint = request.uri().path().to_string();
    let mut response = next.run(request).await;

    let principal = response.extensions().get::<Principal>();
    let key = principal.and_then(|p| p.key().map(|k| (k.id.clone(), k.limits)));
    let mut record = RequestRecord {
        at_ms,
        request_id,
        client_id: principal
            .map_or("unauthenticated", Principal::client_id)
            .to_string(),
        endpoint,
        status: response.status().as_u16(),
        error_type: response
            .extensions()
            .get::<ErrorType>()
            .map(|e| e.0.clone()),
        ..RequestRecord::default()
    };
    // The metrics middleware outside still reads the rest of the call info.
    let (exchange, stream) = match response.extensions_mut().get_mut::<CallInfo>() {
        Some(info) => {
            record.model.clone_from(&info.model);
            record.platform = Some(info.platform.clone()).filter(|p| !p.is_empty());
            record.adapter_version = Some(info.adapter_version.clone()).filter(|v| !v.is_empty());
            record.upstream_ms = info.upstream.map(|d| d.as_secs_f64() * 1000.0);
            record.streamed = info.streamed;
            set_usage(&mut record, info.usage.as_ref());
            (info.exchange.take(), info.stream.take())
        }
        None => (None, None),
    };

    if let Some(outcome) = stream {
        let guard = StreamLogGuard {
            state: state.clone(),
            key,
            record: Some(record),
            started,
            outcome,
        };
        let (parts, body) = response.into_parts();
        let body = Body::from_stream(body.into_data_stream().map(move |chunk| {
            let _keep = &guard;
            chunk
        }));
        return Response::from_parts(parts, body);
    }
    record.latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    state.charge_tokens(key.as_ref(), &record);
    if state.ledger.log_requests {
        state.ledger.submit(Entry::Request(Box::new(record))).await;
    }
    if let Some(exchange) = exchange {
        state.ledger.submit(Entry::Exchange(exchange)).await;
    }
    response
}

/// Logs a streamed request when its body is dropped: after the last event, or when
/// the client disconnected.
struct StreamLogGuard {
    state: Recorder,
    key: Option<(String, KeyLimits)>,
    record: Option<RequestRecord>,
    started: Instant,
    outcome: Arc<StreamOutcome>,
}

impl Drop for StreamLogGuard {
    fn drop(&mut self) {
        let Some(mut record) = self.record.take() else {
            return;
        };
        let outcome = self.outcome.take();
        record.latency_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        set_usage(&mut record, outcome.usage.as_ref());
        record.error_type = match outcome.error_type {
            Some(error_type) => Some(error_type),
            None if !outcome.ended => Some("client_disconnected".into()),
            None => None,
        };
        self.state.charge_tokens(self.key.as_ref(), &record);
        let ledger = &self.state.ledger;
        if ledger.log_requests {
            ledger.submit_detached(Entry::Request(Box::new(record)));
        }
        if let Some(exchange) = outcome.exchange {
            ledger.submit_detached(Entry::Exchange(Box::new(exchange)));
        }
    }
}
