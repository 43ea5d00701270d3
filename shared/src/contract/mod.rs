//! The HTTP contract both sides speak: the API types ([`api`]) and the analysis report
//! ([`report`], its [`tables`]), collections ([`collection`], their [`population`] report), what every client does alike ([`client`]), what is accepted at the door
//! ([`validate`], [`auth`], [`callback`], [`idempotency`], [`cors`]), listing and polling
//! ([`listing`], [`poll`]).

pub mod api;
pub mod auth;
pub mod callback;
pub mod collection;
pub mod cors;
pub mod idempotency;
pub mod listing;
pub mod poll;
pub mod population;
pub mod report;
pub mod tables;
pub mod validate;
