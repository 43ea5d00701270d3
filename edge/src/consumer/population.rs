//! A collection's population (`analyse_collection.v1`): every completed
//! document's partial results, read back one document at a time, added up
//! (`shared::analysis::population::Population`); their sorted runs of
//! amounts merged in one k-way merge that knows each amount's document
//! (`Across`), for the amounts' tests and the amounts found in several
//! documents; then one pass over every document's list of numbers places
//! them and finds the suspects, each naming its document. The report goes to R2 and the hub ends the collection. Never
//! reads a PDF.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use shared::analysis::population::{Across, Population, Shared};
use shared::analysis::{Partial, runs};
use shared::contract::api::{ErrorBody, ErrorCode};
use shared::contract::collection::CollectionState;
use shared::contract::population::PopulationReport;
use shared::contract::population::{SHARED_PLACES_LISTED, SharedAmount, SharedPlace};
use shared::forensics::evidence::{Place, Suspects, rows_of};
use worker::{Delay, Env, console_log};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::hooks::injected_slow_population;
use crate::objects::protocol::{CollectionMembers, PopulationDone, call};
use crate::store::Store;
use crate::util::now_ms;

/// Analyses collection `id`'s population and ends the collection.
pub(super) async fn run(env: &Env, owner: &str, id: &str) -> AppResult<()> {
    let asked = CollectionMembers { id: id.to_owned() };
    let members = match call(env, owner, asked).await {
        Ok(m) => m,
        Err(AppError::Client(e)) if e.code == ErrorCode::NotFound => {
            console_log!("collection {id} no longer exists; its population is dropped");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if members.collection.state() != CollectionState::Processing {
        console_log!(
            "collection {id} is {}; its population is not analysed",
            members.collection.state()
        );
        return Ok(());
    }
    if Config::from_env(env).test_hooks
        && let Some(ms) = injected_slow_population(&members.collection.name)
    {
        console_log!("collection {id}: population held {ms} ms (test hook)");
        Delay::from(Duration::from_millis(u64::from(ms))).await;
    }
    let store = Store::new(env)?;
    let started = now_ms();
    let mut population = Population::default();
    let mut runs = Vec::new();
    let mut run_documents = Vec::new();
    let mut left_out = members.left_out;
    let mut analysed = Vec::new();
    for (job_id, filename) in &members.completed {
        let mut parts = Vec::new();
        for first in store.partial_parts(owner, job_id).await? {
            let Some(json) = store.get_partial(owner, job_id, first).await? else {
                continue;
            };
            let part: Partial = serde_json::from_str(&json)?;
            if part.run_bytes > 0 {
                runs.push(store.run_ranges(owner, job_id, first, part.run_bytes));
                run_documents.push(analysed.len() as u32);
            }
            parts.push(part);
        }
        if parts.is_empty() {
            // Completed before it could keep its results (or they are
            // gone): counted as left out.
            console_log!("collection {id}: job {job_id} has no partial results; left out");
            left_out += 1;
            continue;
        }
        population.add_document(job_id, filename, parts);
        analysed.push((job_id.clone(), filename.clone()));
        Delay::from(Duration::ZERO).await;
    }
    if analysed.is_empty() {
        let error = ErrorBody::new(
            ErrorCode::Internal,
            "no completed document of the collection has results to analyse",
        );
        return end(env, owner, id, Some(error)).await;
    }
    let mut across = Across::default();
    let breathe = super::pages::breather();
    runs::merge_each(runs, |a, r| across.push(a, run_documents[r]), breathe)
        .await
        .map_err(|e| AppError::Internal(e.0))?;
    let (amounts, shared) = across.finish();
    let mut report = population.finish(id, left_out, amounts, Vec::new());
    let (shared, suspects) = evidence_of(&store, owner, &analysed, shared, &report).await?;
    report.shared_amounts = shared;
    report.suspects = suspects;
    let key = shared::contract::validate::keys::population(owner, id);
    store.put_text(key, serde_json::to_string(&report)?).await?;
    console_log!(
        "collection {id}: population of {} documents ({} numbers used) analysed in {:.0} ms, \
         wasm memory {} bytes",
        report.documents_analysed,
        report.numbers.used,
        now_ms() - started,
        crate::util::wasm_memory_bytes()
    );
    end(env, owner, id, None).await
}

/// Tells the hub the population's analysis ended.
pub(super) async fn end(
    env: &Env,
    owner: &str,
    id: &str,
    error: Option<ErrorBody>,
) -> AppResult<()> {
    let done = PopulationDone {
        owner: owner.to_owned(),
        id: id.to_owned(),
        error,
    };
    call(env, owner, done).await.map(drop)
}

/// The population's evidence, from one pass over every document's list of
/// numbers (a part at a time): its suspects, whose places name their
/// documents, and the places of the shared amounts in the documents each
/// names.
async fn evidence_of(
    store: &Store,
    owner: &str,
    documents: &[(String, String)],
    shared: Vec<Shared>,
    report: &PopulationReport,
) -> AppResult<(Vec<SharedAmount>, Suspects)> {
    // Per document: the amounts wanted there, as the lists write values.
    let mut wanted: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for s in &shared {
        for &d in &s.first_documents {
            wanted.entry(d).or_default().insert(s.amount.to_text());
        }
    }
    let mut finder = report.finder();
    let mut found: BTreeMap<(u32, String), Vec<Place>> = BTreeMap::new();
    for (d, (job_id, filename)) in documents.iter().enumerate() {
        let d = d as u32;
        let amounts = wanted.get(&d);
        for key in store.number_parts(owner, job_id).await? {
            let Some(text) = store.text_of(key).await? else {
                continue;
            };
            for row in rows_of(&text) {
                let row = row?;
                finder.push_of(&row, Some((job_id, filename)));
                let Some(value) = row
                    .value
                    .as_deref()
                    .filter(|v| row.used && amounts.is_some_and(|a| a.contains(*v)))
                else {
                    continue;
                };
                let places = found.entry((d, value.to_owned())).or_default();
                if places.len() < SHARED_PLACES_LISTED {
                    places.push(row.place());
                }
            }
            Delay::from(Duration::ZERO).await;
        }
    }
    let mut suspects = finder.finish(std::iter::empty());
    suspects.bounds = shared::contract::population::bounds();
    let shared = shared
        .into_iter()
        .map(|s| {
            let amount = s.amount.to_text();
            let places = s
                .first_documents
                .iter()
                .filter_map(|&d| {
                    let (job_id, filename) = documents.get(d as usize)?;
                    Some(SharedPlace {
                        job_id: job_id.clone(),
                        filename: filename.clone(),
                        at: found.remove(&(d, amount.clone())).unwrap_or_default(),
                    })
                })
                .collect();
            SharedAmount {
                amount,
                documents: s.documents,
                count: s.count,
                places,
            }
        })
        .collect();
    Ok((shared, suspects))
}
