//! The forensic tests of Nigrini's suite: the digit tests with what chance alone gives
//! ([`benford`]), the tests that read every amount in order ([`amounts`]), summation,
//! mantissa arc and distortion ([`magnitude`]).

pub mod amounts;
pub mod benford;
pub mod evidence;
pub mod list;
pub mod magnitude;
