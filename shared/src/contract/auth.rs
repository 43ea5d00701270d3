//! Owner tokens and webhook secrets: their format, how they are stored (only a
//! SHA-256 of the token is kept), and how a bearer header is read. Randomness
//! comes from the caller, so this module stays pure.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contract::api::{ErrorBody, ErrorCode};

/// Prefix of every owner token.
pub const TOKEN_PREFIX: &str = "dkt_";
/// Prefix of every webhook secret (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// Bytes of randomness in a token.
pub const TOKEN_BYTES: usize = 32;
/// Bytes of randomness in a webhook secret.
pub const SECRET_BYTES: usize = 24;

/// `dkt_` + URL-safe base64 of the random bytes.
pub fn make_token(random: &[u8; TOKEN_BYTES]) -> String {
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random))
}

/// `whsec_` + standard base64 of the random bytes.
pub fn make_webhook_secret(random: &[u8; SECRET_BYTES]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

/// The KV key under which a token's owner record is stored: the token itself
/// never is.
pub fn token_key(token: &str) -> String {
    format!("token/{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// What KV holds for a token. (The owner's webhook secrets live in its hub,
/// where they can be rotated consistently.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRecord {
    pub owner: String,
    pub created_at: String,
}

/// `POST /api/v1/tokens` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token: String,
    pub webhook_secret: String,
}

/// Reads `Authorization: Bearer dkt_…`. The error says what was wrong.
pub fn bearer(header: Option<&str>) -> Result<&str, ErrorBody> {
    let unauthorized = |m: &str| Err(ErrorBody::new(ErrorCode::Unauthorized, m));
    let Some(value) = header else {
        return unauthorized(
            "missing Authorization header: send `Authorization: Bearer <token>` (mint a token with POST /api/v1/tokens)",
        );
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return unauthorized("the Authorization header must be `Bearer <token>`");
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return unauthorized("the Authorization scheme must be Bearer");
    }
    let token = token.trim();
    let well_formed = token
        .strip_prefix(TOKEN_PREFIX)
        .is_some_and(|rest| rest.len() == 43 && URL_SAFE_NO_PAD.decode(rest).is_ok());
    if !well_formed {
        return unauthorized("the bearer token is malformed (tokens look like dkt_…)");
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_through_the_header() {
        let token = make_token(&[7; TOKEN_BYTES]);
        assert!(token.starts_with("dkt_"));
        let header = format!("Bearer {token}");
        assert_eq!(bearer(Some(&header)).unwrap(), token);
        let lower = format!("bearer  {token} ");
        assert_eq!(bearer(Some(&lower)).unwrap(), token);
    }

    #[test]
    fn bad_headers_are_unauthorized_with_a_reason() {
        let token = make_token(&[1; TOKEN_BYTES]);
        for header in [
            None,
            Some("".to_owned()),
            Some(token.clone()),
            Some(format!("Basic {token}")),
            Some("Bearer dkt_short".to_owned()),
            Some("Bearer abc".to_owned()),
        ] {
            let err = bearer(header.as_deref()).unwrap_err();
            assert_eq!(err.code, ErrorCode::Unauthorized);
            assert!(!err.message.is_empty());
        }
    }

    #[test]
    fn only_the_hash_is_a_key() {
        let token = make_token(&[9; TOKEN_BYTES]);
        let key = token_key(&token);
        assert!(key.starts_with("token/"));
        assert!(!key.contains(&token[4..]));
        assert_eq!(key.len(), "token/".len() + 64);
        assert_ne!(key, token_key(&make_token(&[8; TOKEN_BYTES])));
    }

    #[test]
    fn webhook_secrets_are_whsec_base64() {
        let secret = make_webhook_secret(&[0xAB; SECRET_BYTES]);
        let b64 = secret.strip_prefix("whsec_").unwrap();
        assert_eq!(STANDARD.decode(b64).unwrap(), vec![0xAB; SECRET_BYTES]);
    }
}
