//! Generated PDFs of a chosen size, for resumable uploads and the big-file
//! benchmark: a page of numbers, padded with an unreferenced stream of
//! pseudo-random bytes (which no reader has to decode).

use std::io::Write;

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
}
