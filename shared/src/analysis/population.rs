//! A collection's population, merged from its documents' partial results
//! (never by reading the PDFs again): [`Population`] adds up the documents'
//! counts and ranks the documents by their own first-digit deviation;
//! [`Across`] reads every document's amounts in ascending order (the k-way
//! merge of their sorted runs, `super::runs::merge_each`) and keeps the
//! amounts found in more than one document.

use crate::contract::population::{
    DocumentDeviation, PopulationReport, SHARED_DOCUMENTS_LISTED, SHARED_LISTED, bounds,
};
use crate::contract::report::{NumberStats, TextStats};
use crate::contract::tables::TableStats;
use crate::forensics::amounts::{Amount, AmountTests, Ordered};
use crate::forensics::benford::chance::Null;
use crate::forensics::benford::{Kind, Tally, from_counts};

use super::Partial;

/// The counts of a collection's completed documents, added up one document
/// at a time (a document's parts in page order).
#[derive(Debug, Default)]
pub struct Population {
    tally: Tally,
    numbers: Option<NumberStats>,
    text: TextStats,
    tables: TableStats,
    pages: u64,
    documents: Vec<DocumentDeviation>,
}

impl Population {
    /// Adds one document: its parts (one per slice it was read in, or one).
    pub fn add_document(
        &mut self,
        job_id: &str,
        filename: &str,
        parts: impl IntoIterator<Item = Partial>,
    ) {
        let mut tally = Tally::default();
        let mut used = 0;
        let mut pages = 0;
        for part in parts {
            pages = u64::from(part.pages);
            tally.merge(&part.tally);
            used += part.numbers.used;
            self.text.chars += part.text.chars;
            self.text.words += part.text.words;
            match &mut self.numbers {
                Some(sum) => sum.merge(&part.numbers),
                None => self.numbers = Some(part.numbers),
            }
            self.tables.merge(part.tables);
        }
        self.pages += pages;
        self.tally.merge(&tally);
        self.documents
            .push(deviation(job_id, filename, used, tally.first_digits()));
    }

    /// Documents added.
    pub fn documents(&self) -> usize {
        self.documents.len()
    }

    /// The report, with the amounts' tests and the shared amounts made by
    /// [`Across`].
    pub fn finish(
        self,
        collection_id: &str,
        left_out: u32,
        amounts: AmountTests,
        shared_amounts: Vec<crate::contract::population::SharedAmount>,
    ) -> PopulationReport {
        let mut numbers = self.numbers.unwrap_or_default();
        numbers.format.detected = numbers.format.summary();
        let mut tables = self.tables;
        tables.finish();
        let mut documents = self.documents;
        documents.sort_by(|a, b| {
            a.p_value
                .total_cmp(&b.p_value)
                .then(b.excess_mad.total_cmp(&a.excess_mad))
                .then(a.job_id.cmp(&b.job_id))
        });
        PopulationReport {
            collection_id: collection_id.to_owned(),
            documents_analysed: documents.len() as u32,
            documents_left_out: left_out,
            pages: self.pages,
            text: self.text,
            numbers,
            benford: self.tally.finish(),
            amounts,
            tables,
            documents,
            shared_amounts,
            suspects: Default::default(),
            bounds: bounds(),
        }
    }
}

/// A document's first-digit deviation, with what chance alone gives for
/// its count (`Null`): none used reads MAD 0 and p-value 1.
fn deviation(job_id: &str, filename: &str, used: u64, first: &[u64]) -> DocumentDeviation {
    let n: u64 = first.iter().sum();
    let (mad, excess_mad, p_value) = if n == 0 {
        (0.0, 0.0, 1.0)
    } else {
        let mad = from_counts(Kind::First, first.to_vec()).mad;
        let null = Null::of(Kind::First, n);
        (mad, mad - null.mean, null.p_value(mad))
    };
    DocumentDeviation {
        job_id: job_id.to_owned(),
        filename: filename.to_owned(),
        used,
        mad,
        excess_mad,
        p_value,
    }
}

/// An amount in more than one document: the amount, in how many
/// documents, how often, and the first documents (their indexes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    pub amount: Amount,
    pub documents: u64,
    pub count: u64,
    pub first_documents: Vec<u32>,
}

/// Reads every document's amounts in ascending order, each with its
/// document's index (equal amounts in document order): the population's
/// amount tests, and the amounts found in more than one document.
#[derive(Debug, Default)]
pub struct Across {
    ordered: Ordered,
    current: Option<Shared>,
    top: Vec<Shared>,
}

impl Across {
    /// The next amount, of document `document`.
    pub fn push(&mut self, amount: Amount, document: u32) {
        self.ordered.push(amount);
        match &mut self.current {
            Some(c) if c.amount == amount => {
                c.count += 1;
                if c.first_documents.last() != Some(&document) {
                    c.documents += 1;
                    if c.first_documents.len() < SHARED_DOCUMENTS_LISTED {
                        c.first_documents.push(document);
                    }
                }
            }
            _ => {
                self.close();
                self.current = Some(Shared {
                    amount,
                    documents: 1,
                    count: 1,
                    first_documents: vec![document],
                });
            }
        }
    }

    /// The amount just read ended: is it one of the most shared?
    fn close(&mut self) {
        let Some(c) = self.current.take() else { return };
        if c.documents < 2 {
            return;
        }
        self.top.push(c);
        self.top.sort_unstable_by(|a, b| {
            b.documents
                .cmp(&a.documents)
                .then(b.count.cmp(&a.count))
                .then(a.amount.cmp(&b.amount))
        });
        self.top.truncate(SHARED_LISTED);
    }

    /// The amounts' tests over every amount, and the most shared amounts.
    pub fn finish(mut self) -> (AmountTests, Vec<Shared>) {
        self.close();
        (self.ordered.finish(), self.top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(units: u128) -> Amount {
        Amount(units * 1_000_000_000)
    }

    #[test]
    fn amounts_in_several_documents_are_kept_most_documents_first() {
        let mut across = Across::default();
        // Ascending, equal amounts in document order: 5 in documents 0, 0,
        // 2; 7 in one document only; 9 in 0, 1, 3.
        for (a, d) in [
            (5, 0),
            (5, 0),
            (5, 2),
            (7, 1),
            (7, 1),
            (9, 0),
            (9, 1),
            (9, 3),
        ] {
            across.push(amount(a), d);
        }
        let (tests, shared) = across.finish();
        assert_eq!(tests.count, 8);
        assert_eq!(tests.distinct, 3);
        assert_eq!(shared.len(), 2);
        assert_eq!(shared[0].amount, amount(9));
        assert_eq!((shared[0].documents, shared[0].count), (3, 3));
        assert_eq!(shared[0].first_documents, vec![0, 1, 3]);
        assert_eq!(shared[1].amount, amount(5));
        assert_eq!((shared[1].documents, shared[1].count), (2, 3));
        assert_eq!(shared[1].first_documents, vec![0, 2]);
    }

    #[test]
    fn documents_are_ranked_by_their_chance_not_their_mad() {
        // 1,300 numbers with 300 too many 1s, and 12 numbers further off
        // by their MAD: the large one's deviation is the less likely.
        let benford = [301u64, 176, 125, 97, 79, 67, 58, 51, 46];
        let skewed: Vec<u64> = benford
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { c + 300 } else { *c })
            .collect();
        let big = deviation("big", "big.pdf", 1_300, &skewed);
        let small = deviation("small", "small.pdf", 12, &[3, 0, 3, 0, 3, 0, 3, 0, 0]);
        let none = deviation("none", "none.pdf", 0, &[0; 9]);
        assert!(small.mad > big.mad);
        assert_eq!(none.p_value, 1.0);
        let population = Population {
            documents: vec![none, small, big],
            ..Population::default()
        };
        let report = population.finish("c", 1, AmountTests::default(), Vec::new());
        let order: Vec<&str> = report.documents.iter().map(|d| d.job_id.as_str()).collect();
        assert_eq!(order, ["big", "small", "none"], "{:?}", report.documents);
        assert_eq!(report.documents_left_out, 1);
        assert_eq!(report.documents_analysed, 3);
    }
}
