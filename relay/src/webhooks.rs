//! Webhooks: a shop's CRM, helpdesk or team chat hears of conversations, messages, assignments,
//! endings, ratings and cart events by signed HTTP POSTs.
//!
//! There is no separate queue: the conversation events (through the shop-wide `event_feed`,
//! written in each event's transaction) and the activity log are themselves the outbox. Each
//! webhook keeps a cursor into both and moves it only after the receiver answered 2xx, so a
//! receiver that is down misses nothing; it is retried with exponential backoff (up to an hour
//! between tries) and gets everything in order once it is back. Delivery is at least once: a
//! receiver deduplicates on the `Checkout-Chat-Event-Id` header.

use std::collections::HashMap;
use std::time::Duration;

use checkout_chat_protocol::{ActivityBody, Author, Event, EventBody, ShopId, VisitorId};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::clock::now_ms;
use crate::config::WebhookConfig;
use crate::state::AppState;
use crate::storage::{ActivityRow, StorageError, WebhookCursor};

/// Every event a webhook can subscribe to.
pub const EVENT_NAMES: [&str; 9] = [
    "conversation.created",
    "message.created",
    "conversation.assigned",
    "conversation.closed",
    "conversation.reopened",
    "rating.created",
    "cart.updated",
    "checkout.step",
    "order.completed",
];

/// Conversation events read at a time.
const PAGE: usize = 100;
/// Activity rows read at a time: a page's cart changes are coalesced (see [`activity_deliveries`]),
/// so a larger page means fewer POSTs during a flood.
const ACTIVITY_PAGE: usize = 500;
/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between tries.
const MAX_BACKOFF_MS: i64 = 3_600_000;

#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("the receiver answered {0}")]
    Status(u16),
    #[error("could not reach the receiver: {0}")]
    Unreachable(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// One POST: its id (for deduplication), its type and its JSON body.
struct Delivery {
    id: String,
    body: String,
}

/// Delivers to every configured webhook, woken when something is stored (and each second, for
/// retries), until the relay stops.
pub async fn run_deliverer(state: AppState) {
    // No redirects: a signed body is for the configured URL only.
    let client = reqwest::Client::builder().timeout(TIMEOUT).redirect(reqwest::redirect::Policy::none()).build();
    let Ok(client) = client else {
        tracing::error!("webhooks are off: no HTTP client could be made");
        return;
    };
    let hooks: Vec<(ShopId, WebhookConfig)> = state
        .config
        .shops
        .iter()
        .flat_map(|shop| shop.webhooks.iter().map(|hook| (shop.id.clone(), hook.clone())))
        .collect();
    if hooks.is_empty() {
        return;
    }
    // Each webhook's cursor, read from storage once: this task is its only writer.
    let mut cursors: Vec<Option<WebhookCursor>> = vec![None; hooks.len()];
    loop {
        for ((shop, hook), cursor) in hooks.iter().zip(&mut cursors) {
            if let Err(error) = deliver_due(&state, &client, shop, hook, cursor).await {
                // The host only: some receivers' URLs are secrets themselves.
                let host = reqwest::Url::parse(&hook.url).ok().and_then(|u| u.host_str().map(str::to_owned));
                tracing::warn!(shop = %shop, host = host.as_deref().unwrap_or("?"), %error, "webhook delivery failed; will retry");
            }
        }
        tokio::select! {
            () = state.webhooks_ready.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = state.shutdown.cancelled() => return,
        }
    }
}

/// Sends the next page of what the webhook has not had yet, in order, unless it is waiting after
/// a failure. One page per round, so that one busy shop or slow receiver does not hold up the
/// others for long; the cursor is saved once per page.
async fn deliver_due(
    state: &AppState,
    client: &reqwest::Client,
    shop: &ShopId,
    hook: &WebhookConfig,
    known: &mut Option<WebhookCursor>,
) -> Result<(), DeliveryError> {
    let storage = state.storage.as_ref();
    let cursor = match known {
        Some(cursor) => cursor,
        None => known.insert(storage.webhook_cursor(shop, &hook.url).await?),
    };
    if cursor.next_attempt_ms > now_ms() {
        return Ok(());
    }
    let orders = storage.orders_after(shop, cursor.orders_after, PAGE).await?;
    let events = storage.feed_after(shop, cursor.feed_after, PAGE).await?;
    let activity = storage.activity_after(shop, cursor.activity_after, ACTIVITY_PAGE).await?;
    if orders.is_empty() && events.is_empty() && activity.is_empty() {
        return Ok(());
    }
    let before = *cursor;
    let result = send_page(state, client, shop, hook, cursor, Page { orders, events, activity }).await;
    // A failed POST has saved the cursor with its progress and the failure (post()); a page
    // that went through is saved here.
    if result.is_ok() && *cursor != before {
        storage.save_webhook_cursor(shop, &hook.url, *cursor, None).await?;
        state.webhooks_ready.notify_one(); // perhaps more pages
    }
    result
}

/// What one round delivers to a webhook: orders on their own lane first (a backlog of cart
/// changes, however long, never holds one up), then conversation events, then a page of the
/// rest of the activity.
struct Page {
    orders: Vec<ActivityRow>,
    events: Vec<(i64, Event)>,
    activity: Vec<ActivityRow>,
}

async fn send_page(
    state: &AppState,
    client: &reqwest::Client,
    shop: &ShopId,
    hook: &WebhookConfig,
    cursor: &mut WebhookCursor,
    page: Page,
) -> Result<(), DeliveryError> {
    let Page { orders, events, activity } = page;
    for row in orders {
        if let Some((name, delivery)) = for_activity(shop, &row)
            && hook.wants(name)
        {
            post(state, client, shop, hook, cursor, delivery).await?;
        }
        cursor.orders_after = row.id;
    }
    for (id, event) in events {
        for delivery in for_event(shop, id, &event).into_iter().filter(|(name, _)| hook.wants(name)) {
            post(state, client, shop, hook, cursor, delivery.1).await?;
        }
        cursor.feed_after = id;
    }
    let Some(last) = activity.last().map(|row| row.id) else { return Ok(()) };
    for (_, delivery) in activity_deliveries(shop, &activity).into_iter().filter(|(name, _)| hook.wants(name)) {
        post(state, client, shop, hook, cursor, delivery).await?;
    }
    // After the whole page: a failure part-way sends the page again (receivers deduplicate).
    cursor.activity_after = last;
    Ok(())
}

/// POSTs one delivery; on failure records when to try again and gives the error back.
async fn post(
    state: &AppState,
    client: &reqwest::Client,
    shop: &ShopId,
    hook: &WebhookConfig,
    cursor: &mut WebhookCursor,
    delivery: Delivery,
) -> Result<(), DeliveryError> {
    let timestamp = now_ms() / 1000;
    let signature = sign(&hook.secret, timestamp, &delivery.body);
    let sent = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("checkout-chat-event-id", &delivery.id)
        .header("checkout-chat-signature", format!("t={timestamp},v1={signature}"))
        .body(delivery.body)
        .send()
        .await;
    let error = match sent {
        Ok(response) if response.status().is_success() => {
            cursor.attempts = 0;
            cursor.next_attempt_ms = 0;
            return Ok(());
        }
        Ok(response) => DeliveryError::Status(response.status().as_u16()),
        Err(error) => DeliveryError::Unreachable(error.to_string()),
    };
    cursor.attempts = cursor.attempts.saturating_add(1);
    let backoff = 1000_i64.saturating_mul(1 << cursor.attempts.min(12)).min(MAX_BACKOFF_MS);
    cursor.next_attempt_ms = now_ms() + backoff;
    state.storage.save_webhook_cursor(shop, &hook.url, *cursor, Some(error.to_string())).await?;
    Err(error)
}

/// `hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`: what a receiver recomputes to trust a POST.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{timestamp}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn envelope(id: String, name: &str, shop: &ShopId, at_ms: i64, data: Value) -> Delivery {
    let body = json!({ "id": id, "type": name, "shop": shop.as_str(), "created_at_ms": at_ms, "data": data });
    Delivery { id, body: body.to_string() }
}

fn author(author: &Author) -> Value {
    match author {
        Author::Visitor => json!({ "role": "visitor" }),
        Author::Agent(agent) => json!({ "role": "agent", "id": agent.id.as_str(), "name": agent.name }),
        Author::System => json!({ "role": "system" }),
    }
}

/// What a conversation event is told as (a first event is also the conversation's creation).
fn for_event(shop: &ShopId, feed_id: i64, event: &Event) -> Vec<(&'static str, Delivery)> {
    // Internal notes stay inside the relay and the console.
    if event.body.is_internal() {
        return Vec::new();
    }
    let conversation = event.conversation_id.as_str();
    let base = json!({ "conversation_id": conversation, "seq": event.seq, "author": author(&event.author) });
    let with = |extra: Value| {
        let mut data = base.clone();
        if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
            data.extend(extra);
        }
        data
    };
    let told = match &event.body {
        EventBody::Message { text } | EventBody::LeftMessage { text, .. } => {
            Some(("message.created", with(json!({ "text": text }))))
        }
        EventBody::Joined => Some(("conversation.assigned", base.clone())),
        EventBody::Reopened => Some(("conversation.reopened", base.clone())),
        EventBody::Closed { reason: None } => Some(("conversation.closed", base.clone())),
        EventBody::Closed { reason: Some(reason) } => Some(("conversation.closed", with(json!({ "reason": reason })))),
        EventBody::Rated { score, comment } => {
            Some(("rating.created", with(json!({ "score": score, "comment": comment }))))
        }
        EventBody::TranscriptRequested { .. }
        | EventBody::Prompted { .. }
        | EventBody::Note { .. }
        | EventBody::Handover { .. } => None,
    };
    let mut deliveries = Vec::new();
    if event.seq == 1 {
        let data = json!({ "conversation_id": conversation });
        deliveries.push((
            "conversation.created",
            envelope(format!("evt-{feed_id}-created"), "conversation.created", shop, event.at_ms, data),
        ));
    }
    if let Some((name, data)) = told {
        deliveries.push((name, envelope(format!("evt-{feed_id}"), name, shop, event.at_ms, data)));
    }
    deliveries
}

/// What a page of the activity log is told as, orders left out (they have their own lane): each
/// visitor's latest cart and latest checkout step of the page, in the order they happened (a cart
/// is the whole cart as it is: a later one supersedes an earlier one, so one POST tells what
/// many frames changed).
fn activity_deliveries(shop: &ShopId, rows: &[ActivityRow]) -> Vec<(&'static str, Delivery)> {
    let is_order = |row: &ActivityRow| matches!(row.activity.body, ActivityBody::OrderCompleted { .. });
    let told: Vec<(usize, (&'static str, Delivery))> = rows
        .iter()
        .enumerate()
        .filter(|(_, row)| !is_order(row))
        .filter_map(|(index, row)| Some((index, for_activity(shop, row)?)))
        .collect();
    let mut latest: HashMap<(&VisitorId, &'static str), usize> = HashMap::new();
    for (index, (name, _)) in &told {
        latest.insert((&rows[*index].visitor_id, name), *index);
    }
    told.into_iter()
        .filter(|(index, (name, _))| latest.get(&(&rows[*index].visitor_id, *name)) == Some(index))
        .map(|(_, delivery)| delivery)
        .collect()
}

/// What a row of the activity log is told as, if anything (cart, step, order).
fn for_activity(shop: &ShopId, row: &ActivityRow) -> Option<(&'static str, Delivery)> {
    let name = match row.activity.body {
        ActivityBody::Cart { .. } => "cart.updated",
        ActivityBody::CheckoutStep { .. } => "checkout.step",
        ActivityBody::OrderCompleted { .. } => "order.completed",
        _ => return None,
    };
    let mut data = serde_json::to_value(&row.activity.body).ok()?;
    if let Some(object) = data.as_object_mut() {
        object.remove("kind");
        object.insert("visitor_id".into(), json!(row.visitor_id.as_str()));
        object.insert("conversation_id".into(), json!(row.conversation_id.as_ref().map(|c| c.as_str())));
    }
    Some((name, envelope(format!("act-{}", row.id), name, shop, row.activity.at_ms, data)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkout_chat_protocol::Activity;

    fn row(id: i64, visitor: &str, body: ActivityBody) -> ActivityRow {
        ActivityRow {
            id,
            visitor_id: VisitorId::new(visitor).unwrap(),
            conversation_id: None,
            activity: Activity { at_ms: id, body },
        }
    }

    fn cart(total: i64) -> ActivityBody {
        ActivityBody::Cart { currency: "EUR".into(), total, items: Vec::new() }
    }

    #[test]
    fn a_page_tells_each_visitors_latest_cart_once_and_leaves_orders_to_their_lane() {
        let shop = ShopId::new("demo").unwrap();
        let mut rows: Vec<ActivityRow> = (0..50).map(|n| row(n, "flooder", cart(n))).collect();
        rows.push(row(50, "anna", cart(1_990)));
        rows.push(row(
            51,
            "anna",
            ActivityBody::OrderCompleted { order_id: "o-1".into(), total: 1_990, currency: "EUR".into() },
        ));
        rows.push(row(52, "flooder", ActivityBody::CheckoutStep { step: "payment".into() }));
        let told: Vec<(&str, String)> =
            activity_deliveries(&shop, &rows).into_iter().map(|(name, d)| (name, d.id)).collect();
        assert_eq!(
            told,
            [("cart.updated", "act-49".into()), ("cart.updated", "act-50".into()), ("checkout.step", "act-52".into())],
            "one POST for the flooder's 50 carts; the order goes on its own lane"
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret-of-16-chars
        assert_eq!(
            sign("secret-of-16-chars", 1_700_000_000, r#"{"a":1}"#),
            "6afe8e0515c786f952e78841359526cea20c88134915def7d76dd52f6b4fe08d"
        );
    }
}
