//! Walking the page tree: quickly (a node whose kids are all pages is taken
//! whole) or carefully, and the closure of objects a page's text needs.

use super::*;

/// The pages in order, as lopdf's page-tree walk finds them: a kid whose
/// `/Type` is `/Page` is a page, `/Pages` a node walked in turn (the nodes
/// are added to `doc`, for what pages inherit), another type nothing, and
/// a kid that is no dictionary with a type a page all the same (read as
/// blank). Pages themselves are not kept.
///
/// Unless `careful`, a node whose `/Count` is the number of its kids and
/// whose first kid is a page is taken to hold pages only, unread (the
/// usual flat node: reading every page's dictionary here would read most
/// of a text-only file twice); [`Ranged::load_page`] checks each page's
/// type when it reads it, and a wrong guess opens the file again carefully.
pub(crate) async fn page_tree<S: ByteSource>(
    source: &mut Source<S>,
    doc: &mut Document,
    careful: bool,
    wanted: Option<(usize, usize)>,
) -> Result<Vec<ObjectId>, LoadError> {
    const DEPTH_LIMIT: usize = 256;
    let root = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|o| o.as_reference().ok());
    let Some(root) = root else {
        return Ok(Vec::new());
    };
    let mut limit = source.xref.len().max(1);
    let mut pages = Vec::new();
    let mut stack: Vec<(Vec<Object>, usize)> = Vec::new();
    let mut current = (kids(source, doc, root).await?, 0);
    loop {
        // Whether any page this node may hold is wanted (by its kids' count).
        let from = pages.len();
        let look = wanted.is_none_or(|(start, end)| from < end && from + current.0.len() > start);
        if !careful
            && current.1 == 0
            && let Some(ids) = flat(source, doc, &current.0, look).await?
        {
            limit = limit.saturating_sub(ids.len());
            pages.extend(ids);
            current.1 = current.0.len();
        }
        let Some(kid) = current.0.get(current.1).cloned() else {
            match stack.pop() {
                Some(up) => {
                    current = up;
                    continue;
                }
                None => return Ok(pages),
            }
        };
        if limit == 0 {
            return Ok(pages);
        }
        limit -= 1;
        current.1 += 1;
        let Ok(kid_id) = kid.as_reference() else {
            continue;
        };
        let loaded = match doc.objects.get(&kid_id) {
            Some(o) => Some((kid_id, o.clone())),
            // A kid cut off (a file rebuilt by scanning) counts as a page,
            // which is then named as not read.
            None => match source.object(kid_id.0, Read::ValueOnly).await {
                Err(LoadError::Missing(_) | LoadError::Object(_)) if source.recovered => None,
                loaded => loaded?,
            },
        };
        let kind = match &loaded {
            Some((_, Object::Dictionary(d))) => d.get_type().ok().map(<[u8]>::to_vec),
            _ => None,
        };
        match kind.as_deref() {
            Some(b"Page") | None => pages.push(kid_id),
            Some(b"Pages") if stack.len() < DEPTH_LIMIT => {
                if let Some((id, node)) = loaded
                    && !doc.objects.contains_key(&id)
                {
                    let mut more = Vec::new();
                    references(&node, &mut more, 0, true);
                    doc.objects.insert(id, node);
                    closure(source, doc, more, true).await?;
                }
                let next = (kids(source, doc, kid_id).await?, 0);
                stack.push(std::mem::replace(&mut current, next));
            }
            Some(_) => {}
        }
    }
}

/// The kids of a node that holds pages only, by the quick rule (see
/// [`page_tree`]): every kid a reference, as many as the node's parent
/// counted for it — here, as its own `/Count` says — and the first a page
/// (read only when `look`).
pub(crate) async fn flat<S: ByteSource>(
    source: &mut Source<S>,
    doc: &Document,
    kids: &[Object],
    look: bool,
) -> Result<Option<Vec<ObjectId>>, LoadError> {
    let ids: Option<Vec<ObjectId>> = kids.iter().map(|k| k.as_reference().ok()).collect();
    let Some(ids) = ids.filter(|ids| ids.len() > 1) else {
        return Ok(None);
    };
    // The node these kids belong to says how many pages it holds.
    let counted = doc.objects.values().any(|o| match o {
        Object::Dictionary(d) => {
            matches!(d.get(b"Kids"), Ok(Object::Array(k)) if k.as_slice() == kids)
                && matches!(d.get(b"Count"), Ok(Object::Integer(n)) if *n == ids.len() as i64)
        }
        _ => false,
    });
    if !counted {
        return Ok(None);
    }
    if !look {
        return Ok(Some(ids));
    }
    let first = match source.object(ids[0].0, Read::ValueOnly).await? {
        Some((_, Object::Dictionary(d))) => d.get_type().ok() == Some(b"Page".as_slice()),
        _ => false,
    };
    Ok(first.then_some(ids))
}

/// A page-tree node's `/Kids` (through a reference), or none.
pub(crate) async fn kids<S: ByteSource>(
    source: &mut Source<S>,
    doc: &Document,
    node: ObjectId,
) -> Result<Vec<Object>, LoadError> {
    let Ok(dict) = doc.get_dictionary(node) else {
        return Ok(Vec::new());
    };
    Ok(match dict.get(b"Kids") {
        Ok(Object::Array(items)) => items.clone(),
        Ok(Object::Reference(id)) => match doc.objects.get(id) {
            Some(Object::Array(items)) => items.clone(),
            Some(_) => Vec::new(),
            None => match source.object(id.0, Read::Everything).await? {
                Some((_, Object::Array(items))) => items,
                _ => Vec::new(),
            },
        },
        _ => Vec::new(),
    })
}

/// Reads objects `todo` and what they refer to into `doc` (not following
/// [`UNREAD_KEYS`], nor a page-tree node's `/Kids` when `skip_kids`), skipping
/// what `doc` has; the bytes of stream data it added.
pub(crate) async fn closure<S: ByteSource>(
    source: &mut Source<S>,
    doc: &mut Document,
    mut todo: Vec<u32>,
    skip_kids: bool,
) -> Result<u64, LoadError> {
    let mut seen = HashSet::new();
    // Page-tree nodes a page inherits from: in a file rebuilt by scanning,
    // one cut off costs the page what it inherits, not the page.
    let mut parents = HashSet::new();
    let mut added = 0;
    while let Some(number) = todo.pop() {
        if !seen.insert(number) || has(doc, number) {
            continue;
        }
        let found = match source.object(number, Read::Everything).await {
            Err(LoadError::Missing(n)) if parents.contains(&n) => continue,
            found => found?,
        };
        if let Some((id, object)) = found {
            if source.recovered
                && let Ok(Object::Reference(parent)) =
                    object.as_dict().and_then(|d| d.get(b"Parent"))
            {
                parents.insert(parent.0);
            }
            references(&object, &mut todo, 0, skip_kids);
            if let Object::Stream(stream) = &object {
                added += stream.content.len() as u64;
            }
            doc.objects.insert(id, object);
        }
    }
    Ok(added)
}

/// Whether `doc` holds object `number` (of any generation).
pub(crate) fn has(doc: &Document, number: u32) -> bool {
    doc.objects
        .range((number, 0)..=(number, u16::MAX))
        .next()
        .is_some()
}
