//! Number roles on real documents: for every role, numbers of the corpus
//! (`tests/corpus`) the engine must give that role, found on their page and
//! line as the engine reads them — and the audit trail in the report agrees
//! with the numbers listed. The corpus has no bracketed citation, so the
//! reference role's example is a mathematical interval `[0, 1]` (what the
//! rule reads is the brackets); `shared::reading::roles`' unit tests have citations.

use shared::analysis::Listed;
use shared::contract::report::Report;
use shared::reading::roles::{Role, Roles};

mod common;

fn analysed(name: &str, roles: Option<Roles>) -> (Report, Vec<Listed>) {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let bytes = std::fs::read(dir.join(name)).expect("corpus file");
    common::analysed_with_numbers(&bytes, roles).expect(name)
}

/// (file, page, number as written, a piece of its line, role, rule).
const EXAMPLES: &[(&str, u32, &str, &str, Role, &str)] = &[
    (
        "pdfplumber-senate-expenditures.pdf",
        1,
        "37,499.96",
        "DISTRICT DIRECTOR",
        Role::Amount,
        "thousands_groups",
    ),
    (
        "pdfminer-naacl06-shinyama.pdf",
        6,
        "28,009",
        "Source articles",
        Role::Amount,
        "thousands_groups",
    ),
    (
        "pdfplumber-nics-background-checks-2015-11.pdf",
        1,
        "859",
        "Alabama 18,870",
        Role::Count,
        "whole_number",
    ),
    (
        "pdfminer-naacl06-shinyama.pdf",
        5,
        "75",
        "75% F-score",
        Role::Percentage,
        "percent_sign",
    ),
    (
        "pdfminer-naacl06-shinyama.pdf",
        1,
        "2000",
        "Agichtein and Gravano, 2000",
        Role::Year,
        "year",
    ),
    (
        "pdfplumber-cupertino_usd_4-6-16.pdf",
        1,
        "6",
        "April 6, 2016",
        Role::Date,
        "month_name",
    ),
    (
        "pdfplumber-cupertino_usd_4-6-16.pdf",
        1,
        "2016",
        "April 6, 2016",
        Role::Date,
        "month_name",
    ),
    (
        "pdfplumber-cupertino_usd_4-6-16.pdf",
        1,
        "30",
        "7:30 a.m.",
        Role::Date,
        "time",
    ),
    (
        "pdfminer-naacl06-shinyama.pdf",
        2,
        "23",
        "2005-09-23 Katrina",
        Role::Date,
        "iso_date",
    ),
    (
        "pdfplumber-nics-background-checks-2015-11.pdf",
        1,
        "1",
        "Page 1 of 205",
        Role::PageNumber,
        "page_number_line",
    ),
    (
        "samplefiles-multicolumn.pdf",
        3,
        "1",
        "Table 1: EU Countries",
        Role::Section,
        "label_word",
    ),
    (
        "pdfminer-naacl06-shinyama.pdf",
        2,
        "1",
        "Figure 1: Obtaining",
        Role::Section,
        "label_word",
    ),
    (
        "samplefiles-GeoTopo-komprimiert.pdf",
        18,
        "1",
        "I := [0, 1] ist kompakt",
        Role::Reference,
        "square_brackets",
    ),
    (
        "pdfplumber-federal-register-2020-17221.pdf",
        1,
        "152",
        "Vol. 85, No. 152",
        Role::Identifier,
        "identifier_word",
    ),
    (
        "pdfplumber-ca-warn-report.pdf",
        3,
        "2154",
        "(Store #2154)",
        Role::Identifier,
        "identifier_word",
    ),
    (
        "pdfminer-naacl06-shinyama.pdf",
        1,
        "10003",
        "New York, NY, 10003",
        Role::Identifier,
        "zip_code",
    ),
    (
        "pdfminer-naacl06-shinyama.pdf",
        8,
        "00325657",
        "Grant IIS-00325657",
        Role::Identifier,
        "leading_zero",
    ),
    (
        "samplefiles-multicolumn.pdf",
        3,
        "5.5",
        "Finland 5.5 338,424",
        Role::Other,
        "decimal",
    ),
];

#[test]
fn every_role_has_real_examples_in_the_corpus() {
    let mut files: Vec<&str> = EXAMPLES.iter().map(|e| e.0).collect();
    files.dedup();
    for file in files {
        let (_, numbers) = analysed(file, None);
        for &(_, page, text, line, role, why) in EXAMPLES.iter().filter(|e| e.0 == file) {
            let found: Vec<&Listed> = numbers
                .iter()
                .filter(|n| n.page == page && n.text == text && n.line.contains(line))
                .collect();
            assert!(
                !found.is_empty(),
                "{file} p{page}: {text} in {line:?} not found"
            );
            for n in found {
                assert_eq!(
                    (n.role, &*n.why),
                    (role, why),
                    "{file} p{page}: {text} in {:?}",
                    n.line
                );
            }
        }
    }
    for role in Role::ALL {
        assert!(
            EXAMPLES.iter().any(|e| e.4 == role),
            "no example of {role:?}"
        );
    }
}

#[test]
fn the_audit_trail_adds_up_and_the_choice_of_roles_is_honoured() {
    let file = "pdfplumber-federal-register-2020-17221.pdf";
    let (report, numbers) = analysed(file, None);
    let roles = &report.numbers.roles;
    assert_eq!(roles.len(), Role::ALL.len());
    assert_eq!(
        roles.iter().map(|r| r.found).sum::<u64>(),
        report.numbers.found
    );
    assert_eq!(
        roles.iter().map(|r| r.used).sum::<u64>(),
        report.numbers.used
    );
    for row in roles {
        let listed = numbers.iter().filter(|n| n.role == row.role);
        assert_eq!(listed.clone().count() as u64, row.found, "{:?}", row.role);
        assert_eq!(
            listed.filter(|n| n.used).count() as u64,
            row.used,
            "{:?}",
            row.role
        );
        assert_eq!(row.selected, Roles::default().contains(row.role));
        if !row.selected {
            assert_eq!(row.used, 0, "{:?}", row.role);
        }
        assert_eq!(row.rule, row.role.rule());
    }
    assert_eq!(report.numbers.format.detected, "1,234.56");

    // Only amounts: fewer numbers, all of them amounts, and the tests see
    // exactly those.
    let amounts = Roles::of(&[Role::Amount]);
    let (only, listed) = analysed(file, Some(amounts));
    let used: Vec<&Listed> = listed.iter().filter(|n| n.used).collect();
    assert!(used.iter().all(|n| n.role == Role::Amount));
    assert_eq!(used.len() as u64, only.numbers.used);
    assert!(only.numbers.used < report.numbers.used);
    assert_eq!(only.benford.first_digit.n, only.numbers.used);
    assert!(
        only.numbers
            .roles
            .iter()
            .all(|r| r.selected == (r.role == Role::Amount))
    );
}

/// A generated report written the European way: every page read as
/// `1.234,56`, amounts whole, and a page written the other way in the same
/// document read its own way.
#[test]
fn european_pages_are_read_as_they_are_written() {
    let european =
        "Umsatz 1.234.567,89 EUR\nKosten 12.345,50 EUR\nGewinn 3.456,00\nAnteil 12,5 Punkte";
    let american = "Revenue 7,654,321.09\nCosts 54,321.50";
    let bytes = common::pdf(&[
        ("/FlateDecode", common::zlib(&common::content(european))),
        ("/FlateDecode", common::zlib(&common::content(european))),
        ("/FlateDecode", common::zlib(&common::content(american))),
    ]);
    let (report, numbers) = common::analysed_with_numbers(&bytes, None).expect("analysed");
    let format = &report.numbers.format;
    assert_eq!(
        (format.comma_decimal_pages, format.dot_decimal_pages),
        (2, 1)
    );
    assert_eq!(format.detected, "mixed");
    let page1: Vec<(&str, Role)> = numbers
        .iter()
        .filter(|n| n.page == 1)
        .map(|n| (n.text.as_str(), n.role))
        .collect();
    assert_eq!(
        page1,
        [
            ("1.234.567,89", Role::Amount),
            ("12.345,50", Role::Amount),
            ("3.456,00", Role::Amount),
            ("12,5", Role::Other)
        ]
    );
    let page3: Vec<&str> = numbers
        .iter()
        .filter(|n| n.page == 3)
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(page3, ["7,654,321.09", "54,321.50"]);
    // Every number of 10 or more is used, read whole: 1.234.567,89 is
    // 1234567.89 (first digit 1), not 1, 234, 567 and 89.
    assert_eq!(report.numbers.used, 10);
    let first = &report.benford.first_digit.counts;
    assert_eq!((first[0], first[2], first[6], first[4]), (6, 2, 1, 1));
    assert!(
        report
            .amounts
            .duplicates
            .iter()
            .any(|d| d.amount == "1234567.89" && d.count == 2)
    );
}
