//! PDFs built by hand for the engine's tests: pages with the content
//! streams a test asks for, numbered objects and a classic cross-reference
//! table.

#![allow(dead_code)] // each test binary uses its own part

use std::io::Write;

/// `data` deflated with zlib.
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("deflate");
    encoder.finish().expect("deflate")
}

/// Content-stream operators drawing `text` in Helvetica, one line a line.
pub fn content(text: &str) -> Vec<u8> {
    let mut ops = String::from("BT /F1 11 Tf 72 720 Td 14 TL\n");
    for line in text.lines() {
        ops.push_str(&format!("({line}) Tj T*\n"));
    }
    ops.push_str("ET\n");
    ops.into_bytes()
}

/// A PDF with one page per `(filter, stored data)` content stream (font
/// `/F1` is Helvetica).
pub fn pdf(pages: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let n = pages.len();
    let first_page = 4;
    let kids: Vec<String> = (0..n)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    for (i, (filter, data)) in pages.iter().enumerate() {
        push_page(&mut objects, 2, first_page + 2 * i + 1, filter, data);
    }
    serialise(&objects)
}

/// Like [`pdf`], the pages in a page tree of nodes of `per_node` kids each
/// (under the root).
pub fn pdf_in_nodes(pages: &[(&str, Vec<u8>)], per_node: usize) -> Vec<u8> {
    let n = pages.len();
    let nodes = n.div_ceil(per_node.max(1));
    let first_page = 4 + nodes;
    let node_refs: Vec<String> = (0..nodes).map(|i| format!("{} 0 R", 4 + i)).collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n} >>",
            node_refs.join(" ")
        )
        .into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    for i in 0..nodes {
        let from = i * per_node;
        let to = (from + per_node).min(n);
        let kids: Vec<String> = (from..to)
            .map(|p| format!("{} 0 R", first_page + 2 * p))
            .collect();
        objects.push(
            format!(
                "<< /Type /Pages /Parent 2 0 R /Kids [{}] /Count {} >>",
                kids.join(" "),
                to - from
            )
            .into_bytes(),
        );
    }
    for (i, (filter, data)) in pages.iter().enumerate() {
        let node = 4 + i / per_node.max(1);
        push_page(&mut objects, node, first_page + 2 * i + 1, filter, data);
    }
    serialise(&objects)
}

/// A page under node `parent` (Helvetica as `/F1`, object 3) and its
/// content stream, object `contents`, which comes right after it.
fn push_page(
    objects: &mut Vec<Vec<u8>>,
    parent: usize,
    contents: usize,
    filter: &str,
    data: &[u8],
) {
    objects.push(
        format!(
            "<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 612 792] /Contents {contents} 0 R \
             /Resources << /Font << /F1 3 0 R >> >> >>"
        )
        .into_bytes(),
    );
    let mut stream =
        format!("<< /Length {} /Filter {filter} >>\nstream\n", data.len()).into_bytes();
    stream.extend_from_slice(data);
    stream.extend_from_slice(b"\nendstream");
    objects.push(stream);
}

/// Objects numbered from 1 in order, with a classic cross-reference table.
pub fn serialise(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The report of `bytes` and every number the engine found in it, the
/// roles chosen when given.
pub fn analysed_with_numbers(
    bytes: &[u8],
    roles: Option<shared::reading::roles::Roles>,
) -> Result<
    (
        shared::contract::report::Report,
        Vec<shared::analysis::Listed>,
    ),
    shared::analysis::AnalysisError,
> {
    use shared::analysis::{Analysis, Limits, source::ready};
    let limits = Limits::default();
    ready(async {
        let mut analysis = Analysis::open(bytes, &limits, &|| 0.0).await?;
        if let Some(roles) = roles {
            analysis.select_roles(roles);
        }
        // The list stays with the partial, which the merge reads for the
        // suspects.
        let partial = analysis.partial(&|| 0.0).await?;
        let numbers = partial.listed.rows().collect();
        let mut merger = shared::analysis::Merger::default();
        merger.add(partial);
        Ok((merger.finish(&|| 0.0)?, numbers))
    })
    .expect("reads from memory finish at once")
}
