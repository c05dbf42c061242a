//! Proactive prompts: rules a shop configures ("on the payment step for 30 s with a cart over
//! 50 EUR, offer help") and the logic that decides when one appears. Shared so that the relay,
//! which validates the shop's config and sends the rules, and the widget, which evaluates them in
//! the shopper's browser, agree on one definition.
//!
//! Everything here runs in the widget except [`validate()`] and the TOML reading behind the `serde`
//! feature, which are relay-only. The widget has a tight size budget, so the widget-side code
//! avoids serde, float formatting and parsing, Unicode tables and hash maps: integers and small
//! hand-written text codecs only. No I/O and no clock; the caller passes the time in.

pub mod caps;
#[cfg(feature = "serde")]
mod de;
#[cfg(feature = "serde")]
pub mod editing;
pub mod eval;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod model;
mod text;
pub mod validate;
pub mod wire;

pub use caps::{History, Screen, choose, choose_named};
pub use eval::{Cart, Context};
pub use model::{Amount, Cap, Condition, Localized, Rule, VisitorKind};
pub use validate::{RuleError, validate};
pub use wire::WireError;
