//! Inflating streams in bounded memory: Flate data (zlib or raw deflate)
//! into at most a limit (a decompression bomb is refused holding at most
//! 1.5 × the limit), an object's data whatever its filters, and a page's
//! content stream decoded strictly (what decoded before damage, and why).

use crate::contract::api::WarningCode;

/// Why a page's text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("a content stream inflates beyond {limit} bytes")]
    TooLarge { limit: usize },
}

/// A content stream, decoded strictly: lopdf falls back to the raw bytes (or
/// to what inflated before the damage) without a word, which would feed
/// compressed garbage to the text walker and leave a broken page silently
/// empty.
pub(crate) enum Decoded {
    Whole(Vec<u8>),
    /// What decoded before the data broke off, and why it stopped.
    Partial(Vec<u8>, String),
    Unreadable(WarningCode, String),
}

/// Inflates `input` (zlib, or raw deflate when `raw`) into at most `limit`
/// bytes (one more tells the caller it was over); the output so far and the
/// error when the data is bad.
///
/// The buffer grows by doubling but never past `limit + 1`: `read_to_end`
/// would double a 32 MiB output into a 64 MiB allocation (and hold both
/// while it copies), which is how a decompression bomb used to take a
/// Worker's isolate past its 128 MB.
pub(crate) fn inflate(input: &[u8], raw: bool, limit: usize) -> (Vec<u8>, Option<String>) {
    if raw {
        bounded(flate2::read::DeflateDecoder::new(input), input.len(), limit)
    } else {
        bounded(flate2::read::ZlibDecoder::new(input), input.len(), limit)
    }
}

/// Reads `reader` to its end or to `limit + 1` bytes, whichever is first.
pub(crate) fn bounded(
    mut reader: impl std::io::Read,
    hint: usize,
    limit: usize,
) -> (Vec<u8>, Option<String>) {
    const CHUNK: usize = 64 * 1024;
    let cap = limit.saturating_add(1);
    let mut out: Vec<u8> =
        Vec::with_capacity(hint.saturating_mul(4).clamp(CHUNK, CHUNK.max(cap)).min(cap));
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let want = CHUNK.min(cap - out.len());
        if want == 0 {
            return (out, None);
        }
        match reader.read(&mut chunk[..want]) {
            Ok(0) => return (out, None),
            Ok(n) => {
                if out.capacity() - out.len() < n {
                    // Double, but once past half the limit go straight to
                    // it: a grown buffer is allocated while the old one is
                    // still held, so the peak stays under 1.5 × the limit.
                    let doubled = out.capacity().max(CHUNK) * 2;
                    let target = if doubled > cap / 2 { cap } else { doubled };
                    out.reserve_exact(target.max(out.len() + n) - out.len());
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// A stream's data decoded under `limit` bytes, for the loader's object and
/// cross-reference streams: plain Flate through [`inflate`] (bounded
/// growth), anything else (predictors, other filters) through lopdf. `None`
/// when it cannot be decoded or is over the limit.
pub(crate) fn decode_data(stream: &lopdf::Stream, limit: usize) -> Option<Vec<u8>> {
    let filters = stream.filters().unwrap_or_default();
    let plain_flate =
        filters == [b"FlateDecode".as_slice()] && stream.dict.get(b"DecodeParms").is_err();
    if !plain_flate {
        return stream.decompressed_content_with_limit(limit).ok();
    }
    let (mut out, error) = inflate(&stream.content, false, limit);
    if error.is_some() && out.is_empty() && stream.content.len() > 2 {
        // As lopdf does: a bad zlib header or checksum, raw deflate inside.
        out = inflate(&stream.content[2..], true, limit).0;
    }
    (out.len() <= limit).then_some(out)
}

pub(crate) fn decode_content(
    stream: &lopdf::Stream,
    limit: usize,
) -> Result<Decoded, ExtractError> {
    let too_large = || ExtractError::TooLarge { limit };
    let filters = stream.filters().unwrap_or_default();
    let plain_flate =
        filters == [b"FlateDecode".as_slice()] && stream.dict.get(b"DecodeParms").is_err();
    if plain_flate {
        let (out, error) = inflate(&stream.content, false, limit);
        if out.len() > limit {
            return Err(too_large());
        }
        let Some(error) = error else {
            return Ok(Decoded::Whole(out));
        };
        // A bad checksum after good data (some encrypted files): the deflate
        // data itself may be whole.
        if stream.content.len() > 2 {
            let (raw, raw_error) = inflate(&stream.content[2..], true, limit);
            if raw.len() > limit {
                return Err(too_large());
            }
            if raw_error.is_none() {
                return Ok(Decoded::Whole(raw));
            }
        }
        return Ok(if out.is_empty() {
            Decoded::Unreadable(
                WarningCode::UnreadableContent,
                format!("its Flate data is corrupt ({error})"),
            )
        } else {
            Decoded::Partial(out, format!("its Flate data breaks off ({error})"))
        });
    }
    match stream.decompressed_content_with_limit(limit) {
        Ok(data) => Ok(Decoded::Whole(data)),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            Err(too_large())
        }
        Err(lopdf::Error::Unimplemented(_)) => {
            let names: Vec<String> = filters
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            Ok(Decoded::Unreadable(
                WarningCode::UnsupportedFilter,
                format!(
                    "it uses a filter the engine cannot decode ({})",
                    names.join(", ")
                ),
            ))
        }
        Err(e) => Ok(Decoded::Unreadable(
            WarningCode::UnreadableContent,
            format!("it cannot be decoded ({e})"),
        )),
    }
}
