//! Reading numbers off a page: what counts as a number ([`numbers`]), how a document
//! writes its numbers ([`formats`]), what each number is ([`roles`]), and the words the
//! roles read ([`words`]).

pub mod formats;
pub mod numbers;
pub mod roles;
pub mod words;
