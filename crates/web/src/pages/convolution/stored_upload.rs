//! The lab's upload kept in `localStorage` between visits.

use crate::lab::upload::{STORAGE_KEY, Upload};
use crate::storage::local;

/// The upload kept in `localStorage`, if any (or why it cannot be read).
pub fn stored_upload() -> Option<Result<Upload, String>> {
    let text = local()?.get_item(STORAGE_KEY).ok().flatten()?;
    Some(Upload::from_storage(&text))
}

/// Why the stored upload cannot be read, if it cannot; the entry is then removed, so the
/// notice is shown on this visit only.
pub fn forget_bad_upload() -> Option<String> {
    let e = stored_upload()?.err()?;
    // Nothing to do if the browser refuses: the notice simply shows again next time.
    if let Some(st) = local() {
        st.remove_item(STORAGE_KEY).ok();
    }
    Some(e)
}

/// Keeps the upload for the next visit.
///
/// # Errors
/// When the browser refuses (no storage, quota exceeded).
pub fn store_upload(u: &Upload) -> Result<(), String> {
    local()
        .ok_or("this browser offers no localStorage")?
        .set_item(STORAGE_KEY, &u.to_storage())
        .map_err(|e| format!("the browser refused to store it ({e:?})"))
}
