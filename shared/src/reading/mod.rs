//! Reading numbers off a page: what counts as a number ([`numbers`]), how a document
//! writes its numbers ([`formats`]), what each number is ([`roles`]), the words the roles
//! read ([`words`]), the tables numbers stand in ([`tables`], built from the cells of
//! lines, [`cells`]) and the columns chosen of them ([`columns`]).

pub mod cells;
pub mod columns;
pub mod formats;
pub mod numbers;
pub mod roles;
pub mod tables;
pub mod words;
