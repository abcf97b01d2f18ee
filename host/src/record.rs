//! What a request leaves behind: metrics ([`metrics`]), the request log written in
//! batches ([`ledger`]) and stored conversations ([`conversation`]).

pub mod conversation;
pub mod ledger;
pub mod metrics;
pub mod outcome;
