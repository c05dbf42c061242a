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
    leptos::mount::mount_to_body(view::App);
}
