//! The agents' console, served by the relay at `/console`, in English or Dutch: log in, see the
//! shop's conversations live in tabs (waiting, mine, all open, closed), answer several at once
//! (drafts kept per conversation, canned responses by `/shortcut`), claim and transfer chats,
//! see what the shopper does on the shop's pages; manage canned responses and (admins) the
//! team; and a report of what the shop's proactive prompts bring.

mod agent;
mod api;
mod canned;
mod format;
mod i18n;
mod notify;
mod shopper;
mod view;

fn main() {
    // The page says its language (screen readers pick their voice by it, browsers their
    // hyphenation and quotes): the one the agent chose.
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", i18n::lang().code());
    }
    leptos::mount::mount_to_body(view::App);
}
