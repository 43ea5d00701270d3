//! Helpers for the fault tests (`tests/faults`) and the load and delivery
//! benchmarks (`tests/benches`): what each corpus file should give (from the
//! engine run natively), a `wrangler dev` that can be killed and restarted on
//! its state, a byte-counting TCP proxy, a benchmark client, percentiles, and the stress runs' dice.
//! The end-to-end tests proper live in `tests/e2e/`.

pub mod api;
pub mod big;
pub mod dice;
pub mod expect;
pub mod invoices;
pub mod proxy;
pub mod server;
pub mod sse;
pub mod stats;
