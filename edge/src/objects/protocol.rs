//! The hub's protocol, written once: every call to a `JobHub` (and to the
//! per-address `Limiter`) is a variant of [`HubCall`], a serde-tagged enum, and
//! every request type names its answer type through [`Call`]. Callers send
//! with [`call`] / [`send`] (and [`connect`] for the WebSocket upgrade); the
//! object decodes with [`decode`] and answers with [`reply`], which only
//! accepts the answer type of the call it is given. Nothing else on either
//! side spells a route or a status code.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::api::{ErrorCode, ErrorResponse, Job};
use shared::line::QueueInfo;
use shared::listing::{JobList, Query};
use shared::queue::{FanIn, Plan};
use shared::ratelimit::{Decision, Quotas, Rule};
use shared::state::Stamp;
use shared::upload::Upload;
use shared::watchdog::Claimed;
use shared::webhook_ops::{Replayed, Settings};
use shared::webhooks::Secrets;
use worker::{Env, Headers, Method, Request, RequestInit, Response, Stub};

use crate::config::{JOB_HUB, LIMITER};
use crate::error::{AppError, AppResult};

/// Every call a hub understands.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum HubCall {
    Publish(Publish),
    Forget(Forget),
    GetJob(GetJob),
    List(List),
    Wait(Wait),
    GrantTicket(GrantTicket),
    Connect(Connect),
    Stream(Connect),
    InitSecrets(InitSecrets),
    RotateSecrets(RotateSecrets),
    GetSecrets(GetSecrets),
    AddToOutbox(Outgoing),
    GetWebhookSettings(GetWebhookSettings),
    PutWebhookSettings(Settings),
    ReplayWebhooks(ReplayWebhooks),
    Hit(Hit),
    Admit(Admit),
    Release(Release),
    ResultSize(ResultSize),
    Dispatch(Dispatch),
    Claim(Claim),
    Cancel(Cancel),
    Enqueue(Enqueue),
    Dequeue(Dequeue),
    Finished(Finished),
    Positions(Positions),
    UploadOpen(Upload),
    UploadGet(UploadGet),
    UploadKept(UploadKept),
    UploadCompleting(UploadCompleting),
    UploadDone(UploadDone),
    UploadDrop(UploadDrop),
    PlanSlices(PlanSlices),
    SliceStart(SliceStart),
    SliceProgress(SliceProgress),
    SliceDone(SliceDone),
    SlicesOf(SlicesOf),
    Debug(GetDebug),
}

/// A request type and the type of its answer.
pub trait Call: Serialize + Into<HubCall> {
    type Answer: Serialize + DeserializeOwned;
}

macro_rules! calls {
    ($($variant:ident($request:ty) -> $answer:ty;)*) => {$(
        impl From<$request> for HubCall {
            fn from(request: $request) -> HubCall {
                HubCall::$variant(request)
            }
        }
        impl Call for $request {
            type Answer = $answer;
        }
    )*};
}

calls! {
    Publish(Publish) -> Published;
    Forget(Forget) -> ();
    GetJob(GetJob) -> Option<Job>;
    List(List) -> JobList;
    Wait(Wait) -> Option<Job>;
    GrantTicket(GrantTicket) -> ();
    Connect(Connect) -> ();
    InitSecrets(InitSecrets) -> ();
    RotateSecrets(RotateSecrets) -> Secrets;
    GetSecrets(GetSecrets) -> Option<Secrets>;
    AddToOutbox(Outgoing) -> ();
    GetWebhookSettings(GetWebhookSettings) -> Settings;
    PutWebhookSettings(Settings) -> Settings;
    ReplayWebhooks(ReplayWebhooks) -> Replayed;
    Hit(Hit) -> Decision;
    Admit(Admit) -> Admission;
    Release(Release) -> ();
    ResultSize(ResultSize) -> ();
    Dispatch(Dispatch) -> ();
    Claim(Claim) -> Claimed;
    Cancel(Cancel) -> Cancelled;
    Enqueue(Enqueue) -> ();
    Dequeue(Dequeue) -> ();
    Finished(Finished) -> ();
    Positions(Positions) -> Vec<Option<QueueInfo>>;
    UploadOpen(Upload) -> ();
    UploadGet(UploadGet) -> Option<Upload>;
    UploadKept(UploadKept) -> Upload;
    UploadCompleting(UploadCompleting) -> Upload;
    UploadDone(UploadDone) -> ();
    UploadDrop(UploadDrop) -> Option<Upload>;
    PlanSlices(PlanSlices) -> Plan;
    SliceStart(SliceStart) -> Option<u32>;
    SliceProgress(SliceProgress) -> u32;
    SliceDone(SliceDone) -> FanIn;
    SlicesOf(SlicesOf) -> Vec<(u32, u32)>;
    Debug(GetDebug) -> HubDebug;
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

/// A fanned-out job's planner (attempt `attempt`): its slices.
#[derive(Debug, Serialize, Deserialize)]
pub struct PlanSlices {
    pub job_id: String,
    pub attempt: u32,
    /// The document's pages.
    pub pages: u32,
    pub slices: Vec<(u32, u32)>,
}

/// The slice `first..=last` starts (again).
#[derive(Debug, Serialize, Deserialize)]
pub struct SliceStart {
    pub job_id: String,
    pub first: u32,
    pub last: u32,
}

/// The slice starting at `first` has done `done` of its pages.
#[derive(Debug, Serialize, Deserialize)]
pub struct SliceProgress {
    pub job_id: String,
    pub first: u32,
    pub done: u32,
}

/// The slice `first..=last` is done: its partial result is stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct SliceDone {
    pub job_id: String,
    pub first: u32,
    pub last: u32,
}

/// A fanned-out job's slices, in page order.
#[derive(Debug, Serialize, Deserialize)]
pub struct SlicesOf {
    pub job_id: String,
}

/// A job was deleted: it leaves the index for good.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forget {
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
/// succeeded (`shared::webhook_ops`).
#[derive(Debug, Serialize, Deserialize)]
pub struct ReplayWebhooks {
    pub since_ms: f64,
}

/// Count one request under `rules`, kept apart by `key` (all or nothing).
#[derive(Debug, Serialize, Deserialize)]
pub struct Hit {
    pub key: String,
    pub rules: Vec<Rule>,
}

/// May this owner upload `bytes` more, as job `job_id`?
#[derive(Debug, Serialize, Deserialize)]
pub struct Admit {
    pub job_id: String,
    pub bytes: u64,
    pub rules: Vec<Rule>,
    pub quotas: Quotas,
}

/// The answer to [`Admit`]: the rate decision and, when a quota is full, the
/// refusal and its `Retry-After`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Admission {
    pub rate: Decision,
    pub quota: Option<(shared::api::ErrorBody, u32)>,
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
pub struct Dispatch {
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

/// The `Line`: a message of the job was sent to the analysis queue.
#[derive(Debug, Serialize, Deserialize)]
pub struct Enqueue {
    pub job_id: String,
}

/// The `Line`: the job left the line — taken by a consumer (`running`), or
/// cancelled or deleted.
#[derive(Debug, Serialize, Deserialize)]
pub struct Dequeue {
    pub job_id: String,
    pub running: bool,
}

/// The `Line`: a consumer's run of the job ended.
#[derive(Debug, Serialize, Deserialize)]
pub struct Finished {
    pub job_id: String,
}

/// The `Line`: where these jobs stand (`None`: not waiting).
#[derive(Debug, Serialize, Deserialize)]
pub struct Positions {
    pub job_ids: Vec<String>,
}

/// A resumable upload's state (`None`: no such upload of this owner).
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadGet {
    pub id: String,
}

/// A whole part of the upload, from offset `from`, is stored in R2.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadKept {
    pub id: String,
    pub from: u64,
    pub etag: String,
    /// The SHA-256 state after the part (`shared::upload::HashState`).
    pub hash: String,
}

/// Every byte of the upload arrived: its last part (from `from`; `None`
/// when the parts kept already end it) and the file's SHA-256.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadCompleting {
    pub id: String,
    pub from: u64,
    pub etag: Option<String>,
    pub sha256: String,
}

/// The upload's job exists.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadDone {
    pub id: String,
    pub job_id: String,
}

/// The upload is abandoned or refused: its state and reservation go.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadDrop {
    pub id: String,
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

/// Opens a Server-Sent Event stream in the owner's hub (`Stream`, the same
/// fields as a WebSocket's `Connect`): its answer — the streaming `200`, or a
/// refusal — is returned as is.
pub async fn open_stream(env: &Env, connect: Connect) -> AppResult<Response> {
    let stub = hub(env, &connect.owner)?;
    let call = HubCall::Stream(connect);
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(&call)?.into()));
    Ok(stub
        .fetch_with_request(Request::new_with_init("https://hub/call", &init)?)
        .await?)
}

/// Header carrying the call on a WebSocket upgrade (a GET has no body).
const CALL_HEADER: &str = "x-docket-call";

/// The owner's hub.
pub fn hub(env: &Env, owner: &str) -> AppResult<Stub> {
    Ok(env
        .durable_object(JOB_HUB)?
        .id_from_name(owner)?
        .get_stub()?)
}

/// The `Limiter` of a client address (limits that belong to no owner).
pub fn limiter(env: &Env, address: &str) -> AppResult<Stub> {
    Ok(env
        .durable_object(LIMITER)?
        .id_from_name(&format!("address:{address}"))?
        .get_stub()?)
}

/// Makes a call to the owner's hub.
pub async fn call<C: Call>(env: &Env, owner: &str, request: C) -> AppResult<C::Answer> {
    send(&hub(env, owner)?, request).await
}

/// Makes a call to an object and decodes its typed answer.
pub async fn send<C: Call>(stub: &Stub, request: C) -> AppResult<C::Answer> {
    let call: HubCall = request.into();
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(&call)?.into()));
    let mut resp = stub
        .fetch_with_request(Request::new_with_init("https://hub/call", &init)?)
        .await?;
    let status = resp.status_code();
    let text = resp.text().await?;
    if (200..300).contains(&status) {
        Ok(serde_json::from_str(&text)?)
    } else {
        Err(refusal(status, &text))
    }
}

/// Hands a WebSocket upgrade to the owner's hub; its answer (101, or 401 for
/// a refused ticket) is returned as is.
pub async fn connect(env: &Env, upgrade: &Headers, connect: Connect) -> AppResult<Response> {
    let stub = hub(env, &connect.owner)?;
    let headers = Headers::new();
    for name in [
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
    ] {
        if let Some(value) = upgrade.get(name)? {
            headers.set(name, &value)?;
        }
    }
    headers.set(
        CALL_HEADER,
        &serde_json::to_string(&HubCall::Connect(connect))?,
    )?;
    let mut init = RequestInit::new();
    init.with_headers(headers);
    Ok(stub
        .fetch_with_request(Request::new_with_init("https://hub/call", &init)?)
        .await?)
}

/// An object's refusal as the error it stands for: a client error passes on
/// with its code; anything else is internal.
fn refusal(status: u16, text: &str) -> AppError {
    match serde_json::from_str::<ErrorResponse>(text) {
        Ok(ErrorResponse { error }) if error.code != ErrorCode::Internal => error.into(),
        _ => AppError::Internal(format!("the hub answered {status}: {text}")),
    }
}

/// Reads the call a request carries (object side).
pub async fn decode(req: &mut Request) -> AppResult<HubCall> {
    let bad = |e: serde_json::Error| AppError::Internal(format!("an unreadable hub call: {e}"));
    match req.headers().get(CALL_HEADER)? {
        Some(header) => serde_json::from_str(&header).map_err(bad),
        None => serde_json::from_str(&req.text().await?).map_err(bad),
    }
}

/// The answer to a call of type `C` (object side): its typed answer as JSON,
/// or the error as `{"error": …}` with its status.
pub fn reply<C: Call>(answer: AppResult<C::Answer>) -> Response {
    answer
        .and_then(|a| Ok(Response::from_json(&a)?))
        .unwrap_or_else(AppError::into_response)
}
