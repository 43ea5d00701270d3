//! Reading numbers off a page: what counts as a number ([`numbers`]), how a document
//! writes its numbers ([`formats`]), what each number is ([`roles`]), the words the roles
//! read ([`words`]), and the tables numbers stand in ([`tables`]).

pub mod formats;
pub mod numbers;
pub mod roles;
pub mod tables;
pub mod words;
