//! Storage behind small service methods: job records and owner tokens in KV,
//! PDFs and results in R2, laid out as `shared::contract::validate::keys` says.

#[cfg(feature = "analyser")]
use shared::analysis::source::{ByteSource, ReadError};
use shared::contract::api::Job;
use shared::contract::auth::{OwnerRecord, token_key};
use shared::contract::idempotency::{self, Record};
use shared::contract::validate::keys;
use shared::jobs::retention::JobMeta;
#[cfg(feature = "analyser")]
use worker::Range;
use worker::kv::{KvStore, ListResponse};
use worker::{Bucket, Env, FixedLengthStream};

mod uploads;

use crate::config::{FILES_R2, JOBS_KV};
use crate::error::AppResult;
use crate::util::within;

#[derive(Clone)]
pub struct Store {
    kv: KvStore,
    files: Bucket,
}

impl Store {
    pub fn new(env: &Env) -> AppResult<Self> {
        Ok(Store {
            kv: env.kv(JOBS_KV)?,
            files: env.bucket(FILES_R2)?,
        })
    }

    pub async fn owner_by_token(&self, token: &str) -> AppResult<Option<OwnerRecord>> {
        Ok(self.kv.get(&token_key(token)).json().await?)
    }

    pub async fn put_owner(&self, token: &str, record: &OwnerRecord) -> AppResult<()> {
        self.kv.put(&token_key(token), record)?.execute().await?;
        Ok(())
    }

    pub async fn get_idempotency(&self, owner: &str, key: &str) -> AppResult<Option<Record>> {
        Ok(self
            .kv
            .get(&idempotency::storage_key(owner, key))
            .json()
            .await?)
    }

    pub async fn put_idempotency(&self, owner: &str, key: &str, record: &Record) -> AppResult<()> {
        self.kv
            .put(&idempotency::storage_key(owner, key), record)?
            .expiration_ttl(idempotency::WINDOW_SECONDS)
            .execute()
            .await?;
        Ok(())
    }

    pub async fn get_job(&self, owner: &str, id: &str) -> AppResult<Option<Job>> {
        within("KV's get of a job", async {
            Ok(self.kv.get(&keys::job(owner, id)).json().await?)
        })
        .await
    }

    pub async fn put_job(&self, owner: &str, job: &Job) -> AppResult<()> {
        let meta = JobMeta::of(job);
        let put = self
            .kv
            .put(&keys::job(owner, &job.id), job)?
            .metadata(meta)?;
        within("KV's put of a job", async { Ok(put.execute().await?) }).await
    }

    /// One page of every owner's job records (keys and their metadata).
    pub async fn list_job_keys(&self, cursor: Option<String>) -> AppResult<ListResponse> {
        let mut list = self.kv.list().prefix("job/".into()).limit(1000);
        if let Some(c) = cursor {
            list = list.cursor(c);
        }
        Ok(list.execute().await?)
    }

    pub async fn delete_job_record(&self, owner: &str, id: &str) -> AppResult<()> {
        self.kv.delete(&keys::job(owner, id)).await?;
        Ok(())
    }

    /// Streams an upload into R2; the stream must yield exactly its length.
    pub async fn put_pdf(&self, owner: &str, id: &str, body: FixedLengthStream) -> AppResult<()> {
        self.files.put(keys::pdf(owner, id), body).execute().await?;
        Ok(())
    }

    /// The stored PDF's size (`None`: no such object), without reading it.
    pub async fn pdf_size(&self, owner: &str, id: &str) -> AppResult<Option<u64>> {
        Ok(self
            .files
            .head(keys::pdf(owner, id))
            .await?
            .map(|object| object.size()))
    }

    /// The stored PDF as a source of range reads, for the analysis.
    pub fn pdf_ranges(&self, owner: &str, id: &str, size: u64) -> PdfRanges {
        PdfRanges {
            files: self.files.clone(),
            key: keys::pdf(owner, id),
            size,
        }
    }

    pub async fn delete_pdf(&self, owner: &str, id: &str) -> AppResult<()> {
        self.files.delete(keys::pdf(owner, id)).await?;
        Ok(())
    }

    pub async fn put_result(&self, owner: &str, id: &str, json: String) -> AppResult<()> {
        self.files
            .put(keys::result(owner, id), json)
            .execute()
            .await?;
        Ok(())
    }

    /// The report, its list of numbers and any partial results of its
    /// slices.
    pub async fn delete_result(&self, owner: &str, id: &str) -> AppResult<()> {
        self.files.delete(keys::result(owner, id)).await?;
        self.delete_prefix(keys::number_lists(owner, id)).await?;
        self.delete_partials(owner, id).await
    }

    /// One part of a job's list of numbers (`shared::forensics::list::NumberList::to_ndjson`).
    pub async fn put_numbers(
        &self,
        owner: &str,
        id: &str,
        first: u32,
        ndjson: String,
    ) -> AppResult<()> {
        self.put_within(
            "R2's put of a list of numbers",
            keys::numbers(owner, id, first),
            ndjson,
        )
        .await
    }

    /// The parts of a job's list of numbers, in page order.
    pub async fn number_parts(&self, owner: &str, id: &str) -> AppResult<Vec<String>> {
        self.keys_under(keys::number_lists(owner, id)).await
    }

    /// The first pages of a job's partial results, in page order.
    pub async fn partial_parts(&self, owner: &str, id: &str) -> AppResult<Vec<u32>> {
        let keys = self.keys_under(keys::partials(owner, id)).await?;
        Ok(keys
            .iter()
            .filter_map(|k| keys::partial_first_page(k))
            .collect())
    }

    /// A text object (a collection's population report, `keys::population`).
    pub async fn put_text(&self, key: String, text: String) -> AppResult<()> {
        self.files.put(key, text).execute().await?;
        Ok(())
    }

    /// Deletes every object whose key starts with `prefix`.
    pub async fn delete_under(&self, prefix: String) -> AppResult<()> {
        for key in self.keys_under(prefix).await? {
            self.files.delete(key).await?;
        }
        Ok(())
    }

    pub async fn delete_key(&self, key: String) -> AppResult<()> {
        self.files.delete(key).await?;
        Ok(())
    }

    /// How many PDFs the owner has stored (the `_test/pdfs` route).
    #[cfg(feature = "test-hooks")]
    pub async fn pdfs_of(&self, owner: &str) -> AppResult<usize> {
        let prefix = keys::pdf(owner, "");
        Ok(self.keys_under(prefix).await?.len())
    }

    /// Every key starting with `prefix`, sorted.
    async fn keys_under(&self, prefix: String) -> AppResult<Vec<String>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut list = self.files.list().prefix(prefix.clone());
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let listed = list.execute().await?;
            out.extend(listed.objects().iter().map(|o| o.key()));
            match listed.cursor() {
                Some(c) if listed.truncated() => cursor = Some(c),
                _ => break,
            }
        }
        out.sort();
        Ok(out)
    }

    /// The numbers of the part starting at page `first`.
    pub async fn get_numbers(
        &self,
        owner: &str,
        id: &str,
        first: u32,
    ) -> AppResult<Option<String>> {
        self.text_of(keys::numbers(owner, id, first)).await
    }

    /// An object as text.
    pub async fn text_of(&self, key: String) -> AppResult<Option<String>> {
        within("R2's get of an object as text", async {
            let Some(object) = self.files.get(key).execute().await? else {
                return Ok(None);
            };
            match object.body() {
                Some(body) => Ok(Some(body.text().await?)),
                None => Ok(None),
            }
        })
        .await
    }

    /// A slice's partial result (`shared::analysis::Partial` as JSON).
    pub async fn put_partial(
        &self,
        owner: &str,
        id: &str,
        first: u32,
        json: String,
    ) -> AppResult<()> {
        self.put_within(
            "R2's put of a partial result",
            keys::partial(owner, id, first),
            json,
        )
        .await
    }

    /// A slice's sorted run of amounts (`shared::forensics::amounts::run_bytes`).
    pub async fn put_run(&self, owner: &str, id: &str, first: u32, run: Vec<u8>) -> AppResult<()> {
        self.put_within(
            "R2's put of a run of amounts",
            keys::run(owner, id, first),
            run,
        )
        .await
    }

    /// An object of the analysis' own making, put within `util::CALL_LIMIT`.
    async fn put_within(
        &self,
        what: &str,
        key: String,
        value: impl Into<worker::Data>,
    ) -> AppResult<()> {
        let put = self.files.put(key, value);
        within(what, async { Ok(put.execute().await.map(drop)?) }).await
    }

    /// A slice's run, read by ranges (`size` bytes).
    pub fn run_ranges(&self, owner: &str, id: &str, first: u32, size: u64) -> PdfRanges {
        PdfRanges {
            files: self.files.clone(),
            key: keys::run(owner, id, first),
            size,
        }
    }

    pub async fn get_partial(
        &self,
        owner: &str,
        id: &str,
        first: u32,
    ) -> AppResult<Option<String>> {
        self.text_of(keys::partial(owner, id, first)).await
    }

    /// Every partial result of a job (after the merge, or when it is deleted).
    pub async fn delete_partials(&self, owner: &str, id: &str) -> AppResult<()> {
        self.delete_prefix(keys::partials(owner, id)).await
    }

    /// Every object whose key starts with `prefix`.
    async fn delete_prefix(&self, prefix: String) -> AppResult<()> {
        loop {
            let listed = self.files.list().prefix(prefix.clone()).execute().await?;
            let keys: Vec<String> = listed.objects().iter().map(|o| o.key()).collect();
            if keys.is_empty() {
                return Ok(());
            }
            self.files.delete_multiple(keys).await?;
            if !listed.truncated() {
                return Ok(());
            }
        }
    }

    pub async fn get_result(&self, owner: &str, id: &str) -> AppResult<Option<String>> {
        self.text_of(keys::result(owner, id)).await
    }
}

/// A PDF in R2, read by range reads (`shared::analysis::source`).
/// An R2 object read by range reads: a PDF, or a slice's run of amounts.
pub struct PdfRanges {
    files: Bucket,
    key: String,
    size: u64,
}

#[cfg(feature = "analyser")]
impl ByteSource for PdfRanges {
    fn len(&self) -> u64 {
        self.size
    }

    async fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
        let key = &self.key;
        let read = async {
            let failed = |e: worker::Error| ReadError(format!("R2 read of {key}: {e}"));
            let object = self
                .files
                .get(key)
                .range(Range::OffsetWithLength {
                    offset,
                    length: len,
                })
                .execute()
                .await
                .map_err(failed)?
                .ok_or_else(|| ReadError(format!("{key} is gone from R2")))?;
            let body = object
                .body()
                .ok_or_else(|| ReadError(format!("{key} has no body")))?;
            body.bytes().await.map_err(failed)
        };
        within("an R2 range read", async { Ok(read.await) })
            .await
            .map_err(|e| ReadError(e.to_string()))?
    }
}
