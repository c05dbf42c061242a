//! Putting the chat on the shop, for its admins: the snippet with a copy button, the identity
//! call, the Content-Security-Policy lines the shop's pages need, and a check of where the
//! widget has been seen ("Seen on https://shop.example 2 min ago"), warning of an origin the
//! shop's allowed origins do not let in.

use checkout_chat_protocol::settings::InstallInfo;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::settings_page::SettingsTabs;
use crate::api;
use crate::i18n::t;

/// This relay's origin (`https://chat.example`), which shop pages load the widget from.
fn relay_origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// Copies `text` with the browser's clipboard; false when the browser refuses.
fn copy(text: &str) -> bool {
    use wasm_bindgen::JsCast;
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return false };
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).ok();
    let write = clipboard.as_ref().and_then(|c| js_sys::Reflect::get(c, &"writeText".into()).ok());
    match (clipboard, write.and_then(|w| w.dyn_into::<js_sys::Function>().ok())) {
        (Some(clipboard), Some(write)) => write.call1(&clipboard, &text.into()).is_ok(),
        _ => false,
    }
}

#[component]
pub fn InstallPage() -> impl IntoView {
    let info = RwSignal::new(None::<InstallInfo>);
    let error = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<&'static str>);
    spawn_local(async move {
        match api::install().await {
            Ok(loaded) => info.set(Some(loaded)),
            Err(message) => error.set(Some(message)),
        }
    });
    let relay = relay_origin();
    let sockets = relay.replacen("http", "ws", 1);
    let snippet = move || {
        let shop = info.with(|i| i.as_ref().map(|i| i.shop.to_string())).unwrap_or_default();
        format!(r#"<script src="{}/widget.js" data-shop="{shop}" async></script>"#, relay_origin())
    };
    let policy = format!("script-src {relay} 'wasm-unsafe-eval'; connect-src {relay} {sockets}");
    let now = js_sys::Date::now() as i64;
    view! {
        <main class="page install-page">
            <h1>{t("Install")}</h1>
            <SettingsTabs current="install" />
            {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <section aria-labelledby="install-snippet-title">
                <h2 id="install-snippet-title">{t("The snippet")}</h2>
                <p class="hint">{t("Paste it once into your shop's pages, before </body>.")}</p>
                <pre class="snippet"><code data-test="install-snippet">{snippet}</code></pre>
                <div class="form-actions">
                    <button class="primary" type="button" data-test="install-copy" on:click=move |_| {
                        copied.set(Some(if copy(&snippet()) { "Copied." } else { "Select the snippet and copy it." }));
                    }>{t("Copy the snippet")}</button>
                    <p role="status">{move || copied.get().map(t)}</p>
                </div>
            </section>
            <section aria-labelledby="install-check-title">
                <h2 id="install-check-title">{t("Where the chat was seen")}</h2>
                <ul class="plain-list" data-test="install-seen">
                    {move || info.with(|i| i.as_ref().map(|i| i.seen.is_empty())).unwrap_or(false).then(|| view! {
                        <li>{t("Not seen yet: open a page of your shop with the snippet, then come back here.")}</li>
                    })}
                    {move || info.get().map(|i| i.seen).unwrap_or_default().into_iter().map(|seen| {
                        let when = t("{time} ago").replace("{time}", &super::duration(now - seen.last_seen_ms));
                        view! {
                            <li>
                                {t("Seen on")}" "<code>{seen.origin.clone()}</code>" · "{when}
                                {(!seen.allowed).then(|| view! {
                                    <strong class="warning">" · "{t("not in your allowed origins: the chat cannot open there")}</strong>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section aria-labelledby="install-more-title">
                <h2 id="install-more-title">{t("If your shop needs more")}</h2>
                <p>{t("Signed-in customers: tell the chat who they are, signed on your server, so agents see a verified name and email:")}</p>
                <pre class="snippet"><code>{r#"checkoutChat.push(["identify", { identity_token: "…" }]);"#}</code></pre>
                <p>{t("A page with a Content-Security-Policy needs these sources (no 'unsafe-inline'):")}</p>
                <pre class="snippet"><code data-test="install-csp">{policy}</code></pre>
                <p>{t("Carts and orders your pages already send to Google Analytics 4 (the dataLayer) reach the chat without more code.")}</p>
            </section>
        </main>
    }
}
