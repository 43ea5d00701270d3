//! The analysis report: what `GET /api/v1/jobs/{id}/result` returns and what the
//! SPA displays. Plain serde types, no lopdf, so the SPA can use them.

use serde::{Deserialize, Serialize};

use crate::forensics::amounts::AmountTests;

use crate::contract::api::Warning;
use crate::forensics::benford::Benford;
use crate::reading::numbers::Format;
use crate::reading::roles::{Role, Roles};

/// The result of analysing one PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub pages: u32,
    pub pdf_version: String,
    pub encrypted: bool,
    pub metadata: Metadata,
    pub text: TextStats,
    pub numbers: NumberStats,
    pub benford: Benford,
    /// The tests that read every amount in order: the second-order test and
    /// the most repeated amounts (absent from reports made before them).
    #[serde(default)]
    pub amounts: AmountTests,
    /// The tables found and the numbers in their columns (absent from
    /// reports made before tables were found).
    #[serde(default)]
    pub tables: crate::contract::tables::TableStats,
    pub per_page: Vec<PageStats>,
    /// Pages that could not be read or only partly, by kind of trouble;
    /// empty when every page was read whole.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// Pages left out of every count because they could not be read.
    #[serde(default)]
    pub pages_skipped: Vec<u32>,
    /// Where to look: the numbers behind the flagged buckets and the
    /// repeated amounts, with their places, and the pages that deviate
    /// most (bounded; absent from reports made before it).
    #[serde(default)]
    pub suspects: crate::forensics::evidence::Suspects,
    /// How the file was read.
    #[serde(default)]
    pub reading: Reading,
    pub timings_ms: Timings,
}

impl Report {
    /// What this report's suspects look for, as its numbers go past in page
    /// order.
    pub fn finder(&self) -> crate::forensics::evidence::Finder {
        crate::forensics::evidence::Finder::new(&self.benford.first_two_digits, &self.amounts)
    }

    /// The suspects `finder` gathered, with the pages that deviate most.
    pub fn suspects(
        &self,
        finder: crate::forensics::evidence::Finder,
    ) -> crate::forensics::evidence::Suspects {
        finder.finish(
            self.per_page
                .iter()
                .filter_map(|p| Some((p.page, p.numbers_used, p.first_digit_mad?))),
        )
    }
}

/// How the analysis read the file: by range reads, only the parts it needs
/// (`ranges`), or whole into memory (`whole`: a file only lopdf's repairs or
/// decryption can read), and how many reads and bytes that took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub path: ReadPath,
    pub reads: u64,
    pub bytes_read: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadPath {
    #[default]
    Ranges,
    Whole,
}

/// The document information dictionary, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub title: Option<String>,
    pub author: Option<String>,
    pub producer: Option<String>,
    pub creator: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
}

/// Text statistics: `chars` counts non-whitespace characters; `words` counts
/// runs of them separated by whitespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextStats {
    pub chars: u64,
    pub words: u64,
}

/// Numbers found in the text and used for the Benford tests, with the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberStats {
    pub found: u64,
    pub used: u64,
    pub rules: String,
    /// Per role (every role, in [`Role::ALL`]'s order): how many numbers
    /// had it, how many of those entered the tests, whether the role was
    /// chosen, and the rule that gives it — the audit trail of what fed the
    /// tests. Empty in reports made before roles.
    #[serde(default)]
    pub roles: Vec<RoleStats>,
    /// The number format the pages were read in. Absent from reports made
    /// before formats were detected.
    #[serde(default)]
    pub format: FormatStats,
    /// Numbers in the list of numbers (`GET /jobs/{id}/numbers`): all of
    /// them, unless a part of the document had more than
    /// `evidence::MAX_LISTED`.
    #[serde(default)]
    pub listed: u64,
}

impl NumberStats {
    /// Adds another part's counts (of other pages) to these.
    pub fn merge(&mut self, other: &NumberStats) {
        self.found += other.found;
        self.used += other.used;
        self.listed += other.listed;
        for (mine, theirs) in self.roles.iter_mut().zip(&other.roles) {
            mine.found += theirs.found;
            mine.used += theirs.used;
        }
        self.format.dot_decimal_pages += other.format.dot_decimal_pages;
        self.format.comma_decimal_pages += other.format.comma_decimal_pages;
        self.format.detected = self.format.summary();
    }
}

/// One role's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleStats {
    pub role: Role,
    pub found: u64,
    /// Those of them that entered the tests (a chosen role, a value of 10
    /// or more).
    pub used: u64,
    /// Whether the role was chosen for the tests.
    pub selected: bool,
    pub rule: String,
}

impl RoleStats {
    /// A row per role, counts at 0, for the roles `selected`.
    pub fn table(selected: Roles) -> Vec<RoleStats> {
        Role::ALL
            .into_iter()
            .map(|role| RoleStats {
                role,
                found: 0,
                used: 0,
                selected: selected.contains(role),
                rule: role.rule().to_owned(),
            })
            .collect()
    }
}

/// How the pages write their numbers: the document is read in the format
/// its numbers show (`1,234.56`, the default, or `1.234,56`), a page in the
/// other only on unambiguous evidence (`reading::formats`); pages without a
/// sign of either are in neither count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatStats {
    /// `1,234.56`, `1.234,56`, `mixed` (pages of both), or `1,234.56` when
    /// no page showed either.
    pub detected: String,
    pub dot_decimal_pages: u64,
    pub comma_decimal_pages: u64,
}

impl FormatStats {
    /// The `detected` word for the counts.
    pub fn summary(&self) -> String {
        match (self.dot_decimal_pages, self.comma_decimal_pages) {
            (_, 0) => Format::DotDecimal.example().to_owned(),
            (0, _) => Format::CommaDecimal.example().to_owned(),
            _ => "mixed".to_owned(),
        }
    }

    /// Counts one page read in `format` (`showed`: its text had signs of
    /// its format).
    pub fn add_page(&mut self, format: Format, showed: bool) {
        if showed {
            match format {
                Format::DotDecimal => self.dot_decimal_pages += 1,
                Format::CommaDecimal => self.comma_decimal_pages += 1,
            }
        }
        self.detected = self.summary();
    }
}

/// One page's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PageStats {
    pub page: u32,
    pub chars: u64,
    pub words: u64,
    pub numbers_found: u64,
    pub numbers_used: u64,
    /// The page could not be read (see the report's `warnings`): its counts
    /// are 0. Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// The MAD of the page's own first digits against Benford's law, when
    /// it used 50 numbers or more (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_digit_mad: Option<f64>,
}

/// Where the analysis spent its time, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub parse: f64,
    pub extract: f64,
    pub analyse: f64,
}

/// The CSV header of [`digit_table_csv`].
pub const DIGIT_TABLE_HEADER: &str = "test,digits,count,observed,expected,z,n,mad,expected_mad,\
                                      excess_mad,mad_p_value,conformity,nigrini_class,needed";

/// What [`digit_table_csv`] reads of a report: its digit tests and the
/// second-order test. A stored report read as this skips the rest of it
/// (the API worker then carries no decoder for the rest).
#[derive(Debug, Clone, Deserialize)]
pub struct DigitTables {
    pub benford: Benford,
    /// Absent from reports made before the amounts' tests.
    #[serde(default)]
    pub amounts: SecondOrder,
}

/// The second-order test of a report's amounts.
#[derive(Debug, Clone, Deserialize)]
pub struct SecondOrder {
    pub second_order: crate::forensics::benford::DigitTest,
}

impl Default for SecondOrder {
    fn default() -> Self {
        SecondOrder {
            second_order: crate::forensics::amounts::empty_second_order(),
        }
    }
}

/// The digit tables of the digit tests as CSV, one row per bin:
/// `test,digits,count,observed,expected,z`, then the test's own figures
/// repeated on each of its rows (`n`, the MAD, the MAD chance alone gives,
/// the excess, the MAD's p-value, the headline class, Nigrini's class of the
/// raw MAD and the numbers the test needs; empty where a test has none) —
/// first digit, second digit, first two, first three and last two digits,
/// and the second-order test.
pub fn digit_table_csv(report: &DigitTables) -> String {
    let mut out = format!("{DIGIT_TABLE_HEADER}\n");
    let tests = [
        ("first_digit", &report.benford.first_digit, 1),
        ("second_digit", &report.benford.second_digit, 0),
        ("first_two_digits", &report.benford.first_two_digits, 10),
        (
            "first_three_digits",
            &report.benford.first_three_digits,
            100,
        ),
        ("last_two_digits", &report.benford.last_two_digits, 0),
        ("second_order", &report.amounts.second_order, 10),
    ];
    for (name, test, first_bin) in tests {
        let figures = format!(
            "{},{:.6},{:.6},{:.6},{:.6},{},{},{}",
            test.n,
            test.mad,
            test.expected_mad,
            test.excess_mad,
            test.mad_p_value,
            crate::forensics::benford::class_name(test.conformity).replace(' ', "_"),
            test.nigrini_class
                .map(|c| crate::forensics::benford::class_name(c).replace(' ', "_"))
                .unwrap_or_default(),
            test.needed.map(|n| n.to_string()).unwrap_or_default(),
        );
        for (i, count) in test.counts.iter().enumerate() {
            let observed = test.observed.get(i).copied().unwrap_or(0.0);
            let expected = test.expected.get(i).copied().unwrap_or(0.0);
            let z = test.z.get(i).copied().unwrap_or(0.0);
            out.push_str(&format!(
                "{name},{},{count},{observed:.6},{expected:.6},{z:.4},{figures}\n",
                first_bin + i
            ));
        }
    }
    out
}

/// A PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year
/// optional, the `D:` too) as people read it: `2015-06-13 12:34:56 +02:00`,
/// `2015-06-13 12:34 UTC`, `2015-06`. `None` when it is not one (shown as
/// written then).
pub fn pdf_date(raw: &str) -> Option<String> {
    let text = raw.trim();
    let text = text.strip_prefix("D:").unwrap_or(text);
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let rest = &text[digits.len()..];
    if digits.len() < 4 || digits.len() > 14 || !digits.len().is_multiple_of(2) {
        return None;
    }
    let part = |from: usize| digits.get(from..from + 2).map(|p| p.parse::<u32>().ok());
    let year = &digits[..4];
    let bounds = [(1, 12), (1, 31), (0, 23), (0, 59), (0, 59)];
    let mut parts = Vec::new();
    for (i, (low, high)) in bounds.iter().enumerate() {
        match part(4 + 2 * i) {
            None => break,
            Some(Some(n)) if (*low..=*high).contains(&n) => parts.push(n),
            Some(_) => return None,
        }
    }
    let mut out = year.to_owned();
    for n in parts.iter().take(2) {
        out.push_str(&format!("-{n:02}"));
    }
    if parts.len() > 2 {
        out.push_str(&format!(
            " {:02}:{:02}",
            parts[2],
            parts.get(3).copied().unwrap_or(0)
        ));
        if let Some(seconds) = parts.get(4) {
            out.push_str(&format!(":{seconds:02}"));
        }
        let zone = rest.trim_end_matches('\'');
        if zone.starts_with('Z') {
            out.push_str(" UTC");
        } else if let Some(sign) = zone.chars().next().filter(|c| *c == '+' || *c == '-') {
            let numbers: Vec<&str> = zone[1..].split('\'').filter(|p| !p.is_empty()).collect();
            let hours = numbers.first().and_then(|h| h.parse::<u32>().ok());
            let minutes = numbers.get(1).map_or(Some(0), |m| m.parse::<u32>().ok());
            match (hours, minutes) {
                (Some(h), Some(m)) if h <= 23 && m <= 59 => {
                    out.push_str(&format!(" {sign}{h:02}:{m:02}"));
                }
                _ => return None,
            }
        } else if !zone.is_empty() {
            return None;
        }
    } else if !rest.is_empty() {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_read_as_dates() {
        assert_eq!(
            pdf_date("D:20150613123456+02'00'").as_deref(),
            Some("2015-06-13 12:34:56 +02:00")
        );
        assert_eq!(
            pdf_date("D:20150613123456-05'30").as_deref(),
            Some("2015-06-13 12:34:56 -05:30")
        );
        assert_eq!(
            pdf_date("D:20150613123456Z").as_deref(),
            Some("2015-06-13 12:34:56 UTC")
        );
        assert_eq!(
            pdf_date("D:20150613123456Z00'00'").as_deref(),
            Some("2015-06-13 12:34:56 UTC")
        );
        assert_eq!(
            pdf_date("D:201506131234").as_deref(),
            Some("2015-06-13 12:34")
        );
        assert_eq!(pdf_date("D:20150613").as_deref(), Some("2015-06-13"));
        assert_eq!(pdf_date("D:2015").as_deref(), Some("2015"));
        assert_eq!(
            pdf_date("20150613123456").as_deref(),
            Some("2015-06-13 12:34:56")
        );
        assert_eq!(pdf_date("D:20151313"), None, "month 13");
        assert_eq!(pdf_date("yesterday"), None);
        assert_eq!(pdf_date("D:2015061"), None, "an odd number of digits");
        assert_eq!(pdf_date("D:20150613123456+2x"), None);
    }
    use crate::forensics::benford::benford;

    #[test]
    fn digit_table_has_a_row_per_bin() {
        let report = Report {
            pages: 1,
            pdf_version: "1.4".into(),
            encrypted: false,
            metadata: Metadata::default(),
            text: TextStats::default(),
            numbers: NumberStats::default(),
            benford: benford(["123", "19", "45"]),
            amounts: AmountTests::default(),
            tables: Default::default(),
            per_page: Vec::new(),
            warnings: Vec::new(),
            pages_skipped: Vec::new(),
            reading: Reading::default(),
            timings_ms: Timings::default(),
            suspects: Default::default(),
        };
        // As the API reads it: the stored JSON, only the digit tables.
        let stored = serde_json::to_string(&report).expect("a report serialises");
        let tables: DigitTables = serde_json::from_str(&stored).expect("its digit tables");
        let csv = digit_table_csv(&tables);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], DIGIT_TABLE_HEADER);
        assert_eq!(lines[0].split(',').count(), 14);
        assert_eq!(lines.len(), 1 + 9 + 10 + 90 + 900 + 100 + 90);
        assert!(
            lines[1].starts_with("first_digit,1,2,0.666667,0.301030,0.7513,3,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].ends_with(",insufficient_data,,246"),
            "{}",
            lines[1]
        );
        assert!(lines.iter().all(|l| l.split(',').count() == 14));
        for row in [
            "second_digit,9,1,0.333333,0.084997,",
            "first_two_digits,45,1,0.333333,0.009545,",
            "first_three_digits,123,1,1.000000,0.003517,",
            "last_two_digits,0,0,0.000000,0.010000,",
            "second_order,10,0,0.000000,0.041393,",
        ] {
            assert!(lines.iter().any(|l| l.starts_with(row)), "{row}");
        }
    }
}
