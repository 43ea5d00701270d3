//! The tables of a document as the report tells them (`tables` in the
//! report, `GET /jobs/{id}/tables`): each table with its columns and how
//! many numbers stand in each, and the columns by header over the whole
//! document — what `?columns=` chooses from. Bounded: the first
//! [`MAX_TABLES_LISTED`] tables and [`MAX_COLUMNS_COUNTED`] headers.

use serde::{Deserialize, Serialize};

use crate::reading::columns::{Columns, key, same};

/// Tables a report lists (the rest are counted in `found`).
pub const MAX_TABLES_LISTED: usize = 2_000;

/// Distinct headers a report counts numbers for.
pub const MAX_COLUMNS_COUNTED: usize = 500;

/// The tables of a document and the numbers in their columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableStats {
    /// Tables found.
    pub found: u64,
    /// Numbers standing in a column of a table, and those of them that
    /// entered the tests.
    pub numbers: u64,
    pub used: u64,
    /// The columns chosen for the tests (`?columns=`); absent when none
    /// were: then numbers enter by their role alone, in tables or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<Columns>,
    /// Every header (equal but for case and spaces counts as one), the most
    /// numbers first: the choices for `?columns=`.
    pub columns: Vec<ColumnCount>,
    /// The tables in page order: the first [`MAX_TABLES_LISTED`].
    pub tables: Vec<TableInfo>,
    /// Each header's place in `columns`, by its [`key`] (made again when
    /// it falls behind, as after reading the stats back).
    #[serde(skip)]
    index: Index,
}

/// The headers' places by key: a cache, equal whatever it holds.
#[derive(Debug, Clone, Default)]
struct Index(std::collections::HashMap<String, usize>);

impl PartialEq for Index {
    fn eq(&self, _: &Index) -> bool {
        true
    }
}

/// The numbers under one header, over every table that has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnCount {
    /// As the first table with it writes it.
    pub header: String,
    /// Tables with a column so named.
    pub tables: u64,
    pub numbers: u64,
    pub used: u64,
    /// Whether its cells are numbers (not text beside them).
    pub numeric: bool,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    pub page: u32,
    /// Its place among its page's tables, from 1 (a number's `table`).
    pub table: u32,
    /// Lines of its body (a wrapped description's lines included).
    pub rows: u32,
    /// The box around its body and header in PDF user space.
    pub bbox: Option<[f64; 4]>,
    /// Left to right.
    pub columns: Vec<TableColumn>,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableColumn {
    /// The header above it, or `column N` when there is none.
    pub header: String,
    pub numeric: bool,
    /// Numbers found in it, and those of them that entered the tests.
    pub numbers: u64,
    pub used: u64,
}

impl TableStats {
    /// Counts a page's tables (in page order).
    pub fn add_tables(&mut self, tables: impl IntoIterator<Item = TableInfo>) {
        for table in tables {
            self.found += 1;
            for (i, column) in table.columns.iter().enumerate() {
                self.numbers += column.numbers;
                self.used += column.used;
                // A table counts once for a header it has twice.
                let again = table.columns[..i]
                    .iter()
                    .any(|c| same(&c.header, &column.header));
                self.count_column(
                    &column.header,
                    column.numeric,
                    u64::from(!again),
                    column.numbers,
                    column.used,
                );
            }
            if self.tables.len() < MAX_TABLES_LISTED {
                self.tables.push(table);
            }
        }
    }

    /// Adds another part's tables (of later pages) to these.
    pub fn merge(&mut self, other: TableStats) {
        self.found += other.found;
        self.numbers += other.numbers;
        self.used += other.used;
        for c in other.columns {
            self.count_column(&c.header, c.numeric, c.tables, c.numbers, c.used);
        }
        let room = MAX_TABLES_LISTED.saturating_sub(self.tables.len());
        self.tables.extend(other.tables.into_iter().take(room));
        if self.chosen.is_none() {
            self.chosen = other.chosen;
        }
    }

    fn count_column(&mut self, header: &str, numeric: bool, tables: u64, numbers: u64, used: u64) {
        if self.index.0.len() != self.columns.len() {
            self.index.0 = (self.columns.iter().enumerate())
                .map(|(i, c)| (key(&c.header), i))
                .collect();
        }
        let k = key(header);
        if let Some(c) = self.index.0.get(&k).and_then(|&i| self.columns.get_mut(i)) {
            c.tables += tables;
            c.numbers += numbers;
            c.used += used;
            c.numeric |= numeric;
        } else if self.columns.len() < MAX_COLUMNS_COUNTED {
            self.index.0.insert(k, self.columns.len());
            self.columns.push(ColumnCount {
                header: header.to_owned(),
                tables,
                numbers,
                used,
                numeric,
            });
        }
    }

    /// Puts the headers in the report's order: most numbers first, then by
    /// name.
    pub fn finish(&mut self) {
        self.columns.sort_by(|a, b| {
            b.numbers
                .cmp(&a.numbers)
                .then_with(|| a.header.cmp(&b.header))
        });
        self.index.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(page: u32, columns: &[(&str, u64, u64)]) -> TableInfo {
        TableInfo {
            page,
            table: 1,
            rows: 3,
            bbox: None,
            columns: columns
                .iter()
                .map(|&(header, numbers, used)| TableColumn {
                    header: header.to_owned(),
                    numeric: numbers > 0,
                    numbers,
                    used,
                })
                .collect(),
        }
    }

    #[test]
    fn headers_are_counted_across_tables_and_parts() {
        let mut a = TableStats::default();
        a.add_tables([table(1, &[("Item", 0, 0), ("Amount", 3, 3)])]);
        let mut b = TableStats::default();
        b.add_tables([
            table(2, &[("AMOUNT", 4, 2), ("Qty", 5, 5), ("amount", 0, 0)]),
            table(2, &[("Amount ", 1, 1)]),
        ]);
        a.merge(b);
        a.finish();
        assert_eq!((a.found, a.numbers, a.used), (3, 13, 11));
        let amount = &a.columns[0];
        assert_eq!(
            (
                amount.header.as_str(),
                amount.tables,
                amount.numbers,
                amount.used
            ),
            ("Amount", 3, 8, 6)
        );
        assert_eq!(a.columns[1].header, "Qty");
        assert_eq!(a.tables.len(), 3);
    }

    #[test]
    fn the_list_of_tables_is_bounded_but_all_are_counted() {
        let mut stats = TableStats::default();
        stats.add_tables((0..MAX_TABLES_LISTED as u32 + 10).map(|p| table(p, &[("A", 1, 1)])));
        let mut more = TableStats::default();
        more.add_tables([table(1, &[("B", 1, 0)])]);
        stats.merge(more);
        assert_eq!(stats.tables.len(), MAX_TABLES_LISTED);
        assert_eq!(stats.found, MAX_TABLES_LISTED as u64 + 11);
        assert_eq!(stats.columns.len(), 2);
    }
}
