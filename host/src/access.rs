//! Who is calling, whether they may, and how much: client keys ([`auth`], [`keys`]),
//! console sign-ins ([`session`]) and per-key limits ([`limits`]), applied before a
//! request is dispatched.

pub mod auth;
pub mod gate;
pub mod keys;
pub mod limits;
pub mod session;
