//! The owner's token, shared with every component through Leptos context
//! (provided once by `App`) instead of being passed down as a prop.

use leptos::prelude::*;

/// The token as a signal (`None` until the first visit has minted one).
#[derive(Clone, Copy)]
struct Token(RwSignal<Option<String>>);

/// Makes `token` the one every component below reads.
pub fn provide_token(token: RwSignal<Option<String>>) {
    provide_context(Token(token));
}

/// The token the app provided; outside an app (a component mounted alone),
/// a signal of its own with no token.
pub fn use_token() -> RwSignal<Option<String>> {
    use_context::<Token>()
        .map(|Token(token)| token)
        .unwrap_or_else(|| RwSignal::new(None))
}
