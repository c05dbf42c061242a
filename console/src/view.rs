//! The console's components: login, the inbox, the conversation pane with the shopper panel
//! beside it, and the report page. They read the signals of [`AgentService`] and call its
//! methods; all I/O lives there and in `api`.

mod canned_page;
mod install_page;
mod report_page;
mod rules_page;
mod settings_page;
mod shopper_panel;
mod team_page;

use checkout_chat_client::socket::Status;
use checkout_chat_client::util::{clock, is_send_shortcut, now_ms};
use checkout_chat_protocol::api::Role;
use checkout_chat_protocol::timeline::{Line, Pending, PendingState};
use checkout_chat_protocol::{
    AgentId, AgentStatus, Author, Claimed, CloseReason, ConversationId, ConversationStatus, ConversationSummary,
    EventBody, IdentityStatus, InboxKey, InboxTab, TransferTo,
};
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;

use self::canned_page::CannedPage;
use self::install_page::InstallPage;
use self::report_page::ReportPage;
use self::rules_page::RulesPage;
use self::settings_page::SettingsPage;
use self::shopper_panel::ShopperPanel;
use self::team_page::TeamPage;
use crate::agent::AgentService;
use crate::format::{money, shown_name};
use crate::i18n::{self, Lang, t};
use crate::{api, canned, notify};

#[component]
pub fn App() -> impl IntoView {
    let service = AgentService::new();
    let checked = RwSignal::new(false);
    spawn_local(async move {
        if let Ok(Some(session)) = api::current_session().await {
            service.start(session);
        }
        checked.set(true);
    });
    view! {
        <Show when=move || checked.get()>
            <Show when=move || service.session.with(Option::is_some) fallback=move || view! { <Login service /> }>
                <Workspace service />
            </Show>
        </Show>
    }
}

#[component]
fn Login(service: AgentService) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match api::login(email.get_untracked(), password.get_untracked()).await {
                Ok(session) => service.start(session),
                Err(message) => error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="login">
            <form class="login-card" on:submit=on_submit>
                <div class="brand"><span class="brand-mark" aria-hidden="true">"cc"</span><span class="brand-name">"checkout-chat"</span></div>
                <h1>{t("Agent console")}</h1>
                <p class="muted">{t("Log in to answer your shop's shoppers.")}</p>
                <label for="email">{t("Email")}</label>
                <input id="email" name="email" type="email" autocomplete="username" required
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <label for="password">{t("Password")}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <Show when=move || error.with(Option::is_some)>
                    <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
                </Show>
                <button class="primary" type="submit" disabled=move || busy.get()>{t("Log in")}</button>
            </form>
        </main>
    }
}

/// The views of the workspace, one per URL hash (`#inbox`, `#canned`, `#team`, `#settings`,
/// `#report`), so each
/// can be linked to and the browser's back button goes back to the conversations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Inbox,
    Canned,
    Team,
    Settings,
    Rules,
    Install,
    Report,
}

fn page_from_hash() -> Page {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    match hash.as_str() {
        "#report" => Page::Report,
        "#canned" => Page::Canned,
        "#team" => Page::Team,
        "#settings" => Page::Settings,
        "#rules" => Page::Rules,
        "#install" => Page::Install,
        _ => Page::Inbox,
    }
}

#[component]
fn Workspace(service: AgentService) -> impl IntoView {
    // Waiting times in the inbox move on by themselves.
    let now = RwSignal::new(now_ms());
    let ticker = set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(15)).ok();
    on_cleanup(move || {
        if let Some(ticker) = ticker {
            ticker.clear();
        }
    });

    let page = RwSignal::new(page_from_hash());
    let hash_listener = window_event_listener(leptos::ev::hashchange, move |_| page.set(page_from_hash()));
    on_cleanup(move || hash_listener.remove());
    let current = move |which: Page| if page.get() == which { Some("page") } else { None };
    let is_admin = move || service.session.with(|s| s.as_ref().is_some_and(|s| s.role == Role::Admin));

    let agent_name = move || service.session.with(|s| s.as_ref().map(|s| s.agent.name.clone()).unwrap_or_default());
    let connection = move || match service.status.get() {
        Status::Live => None,
        Status::Connecting | Status::Idle => Some(t("Connecting…")),
        Status::Reconnecting => Some(t("Reconnecting…")),
        Status::Stopped => Some(t("Disconnected")),
    };
    let sound = RwSignal::new(notify::sound_on());
    view! {
        <div class="workspace">
            <header class="topbar">
                <div class="brand"><span class="brand-mark" aria-hidden="true">"cc"</span><span class="brand-name">"checkout-chat"</span></div>
                <nav class="views" aria-label=t("Console")>
                    <a href="#inbox" data-test="open-inbox" aria-current=move || current(Page::Inbox)>{t("Conversations")}</a>
                    <a href="#canned" data-test="open-canned" aria-current=move || current(Page::Canned)>{t("Canned responses")}</a>
                    <Show when=is_admin>
                        <a href="#team" data-test="open-team" aria-current=move || current(Page::Team)>{t("Team")}</a>
                        <a href="#settings" data-test="open-settings" aria-current=move || [Page::Settings, Page::Rules, Page::Install].into_iter().find_map(current)>{t("Settings")}</a>
                    </Show>
                    <a href="#report" data-test="open-report" aria-current=move || current(Page::Report)>{t("Report")}</a>
                </nav>
                <div class="topbar-right">
                    <span class="presence" class:presence-live=move || connection().is_none() role="status">
                        <span class="dot" aria-hidden="true"></span>
                        {move || connection().unwrap_or_default()}
                    </span>
                    <label class="status-choice">
                        <span class="visually-hidden">{t("Your status")}</span>
                        <select data-test="my-status" disabled=move || connection().is_some()
                            on:change=move |ev| {
                                let status = if event_target_value(&ev) == "away" { AgentStatus::Away } else { AgentStatus::Online };
                                service.set_status(status);
                            }>
                            <option value="online" selected=move || service.my_status.get() == AgentStatus::Online>{t("Online")}</option>
                            <option value="away" selected=move || service.my_status.get() == AgentStatus::Away>{t("Away")}</option>
                        </select>
                    </label>
                    <label class="sound-toggle">
                        <input type="checkbox" prop:checked=move || sound.get()
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                notify::set_sound(on);
                                sound.set(on);
                            } />
                        {t(" Sound")}
                    </label>
                    <Show when=move || notify::permission() == web_sys::NotificationPermission::Default>
                        <button class="ghost" type="button" on:click=move |_| notify::ask_permission()>{t("Notify me")}</button>
                    </Show>
                    <LanguageChoice />
                    <span class="agent-name">{agent_name}</span>
                    <button class="ghost" type="button" on:click=move |_| spawn_local(async move { service.logout().await })>
                        {t("Log out")}
                    </button>
                </div>
            </header>
            <Show when=move || service.session.with(|s| s.as_ref().is_some_and(|s| s.role == Role::Admin && !s.mail_configured))>
                <p class="notice-banner" role="status" data-test="no-mail">
                    {t("Mail is not set up: transcripts that shoppers ask for wait until an SMTP server is configured ([smtp] in the relay's configuration).")}
                </p>
            </Show>
            {move || service.flash.get().map(|message| view! {
                <p class="flash" role="alert">
                    <span dir="auto">{message}</span>
                    <button class="link" type="button" on:click=move |_| service.flash.set(None)>{t("Dismiss")}</button>
                </p>
            })}
            // Hidden rather than removed while another page shows: half-written replies stay.
            <div class="panes" class:has-thread=move || service.selected.with(Option::is_some) hidden=move || page.get() != Page::Inbox>
                <Inbox service now />
                <ConversationPane service now />
            </div>
            <Show when=move || page.get() == Page::Canned>
                <CannedPage service />
            </Show>
            <Show when=move || page.get() == Page::Team && is_admin()>
                <TeamPage service />
            </Show>
            <Show when=move || page.get() == Page::Settings && is_admin()>
                <SettingsPage />
            </Show>
            <Show when=move || page.get() == Page::Rules && is_admin()>
                <RulesPage />
            </Show>
            <Show when=move || page.get() == Page::Install && is_admin()>
                <InstallPage />
            </Show>
            // Made afresh each time it is opened, so the numbers are current.
            <Show when=move || page.get() == Page::Report>
                <ReportPage />
            </Show>
        </div>
    }
}

#[component]
fn LanguageChoice() -> impl IntoView {
    view! {
        <label class="language-choice">
            <span class="visually-hidden">{t("Language")}</span>
            <select on:change=move |ev| i18n::choose(&event_target_value(&ev))>
                {Lang::ALL.into_iter().map(|lang| view! {
                    <option value=lang.code() selected=lang == i18n::lang()>{lang.name()}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// The inbox's tabs: the three the relay pages, and the recently closed list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Paged(InboxTab),
    Closed,
}

impl Tab {
    const ALL: [Tab; 4] =
        [Tab::Paged(InboxTab::Waiting), Tab::Paged(InboxTab::Mine), Tab::Paged(InboxTab::Open), Tab::Closed];

    fn label(self) -> &'static str {
        match self {
            Tab::Paged(InboxTab::Waiting) => t("Waiting"),
            Tab::Paged(InboxTab::Mine) => t("Mine"),
            Tab::Paged(InboxTab::Open) => t("All open"),
            Tab::Closed => t("Closed"),
        }
    }

    fn test_id(self) -> &'static str {
        match self {
            Tab::Paged(InboxTab::Waiting) => "tab-waiting",
            Tab::Paged(InboxTab::Mine) => "tab-mine",
            Tab::Paged(InboxTab::Open) => "tab-all",
            Tab::Closed => "tab-closed",
        }
    }
}

#[component]
fn Inbox(service: AgentService, now: RwSignal<i64>) -> impl IntoView {
    let tab = RwSignal::new(Tab::Paged(InboxTab::Mine));
    // Until the agent picks a tab, the inbox opens where the work is: Waiting when chats wait and
    // none is the agent's, Mine otherwise (never an empty Mine beside a full queue).
    let picked = StoredValue::new(false);
    Effect::new(move |_| {
        let counts = service.counts.get();
        if picked.get_value() {
            return;
        }
        let work = if counts.mine == 0 && counts.waiting > 0 { InboxTab::Waiting } else { InboxTab::Mine };
        if tab.get_untracked() != Tab::Paged(work) {
            tab.set(Tab::Paged(work));
        }
    });
    // The tab's loaded conversations in the relay's order (longest waiting first): what a page
    // holds, never the whole of a flooded inbox.
    let rows = move || match tab.get() {
        Tab::Closed => service.closed.get(),
        Tab::Paged(which) => {
            let mut rows: Vec<ConversationSummary> =
                service.inbox.with(|inbox| inbox.iter().filter(|c| service.tab_lists(which, c)).cloned().collect());
            rows.sort_by_cached_key(InboxKey::of);
            rows
        }
    };
    let paged = move || match tab.get() {
        Tab::Paged(which) => Some(which),
        Tab::Closed => None,
    };
    let more = move || paged().is_some_and(|which| service.has_more(which));
    let loading = move || paged().is_some_and(|which| service.loading.with(|l| l.contains(&which)));
    view! {
        <nav class="inbox" aria-label=t("Conversations")>
            <div class="tabs" role="tablist">
                {Tab::ALL.into_iter().map(|which| view! {
                    <button type="button" role="tab" class="tab" data-test=which.test_id()
                        aria-selected=move || if tab.get() == which { "true" } else { "false" }
                        on:click=move |_| {
                            if which == Tab::Closed { service.load_closed(); }
                            picked.set_value(true);
                            tab.set(which);
                        }>
                        {which.label()}
                        {match which {
                            Tab::Paged(paged) => Some(view! {
                                <span class="tab-count">{move || service.counts.with(|c| c.of(paged))}</span>
                            }),
                            Tab::Closed => None,
                        }}
                    </button>
                }).collect_view()}
            </div>
            <Show when=move || rows().is_empty()>
                <p class="empty">{t("Nothing here. New chats appear as shoppers write.")}</p>
            </Show>
            // The panel holds the list (a list with the tabpanel role is no list any more).
            <div role="tabpanel">
                <ul>
                    <For each=rows key=|c| (c.id.clone(), c.last_seq, c.status as u8, c.unanswered, c.cart_total, c.checkout_step.clone(), c.name.clone(), c.shopper_left_at_ms) let:summary>
                        <InboxRow summary service now />
                    </For>
                </ul>
            </div>
            <Show when=more>
                <button type="button" class="show-more" data-test="show-more"
                    aria-busy=move || if loading() { "true" } else { "false" }
                    disabled=loading
                    on:click=move |_| { if let Some(which) = paged() { service.load_more(which); } }>
                    {t("Show more")}
                </button>
            </Show>
        </nav>
    }
}

#[component]
fn InboxRow(summary: ConversationSummary, service: AgentService, now: RwSignal<i64>) -> impl IntoView {
    let id = summary.id.clone();
    let selected_id = id.clone();
    let is_selected = move || service.selected.with(|s| s.as_ref() == Some(&selected_id));
    let waiting = summary.status == ConversationStatus::Waiting;
    let label = match (&summary.status, &summary.assigned_agent) {
        (ConversationStatus::Waiting, _) => t("Waiting").to_owned(),
        // Ended with the shopper's last words unanswered.
        (ConversationStatus::Closed, _) if summary.unanswered > 0 => t("Missed").to_owned(),
        (ConversationStatus::Closed, _) => t("Ended").to_owned(),
        (_, Some(agent)) => agent.name.clone(),
        _ => t("Open").to_owned(),
    };
    let since = summary.waiting_since_ms;
    let updated = summary.updated_at_ms;
    let unread = if summary.status == ConversationStatus::Closed { 0 } else { summary.unanswered };
    let shopping = shopping_line(&summary);
    let left_at = summary.shopper_left_at_ms;
    let open = summary.status != ConversationStatus::Closed;
    view! {
        <li>
            <button type="button" class="row" class:selected=is_selected data-conversation=summary.id.to_string()
                on:click=move |_| service.select(id.clone())>
                <span class="row-top">
                    <span class="visitor" dir="auto">{shown_name(&summary)}</span>
                    {name_is_unverified(&summary).then(unverified_mark)}
                    {(unread > 0).then(|| view! {
                        <span class="unread" data-test="unread" aria-label=format!("{unread} {}", t("unanswered"))>{unread}</span>
                    })}
                    <span class="badge" class:badge-waiting=waiting>{label}</span>
                </span>
                <span class="preview" dir="auto">{summary.last_message.clone().unwrap_or_default()}</span>
                <span class="row-meta">
                    <span data-test="waiting-time">{move || match since {
                        Some(since) => format!("{} {}", t("waiting"), duration(now.get() - since)),
                        None => clock(updated),
                    }}</span>
                    {shopping.map(|line| view! { <span class="shopping" data-test="row-cart" dir="auto">{line}</span> })}
                    {open.then(|| view! { <ShopperPresence left_at now /> })}
                </span>
            </button>
        </li>
    }
}

/// "Online now", or "Left 12 min ago": whether the shopper still has the chat open somewhere.
#[component]
fn ShopperPresence(left_at: Option<i64>, now: RwSignal<i64>) -> impl IntoView {
    let text = move || match left_at {
        None => t("Online now").to_owned(),
        Some(left) => t("Left {time} ago").replace("{time}", &duration(now.get() - left)),
    };
    view! {
        <span class="shopper-presence" class:shopper-here=left_at.is_none() data-test="shopper-presence">{text}</span>
    }
}

/// The badge beside a shopper's name: what the shop's signature vouches for. "Verified customer"
/// only when it covers everything shown of them; a signed user id beside a name or an email the
/// page passed unsigned is said to be only that.
fn identity_badge(summary: &ConversationSummary) -> (&'static str, String) {
    let all_signed = [&summary.name, &summary.email].into_iter().flatten().all(|field| field.verified);
    match (summary.identity, &summary.user_id) {
        (IdentityStatus::Verified, Some(user_id)) if all_signed => {
            ("badge badge-verified", format!("{} · {} {user_id}", t("Verified customer"), t("user id")))
        }
        (IdentityStatus::Verified, None) if all_signed => ("badge badge-verified", t("Verified customer").to_owned()),
        (IdentityStatus::Verified, Some(user_id)) => {
            ("badge badge-verified-id", format!("{} {user_id}", t("Verified user id")))
        }
        (IdentityStatus::Verified, None) => ("badge badge-verified-id", t("Verified user id").to_owned()),
        (IdentityStatus::Unverified, _) => ("badge badge-unverified", t("Unverified").to_owned()),
        (IdentityStatus::Anonymous, _) => ("badge", t("Anonymous").to_owned()),
    }
}

/// Whether the name shown is one the page gave without the shop's signature.
fn name_is_unverified(summary: &ConversationSummary) -> bool {
    summary.name.as_ref().is_some_and(|name| !name.verified)
}

/// Said beside a name or email the shop did not sign.
fn unverified_mark() -> impl IntoView {
    view! { <span class="claim claim-unverified" data-test="unverified">{t("unverified")}</span> }
}

/// Something the shop said about the shopper (shown as text, in its own direction) and whether
/// its signature covers it.
fn claimed_view(claimed: Claimed) -> impl IntoView {
    let mark = if claimed.verified {
        view! { <span class="claim claim-verified" data-test="verified">{t("verified")}</span> }.into_any()
    } else {
        unverified_mark().into_any()
    };
    view! { <bdi>{claimed.value}</bdi>{mark} }
}

/// "€54.90 · payment": the cart and the checkout step, as far as they are known.
fn shopping_line(summary: &ConversationSummary) -> Option<String> {
    let cart = match (summary.cart_total, &summary.cart_currency) {
        // An empty cart says nothing worth a place in the row.
        (Some(total), Some(currency)) if total != 0 => Some(money(total, currency)),
        _ => None,
    };
    let parts: Vec<String> = cart.into_iter().chain(summary.checkout_step.clone()).collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

#[component]
fn ConversationPane(service: AgentService, now: RwSignal<i64>) -> impl IntoView {
    // Below 1100 px the shopper panel is a drawer over the conversation, opened from its header;
    // a window grown wider (a tablet turned) shows the panel beside it again, drawer closed.
    let drawer = RwSignal::new(false);
    let resized = window_event_listener(leptos::ev::resize, move |_| {
        if !narrower_than(1100) && drawer.get_untracked() {
            drawer.set(false);
        }
    });
    on_cleanup(move || resized.remove());
    view! {
        <main class="conversation">
            {move || match service.selected.get() {
                None => view! { <p class="placeholder">{t("Choose a conversation on the left.")}</p> }.into_any(),
                Some(id) => view! {
                    <OpenConversation id=id.clone() service now drawer />
                    <ShopperPanel id service drawer />
                }
                .into_any(),
            }}
        </main>
    }
}

#[component]
fn OpenConversation(
    id: ConversationId,
    service: AgentService,
    now: RwSignal<i64>,
    drawer: RwSignal<bool>,
) -> impl IntoView {
    let list = NodeRef::<leptos::html::Ol>::new();
    let me = service.my_id();
    // Stored so the closures below can be copied.
    let conversation = StoredValue::new(id);
    // The draft lives in the service, per conversation: switching away and back keeps it.
    let draft = Signal::derive(move || {
        let id = conversation.get_value();
        service.drafts.with(|d| d.get(&id).cloned().unwrap_or_default())
    });
    let set_draft = move |text: String| {
        let id = conversation.get_value();
        service.drafts.update(|d| {
            d.insert(id, text);
        });
    };
    let summary = move || {
        let id = conversation.get_value();
        service
            .inbox
            .with(|i| i.iter().find(|c| c.id == id).cloned())
            .or_else(|| service.closed.with(|c| c.iter().find(|c| c.id == id).cloned()))
    };
    let title = move || summary().map(|c| shown_name(&c)).unwrap_or_default();
    let lines = move || {
        let id = conversation.get_value();
        service.timelines.with(|t| t.get(&id).map(|t| t.lines.clone()).unwrap_or_default())
    };
    let pending = move || {
        let id = conversation.get_value();
        service.timelines.with(|t| t.get(&id).map(|t| t.pending.clone()).unwrap_or_default())
    };
    let identity = move || summary().map_or_else(|| ("badge", t("Anonymous").to_owned()), |s| identity_badge(&s));
    let name_unverified = move || summary().is_some_and(|s| name_is_unverified(&s));
    let contact = move || summary().and_then(|s| s.contact_email).map(|email| format!("{} {email}", t("Email:")));
    let closed = move || {
        let id = conversation.get_value();
        service.timelines.with(|t| t.get(&id).is_some_and(|t| t.closed))
    };
    let waiting = move || summary().is_some_and(|s| s.status == ConversationStatus::Waiting);
    let typing = move || service.shopper_typing.with(|typing| typing.contains_key(&conversation.get_value()));
    Effect::new(move |_| {
        service.timelines.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    // A note goes to the other agents only; the box says so while it is ticked.
    let as_note = RwSignal::new(false);
    let values = move || {
        summary()
            .map(|s| canned::Values {
                name: (s.identity == IdentityStatus::Verified).then_some(s.visitor_name),
                cart_total: s.cart_total.zip(s.cart_currency).map(|(total, currency)| money(total, &currency)),
                order_id: s.last_order_id,
            })
            .unwrap_or_default()
    };
    // The versions for this shopper's language, shown as they will be sent.
    let canned_here = move || {
        let locale = summary().and_then(|s| s.locale);
        service.canned.with(|canned| canned::for_language(canned, locale.as_deref()))
    };
    let suggestions = move || {
        let (draft, values) = (draft.get(), values());
        let canned = canned_here();
        canned::suggestions(&draft, &canned)
            .into_iter()
            .map(|c| (c.shortcut.clone(), canned::fill(&c.text, &values)))
            .collect::<Vec<_>>()
    };
    let submit = move || {
        let (id, text) = (conversation.get_value(), draft.get_untracked());
        let sent = if as_note.get_untracked() { service.note(&id, &text) } else { service.send(&id, &text) };
        if sent {
            set_draft(String::new());
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        submit();
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Tab" && !ev.shift_key() {
            let expanded = untrack(|| canned::expand_first(&draft.get_untracked(), &canned_here(), &values()));
            if let Some(expanded) = expanded {
                ev.prevent_default();
                set_draft(expanded);
            }
        } else if is_send_shortcut(&ev) {
            ev.prevent_default();
            submit();
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let expanded = untrack(|| canned::expand_on_space(&text, &canned_here(), &values()));
        set_draft(expanded.unwrap_or(text));
        // A note is not typing to the shopper.
        if !as_note.get_untracked() {
            service.typing(&conversation.get_value());
        }
    };
    let transferring = RwSignal::new(false);
    let blocking = RwSignal::new(false);
    let ending = RwSignal::new(false);
    // On a phone the row that opened this is hidden now: the focus goes to the conversation's
    // name, and back to that row when the agent goes back.
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading.get()
            && narrower_than(760)
        {
            let _ = heading.focus();
        }
    });
    let back = move |_| {
        let id = conversation.get_value();
        service.selected.set(None);
        // Once the inbox is drawn again.
        request_animation_frame(move || focus(&format!(".row[data-conversation=\"{id}\"]")));
    };
    view! {
        // While the shopper drawer lies over it, the conversation cannot be reached behind it.
        <section class="thread" aria-label=title inert=move || drawer.get()>
            <header class="thread-header">
                // On a phone the inbox and the conversation take turns; this goes back.
                <button class="ghost narrow-only back-to-inbox" type="button" data-test="back-to-inbox" on:click=back>
                    <span aria-hidden="true">"‹ "</span>{t("Conversations")}
                </button>
                <div class="thread-title">
                    <h2 dir="auto" tabindex="-1" node_ref=heading><bdi>{title}</bdi>{move || name_unverified().then(unverified_mark)}</h2>
                    <p class="thread-meta">
                        <span class=move || identity().0>{move || identity().1}</span>
                        {move || contact().map(|c| view! { <span class="contact">{c}</span> })}
                        {move || summary().and_then(|s| s.assigned_agent).map(|a| view! {
                            <span class="assigned">{format!("{} {}", t("With"), a.name)}</span>
                        })}
                        {move || summary().filter(|s| s.status != ConversationStatus::Closed).map(|s| view! {
                            <ShopperPresence left_at=s.shopper_left_at_ms now />
                        })}
                    </p>
                </div>
                <div class="thread-actions">
                    <button class="ghost drawer-toggle" type="button" data-test="shopper-drawer"
                        aria-controls="shopper-context" aria-expanded=move || drawer.get().to_string()
                        on:click=move |_| drawer.update(|open| *open = !*open)>
                        {t("Shopper")}
                    </button>
                    <Show when=waiting>
                        <button class="primary" type="button" data-test="claim"
                            on:click=move |_| service.claim(&conversation.get_value())>{t("Take this chat")}</button>
                    </Show>
                    <Show when=move || !closed()>
                        <button class="ghost" type="button" data-test="transfer" on:click=move |_| transferring.update(|t| *t = !*t)>
                            {t("Transfer")}
                        </button>
                        <button class="ghost end-chat" type="button" aria-expanded=move || ending.get().to_string()
                            on:click=move |_| ending.update(|e| *e = !*e)>
                            {t("End chat")}
                        </button>
                        <button class="ghost" type="button" data-test="block" aria-expanded=move || blocking.get().to_string()
                            on:click=move |_| blocking.update(|b| *b = !*b)>
                            {t("Block as spam")}
                        </button>
                    </Show>
                </div>
            </header>
            <Show when=move || ending.get() && !closed()>
                <div class="block-confirm" role="group" aria-label=t("End chat") data-test="end-confirm">
                    <p>{t("End this chat? The shopper is asked to rate it.")}</p>
                    <button class="primary" type="button" data-test="end-confirmed"
                        on:click=move |_| { service.close_conversation(&conversation.get_value()); ending.set(false); }>
                        {t("End chat")}
                    </button>
                    <button class="ghost" type="button" on:click=move |_| ending.set(false)>{t("Cancel")}</button>
                </div>
            </Show>
            <Show when=move || blocking.get() && !closed()>
                <div class="block-confirm" role="group" aria-label=t("Block as spam") data-test="block-confirm">
                    <p>{t("Block this shopper? The chat ends, they cannot start a new one, and nobody at their address can for an hour.")}</p>
                    <button class="primary" type="button" data-test="block-confirmed"
                        on:click=move |_| { service.block(&conversation.get_value()); blocking.set(false); }>
                        {t("Block")}
                    </button>
                    <button class="ghost" type="button" on:click=move |_| blocking.set(false)>{t("Cancel")}</button>
                </div>
            </Show>
            <Show when=move || transferring.get()>
                <TransferForm conversation=conversation.get_value() service done=transferring />
            </Show>
            <ol class="messages" node_ref=list aria-live="polite">
                <For each=lines key=|line| line.seq let:line>
                    <LineView line me=me.clone() />
                </For>
                <For each=pending key=|p| (p.client_id.clone(), p.state != PendingState::Sending) let:pending>
                    <PendingView pending conversation=conversation.get_value() service />
                </For>
            </ol>
            <p class="typing" aria-live="polite">{move || typing().then_some(t("The shopper is typing…"))}</p>
            <form class="composer" on:submit=on_submit>
                <Show when=move || !suggestions().is_empty()>
                    <ul class="canned-suggestions" data-test="canned-suggestions" aria-label=t("Canned responses (Tab inserts the first)")>
                        {move || suggestions().into_iter().map(|(shortcut, preview)| view! {
                            <li><strong>{format!("/{shortcut}")}</strong>" "<span dir="auto">{preview}</span></li>
                        }).collect_view()}
                    </ul>
                </Show>
                <textarea class="reply" rows="2" aria-label=t("Reply") placeholder=t("Write a reply… (Enter sends, Shift+Enter for a new line, /shortcut for a canned response)")
                    prop:value=move || draft.get() disabled=closed
                    on:input=on_input
                    on:keydown=on_keydown></textarea>
                <button class="primary" type="submit" disabled=move || draft.with(|d| d.trim().is_empty())>
                    {move || if as_note.get() { t("Add note") } else { t("Send") }}
                </button>
                <label class="note-toggle">
                    <input type="checkbox" prop:checked=move || as_note.get()
                        on:change=move |ev| {
                            let note = event_target_checked(&ev);
                            as_note.set(note);
                            if note { service.stop_typing(&conversation.get_value()); }
                        } />
                    {t(" Internal note (only agents see it)")}
                </label>
            </form>
        </section>
    }
}

/// To whom, and a note for them: colleagues online or away, with their load, and "a supervisor"
/// (the least busy admin online) only when an admin other than this agent is connected.
#[component]
fn TransferForm(conversation: ConversationId, service: AgentService, done: RwSignal<bool>) -> impl IntoView {
    // Kept in the reactive arena, so the closures below stay `Copy`.
    let me = StoredValue::new(service.my_id());
    let colleagues = move || {
        let me = me.get_value();
        service.team.with(|team| {
            team.iter()
                .filter(|m| Some(&m.agent.id) != me.as_ref() && m.status != AgentStatus::Offline)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let has_supervisor = move || colleagues().iter().any(|m| m.role == Role::Admin);
    // The first choice offered: a supervisor when there is one, else the first colleague.
    let first_choice = if has_supervisor() {
        String::from("supervisor")
    } else {
        colleagues().first().map(|m| m.agent.id.to_string()).unwrap_or_default()
    };
    let target = RwSignal::new(first_choice);
    let note = RwSignal::new(String::new());
    let conversation = StoredValue::new(conversation);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let to = match target.get_untracked().as_str() {
            "supervisor" => TransferTo::Supervisor,
            id => match AgentId::new(id) {
                Ok(id) => TransferTo::Agent(id),
                Err(_) => return,
            },
        };
        service.transfer(&conversation.get_value(), to, &note.get_untracked());
    };
    // The form closes once the handover is stored; a refusal stays in it, until the agent
    // changes their choice.
    Effect::new(move |was: Option<bool>| {
        let sent = service.transferring.with(Option::is_some);
        if was == Some(true) && !sent && service.transfer_refused.with_untracked(Option::is_none) {
            done.set(false);
        }
        sent
    });
    // Closed (cancelled, or another conversation chosen): a late answer is the top's to tell.
    on_cleanup(move || {
        service.transferring.set(None);
        service.transfer_refused.set(None);
    });
    let nobody = move || colleagues().is_empty();
    view! {
        <form class="transfer" data-test="transfer-form" on:submit=on_submit>
            <label>
                {t("Transfer to")}
                <select disabled=nobody on:change=move |ev| {
                    target.set(event_target_value(&ev));
                    service.transfer_refused.set(None);
                }>
                    {move || has_supervisor().then(|| view! {
                        <option value="supervisor" selected=move || target.get() == "supervisor">{t("A supervisor")}</option>
                    })}
                    {move || colleagues().into_iter().map(|m| {
                        let status = if m.status == AgentStatus::Away { t("away") } else { t("online") };
                        let label = format!("{} ({status} · {}/{})", m.agent.name, m.load, m.capacity);
                        let id = m.agent.id.to_string();
                        let value = id.clone();
                        view! { <option value=value selected=move || target.get() == id>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <Show when=nobody>
                <p class="form-note" role="status">{t("Nobody else is online to take this chat.")}</p>
            </Show>
            <p class="error" role="alert" data-test="transfer-refused">{move || service.transfer_refused.get()}</p>
            <label>
                {t("Note for them")}
                <input type="text" maxlength="4000" prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev)) />
            </label>
            <button class="primary" type="submit" disabled=move || nobody() || service.transferring.with(Option::is_some)>
                {t("Transfer")}
            </button>
            <button class="ghost" type="button" on:click=move |_| done.set(false)>{t("Cancel")}</button>
        </form>
    }
}

#[component]
fn LineView(line: Line, me: Option<checkout_chat_protocol::AgentId>) -> impl IntoView {
    let time = clock(line.at_ms);
    let (who, mine) = match &line.author {
        Author::Visitor => (t("Shopper").to_owned(), false),
        Author::Agent(agent) => (agent.name.clone(), Some(&agent.id) == me.as_ref()),
        Author::System => (t("System").to_owned(), false),
    };
    let notice = |text: String| view! { <li class="notice">{text}</li> }.into_any();
    match line.body {
        EventBody::Joined => notice(t("{who} joined the conversation").replace("{who}", &who)),
        EventBody::Reopened => notice(t("The shopper wrote again: the chat is open again").to_owned()),
        EventBody::Closed { reason: None } => notice(t("{who} ended the conversation").replace("{who}", &who)),
        EventBody::Closed { reason: Some(CloseReason::ShopperLeft) } => {
            notice(t("Closed by itself: the shopper left and did not come back").to_owned())
        }
        EventBody::Closed { reason: Some(CloseReason::Missed) } => {
            notice(t("Missed: the shopper left with a message unanswered").to_owned())
        }
        EventBody::TranscriptRequested { email } => {
            notice(t("The shopper asked for the transcript at {email}").replace("{email}", &email))
        }
        // For agents only: who handed the chat on, to whom, and why.
        EventBody::Handover { to: Some(to), note } => view! {
            <li class="notice handover" data-test="handover">
                {t("{who} transferred the chat to {to}").replace("{who}", &who).replace("{to}", &to.name)}
                {note.map(|note| view! { <span>": "<bdi class="handover-note">{note}</bdi></span> })}
            </li>
        }
        .into_any(),
        EventBody::Handover { to: None, .. } => {
            notice(t("{who} went offline; the chat went back to the queue").replace("{who}", &who))
        }
        EventBody::Rated { score, comment } => {
            let stars =
                format!("{}{}", "★".repeat(usize::from(score.min(5))), "☆".repeat(usize::from(5 - score.min(5))));
            let comment = comment.map(|c| format!(" “{c}”")).unwrap_or_default();
            view! { <li class="notice rating" dir="auto">{format!("{} {stars} ({score}/5){comment}", t("Rated"))}</li> }
                .into_any()
        }
        EventBody::Message { text } => view! {
            <li class="message" class:mine=mine>
                <span class="author">{who}</span>
                <div class="bubble" dir="auto">{text}</div>
                <span class="meta">{time}</span>
            </li>
        }
        .into_any(),
        // What the shopper was answering: their first message reads oddly without it.
        EventBody::Prompted { rule_id, message } => view! {
            <li class="notice prompted">
                {format!("{} “{rule_id}”: ", t("Prompt"))}<bdi class="prompt-text">{message}</bdi>
            </li>
        }
        .into_any(),
        EventBody::Note { text } => view! {
            <li class="message note" class:mine=mine>
                <span class="author">{format!("{who} · {}", t("internal note"))}</span>
                <div class="bubble" dir="auto">{text}</div>
                <span class="meta">{time}</span>
            </li>
        }
        .into_any(),
        EventBody::LeftMessage { email, text } => view! {
            <li class="message">
                <span class="author">{t("{who} left a message – reply to {email}").replace("{who}", &who).replace("{email}", &email)}</span>
                <div class="bubble" dir="auto">{text}</div>
                <span class="meta">{time}</span>
            </li>
        }
        .into_any(),
    }
}

#[component]
fn PendingView(pending: Pending, conversation: ConversationId, service: AgentService) -> impl IntoView {
    let Pending { client_id, text, state, .. } = pending;
    let meta = match state {
        PendingState::Sending => view! { <span class="meta">{t("Sending…")}</span> }.into_any(),
        PendingState::Failed(reason) => {
            let (retry, discard) = ((conversation.clone(), client_id.clone()), (conversation, client_id));
            view! {
                <span class="meta failed" role="alert">
                    {format!("{} {reason} · ", t("Not sent"))}
                    <button type="button" class="link" on:click=move |_| service.retry(&retry.0, &retry.1)>{t("Retry")}</button>
                    " · "
                    <button type="button" class="link" on:click=move |_| service.discard(&discard.0, &discard.1)>{t("Discard")}</button>
                </span>
            }
            .into_any()
        }
    };
    view! {
        <li class="message mine pending">
            <div class="bubble" dir="auto">{text}</div>
            {meta}
        </li>
    }
}

/// "45 s", "3 min", "2 h 5 min".
fn duration(ms: i64) -> String {
    let seconds = (ms / 1000).max(0);
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

/// Whether the window is at most `px` wide: the stylesheet's 1100 px (the shopper panel is a
/// drawer) and 760 px (the inbox and the conversation take turns).
fn narrower_than(px: u32) -> bool {
    window().match_media(&format!("(max-width: {px}px)")).ok().flatten().is_some_and(|m| m.matches())
}

/// Moves the focus to the first element matching `selector`, if there is one.
pub(crate) fn focus(selector: &str) {
    use wasm_bindgen::JsCast;
    let found = document().query_selector(selector).ok().flatten();
    if let Some(element) = found.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
    }
}
