//! The shop's canned responses: every agent sees them (and uses them by typing `/shortcut`);
//! admins add, change and remove them here.

use checkout_chat_protocol::api::{MAX_CANNED_CHARS, Role, is_valid_shortcut};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::agent::AgentService;
use crate::api;
use crate::i18n::t;

#[component]
pub fn CannedPage(service: AgentService) -> impl IntoView {
    service.load_canned();
    let is_admin = move || service.session.with(|s| s.as_ref().is_some_and(|s| s.role == Role::Admin));
    let shortcut = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (name, body) = (shortcut.get_untracked().trim().trim_start_matches('/').to_owned(), text.get_untracked());
        if !is_valid_shortcut(&name) {
            error.set(Some(t("A shortcut has 1 to 32 characters: a-z, 0-9, - and _").to_owned()));
            return;
        }
        spawn_local(async move {
            match api::save_canned(&name, &body).await {
                Ok(()) => {
                    error.set(None);
                    shortcut.set(String::new());
                    text.set(String::new());
                    service.load_canned();
                }
                Err(message) => error.set(Some(message)),
            }
        });
    };
    let remove = move |name: String| {
        spawn_local(async move {
            match api::delete_canned(&name).await {
                Ok(()) => service.load_canned(),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    view! {
        <main class="page canned-page">
            <h1>{t("Canned responses")}</h1>
            <p class="muted">{t("Type /shortcut in a reply and a space (or Tab) to insert one. {{name}}, {{cart_total}} and {{order_id}} are filled in for the shopper.")}</p>
            <table class="canned-list">
                <thead><tr><th>{t("Shortcut")}</th><th>{t("Text")}</th><th></th></tr></thead>
                <tbody>
                    <For each=move || service.canned.get() key=|c| (c.shortcut.clone(), c.text.clone()) let:canned>
                        <tr>
                            <td><code>{format!("/{}", canned.shortcut)}</code></td>
                            <td dir="auto">{canned.text.clone()}</td>
                            <td>
                                <Show when=is_admin>
                                    {
                                        let name = canned.shortcut.clone();
                                        view! { <button class="link" type="button" on:click=move |_| remove(name.clone())>{t("Remove")}</button> }
                                    }
                                </Show>
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
            <Show when=is_admin>
                <form class="canned-form" data-test="canned-form" on:submit=on_submit>
                    <h2>{t("Add or replace")}</h2>
                    <label for="canned-shortcut">{t("Shortcut")}</label>
                    <input id="canned-shortcut" required maxlength="33" placeholder="shipping"
                        prop:value=move || shortcut.get() on:input=move |ev| shortcut.set(event_target_value(&ev)) />
                    <label for="canned-text">{t("Text")}</label>
                    <textarea id="canned-text" required rows="3" maxlength=MAX_CANNED_CHARS.to_string()
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                    <button class="primary" type="submit">{t("Save")}</button>
                </form>
            </Show>
        </main>
    }
}
