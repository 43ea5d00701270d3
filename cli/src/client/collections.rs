//! The collection calls (`/collections`): create, look at (and long-poll),
//! close, cancel, delete, its documents and its population report.

use shared::contract::collection::{Collection, DocumentPage, NewCollection};
use shared::delivery::client::path;
use ureq::SendBody;

use super::{Api, json_or_error, text_or_error};
use crate::error::CliResult;

impl Api {
    /// `POST /collections`: the new, open collection.
    pub fn create_collection(&self, new: &NewCollection) -> CliResult<Collection> {
        let body = serde_json::to_vec(new).unwrap_or_default();
        let headers = [("content-type", "application/json".to_owned())];
        let mut make = || {
            Ok(SendBody::from_owned_reader(std::io::Cursor::new(
                body.clone(),
            )))
        };
        let response = self.send("POST", &path::collections(), &headers, Some(&mut make))?;
        json_or_error(response)
    }

    /// `GET /collections/{id}?wait=N` with `If-None-Match` of `version`:
    /// the collection once it differs from that version, or at the end of
    /// the server's wait (then `None`).
    pub fn collection(
        &self,
        id: &str,
        seen_version: Option<u64>,
        wait_secs: u32,
    ) -> CliResult<Option<Collection>> {
        let headers: Vec<(&str, String)> = seen_version
            .map(|v| vec![("if-none-match", format!("\"c{v}\""))])
            .unwrap_or_default();
        let response = self.send("GET", &path::collection_wait(id, wait_secs), &headers, None)?;
        if response.status().as_u16() == 304 {
            return Ok(None);
        }
        json_or_error(response).map(Some)
    }

    /// `POST /collections/{id}/close` or `/cancel`.
    pub fn collection_act(&self, id: &str, act: &str) -> CliResult<Collection> {
        self.call_json("POST", &path::collection_act(id, act), None)
    }

    pub fn delete_collection(&self, id: &str) -> CliResult<()> {
        let response = self.send("DELETE", &path::collection(id), &[], None)?;
        text_or_error(response).map(|_| ())
    }

    /// A page of its documents.
    pub fn collection_documents(&self, id: &str, cursor: Option<&str>) -> CliResult<DocumentPage> {
        self.call_json("GET", &path::collection_documents(id, cursor), None)
    }

    /// The population report as the server sends it (JSON), or its
    /// documents ranked (CSV).
    pub fn collection_result(&self, id: &str, csv: bool) -> CliResult<String> {
        let response = self.send("GET", &path::collection_result(id, csv), &[], None)?;
        text_or_error(response)
    }
}
