//! Random identifiers and secrets, and the hash under which secrets are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::storage::TokenHash;

/// A new random identifier: 24 lowercase hex digits (96 bits), unguessable and URL-safe.
pub fn random_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new secret token (256 bits, base64url), for visitor tokens and agent sessions.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps instead of a token.
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// A sha256 of `text` in hex: a short, stable id derived from another.
pub fn hash_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tokens_are_distinct_and_protocol_safe() {
        let (a, b) = (random_id(), random_id());
        assert_ne!(a, b);
        assert!(checkout_chat_protocol::ConversationId::new(a).is_ok());
        let token = random_token();
        assert_eq!(token.len(), 43);
        assert!(checkout_chat_protocol::VisitorToken::new(token.clone()).is_ok());
        assert_eq!(hash_token(&token), hash_token(&token));
        assert_ne!(hash_token(&token), hash_token(&random_token()));
    }
}
