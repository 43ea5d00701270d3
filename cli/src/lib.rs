//! `docket`, the command-line client: the API calls ([`client`]), resumable
//! uploads ([`resume`]), where the
//! token is kept ([`config`]), the ways to wait for a job ([`wait`], [`sse`], [`follow`]),
//! what is printed ([`output`]), Ctrl-C while waiting ([`interrupt`]) and the
//! exit codes ([`error`]). `main.rs`
//! parses the arguments and runs the commands.

pub mod args;
pub mod client;
pub mod collections;
pub mod config;
pub mod error;
pub mod follow;
pub mod hook;
pub mod interrupt;
pub mod output;
pub mod resume;
pub mod sse;
pub mod wait;
