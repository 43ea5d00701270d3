//! Layout: every glyph with its device-space position, advance and font
//! size; at the end of a page the glyphs grouped into lines (baselines within
//! half a font size), each sorted left to right with a space where the gap is
//! wider than [`SPACE_GAP_EM`], and each line's place on the
//! page ([`Layout`], [`LineBox`]).

/// Gap, in ems, above which two glyphs are separate words.
pub const SPACE_GAP_EM: f64 = 0.15;

/// Baselines closer than this many ems are one line.
pub const SAME_LINE_EM: f64 = 0.5;

/// Most glyphs recorded on one page (the rest of the page is ignored).
pub const MAX_GLYPHS_PER_PAGE: usize = 400_000;

/// One glyph placed on the page, in its own baseline's frame (rotated text is
/// turned level, so `x` runs along the baseline).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Glyph {
    /// Baseline direction, whole degrees: glyphs of one direction are laid out together.
    pub(crate) dir: i16,
    pub(crate) x: f64,
    pub(crate) y: f64,
    /// Advance along the baseline, device units.
    pub(crate) width: f64,
    /// Font size, device units.
    pub(crate) em: f64,
    /// Its text: `Sink::chars[start..start + len]`.
    pub(crate) start: u32,
    pub(crate) len: u8,
}

/// The glyphs of one page, being collected.
#[derive(Default)]
pub(crate) struct Sink {
    pub(crate) glyphs: Vec<Glyph>,
    pub(crate) chars: Vec<char>,
}

impl Sink {
    pub(crate) fn push(&mut self, dir: i16, x: f64, y: f64, width: f64, em: f64, text: &str) {
        if self.glyphs.len() >= MAX_GLYPHS_PER_PAGE {
            return;
        }
        let start = self.chars.len() as u32;
        let mut len = 0u8;
        // Spaces are not recorded: the layout puts a space wherever the page has
        // a gap, and a drawn space that overlaps the next column must not split it.
        for c in text.chars().take(8) {
            if !c.is_whitespace() && !c.is_control() && c != '\u{a0}' {
                self.chars.push(c);
                len += 1;
            }
        }
        if len > 0 {
            self.glyphs.push(Glyph {
                dir,
                x,
                y,
                width,
                em,
                start,
                len,
            });
        }
    }

    /// Lays the glyphs out into lines of words.
    ///
    /// Sorted by direction, then from the top, then from the left, each
    /// line's glyphs are a run of the sorted glyphs: it is sorted from the
    /// left in place and written out, a space wherever the gap between two
    /// glyphs is wider than [`SPACE_GAP_EM`]. Each line's place on the page
    /// comes with it ([`Layout::lines`]).
    pub(crate) fn layout(mut self) -> Layout {
        let glyphs = &mut self.glyphs;
        // Stable, and quick on glyphs drawn mostly in reading order (the
        // sort finds the runs already in order).
        glyphs.sort_by(|a, b| {
            a.dir
                .cmp(&b.dir)
                .then(b.y.total_cmp(&a.y))
                .then(a.x.total_cmp(&b.x))
        });
        let mut out = String::with_capacity(self.chars.len() + self.chars.len() / 4);
        let mut lines = Vec::new();
        let mut start = 0;
        while start < glyphs.len() {
            let first = glyphs[start];
            let end = start
                + glyphs[start..]
                    .iter()
                    .position(|g| {
                        g.dir != first.dir
                            || (first.y - g.y).abs() >= SAME_LINE_EM * first.em.max(g.em)
                    })
                    .unwrap_or(glyphs.len() - start);
            let line = &mut glyphs[start..end];
            start = end;
            line.sort_by(|a, b| a.x.total_cmp(&b.x));
            let line_start = out.len();
            let mut spans: Vec<(f32, f32)> = Vec::with_capacity(line.len() + line.len() / 4);
            let mut em = 0.0f64;
            let mut prev: Option<&Glyph> = None;
            for g in line.iter() {
                let chars = &self.chars[g.start as usize..g.start as usize + g.len as usize];
                if let Some(p) = prev {
                    let duplicate = (g.x - p.x).abs() < 0.1 * g.em
                        && self.chars[p.start as usize..p.start as usize + p.len as usize]
                            == *chars;
                    if duplicate {
                        continue;
                    }
                    let gap = g.x - (p.x + p.width);
                    if gap > SPACE_GAP_EM * p.em.max(g.em) && !out.ends_with(' ') {
                        out.push(' ');
                        spans.push(((p.x + p.width) as f32, g.x as f32));
                    }
                }
                out.extend(chars);
                let span = (g.x as f32, (g.x + g.width.max(0.0)) as f32);
                spans.extend(std::iter::repeat_n(span, chars.len()));
                em = em.max(g.em);
                prev = Some(g);
            }
            let kept = out[line_start..].trim_end().len();
            let kept_chars = out[line_start..line_start + kept].chars().count();
            out.truncate(line_start + kept);
            spans.truncate(kept_chars);
            if kept > 0 {
                out.push('\n');
                lines.push(LineBox {
                    dir: first.dir,
                    baseline: first.y,
                    em,
                    spans,
                });
            }
        }
        Layout { text: out, lines }
    }
}

/// A page's text and where its lines are: `lines[i]` is the `i`-th line
/// of `text`.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub text: String,
    pub lines: Vec<LineBox>,
}

/// Where one line of text sits: its baseline in the frame turned level by
/// `dir` degrees, its largest font size, and each character's span along
/// the baseline (spaces span the gap they stand for).
#[derive(Debug, Clone, Default)]
pub struct LineBox {
    pub dir: i16,
    pub baseline: f64,
    pub em: f64,
    pub spans: Vec<(f32, f32)>,
}

impl LineBox {
    /// The box of characters `from..to` of the line in PDF user space,
    /// `[x0, y0, x1, y1]` (lower left, upper right): from a fifth of the
    /// font size below the baseline to four fifths above, turned back by
    /// the line's direction. `None` when the characters are not all there.
    pub fn bbox(&self, from: usize, to: usize) -> Option<[f64; 4]> {
        if from >= to {
            return None;
        }
        let x0 = f64::from(self.spans.get(from)?.0);
        let x1 = f64::from(self.spans.get(to - 1)?.1);
        let (y0, y1) = (self.baseline - 0.2 * self.em, self.baseline + 0.8 * self.em);
        let round = |v: f64| (v * 100.0).round() / 100.0;
        if self.dir == 0 {
            // Upright, as most lines are: no turn.
            let (lo, hi) = (x0.min(x1), x0.max(x1));
            return Some([round(lo), round(y0.min(y1)), round(hi), round(y0.max(y1))]);
        }
        let (sin, cos) = f64::from(self.dir).to_radians().sin_cos();
        let turn = |x: f64, y: f64| (x * cos - y * sin, x * sin + y * cos);
        let corners = [turn(x0, y0), turn(x1, y0), turn(x0, y1), turn(x1, y1)];
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for (x, y) in corners {
            lo = (lo.0.min(x), lo.1.min(y));
            hi = (hi.0.max(x), hi.1.max(y));
        }
        Some([round(lo.0), round(lo.1), round(hi.0), round(hi.1)])
    }
}
