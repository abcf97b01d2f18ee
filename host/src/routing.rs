//! Choosing where a request goes and what happens when that fails: deployment health
//! ([`breaker`]), the order deployments are tried in ([`plan`]), and which failures
//! are worth another attempt, after how long ([`retry`]).

pub mod breaker;
pub mod plan;
pub mod retry;
