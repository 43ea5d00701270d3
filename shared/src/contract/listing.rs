//! `GET /api/v1/jobs`: the query (`limit`, `cursor`, `state`), the opaque
//! cursor, and the page. Jobs are listed newest first, ordered by
//! (`created_at`, `id`) descending, so a cursor stays valid however many jobs
//! arrive after it was issued (stable pagination).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::contract::api::{ErrorBody, ErrorCode, Job, JobState};

/// Jobs per page unless the client asks.
pub const DEFAULT_LIMIT: u32 = 20;
/// Most jobs per page.
pub const MAX_LIMIT: u32 = 100;

/// Where the next page starts: just after this job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub created_at: String,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}\n{}", self.created_at, self.id))
    }

    pub fn decode(raw: &str) -> Result<Cursor, ErrorBody> {
        let bad = || ErrorBody::new(ErrorCode::BadRequest, "cursor is not one this API issued");
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (created_at, id) = text.split_once('\n').ok_or_else(bad)?;
        if created_at.is_empty() || !crate::contract::validate::is_job_id(id) {
            return Err(bad());
        }
        Ok(Cursor {
            created_at: created_at.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// A checked listing query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    pub limit: u32,
    pub after: Option<Cursor>,
    pub state: Option<JobState>,
}

/// Reads `limit`, `cursor` and `state` from the query string.
pub fn parse(
    limit: Option<&str>,
    cursor: Option<&str>,
    state: Option<&str>,
) -> Result<Query, ErrorBody> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ErrorBody::new(
                    ErrorCode::BadRequest,
                    format!("limit must be a number from 1 to {MAX_LIMIT}"),
                ));
            }
        },
    };
    // `cursor=` (empty) is the first page, as when it is absent.
    let after = cursor
        .filter(|c| !c.is_empty())
        .map(Cursor::decode)
        .transpose()?;
    let state = match state {
        None => None,
        Some(raw) => Some(
            JobState::ALL
                .into_iter()
                .find(|s| s.as_str() == raw.trim())
                .ok_or_else(|| {
                    ErrorBody::new(
                        ErrorCode::BadRequest,
                        "state must be one of uploaded, processing, completed, error",
                    )
                })?,
        ),
    };
    Ok(Query {
        limit,
        after,
        state,
    })
}

/// One page of jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobList {
    pub jobs: Vec<Job>,
    pub next_cursor: Option<String>,
}

/// Builds the page from up to `limit + 1` rows in listing order: the extra row
/// only says that there is a next page.
pub fn page(mut rows: Vec<Job>, limit: u32) -> JobList {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = more.then(|| rows.last()).flatten().map(|last| {
        Cursor {
            created_at: last.created_at.clone(),
            id: last.id.clone(),
        }
        .encode()
    });
    JobList {
        jobs: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0f8e3c2a-1b4d-4e5f-9a8b-7c6d5e4f3a2b";

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let c = Cursor {
            created_at: "2026-11-27T10:00:00.000Z".into(),
            id: ID.into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        for bad in [
            "",
            "!!!",
            &URL_SAFE_NO_PAD.encode("no-newline"),
            &URL_SAFE_NO_PAD.encode("t\n../x"),
        ] {
            assert_eq!(
                Cursor::decode(bad).unwrap_err().code,
                ErrorCode::BadRequest,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_empty_cursor_is_the_first_page() {
        assert_eq!(parse(None, Some(""), None).unwrap().after, None);
        assert!(parse(None, Some("!!!"), None).is_err());
    }

    #[test]
    fn queries() {
        let q = parse(None, None, None).unwrap();
        assert_eq!((q.limit, q.after, q.state), (DEFAULT_LIMIT, None, None));
        assert_eq!(
            parse(Some("5"), None, Some("error")).unwrap().state,
            Some(JobState::Error)
        );
        for (limit, state) in [
            (Some("0"), None),
            (Some("101"), None),
            (Some("x"), None),
            (None, Some("done")),
        ] {
            assert_eq!(
                parse(limit, None, state).unwrap_err().code,
                ErrorCode::BadRequest
            );
        }
    }

    fn job(n: u32) -> Job {
        Job {
            id: format!("{n:08}-0000-4000-8000-000000000000"),
            version: 1,
            state: JobState::Uploaded,
            filename: "a.pdf".into(),
            size_bytes: 1,
            sha256: String::new(),
            created_at: format!("2026-01-01T00:00:{n:02}.000Z"),
            updated_at: String::new(),
            attempt: 0,
            progress: None,
            error: None,
            callback: None,
            warnings: Vec::new(),
            queue: None,
            roles: None,
            columns: None,
            collection: None,
        }
    }

    #[test]
    fn a_page_says_whether_there_is_more() {
        let full = page((0..4).map(job).collect(), 3);
        assert_eq!(full.jobs.len(), 3);
        let next = Cursor::decode(full.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next.id, job(2).id);
        let last = page((0..3).map(job).collect(), 3);
        assert_eq!((last.jobs.len(), last.next_cursor), (3, None));
    }
}
