//! Streamed response bodies the runtime sends itself: each is workerd's
//! native `IdentityTransformStream`, written from here chunk by chunk with
//! every write awaited. A body whose chunks wasm hands out on each read
//! (`Response::from_stream`) leaves a read pending when the client hangs up,
//! which the runtime then reports as an uncaught rejection; here the next
//! write fails instead, and this module handles that failure: the chunks
//! stop being made, and their source is dropped (an event stream's sender
//! sees it closed).

use futures_util::future::{Either, select};
use futures_util::{Stream, StreamExt};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use worker::js_sys::{Promise, Uint8Array};
use worker::{Response, ResponseBody, console_log, console_warn};

use crate::error::AppResult;

/// The line logged when a streamed body's client hung up part-way. The
/// runtime may report the same hang-up itself, as an uncaught `Network
/// connection lost` (`xtask/src/serverlog.rs` knows the pair).
pub const CLIENT_LEFT: &str = r#"{"log":"docket.stream","what":"client_left"}"#;

#[wasm_bindgen]
extern "C" {
    type IdentityTransformStream;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<IdentityTransformStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &IdentityTransformStream) -> worker::web_sys::ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &IdentityTransformStream) -> Writable;

    type Writable;
    #[wasm_bindgen(method, catch, js_name = getWriter)]
    fn get_writer(this: &Writable) -> Result<Writer, JsValue>;

    type Writer;
    #[wasm_bindgen(method, catch)]
    fn write(this: &Writer, chunk: &Uint8Array) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn close(this: &Writer) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn abort(this: &Writer, reason: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn closed(this: &Writer) -> Promise;
}

/// A `200` whose body is `chunks`, sent as they come. A chunk that fails
/// cuts the body short (the client sees an unfinished download, never a
/// shorter one that looks whole) and is logged.
pub fn respond<S>(chunks: S) -> AppResult<Response>
where
    S: Stream<Item = Result<Vec<u8>, worker::Error>> + 'static,
{
    let pipe = IdentityTransformStream::new().map_err(worker::Error::from)?;
    let writer = pipe.writable().get_writer().map_err(worker::Error::from)?;
    wasm_bindgen_futures::spawn_local(feed(writer, chunks));
    Ok(Response::from_body(ResponseBody::Stream(pipe.readable()))?)
}

async fn feed<S>(writer: Writer, chunks: S)
where
    S: Stream<Item = Result<Vec<u8>, worker::Error>> + 'static,
{
    // Settles when the body is done with: closed here, or failed because its
    // reader went away. Awaited in the loop, so its failure is handled.
    let mut closed = JsFuture::from(writer.closed());
    let mut chunks = Box::pin(chunks);
    let ended = loop {
        let chunk = match select(chunks.next(), &mut closed).await {
            Either::Left((Some(chunk), _)) => chunk,
            Either::Left((None, _)) => break End::Whole,
            Either::Right(_) => break End::Left,
        };
        let bytes = match chunk {
            Ok(bytes) => bytes,
            Err(e) => break End::Failed(e),
        };
        let Ok(written) = writer.write(&Uint8Array::from(bytes.as_slice())) else {
            break End::Left;
        };
        if JsFuture::from(written).await.is_err() {
            break End::Left;
        }
    };
    // Nothing more is made, and an event stream's sender sees it closed.
    drop(chunks);
    match ended {
        End::Whole => {
            if let Ok(done) = writer.close() {
                let _ = JsFuture::from(done).await;
            }
        }
        End::Left => console_log!("{}", CLIENT_LEFT),
        End::Failed(e) => {
            console_warn!("a streamed response stopped part-way: {e}");
            if let Ok(aborted) = writer.abort(&JsValue::from_str(&e.to_string())) {
                let _ = JsFuture::from(aborted).await;
            }
        }
    }
    let _ = closed.await;
}

/// How a body ended.
enum End {
    /// Every chunk sent.
    Whole,
    /// Its reader went away first (the client hung up).
    Left,
    /// A chunk could not be made: the body is cut short.
    Failed(worker::Error),
}
