//! The middleware that gives every request its [`CallRecord`]: opened on arrival,
//! the response head recorded, finished before a whole answer is sent or when a
//! stream's body ends or is dropped ([`Finishing`]).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};

use super::call_record::CallRecord;
use super::ledger::Ledger;
use super::metrics::InFlight;

/// Middleware around every route: opens the request's record, records the response
/// head, and finishes the record when the answer is whole or, for a stream, when its
/// body ends or is dropped.
pub async fn track(
    State(ledger): State<Arc<Ledger>>,
    mut request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let record = CallRecord::open(ledger, &request);
    request.extensions_mut().insert(record.clone());
    let in_flight = InFlight::request();
    let mut response = next.run(request).await;
    drop(in_flight);
    if record.answered(route, &mut response) {
        record.finish_waiting().await;
    }
    response.map(|body| Body::new(Finishing { body, record }))
}

/// A response body that finishes its record when it ends or is dropped.
struct Finishing {
    body: Body,
    record: CallRecord,
}

impl HttpBody for Finishing {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.record.finish_now();
            self.record.release();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Finishing {
    fn drop(&mut self) {
        self.record.finish_now();
        self.record.release();
    }
}
