//! The `JobHub`'s calls (one hub per owner): the job index and long-polls,
//! the event stream's tickets and sockets, webhook secrets, settings and
//! outbox, request rates and quotas, attempts and cancels, resumable
//! uploads, a long document's slices and collections.

use serde::{Deserialize, Serialize};
use shared::contract::api::Job;
use shared::contract::collection::{Collection, CollectionPage, DocumentPage};
use shared::contract::listing::{JobList, Query};
use shared::delivery::ratelimit::{Decision, Quotas, Rule};
use shared::delivery::webhook_ops::{Replayed, Settings};
use shared::delivery::webhooks::Secrets;
use shared::jobs::queue::{FanIn, Plan};
use shared::jobs::state::Stamp;
use shared::jobs::upload::Upload;
use shared::jobs::watchdog::Claimed;
use worker::{Env, Headers, Response};

use super::hub_collections::{
    Acted, CollectionAct, CollectionCreate, CollectionDocuments, CollectionGet, CollectionList,
    CollectionMembers, CollectionRunningEta, CollectionWait, Members, PopulationDone,
};
use super::hub_work::{
    PlanSlices, SliceDone, SliceProgress, SliceStart, SlicesOf, UploadCompleting, UploadDone,
    UploadDrop, UploadGet, UploadKept, UploadTailKept,
};
use super::{Call, Object, Protocol, calls, forward, send};
use crate::config::JOB_HUB;
use crate::error::AppResult;

use super::limiter::CountRequest;

/// The `JobHub` protocol.
pub struct HubProtocol;

impl Protocol for HubProtocol {
    type Calls = HubCall;
}

/// Every call a hub understands.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HubCall {
    Publish(Publish),
    MarkDeleted(MarkDeleted),
    GetJob(GetJob),
    List(List),
    Wait(Wait),
    GrantTicket(GrantTicket),
    /// A WebSocket upgrade ([`connect`]): answered as it is (101, or 401).
    Connect(Connect),
    /// A Server-Sent Event stream ([`open_stream`]): answered as it is.
    Stream(Connect),
    InitSecrets(InitSecrets),
    RotateSecrets(RotateSecrets),
    GetSecrets(GetSecrets),
    AddToOutbox(Outgoing),
    GetWebhookSettings(GetWebhookSettings),
    PutWebhookSettings(Settings),
    ReplayWebhooks(ReplayWebhooks),
    CountRequest(CountRequest),
    Admit(Admit),
    Release(Release),
    ResultSize(ResultSize),
    SendAttempt(SendAttempt),
    Claim(Claim),
    Cancel(Cancel),
    UploadOpen(Upload),
    UploadGet(UploadGet),
    UploadKept(UploadKept),
    UploadTailKept(UploadTailKept),
    UploadCompleting(UploadCompleting),
    UploadDone(UploadDone),
    UploadDrop(UploadDrop),
    PlanSlices(PlanSlices),
    SliceStart(SliceStart),
    SliceProgress(SliceProgress),
    SliceDone(SliceDone),
    SlicesOf(SlicesOf),
    CollectionCreate(CollectionCreate),
    CollectionGet(CollectionGet),
    CollectionWait(CollectionWait),
    CollectionRunningEta(CollectionRunningEta),
    CollectionList(CollectionList),
    CollectionAct(CollectionAct),
    CollectionDocuments(CollectionDocuments),
    CollectionMembers(CollectionMembers),
    PopulationDone(PopulationDone),
    Debug(GetDebug),
}

calls!(HubProtocol, HubCall {
    Publish(Publish) -> Published;
    MarkDeleted(MarkDeleted) -> ();
    GetJob(GetJob) -> Option<Job>;
    List(List) -> JobList;
    Wait(Wait) -> Option<Job>;
    GrantTicket(GrantTicket) -> ();
    InitSecrets(InitSecrets) -> ();
    RotateSecrets(RotateSecrets) -> Secrets;
    GetSecrets(GetSecrets) -> Option<Secrets>;
    AddToOutbox(Outgoing) -> ();
    GetWebhookSettings(GetWebhookSettings) -> Settings;
    PutWebhookSettings(Settings) -> Settings;
    ReplayWebhooks(ReplayWebhooks) -> Replayed;
    CountRequest(CountRequest) -> Decision;
    Admit(Admit) -> Admission;
    Release(Release) -> ();
    ResultSize(ResultSize) -> ();
    SendAttempt(SendAttempt) -> ();
    Claim(Claim) -> Claimed;
    Cancel(Cancel) -> Cancelled;
    UploadOpen(Upload) -> ();
    UploadGet(UploadGet) -> Option<Upload>;
    UploadKept(UploadKept) -> Upload;
    UploadTailKept(UploadTailKept) -> Upload;
    UploadCompleting(UploadCompleting) -> Upload;
    UploadDone(UploadDone) -> ();
    UploadDrop(UploadDrop) -> Option<Upload>;
    PlanSlices(PlanSlices) -> Plan;
    SliceStart(SliceStart) -> Option<u32>;
    SliceProgress(SliceProgress) -> u32;
    SliceDone(SliceDone) -> FanIn;
    SlicesOf(SlicesOf) -> Vec<(u32, u32)>;
    CollectionCreate(CollectionCreate) -> Collection;
    CollectionGet(CollectionGet) -> Option<Collection>;
    CollectionWait(CollectionWait) -> Option<Collection>;
    CollectionRunningEta(CollectionRunningEta) -> Option<u32>;
    CollectionList(CollectionList) -> CollectionPage;
    CollectionAct(CollectionAct) -> Acted;
    CollectionDocuments(CollectionDocuments) -> DocumentPage;
    CollectionMembers(CollectionMembers) -> Members;
    PopulationDone(PopulationDone) -> Collection;
    Debug(GetDebug) -> HubDebug;
});

/// The owner's hub.
pub fn hub(env: &Env, owner: &str) -> AppResult<Object<HubProtocol>> {
    Ok(Object::new(
        env.durable_object(JOB_HUB)?
            .id_from_name(owner)?
            .get_stub()?,
    ))
}

/// Makes a call to the owner's hub.
pub async fn call<C: Call<HubProtocol>>(
    env: &Env,
    owner: &str,
    request: C,
) -> AppResult<C::Answer> {
    send(&hub(env, owner)?, request).await
}

/// Hands a WebSocket upgrade to the owner's hub; its answer (101, or 401 for
/// a refused ticket) is returned as is.
pub async fn connect(env: &Env, upgrade: &Headers, connect: Connect) -> AppResult<Response> {
    let hub = hub(env, &connect.owner)?;
    forward(&hub, HubCall::Connect(connect), Some(upgrade)).await
}

/// Opens a Server-Sent Event stream in the owner's hub (the same fields as a
/// WebSocket's `Connect`): its answer — the streaming `200`, or a refusal —
/// is returned as is.
pub async fn open_stream(env: &Env, connect: Connect) -> AppResult<Response> {
    let hub = hub(env, &connect.owner)?;
    forward(&hub, HubCall::Stream(connect), None).await
}

/// A job changed: index it and, when it is the newest version, number the
/// event, push it to the owner's sockets and wake the job's long-polls.
#[derive(Debug, Serialize, Deserialize)]
pub struct Publish {
    pub owner: String,
    pub job: Job,
}

/// What the hub made of a published version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Published {
    /// The newest version: an event.
    Fresh,
    /// Not newer than what the index has (a publish that lost a race, or the
    /// same version twice): no event.
    Stale,
    /// The job was deleted: nobody hears of it again, and whoever wrote this
    /// version must take back what it wrote (the hub decides deletion).
    Deleted,
    /// The newest version (an event), and its owner has cancelled the job:
    /// the writer stops and writes `cancelled`.
    Cancel,
}

/// A job was deleted: it leaves the index for good.
#[derive(Debug, Serialize, Deserialize)]
pub struct MarkDeleted {
    pub owner: String,
    pub job_id: String,
}

/// The hub's version of a job, with its delivery log.
#[derive(Debug, Serialize, Deserialize)]
pub struct GetJob {
    pub job_id: String,
}

/// One page of the owner's jobs.
#[derive(Debug, Serialize, Deserialize)]
pub struct List {
    pub query: Query,
}

/// The long-poll: a version newer than `seen` as soon as there is one, or
/// `None` after `timeout_ms`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Wait {
    pub job_id: String,
    pub seen: Stamp,
    pub timeout_ms: u64,
}

/// Remember a WebSocket ticket (by its hash) until it expires.
#[derive(Debug, Serialize, Deserialize)]
pub struct GrantTicket {
    pub hash: String,
    pub expires_ms: f64,
}

/// Accept a WebSocket for the owner (the edge authenticated the caller;
/// `ticket_hash` is set when a ticket is still to be used up here) and
/// replay what it missed after `since`. Answered with the upgrade itself.
#[derive(Debug, Serialize, Deserialize)]
pub struct Connect {
    pub owner: String,
    pub since: Option<u64>,
    pub ticket_hash: Option<String>,
}

/// The owner's first webhook secret (kept if one exists).
#[derive(Debug, Serialize, Deserialize)]
pub struct InitSecrets {
    pub secret: String,
}

/// A new current secret; the old one signs until `now_ms + grace_ms`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RotateSecrets {
    pub secret: String,
    pub now_ms: f64,
    pub grace_ms: f64,
}

/// The owner's webhook secrets (`None` for an owner minted without one).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct GetSecrets {}

/// A webhook event for the outbox, delivered from the hub's alarm.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outgoing {
    pub job_id: String,
    pub event_id: String,
    pub url: String,
    pub body: String,
}

/// The owner's webhook settings (which states are announced).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct GetWebhookSettings {}

/// Send again every event created since `since_ms` whose delivery has not
/// succeeded (`shared::delivery::webhook_ops`).
#[derive(Debug, Serialize, Deserialize)]
pub struct ReplayWebhooks {
    pub since_ms: f64,
}

/// May this owner upload `bytes` more, as job `job_id`?
#[derive(Debug, Serialize, Deserialize)]
pub struct Admit {
    pub job_id: String,
    /// The owner (the PDF's key names it, for the check for an orphan).
    pub owner: String,
    /// When to check that the upload became a job, seconds from now.
    pub check_after_secs: u32,
    pub bytes: u64,
    pub rules: Vec<Rule>,
    pub quotas: Quotas,
}

/// The answer to [`Admit`]: the rate decision and, when a quota is full, the
/// refusal and its `Retry-After`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Admission {
    pub rate: Decision,
    pub quota: Option<(shared::contract::api::ErrorBody, u32)>,
}

/// Give back an admitted upload's place (it did not become a job).
#[derive(Debug, Serialize, Deserialize)]
pub struct Release {
    pub job_id: String,
}

/// The bytes of a job's stored report (for the storage quota).
#[derive(Debug, Serialize, Deserialize)]
pub struct ResultSize {
    pub job_id: String,
    pub bytes: u64,
}

/// Send attempt `attempt` of a job to the analysis queue after `delay_secs`,
/// as the current attempt (every send goes through the owner's hub, which
/// watches it). `created_at`: the job's, when the hub may not know the job
/// yet.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendAttempt {
    pub owner: String,
    pub job_id: String,
    pub attempt: u32,
    pub delay_secs: u32,
    pub created_at: Option<String>,
}

/// May a consumer run this attempt? (`Drop`: a newer one was sent since;
/// `Cancel`: the owner cancelled the job.)
#[derive(Debug, Serialize, Deserialize)]
pub struct Claim {
    pub job_id: String,
    pub attempt: u32,
}

/// The owner cancels an unfinished job; `created_at` is the job's (for a
/// job the watchdog does not watch yet). From now on no attempt may run.
#[derive(Debug, Serialize, Deserialize)]
pub struct Cancel {
    pub job_id: String,
    pub owner: String,
    pub created_at: String,
}

/// What a cancel found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cancelled {
    /// No attempt runs: the caller writes `cancelled` now.
    Now,
    /// An attempt runs: it stops at its next page and writes `cancelled`.
    Stopping,
    /// The job has ended already.
    Finished,
}

/// Which instance answers, and its sockets (test hooks only: hibernation).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct GetDebug {}

#[derive(Debug, Serialize, Deserialize)]
pub struct HubDebug {
    pub instance: String,
    pub sockets: usize,
    pub seq: u64,
    pub schema_version: u32,
    /// Server-Sent Event streams open.
    pub streams: usize,
}
