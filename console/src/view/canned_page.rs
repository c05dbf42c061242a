//! The shop's canned responses: every agent sees them (and uses them by typing `/shortcut`);
//! admins add them, edit them in place, give a shortcut a version per shoppers' language, and
//! remove them. A search box narrows a long list.

use checkout_chat_protocol::api::{CannedResponse, MAX_CANNED_CHARS, Role, is_valid_shortcut};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::agent::AgentService;
use crate::api;
use crate::i18n::t;

/// The shoppers' languages a version can be written for: the widget's languages, each in its
/// own name. The empty code is the version for every language.
const LANGUAGES: [(&str, &str); 4] = [("en", "English"), ("nl", "Nederlands"), ("ar", "العربية"), ("fa", "فارسی")];

fn language_name(lang: Option<&str>) -> &'static str {
    match lang {
        None => t("Every language"),
        Some(code) => LANGUAGES.iter().find(|(c, _)| *c == code).map_or("?", |(_, name)| name),
    }
}

/// Whether a response matches what was typed in the search box (shortcut or text, any case).
fn matches(response: &CannedResponse, query: &str) -> bool {
    let query = query.trim().trim_start_matches('/').to_lowercase();
    query.is_empty() || response.shortcut.contains(&query) || response.text.to_lowercase().contains(&query)
}

#[component]
pub fn CannedPage(service: AgentService) -> impl IntoView {
    service.load_canned();
    let is_admin = move || service.session.with(|s| s.as_ref().is_some_and(|s| s.role == Role::Admin));
    let shortcut = RwSignal::new(String::new());
    let lang = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let query = RwSignal::new(String::new());
    let shown = move || {
        let query = query.get();
        service.canned.with(|all| all.iter().filter(|c| matches(c, &query)).cloned().collect::<Vec<_>>())
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let name = shortcut.get_untracked().trim().trim_start_matches('/').to_owned();
        if !is_valid_shortcut(&name) {
            error.set(Some(t("A shortcut has 1 to 32 characters: a-z, 0-9, - and _").to_owned()));
            return;
        }
        let (chosen, body) = (lang.get_untracked(), text.get_untracked());
        spawn_local(async move {
            let chosen = (!chosen.is_empty()).then_some(chosen);
            match api::save_canned(&name, chosen.as_deref(), &body).await {
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
    let empty_hint = move || {
        if is_admin() {
            t("No canned responses yet. Add one below: a shortcut, like shipping, and the text it stands for.")
        } else {
            t("No canned responses yet. An admin of your shop can add them here.")
        }
    };
    view! {
        <main class="page canned-page">
            <h1>{t("Canned responses")}</h1>
            <p class="muted">{t("Type /shortcut in a reply and a space (or Tab) to insert one. {{name}}, {{cart_total}} and {{order_id}} are filled in for the shopper; {{name|there}} says “there” when the name is not known. A version for the shopper's language is used before the one for every language.")}</p>
            <Show when=move || service.canned.with(|c| !c.is_empty()) fallback=move || view! {
                <p class="empty-state" data-test="canned-empty">{empty_hint}</p>
            }>
                <p class="canned-search">
                    <label for="canned-search">{t("Search")}</label>
                    <input id="canned-search" type="search" data-test="canned-search"
                        prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
                </p>
                <table class="canned-list">
                    <thead><tr><th>{t("Shortcut")}</th><th>{t("Language")}</th><th>{t("Text")}</th><th><span class="visually-hidden">{t("Actions")}</span></th></tr></thead>
                    <tbody>
                        <For each=shown key=|c| (c.shortcut.clone(), c.lang.clone(), c.text.clone()) let:canned>
                            <CannedRow canned service is_admin=Signal::derive(is_admin) error />
                        </For>
                    </tbody>
                </table>
                <Show when=move || shown().is_empty()>
                    <p class="empty-state" data-test="canned-no-match">{t("No canned response matches the search.")}</p>
                </Show>
            </Show>
            <Show when=is_admin>
                <form class="canned-form" data-test="canned-form" on:submit=on_submit>
                    <h2>{t("Add or replace")}</h2>
                    <label for="canned-shortcut">{t("Shortcut")}</label>
                    <input id="canned-shortcut" required maxlength="33" placeholder="shipping"
                        prop:value=move || shortcut.get() on:input=move |ev| { error.set(None); shortcut.set(event_target_value(&ev)); } />
                    <label for="canned-lang">{t("For shoppers in")}</label>
                    <select id="canned-lang" data-test="canned-lang" prop:value=move || lang.get()
                        on:change=move |ev| lang.set(event_target_value(&ev))>
                        <option value="">{t("Every language")}</option>
                        {LANGUAGES.iter().map(|(code, name)| view! { <option value=*code>{*name}</option> }).collect_view()}
                    </select>
                    <label for="canned-text">{t("Text")}</label>
                    <textarea id="canned-text" required rows="3" maxlength=MAX_CANNED_CHARS.to_string()
                        prop:value=move || text.get() on:input=move |ev| { error.set(None); text.set(event_target_value(&ev)); }></textarea>
                    // Gone as soon as the agent corrects the form.
                    {move || error.get().map(|message| view! { <p class="error" role="alert" data-test="canned-error">{message}</p> })}
                    <button class="primary" type="submit">{t("Save")}</button>
                </form>
            </Show>
        </main>
    }
}

/// One response: read by everyone; an admin edits its text where it stands, or removes it.
#[component]
fn CannedRow(
    canned: CannedResponse,
    service: AgentService,
    is_admin: Signal<bool>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(canned.text.clone());
    let canned = StoredValue::new(canned);
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (response, body) = (canned.get_value(), draft.get_untracked());
        spawn_local(async move {
            match api::save_canned(&response.shortcut, response.lang.as_deref(), &body).await {
                Ok(()) => {
                    error.set(None);
                    editing.set(false);
                    service.load_canned();
                }
                Err(message) => error.set(Some(message)),
            }
        });
    };
    let remove = move |_| {
        let response = canned.get_value();
        spawn_local(async move {
            match api::delete_canned(&response.shortcut, response.lang.as_deref()).await {
                Ok(()) => service.load_canned(),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    let label = move || format!("/{}", canned.with_value(|c| c.shortcut.clone()));
    view! {
        <tr data-test="canned-row">
            <td><code>{label}</code></td>
            <td>{move || canned.with_value(|c| language_name(c.lang.as_deref()))}</td>
            <td dir="auto">
                <Show when=move || editing.get() fallback=move || canned.with_value(|c| c.text.clone())>
                    <form class="canned-edit" on:submit=save>
                        <textarea rows="3" required maxlength=MAX_CANNED_CHARS.to_string() data-test="canned-edit-text"
                            aria-label=move || format!("{} {}", t("Text of"), label())
                            prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
                        <button class="primary" type="submit" data-test="canned-edit-save">{t("Save")}</button>
                        <button class="ghost" type="button" on:click=move |_| editing.set(false)>{t("Cancel")}</button>
                    </form>
                </Show>
            </td>
            <td class="row-actions">
                <Show when=move || is_admin.get() && !editing.get()>
                    <button class="link" type="button" data-test="canned-edit"
                        aria-label=move || format!("{} {}", t("Edit"), label())
                        on:click=move |_| { draft.set(canned.get_value().text); editing.set(true); }>{t("Edit")}</button>
                    <button class="link" type="button" aria-label=move || format!("{} {}", t("Remove"), label())
                        on:click=remove>{t("Remove")}</button>
                </Show>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_looks_at_shortcut_and_text_in_any_case() {
        let response = CannedResponse { shortcut: "shipping".into(), text: "We ship in 2 DAYS.".into(), lang: None };
        for query in ["", "  ", "ship", "/ship", "days", "Days"] {
            assert!(matches(&response, query), "{query:?}");
        }
        assert!(!matches(&response, "refund"));
    }
}
