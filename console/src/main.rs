//! The agents' console, served by the relay at `/console`: log in, see the shop's waiting and
//! active conversations live, open one, reply.

mod agent;
mod api;
mod view;

fn main() {
    leptos::mount::mount_to_body(view::App);
}
