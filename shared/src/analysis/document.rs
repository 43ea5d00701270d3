//! What the engine reads of a document besides its pages' text: a page's
//! media box, the document information, the data it drops unread, and what a
//! load error means for the job.

use lopdf::{Document, Object, ObjectId};

use crate::contract::report::Metadata;

use super::{AnalysisError, Limits, loader};

/// A page's media box (inherited from the page tree when the page has
/// none), US Letter when neither says.
pub(crate) fn media_box(doc: &Document, page_id: ObjectId) -> [f64; 4] {
    let mut id = page_id;
    for _ in 0..32 {
        let Ok(dict) = doc.get_dictionary(id) else {
            break;
        };
        if let Ok(array) = dict
            .get(b"MediaBox")
            .and_then(|o| doc.dereference(o))
            .and_then(|(_, o)| o.as_array())
        {
            let v: Vec<f64> = array
                .iter()
                .filter_map(|o| match o {
                    Object::Integer(i) => Some(*i as f64),
                    Object::Real(r) => Some(f64::from(*r)),
                    _ => None,
                })
                .collect();
            if let [x0, y0, x1, y1] = v[..] {
                return [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)];
            }
        }
        match dict.get(b"Parent").and_then(Object::as_reference) {
            Ok(parent) => id = parent,
            Err(_) => break,
        }
    }
    [0.0, 0.0, 612.0, 792.0]
}

/// Load filter: keeps every object, but empties the streams text extraction
/// never reads (images, embedded font programs, XMP metadata).
///
/// lopdf keeps a top-level object as the filter left it and uses the returned
/// copy only for objects inside object streams, which are never streams: so a
/// stream is emptied in place, and other objects are returned as copies.
pub(crate) fn drop_unread_data(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object {
        if loader::data_unread(&stream.dict) {
            stream.content = Vec::new();
        }
        return Some((id, Object::Null));
    }
    Some((id, object.clone()))
}

pub(crate) fn classify_load_error(e: lopdf::Error, limits: &Limits) -> AnalysisError {
    match e {
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::AlreadyEncrypted => AnalysisError::Encrypted,
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            AnalysisError::DecompressionBomb {
                limit: limits.max_stream_bytes,
            }
        }
        other => AnalysisError::Damaged(other.to_string()),
    }
}

pub(crate) fn metadata(doc: &Document) -> Metadata {
    let info = doc.trailer.get(b"Info").ok().and_then(|o| match o {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    });
    let Some(info) = info else {
        return Metadata::default();
    };
    let text = |key: &[u8]| {
        info.get(key)
            .ok()
            .and_then(|o| match o {
                Object::Reference(id) => doc.get_object(*id).ok(),
                other => Some(other),
            })
            .and_then(|o| lopdf::decode_text_string(o).ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    Metadata {
        title: text(b"Title"),
        author: text(b"Author"),
        producer: text(b"Producer"),
        creator: text(b"Creator"),
        created: text(b"CreationDate"),
        modified: text(b"ModDate"),
    }
}
