//! Bounds on everything a client can send. The relay enforces them; the clients respect them so
//! that a well-behaved client never hits them.

/// Largest WebSocket text frame a client may send. A larger one closes the connection with 1009.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Longest chat message, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Longest identifier (conversation, client message, shop, ...), in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Longest visitor token, in bytes.
pub const MAX_TOKEN_LEN: usize = 128;

/// Most events the relay sends in one replay batch before it reads the next page from storage.
pub const REPLAY_PAGE: usize = 500;
