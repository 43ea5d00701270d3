//! Clock and randomness for the worker (the platform's, through js-sys and
//! getrandom's wasm_js backend).

/// Now, RFC 3339 in UTC with milliseconds.
pub fn now_rfc3339() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

/// A time in milliseconds since the epoch, RFC 3339 in UTC with milliseconds.
pub fn rfc3339_at(ms: f64) -> String {
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string())
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// `N` random bytes from the platform's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}
