//! The test hooks as the consumer asks for them: `shared::jobs::hooks` when the
//! worker is built with the `test-hooks` feature, otherwise the same calls
//! answering "no hook" (nothing of the hooks is in such a worker; `cargo
//! xtask test` checks). Either way a hook acts only where
//! `Config::test_hooks` (`DOCKET_TEST_HOOKS=1`) is on.

#[cfg(feature = "test-hooks")]
pub use shared::jobs::hooks::{
    injected_crash, injected_failure, injected_late_first, injected_orphan, injected_slice_failure,
    injected_slow_page, injected_slow_population, injected_slow_save, injected_stall,
};

#[cfg(not(feature = "test-hooks"))]
pub use off::*;

#[cfg(not(feature = "test-hooks"))]
mod off {
    //! No hooks: every call answers "none".

    pub fn injected_failure(_: &str, _: u32) -> bool {
        false
    }
    pub fn injected_slice_failure(_: &str, _: u32, _: u32, _: u32) -> bool {
        false
    }
    pub fn injected_crash(_: &str) -> bool {
        false
    }
    pub fn injected_orphan(_: &str) -> bool {
        false
    }
    pub fn injected_slow_save(_: &str) -> Option<u32> {
        None
    }
    pub fn injected_slow_page(_: &str) -> Option<u32> {
        None
    }
    pub fn injected_late_first(_: &str, _: u32) -> Option<u32> {
        None
    }
    pub fn injected_stall(_: &str, _: u32) -> bool {
        false
    }
    pub fn injected_slow_population(_: &str) -> Option<u32> {
        None
    }
}
