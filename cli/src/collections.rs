//! `docket collection …`: a population of many documents. `new` makes
//! one, `add` uploads documents into it (as `submit` does, and can wait for
//! them), `close` ends the joining, `status` shows it (and with `--wait`
//! follows it to its end, a bar on a terminal), `result` prints the
//! population report, `documents` lists its documents, `cancel` and
//! `delete` end it.

use std::time::{Duration, Instant};

use clap::Subcommand;
use shared::contract::collection::{Collection, NewCollection};
use shared::contract::population::PopulationReport;
use shared::reading::columns::Columns;
use shared::reading::roles::Roles;

use crate::args::{SubmitArgs, parse_columns, parse_roles};
use crate::client::Api;
use crate::error::{CliError, CliResult, exit};
use crate::output::{Ui, state_words_of_collection};

#[derive(Subcommand)]
pub enum CollectionCommand {
    /// A new collection, open for documents; prints its id.
    New {
        name: String,
        /// Only numbers under these table column headers enter the tests
        /// (of every document, and the documents' ranking).
        #[arg(long, value_parser = parse_columns)]
        columns: Option<Columns>,
        /// Which roles of numbers enter the tests (default amount,count,other).
        #[arg(long, value_parser = parse_roles)]
        roles: Option<Roles>,
        /// POST each state the collection reaches here (signed webhooks).
        #[arg(long)]
        callback_url: Option<String>,
    },
    /// Upload PDFs into the collection (as `submit` does).
    Add {
        id: String,
        #[command(flatten)]
        args: SubmitArgs,
    },
    /// No more documents: the population is analysed once every document has ended.
    Close { id: String },
    /// The collection's state and counts; with --wait, follow it to its end
    /// and print the population's summary.
    Status {
        id: String,
        #[arg(long)]
        wait: bool,
        /// Give up waiting after this many seconds (exit code 3).
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
    },
    /// The population report (`--csv`: the documents ranked, as CSV).
    Result {
        id: String,
        #[arg(long)]
        csv: bool,
    },
    /// Its documents, in the order they joined.
    Documents { id: String },
    /// Cancel the collection and its unfinished documents.
    Cancel { id: String },
    /// Delete the collection, its documents and its result.
    Delete { id: String },
}

/// Runs every collection command but `add` (which `main` runs as a submit).
pub fn run(api: &Api, ui: &Ui, json: bool, command: CollectionCommand) -> CliResult<i32> {
    match command {
        CollectionCommand::New {
            name,
            columns,
            roles,
            callback_url,
        } => {
            let new = NewCollection {
                name,
                roles,
                columns,
                callback_url,
            };
            show(&api.create_collection(&new)?, json);
        }
        CollectionCommand::Close { id } => show(&api.collection_act(&id, "close")?, json),
        CollectionCommand::Cancel { id } => show(&api.collection_act(&id, "cancel")?, json),
        CollectionCommand::Delete { id } => {
            api.delete_collection(&id)?;
            ui.note(&format!(
                "docket: deleted collection {id} and its documents"
            ));
        }
        CollectionCommand::Status { id, wait, timeout } => {
            let Some(mut c) = api.collection(&id, None, 0)? else {
                return Err(CliError::Network("no answer".into()));
            };
            if wait {
                c = follow(api, ui, c, Duration::from_secs(timeout))?;
                show(&c, json);
                if c.state().has_result() && !json {
                    let report = parse(&api.collection_result(&id, false)?)?;
                    println!("{}", summary(&report));
                }
                return Ok(if c.state().has_result() {
                    exit::COMPLETED
                } else {
                    exit::JOB_ERROR
                });
            }
            show(&c, json);
        }
        CollectionCommand::Result { id, csv } => {
            let text = api.collection_result(&id, csv)?;
            if csv || json {
                print!("{text}");
            } else {
                println!("{}", summary(&parse(&text)?));
            }
        }
        CollectionCommand::Documents { id } => {
            let mut cursor: Option<String> = None;
            loop {
                let page = api.collection_documents(&id, cursor.as_deref())?;
                for d in &page.documents {
                    if json {
                        println!("{}", serde_json::to_string(d).unwrap_or_default());
                    } else {
                        let error = d
                            .error
                            .as_ref()
                            .map_or_else(String::new, |e| format!(": {} — {}", e.code, e.message));
                        println!("{}  {}  {}{error}", d.job_id, d.filename, d.state);
                    }
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        CollectionCommand::Add { .. } => {
            return Err(CliError::Usage("collection add is run as a submit".into()));
        }
    }
    Ok(exit::COMPLETED)
}

/// Long-polls the collection until it has ended, showing each change.
fn follow(api: &Api, ui: &Ui, mut c: Collection, timeout: Duration) -> CliResult<Collection> {
    let deadline = Instant::now() + timeout;
    ui.collection(&c);
    while !c.state().is_terminal() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(CliError::Timeout(timeout));
        }
        let wait = left.as_secs().clamp(1, 20) as u32;
        if let Some(newer) = api.collection(&c.id, Some(c.version()), wait)? {
            c = newer;
            ui.collection(&c);
        }
    }
    Ok(c)
}

fn parse(text: &str) -> CliResult<PopulationReport> {
    serde_json::from_str(text)
        .map_err(|e| CliError::Network(format!("unexpected population report ({e})")))
}

/// One line per collection: id, name, state and counts (or its JSON).
fn show(c: &Collection, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(c).unwrap_or_default());
    } else {
        println!("{}  {}  {}", c.id, c.name, state_words_of_collection(c));
    }
}

/// The population in a few lines: its size, the first-digit verdict, the
/// documents that deviate most and the amounts shared across documents.
pub fn summary(r: &PopulationReport) -> String {
    let first = &r.benford.first_digit;
    let mut out = format!(
        "  {} documents ({} left out), {} pages, {} numbers found, {} used for Benford\n  \
         first digit: {}\n  {}",
        r.documents_analysed,
        r.documents_left_out,
        r.pages,
        r.numbers.found,
        r.numbers.used,
        crate::output::verdict(first),
        first.conformity.explain()
    );
    out.push_str("\n  documents that deviate most (smallest p-value first):");
    for d in r.documents.iter().take(5) {
        out.push_str(&format!(
            "\n    {}  {}  {} used, MAD {:.5}, p {:.2e}",
            d.job_id, d.filename, d.used, d.mad, d.p_value
        ));
    }
    if !r.shared_amounts.is_empty() {
        out.push_str("\n  amounts in several documents:");
        for s in r.shared_amounts.iter().take(5) {
            out.push_str(&format!(
                "\n    {}  in {} documents, {} times",
                s.amount, s.documents, s.count
            ));
        }
    }
    out
}
