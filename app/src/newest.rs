//! The order of the app's lists of jobs and collections: newest first, by
//! creation time, then id.

/// Inserts `item` into a newest-first list before the first one created
/// before it (`stamp`: its creation time, then its id).
pub fn insert_newest_first<T>(list: &mut Vec<T>, item: T, stamp: fn(&T) -> (&str, &str)) {
    let at = list
        .iter()
        .position(|x| stamp(x) < stamp(&item))
        .unwrap_or(list.len());
    list.insert(at, item);
}
