//! The shop's accounts, for its admins: who is online and how busy, and adding agents, changing
//! their role and capacity, resetting a password, disabling and enabling.

use checkout_chat_protocol::api::{AccountChange, AgentAccount, DEFAULT_CAPACITY, MAX_CAPACITY, NewAccount, Role};
use checkout_chat_protocol::{AgentId, AgentStatus};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::agent::AgentService;
use crate::api;
use crate::i18n::t;

#[component]
pub fn TeamPage(service: AgentService) -> impl IntoView {
    let accounts = RwSignal::new(Vec::<AgentAccount>::new());
    let error = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::accounts().await {
                Ok(list) => accounts.set(list),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    reload();
    let change = move |id: AgentId, change: AccountChange| {
        spawn_local(async move {
            match api::change_account(&id, &change).await {
                Ok(_) => {
                    error.set(None);
                    reload();
                }
                Err(message) => error.set(Some(message)),
            }
        });
    };
    let presence = move |id: &AgentId| {
        service.team.with(|team| {
            team.iter().find(|m| &m.agent.id == id).map(|m| {
                let status = match m.status {
                    AgentStatus::Online => t("online"),
                    AgentStatus::Away => t("away"),
                    AgentStatus::Offline => t("offline"),
                };
                format!("{status} · {}/{}", m.load, m.capacity)
            })
        })
    };
    view! {
        <main class="page team-page">
            <h1>{t("Team")}</h1>
            {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <table class="team-list">
                <thead>
                    <tr><th>{t("Name")}</th><th>{t("Email")}</th><th>{t("Now")}</th><th>{t("Role")}</th><th>{t("Capacity")}</th><th></th></tr>
                </thead>
                <tbody>
                    <For each=move || accounts.get() key=|a| (a.agent.id.clone(), a.role, a.capacity, a.disabled) let:account>
                        {
                            let id = account.agent.id.clone();
                            let (role_id, capacity_id, toggle_id, password_id) = (id.clone(), id.clone(), id.clone(), id.clone());
                            let disabled = account.disabled;
                            // Presence changes without the account changing: read live from the team frame.
                            let presence_id = id.clone();
                            let shown_presence = move || presence(&presence_id).unwrap_or_default();
                            view! {
                                <tr class:disabled=disabled>
                                    <td dir="auto">{account.agent.name.clone()}</td>
                                    <td>{account.email.clone()}</td>
                                    <td data-test="presence">{move || if disabled { t("disabled").to_owned() } else { shown_presence() }}</td>
                                    <td>
                                        <select aria-label=format!("{}: {}", t("Role"), account.agent.name) on:change=move |ev| {
                                            let role = if event_target_value(&ev) == "admin" { Role::Admin } else { Role::Agent };
                                            change(role_id.clone(), AccountChange { role: Some(role), ..Default::default() });
                                        }>
                                            <option value="agent" selected=account.role == Role::Agent>{t("Agent")}</option>
                                            <option value="admin" selected=account.role == Role::Admin>{t("Admin")}</option>
                                        </select>
                                    </td>
                                    <td>
                                        <input type="number" min="1" max=MAX_CAPACITY.to_string() value=account.capacity.to_string()
                                            aria-label=format!("{}: {}", t("Capacity"), account.agent.name)
                                            on:change=move |ev| {
                                                if let Ok(capacity) = event_target_value(&ev).parse::<u32>() {
                                                    change(capacity_id.clone(), AccountChange { capacity: Some(capacity), ..Default::default() });
                                                }
                                            } />
                                    </td>
                                    <td class="team-actions">
                                        <button class="link" type="button" on:click=move |_| {
                                            change(toggle_id.clone(), AccountChange { disabled: Some(!disabled), ..Default::default() });
                                        }>{if disabled { t("Enable") } else { t("Disable") }}</button>
                                        <button class="link" type="button" on:click=move |_| {
                                            let asked = web_sys::window()
                                                .and_then(|w| w.prompt_with_message(t("New password (at least 8 characters)")).ok().flatten());
                                            if let Some(password) = asked.filter(|p| !p.is_empty()) {
                                                change(password_id.clone(), AccountChange { password: Some(password), ..Default::default() });
                                            }
                                        }>{t("Reset password")}</button>
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            <AddAccount on_added=reload error />
        </main>
    }
}

#[component]
fn AddAccount(on_added: impl Fn() + Copy + Send + Sync + 'static, error: RwSignal<Option<String>>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let admin = RwSignal::new(false);
    let capacity = RwSignal::new(DEFAULT_CAPACITY.to_string());
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let account = NewAccount {
            email: email.get_untracked(),
            name: name.get_untracked(),
            password: password.get_untracked(),
            role: if admin.get_untracked() { Role::Admin } else { Role::Agent },
            capacity: capacity.get_untracked().parse().ok(),
        };
        spawn_local(async move {
            match api::add_account(&account).await {
                Ok(_) => {
                    error.set(None);
                    for field in [email, name, password] {
                        field.set(String::new());
                    }
                    capacity.set(DEFAULT_CAPACITY.to_string());
                    on_added();
                }
                Err(message) => error.set(Some(message)),
            }
        });
    };
    let field = |id: &'static str, label: &'static str, kind: &'static str, value: RwSignal<String>| {
        view! {
            <label for=id>{t(label)}</label>
            <input id=id type=kind required prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    view! {
        <form class="account-form" data-test="account-form" on:submit=on_submit>
            <h2>{t("Add an agent")}</h2>
            {field("account-name", "Name", "text", name)}
            {field("account-email", "Email", "email", email)}
            {field("account-password", "Password", "password", password)}
            {field("account-capacity", "Capacity", "number", capacity)}
            <label class="inline">
                <input type="checkbox" prop:checked=move || admin.get() on:change=move |ev| admin.set(event_target_checked(&ev)) />
                {t(" Admin (manages the team and canned responses)")}
            </label>
            <button class="primary" type="submit">{t("Add")}</button>
        </form>
    }
}
