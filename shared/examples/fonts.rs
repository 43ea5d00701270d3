//! Dev aid: lists a page's fonts. `cargo run -p docket-shared --features
//! analysis --example fonts -- FILE PAGE`
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let doc = lopdf::Document::load(&args[1]).expect("load");
    let page: u32 = args[2].parse().expect("page");
    let id = doc.get_pages()[&page];
    for (name, font) in doc.get_page_fonts(id).expect("fonts") {
        let get = |k: &[u8]| font.get(k).map(|o| format!("{o:?}")).unwrap_or_default();
        println!(
            "{} subtype={} base={} enc={} tounicode={}",
            String::from_utf8_lossy(&name),
            get(b"Subtype"),
            get(b"BaseFont"),
            get(b"Encoding"),
            get(b"ToUnicode")
        );
    }
}
