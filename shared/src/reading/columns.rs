//! The table columns chosen for the tests (`?columns=Amount,Total`): a
//! number enters the tests only when it stands in a column whose header is
//! one of them, matched without regard to case or runs of spaces
//! ([`key`]). Columns are found by [`crate::reading::tables`].

use serde::{Deserialize, Serialize};

/// Most columns one request may name.
pub const MAX_COLUMNS: usize = 20;

/// Longest column name accepted, in characters.
pub const MAX_COLUMN_NAME: usize = 200;

/// A header as it is matched: lower case, spaces trimmed and runs of them
/// made one.
pub fn key(header: &str) -> String {
    tidy(header).collect()
}

/// Whether two headers are one by [`key`] (without making the keys).
pub fn same(a: &str, b: &str) -> bool {
    a == b || tidy(a).eq(tidy(b))
}

/// The characters of a header's [`key`], one at a time.
fn tidy(s: &str) -> impl Iterator<Item = char> + '_ {
    s.split_whitespace().enumerate().flat_map(|(i, w)| {
        (i > 0)
            .then_some(' ')
            .into_iter()
            .chain(w.chars().flat_map(char::to_lowercase))
    })
}

/// The columns chosen, as the request named them (kept for the job and the
/// report) — matched by [`key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Columns {
    names: Vec<String>,
    keys: Vec<String>,
}

impl Columns {
    /// `Amount,Total` as `?columns=` writes it (names separated by commas;
    /// a header with a comma in it cannot be named). `Err` says what is
    /// wrong: no name, too many, one too long.
    pub fn parse(list: &str) -> Result<Columns, String> {
        Columns::of(list.split(',').map(str::to_owned).collect())
    }

    /// The columns of `names` (blank ones dropped, repeats once).
    pub fn of(names: Vec<String>) -> Result<Columns, String> {
        let mut out = Columns {
            names: Vec::new(),
            keys: Vec::new(),
        };
        for name in names {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            if name.is_empty() {
                continue;
            }
            if name.chars().count() > MAX_COLUMN_NAME {
                return Err(format!(
                    "a column name has at most {MAX_COLUMN_NAME} characters; one has {}",
                    name.chars().count()
                ));
            }
            let k = key(&name);
            if !out.keys.contains(&k) {
                out.keys.push(k);
                out.names.push(name);
            }
        }
        if out.names.is_empty() {
            return Err(
                "columns names no column: give headers separated by commas, \
                        e.g. columns=Amount,Total"
                    .to_owned(),
            );
        }
        if out.names.len() > MAX_COLUMNS {
            return Err(format!(
                "columns names {} columns; at most {MAX_COLUMNS} may be chosen",
                out.names.len()
            ));
        }
        Ok(out)
    }

    /// The names as given (spaces tidied).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether a column with this header is chosen.
    pub fn matches(&self, header: &str) -> bool {
        let k = key(header);
        self.keys.contains(&k)
    }
}

impl TryFrom<Vec<String>> for Columns {
    type Error = String;
    fn try_from(names: Vec<String>) -> Result<Self, String> {
        Columns::of(names)
    }
}

impl From<Columns> for Vec<String> {
    fn from(columns: Columns) -> Vec<String> {
        columns.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_without_case_or_extra_spaces() {
        let c = Columns::parse(" Amount , total  due,amount,").unwrap();
        assert_eq!(c.names(), ["Amount", "total due"]);
        assert!(c.matches("AMOUNT"));
        assert!(c.matches("Total   Due"));
        assert!(!c.matches("Amount due"));
        assert!(!c.matches("Amounts"));
        assert!(same(" Net  TOTAL", "net total") && !same("net total", "nettotal"));
    }

    #[test]
    fn bad_lists_say_why() {
        assert!(Columns::parse(" , ").unwrap_err().contains("no column"));
        let many: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        assert!(
            Columns::parse(&many.join(","))
                .unwrap_err()
                .contains("at most")
        );
        let long = "x".repeat(MAX_COLUMN_NAME + 1);
        assert!(Columns::parse(&long).unwrap_err().contains("characters"));
    }

    #[test]
    fn columns_round_trip_as_a_list_of_names() {
        let c = Columns::parse("Amount,Net total").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"["Amount","Net total"]"#);
        assert_eq!(serde_json::from_str::<Columns>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Columns>("[]").is_err());
    }
}
