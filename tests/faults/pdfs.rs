//! Hostile PDFs written on the spot: a decompression bomb, deep nesting,
//! random bytes behind a PDF header. Each is a complete file with a correct
//! cross-reference table, so it is the content that is hostile, not the syntax.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// A PDF of one page from numbered object bodies (1 = catalog, 2 = pages,
/// 3 = page); `extra` objects follow from 4 on.
pub fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        writeln!(out, "{} 0 obj", i + 1).expect("write");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).expect("write");
    for offset in offsets {
        writeln!(out, "{offset:010} 00000 n ").expect("write");
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .expect("write");
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

/// A page whose content stream inflates to `inflated` bytes of spaces.
pub fn decompression_bomb(inflated: usize) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    let block = vec![b' '; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(block.len());
        encoder.write_all(&block[..n]).expect("compress");
        left -= n;
    }
    let data = encoder.finish().expect("compress");
    assemble(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &data),
    ])
}

/// A page whose resources hold a dictionary nested `depth` levels deep and
/// whose content shows a few numbers.
pub fn nested(depth: usize) -> Vec<u8> {
    let deep = format!("{}1{}", "<< /A ".repeat(depth), " >>".repeat(depth));
    let content = b"BT /F1 12 Tf 72 700 Td (Totals 1234 5678 91011) Tj ET";
    assemble(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
             /Resources << /Font << /F1 5 0 R >> /Deep {deep} >> >>"
        )
        .into_bytes(),
        stream("", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ])
}

/// `len` pseudo-random bytes (a fixed-seed xorshift) behind a `%PDF-` header.
pub fn random_with_header(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.max(1);
    let mut out = b"%PDF-1.4\n".to_vec();
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A page of a [`pages`] document: readable text, or a content stream
/// whose Flate data is not zlib at all.
pub enum Page<'a> {
    Text(&'a str),
    Corrupt,
}

/// A document of several pages drawn with Helvetica, each content stream
/// Flate-compressed (or corrupt, where asked).
pub fn pages(pages: &[Page]) -> Vec<u8> {
    let n = pages.len();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    for (i, page) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R \
                 /Resources << /Font << /F1 3 0 R >> >> >>",
                5 + 2 * i
            )
            .into_bytes(),
        );
        let data = match page {
            Page::Text(text) => {
                let ops = format!("BT /F1 12 Tf 72 700 Td ({text}) Tj ET");
                let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
                encoder.write_all(ops.as_bytes()).expect("compress");
                encoder.finish().expect("compress")
            }
            Page::Corrupt => b"these bytes are not zlib data".to_vec(),
        };
        objects.push(stream("/Filter /FlateDecode", &data));
    }
    assemble(&objects)
}
