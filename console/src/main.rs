//! The agents' console, served by the relay at `/console`: log in, see the shop's waiting and
//! active conversations live, open one, reply while seeing what the shopper does on the shop's
//! pages; and a report of what the shop's proactive prompts bring.

mod agent;
mod api;
mod format;
mod shopper;
mod view;

fn main() {
    leptos::mount::mount_to_body(view::App);
}
