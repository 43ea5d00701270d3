//! `JobHub`, the Durable Object that holds one owner's WebSockets (hibernation
//! API) and pushes each job event to them, numbered with a per-owner `seq`.
//!
//! So far it assigns `seq` and broadcasts; the replay buffer, subscriptions and
//! the long-poll waiters come with the WebSocket issue.

use serde_json::json;
use worker::{
    DurableObject, Env, Method, Request, Response, ResponseBuilder, Result, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair, durable_object, wasm_bindgen,
};

#[durable_object]
pub struct JobHub {
    state: State,
}

impl DurableObject for JobHub {
    fn new(state: State, _env: Env) -> Self {
        JobHub { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/publish") => {
                let job: serde_json::Value = req.json().await?;
                let seq: u64 = self.state.storage().get("seq").await?.unwrap_or(0) + 1;
                self.state.storage().put("seq", seq).await?;
                let event = json!({"type": "job.updated", "seq": seq, "job": job}).to_string();
                for ws in self.state.get_websockets() {
                    // A socket that is closing cannot take the event; it will reconnect.
                    let _ = ws.send_with_str(&event);
                }
                Response::empty()
            }
            (Method::Get, "/connect") => {
                let pair = WebSocketPair::new()?;
                self.state.accept_web_socket(&pair.server);
                Ok(ResponseBuilder::new()
                    .with_status(101)
                    .with_websocket(pair.client)
                    .empty())
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        let code = u16::try_from(code).unwrap_or(1000);
        // 1005/1006 cannot be sent back; answer a normal close instead.
        let code = if matches!(code, 1005 | 1006) {
            1000
        } else {
            code
        };
        let _ = ws.close(Some(code), Some(reason));
        Ok(())
    }
}
