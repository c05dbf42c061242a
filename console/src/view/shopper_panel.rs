//! The panel beside an open conversation: what the shopper does on the shop's pages, live — the
//! prompt that started the chat, the cart, the checkout step and how long they have been on it,
//! the pages visited, and a time line of cart changes, prompts and the shop's own events.
//!
//! Everything the shop or shopper wrote (names, titles, paths, steps) is text with its own
//! direction (`dir="auto"`): a Persian product name in an English console reads right.

use checkout_chat_client::util::{clock, now_ms};
use checkout_chat_protocol::{Activity, ConversationId, EventBody};
use leptos::prelude::*;

use super::claimed_view;
use crate::agent::AgentService;
use crate::format::{elapsed, money};
use crate::i18n::t;
use crate::shopper::{self, Cart, Checkout, Entry, Page, What};

/// Most pages and time line entries shown; the panel is about the recent past.
const MAX_PAGES: usize = 15;
const MAX_ENTRIES: usize = 30;

#[component]
pub fn ShopperPanel(id: ConversationId, service: AgentService, drawer: RwSignal<bool>) -> impl IntoView {
    let conversation = StoredValue::new(id);
    let cart = derived(service, conversation, shopper::current_cart);
    let checkout = derived(service, conversation, shopper::checkout);
    let pages = derived(service, conversation, |activity| shopper::pages(activity, MAX_PAGES));
    let entries = derived(service, conversation, |activity| shopper::timeline(activity, MAX_ENTRIES));
    let rule = Memo::new(move |_| prompt_rule(service, &conversation.get_value()));
    let about = move || {
        let id = conversation.get_value();
        let row = service.inbox.with(|i| i.iter().find(|c| c.id == id).cloned());
        let row = row.or_else(|| service.closed.with(|c| c.iter().find(|c| c.id == id).cloned()));
        row.map(|c| (c.locale, c.device, c.name, c.email))
    };
    let earlier = move || {
        let id = conversation.get_value();
        service.earlier.with(|all| all.get(&id).cloned().unwrap_or_default())
    };
    // Opening the drawer takes the focus into it; Escape or Close gives it back to the toggle.
    let close_button = NodeRef::<leptos::html::Button>::new();
    // Only on a change: a panel made for another conversation while the drawer is open leaves
    // the focus where the agent put it.
    Effect::new(move |was_open: Option<bool>| {
        let open = drawer.get();
        if open && was_open == Some(false) {
            if let Some(button) = close_button.get() {
                let _ = button.focus();
            }
        } else if was_open == Some(true) {
            super::focus("[data-test=shopper-drawer]");
        }
        open
    });
    view! {
        <aside class="cc-shopper" class:drawer-open=move || drawer.get() id="shopper-context" aria-label=t("Shopper")
            on:keydown=move |ev| if ev.key() == "Escape" { drawer.set(false) }>
            <div class="shopper-heading">
                <h2>{t("Shopper")}</h2>
                <button class="ghost drawer-close" type="button" data-test="close-drawer" node_ref=close_button on:click=move |_| drawer.set(false)>
                    {t("Close")}
                </button>
            </div>
            <dl class="about" data-test="shopper-about">
                {move || about().and_then(|a| a.2).map(|name| view! {
                    <dt>{t("Name")}</dt>
                    <dd data-test="shopper-name">{claimed_view(*name)}</dd>
                })}
                {move || about().and_then(|a| a.3).map(|email| view! {
                    <dt>{t("Email")}</dt>
                    <dd data-test="shopper-email">{claimed_view(*email)}</dd>
                })}
                <dt>{t("Language")}</dt>
                <dd data-test="shopper-locale">{move || about().and_then(|a| a.0).unwrap_or_else(|| t("unknown").to_owned())}</dd>
                <dt>{t("Device")}</dt>
                <dd data-test="shopper-device">{move || about().and_then(|a| a.1).unwrap_or_else(|| t("unknown").to_owned())}</dd>
            </dl>
            {move || rule.get().map(|(rule_id, message)| view! { <PromptRule rule_id message /> })}
            <section>
                <h3>{t("Cart")}</h3>
                {move || match cart.get() {
                    None => view! { <p class="empty-note">{t("No cart yet")}</p> }.into_any(),
                    Some(cart) => view! { <CartView cart /> }.into_any(),
                }}
            </section>
            <section>
                <h3>{t("Checkout")}</h3>
                <CheckoutView checkout />
            </section>
            <section>
                <h3>{t("Pages visited")}</h3>
                {move || pages_view(pages.get())}
            </section>
            <section>
                <h3>{t("Activity")}</h3>
                {move || timeline_view(entries.get())}
            </section>
            <section>
                <h3>{t("Earlier conversations")}</h3>
                {move || earlier_view(service, earlier())}
            </section>
        </aside>
    }
}

/// Something drawn from the conversation's activity, as a memo: a page view does not redraw the
/// cart, and the view updates only when what it shows has changed.
fn derived<T: PartialEq + Send + Sync + 'static>(
    service: AgentService,
    conversation: StoredValue<ConversationId>,
    draw: impl Fn(&[Activity]) -> T + Send + Sync + 'static,
) -> Memo<T> {
    Memo::new(move |_| {
        conversation
            .with_value(|id| service.activity.with(|all| draw(all.get(id).map(Vec::as_slice).unwrap_or_default())))
    })
}

/// The rule whose prompt the shopper answered: from the conversation's `prompted` event (which
/// has the prompt's text), else from the activity log's `chat_started`.
fn prompt_rule(service: AgentService, id: &ConversationId) -> Option<(String, Option<String>)> {
    let prompted = service.timelines.with(|timelines| {
        timelines.get(id)?.lines.iter().find_map(|line| match &line.body {
            EventBody::Prompted { rule_id, message } => Some((rule_id.clone(), Some(message.clone()))),
            _ => None,
        })
    });
    prompted.or_else(|| {
        let logged = service.activity.with(|all| shopper::chat_rule(all.get(id).map(Vec::as_slice)?, id));
        logged.map(|rule_id| (rule_id, None))
    })
}

#[component]
fn PromptRule(rule_id: String, message: Option<String>) -> impl IntoView {
    view! {
        <section class="prompt-rule">
            <h3>{t("Started from a prompt")}</h3>
            <p><span class="badge" data-test="prompt-rule" dir="auto">{rule_id}</span></p>
            {message.map(|message| view! { <p class="prompt-message" dir="auto">{message}</p> })}
        </section>
    }
}

#[component]
fn CartView(cart: Cart) -> impl IntoView {
    let count = cart.count();
    let total = money(cart.total, &cart.currency);
    let lines = cart
        .items
        .iter()
        .map(|item| {
            let name = if item.name.trim().is_empty() { item.sku.clone() } else { item.name.clone() };
            let amount = money(i64::from(item.qty) * item.price, &cart.currency);
            view! {
                <li>
                    <span class="qty">{format!("{} ×", item.qty)}</span>
                    <span class="name" dir="auto">{name}</span>
                    <span class="amount">{amount}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <Show when=move || count == 0>
            <p class="empty-note">{t("The cart is empty")}</p>
        </Show>
        <ul class="cart-lines">{lines}</ul>
        <p class="cart-total">
            {t("Total ")}
            <strong data-test="cart-total" data-amount=cart.total data-currency=cart.currency.clone()>{total}</strong>
            <span class="muted">{format!(" · {count} {}", if count == 1 { t("item") } else { t("items") })}</span>
        </p>
    }
}

#[component]
fn CheckoutView(checkout: Memo<Checkout>) -> impl IntoView {
    // Ticks only while the panel is shown. The step's time is the shopper's clock, the agent's
    // "now" is theirs: a clock ahead of the agent's reads as "0 s", never as negative.
    let now = RwSignal::new(now_ms());
    let ticker = set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(1)).ok();
    on_cleanup(move || {
        if let Some(ticker) = ticker {
            ticker.clear();
        }
    });
    view! {
        <p class="checkout-step" data-test="checkout-step">
            {move || match checkout.get() {
                Checkout::NotStarted => view! { <span class="empty-note">{t("Not in checkout")}</span> }.into_any(),
                Checkout::Step { step, since_ms } => view! {
                    <strong dir="auto">{step_name(&step)}</strong>
                    <span>{move || format!(" {} {}", t("for"), elapsed(now.get() - since_ms))}</span>
                }
                .into_any(),
                Checkout::Ordered { order_id, total, currency } => view! {
                    <strong>{t("Order")}" "<span dir="auto">{order_id}</span>" "{t("completed")}</strong>
                    <span class="muted">{format!(" · {}", money(total, &currency))}</span>
                }
                .into_any(),
            }}
        </p>
    }
}

fn pages_view(pages: Vec<Page>) -> AnyView {
    if pages.is_empty() {
        return view! { <p class="empty-note">{t("No pages yet")}</p> }.into_any();
    }
    let items = pages
        .into_iter()
        .map(|page| {
            let title = if page.title.trim().is_empty() { page.path.clone() } else { page.title };
            view! {
                <li>
                    <span class="page-title" dir="auto">{title}</span>
                    <span class="page-path" dir="auto">{page.path}</span>
                    <time class="at">{clock(page.at_ms)}</time>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="pages" aria-label=t("Latest first")>{items}</ol> }.into_any()
}

/// The shopper's other conversations with the shop, newest first; each opens in the console.
fn earlier_view(service: AgentService, earlier: Vec<checkout_chat_protocol::ConversationSummary>) -> AnyView {
    if earlier.is_empty() {
        return view! { <p class="empty-note">{t("None")}</p> }.into_any();
    }
    let items = earlier
        .into_iter()
        .map(|c| {
            let id = c.id.clone();
            let when = crate::format::utc_day(c.created_at_ms);
            view! {
                <li>
                    <button type="button" class="link" on:click=move |_| service.select(id.clone())>{when}</button>
                    <span class="preview" dir="auto">{c.last_message.unwrap_or_default()}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="earlier" data-test="earlier-conversations">{items}</ul> }.into_any()
}

fn timeline_view(entries: Vec<Entry>) -> AnyView {
    if entries.is_empty() {
        return view! { <p class="empty-note">{t("Nothing yet")}</p> }.into_any();
    }
    let items = entries.into_iter().map(entry_view).collect_view();
    view! { <ol class="activity" aria-label=t("Latest first")>{items}</ol> }.into_any()
}

fn entry_view(entry: Entry) -> impl IntoView {
    let (kind, text, detail) = describe(entry.what);
    view! {
        <li data-kind=kind>
            <time class="at">{clock(entry.at_ms)}</time>
            <span class="what" dir="auto">{text}</span>
            {detail.map(|detail| view! { <span class="detail" dir="auto">{detail}</span> })}
        </li>
    }
}

/// The entry's kind (for styling and tests), its line, and a detail under it, in the console's
/// language.
fn describe(what: What) -> (&'static str, String, Option<String>) {
    let quoted = |rule: &str| format!("“{rule}”");
    let with_rule = |text: &'static str, rule: &str| t(text).replace("{rule}", &quoted(rule));
    match what {
        What::Cart { count, total, currency, change } => {
            let items = if count == 1 { t("item") } else { t("items") };
            let detail = (!change.is_empty()).then_some(change);
            let line = t("Cart: {count} {items}, {total}")
                .replace("{count}", &count.to_string())
                .replace("{items}", items)
                .replace("{total}", &money(total, &currency));
            ("cart", line, detail)
        }
        What::Step(step) => ("checkout-step", t("Checkout step: {step}").replace("{step}", &step_name(&step)), None),
        What::Order { order_id, total, currency } => {
            let line = t("Order {order} completed, {total}")
                .replace("{order}", &order_id)
                .replace("{total}", &money(total, &currency));
            ("order", line, None)
        }
        What::PromptShown(rule) => ("prompt-shown", with_rule("Prompt {rule} shown", &rule), None),
        What::PromptAccepted(rule) => ("prompt-accepted", with_rule("Prompt {rule} accepted", &rule), None),
        What::PromptDismissed(rule) => ("prompt-dismissed", with_rule("Prompt {rule} dismissed", &rule), None),
        What::ChatStarted(Some(rule)) => ("chat-started", with_rule("Chat started from prompt {rule}", &rule), None),
        What::ChatStarted(None) => ("chat-started", t("Chat started").to_owned(), None),
        What::Custom { name, data } => ("custom", t("Event {name}").replace("{name}", &quoted(&name)), data),
    }
}

/// A checkout step as the agent reads it: the usual steps in the console's language, any other
/// name as the shop wrote it.
fn step_name(step: &str) -> String {
    let known = match step.to_ascii_lowercase().as_str() {
        "cart" => t("cart"),
        "information" | "contact" => t("information"),
        "shipping" | "delivery" => t("shipping"),
        "payment" => t("payment"),
        "review" => t("review"),
        "confirmation" => t("confirmation"),
        _ => return step.to_owned(),
    };
    known.to_owned()
}
