//! Security headers on every answer, and a Content-Security-Policy on the relay's own pages (the
//! console and the demo shop): nothing but this relay's scripts may run in them, no other site
//! may frame them (clickjacking an agent into closing chats), and a link out does not carry the
//! page's address.
//!
//! Trunk starts each app with a small inline module script; rather than allowing inline scripts,
//! the policy names each inline script of the page by its SHA-256, computed from the page as it
//! is served, so a rebuilt front end never needs a restart.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Largest page whose inline scripts are hashed; the relay's pages are a few KB.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// Headers for every answer: no type sniffing (a JSON answer is never run as a script), and no
/// full page address in the `Referer` of links out.
pub async fn every_answer(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    response
}

/// The policy for pages (HTML answers of the front end's files). Runs inside the compression
/// layer: it reads the page as written.
pub async fn pages(request: Request, next: Next) -> Response {
    let socket_host = websocket_host(request.headers());
    let response = next.run(request).await;
    if !is_html(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(page) = to_bytes(body, MAX_PAGE_BYTES).await else {
        tracing::warn!("a page could not be read to compute its security policy");
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let policy =
        content_security_policy(&inline_script_hashes(&String::from_utf8_lossy(&page)), socket_host.as_deref());
    match HeaderValue::from_str(&policy) {
        Ok(value) => {
            parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        Err(error) => tracing::warn!(%error, "the security policy is not a valid header"),
    }
    parts.headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

fn is_html(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

/// The request's host, for the policy's WebSocket sources (`'self'` covers `ws:` only in newer
/// browsers), if it is a plain host name or address with a port.
fn websocket_host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    plain.then(|| host.to_owned())
}

fn content_security_policy(script_hashes: &[String], socket_host: Option<&str>) -> String {
    let scripts: String = script_hashes.iter().map(|hash| format!(" 'sha256-{hash}'")).collect();
    let sockets = socket_host.map(|host| format!(" ws://{host} wss://{host}")).unwrap_or_default();
    // Wasm needs 'wasm-unsafe-eval' (compiling a module), not 'unsafe-eval'. No inline styles:
    // the widget adds constructed style sheets and writes styles through the CSSOM, the console
    // has only its style sheet file. `blob:` lets the widget read back the transcript file it
    // made in the page.
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self'; \
         img-src 'self' data: blob:; connect-src 'self' blob:{sockets}; worker-src 'self' blob:; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The base64 SHA-256 of the content of every `<script>` without `src` in `page`.
fn inline_script_hashes(page: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<script") {
        let after_name = &rest[start + "<script".len()..];
        let Some(tag_end) = after_name.find('>') else { break };
        let attributes = &after_name[..tag_end];
        let content_and_more = &after_name[tag_end + 1..];
        let Some(content_end) = content_and_more.find("</script") else { break };
        if !attributes.contains("src=") {
            hashes.push(STANDARD.encode(Sha256::digest(&content_and_more.as_bytes()[..content_end])));
        }
        rest = &content_and_more[content_end..];
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let page = "<script src=\"/shop.js\" defer></script><script type=\"module\">init()</script>";
        let expected = STANDARD.encode(Sha256::digest(b"init()"));
        assert_eq!(inline_script_hashes(page), vec![expected]);
        assert!(inline_script_hashes("<p>no scripts</p><script>unterminated").is_empty());
    }

    #[test]
    fn the_policy_allows_this_relays_sockets_and_no_framing() {
        let policy = content_security_policy(&["abc".into()], Some("127.0.0.1:8080"));
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc';"), "{policy}");
        assert!(policy.contains("connect-src 'self' blob: ws://127.0.0.1:8080 wss://127.0.0.1:8080;"), "{policy}");
        assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("evil.example; script-src *"));
        assert_eq!(websocket_host(&headers), None, "a host that is not a plain name adds nothing");
    }
}
