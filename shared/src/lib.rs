//! Docket's platform-free core.
//!
//! Everything that decides something lives here, by domain: the HTTP
//! contract both sides speak ([`contract`]), a job's life ([`jobs`]),
//! telling the world of it ([`delivery`]), reading numbers off a page
//! ([`reading`]), the forensic tests ([`forensics`]) and, behind the
//! `analysis` feature, the PDF engine ([`analysis`]).
//!
//! **Invariant:** this crate does no IO and knows nothing about HTTP, KV, R2,
//! Durable Objects or the browser. The worker (`edge/`) adapts it to the platform;
//! the SPA (`app/`) displays it. That is what keeps it testable natively.

pub mod contract;
pub mod delivery;
pub mod forensics;
pub mod jobs;
pub mod reading;

#[cfg(feature = "analysis")]
pub mod analysis;
