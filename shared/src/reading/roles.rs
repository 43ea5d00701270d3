//! What each number found in a document is — an amount, a count, a
//! percentage, a year, part of a date, a page number, a section or list
//! number, a reference marker, an identifier, or something else — decided
//! from the number as written and the words around it on its line, by the
//! first rule that matches ([`classify`]). Which roles enter the Benford
//! tests is the upload's choice (`?roles=`), [`Roles::default`] otherwise;
//! the report gives, per role, how many were found and used and the rule
//! that decides it, and every number in the numbers list carries the rule
//! that classified it (its audit trail).

use super::words::{
    CURRENCY_CODES, CURRENCY_INITIALS, IDENTIFIER_INITIALS, IDENTIFIER_LABELS, PERCENT_WORDS,
    SECTION_INITIALS, SECTION_LABELS, chain, initials, is_month, one_of, word_after, words_before,
};
use serde::{Deserialize, Serialize};

use crate::reading::numbers::Found;

/// What a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Amount,
    Count,
    Percentage,
    Year,
    Date,
    PageNumber,
    Section,
    Reference,
    Identifier,
    Other,
}

impl Role {
    /// Every role, in the report's order.
    pub const ALL: [Role; 10] = [
        Role::Amount,
        Role::Count,
        Role::Percentage,
        Role::Year,
        Role::Date,
        Role::PageNumber,
        Role::Section,
        Role::Reference,
        Role::Identifier,
        Role::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Amount => "amount",
            Role::Count => "count",
            Role::Percentage => "percentage",
            Role::Year => "year",
            Role::Date => "date",
            Role::PageNumber => "page_number",
            Role::Section => "section",
            Role::Reference => "reference",
            Role::Identifier => "identifier",
            Role::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The rule that gives a number this role, in words (the report's
    /// `numbers.roles[].rule`). Rules are tried in the order of
    /// [`Role::ALL`] but for page numbers, tried first, and amounts and
    /// counts, tried after every other.
    pub fn rule(self) -> &'static str {
        match self {
            Role::PageNumber => {
                "the page's first or last line is only its own number (N, Page N, - N -, N of M)"
            }
            Role::Reference => "in square brackets, as citations are: [12], [3, 4], [7-9]",
            Role::Date => {
                "part of a date or time: d/m/y or y-m-d forms, a day or year next to a month's \
                 name, hours and minutes (10:30)"
            }
            Role::Year => "a four-digit whole number from 1900 to 2099 written without separators",
            Role::Percentage => "followed by %, percent or per cent",
            Role::Section => {
                "a label's number (Table 3, Figure 2, Section 4, Chapter, Article, Appendix, Item, \
                 Note, Page, §) or a list or section number at the start of a line (1. 2) 4.2)"
            }
            Role::Identifier => {
                "an identifier: after No., #, ID, account, invoice, ISBN, phone, fax, zip, code and \
                 similar words; three or more parts joined by hyphens (555-123-4567); a leading \
                 zero (007); nine or more digits without separators; a ZIP code after a state"
            }
            Role::Amount => {
                "next to a currency sign or code ($, €, £, ¥, USD, EUR…), in thousands groups \
                 (1,234), or with exactly two decimals (12.50)"
            }
            Role::Count => "any other whole number",
            Role::Other => "any other number (decimals other than two places: measures, ratios)",
        }
    }
}

/// Why a number got its role: the rule's name, for the numbers list.
pub type Why = &'static str;

/// A set of roles: those that enter the Benford tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "Vec<Role>", try_from = "Vec<Role>")]
pub struct Roles(u16);

impl Default for Roles {
    /// Amounts, counts and other numbers: the quantities a document reports.
    /// Left out: percentages (bounded to 0–100), years, dates, page,
    /// section and reference numbers, identifiers — labels and positions,
    /// whose digits Benford's law does not describe.
    fn default() -> Self {
        Roles::of(&[Role::Amount, Role::Count, Role::Other])
    }
}

impl Roles {
    pub fn of(roles: &[Role]) -> Roles {
        Roles(roles.iter().fold(0, |bits, r| bits | 1 << *r as u16))
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & (1 << role as u16) != 0
    }

    pub fn is_default(&self) -> bool {
        *self == Roles::default()
    }

    /// `amount,count` as `?roles=` writes it; `Err` names what is not a
    /// role, or says the list is empty.
    pub fn parse(list: &str) -> Result<Roles, String> {
        let mut roles = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match Role::parse(name) {
                Some(r) => roles.push(r),
                None => {
                    let known: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                    return Err(format!(
                        "`{name}` is not a role; roles are {}",
                        known.join(", ")
                    ));
                }
            }
        }
        if roles.is_empty() {
            return Err("roles must name at least one role".to_owned());
        }
        Ok(Roles::of(&roles))
    }

    /// As `?roles=` writes it.
    pub fn to_query(self) -> String {
        let names: Vec<&str> = Vec::from(self).into_iter().map(Role::name).collect();
        names.join(",")
    }
}

impl From<Roles> for Vec<Role> {
    fn from(roles: Roles) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| roles.contains(*r))
            .collect()
    }
}

impl TryFrom<Vec<Role>> for Roles {
    type Error = String;
    fn try_from(roles: Vec<Role>) -> Result<Roles, String> {
        if roles.is_empty() {
            return Err("roles must name at least one role".to_owned());
        }
        Ok(Roles::of(&roles))
    }
}

/// The role of `found` on `line`, and the rule that decided it.
/// `page_number_line`: the line is its page's page-number line.
pub fn classify(line: &str, found: &Found<'_>, page_number_line: bool) -> (Role, Why) {
    let start = found.start;
    let end = start + found.text.len();
    let bytes = line.as_bytes();
    let integer = found.frac_part.is_empty();
    let digits = found.int_part.bytes().filter(u8::is_ascii_digit).count();
    if page_number_line {
        return (Role::PageNumber, "page_number_line");
    }
    // [12], [3, 4], [7-9]
    if integer && let Some(open) = line[..start].rfind('[') {
        let inside_before = &line[open + 1..start];
        let close = line[end..].find(']');
        let list = |s: &str| s.chars().all(|c| c.is_ascii_digit() || " ,-–".contains(c));
        if let Some(close) = close
            && list(inside_before)
            && list(&line[end..end + close])
        {
            return (Role::Reference, "square_brackets");
        }
    }
    // Dates and times.
    let (slash_before, slash_after) = chain(line, start, end, b'/');
    let slash_parts = slash_before.len() + slash_after.len() + 1;
    if integer && slash_parts == 3 && digits <= 4 {
        return (Role::Date, "slash_date");
    }
    let (dash_before, dash_after) = chain(line, start, end, b'-');
    // The parts' digit counts in order: the first two decide an ISO date.
    let dash_len = dash_before.len() + 1 + dash_after.len();
    let mut dash_parts = dash_before
        .iter()
        .rev()
        .copied()
        .chain([digits])
        .chain(dash_after.iter().copied());
    let dash_head = (dash_parts.next(), dash_parts.next());
    if integer && (dash_len == 3 || dash_len == 2) && dash_head == (Some(4), Some(2)) {
        return (Role::Date, "iso_date");
    }
    let colon_before = start >= 2 && bytes[start - 1] == b':' && bytes[start - 2].is_ascii_digit();
    let colon_after =
        end + 1 < bytes.len() && bytes[end] == b':' && bytes[end + 1].is_ascii_digit();
    if integer && digits <= 2 && (colon_before || colon_after) {
        return (Role::Date, "time");
    }
    let before = words_before(line, start);
    let after = word_after(line, end);
    let month_near = before.iter().any(|w| is_month(w)) || is_month(after);
    if integer
        && month_near
        && (found.int_part.parse::<u32>().is_ok_and(|v| v <= 31) || found.is_year())
    {
        return (Role::Date, "month_name");
    }
    if found.is_year() {
        return (Role::Year, "year");
    }
    // Percentages.
    let rest = line[end..].trim_start();
    if rest.starts_with('%')
        || one_of(after, &PERCENT_WORDS, initials(&PERCENT_WORDS))
        || rest
            .get(..8)
            .is_some_and(|head| head.eq_ignore_ascii_case("per cent"))
    {
        return (Role::Percentage, "percent_sign");
    }
    // Labels: Table 3, § 12, No. 5.
    let label = before[0].trim_end_matches('.');
    let just_before = line[..start].trim_end();
    if one_of(label, &SECTION_LABELS, SECTION_INITIALS)
        || label == "§"
        || just_before.ends_with('§')
    {
        return (Role::Section, "label_word");
    }
    if one_of(label, &IDENTIFIER_LABELS, IDENTIFIER_INITIALS)
        || label == "#"
        || just_before.ends_with('#')
    {
        return (Role::Identifier, "identifier_word");
    }
    // List and section numbers at the start of a line: `1.`, `2)`, `(3)`,
    // `4.2 Results`.
    let head = line[..start].trim();
    if head.is_empty() || head == "(" {
        let tail = &line[end..];
        let numbered =
            tail.starts_with(". ") || tail.starts_with(") ") || tail == "." || tail == ")";
        let dotted = !integer
            && found.frac_part.len() <= 2
            && digits <= 2
            && tail.starts_with(' ')
            && tail
                .trim_start()
                .chars()
                .next()
                .is_some_and(char::is_uppercase);
        if (numbered || dotted) && digits <= 3 {
            return (Role::Section, "line_start_number");
        }
    }
    // Identifiers.
    if dash_len >= 3 {
        return (Role::Identifier, "hyphen_chain");
    }
    if integer && digits > 1 && found.int_part.starts_with('0') && !found.grouped {
        return (Role::Identifier, "leading_zero");
    }
    if integer && !found.grouped && digits >= 9 {
        return (Role::Identifier, "long_digits");
    }
    if integer && digits == 5 && !found.grouped {
        let state = before[0].len() == 2 && {
            line[..start]
                .split_whitespace()
                .next_back()
                .is_some_and(|raw| {
                    raw.trim_end_matches(',').len() == 2
                        && raw
                            .trim_end_matches(',')
                            .chars()
                            .all(|c| c.is_ascii_uppercase())
                })
        };
        if state {
            return (Role::Identifier, "zip_code");
        }
    }
    // Amounts.
    let prefix = line[..start].trim_end_matches(['-', '+', '−', '(', ' ']);
    let currency_before = prefix.ends_with(['$', '€', '£', '¥', '₹'])
        || one_of(before[0], &CURRENCY_CODES, CURRENCY_INITIALS);
    let currency_after =
        rest.starts_with(['€', '$', '£']) || one_of(after, &CURRENCY_CODES, CURRENCY_INITIALS);
    if currency_before || currency_after {
        return (Role::Amount, "currency");
    }
    if found.grouped {
        return (Role::Amount, "thousands_groups");
    }
    if found.frac_part.len() == 2 {
        return (Role::Amount, "two_decimals");
    }
    if integer {
        (Role::Count, "whole_number")
    } else {
        (Role::Other, "decimal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::numbers::{Format, scan_numbers_in};

    /// Each number of `line` with its role.
    fn roles_in(line: &str) -> Vec<(String, Role)> {
        roles_with(line, Format::DotDecimal)
    }

    fn roles_with(line: &str, format: Format) -> Vec<(String, Role)> {
        let mut out = Vec::new();
        scan_numbers_in(line, format, &mut |f| {
            out.push((f.text.to_owned(), classify(line, &f, false).0));
        });
        out
    }

    fn role_of(line: &str, number: &str) -> Role {
        roles_in(line)
            .into_iter()
            .find(|(t, _)| t == number)
            .unwrap_or_else(|| panic!("{number} not found in {line:?}"))
            .1
    }

    #[test]
    fn amounts() {
        // pdfplumber-senate-expenditures: "$1,460.94"; cupertino budget.
        assert_eq!(role_of("Total $1,460.94", "1,460.94"), Role::Amount);
        assert_eq!(role_of("Salaries 3,249,066", "3,249,066"), Role::Amount);
        assert_eq!(role_of("Corn 3.52 -0.03", "3.52"), Role::Amount);
        assert_eq!(role_of("EUR 120", "120"), Role::Amount);
        assert_eq!(role_of("120 € each", "120"), Role::Amount);
        assert_eq!(role_of("a deficit of (1,250)", "1,250"), Role::Amount);
    }

    #[test]
    fn counts_and_other_numbers() {
        // pdfplumber-nics: "Alabama 25,424 ... 377" — a count in a table.
        assert_eq!(role_of("Alabama 377 1,234", "377"), Role::Count);
        assert_eq!(role_of("a ratio of 1.375", "1.375"), Role::Other);
        assert_eq!(role_of("weighs 12.5 kg", "12.5"), Role::Other);
    }

    #[test]
    fn percentages() {
        assert_eq!(role_of("rose 12% in a year", "12"), Role::Percentage);
        assert_eq!(role_of("rose 12 % in a year", "12"), Role::Percentage);
        assert_eq!(role_of("some 45 percent of", "45"), Role::Percentage);
        assert_eq!(role_of("some 45 per cent of", "45"), Role::Percentage);
    }

    #[test]
    fn years_and_dates() {
        // pdfplumber-federal-register: "August 25, 2020", "FR Doc. 2020-17221".
        assert_eq!(role_of("Dated: August 25, 2020.", "25"), Role::Date);
        assert_eq!(role_of("Dated: August 25, 2020.", "2020"), Role::Date);
        assert_eq!(role_of("the 1999 budget", "1999"), Role::Year);
        assert_eq!(roles_in("on 12/31/2015")[0].1, Role::Date);
        assert!(
            roles_in("on 12/31/2015")
                .iter()
                .all(|(_, r)| *r == Role::Date)
        );
        assert!(
            roles_in("on 2015-11-03")
                .iter()
                .all(|(_, r)| *r == Role::Date)
        );
        assert_eq!(role_of("at 10:30 sharp", "30"), Role::Date);
        assert_eq!(role_of("15 March", "15"), Role::Date);
        assert_eq!(role_of("Mar. 15", "15"), Role::Date);
    }

    #[test]
    fn page_numbers_come_first() {
        let line = "12";
        let mut found = None;
        scan_numbers_in(line, Format::DotDecimal, &mut |f| found = Some(f));
        let found = found.expect("a number");
        assert_eq!(classify(line, &found, true).0, Role::PageNumber);
        assert_eq!(classify(line, &found, false).0, Role::Count);
    }

    #[test]
    fn sections_lists_and_labels() {
        assert_eq!(role_of("see Table 3 below", "3"), Role::Section);
        assert_eq!(role_of("Figure 12. Results", "12"), Role::Section);
        assert_eq!(role_of("under § 12", "12"), Role::Section);
        assert_eq!(role_of("1. Introduction", "1"), Role::Section);
        assert_eq!(role_of("4.2 Results of the test", "4.2"), Role::Section);
        assert_eq!(role_of("(3) the applicant", "3"), Role::Section);
        assert_eq!(role_of("pp. 120", "120"), Role::Section);
    }

    #[test]
    fn references() {
        // pdfminer-naacl06-shinyama cites as [12].
        assert_eq!(role_of("as shown [12].", "12"), Role::Reference);
        assert!(
            roles_in("earlier work [3, 4]")
                .iter()
                .all(|(_, r)| *r == Role::Reference)
        );
    }

    #[test]
    fn identifiers() {
        assert_eq!(role_of("Invoice No. 48213", "48213"), Role::Identifier);
        assert_eq!(role_of("Order #5521", "5521"), Role::Identifier);
        assert!(
            roles_in("call 555-123-4567 now")
                .iter()
                .all(|(_, r)| *r == Role::Identifier)
        );
        assert_eq!(role_of("code 007 here", "007"), Role::Identifier);
        assert_eq!(
            role_of("Ref 123456789012", "123456789012"),
            Role::Identifier
        );
        assert_eq!(
            role_of("account 123456789012", "123456789012"),
            Role::Identifier
        );
        assert_eq!(role_of("Cupertino, CA 95014", "95014"), Role::Identifier);
        assert_eq!(role_of("serial 0012", "0012"), Role::Identifier);
    }

    #[test]
    fn european_amounts() {
        let roles = roles_with("Summe 1.234.567,89 EUR und 12,50", Format::CommaDecimal);
        assert_eq!(
            roles,
            [
                ("1.234.567,89".to_owned(), Role::Amount),
                ("12,50".to_owned(), Role::Amount)
            ]
        );
    }

    #[test]
    fn role_lists() {
        assert_eq!(
            Roles::parse("amount, count").map(Roles::to_query),
            Ok("amount,count".to_owned())
        );
        assert!(Roles::parse("amount,cats").unwrap_err().contains("`cats`"));
        assert!(Roles::parse("").is_err());
        assert_eq!(Roles::default().to_query(), "amount,count,other");
        let json = serde_json::to_string(&Roles::default()).expect("json");
        assert_eq!(json, r#"["amount","count","other"]"#);
        assert_eq!(
            serde_json::from_str::<Roles>(&json).ok(),
            Some(Roles::default())
        );
        assert!(serde_json::from_str::<Roles>("[]").is_err());
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
            assert!(!role.rule().is_empty());
        }
    }
}
