//! Replaying an upstream stream transcript the way the gateway's relay does: bytes
//! through the host's own [`Framer`], complete events to `push`, `finish` at the end.
//! The transcript is delivered whole, split at seeded random points, and byte by byte,
//! since where reads end must not change what the adapter produces.

use std::fmt;

use serde_json::Value;

use super::Failure;
use super::diff;
use super::expect::{check_error, check_usage};
use super::fixture::{Case, Upstream};
use super::runner::{Runner, brief, describe};
use crate::dispatch::sse::Framer;
use crate::plugins::bindings::{ApiError, StreamEvent, StreamFraming, StreamOutput, Usage};
use crate::plugins::session::{CallResult, Session};

/// Seeds of the random splits; fixed, so a failure can be reproduced.
pub const SEEDS: [u64; 4] = [1, 2, 3, 4];
/// Most cut points one random split makes.
const MAX_CUTS: usize = 64;

/// How the transcript is delivered to the framer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In one read.
    Whole,
    /// In reads ending at random points drawn from this seed.
    Split(u64),
    /// One byte per read.
    ByteByByte,
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Whole => write!(f, "stream replayed whole"),
            Self::Split(seed) => write!(f, "stream split at random points (seed {seed})"),
            Self::ByteByByte => write!(f, "stream replayed byte by byte"),
        }
    }
}

impl Delivery {
    /// Every way a transcript is replayed, in order.
    pub fn all() -> impl Iterator<Item = Delivery> {
        std::iter::once(Self::Whole)
            .chain(SEEDS.into_iter().map(Self::Split))
            .chain(std::iter::once(Self::ByteByByte))
    }

    /// The reads `bytes` arrives in.
    pub fn reads(self, bytes: &[u8]) -> Vec<&[u8]> {
        match self {
            Self::Whole => vec![bytes],
            Self::ByteByByte => bytes.chunks(1).collect(),
            Self::Split(seed) => {
                let mut rng = fastrand::Rng::with_seed(seed);
                let mut cuts: Vec<usize> = if bytes.len() < 2 {
                    Vec::new()
                } else {
                    let count = rng.usize(1..=MAX_CUTS.min(bytes.len().saturating_sub(1)));
                    (0..count).map(|_| rng.usize(1..bytes.len())).collect()
                };
                cuts.sort_unstable();
                cuts.dedup();
                let mut reads = Vec::with_capacity(cuts.len() + 1);
                let mut rest = bytes;
                let mut at = 0;
                for cut in cuts {
                    if let Some((read, tail)) = rest.split_at_checked(cut.saturating_sub(at)) {
                        reads.push(read);
                        rest = tail;
                        at = cut;
                    }
                }
                reads.push(rest);
                reads
            }
        }
    }
}

/// What a replay produced.
#[derive(Debug, Default)]
pub struct Replayed {
    /// Every chunk, in order.
    pub chunks: Vec<String>,
    /// The latest usage reported.
    pub usage: Option<Usage>,
    /// The error that ended the stream, if one did.
    pub error: Option<ApiError>,
}

/// Replays the case's stream every way and checks each against the expectations.
/// The whole replay runs on `session` (it counts towards the case's fuel); the
/// others each get a fresh instance.
pub async fn check(
    runner: &Runner<'_>,
    session: &mut Session,
    case: &Case,
    framing: StreamFraming,
) -> Result<(), Failure> {
    let Upstream::Stream { transcript, .. } = &case.upstream else {
        return Ok(());
    };
    for delivery in Delivery::all() {
        let replayed = if delivery == Delivery::Whole {
            replay(session, case, framing, delivery.reads(transcript)).await
        } else {
            let mut fresh = runner.session().await?;
            replay(&mut fresh, case, framing, delivery.reads(transcript)).await
        };
        let step = delivery.to_string();
        let replayed = replayed.map_err(|message| Failure::step(&step, message))?;
        expect(case, &replayed, &step)?;
    }
    Ok(())
}

/// Feeds `reads` through a framer and a new stream transformer, as the relay does.
async fn replay(
    session: &mut Session,
    case: &Case,
    framing: StreamFraming,
    reads: Vec<&[u8]>,
) -> Result<Replayed, String> {
    let Upstream::Stream {
        status, headers, ..
    } = &case.upstream
    else {
        return Ok(Replayed::default());
    };
    let stream = session
        .open_stream(&case.ctx, *status, headers)
        .await
        .map_err(|fault| format!("stream-transformer constructor: {}", brief(&fault)))?;
    let mut framer = Framer::new(framing);
    let mut events: Vec<StreamEvent> = Vec::new();
    let mut replayed = Replayed::default();
    for read in reads {
        framer
            .push(read, &mut events)
            .map_err(|err| format!("the host's framer refused the transcript: {err}"))?;
        if !events.is_empty() {
            let batch = std::mem::take(&mut events);
            let result = session.push(stream, &batch).await;
            if absorb(&mut replayed, "push", result)? {
                return Ok(replayed);
            }
        }
    }
    framer.finish(&mut events);
    if !events.is_empty() {
        let result = session.push(stream, &events).await;
        if absorb(&mut replayed, "push", result)? {
            return Ok(replayed);
        }
    }
    let result = session.finish(stream).await;
    absorb(&mut replayed, "finish", result)?;
    session
        .close_stream(stream)
        .await
        .map_err(|fault| format!("dropping the stream-transformer: {}", brief(&fault)))?;
    Ok(replayed)
}

/// Adds a call's output; `Ok(true)` when an error ended the stream.
fn absorb(
    replayed: &mut Replayed,
    call: &str,
    result: CallResult<StreamOutput>,
) -> Result<bool, String> {
    match result {
        Ok(Ok(output)) => {
            replayed.chunks.extend(output.chunks);
            if output.usage.is_some() {
                replayed.usage = output.usage;
            }
            Ok(false)
        }
        Ok(Err(error)) => {
            replayed.error = Some(error);
            Ok(true)
        }
        Err(fault) => Err(format!("{call}: {}", brief(&fault))),
    }
}

/// Checks one replay against the case's `expect_chunks`, `expect_usage` and `expect_error`.
fn expect(case: &Case, replayed: &Replayed, step: &str) -> Result<(), Failure> {
    let Upstream::Stream {
        chunks,
        usage,
        error,
        ..
    } = &case.upstream
    else {
        return Ok(());
    };
    if let Some(expected) = chunks {
        let actual: Vec<Value> = replayed
            .chunks
            .iter()
            .map(|chunk| {
                serde_json::from_str(chunk).unwrap_or_else(|_| Value::String(chunk.clone()))
            })
            .collect();
        if let Some(difference) = diff::first_difference(
            "expect_chunks",
            &Value::Array(expected.clone()),
            &Value::Array(actual),
        ) {
            return Err(Failure::mismatch(step, difference));
        }
    }
    match (error, &replayed.error) {
        (Some(expected), Some(actual)) => check_error(step, "expect_error", expected, actual)?,
        (Some(expected), None) => {
            return Err(Failure::step(
                step,
                format!(
                    "expected the stream to end with an error with status {}, but it finished normally",
                    expected.status
                ),
            ));
        }
        (None, Some(actual)) => {
            return Err(Failure::step(
                step,
                format!("the stream ended with an error: {}", describe(actual)),
            ));
        }
        (None, None) => {}
    }
    match usage {
        Some(usage) => check_usage(step, "expect_usage", usage.as_ref(), replayed.usage),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_delivery_reassembles_the_transcript() {
        let text = b"data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n";
        for delivery in Delivery::all() {
            let reads = delivery.reads(text);
            assert_eq!(reads.concat(), text, "{delivery} loses or repeats bytes");
            assert!(reads.iter().all(|read| !read.is_empty()) || reads.len() == 1);
        }
        assert_eq!(Delivery::ByteByByte.reads(text).len(), text.len());
        assert_eq!(Delivery::Whole.reads(text).len(), 1);
    }

    #[test]
    fn splits_are_reproducible_and_differ_by_seed() {
        let text = vec![b'x'; 500];
        let cuts = |seed| {
            Delivery::Split(seed)
                .reads(&text)
                .iter()
                .map(|r| r.len())
                .collect::<Vec<_>>()
        };
        assert_eq!(cuts(1), cuts(1), "the same seed splits the same way");
        assert_ne!(cuts(1), cuts(2), "another seed splits elsewhere");
        assert!(cuts(3).len() > 1, "a split makes more than one read");
    }
}
