//! A page's tables as the analysis counts numbers into them: each number's
//! table and column ([`crate::reading::tables`]), whether that column is
//! one of those chosen (`?columns=`), the list's cell for it, and per
//! column how many numbers stood in it and entered the tests — the
//! report's [`TableInfo`]s once the page is done.

use super::layout::LineBox;
use crate::contract::tables::{TableColumn, TableInfo};
use crate::forensics::list::NumberList;
use crate::reading::columns::Columns;
use crate::reading::tables::{PageTables, Row};

/// A page's lines as the table finder reads them.
pub(crate) fn rows_of<'a>(
    text: impl Iterator<Item = &'a str>,
    places: &'a [LineBox],
) -> Vec<Row<'a>> {
    text.zip(places)
        .map(|(text, place)| Row {
            text,
            dir: place.dir,
            baseline: place.baseline,
            em: place.em,
            spans: &place.spans,
        })
        .collect()
}

/// Where a number stands: its table and column on the page.
pub(crate) type Spot = (usize, Option<usize>);

/// One column of a page's table as the page is counted.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    cell: u16,
    chosen: bool,
    numbers: u64,
    used: u64,
}

/// The tables of one page being counted.
pub(crate) struct PageCells {
    tables: PageTables,
    /// Per table, per column.
    columns: Vec<Vec<Tally>>,
    /// Per table, the list's cell of a number under no column.
    loose: Vec<u16>,
}

impl PageCells {
    /// Finds the tables among a page's lines (`text` and `places`, one per
    /// line), registering their cells with `listed`.
    pub(crate) fn find(
        text: &[&str],
        places: &[LineBox],
        listed: &mut NumberList,
        chosen: Option<&Columns>,
    ) -> PageCells {
        let tables = PageTables::find(&rows_of(text.iter().copied(), places));
        let mut columns = Vec::with_capacity(tables.tables.len());
        let mut loose = Vec::with_capacity(tables.tables.len());
        for (t, table) in tables.tables.iter().enumerate() {
            let number = t as u32 + 1;
            loose.push(listed.cell(number, None));
            columns.push(
                table
                    .columns
                    .iter()
                    .map(|c| Tally {
                        cell: listed.cell(number, Some(&c.header)),
                        chosen: chosen.is_some_and(|chosen| chosen.matches(&c.header)),
                        numbers: 0,
                        used: 0,
                    })
                    .collect(),
            );
        }
        PageCells {
            tables,
            columns,
            loose,
        }
    }

    /// Whether the page has a table at all (else no number needs placing).
    pub(crate) fn any(&self) -> bool {
        !self.tables.tables.is_empty()
    }

    /// Where characters `from..to` of line `line` stand.
    pub(crate) fn spot(&self, line: usize, from: usize, to: usize) -> Option<Spot> {
        self.tables.place(line, from, to)
    }

    /// Whether a number standing at `spot` is in a chosen column.
    pub(crate) fn chosen(&self, spot: Option<Spot>) -> bool {
        self.tally(spot).is_some_and(|t| t.chosen)
    }

    /// The list's cell of a number at `spot` (0: in no table).
    pub(crate) fn cell(&self, spot: Option<Spot>) -> u16 {
        match spot {
            Some((t, None)) => self.loose.get(t).copied().unwrap_or(0),
            _ => self.tally(spot).map_or(0, |t| t.cell),
        }
    }

    /// Counts a number at `spot`, and whether it entered the tests.
    pub(crate) fn count(&mut self, spot: Option<Spot>, used: bool) {
        if let Some((t, Some(c))) = spot
            && let Some(tally) = self.columns.get_mut(t).and_then(|cs| cs.get_mut(c))
        {
            tally.numbers += 1;
            tally.used += u64::from(used);
        }
    }

    fn tally(&self, spot: Option<Spot>) -> Option<&Tally> {
        let (t, c) = spot?;
        self.columns.get(t)?.get(c?)
    }

    /// The page's tables for the report, with the box around each (its
    /// header's and body's lines).
    pub(crate) fn finish(self, page: u32, places: &[LineBox]) -> Vec<TableInfo> {
        self.tables
            .tables
            .iter()
            .zip(self.columns)
            .enumerate()
            .map(|(t, (table, tallies))| {
                let bbox = table
                    .header
                    .iter()
                    .chain(&table.rows)
                    .filter_map(|&i| {
                        let place = places.get(i)?;
                        place.bbox(0, place.spans.len())
                    })
                    .reduce(|a, b| {
                        [
                            a[0].min(b[0]),
                            a[1].min(b[1]),
                            a[2].max(b[2]),
                            a[3].max(b[3]),
                        ]
                    });
                TableInfo {
                    page,
                    table: t as u32 + 1,
                    rows: table.rows.len() as u32,
                    bbox,
                    columns: table
                        .columns
                        .iter()
                        .zip(tallies)
                        .map(|(c, tally)| TableColumn {
                            header: c.header.clone(),
                            numeric: c.numeric,
                            numbers: tally.numbers,
                            used: tally.used,
                        })
                        .collect(),
                }
            })
            .collect()
    }
}
