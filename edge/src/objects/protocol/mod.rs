//! One transport for every Durable Object: a call is a variant of the
//! object's own serde-tagged enum ([`Protocol::Calls`]), each request type
//! names its answer type per object ([`Call`]), and a stub is typed by the
//! object it reaches ([`Object`]), so a call to the wrong object does not
//! compile. Callers send with [`send`] (a WebSocket upgrade or an event
//! stream with [`forward`]); the object decodes with [`decode`] and answers
//! with [`reply`], which only accepts the answer type of the call. Nothing else
//! on either side spells a route or a status code. The calls of each object:
//! [`hub`] (`JobHub`), [`line`] (`Line`), [`limiter`] (`Limiter`).

pub mod hub;
pub mod hub_collections;
pub mod hub_work;
pub mod limiter;
pub mod line;

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::contract::api::{ErrorCode, ErrorResponse};
use worker::{Headers, Method, Request, RequestInit, Response, Stub};

use crate::error::{AppError, AppResult};

pub use hub::*;
pub use hub_collections::*;
pub use hub_work::*;
pub use limiter::*;
pub use line::*;

/// An object's calls.
pub trait Protocol {
    /// The enum every call to the object is a variant of.
    type Calls: Serialize + DeserializeOwned;
}

/// A request to object `P` and the type of its answer.
pub trait Call<P: Protocol>: Serialize {
    type Answer: Serialize + DeserializeOwned;
    /// The request as a call of `P`.
    fn wrap(self) -> P::Calls;
}

/// Declares an object's calls: `calls!(Hub, HubCall { Variant(Request) ->
/// Answer; … })` makes each request a `Call<Hub>`.
macro_rules! calls {
    ($object:ty, $enum:ident { $($variant:ident($request:ty) -> $answer:ty;)* }) => {$(
        impl $crate::objects::protocol::Call<$object> for $request {
            type Answer = $answer;
            fn wrap(self) -> $enum {
                $enum::$variant(self)
            }
        }
    )*};
}
pub(crate) use calls;

/// A stub of an object of protocol `P`.
pub struct Object<P> {
    stub: Stub,
    protocol: PhantomData<P>,
}

impl<P: Protocol> Object<P> {
    pub fn new(stub: Stub) -> Object<P> {
        Object {
            stub,
            protocol: PhantomData,
        }
    }
}

/// Makes a call to an object and decodes its typed answer.
pub async fn send<P: Protocol, C: Call<P>>(object: &Object<P>, request: C) -> AppResult<C::Answer> {
    let (status, text) = crate::util::within("a Durable Object's answer", async {
        let mut resp = forward(object, request.wrap(), None).await?;
        Ok((resp.status_code(), resp.text().await?))
    })
    .await?;
    if (200..300).contains(&status) {
        Ok(serde_json::from_str(&text)?)
    } else {
        Err(refusal(status, &text))
    }
}

/// Header carrying the call on a WebSocket upgrade (a GET has no body).
const CALL_HEADER: &str = "x-docket-call";

/// Sends a call and returns the object's answer as it is: a WebSocket
/// upgrade (`upgrade`: the client's upgrade headers; the call goes in a
/// header) or a streaming answer.
pub async fn forward<P: Protocol>(
    object: &Object<P>,
    call: P::Calls,
    upgrade: Option<&Headers>,
) -> AppResult<Response> {
    let mut init = RequestInit::new();
    match upgrade {
        Some(upgrade) => {
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
            headers.set(CALL_HEADER, &serde_json::to_string(&call)?)?;
            init.with_headers(headers);
        }
        None => {
            init.with_method(Method::Post)
                .with_body(Some(serde_json::to_string(&call)?.into()));
        }
    }
    Ok(object
        .stub
        .fetch_with_request(Request::new_with_init("https://object/call", &init)?)
        .await?)
}

/// An object's refusal as the error it stands for: a client error passes on
/// with its code; anything else is internal.
fn refusal(status: u16, text: &str) -> AppError {
    match serde_json::from_str::<ErrorResponse>(text) {
        Ok(ErrorResponse { error }) if error.code != ErrorCode::Internal => error.into(),
        _ => AppError::Internal(format!("the object answered {status}: {text}")),
    }
}

/// Reads the call a request carries (object side).
pub async fn decode<P: Protocol>(req: &mut Request) -> AppResult<P::Calls> {
    let bad = |e: serde_json::Error| AppError::Internal(format!("an unreadable call: {e}"));
    match req.headers().get(CALL_HEADER)? {
        Some(header) => serde_json::from_str(&header).map_err(bad),
        None => serde_json::from_str(&req.text().await?).map_err(bad),
    }
}

/// The answer to a call of type `C` to object `P` (object side): its typed
/// answer as JSON, or the error as `{"error": …}` with its status.
pub fn reply<P: Protocol, C: Call<P>>(answer: AppResult<C::Answer>) -> Response {
    answer
        .and_then(|a| Ok(Response::from_json(&a)?))
        .unwrap_or_else(AppError::into_response)
}
