//! The arguments `submit` and `collection add` share: the files, how they
//! are uploaded and analysed, and how to wait for them.

use std::path::PathBuf;

use shared::reading::columns::Columns;
use shared::reading::roles::Roles;

use crate::wait::Mode;

/// What `submit` (and `collection add`) take.
#[derive(clap::Args)]
pub struct SubmitArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// POST each state change here (signed webhooks).
    #[arg(long)]
    pub callback_url: Option<String>,
    /// Makes a retried submit return the same job (one file only).
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// Which roles of numbers enter the Benford tests, comma-separated
    /// (amount, count, percentage, year, date, page_number, section,
    /// reference, identifier, other; default amount,count,other).
    #[arg(long, value_parser = parse_roles)]
    pub roles: Option<Roles>,
    /// Only numbers under these table column headers enter the tests,
    /// comma-separated, matched without regard to case (`GET
    /// /jobs/{id}/tables` lists a document's headers).
    #[arg(long, value_parser = parse_columns)]
    pub columns: Option<Columns>,
    /// Files bigger than this (bytes) go up resumably: in parts, resumed
    /// after a lost connection, and by the next `docket submit` of the
    /// same file after an interrupted run.
    #[arg(long, default_value_t = crate::resume::RESUMABLE_ABOVE)]
    pub resumable_above: u64,
    /// Send at most this many bytes per second.
    #[arg(long)]
    pub limit_rate: Option<u64>,
    #[arg(long, value_enum)]
    pub wait: Option<Mode>,
    #[command(flatten)]
    pub waiting: Waiting,
}

#[derive(clap::Args)]
pub struct Waiting {
    /// Give up waiting after this many seconds (exit code 3).
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// --wait webhook: where to listen.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// --wait webhook: the URL the server should call, when not the listener's
    /// own (a tunnel to it).
    #[arg(long)]
    pub public_url: Option<String>,
}

/// `--columns`: checked before anything is sent.
pub fn parse_columns(raw: &str) -> Result<Columns, String> {
    Columns::parse(raw)
}

/// `--roles`: checked before anything is sent.
pub fn parse_roles(raw: &str) -> Result<Roles, String> {
    Roles::parse(raw)
}
