//! Identifiers as validated newtypes: a value of one of these types has already been checked for
//! length and alphabet, so it is safe to log, store and use as a key.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::limits::{MAX_ID_LEN, MAX_TOKEN_LEN};

/// Per-conversation sequence number of an event. The first event of a conversation has 1; a client
/// that has seen nothing says 0.
pub type Seq = u64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} must not be empty")]
    Empty { kind: &'static str },
    #[error("{kind} is longer than {max} bytes")]
    TooLong { kind: &'static str, max: usize },
    #[error("{kind} may contain only letters, digits, '-' and '_'")]
    BadCharacter { kind: &'static str },
}

fn validate(kind: &'static str, value: &str, max: usize) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.len() > max {
        return Err(IdError::TooLong { kind, max });
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(IdError::BadCharacter { kind });
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `value` and wraps it.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                validate($kind, &value, $max)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A conversation, chosen by the relay (random, unguessable).
    ConversationId, "conversation id", MAX_ID_LEN
);
string_id!(
    /// A message as the sending client named it, so that a resend is recognised and stored once.
    ClientId, "client id", MAX_ID_LEN
);
string_id!(
    /// A shop, as configured on the relay and named in the embed tag's `data-shop`.
    ShopId, "shop id", MAX_ID_LEN
);
string_id!(
    /// A visitor (one browser of one shopper), chosen by the relay.
    VisitorId, "visitor id", MAX_ID_LEN
);
impl VisitorId {
    /// A readable stand-in for an anonymous shopper's name ("Visitor 7F3A"), stable per visitor.
    pub fn display_name(&self) -> String {
        let tag: String = self.0.chars().take(4).collect::<String>().to_uppercase();
        format!("Visitor {tag}")
    }
}

string_id!(
    /// An agent account, chosen by the relay.
    AgentId, "agent id", MAX_ID_LEN
);
string_id!(
    /// The secret a widget keeps in localStorage to prove it is the same visitor after a reload.
    /// The relay stores only its hash.
    VisitorToken, "visitor token", MAX_TOKEN_LEN
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_url_safe_ids() {
        assert_eq!(ClientId::new("m-1_a").unwrap().as_str(), "m-1_a");
    }

    #[test]
    fn rejects_empty_long_and_odd_ids() {
        assert_eq!(ClientId::new(""), Err(IdError::Empty { kind: "client id" }));
        assert!(matches!(ClientId::new("a".repeat(MAX_ID_LEN + 1)), Err(IdError::TooLong { .. })));
        assert!(matches!(ClientId::new("a b"), Err(IdError::BadCharacter { .. })));
        assert!(matches!(ClientId::new("<script>"), Err(IdError::BadCharacter { .. })));
        assert!(matches!(ClientId::new("é"), Err(IdError::BadCharacter { .. })));
    }

    #[test]
    fn visitors_get_a_short_stable_name() {
        assert_eq!(VisitorId::new("7f3a9c").unwrap().display_name(), "Visitor 7F3A");
    }

    #[test]
    fn deserialising_validates() {
        let err = serde_json::from_str::<ConversationId>("\"../etc\"").unwrap_err();
        assert!(err.to_string().contains("may contain only"), "{err}");
    }
}
