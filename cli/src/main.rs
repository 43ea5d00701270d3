//! `docket`: submit PDFs to a Docket server and wait for their analysis by
//! polling, over a WebSocket or through a webhook. See `docket --help`.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use docket_cli::args::{SubmitArgs, Waiting};
use docket_cli::client::Api;
use docket_cli::error::{CliError, CliResult, exit};
use docket_cli::follow::{Listening, finish, follow, parse_report, print_jobs};
use docket_cli::hook::Hook;
use docket_cli::output::{self, Ui};
use docket_cli::wait::Mode;
use shared::contract::api::{Job, JobState};
use shared::delivery::client::UploadQuery;

#[derive(Parser)]
#[command(
    name = "docket",
    version,
    about = "Submit PDFs to a Docket server and learn when their analysis is done.",
    after_help = "Exit codes: 0 completed, 1 a job ended in error (or was cancelled), 2 usage, \
                  3 timeout, 4 the server refused, failed or could not be reached, 130 \
                  interrupted. Ctrl-C while waiting asks whether to cancel the unfinished jobs."
)]
struct Cli {
    /// The server.
    #[arg(
        long,
        global = true,
        env = "DOCKET_URL",
        default_value = "http://127.0.0.1:8787"
    )]
    server: String,
    /// The owner token (default: the one saved for this server, minted on first use).
    #[arg(long, global = true, env = "DOCKET_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Machine-readable output on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// No progress on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Mint an owner token for this server and save it (prints it, for the SPA or scripts).
    Token,
    /// Upload PDFs; with --wait, follow them to the end and print what was found.
    Submit(SubmitArgs),
    /// Collections: many documents tested as one population.
    #[command(subcommand)]
    Collection(docket_cli::collections::CollectionCommand),
    /// One job's state; with --wait, follow it to the end.
    Status {
        id: String,
        #[arg(long, value_enum)]
        wait: Option<Mode>,
        #[command(flatten)]
        waiting: Waiting,
    },
    /// The owner's jobs, newest first.
    Jobs {
        #[arg(long, value_parser = parse_state)]
        state: Option<JobState>,
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: u32,
        /// Continue from a previous page's `next_cursor`.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// A completed job's report.
    Result {
        id: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Cancel unfinished jobs: queued ones end at once, running ones at their next page.
    Cancel {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Delete a job, its PDF and its report.
    Delete { id: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Csv,
    Table,
}

fn parse_state(text: &str) -> Result<JobState, String> {
    JobState::ALL
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
            format!("one of {} (not {text:?})", names.join(", "))
        })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("docket: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn run(cli: Cli) -> CliResult<i32> {
    let ui = Ui::new(cli.quiet);
    match cli.command {
        Command::Token => {
            let mut api = Api::anonymous(&cli.server);
            let path = api.mint_and_save()?;
            println!("{}", api.token().unwrap_or_default());
            ui.note(&format!(
                "docket: saved for {} in {}",
                cli.server,
                path.display()
            ));
            Ok(exit::COMPLETED)
        }
        Command::Submit(args) => submit(&cli.server, cli.token, &ui, cli.json, args, None),
        Command::Collection(command) => {
            let api = Api::owner(&cli.server, cli.token.clone())?;
            match command {
                docket_cli::collections::CollectionCommand::Add { id, args } => {
                    submit(&cli.server, cli.token, &ui, cli.json, args, Some(id))
                }
                other => docket_cli::collections::run(&api, &ui, cli.json, other),
            }
        }
        Command::Status { id, wait, waiting } => {
            let api = Api::owner(&cli.server, cli.token)?;
            let Some(mode) = wait else {
                let job = api.job(&id)?;
                print_jobs(&[job], cli.json);
                return Ok(exit::COMPLETED);
            };
            if mode == Mode::Webhook {
                return Err(CliError::Usage(
                    "a job's webhook is set when it is submitted: use --wait poll, long-poll, ws or sse here"
                        .into(),
                ));
            }
            let listening = Listening::open(&api, Some(mode))?;
            let finals = follow(&api, &ui, mode, listening, &[id], waiting.timeout)?;
            finish(&api, &finals, cli.json)
        }
        Command::Jobs {
            state,
            limit,
            cursor,
        } => {
            let api = Api::owner(&cli.server, cli.token)?;
            let list = api.jobs(state, limit, cursor.as_deref())?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            } else {
                for job in &list.jobs {
                    println!("{}", output::job_line(job));
                }
                if let Some(next) = &list.next_cursor {
                    eprintln!("docket: more with --cursor {next}");
                }
            }
            Ok(exit::COMPLETED)
        }
        Command::Result { id, format } => {
            let api = Api::owner(&cli.server, cli.token)?;
            match format {
                Format::Csv => print!("{}", api.result(&id, true)?),
                Format::Json => println!("{}", api.result(&id, false)?),
                Format::Table => {
                    let report = parse_report(&api.result(&id, false)?)?;
                    let job = api.job(&id)?;
                    println!("{}", output::summary(&job, Some(&report)));
                    print!("\n{}", output::digit_table(&report));
                }
            }
            Ok(exit::COMPLETED)
        }
        Command::Cancel { ids } => {
            let api = Api::owner(&cli.server, cli.token)?;
            let jobs = ids
                .iter()
                .map(|id| api.cancel(id))
                .collect::<CliResult<Vec<Job>>>()?;
            print_jobs(&jobs, cli.json);
            Ok(exit::COMPLETED)
        }
        Command::Delete { id } => {
            let api = Api::owner(&cli.server, cli.token)?;
            api.delete(&id)?;
            if !cli.quiet {
                eprintln!("docket: deleted {id}");
            }
            Ok(exit::COMPLETED)
        }
    }
}

/// Uploads the files (into a collection, when given) and, with `--wait`,
/// follows them to the end.
fn submit(
    server: &str,
    token: Option<String>,
    ui: &Ui,
    json: bool,
    args: SubmitArgs,
    collection: Option<String>,
) -> CliResult<i32> {
    let SubmitArgs {
        files,
        callback_url,
        idempotency_key,
        roles,
        columns,
        resumable_above,
        limit_rate,
        wait,
        waiting,
    } = args;

    if idempotency_key.is_some() && files.len() > 1 {
        return Err(CliError::Usage(
            "--idempotency-key names one submit: give one file".into(),
        ));
    }
    if wait == Some(Mode::Webhook) && callback_url.is_some() {
        return Err(CliError::Usage(
            "--wait webhook listens itself: use --public-url, not --callback-url".into(),
        ));
    }
    let api = Api::owner(server, token)?;
    // Listen before uploading, so no event is missed.
    let mut listening = Listening::open(&api, wait)?;
    let hook = match wait {
        Some(Mode::Webhook) => {
            let hook = Hook::start(&waiting.listen, waiting.public_url.as_deref())?;
            ui.note(&format!("docket: listening for webhooks at {}", hook.url()));
            Some(hook)
        }
        _ => None,
    };
    let callback = hook.as_ref().map(|h| h.url().to_owned()).or(callback_url);
    listening.hook = hook;
    let mut jobs = Vec::new();
    for file in &files {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let name = file.display().to_string();
        let query = UploadQuery {
            callback_url: callback.clone(),
            roles,
            columns: columns.clone(),
            collection: collection.clone(),
        };
        let job = docket_cli::resume::upload(
            &api,
            file,
            &query,
            idempotency_key.as_deref(),
            docket_cli::resume::Options {
                above: resumable_above,
                limit_rate,
            },
            ui.upload(&name, size),
        )?;
        ui.job(&job);
        jobs.push(job);
    }
    let Some(mode) = wait else {
        print_jobs(&jobs, json);
        return Ok(exit::COMPLETED);
    };
    let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
    let finals = follow(&api, ui, mode, listening, &ids, waiting.timeout)?;
    finish(&api, &finals, json)
}
