//! Prints every number of a PDF with its role and the rule that gave it:
//! `cargo run -p docket-shared --features analysis --example roles -- FILE [ROLE]`.

use shared::analysis::source::ready;
use shared::analysis::{Analysis, Limits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: roles FILE [ROLE]")?;
    let only = args.next();
    let bytes = std::fs::read(path)?;
    let limits = Limits::default();
    let numbers = ready(async {
        let analysis = Analysis::open(bytes.as_slice(), &limits, &|| 0.0).await?;
        Ok::<_, shared::analysis::AnalysisError>(analysis.partial(&|| 0.0).await?.listed)
    })
    .ok_or("a read from memory did not finish")??;
    for n in numbers.rows() {
        if only.as_deref().is_none_or(|r| r == n.role.name()) {
            println!(
                "p{} {:<11} {:<18} {:<14} | {}",
                n.page,
                n.role.name(),
                n.why,
                n.text,
                n.line
            );
        }
    }
    Ok(())
}
