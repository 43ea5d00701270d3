//! The hub's answer to each call of its protocol (`HubCall`): every
//! variant goes to the part of the hub that keeps its state.

use super::*;
use shared::jobs::queue::FanIn;

/// The answer to a hub call of type `C`.
fn reply<C: Call<HubProtocol>>(answer: AppResult<C::Answer>) -> Response {
    protocol::reply::<HubProtocol, C>(answer)
}

impl JobHub {
    /// At this instance's first call or alarm (the object started anew: the
    /// server restarted, or the object moved), the jobs whose messages a
    /// restart may have lost are sent again at once, a batch at a time: the
    /// first call or alarm starts, each alarm after it sends the next batch
    /// (the alarm is due at once while batches remain).
    pub(super) async fn wake(&self, alarm: bool) {
        let after = match self.boot.replace(Boot::Done) {
            Boot::NotStarted => None,
            Boot::From(cursor) if alarm => Some(cursor),
            other => {
                self.boot.replace(other);
                return;
            }
        };
        let db = self.db();
        let batch = Config::from_env(&self.env).boot_batch;
        match boot::at_boot(&db, &self.env, after, batch).await {
            Ok((n, next)) => {
                if n > 0 {
                    console_log!("JobHub: started anew; {n} unfinished jobs sent again");
                }
                if let Some(cursor) = next {
                    self.boot.replace(Boot::From(cursor));
                }
            }
            Err(e) => console_error!("JobHub: sending unfinished jobs again at start failed: {e}"),
        }
        if let Err(e) = self.schedule_alarm(&db).await {
            console_error!("JobHub: setting the alarm at start failed: {e}");
        }
    }

    pub(super) fn debug(&self, db: &Db) -> AppResult<HubDebug> {
        Ok(HubDebug {
            instance: self.instance.clone(),
            sockets: self.state.get_websockets().len(),
            seq: stream::latest_seq(db)?,
            schema_version: db.schema_version()?,
            streams: self.streams.count(),
        })
    }

    pub(super) async fn answer(&self, call: HubCall) -> Response {
        let db = self.db();
        match call {
            HubCall::Publish(p) => {
                let owner = p.owner.clone();
                let published = match self.publish(&db, p) {
                    Ok((published, due)) => {
                        self.send_due(&db, &owner, due).await;
                        Ok(published)
                    }
                    Err(e) => Err(e),
                };
                reply::<Publish>(self.then_alarm(&db, published).await)
            }
            HubCall::MarkDeleted(f) => {
                let owner = f.owner.clone();
                let marked = match self.mark_deleted(&db, f) {
                    Ok(due) => {
                        for id in due {
                            self.send_due(&db, &owner, Some(id)).await;
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                };
                reply::<MarkDeleted>(self.then_alarm(&db, marked).await)
            }
            HubCall::SendAttempt(d) => {
                let sent = watchdog::send_attempt(&db, &self.env, d).await;
                reply::<SendAttempt>(self.then_alarm(&db, sent).await)
            }
            HubCall::Claim(c) => {
                let claimed = watchdog::claim(&db, &c.job_id, c.attempt);
                reply::<Claim>(self.then_alarm(&db, claimed).await)
            }
            HubCall::Cancel(c) => {
                let cancelled = index::get(&db, &c.job_id).and_then(|job| {
                    let ended = job.is_some_and(|j| j.state().is_terminal());
                    watchdog::cancel(&db, &c, ended)
                });
                reply::<Cancel>(self.then_alarm(&db, cancelled).await)
            }
            HubCall::GetJob(g) => reply::<GetJob>(
                index::get(&db, &g.job_id)
                    .and_then(|job| job.map(|j| outbox::with_log(&db, j)).transpose()),
            ),
            HubCall::List(l) => reply::<List>(index::list(&db, &l.query).and_then(|mut page| {
                page.jobs = page
                    .jobs
                    .into_iter()
                    .map(|j| outbox::with_log(&db, j))
                    .collect::<AppResult<_>>()?;
                Ok(page)
            })),
            HubCall::Wait(w) => {
                let waited = self.waiters.wait(&db, w).await;
                reply::<Wait>(
                    waited.and_then(|job| job.map(|j| outbox::with_log(&db, j)).transpose()),
                )
            }
            HubCall::GrantTicket(g) => reply::<GrantTicket>(tickets::grant(&db, g)),
            HubCall::Connect(c) => {
                stream::accept(&self.state, &db, c).unwrap_or_else(AppError::into_response)
            }
            HubCall::Stream(c) => {
                stream::open_stream(&self.streams, &db, c).unwrap_or_else(AppError::into_response)
            }
            HubCall::InitSecrets(i) => reply::<InitSecrets>(outbox::init_secrets(&db, i)),
            HubCall::RotateSecrets(r) => reply::<RotateSecrets>(outbox::rotate_secrets(&db, r)),
            HubCall::GetSecrets(_) => reply::<GetSecrets>(outbox::secrets(&db)),
            HubCall::AddToOutbox(event) => {
                let added = outbox::add(&db, event);
                reply::<protocol::Outgoing>(self.then_alarm(&db, added).await)
            }
            HubCall::GetWebhookSettings(_) => reply::<GetWebhookSettings>(outbox::settings(&db)),
            HubCall::PutWebhookSettings(s) => {
                reply::<Settings>(outbox::put_settings(&db, &s).map(|()| s))
            }
            HubCall::ReplayWebhooks(r) => {
                let replayed = outbox::replay(&db, r.since_ms);
                reply::<ReplayWebhooks>(self.then_alarm(&db, replayed).await)
            }
            HubCall::CountRequest(h) => {
                reply::<CountRequest>(crate::objects::rates::hit(&db, &h.key, &h.rules))
            }
            HubCall::Admit(a) => {
                let admitted = index::holdings(&db).and_then(|jobs| limits::admit(&db, a, jobs));
                reply::<Admit>(self.then_alarm(&db, admitted).await)
            }
            HubCall::Release(r) => reply::<Release>(limits::release_failed(&db, &r.job_id)),
            HubCall::ResultSize(size) => {
                reply::<ResultSize>(index::is_deleted(&db, &size.job_id).and_then(|gone| {
                    if gone {
                        Ok(())
                    } else {
                        limits::result_size(&db, size)
                    }
                }))
            }
            HubCall::UploadOpen(u) => {
                let opened = uploads::open(&db, &u);
                reply::<shared::jobs::upload::Upload>(self.then_alarm(&db, opened).await)
            }
            HubCall::UploadGet(g) => reply::<protocol::UploadGet>(uploads::get(&db, &g.id)),
            HubCall::UploadKept(k) => reply::<protocol::UploadKept>(uploads::kept(&db, k)),
            HubCall::UploadTailKept(t) => {
                reply::<protocol::UploadTailKept>(uploads::tail_kept(&db, t))
            }
            HubCall::UploadCompleting(c) => {
                reply::<protocol::UploadCompleting>(uploads::completing(&db, c))
            }
            HubCall::UploadDone(d) => reply::<protocol::UploadDone>(uploads::done(&db, d)),
            HubCall::UploadDrop(d) => {
                reply::<protocol::UploadDrop>(uploads::drop_upload(&db, &d.id))
            }
            HubCall::PlanSlices(p) => {
                let planned = slices::plan(&db, &p).and_then(|plan| {
                    if !plan.send.is_empty() {
                        watchdog::waiting(&db, &p.job_id)?;
                    }
                    Ok(plan)
                });
                reply::<protocol::PlanSlices>(self.then_alarm(&db, planned).await)
            }
            HubCall::SliceStart(s) => reply::<protocol::SliceStart>(slices::start(&db, &s)),
            HubCall::SliceProgress(p) => {
                let done = watchdog::queue_moves(&db).and_then(|()| slices::progress(&db, &p));
                reply::<protocol::SliceProgress>(done)
            }
            HubCall::SliceDone(d) => {
                let fan_in = slices::done(&db, &d).and_then(|answer| {
                    if answer == FanIn::Wait {
                        watchdog::waiting(&db, &d.job_id)?;
                    }
                    Ok(answer)
                });
                reply::<protocol::SliceDone>(self.then_alarm(&db, fan_in).await)
            }
            HubCall::SlicesOf(o) => reply::<protocol::SlicesOf>(slices::of(&db, &o.job_id)),
            HubCall::CollectionCreate(c) => {
                let created = collections::create(&db, &c.owner, &c.collection).map(|()| {
                    let _ =
                        self.collection_changed(&db, &c.owner, c.collection.clone(), Due::Nothing);
                    c.collection
                });
                reply::<protocol::CollectionCreate>(self.then_alarm(&db, created).await)
            }
            HubCall::CollectionGet(g) => {
                reply::<protocol::CollectionGet>(collections::get(&db, &g.id))
            }
            HubCall::CollectionWait(w) => {
                let waited = self.collection_waiters.wait(&db, w).await;
                reply::<protocol::CollectionWait>(waited)
            }
            HubCall::CollectionRunningEta(r) => {
                reply::<protocol::CollectionRunningEta>(members::running_eta(&db, &r.id))
            }
            HubCall::CollectionList(l) => {
                let after = l
                    .cursor
                    .as_deref()
                    .map(shared::contract::listing::Cursor::decode)
                    .transpose()
                    .map_err(AppError::from);
                reply::<protocol::CollectionList>(
                    after.and_then(|after| collections::list(&db, after, l.limit)),
                )
            }
            HubCall::CollectionAct(a) => {
                let acted = match collections::act(&db, &a) {
                    Ok((acted, due)) => {
                        let due = if a.act == protocol::Act::Delete {
                            None
                        } else {
                            self.collection_changed(&db, &a.owner, acted.collection.clone(), due)
                        };
                        self.send_due(&db, &a.owner, due).await;
                        Ok(acted)
                    }
                    Err(e) => Err(e),
                };
                reply::<protocol::CollectionAct>(self.then_alarm(&db, acted).await)
            }
            HubCall::CollectionDocuments(d) => {
                reply::<protocol::CollectionDocuments>(members::documents(&db, &d))
            }
            HubCall::CollectionMembers(m) => {
                reply::<protocol::CollectionMembers>(members::members(&db, &m.id))
            }
            HubCall::PopulationDone(p) => {
                let done = members::population_done(&db, &p).inspect(|c| {
                    let _ = self.collection_changed(&db, &p.owner, c.clone(), Due::Nothing);
                });
                reply::<protocol::PopulationDone>(self.then_alarm(&db, done).await)
            }
            HubCall::Debug(_) => reply::<GetDebug>(self.debug(&db)),
        }
    }
}
