//! The amounts behind the Benford tests, for the tests that need all of them
//! at once: the number duplication test (the most repeated amounts) and the
//! second-order test (the digits of the differences between the sorted
//! amounts, Nigrini). The digit tests only count; these read every amount in
//! order, which a long document analysed in slices gets by merging the
//! slices' sorted runs ([`crate::analysis::runs`]) rather than by holding
//! every amount of the document.
//!
//! An [`Amount`] is the number as written, without sign, held exactly as
//! an integer count of 10⁻⁹ (digits past the ninth decimal dropped), so
//! that sorting, equality and differences are exact — 0.3 − 0.1 is 0.2, not
//! 0.19999999999999998.

use serde::{Deserialize, Serialize};

use crate::forensics::benford::{DigitTest, Kind, from_counts};
use crate::forensics::magnitude::{Distortion, Magnitudes, Mantissas, Summation};
use crate::reading::numbers::Found;

/// Decimals an amount keeps.
pub const SCALE_DIGITS: u32 = 9;
const SCALE: u128 = 1_000_000_000;
/// The most repeated amounts a report lists.
pub const DUPLICATES_LISTED: usize = 10;

/// A number's value, exactly, in units of 10⁻⁹.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(pub u128);

impl Amount {
    /// The amount of a number found in the text (`None`: too many digits
    /// to hold, more than 29 before the point).
    pub fn of(found: &Found<'_>) -> Option<Amount> {
        let mut value: u128 = 0;
        for b in found.int_part.bytes().filter(u8::is_ascii_digit) {
            value = value.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
        }
        let mut value = value.checked_mul(SCALE)?;
        let mut unit = SCALE;
        for b in found.frac_part.bytes().take(SCALE_DIGITS as usize) {
            unit /= 10;
            value = value.checked_add(u128::from(b - b'0') * unit)?;
        }
        Some(Amount(value))
    }

    /// As a decimal, without trailing zeros (`1234.5`, `40`).
    pub fn to_text(self) -> String {
        let int = self.0 / SCALE;
        let frac = self.0 % SCALE;
        if frac == 0 {
            return int.to_string();
        }
        let digits = format!("{frac:09}");
        format!("{int}.{}", digits.trim_end_matches('0'))
    }
}

/// The first two significant digits of a non-zero value in units of 10⁻⁹
/// (10–99), or its one digit × 10 when it has only one significant digit
/// (a difference of 0.02 reads 20), as the first-two-digits test bins it.
fn first_two(value: u128) -> Option<u32> {
    if value == 0 {
        return None;
    }
    let v = match value.ilog10() {
        0 => value * 10,
        digits => value / 10u128.pow(digits - 1),
    };
    u32::try_from(v).ok()
}

/// Sorts amounts into a run: ascending, each stored as its difference from
/// the one before (the first from 0) in LEB128 — 7 bits a byte, the high
/// bit set on all but the last — so a run of amounts close together takes
/// two or three bytes an amount rather than sixteen.
pub fn run_bytes(amounts: &mut [Amount]) -> Vec<u8> {
    amounts.sort_unstable();
    let mut writer = RunWriter::with_capacity(amounts.len() * 3);
    for &a in amounts.iter() {
        writer.push(a);
    }
    writer.finish()
}

/// Writes a run ([`run_bytes`]) from amounts given in ascending order.
#[derive(Debug, Default)]
pub struct RunWriter {
    out: Vec<u8>,
    last: u128,
}

impl RunWriter {
    pub fn with_capacity(bytes: usize) -> RunWriter {
        RunWriter {
            out: Vec::with_capacity(bytes),
            last: 0,
        }
    }

    /// The next amount, no smaller than the one before.
    pub fn push(&mut self, amount: Amount) {
        let mut delta = amount.0.saturating_sub(self.last);
        self.last = amount.0.max(self.last);
        loop {
            let low = (delta & 0x7f) as u8;
            delta >>= 7;
            if delta == 0 {
                self.out.push(low);
                break;
            }
            self.out.push(low | 0x80);
        }
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// Longest encoding of one amount in a run (128 bits, 7 a byte).
pub const MAX_ENCODED: usize = 19;

/// Reads a run ([`run_bytes`]) back, in pieces as they come.
#[derive(Debug, Default)]
pub struct RunReader {
    last: u128,
}

/// What [`RunReader::next`] found at a place in the bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// An amount, and the bytes it took.
    Amount(Amount, usize),
    /// The bytes end inside an amount: more are needed.
    Incomplete,
    /// Not a run (an encoding longer than any amount's).
    Corrupt,
}

impl RunReader {
    /// The amount encoded at the start of `bytes`.
    pub fn next(&mut self, bytes: &[u8]) -> Decoded {
        let mut delta = 0u128;
        for (i, b) in bytes.iter().enumerate() {
            if i >= MAX_ENCODED {
                return Decoded::Corrupt;
            }
            delta |= u128::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                let Some(value) = self.last.checked_add(delta) else {
                    return Decoded::Corrupt;
                };
                self.last = value;
                return Decoded::Amount(Amount(value), i + 1);
            }
        }
        if bytes.len() >= MAX_ENCODED {
            Decoded::Corrupt
        } else {
            Decoded::Incomplete
        }
    }
}

/// An amount repeated in the document, with how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    pub amount: String,
    pub count: u64,
}

/// What the amounts give, read in ascending order ([`Ordered::push`]): the
/// second-order test and the most repeated amounts (the report's `amounts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmountTests {
    /// Amounts read (the numbers used for the Benford tests), and how many
    /// distinct values among them.
    pub count: u64,
    pub distinct: u64,
    /// Nigrini's second-order test: the first two digits of the non-zero
    /// differences between consecutive amounts in ascending order.
    pub second_order: DigitTest,
    /// The [`DUPLICATES_LISTED`] most repeated amounts (two or more of each),
    /// most repeated first, then smallest first.
    pub duplicates: Vec<Duplicate>,
    /// Nigrini's summation test (absent from reports made before it).
    #[serde(default = "no_summation")]
    pub summation: Summation,
    /// The mantissa arc test and the mantissas' moments.
    #[serde(default = "no_mantissas")]
    pub mantissas: Mantissas,
    /// The distortion factor.
    #[serde(default = "no_distortion")]
    pub distortion: Distortion,
}

fn no_summation() -> Summation {
    Magnitudes::default().finish().0
}

fn no_mantissas() -> Mantissas {
    Magnitudes::default().finish().1
}

fn no_distortion() -> Distortion {
    Magnitudes::default().finish().2
}

/// The second-order test over no amounts.
pub fn empty_second_order() -> DigitTest {
    from_counts(Kind::FirstTwo, vec![0; 90])
}

impl Default for AmountTests {
    fn default() -> Self {
        Ordered::default().finish()
    }
}

/// Folds amounts that come in ascending order into [`AmountTests`], holding
/// only the last amount, a count per digit pair and the top repeats.
#[derive(Debug, Clone, Default)]
pub struct Ordered {
    last: Option<Amount>,
    run: u64,
    counts: Vec<u64>,
    top: Vec<(u64, Amount)>,
    amounts: u64,
    distinct: u64,
    magnitudes: Magnitudes,
}

impl Ordered {
    /// The next amount (not smaller than the one before).
    pub fn push(&mut self, amount: Amount) {
        if self.counts.is_empty() {
            self.counts = vec![0; 90];
        }
        self.amounts += 1;
        if let Some(d) = first_two(amount.0) {
            self.magnitudes.push(amount.0, d);
        }
        match self.last {
            Some(last) if last == amount => self.run += 1,
            last => {
                self.close_run();
                if let Some(last) = last
                    && let Some(d) = first_two(amount.0 - last.0)
                {
                    self.counts[(d - 10) as usize] += 1;
                }
                self.last = Some(amount);
                self.run = 1;
                self.distinct += 1;
            }
        }
    }

    /// The run of equal amounts just ended: one of the top repeats?
    fn close_run(&mut self) {
        let Some(last) = self.last else { return };
        if self.run < 2 {
            return;
        }
        self.top.push((self.run, last));
        // Most repeated first, then smallest; keep the first few.
        self.top
            .sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.top.truncate(DUPLICATES_LISTED);
    }

    pub fn finish(mut self) -> AmountTests {
        self.close_run();
        let second_order = if self.counts.is_empty() {
            empty_second_order()
        } else {
            from_counts(Kind::FirstTwo, self.counts)
        };
        let (summation, mantissas, distortion) = self.magnitudes.finish();
        AmountTests {
            summation,
            mantissas,
            distortion,
            count: self.amounts,
            distinct: self.distinct,
            second_order,
            duplicates: self
                .top
                .into_iter()
                .map(|(count, amount)| Duplicate {
                    amount: amount.to_text(),
                    count,
                })
                .collect(),
        }
    }
}

/// [`AmountTests`] of amounts in any order (sorted here).
pub fn tests_of(mut amounts: Vec<Amount>) -> AmountTests {
    amounts.sort_unstable();
    let mut ordered = Ordered::default();
    for a in amounts {
        ordered.push(a);
    }
    ordered.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::numbers::scan_numbers;

    fn amounts(text: &str) -> Vec<Amount> {
        let mut out = Vec::new();
        scan_numbers(text, &mut |f| out.extend(Amount::of(&f)));
        out
    }

    #[test]
    fn amounts_are_exact_decimals() {
        let a = amounts("1,234.50 0.3 0.1 40 007 0.000000001 12.3456789019");
        let text: Vec<String> = a.iter().map(|a| a.to_text()).collect();
        assert_eq!(
            text,
            [
                "1234.5",
                "0.3",
                "0.1",
                "40",
                "7",
                "0.000000001",
                "12.345678901"
            ]
        );
        // Exact differences: 0.3 − 0.1 is 0.2.
        assert_eq!(a[1].0 - a[2].0, 200_000_000);
        assert_eq!(first_two(a[1].0 - a[2].0), Some(20));
        assert!(
            Amount::of(&Found {
                text: "999999999999999999999999999999999",
                start: 0,
                int_part: "999999999999999999999999999999999",
                frac_part: "",
                grouped: false
            })
            .is_none()
        );
    }

    #[test]
    fn a_difference_is_binned_by_its_first_two_significant_digits() {
        assert_eq!(first_two(0), None);
        assert_eq!(first_two(5), Some(50));
        assert_eq!(first_two(99), Some(99));
        assert_eq!(first_two(100), Some(10));
        assert_eq!(first_two(123_456_789_000_000_000_000), Some(12));
        assert_eq!(first_two(u128::MAX), Some(34));
    }

    #[test]
    fn the_second_order_test_reads_the_differences_of_the_sorted_amounts() {
        // Sorted: 10, 12, 12, 15, 115 → differences 2, 0 (dropped), 3, 100.
        let e = tests_of(amounts("115 12 10 15 12"));
        let bin = |d: usize| e.second_order.counts[d - 10];
        assert_eq!(e.second_order.n, 3);
        assert_eq!((bin(20), bin(30), bin(10)), (1, 1, 1));
        assert_eq!((e.count, e.distinct), (5, 4));
    }

    #[test]
    fn the_most_repeated_amounts_come_first_then_the_smallest() {
        let e = tests_of(amounts("5 7 7 9 9 9 3 3 11.50 11.5"));
        let listed: Vec<(String, u64)> = e
            .duplicates
            .iter()
            .map(|d| (d.amount.clone(), d.count))
            .collect();
        assert_eq!(
            listed,
            [
                ("9".to_owned(), 3),
                ("3".to_owned(), 2),
                ("7".to_owned(), 2),
                ("11.5".to_owned(), 2)
            ]
        );
    }

    #[test]
    fn at_most_ten_repeats_are_listed() {
        let text: String = (10..40).map(|n| format!("{n} {n} ")).collect();
        let e = tests_of(amounts(&text));
        assert_eq!(e.duplicates.len(), DUPLICATES_LISTED);
        assert_eq!(e.duplicates[0].amount, "10");
    }

    fn read_back(bytes: &[u8]) -> Vec<Amount> {
        let mut reader = RunReader::default();
        let mut at = 0;
        let mut out = Vec::new();
        while at < bytes.len() {
            match reader.next(&bytes[at..]) {
                Decoded::Amount(a, used) => {
                    out.push(a);
                    at += used;
                }
                other => panic!("{other:?} at {at}"),
            }
        }
        out
    }

    #[test]
    fn a_run_is_sorted_small_and_reads_back() {
        let mut a = amounts("30 10 20 10 1234.56 0.000000001");
        let bytes = run_bytes(&mut a);
        assert_eq!(
            read_back(&bytes),
            amounts("0.000000001 10 10 20 30 1234.56")
        );
        // 10 → 20 is a step of 10^10 units: five bytes, not sixteen.
        assert!(bytes.len() <= 6 * 7, "{} bytes", bytes.len());
        let mut huge = vec![Amount(u128::MAX), Amount(0)];
        assert_eq!(
            read_back(&run_bytes(&mut huge)),
            [Amount(0), Amount(u128::MAX)]
        );
    }

    #[test]
    fn a_cut_or_broken_run_says_so() {
        let mut a = amounts("123456789");
        let bytes = run_bytes(&mut a);
        let mut reader = RunReader::default();
        assert_eq!(reader.next(&bytes[..bytes.len() - 1]), Decoded::Incomplete);
        assert_eq!(reader.next(&[0xff; 25]), Decoded::Corrupt);
    }
}
