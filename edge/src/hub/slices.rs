//! Fanned-out jobs (`fanouts`, `slices`): a job of more pages than
//! `SLICE_PAGES` is analysed in page slices (`shared::jobs::queue::slices`). Its
//! planner records them here ([`plan`]) and sends those not done yet; each
//! slice reports its pages done ([`progress`], so "page x of y" counts across
//! slices) and, once its partial result is in R2, that it is done
//! ([`done`]). The hub decides the last one in, which merges
//! (`shared::jobs::queue::fan_in`); a merger that dies leaves `merging` set until
//! the watchdog's next attempt plans again and, every slice being done, is
//! told to merge. A slice done stays done across attempts: its partial
//! result depends only on the stored PDF.

use serde::Deserialize;
use shared::jobs::queue::{FanIn, Plan, fan_in};

use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::{PlanSlices, SliceDone, SliceProgress, SliceStart};

#[derive(Deserialize)]
struct SliceRow {
    first: f64,
    last: f64,
    done: f64,
}

fn rows(db: &Db, job_id: &str) -> AppResult<Vec<SliceRow>> {
    db.rows(
        "SELECT first, last, done FROM slices WHERE job_id = ? ORDER BY first",
        vec![job_id.into()],
    )
}

/// Records attempt `plan.attempt`'s slices; the ones to send, or merge now.
pub fn plan(db: &Db, plan: &PlanSlices) -> AppResult<Plan> {
    let held = rows(db, &plan.job_id)?;
    let same_layout = held.len() == plan.slices.len()
        && held
            .iter()
            .zip(&plan.slices)
            .all(|(r, (first, last))| r.first as u32 == *first && r.last as u32 == *last);
    if !same_layout {
        // Another layout (the setting changed): start over.
        db.exec(
            "DELETE FROM slices WHERE job_id = ?",
            vec![plan.job_id.clone().into()],
        )?;
        for (first, last) in &plan.slices {
            db.exec(
                "INSERT INTO slices (job_id, first, last) VALUES (?, ?, ?)",
                vec![
                    plan.job_id.clone().into(),
                    i64::from(*first).into(),
                    i64::from(*last).into(),
                ],
            )?;
        }
    }
    let send: Vec<(u32, u32)> = if same_layout {
        held.iter()
            .filter(|r| r.done == 0.0)
            .map(|r| (r.first as u32, r.last as u32))
            .collect()
    } else {
        plan.slices.clone()
    };
    let merge = send.is_empty();
    db.exec(
        "INSERT INTO fanouts (job_id, attempt, pages, merging) VALUES (?, ?, ?, ?) \
         ON CONFLICT(job_id) DO UPDATE SET attempt = excluded.attempt, pages = excluded.pages, \
         merging = excluded.merging",
        vec![
            plan.job_id.clone().into(),
            i64::from(plan.attempt).into(),
            i64::from(plan.pages).into(),
            i64::from(merge).into(),
        ],
    )?;
    Ok(Plan { send, merge })
}

/// A slice starts: which try of it this is (1 for the first), or `None`
/// when the hub knows no such slice (the job ended, was deleted, or was
/// planned again otherwise).
pub fn start(db: &Db, slice: &SliceStart) -> AppResult<Option<u32>> {
    let bind = || {
        vec![
            slice.job_id.clone().into(),
            i64::from(slice.first).into(),
            i64::from(slice.last).into(),
        ]
    };
    db.exec(
        "UPDATE slices SET tries = tries + 1, pages_done = 0 \
         WHERE job_id = ? AND first = ? AND last = ? AND done = 0",
        bind(),
    )?;
    Ok(db
        .number(
            "SELECT tries AS value FROM slices WHERE job_id = ? AND first = ? AND last = ?",
            bind(),
        )?
        .map(|n| n as u32))
}

/// A slice's pages done so far; the pages done across the job's slices.
pub fn progress(db: &Db, report: &SliceProgress) -> AppResult<u32> {
    db.exec(
        "UPDATE slices SET pages_done = ? WHERE job_id = ? AND first = ? AND done = 0",
        vec![
            i64::from(report.done).into(),
            report.job_id.clone().into(),
            i64::from(report.first).into(),
        ],
    )?;
    let sum = db.number(
        "SELECT SUM(CASE WHEN done = 1 THEN last - first + 1 ELSE pages_done END) AS value \
         FROM slices WHERE job_id = ?",
        vec![report.job_id.clone().into()],
    )?;
    Ok(sum.unwrap_or(0.0) as u32)
}

/// A slice is done (its partial result stored): merge, wait, or unknown.
pub fn done(db: &Db, slice: &SliceDone) -> AppResult<FanIn> {
    let known = db.exists(
        "SELECT 1 FROM slices WHERE job_id = ? AND first = ? AND last = ?",
        vec![
            slice.job_id.clone().into(),
            i64::from(slice.first).into(),
            i64::from(slice.last).into(),
        ],
    )?;
    if known {
        db.exec(
            "UPDATE slices SET done = 1, pages_done = last - first + 1 \
             WHERE job_id = ? AND first = ?",
            vec![slice.job_id.clone().into(), i64::from(slice.first).into()],
        )?;
    }
    let undone = db.count(
        "SELECT COUNT(*) AS value FROM slices WHERE job_id = ? AND done = 0",
        vec![slice.job_id.clone().into()],
    )?;
    let merging = db.exists(
        "SELECT 1 FROM fanouts WHERE job_id = ? AND merging = 1",
        vec![slice.job_id.clone().into()],
    )?;
    let answer = fan_in(known, undone, merging);
    if answer == FanIn::Merge {
        db.exec(
            "UPDATE fanouts SET merging = 1 WHERE job_id = ?",
            vec![slice.job_id.clone().into()],
        )?;
    }
    Ok(answer)
}

/// The job's slices in page order (for the merge).
pub fn of(db: &Db, job_id: &str) -> AppResult<Vec<(u32, u32)>> {
    Ok(rows(db, job_id)?
        .into_iter()
        .map(|r| (r.first as u32, r.last as u32))
        .collect())
}

/// The job ended or was deleted: its slices are no longer tracked.
pub fn forget(db: &Db, job_id: &str) -> AppResult<()> {
    db.exec("DELETE FROM slices WHERE job_id = ?", vec![job_id.into()])?;
    db.exec("DELETE FROM fanouts WHERE job_id = ?", vec![job_id.into()])
}
