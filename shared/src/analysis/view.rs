//! One page looked at again after (or apart from) the analysis: its lines
//! with their boxes, for drawing it (`GET /jobs/{id}/pages/{n}`), and the
//! tables found in it ([`crate::reading::tables`]).

use super::source::ByteSource;
use super::{Analysis, AnalysisError, Loaded, layout};
use crate::forensics::evidence::{PageView, ViewLine};
use crate::reading::tables::PageTables;

impl<S: ByteSource> Analysis<S> {
    /// Page `page` (1-based) loaded and laid out, with its object id.
    async fn page_layout(
        &mut self,
        page: u32,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<(lopdf::ObjectId, layout::Layout), AnalysisError> {
        let index = page.checked_sub(1).map(|i| i as usize);
        let Some(index) = index.filter(|i| *i < self.pages.len()) else {
            return Err(AnalysisError::Damaged(format!(
                "the document has no page {page}"
            )));
        };
        // A page tree read again whole starts over: ask once more.
        let mut page_id = self.pages[index];
        let mut loaded = self.load_page(page_id, now_ms).await?;
        if loaded == Loaded::Restarted {
            page_id = *self.pages.get(index).ok_or_else(|| {
                AnalysisError::Damaged(format!("the document has no page {page}"))
            })?;
            loaded = self.load_page(page_id, now_ms).await?;
        }
        if let Loaded::Missing(why) = loaded {
            return Err(AnalysisError::Damaged(format!(
                "page {page} is not whole in the file ({why})"
            )));
        }
        Ok((page_id, self.layout_of(page_id)?))
    }

    /// The text lines of page `page` (1-based) with their boxes and the
    /// page's media box, for drawing it (`GET /jobs/{id}/pages/{n}`).
    pub async fn view_page(
        &mut self,
        page: u32,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<PageView, AnalysisError> {
        let (page_id, layout) = self.page_layout(page, now_ms).await?;
        let lines = layout
            .text
            .lines()
            .zip(&layout.lines)
            .filter_map(|(text, place)| {
                Some(ViewLine {
                    text: text.to_owned(),
                    bbox: place.bbox(0, place.spans.len())?,
                    size: (place.em * 100.0).round() / 100.0,
                })
            })
            .collect();
        Ok(PageView {
            page,
            media_box: super::media_box(&self.doc, page_id),
            lines,
        })
    }

    /// The lines of page `page` (1-based), top to bottom, and the tables
    /// found among them (`PageTables::place` takes these lines' indices).
    pub async fn page_tables(
        &mut self,
        page: u32,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<(Vec<String>, PageTables), AnalysisError> {
        let (_, layout) = self.page_layout(page, now_ms).await?;
        let rows = super::tabulate::rows_of(layout.text.lines(), &layout.lines);
        let tables = PageTables::find(&rows);
        Ok((rows.iter().map(|r| r.text.to_owned()).collect(), tables))
    }
}
