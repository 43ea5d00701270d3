//! New jobs (a service under the upload routes): the upload rate and the
//! quotas before anything is stored ([`admit`]), the collection a job joins
//! ([`joining`]), and the job of a PDF
//! stored whole in R2, sent in one request or resumably ([`register`]).

use shared::contract::api::{ErrorCode, Job, JobState};
use shared::contract::auth::OwnerRecord;
use shared::contract::idempotency::{self, Decision};
use shared::delivery::ratelimit;
use shared::jobs::collection::JoinError;
use shared::jobs::state::NewJob;
use shared::reading::columns::Columns;
use shared::reading::roles::Roles;
use worker::Env;

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::hub::client::{mark_deleted, release};
use crate::jobs;
use crate::objects::protocol::{Admit, CollectionGet, SendAttempt, call};
use crate::store::Store;
use crate::util::now_rfc3339;

/// What an upload states besides its bytes: its file name, callback,
/// idempotency key and the roles of numbers chosen (checked by the route).
pub struct Submission {
    pub filename: String,
    pub callback_url: Option<String>,
    pub idempotency_key: Option<String>,
    /// `?roles=`: the roles of numbers that enter the Benford tests.
    pub roles: Option<Roles>,
    /// `?columns=`: the table columns whose numbers alone enter the tests.
    pub columns: Option<Columns>,
    /// `?collection=`: the collection the job joins (checked open, its
    /// roles and columns taken, by [`joining`]).
    pub collection: Option<String>,
}

/// The upload rate and the quotas, before anything is stored: `length`
/// bytes are reserved for upload `id` (until its job exists, or it is
/// released). Refused → 429.
pub async fn admit(
    env: &Env,
    owner: &OwnerRecord,
    config: &Config,
    id: &str,
    length: u64,
) -> AppResult<Option<ratelimit::Decision>> {
    let admission = call(
        env,
        &owner.owner,
        Admit {
            job_id: id.to_owned(),
            owner: owner.owner.clone(),
            check_after_secs: config.orphan_after_secs,
            bytes: length,
            rules: vec![
                config.rates.uploads_per_minute,
                config.rates.uploads_per_day,
            ],
            quotas: config.quotas,
        },
    )
    .await?;
    let rate = Some(admission.rate);
    if !admission.rate.allowed {
        return Err(AppError::Limited {
            body: ratelimit::refusal("uploads", &admission.rate),
            retry_after: admission.rate.retry_after_secs,
            rate,
        });
    }
    if let Some((body, retry_after)) = admission.quota {
        return Err(AppError::Limited {
            body,
            retry_after,
            rate,
        });
    }
    Ok(rate)
}

/// The upload's collection, when it names one: it must be open (404, 409),
/// and the job is analysed with the collection's roles and columns (an
/// upload that names others is refused, 400).
pub(crate) async fn joining(
    env: &Env,
    owner: &OwnerRecord,
    mut submission: Submission,
) -> AppResult<Submission> {
    let Some(id) = submission.collection.clone() else {
        return Ok(submission);
    };
    let asked = CollectionGet { id: id.clone() };
    let collection = call(env, &owner.owner, asked)
        .await?
        .ok_or_else(|| AppError::client(ErrorCode::NotFound, format!("no collection {id}")))?;
    collection.may_join().map_err(|e| match e {
        JoinError::NotOpen { .. } => AppError::client(ErrorCode::Conflict, e.to_string()),
        JoinError::Full { .. } => AppError::client(ErrorCode::PayloadTooLarge, e.to_string()),
    })?;
    let differs = |given: bool, same: bool| given && !same;
    if differs(
        submission.roles.is_some(),
        submission.roles == collection.roles,
    ) || differs(
        submission.columns.is_some(),
        submission.columns == collection.columns,
    ) {
        return Err(AppError::client(
            ErrorCode::BadRequest,
            format!(
                "the documents of collection {id} are analysed with the collection's roles and \
                 columns; leave roles= and columns= out of the upload"
            ),
        ));
    }
    submission.roles = collection.roles;
    submission.columns = collection.columns;
    Ok(submission)
}

/// A job made from a stored PDF, or the earlier job an idempotency key named.
pub struct Registered {
    pub job: Job,
    pub replayed: bool,
}

/// Makes the job of a PDF stored whole in R2 (sent in one request or
/// resumably): the idempotency key decides first (a replay answers the
/// earlier job and throws this PDF away), then the job is recorded,
/// announced and sent to the analysis queue.
pub async fn register(
    env: &Env,
    store: &Store,
    owner: &OwnerRecord,
    id: &str,
    length: u64,
    sha256: String,
    submission: Submission,
) -> AppResult<Registered> {
    let id = id.to_owned();
    let Submission {
        filename,
        callback_url,
        idempotency_key,
        roles,
        columns,
        collection,
    } = submission;

    if let Some(key) = &idempotency_key {
        let remembered = store.get_idempotency(&owner.owner, key).await?;
        let earlier = match &remembered {
            Some(r) => store.get_job(&owner.owner, &r.job_id).await?,
            None => None,
        };
        match idempotency::decide(remembered.as_ref(), earlier.is_some(), &sha256, &filename) {
            Decision::Create => {}
            Decision::Replay { .. } => {
                // No new job: the upload's place in the quotas is given back.
                release(env, &owner.owner, &id).await;
                store.delete_pdf(&owner.owner, &id).await?;
                let job =
                    earlier.ok_or_else(|| AppError::Internal("replayed job vanished".into()))?;
                // The first request may have died (a crash) between recording
                // the job and telling the hub: telling it again (a no-op when
                // it knows) lets the watchdog send a job nobody sent.
                if job.state() == JobState::Uploaded {
                    let announced = Some((job.state(), job.attempt));
                    jobs::notify(env, store, &owner.owner, &job, announced, None).await;
                }
                return Ok(Registered {
                    job,
                    replayed: true,
                });
            }
            Decision::Conflict(error) => {
                store.delete_pdf(&owner.owner, &id).await?;
                return Err(error.into());
            }
        }
    }

    let new = NewJob {
        id: id.clone(),
        filename,
        size_bytes: length,
        sha256,
        callback_url,
    };
    let mut job = Job::uploaded(new, &now_rfc3339())
        .with_roles(roles)
        .with_columns(columns)
        .with_collection(collection);
    // The key is recorded before the job exists: a request sent again after
    // this one died half-way finds either no job (and makes one under the
    // key) or this one — never a second job for one upload.
    if let Some(key) = &idempotency_key {
        let record = idempotency::Record {
            job_id: id.clone(),
            sha256: job.sha256.clone(),
            filename: job.filename.clone(),
        };
        store.put_idempotency(&owner.owner, key, &record).await?;
    }
    // Published before the analysis can start, so `uploaded` is the first event.
    jobs::create(env, store, &owner.owner, &job).await?;
    // The first attempt goes to the queue through the owner's hub, which
    // watches it from now on.
    let first = SendAttempt {
        owner: owner.owner.clone(),
        job_id: id.clone(),
        attempt: 1,
        delay_secs: 0,
        created_at: Some(job.created_at.clone()),
    };
    if let Err(e) = call(env, &owner.owner, first).await {
        // Leave nothing behind that no message will ever finish.
        let _ = store.delete_job_record(&owner.owner, &id).await;
        let _ = store.delete_pdf(&owner.owner, &id).await;
        mark_deleted(env, &owner.owner, &id).await;
        return Err(AppError::Internal(format!(
            "enqueue of job {id} failed: {e}"
        )));
    }
    crate::line::with_places(env, std::slice::from_mut(&mut job)).await;
    Ok(Registered {
        job,
        replayed: false,
    })
}
