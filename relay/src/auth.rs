//! Agent credentials: argon2id password hashes, login sessions, and the demo agent.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use checkout_chat_protocol::ShopId;
use checkout_chat_protocol::api::{DEFAULT_CAPACITY, Role};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

use crate::clock::now_ms;
use crate::ids::{hash_token, random_token};
use crate::storage::{AgentRecord, NewAgent, Storage, StorageError};

pub const DEMO_AGENT_EMAIL: &str = "anna@demo.example";
pub const DEMO_AGENT_NAME: &str = "Anna de Vries";
pub const DEMO_SHOP: &str = "demo";

/// Password hashes computed at once. Each argon2 run takes ~19 MiB and a core for tens of
/// milliseconds; without a bound, a burst of logins would exhaust memory and the blocking pool
/// that storage also uses.
static HASHING_SLOTS: Semaphore = Semaphore::const_new(2);

/// Logins that may wait for a hashing slot (those being checked included). Beyond it a login is
/// refused at once (429, try again in a second) instead of queueing: a flood of guesses would
/// otherwise make every real login wait behind it.
static LOGIN_QUEUE: Semaphore = Semaphore::const_new(32);

/// Shortest password an agent account accepts.
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong email or password")]
    BadCredentials,
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("too many logins are being checked")]
    Busy,
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// An argon2id hash (with its own salt and parameters) of `password`. CPU-heavy: runs on the
/// blocking pool.
pub async fn hash_password(password: String) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword);
    }
    let _slot = HASHING_SLOTS.acquire().await.map_err(|e| AuthError::Hashing(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AuthError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| AuthError::Hashing(e.to_string()))?
}

/// Verifies `password` against `hash`; without a hash, verifies against a throwaway one so that
/// the time taken is the same.
async fn password_matches(password: String, hash: Option<String>) -> bool {
    static THROWAWAY_HASH: OnceLock<String> = OnceLock::new();
    let Ok(_slot) = HASHING_SLOTS.acquire().await else { return false };
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| {
            THROWAWAY_HASH
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    Argon2::default().hash_password(b"no such agent", &salt).map(|h| h.to_string()).unwrap_or_default()
                })
                .clone()
        });
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Accounts of one email checked at a login: the same person in a few shops (an agency), not
/// more, so one login costs a bounded number of password checks.
const MAX_ACCOUNTS_PER_EMAIL: usize = 5;

/// Checks an agent's email and password. Unknown emails cost as much time as wrong passwords,
/// so the answer time does not tell which emails exist. An email with accounts in several shops
/// logs into the first (by shop id) whose password it is.
pub async fn check_credentials(storage: &dyn Storage, email: &str, password: &str) -> Result<AgentRecord, AuthError> {
    let Ok(_queued) = LOGIN_QUEUE.try_acquire() else { return Err(AuthError::Busy) };
    let accounts = storage.agents_by_email(email.trim()).await?;
    if accounts.is_empty() {
        password_matches(password.to_owned(), None).await;
        return Err(AuthError::BadCredentials);
    }
    for agent in accounts.into_iter().take(MAX_ACCOUNTS_PER_EMAIL) {
        if password_matches(password.to_owned(), Some(agent.password_hash.clone())).await && !agent.disabled {
            return Ok(agent);
        }
    }
    Err(AuthError::BadCredentials)
}

/// Opens a session for `agent` and returns the token for the cookie.
pub async fn open_session(storage: &dyn Storage, agent: &AgentRecord, hours: u64) -> Result<String, AuthError> {
    let token = random_token();
    let lifetime_ms = i64::try_from(hours.saturating_mul(3_600_000)).unwrap_or(i64::MAX);
    storage.create_session(hash_token(&token), &agent.id, now_ms().saturating_add(lifetime_ms)).await?;
    Ok(token)
}

/// The agent a session token belongs to, if the session is valid.
pub async fn session_agent(storage: &dyn Storage, token: &str) -> Result<Option<AgentRecord>, AuthError> {
    Ok(storage.session_agent(hash_token(token), now_ms()).await?)
}

pub async fn close_session(storage: &dyn Storage, token: &str) -> Result<(), AuthError> {
    Ok(storage.delete_session(hash_token(token)).await?)
}

/// On a first run (the demo shop has no agent yet) creates the demo agent and returns its
/// password so it can be shown once.
pub async fn ensure_demo_agent(
    storage: &dyn Storage,
    configured_password: Option<&str>,
) -> Result<Option<String>, AuthError> {
    let shop = ShopId::new(DEMO_SHOP).unwrap_or_else(|_| unreachable!("valid shop id"));
    if storage.agent_count(&shop).await? > 0 {
        return Ok(None);
    }
    let password = configured_password.map_or_else(|| random_token()[..16].to_owned(), str::to_owned);
    let password_hash = hash_password(password.clone()).await?;
    // The demo shop's owner: an admin.
    let agent = NewAgent {
        shop_id: shop,
        email: DEMO_AGENT_EMAIL.into(),
        name: DEMO_AGENT_NAME.into(),
        password_hash,
        role: Role::Admin,
        capacity: DEFAULT_CAPACITY,
    };
    match storage.create_agent(agent).await {
        Ok(_) => Ok(Some(password)),
        // Another process created it in the meantime; theirs stands.
        Err(StorageError::DuplicateAgent) => Ok(None),
        Err(err) => Err(err.into()),
    }
}
