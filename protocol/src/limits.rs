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

/// Conversations per inbox page: the welcome carries this many of each tab, and `load_inbox`
/// answers with this many more. Small enough that a console draws a page at once, whatever the
/// shop's inbox holds (16,400 rows took 3.4 s), and that the welcome stays within ~50 KB
/// (three tabs of ~330-byte rows; 17 KB when they overlap, as in a flood).
pub const INBOX_PAGE: usize = 50;

/// Longest rating comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// Longest user id, name and signature a shop may pass to `identify`.
pub const MAX_USER_ID_LEN: usize = 128;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_USER_HASH_LEN: usize = 128;
/// Longest signed identity token (`identity_token`). An HS256 token with a user id, a name and an
/// email at their limits is under 1 KB; the cap keeps a page from making the relay decode more.
pub const MAX_IDENTITY_TOKEN_LEN: usize = 2048;

/// A shopper typing is announced at most this often; silence this long ends it.
pub const TYPING_THROTTLE_MS: u32 = 3_000;
pub const TYPING_TIMEOUT_MS: u32 = 6_000;
