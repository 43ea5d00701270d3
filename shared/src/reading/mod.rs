//! Reading numbers off a page: what counts as a number and its format ([`numbers`]), what
//! each number is ([`roles`]), and the evidence behind a report — every number's place,
//! the suspects ([`evidence`]).

pub mod numbers;
pub mod roles;
pub mod words;
