//! Streaming relay: upstream bytes -> framed events -> `stream-transformer.push` ->
//! OpenAI chunks as SSE to the client, ending with `data: [DONE]`. A failure after
//! the stream started ends it with an OpenAI error event, never a silent cut.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use wasmtime::component::ResourceAny;

use crate::dispatch::call::Call;
use crate::dispatch::fold::Aggregator;
use crate::dispatch::sse::Framer;
use crate::dispatch::upstream;
use crate::error::GatewayError;
use crate::plugins::bindings::{StreamEvent, StreamFraming, StreamOutput, Usage};
use crate::plugins::session::CallResult;
use crate::plugins::verify;
use crate::record::call_record::CallRecord;
use crate::record::metrics;

/// One upstream stream being translated.
pub struct Relay {
    call: Call,
    transformer: ResourceAny,
    upstream: BoxStream<'static, Result<Bytes, GatewayError>>,
    framer: Framer,
    events: Vec<StreamEvent>,
    finished: bool,
    first_chunk_seen: bool,
    /// The latest cumulative usage the adapter reported.
    pub usage: Option<Usage>,
    /// Where the end of a stream relayed to the client is reported.
    record: Option<CallRecord>,
    /// The chunks so far, folded, when the conversation is being captured.
    transcript: Option<Aggregator>,
    /// Longest wait for the next upstream bytes.
    idle: Duration,
    /// When the whole call must be over.
    deadline: Option<Instant>,
}

/// What one step of the relay produced.
pub enum Step {
    /// Chunks (JSON strings) to deliver.
    Chunks(Vec<String>),
    /// The stream ended normally; chunks still to deliver come first.
    End(Vec<String>),
    /// The stream failed; chunks produced before the failure come first.
    Failed(Vec<String>, GatewayError),
}

impl Relay {
    /// Creates the adapter's stream transformer for a 2xx upstream stream.
    pub async fn open(
        mut call: Call,
        response: upstream::Response,
        framing: StreamFraming,
    ) -> Result<Self, GatewayError> {
        let headers = upstream::header_pairs(response.headers());
        let status = response.status().as_u16();
        let transformer = call
            .session
            .open_stream(&call.ctx, status, &headers)
            .await
            .map_err(|fault| GatewayError::plugin(&call.adapter, fault))?;
        let upstream = upstream::body_stream(&call.route.name, response);
        Ok(Self {
            call,
            transformer,
            upstream,
            framer: Framer::new(framing),
            events: Vec::new(),
            finished: false,
            first_chunk_seen: false,
            usage: None,
            record: None,
            transcript: None,
            idle: Duration::MAX,
            deadline: None,
        })
    }

    /// Ends the stream with a timeout error when the upstream is silent for `idle` or
    /// the call runs past `deadline`.
    pub fn limit_time(&mut self, idle: Duration, deadline: Instant) {
        self.idle = idle;
        self.deadline = Some(deadline);
    }

    /// The next upstream bytes, or `Err` when a time limit ran out first.
    async fn next_bytes(&mut self) -> Result<Option<Result<Bytes, GatewayError>>, GatewayError> {
        let now = Instant::now();
        let idle_end = now.checked_add(self.idle);
        let limit = match (idle_end, self.deadline) {
            (Some(idle), Some(deadline)) => Some(idle.min(deadline)),
            (idle, deadline) => idle.or(deadline),
        };
        let Some(limit) = limit else {
            return Ok(self.upstream.next().await);
        };
        tokio::time::timeout_at(limit.into(), self.upstream.next())
            .await
            .map_err(|_| GatewayError::UpstreamTimeout {
                model: self.call.route.name.clone(),
            })
    }

    /// Reports the stream's end, its usage and (when the conversation is kept) the
    /// reply to `record`.
    pub fn report_to(&mut self, record: CallRecord) {
        if record.wants_reply() {
            self.transcript = Some(Aggregator::default());
        }
        self.record = Some(record);
    }

    /// Folds a step into the transcript and, at the end, reports the outcome.
    fn observe(&mut self, step: &Step) {
        let chunks = match step {
            Step::Chunks(chunks) | Step::End(chunks) | Step::Failed(chunks, _) => chunks,
        };
        if let Some(transcript) = &mut self.transcript {
            chunks.iter().for_each(|c| transcript.add(c));
        }
        let Some(record) = &self.record else {
            return;
        };
        let chars = chunks
            .iter()
            .map(|c| crate::spend::cost::relayed_chars(c))
            .sum();
        record.progress(chars, self.usage);
        match step {
            Step::Chunks(_) => {}
            Step::End(_) => {
                if let Some(transcript) = self.transcript.take() {
                    let completion = transcript.finish(None);
                    if let Some(reply) = completion.pointer("/choices/0/message") {
                        record.replied(reply);
                    }
                }
                record.stream_ended(self.usage);
            }
            Step::Failed(_, err) => record.stream_failed(err.error_type(), self.usage),
        }
    }

    /// Reads upstream until the adapter produces chunks or the stream ends.
    pub async fn step(&mut self) -> Option<Step> {
        if self.finished {
            return None;
        }
        loop {
            let next = match self.next_bytes().await {
                Ok(next) => next,
                Err(timeout) => return Some(self.fail(Vec::new(), timeout)),
            };
            match next {
                Some(Ok(bytes)) => {
                    if self.framer.push(&bytes, &mut self.events).is_err() {
                        return Some(
                            self.fail(Vec::new(), self.broken("an upstream event is too large")),
                        );
                    }
                    if self.events.is_empty() {
                        continue;
                    }
                    let events = std::mem::take(&mut self.events);
                    let result = self.call.session.push(self.transformer, &events).await;
                    match self.absorb(result) {
                        Ok(chunks) if chunks.is_empty() => continue,
                        Ok(chunks) => {
                            if !self.first_chunk_seen {
                                self.first_chunk_seen = true;
                                metrics::record_first_token(
                                    &self.call.adapter.name,
                                    self.call.started,
                                );
                            }
                            return Some(Step::Chunks(chunks));
                        }
                        Err(err) => return Some(self.fail(Vec::new(), err)),
                    }
                }
                Some(Err(err)) => return Some(self.fail(Vec::new(), err)),
                None => return Some(self.end().await),
            }
        }
    }

    /// The upstream closed: flush the framer, push the rest, and call `finish`.
    async fn end(&mut self) -> Step {
        self.framer.finish(&mut self.events);
        let mut chunks = Vec::new();
        if !self.events.is_empty() {
            let events = std::mem::take(&mut self.events);
            let result = self.call.session.push(self.transformer, &events).await;
            match self.absorb(result) {
                Ok(more) => chunks = more,
                Err(err) => return self.fail(chunks, err),
            }
        }
        let result = self.call.session.finish(self.transformer).await;
        match self.absorb(result) {
            Ok(more) => chunks.extend(more),
            Err(err) => return self.fail(chunks, err),
        }
        self.finished = true;
        Step::End(chunks)
    }

    fn absorb(&mut self, result: CallResult<StreamOutput>) -> Result<Vec<String>, GatewayError> {
        let output = verify::stream_output(&self.call.adapter, result)?;
        if output.usage.is_some() {
            self.usage = output.usage;
        }
        Ok(output.chunks)
    }

    fn broken(&self, message: &str) -> GatewayError {
        GatewayError::UpstreamUnreachable {
            model: self.call.route.name.clone(),
            message: message.to_string(),
        }
    }

    fn fail(&mut self, chunks: Vec<String>, err: GatewayError) -> Step {
        self.finished = true;
        tracing::warn!(
            model = %self.call.route.name,
            adapter = %self.call.adapter.info.name,
            error = %err.message(),
            "stream ended with an error"
        );
        Step::Failed(chunks, err)
    }

    /// After a normal end: drops the stream transformer and returns the instance to
    /// its pool. A relay dropped early (failure, client gone) discards its instance.
    pub async fn recycle(mut self) {
        if self.finished
            && self
                .call
                .session
                .close_stream(self.transformer)
                .await
                .is_ok()
        {
            self.call.recycle();
        }
    }
}

impl Relay {
    /// Runs the stream to its end and returns the completion body and the usage the
    /// adapter reported: a streaming-only upstream serving a client that did not ask
    /// for a stream. An error before the end is answered as an HTTP error: nothing has
    /// reached the client yet.
    pub async fn collect(mut self) -> Result<(Bytes, Option<Usage>), GatewayError> {
        let mut aggregator = Aggregator::default();
        while let Some(step) = self.step().await {
            match step {
                Step::Chunks(chunks) | Step::End(chunks) => {
                    chunks.iter().for_each(|c| aggregator.add(c));
                }
                Step::Failed(_, err) => return Err(err),
            }
        }
        let usage = self.usage;
        self.recycle().await;
        let body = aggregator.finish(usage);
        let body = serde_json::to_vec(&body)
            .map(Bytes::from)
            .map_err(|err| GatewayError::Internal(err.into()))?;
        Ok((body, usage))
    }

    /// Waits for the first output before committing to a 200: a stream that fails
    /// before producing anything (an upstream that answers 200 with an error body, a
    /// trap on the first event) is an error with its real status instead (and may
    /// still be retried elsewhere).
    pub async fn start(mut self) -> Result<Started, GatewayError> {
        match self.step().await {
            Some(Step::Failed(chunks, err)) if chunks.is_empty() => Err(err),
            first => {
                if let Some(step) = &first {
                    self.observe(step);
                }
                Ok(Started { relay: self, first })
            }
        }
    }

    /// The next step, folded into the transcript and reported when it ends the stream.
    pub async fn advance(&mut self) -> Option<Step> {
        let step = self.step().await?;
        self.observe(&step);
        Some(step)
    }

    /// After the last step: the instance goes back to its pool on its own task, so the
    /// client's last bytes never wait for the adapter's destructor.
    pub fn release(self) {
        tokio::spawn(self.recycle());
    }
}

/// A stream whose first output is known.
pub struct Started {
    /// The relay, for the steps after the first.
    pub relay: Relay,
    /// The first step (already observed), or `None` for a stream that ended at once.
    pub first: Option<Step>,
}
