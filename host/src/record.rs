//! What a request leaves behind: its [`call_record`] (opened on arrival by [`track`],
//! finished once),
//! which feeds the metrics ([`metrics`]), the request log written in batches
//! ([`ledger`]) and stored conversations ([`conversation`]).

mod bill;
pub mod call_record;
pub mod conversation;
pub mod ledger;
pub mod metrics;
pub mod track;
