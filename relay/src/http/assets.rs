//! The built front end, served from `static_dir`: `shop/` (the demo shop and the widget, Trunk's
//! build of the top-level `index.html`) at the root, `console/` under `/console`.
//!
//! The widget's files are loaded by shop pages on other origins, so they carry a CORS header: for
//! any origin while some shop allows any, otherwise only for the shops' allowed origins (a page
//! elsewhere then cannot load the chat app, which is fetched with CORS). No credentials are
//! involved. Everything is revalidated on each
//! load (`no-cache`) because the bundle file names do not change between builds.

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use std::sync::Arc;

use crate::config::Config;
use crate::shops::Shops;
use crate::state::AppState;

pub fn routes(config: &Config, shops: &Arc<Shops>) -> Router<AppState> {
    let shop_dir = config.static_dir.join("shop");
    let console_dir = config.static_dir.join("console");
    if !shop_dir.join("widget.js").is_file() || !console_dir.join("index.html").is_file() {
        tracing::warn!(
            static_dir = %config.static_dir.display(),
            "the front end is not built here; run ./scripts/build.sh (or use ./scripts/run.sh)"
        );
    }
    // The console is a single-page app: unknown paths under /console get its index page.
    let console = ServeDir::new(&console_dir).fallback(ServeFile::new(console_dir.join("index.html")));
    let public = CorsLayer::new().allow_origin(widget_origins(shops)).allow_methods([Method::GET, Method::HEAD]);
    Router::new()
        .nest_service("/console", console)
        .fallback_service(ServeDir::new(shop_dir))
        .layer(axum::middleware::from_fn(super::security_headers::pages))
        .layer(public)
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}

/// The origins whose pages may load the widget's files: any, unless every shop names its own.
/// Asked on each request, since admins change their shop's origins while the relay runs.
fn widget_origins(shops: &Arc<Shops>) -> AllowOrigin {
    let shops = Arc::clone(shops);
    AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        let origin = origin.to_str().ok();
        shops.all().iter().any(|shop| shop.allows_origin(origin))
    })
}
