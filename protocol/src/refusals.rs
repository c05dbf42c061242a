//! What the relay says when it refuses something an agent did, in one place: the relay sends
//! these words and the console turns each into a sentence of its own in the agent's language, so
//! a rewording here is a rewording there (not a silent fall-back to a generic sentence).

pub const TAKEN: &str = "another agent has this conversation";
pub const ENDED: &str = "the conversation has ended";
pub const NO_CONVERSATION: &str = "no such conversation";
pub const NO_AGENT: &str = "no such agent";
pub const NO_SUPERVISOR: &str = "no supervisor is online";
pub const ALREADY_YOURS: &str = "the conversation is already yours";
/// After the colleague's name: "Bram Jansen is offline; choose someone online".
pub const IS_OFFLINE: &str = " is offline; choose someone online";
