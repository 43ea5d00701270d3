//! A collection's population report (`GET /collections/{id}/result`): the
//! digit tests and the amounts' tests over the chosen numbers of every
//! completed document, merged from the documents' partial results; the
//! documents ranked by how far their own first digits deviate
//! ([`DocumentDeviation`]); and the amounts found in more than one document
//! ([`SharedAmount`], the duplicate-payment test across documents).

use serde::{Deserialize, Serialize};

use crate::contract::report::{NumberStats, TextStats};
use crate::contract::tables::TableStats;
use crate::forensics::amounts::AmountTests;
use crate::forensics::benford::Benford;
use crate::forensics::evidence::{Finder, Suspects};

/// Amounts found in several documents that a report lists.
pub const SHARED_LISTED: usize = 10;
/// Documents named per shared amount.
pub const SHARED_DOCUMENTS_LISTED: usize = 10;
/// Places given per document of a shared amount.
pub const SHARED_PLACES_LISTED: usize = 3;

/// The population of a collection, analysed as one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationReport {
    pub collection_id: String,
    /// Documents whose numbers make the population (the completed ones).
    pub documents_analysed: u32,
    /// Documents left out: they failed or were cancelled.
    pub documents_left_out: u32,
    /// Pages of the documents analysed.
    pub pages: u64,
    pub text: TextStats,
    pub numbers: NumberStats,
    pub benford: Benford,
    pub amounts: AmountTests,
    pub tables: TableStats,
    /// Every document analysed, the least likely by chance first.
    pub documents: Vec<DocumentDeviation>,
    /// Amounts found in two or more documents: most documents first, then
    /// most often, then smallest; at most [`SHARED_LISTED`].
    pub shared_amounts: Vec<SharedAmount>,
    /// Where to look, as a job's report has them (no pages): the numbers in
    /// the flagged first-two-digit buckets and the places of the most
    /// repeated amounts, each place naming its document.
    #[serde(default)]
    pub suspects: Suspects,
    /// What the lists hold, in words.
    pub bounds: String,
}

/// One document's own deviation from Benford's law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentDeviation {
    pub job_id: String,
    pub filename: String,
    /// Numbers it gave the population.
    pub used: u64,
    /// Mean absolute deviation of its first digits.
    pub mad: f64,
    /// `mad` less the MAD chance alone gives for `used` Benford numbers.
    pub excess_mad: f64,
    /// The chance that `used` numbers following Benford's law deviate this
    /// much or more: the documents are ranked by it, smallest first, so a
    /// document of few numbers is not ranked on noise (1 with none).
    pub p_value: f64,
}

/// An amount found in more than one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedAmount {
    pub amount: String,
    /// Documents it was found in.
    pub documents: u64,
    /// Times it was found, all documents together.
    pub count: u64,
    /// The first [`SHARED_DOCUMENTS_LISTED`] documents, each with its first
    /// places.
    pub places: Vec<SharedPlace>,
}

/// Where a shared amount stands in one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedPlace {
    pub job_id: String,
    pub filename: String,
    /// Its first [`SHARED_PLACES_LISTED`] places: page, text as written, box.
    pub at: Vec<crate::forensics::evidence::Place>,
}

impl PopulationReport {
    /// What its suspects look for (fed every document's numbers, documents
    /// in turn, with [`Finder::push_of`]).
    pub fn finder(&self) -> Finder {
        Finder::new(&self.benford.first_two_digits, &self.amounts)
    }
}

/// The bounds, as a report states them.
pub fn bounds() -> String {
    format!(
        "Every document analysed, the least likely by chance first (smallest p-value of its \
         first-digit MAD for its numbers used); at most {SHARED_LISTED} amounts found in more \
         than one document (most documents first), {SHARED_DOCUMENTS_LISTED} documents each \
         and {SHARED_PLACES_LISTED} places per document; suspects as a job's report bounds them \
         (the first places in document order, then page order), without pages. Every number \
         with its document is GET /api/v1/collections/{{id}}/numbers."
    )
}
