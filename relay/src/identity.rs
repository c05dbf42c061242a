//! What a shop's signature vouches for about a shopper: an `identify` claim checked against the
//! shop's identity secret, with the time passed in (no I/O here).
//!
//! Two forms (see [`Identity`]): an identity token (a compact JWS, HS256 under the secret) verifies
//! every field it carries; the older `user_id` + `user_hash` verifies the user id only. What the
//! signature does not cover is kept, marked unverified, so agents never see "Verified" over a name
//! or an email the page made up.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use checkout_chat_protocol::limits::{MAX_IDENTITY_TOKEN_LEN, MAX_NAME_CHARS, MAX_USER_HASH_LEN, MAX_USER_ID_LEN};
use checkout_chat_protocol::text::{TextError, is_plausible_email, normalize_name};
use checkout_chat_protocol::{Claimed, Identity};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::storage::IdentityUpdate;

/// How far the shop's clock may be from ours when `exp` and `nbf` are checked (as is usual for
/// JWTs): a token made a moment ago on a server a little ahead still works.
const LEEWAY_SECONDS: f64 = 60.0;

/// Why a claim is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// Not even well formed. The widget checks the shape before sending, so this is a bad frame.
    #[error(
        "identify needs an identity_token, or a user_id with its user_hash, and a short name and a valid email if \
         given ({0})"
    )]
    Malformed(&'static str),
    /// The rest are well formed but not the shop's word: the shopper stays anonymous.
    #[error("the shop has no identity_secret")]
    NoSecret,
    #[error("user_hash is not the shop's signature of user_id")]
    WrongHash,
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl ClaimError {
    pub fn is_malformed(&self) -> bool {
        matches!(self, ClaimError::Malformed(_))
    }
}

/// Why an identity token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the identity token is not a compact JWS (three base64url parts of JSON)")]
    NotAJws,
    /// Only HS256: a token naming another algorithm (`none`, RS256, …) is never tried another way.
    #[error("the identity token is signed with {0:?}; only HS256 is accepted")]
    WrongAlgorithm(String),
    /// RFC 7515 §4.1.11: a header parameter marked critical that we do not implement means reject.
    #[error("the identity token has critical header parameters")]
    Critical,
    #[error("the identity token's signature is wrong")]
    BadSignature,
    #[error("the identity token's claims are invalid: {0}")]
    BadClaims(&'static str),
    #[error("the identity token has expired")]
    Expired,
    #[error("the identity token is not valid yet")]
    NotYetValid,
}

/// What a claim is worth under the shop's `secret`, at `now_ms`: the fields to record, each
/// marked with whether the signature covers it, or why nothing of it is believed.
pub fn check(secret: Option<&str>, claim: &Identity, now_ms: i64) -> Result<IdentityUpdate, ClaimError> {
    check_shape(claim)?;
    let plain_name = claim.name.as_deref().map(normalize_name).transpose().or_else(blank_is_none)?;
    let plain_email = claim.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned);
    let unsigned = |value: Option<String>| value.map(|value| Claimed { value, verified: false });
    let secret = secret.ok_or(ClaimError::NoSecret)?;
    if let Some(token) = &claim.identity_token {
        let signed = verify_token(secret, token, now_ms)?;
        if claim.user_id.as_ref().is_some_and(|plain| *plain != signed.user_id) {
            return Err(ClaimError::Malformed("user_id differs from the identity token's"));
        }
        // A signed field wins; the page's own fills in only what the token leaves out.
        let signed_field = |value: Option<String>| value.map(|value| Claimed { value, verified: true });
        return Ok(IdentityUpdate::Verified {
            user_id: signed.user_id,
            name: signed_field(signed.name).or_else(|| unsigned(plain_name)),
            email: signed_field(signed.email).or_else(|| unsigned(plain_email)),
        });
    }
    let (Some(user_id), Some(user_hash)) = (&claim.user_id, &claim.user_hash) else {
        return Err(ClaimError::Malformed("no identity_token and no user_id with user_hash"));
    };
    if !user_hash_is_valid(secret, user_id, user_hash) {
        return Err(ClaimError::WrongHash);
    }
    // The hash covers the user id and nothing else.
    Ok(IdentityUpdate::Verified { user_id: user_id.clone(), name: unsigned(plain_name), email: unsigned(plain_email) })
}

/// The user id a claim names, believed or not. Only for telling whether a page now names another
/// user than the one a visitor is bound to: refusing is the careful answer either way, and a page
/// that names nobody readable is treated as naming someone else.
pub fn claimed_user_id(claim: &Identity) -> Option<String> {
    if let Some(user_id) = &claim.user_id {
        return Some(user_id.clone());
    }
    let token = claim.identity_token.as_deref()?;
    let payload = token.split('.').nth(1)?;
    let claims: Claims = decode_json(payload).ok()?;
    claims.user_id.or(claims.sub)
}

fn check_shape(claim: &Identity) -> Result<(), ClaimError> {
    let malformed = |why| Err(ClaimError::Malformed(why));
    if claim.identity_token.as_ref().is_some_and(|t| t.len() > MAX_IDENTITY_TOKEN_LEN) {
        return malformed("identity_token too long");
    }
    if claim.user_id.as_ref().is_some_and(|id| id.trim().is_empty() || id.len() > MAX_USER_ID_LEN) {
        return malformed("user_id empty or too long");
    }
    if claim.user_hash.as_ref().is_some_and(|hash| hash.len() > MAX_USER_HASH_LEN) {
        return malformed("user_hash too long");
    }
    if claim.name.as_ref().is_some_and(|name| name.chars().count() > MAX_NAME_CHARS) {
        return malformed("name too long");
    }
    if claim.email.as_ref().is_some_and(|email| !email.trim().is_empty() && !is_plausible_email(email.trim())) {
        return malformed("not an email address");
    }
    Ok(())
}

/// A name with nothing to show (`""`, only spaces or invisible characters) is no name, not an
/// error: shops pass `name: ""` for customers who never gave one.
fn blank_is_none(error: TextError) -> Result<Option<String>, ClaimError> {
    match error {
        TextError::Empty | TextError::NothingVisible => Ok(None),
        TextError::TooLong { .. } => Err(ClaimError::Malformed("name too long")),
    }
}

/// Whether `user_hash` is the hex HMAC-SHA256 of `user_id` under `secret` (compared in constant
/// time).
pub fn user_hash_is_valid(secret: &str, user_id: &str, user_hash: &str) -> bool {
    let Ok(signature) = hex::decode(user_hash.trim()) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(user_id.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

/// The fields of a valid identity token, checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIdentity {
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// The claims we read; others (`iat`, `iss`, …) are allowed and ignored. A claim given twice is
/// an error (serde refuses duplicate fields), so a token cannot mean two things.
#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// Seconds since the Unix epoch (a JWT NumericDate may have a fraction).
    #[serde(default)]
    exp: Option<f64>,
    #[serde(default)]
    nbf: Option<f64>,
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::NotAJws)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::NotAJws)
}

/// Verifies a compact JWS signed with HS256 under `secret`: the header first (so no other
/// algorithm is ever tried), then the signature, and only then is the payload read.
pub fn verify_token(secret: &str, token: &str, now_ms: i64) -> Result<SignedIdentity, TokenError> {
    if token.len() > MAX_IDENTITY_TOKEN_LEN {
        return Err(TokenError::NotAJws);
    }
    let mut parts = token.split('.');
    let (Some(header_part), Some(payload_part), Some(signature_part), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::NotAJws);
    };
    let header: Header = decode_json(header_part)?;
    if header.alg != "HS256" {
        return Err(TokenError::WrongAlgorithm(header.alg));
    }
    if header.crit.is_some() {
        return Err(TokenError::Critical);
    }
    let signature = URL_SAFE_NO_PAD.decode(signature_part).map_err(|_| TokenError::NotAJws)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| TokenError::BadSignature)?;
    mac.update(header_part.as_bytes());
    mac.update(b".");
    mac.update(payload_part.as_bytes());
    mac.verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;

    let claims: Claims = decode_json(payload_part)?;
    // Milliseconds to seconds: exact enough for a minute's leeway.
    let now = now_ms as f64 / 1000.0;
    let exp = claims.exp.ok_or(TokenError::BadClaims("exp is required"))?;
    if exp + LEEWAY_SECONDS <= now {
        return Err(TokenError::Expired);
    }
    if claims.nbf.is_some_and(|nbf| nbf - LEEWAY_SECONDS > now) {
        return Err(TokenError::NotYetValid);
    }
    let user_id = match (claims.user_id, claims.sub) {
        (Some(user_id), Some(sub)) if user_id != sub => return Err(TokenError::BadClaims("user_id and sub differ")),
        (Some(user_id), _) | (None, Some(user_id)) => user_id,
        (None, None) => return Err(TokenError::BadClaims("user_id (or sub) is required")),
    };
    if user_id.trim().is_empty() || user_id.len() > MAX_USER_ID_LEN {
        return Err(TokenError::BadClaims("user_id empty or too long"));
    }
    let name = match claims.name.as_deref().map(normalize_name) {
        None | Some(Err(TextError::Empty | TextError::NothingVisible)) => None,
        Some(Ok(name)) => Some(name),
        Some(Err(TextError::TooLong { .. })) => return Err(TokenError::BadClaims("name too long")),
    };
    let email = match claims.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(email) if is_plausible_email(email) => Some(email.to_owned()),
        Some(_) => return Err(TokenError::BadClaims("email is not an email address")),
    };
    Ok(SignedIdentity { user_id, name, email })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-secret-of-the-shop";
    /// 2026-12-01 in seconds, and as the relay's clock gives it.
    const NOW: i64 = 1_796_083_200;
    const NOW_MS: i64 = NOW * 1000;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    /// A token as a shop's server makes it (the same steps as the docs' example).
    fn token_with(header: &str, claims: &serde_json::Value, secret: &str) -> String {
        let signing_input = format!("{}.{}", b64(header), b64(&claims.to_string()));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn token(claims: serde_json::Value) -> String {
        token_with(r#"{"alg":"HS256","typ":"JWT"}"#, &claims, SECRET)
    }

    fn hash(user_id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(user_id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn by_token(token: String) -> Identity {
        Identity { identity_token: Some(token), ..Identity::default() }
    }

    fn signed(value: &str) -> Option<Claimed> {
        Some(Claimed { value: value.into(), verified: true })
    }

    fn unsigned(value: &str) -> Option<Claimed> {
        Some(Claimed { value: value.into(), verified: false })
    }

    #[test]
    fn a_user_hash_verifies_the_user_id_and_nothing_else() {
        let claim = Identity {
            user_id: Some("cust-17".into()),
            name: Some("Sara Ahmadi".into()),
            email: Some("sara@example.com".into()),
            user_hash: Some(hash("cust-17")),
            identity_token: None,
        };
        assert_eq!(
            check(Some(SECRET), &claim, NOW_MS),
            Ok(IdentityUpdate::Verified {
                user_id: "cust-17".into(),
                name: unsigned("Sara Ahmadi"),
                email: unsigned("sara@example.com"),
            })
        );
        let forged = Identity { user_hash: Some(hash("cust-18")), ..claim.clone() };
        assert_eq!(check(Some(SECRET), &forged, NOW_MS), Err(ClaimError::WrongHash));
        assert_eq!(check(None, &claim, NOW_MS), Err(ClaimError::NoSecret));
    }

    #[test]
    fn user_hashes_are_compared_as_hex_in_any_case() {
        let good = hash("customer-42");
        assert!(user_hash_is_valid(SECRET, "customer-42", &good));
        assert!(user_hash_is_valid(SECRET, "customer-42", &good.to_uppercase()));
        assert!(!user_hash_is_valid(SECRET, "customer-43", &good));
        assert!(!user_hash_is_valid("another-secret-entirely", "customer-42", &good));
        assert!(!user_hash_is_valid(SECRET, "customer-42", "not hex"));
        assert!(!user_hash_is_valid(SECRET, "customer-42", ""));
    }

    #[test]
    fn a_valid_token_verifies_every_field_it_carries() {
        let claims =
            serde_json::json!({"sub": "cust-17", "name": "Sara Ahmadi", "email": "sara@example.com", "exp": NOW + 600});
        assert_eq!(
            check(Some(SECRET), &by_token(token(claims)), NOW_MS),
            Ok(IdentityUpdate::Verified {
                user_id: "cust-17".into(),
                name: signed("Sara Ahmadi"),
                email: signed("sara@example.com"),
            })
        );
        // `user_id` may stand for `sub`; extra claims are allowed; a fractional exp is a date too.
        let claims = serde_json::json!({"user_id": "cust-17", "iat": NOW, "iss": "shop", "exp": NOW as f64 + 0.5});
        assert_eq!(
            check(Some(SECRET), &by_token(token(claims)), NOW_MS),
            Ok(IdentityUpdate::Verified { user_id: "cust-17".into(), name: None, email: None })
        );
    }

    #[test]
    fn what_the_token_leaves_out_the_page_may_add_but_only_as_unverified() {
        let claim = Identity {
            name: Some("Someone Else".into()),
            email: Some("sara@example.com".into()),
            ..by_token(token(serde_json::json!({"sub": "cust-17", "name": "Sara", "exp": NOW + 600})))
        };
        assert_eq!(
            check(Some(SECRET), &claim, NOW_MS),
            Ok(IdentityUpdate::Verified {
                user_id: "cust-17".into(),
                name: signed("Sara"),
                email: unsigned("sara@example.com"),
            })
        );
        // A plain user id that contradicts the token's is a broken integration, not a claim.
        let claim = Identity { user_id: Some("cust-18".into()), ..claim };
        assert!(check(Some(SECRET), &claim, NOW_MS).is_err_and(|e| e.is_malformed()));
    }

    #[test]
    fn signed_names_are_normalised_too() {
        let claims = serde_json::json!({"sub": "c", "name": "\u{202E}annA\u{202C}  de\nVries", "exp": NOW + 60});
        assert_eq!(verify_token(SECRET, &token(claims), NOW_MS).map(|s| s.name), Ok(Some("annA de Vries".into())));
        let claims = serde_json::json!({"sub": "c", "name": "\u{200B}", "email": "", "exp": NOW + 60});
        assert_eq!(
            verify_token(SECRET, &token(claims), NOW_MS),
            Ok(SignedIdentity { user_id: "c".into(), name: None, email: None })
        );
        let claims = serde_json::json!({"sub": "c", "name": "x".repeat(MAX_NAME_CHARS + 1), "exp": NOW + 60});
        assert_eq!(verify_token(SECRET, &token(claims), NOW_MS), Err(TokenError::BadClaims("name too long")));
    }

    #[test]
    fn expired_and_early_tokens_are_refused_within_a_minutes_leeway() {
        let at = |exp: i64| token(serde_json::json!({"sub": "c", "exp": exp}));
        assert_eq!(verify_token(SECRET, &at(NOW - 61), NOW_MS), Err(TokenError::Expired));
        assert!(verify_token(SECRET, &at(NOW - 59), NOW_MS).is_ok());
        assert_eq!(
            verify_token(SECRET, &token(serde_json::json!({"sub": "c"})), NOW_MS),
            Err(TokenError::BadClaims("exp is required"))
        );
        let early = token(serde_json::json!({"sub": "c", "exp": NOW + 3600, "nbf": NOW + 120}));
        assert_eq!(verify_token(SECRET, &early, NOW_MS), Err(TokenError::NotYetValid));
    }

    #[test]
    fn only_hs256_under_the_shops_secret_is_accepted() {
        let claims = serde_json::json!({"sub": "c", "exp": NOW + 600});
        assert_eq!(
            verify_token(SECRET, &token_with(r#"{"alg":"HS256"}"#, &claims, "another-secret-entirely"), NOW_MS),
            Err(TokenError::BadSignature)
        );
        // `none`, with or without a signature part, and other algorithms are refused before any
        // signature is looked at.
        let unsigned_token = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(&claims.to_string()));
        assert_eq!(verify_token(SECRET, &unsigned_token, NOW_MS), Err(TokenError::WrongAlgorithm("none".into())));
        for alg in ["HS384", "HS512", "RS256", "hs256"] {
            let header = format!(r#"{{"alg":"{alg}"}}"#);
            assert_eq!(
                verify_token(SECRET, &token_with(&header, &claims, SECRET), NOW_MS),
                Err(TokenError::WrongAlgorithm(alg.into()))
            );
        }
        let critical = token_with(r#"{"alg":"HS256","crit":["b64"],"b64":false}"#, &claims, SECRET);
        assert_eq!(verify_token(SECRET, &critical, NOW_MS), Err(TokenError::Critical));
    }

    #[test]
    fn tampered_or_ill_formed_tokens_are_refused() {
        let good = token(serde_json::json!({"sub": "cust-17", "exp": NOW + 600}));
        let parts: Vec<&str> = good.split('.').collect();
        let other_payload = b64(&serde_json::json!({"sub": "cust-1", "exp": NOW + 600}).to_string());
        let swapped = format!("{}.{other_payload}.{}", parts[0], parts[2]);
        assert_eq!(verify_token(SECRET, &swapped, NOW_MS), Err(TokenError::BadSignature));
        for bad in [
            String::new(),
            "a.b".into(),
            format!("{good}.extra"),
            format!("{}=.{}.{}", parts[0], parts[1], parts[2]), // padding is not base64url here
            format!("{}.{}.{}", b64("not json"), parts[1], parts[2]),
            format!("{}.{}.{}", b64(r#"{"alg":7}"#), parts[1], parts[2]),
            format!("{}.{}.***", parts[0], parts[1]),
        ] {
            assert_eq!(verify_token(SECRET, &bad, NOW_MS), Err(TokenError::NotAJws), "{bad}");
        }
        // Claims that say two things, or no user, are refused even when signed.
        let duplicate = {
            let input = format!("{}.{}", b64(r#"{"alg":"HS256"}"#), b64(r#"{"sub":"a","sub":"b","exp":1e12}"#));
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        };
        assert_eq!(verify_token(SECRET, &duplicate, NOW_MS), Err(TokenError::NotAJws));
        let two_users = token(serde_json::json!({"sub": "a", "user_id": "b", "exp": NOW + 600}));
        assert_eq!(verify_token(SECRET, &two_users, NOW_MS), Err(TokenError::BadClaims("user_id and sub differ")));
        let nobody = token(serde_json::json!({"name": "Sara", "exp": NOW + 600}));
        assert!(matches!(verify_token(SECRET, &nobody, NOW_MS), Err(TokenError::BadClaims(_))));
        let bad_email = token(serde_json::json!({"sub": "a", "email": "not-an-email", "exp": NOW + 600}));
        assert!(matches!(verify_token(SECRET, &bad_email, NOW_MS), Err(TokenError::BadClaims(_))));
    }

    #[test]
    fn an_overlong_token_is_a_malformed_claim() {
        let long = by_token("a".repeat(MAX_IDENTITY_TOKEN_LEN + 1));
        assert_eq!(check(Some(SECRET), &long, NOW_MS), Err(ClaimError::Malformed("identity_token too long")));
        assert_eq!(verify_token(SECRET, &"a".repeat(MAX_IDENTITY_TOKEN_LEN + 1), NOW_MS), Err(TokenError::NotAJws));
        // Neither form at all.
        assert!(check(Some(SECRET), &Identity::default(), NOW_MS).is_err_and(|e| e.is_malformed()));
        let hash_alone = Identity { user_hash: Some(hash("x")), ..Identity::default() };
        assert!(check(Some(SECRET), &hash_alone, NOW_MS).is_err_and(|e| e.is_malformed()));
    }

    #[test]
    fn tokens_made_as_the_docs_show_are_accepted() {
        // Made by the Node and Python snippets in docs/embedding.md (exp in 2100); Python's JSON
        // has spaces after its separators.
        let node = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjdXN0LTE3IiwibmFtZSI6IlNhcmEgQWhtYWRpIiwiZW1haWwiOiJzYXJhQGV4YW1wbGUuY29tIiwiZXhwIjo0MTAyNDQ0ODAwfQ.u_LJT_wl-Cw2uCM5urYMCbzqoux_4GZ82vRqCAVFRqE";
        let python = "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiY3VzdC0xNyIsICJuYW1lIjogIlNhcmEgQWhtYWRpIiwgImVtYWlsIjogInNhcmFAZXhhbXBsZS5jb20iLCAiZXhwIjogNDEwMjQ0NDgwMH0.jwl4gdus-zT04sRZ0y1566sw6JtHTYbLF-lStfyAn00";
        let sara = SignedIdentity {
            user_id: "cust-17".into(),
            name: Some("Sara Ahmadi".into()),
            email: Some("sara@example.com".into()),
        };
        for token in [node, python] {
            assert_eq!(verify_token(SECRET, token, NOW_MS), Ok(sara.clone()));
        }
    }

    #[test]
    fn the_claimed_user_is_read_from_a_token_even_unverified() {
        let expired = by_token(token(serde_json::json!({"sub": "cust-17", "exp": NOW - 3600})));
        assert_eq!(claimed_user_id(&expired).as_deref(), Some("cust-17"));
        assert_eq!(claimed_user_id(&by_token("garbage".into())), None);
        let plain = Identity { user_id: Some("cust-9".into()), ..Identity::default() };
        assert_eq!(claimed_user_id(&plain).as_deref(), Some("cust-9"));
    }
}
