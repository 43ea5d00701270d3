//! Generated PDFs of a chosen size, for resumable uploads and the big-file
//! benchmark: a page of numbers padded with an unreferenced stream of
//! pseudo-random bytes (which no reader has to decode), image-heavy
//! documents of many pages, and text-only ones of tens of thousands of
//! pages — the big ones written to a file object by object, never held
//! whole.

use std::io::Write;
use std::path::Path;

/// A PDF of at least `len` bytes (a few hundred more): one page of numbers
/// and `len` bytes of noise from `seed`.
pub fn padded_pdf(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut noise = Vec::with_capacity(len + 8);
    while noise.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        noise.extend_from_slice(&state.to_le_bytes());
    }
    let ops = "BT /F1 12 Tf 72 700 Td (Revenue 1,234,567 and costs 892,113; 47,201 units \
               at 19.95 each; 3,318 returns) Tj ET";
    assemble(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
          /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        stream(ops.as_bytes()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream(&noise),
    ])
}

fn stream(data: &[u8]) -> Vec<u8> {
    let mut body = format!("<< /Length {} >>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

/// Numbered objects (1 = the catalog) with a correct cross-reference table.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = writeln!(out, "{} 0 obj", i + 1);
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(out, "{offset:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out
}

/// Amounts that follow Benford's law roughly (log-uniform over 10..10^7),
/// from a seed.
struct Amounts(u64);

impl Amounts {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let unit = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        10f64.powf(1.0 + 6.0 * unit)
    }

    fn noise(&mut self, out: &mut Vec<u8>, len: usize) {
        while out.len() < len {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            out.extend_from_slice(&self.0.to_le_bytes());
        }
        out.truncate(len);
    }
}

/// A page's content: a table of `rows` lines of five amounts, drawn with F1.
fn table_page(amounts: &mut Amounts, rows: usize, image: bool) -> Vec<u8> {
    let mut ops = String::new();
    if image {
        ops.push_str("q 500 0 0 300 56 460 cm /Im1 Do Q\n");
    }
    ops.push_str("BT /F1 9 Tf 56 440 Td 11 TL\n");
    for _ in 0..rows {
        let line: Vec<String> = (0..5).map(|_| format!("{:.2}", amounts.next())).collect();
        ops.push_str(&format!("({}) '\n", line.join("   ")));
    }
    ops.push_str("ET\n");
    ops.into_bytes()
}

/// Writes PDFs object by object with their offsets, and the cross-reference
/// table at the end, so a file of a gigabyte is never held whole.
pub(crate) struct Writer<W: Write> {
    out: W,
    at: u64,
    offsets: Vec<(u32, u64)>,
}

impl<W: Write> Writer<W> {
    pub(crate) fn new(mut out: W) -> std::io::Result<Self> {
        let head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
        out.write_all(head)?;
        Ok(Writer {
            out,
            at: head.len() as u64,
            offsets: Vec::new(),
        })
    }

    pub(crate) fn object(&mut self, number: u32, body: &[u8]) -> std::io::Result<()> {
        self.offsets.push((number, self.at));
        let head = format!("{number} 0 obj\n");
        self.out.write_all(head.as_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(b"\nendobj\n")?;
        self.at += (head.len() + body.len() + 8) as u64;
        Ok(())
    }

    pub(crate) fn stream(&mut self, number: u32, dict: &str, data: &[u8]) -> std::io::Result<()> {
        let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(number, &body)
    }

    pub(crate) fn finish(mut self) -> std::io::Result<u64> {
        self.offsets.sort();
        let size = self.offsets.last().map_or(1, |(n, _)| n + 1);
        let xref = self.at;
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        let mut next = 1;
        for (number, offset) in &self.offsets {
            while next < *number {
                table.push_str("0000000000 65535 f \n");
                next += 1;
            }
            table.push_str(&format!("{offset:010} 00000 n \n"));
            next += 1;
        }
        table.push_str(&format!(
            "trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        ));
        self.out.write_all(table.as_bytes())?;
        self.out.flush()?;
        Ok(xref + table.len() as u64)
    }
}

/// An image-heavy PDF of about `target` bytes: pages each holding one
/// image of `image_bytes` pseudo-random bytes (as JPEG data, which the
/// analysis never decodes) above a table of 30 rows of amounts. Returns
/// the pages written.
pub fn write_image_heavy(
    path: &Path,
    target: u64,
    image_bytes: usize,
    seed: u64,
) -> std::io::Result<u32> {
    let pages = (target / image_bytes as u64).max(1) as u32;
    let out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut w = Writer::new(out)?;
    let mut amounts = Amounts(seed | 1);
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 3 * i)).collect();
    w.object(1, b"<< /Type /Catalog /Pages 2 0 R >>")?;
    w.object(
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        )
        .as_bytes(),
    )?;
    w.object(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")?;
    let mut noise = Vec::with_capacity(image_bytes);
    for i in 0..pages {
        let page = 4 + 3 * i;
        w.object(
            page,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R \
                 /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 {} 0 R >> >> >>",
                page + 1,
                page + 2
            )
            .as_bytes(),
        )?;
        w.stream(page + 1, "", &table_page(&mut amounts, 30, true))?;
        noise.clear();
        amounts.noise(&mut noise, image_bytes);
        w.stream(
            page + 2,
            "/Type /XObject /Subtype /Image /Width 2000 /Height 1500 /ColorSpace /DeviceRGB \
             /BitsPerComponent 8 /Filter /DCTDecode",
            &noise,
        )?;
    }
    w.finish()?;
    Ok(pages)
}

/// A text-only PDF of `pages` pages of amounts, its page tree in nodes of
/// at most 500 kids.
pub fn write_text_only(path: &Path, pages: u32, seed: u64) -> std::io::Result<u64> {
    const FANOUT: u32 = 500;
    let out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut w = Writer::new(out)?;
    let mut amounts = Amounts(seed | 1);
    let nodes = pages.div_ceil(FANOUT);
    // 1 catalog, 2 root, 3 font, 4.. nodes, then two objects per page.
    let first_page = 4 + nodes;
    w.object(1, b"<< /Type /Catalog /Pages 2 0 R >>")?;
    let node_refs: Vec<String> = (0..nodes).map(|n| format!("{} 0 R", 4 + n)).collect();
    w.object(
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            node_refs.join(" ")
        )
        .as_bytes(),
    )?;
    w.object(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")?;
    for n in 0..nodes {
        let from = n * FANOUT;
        let to = (from + FANOUT).min(pages);
        let kids: Vec<String> = (from..to)
            .map(|i| format!("{} 0 R", first_page + 2 * i))
            .collect();
        w.object(
            4 + n,
            format!(
                "<< /Type /Pages /Parent 2 0 R /Kids [{}] /Count {} >>",
                kids.join(" "),
                to - from
            )
            .as_bytes(),
        )?;
    }
    for i in 0..pages {
        let page = first_page + 2 * i;
        let node = 4 + i / FANOUT;
        w.object(
            page,
            format!(
                "<< /Type /Page /Parent {node} 0 R /MediaBox [0 0 612 792] /Contents {} 0 R \
                 /Resources << /Font << /F1 3 0 R >> >> >>",
                page + 1
            )
            .as_bytes(),
        )?;
        w.stream(page + 1, "", &table_page(&mut amounts, 30, false))?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_padded_pdf_is_as_big_as_asked_and_reads_as_one_page() {
        let bytes = padded_pdf(200_000, 9);
        assert!(
            bytes.len() >= 200_000 && bytes.len() < 201_000,
            "{}",
            bytes.len()
        );
        match crate::expect::outcome_of(&bytes) {
            crate::expect::Outcome::Completed { pages, .. } => assert_eq!(pages, 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn generated_documents_read_as_their_pages() {
        let dir = std::env::temp_dir().join(format!("docket-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let images = dir.join("images.pdf");
        let pages = write_image_heavy(&images, 3_000_000, 1_000_000, 5).expect("write");
        assert_eq!(pages, 3);
        let bytes = std::fs::read(&images).expect("read");
        assert!(bytes.len() > 3_000_000);
        match crate::expect::outcome_of(&bytes) {
            crate::expect::Outcome::Completed {
                pages,
                numbers_found,
                ..
            } => {
                assert_eq!(pages, 3);
                assert_eq!(numbers_found, 3 * 30 * 5);
            }
            other => panic!("{other:?}"),
        }
        let text = dir.join("text.pdf");
        write_text_only(&text, 1_203, 9).expect("write");
        let bytes = std::fs::read(&text).expect("read");
        match crate::expect::outcome_of(&bytes) {
            crate::expect::Outcome::Completed { pages, .. } => assert_eq!(pages, 1_203),
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
