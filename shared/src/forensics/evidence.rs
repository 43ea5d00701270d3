//! The evidence behind a report: every number the engine found, with its
//! page, its box on the page, its role and its line ([`Listed`], served as
//! `GET /jobs/{id}/numbers` in NDJSON or CSV), and the report's suspects
//! ([`Suspects`]): the numbers in the first-two-digit buckets with the
//! largest excess, the places of the most repeated amounts, and the pages
//! whose own first digits deviate most — each bounded, so a report stays
//! small however long the document.

use serde::{Deserialize, Serialize};

use crate::forensics::amounts::AmountTests;
use crate::forensics::benford::chance::Null;
use crate::forensics::benford::{DigitTest, Kind, MIN_COUNT, from_counts};
use crate::reading::roles::Role;

/// Buckets of the first-two-digits test a report names as suspect: the
/// flagged ones with an excess, largest Z first.
pub const BUCKETS_LISTED: usize = 5;
/// Repeated amounts whose places a report gives.
pub const DUPLICATES_LISTED: usize = 5;
/// Numbers a report shows per bucket or repeated amount.
pub const PLACES_LISTED: usize = 10;
/// Pages a report names as deviating most.
pub const PAGES_LISTED: usize = 5;
/// Most numbers a page lists: past it, its list stops (the report's
/// `numbers.listed` says how many the list has).
pub const MAX_LISTED_PER_PAGE: usize = 5_000;
/// Most numbers one analysis in the worker (a document, or one slice of
/// one) keeps for its list, which it holds until its pages are read: a
/// bound on memory, reached only by pages of hundreds of numbers each.
pub const MAX_LISTED: usize = 150_000;

/// One number found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    pub page: u32,
    /// As written, without sign, currency or percent sign.
    pub text: String,
    /// Its value as a plain decimal (`1234567.89` for `1.234.567,89`);
    /// `None` past 29 integer digits.
    pub value: Option<String>,
    pub role: Role,
    /// The rule that gave it its role (`roles::classify`).
    pub why: std::borrow::Cow<'static, str>,
    /// Whether it entered the tests.
    pub used: bool,
    /// Its box on the page in PDF user space, `[x0, y0, x1, y1]`.
    pub bbox: Option<[f64; 4]>,
    /// The text of its line (shared by the numbers of one line).
    pub line: std::rc::Rc<str>,
    /// The table it stands in: its number among its page's tables, from 1
    /// (`reading::tables`); `None` outside tables.
    #[serde(default)]
    pub table: Option<u32>,
    /// The header of its column in that table (`column N` for a column
    /// without one); `None` outside tables or under no column.
    #[serde(default)]
    pub column: Option<std::rc::Rc<str>>,
}

impl Listed {
    /// The first two significant digits of its value (10–99), if it has two.
    pub fn first_two(&self) -> Option<u32> {
        let mut digits = self
            .value
            .as_deref()?
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|&b| b == b'0')
            .map(|b| u32::from(b - b'0'));
        Some(digits.next()? * 10 + digits.next()?)
    }

    /// Where it is, for a report.
    pub fn place(&self) -> Place {
        Place {
            page: self.page,
            text: self.text.clone(),
            role: self.role,
            bbox: self.bbox,
            line: self.line.to_string(),
            job_id: None,
            filename: None,
        }
    }
}

/// The header of the numbers list as CSV.
pub const CSV_HEADER: &str = "page,text,value,role,rule,used,x0,y0,x1,y1,line,table,column\n";

/// One number as a CSV row (RFC 4180 quoting).
pub fn csv_row(n: &Listed) -> String {
    let quote = csv_field;
    let bbox = n.bbox.map_or_else(
        || ",,,".to_owned(),
        |[x0, y0, x1, y1]| format!("{x0},{y0},{x1},{y1}"),
    );
    format!(
        "{},{},{},{},{},{},{bbox},{},{},{}\n",
        n.page,
        quote(&n.text),
        n.value.as_deref().unwrap_or_default(),
        n.role.name(),
        n.why,
        n.used,
        quote(&n.line),
        n.table.map(|t| t.to_string()).unwrap_or_default(),
        quote(n.column.as_deref().unwrap_or_default())
    )
}

/// Numbers as stored and served: one JSON object a line.
pub fn to_ndjson(rows: impl IntoIterator<Item = impl std::borrow::Borrow<Listed>>) -> String {
    let mut out = String::new();
    for row in rows {
        if let Ok(line) = serde_json::to_string(row.borrow()) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The rows of a stored part of the list.
pub fn rows_of(ndjson: &str) -> impl Iterator<Item = Result<Listed, serde_json::Error>> + '_ {
    ndjson
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
}

/// How `GET /jobs/{id}/numbers` writes the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Ndjson,
    Csv,
}

impl ListFormat {
    /// `?format=`: `ndjson` (the default) or `csv`.
    pub fn parse(raw: Option<&str>) -> Result<ListFormat, String> {
        match raw {
            None | Some("ndjson") => Ok(ListFormat::Ndjson),
            Some("csv") => Ok(ListFormat::Csv),
            Some(other) => Err(format!("format must be ndjson or csv, not {other:?}")),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ListFormat::Ndjson => "application/x-ndjson",
            ListFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    /// What the list starts with (the CSV header).
    pub fn head(self) -> &'static str {
        match self {
            ListFormat::Ndjson => "",
            ListFormat::Csv => CSV_HEADER,
        }
    }

    /// One stored part of the list in this format, only `page`'s numbers
    /// when given.
    pub fn render(self, ndjson: &str, page: Option<u32>) -> Result<String, serde_json::Error> {
        let mut out = String::with_capacity(ndjson.len());
        for row in rows_of(ndjson) {
            let row = row?;
            if page.is_some_and(|p| p != row.page) {
                continue;
            }
            match self {
                ListFormat::Ndjson => {
                    out.push_str(&serde_json::to_string(&row)?);
                    out.push('\n');
                }
                ListFormat::Csv => out.push_str(&csv_row(&row)),
            }
        }
        Ok(out)
    }
}

/// The header of the suspects as CSV.
pub const SUSPECTS_CSV_HEADER: &str = "kind,key,count,statistic,page,text,role,x0,y0,x1,y1,line\n";

/// The suspects as CSV, one row per place: `bucket` rows (key: the first
/// two digits; statistic: Z), `duplicate` rows (key: the amount), and one
/// `page` row per deviating page (statistic: its first-digit MAD).
pub fn suspects_csv(suspects: &Suspects) -> String {
    let mut out = String::from(SUSPECTS_CSV_HEADER);
    let place_cols = |p: &Place| {
        let bbox = p.bbox.map_or_else(
            || ",,,".to_owned(),
            |[x0, y0, x1, y1]| format!("{x0},{y0},{x1},{y1}"),
        );
        format!(
            "{},{},{},{bbox},{}",
            p.page,
            csv_field(&p.text),
            p.role.name(),
            csv_field(&p.line)
        )
    };
    for b in &suspects.buckets {
        for p in &b.places {
            out.push_str(&format!(
                "bucket,{},{},{:.4},{}\n",
                b.digits,
                b.count,
                b.z,
                place_cols(p)
            ));
        }
    }
    for d in &suspects.duplicates {
        for p in &d.places {
            out.push_str(&format!(
                "duplicate,{},{},,{}\n",
                csv_field(&d.amount),
                d.count,
                place_cols(p)
            ));
        }
    }
    for p in &suspects.pages {
        out.push_str(&format!(
            "page,{},{},{:.6},{},,,,,,,\n",
            p.page, p.n, p.mad, p.page
        ));
    }
    out
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A page drawn from the positions the engine has: its text lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageView {
    pub page: u32,
    /// `[x0, y0, x1, y1]` in PDF user space.
    pub media_box: [f64; 4],
    pub lines: Vec<ViewLine>,
}

/// One line of a [`PageView`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewLine {
    pub text: String,
    pub bbox: [f64; 4],
    /// Font size.
    pub size: f64,
}

/// A suspect number's place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub page: u32,
    pub text: String,
    pub role: Role,
    pub bbox: Option<[f64; 4]>,
    pub line: String,
    /// In a collection's population report: the document's job id and file
    /// name (absent in a job's report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

/// A first-two-digit bucket with more numbers than Benford's law expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketSuspects {
    pub digits: u32,
    pub z: f64,
    /// Numbers in the bucket (used ones).
    pub count: u64,
    /// The first [`PLACES_LISTED`] of them.
    pub places: Vec<Place>,
}

/// A repeated amount and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateSuspects {
    pub amount: String,
    pub count: u64,
    /// The first [`PLACES_LISTED`] of its places.
    pub places: Vec<Place>,
}

/// A page whose own first digits are far from Benford's law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageSuspect {
    pub page: u32,
    /// Numbers the page used.
    pub n: u64,
    /// Mean absolute deviation of the page's first digits.
    pub mad: f64,
    /// `mad` less the MAD that chance alone gives for `n` Benford numbers
    /// (absent from reports made before it).
    #[serde(default)]
    pub excess_mad: f64,
    /// The chance that `n` numbers following Benford's law deviate this
    /// much or more: the pages are ranked by it, smallest first, so a page
    /// of few numbers is not ranked on noise.
    #[serde(default = "one")]
    pub p_value: f64,
}

fn one() -> f64 {
    1.0
}

/// What a report points at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Suspects {
    pub buckets: Vec<BucketSuspects>,
    pub duplicates: Vec<DuplicateSuspects>,
    pub pages: Vec<PageSuspect>,
    /// How the lists are bounded, in words.
    pub bounds: String,
}

/// The bounds, as a report states them.
pub fn bounds() -> String {
    format!(
        "At most {BUCKETS_LISTED} first-two-digit buckets (flagged with an excess, largest Z \
         first), {DUPLICATES_LISTED} repeated amounts and {PLACES_LISTED} places each (the \
         first in page order); at most {PAGES_LISTED} pages (those with {MIN_COUNT} or more \
         numbers used, the least likely by chance first: smallest p-value of their first-digit MAD). The full list of numbers is GET \
         /jobs/{{id}}/numbers."
    )
}

/// Gathers the suspects of a report as its numbers go past in page order.
#[derive(Debug, Clone)]
pub struct Finder {
    buckets: Vec<BucketSuspects>,
    duplicates: Vec<DuplicateSuspects>,
}

impl Finder {
    /// What to look for, from a report's first-two-digits test and its
    /// repeated amounts ([`crate::contract::report::Report::finder`]).
    pub fn new(first_two_digits: &DigitTest, amounts: &AmountTests) -> Finder {
        let mut flagged: Vec<_> = first_two_digits
            .flagged
            .iter()
            .filter(|f| f.excess)
            .collect();
        flagged.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.digits.cmp(&b.digits)));
        let buckets = flagged
            .into_iter()
            .take(BUCKETS_LISTED)
            .map(|f| BucketSuspects {
                digits: f.digits,
                z: f.z,
                count: f
                    .digits
                    .checked_sub(10)
                    .and_then(|i| first_two_digits.counts.get(i as usize))
                    .copied()
                    .unwrap_or(0),
                places: Vec::new(),
            })
            .collect();
        let duplicates = amounts
            .duplicates
            .iter()
            .take(DUPLICATES_LISTED)
            .map(|d| DuplicateSuspects {
                amount: d.amount.clone(),
                count: d.count,
                places: Vec::new(),
            })
            .collect();
        Finder {
            buckets,
            duplicates,
        }
    }

    /// The next number, in page order.
    pub fn push(&mut self, n: &Listed) {
        self.push_of(n, None);
    }

    /// The next number of a collection's `document` (job id, file name),
    /// documents in turn, each in page order: its places name the document.
    pub fn push_of(&mut self, n: &Listed, document: Option<(&str, &str)>) {
        if !n.used {
            return;
        }
        let place = || {
            let mut place = n.place();
            if let Some((job_id, filename)) = document {
                place.job_id = Some(job_id.to_owned());
                place.filename = Some(filename.to_owned());
            }
            place
        };
        if let Some(digits) = n.first_two()
            && let Some(bucket) = self.buckets.iter_mut().find(|b| b.digits == digits)
            && bucket.places.len() < PLACES_LISTED
        {
            bucket.places.push(place());
        }
        if let Some(value) = &n.value
            && let Some(dup) = self.duplicates.iter_mut().find(|d| &d.amount == value)
            && dup.places.len() < PLACES_LISTED
        {
            dup.places.push(place());
        }
    }

    /// The suspects, with the pages that deviate most of `pages` (page,
    /// numbers used, first-digit MAD).
    pub fn finish(self, pages: impl IntoIterator<Item = (u32, u64, f64)>) -> Suspects {
        let mut pages = deviating_pages(pages);
        pages.truncate(PAGES_LISTED);
        Suspects {
            buckets: self.buckets,
            duplicates: self.duplicates,
            pages,
            bounds: bounds(),
        }
    }
}

/// Pages (page, numbers used, first-digit MAD), the least likely by chance
/// first (smallest p-value, then largest excess MAD, then page order).
pub fn deviating_pages(pages: impl IntoIterator<Item = (u32, u64, f64)>) -> Vec<PageSuspect> {
    let mut pages: Vec<PageSuspect> = pages
        .into_iter()
        .map(|(page, n, mad)| {
            let null = Null::of(Kind::First, n.max(1));
            PageSuspect {
                page,
                n,
                mad,
                excess_mad: mad - null.mean,
                p_value: null.p_value(mad),
            }
        })
        .collect();
    pages.sort_by(|a, b| {
        a.p_value
            .total_cmp(&b.p_value)
            .then(b.excess_mad.total_cmp(&a.excess_mad))
            .then(a.page.cmp(&b.page))
    });
    pages
}

/// A page's first-digit MAD against Benford's law, once it has
/// [`MIN_COUNT`] numbers used (`None` below).
pub fn page_mad(first_digits: &[u64; 9]) -> Option<f64> {
    let n: u64 = first_digits.iter().sum();
    (n >= MIN_COUNT).then(|| from_counts(Kind::First, first_digits.to_vec()).mad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(page: u32, text: &str, value: &str, used: bool) -> Listed {
        Listed {
            page,
            text: text.into(),
            value: Some(value.into()),
            role: Role::Amount,
            why: "thousands_groups".into(),
            used,
            bbox: Some([10.0, 20.0, 40.5, 30.0]),
            line: format!("Total {text}, \"net\"").into(),
            table: (page == 3).then_some(2),
            column: (page == 3).then(|| "Net, EUR".into()),
        }
    }

    #[test]
    fn first_two_digits_of_the_value() {
        assert_eq!(number(1, "1,234.5", "1234.5", true).first_two(), Some(12));
        assert_eq!(number(1, "0.057", "0.057", true).first_two(), Some(57));
        assert_eq!(number(1, "7", "7", true).first_two(), None);
    }

    #[test]
    fn csv_rows_are_quoted() {
        let row = csv_row(&number(3, "1,234.5", "1234.5", true));
        assert_eq!(
            row,
            "3,\"1,234.5\",1234.5,amount,thousands_groups,true,10,20,40.5,30,\"Total 1,234.5, \"\"net\"\"\",2,\"Net, EUR\"\n"
        );
        assert_eq!(CSV_HEADER.trim_end().split(',').count(), 13);
        assert!(csv_row(&number(1, "7", "7", false)).ends_with("\"Total 7, \"\"net\"\"\",,\n"));
    }

    #[test]
    fn the_list_round_trips_and_renders() {
        let rows = vec![
            number(1, "1,234.5", "1234.5", true),
            number(2, "77", "77", false),
        ];
        let stored = to_ndjson(&rows);
        assert_eq!(stored.lines().count(), 2);
        let back: Vec<Listed> = rows_of(&stored).collect::<Result<_, _>>().expect("rows");
        assert_eq!(back, rows);
        let csv = ListFormat::Csv.render(&stored, Some(2)).expect("csv");
        assert!(csv.starts_with("2,77,77,amount,"), "{csv}");
        assert_eq!(csv.lines().count(), 1);
        let all = ListFormat::Ndjson.render(&stored, None).expect("ndjson");
        assert_eq!(all, stored);
        assert!(ListFormat::Ndjson.render("{not json", None).is_err());
        assert_eq!(ListFormat::parse(Some("csv")), Ok(ListFormat::Csv));
        assert!(ListFormat::parse(Some("xml")).unwrap_err().contains("xml"));
    }

    #[test]
    fn suspects_export_as_csv() {
        let n = number(3, "1,234.5", "1234.5", true);
        let suspects = Suspects {
            buckets: vec![BucketSuspects {
                digits: 12,
                z: 4.25,
                count: 40,
                places: vec![n.place()],
            }],
            duplicates: vec![DuplicateSuspects {
                amount: "1234.5".into(),
                count: 2,
                places: vec![n.place(), n.place()],
            }],
            pages: vec![PageSuspect {
                page: 3,
                n: 60,
                mad: 0.0312,
                excess_mad: 0.001,
                p_value: 0.4,
            }],
            bounds: bounds(),
        };
        let csv = suspects_csv(&suspects);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 1 + 2 + 1);
        assert_eq!(
            lines[1],
            "bucket,12,40,4.2500,3,\"1,234.5\",amount,10,20,40.5,30,\"Total 1,234.5, \"\"net\"\"\""
        );
        assert!(lines[2].starts_with("duplicate,1234.5,2,,3,"));
        assert_eq!(lines[4], "page,3,60,0.031200,3,,,,,,,");
        let columns = SUSPECTS_CSV_HEADER.trim_end().split(',').count();
        assert_eq!(lines[4].split(',').count(), columns);
    }

    #[test]
    fn pages_are_ranked_by_how_unlikely_their_mad_is_by_chance() {
        // 50 numbers: a MAD of 0.04 is what chance often gives; 2,000
        // numbers: 0.02 is far beyond it.
        let ranked = deviating_pages([(1, 50, 0.04), (2, 2_000, 0.02)]);
        let order: Vec<u32> = ranked.iter().map(|p| p.page).collect();
        assert_eq!(order, [2, 1], "{ranked:?}");
        assert!(ranked[0].p_value < 1e-6 && ranked[0].excess_mad > 0.01);
        let small = ranked.iter().find(|p| p.page == 1).expect("page 1");
        assert!(small.p_value > 0.2, "{small:?}");
    }

    #[test]
    fn a_page_needs_enough_numbers_for_its_mad() {
        assert_eq!(page_mad(&[10, 5, 3, 2, 2, 1, 1, 1, 0]), None);
        let benford = [301, 176, 125, 97, 79, 67, 58, 51, 46];
        assert!(page_mad(&benford).is_some_and(|m| m < 0.001));
    }
}
