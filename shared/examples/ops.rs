//! Dev aid: prints a page's content-stream operations. `cargo run -p
//! docket-shared --features analysis --example ops -- FILE PAGE`
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let doc = lopdf::Document::load(&args[1]).expect("load");
    let page: u32 = args[2].parse().expect("page");
    let id = doc.get_pages()[&page];
    let content = doc.get_page_content(id);
    let ops = lopdf::content::Content::decode(&content).expect("decode");
    for op in ops.operations {
        let args: Vec<String> = op
            .operands
            .iter()
            .map(|o| match o {
                lopdf::Object::String(b, _) => format!("({})", String::from_utf8_lossy(b)),
                other => format!("{other:?}"),
            })
            .collect();
        println!("{} {}", args.join(" "), op.operator);
    }
}
