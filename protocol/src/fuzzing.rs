//! Property checks for what the relay reads from the wire and what it does to message text, shared
//! by the fuzz targets in `fuzz/` and the proptests in `tests/properties.rs` so that the two cannot
//! drift apart: each fuzz target and each proptest is a generator plus one `check_…` from here.
//! A check panics, with the input in its message, when its property fails; libFuzzer and proptest
//! both report a panic as a failure.
//!
//! The generators take an [`Unstructured`] (bytes read as choices), so libFuzzer's inputs and
//! proptest's random byte vectors drive the same code.
//!
//! Behind the `fuzzing` feature: no production build enables it.

use std::ops::Range;

use arbitrary::{Result, Unstructured};

use crate::activity::{Activity, ActivityBody, CartItem};
use crate::api::Role;
use crate::event::{
    AgentProfile, Author, Claimed, CloseReason, ConversationStatus, ConversationSummary, Event, EventBody,
    IdentityStatus,
};
use crate::frames::{
    AgentFrame, AgentStatus, ErrorCode, Identity, ServerFrame, TeamMember, TransferTo, VisitorFrame, VisitorHello,
};
use crate::ids::{AgentId, ConversationId, ShopId, VisitorId, VisitorToken};
use crate::inbox::{InboxCounts, InboxKey, InboxStart, InboxTab, TabPage};
use crate::limits::{MAX_ID_LEN, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_TOKEN_LEN};
use crate::settings::{Look, Position, ShopFace};
use crate::text::{
    MessageText, Segment, is_bidi_override, is_invisible, is_plausible_email, is_visible, linkify, mask_card_numbers,
    normalize_message, normalize_name, preview,
};

// ---------------------------------------------------------------------------------------------
// Frames as the relay reads them

/// A visitor socket's text frame as the relay reads it (`VisitorFrame::parse`), then the checks
/// it applies to the fields. Whatever is accepted reads back the same after serde writes it (the
/// reading loses or changes nothing), and the field checks never panic.
pub fn check_visitor_frame_text(text: &str) {
    let Ok(frame) = VisitorFrame::parse(text) else { return };
    check_visitor_frame_round_trip(&frame);
    match &frame {
        VisitorFrame::Hello(hello) => {
            if let Some(identity) = &hello.identity {
                check_identity_fields(identity);
            }
        }
        VisitorFrame::Send { text, .. } => check_message_text(text),
        VisitorFrame::Activity { events, .. } => {
            for activity in events {
                let _ = activity.body.validate_from_widget();
            }
        }
        VisitorFrame::Identify(identity) => check_identity_fields(identity),
        VisitorFrame::Rate { comment, .. } => {
            if let Some(comment) = comment {
                check_message_text(comment);
            }
        }
        VisitorFrame::LeaveMessage { email, text, .. } => {
            let _ = is_plausible_email(email);
            check_message_text(text);
        }
        VisitorFrame::EmailTranscript { email, .. } => {
            let _ = is_plausible_email(email);
        }
        VisitorFrame::Typing { .. } | VisitorFrame::Ping => {}
    }
}

/// An agent socket's text frame as the relay reads it (`AgentFrame::parse`); the same properties
/// as [`check_visitor_frame_text`].
pub fn check_agent_frame_text(text: &str) {
    let Ok(frame) = AgentFrame::parse(text) else { return };
    check_agent_frame_round_trip(&frame);
    match &frame {
        AgentFrame::Send { text, .. } | AgentFrame::Note { text, .. } => check_message_text(text),
        AgentFrame::Transfer { note: Some(note), .. } => check_message_text(note),
        _ => {}
    }
}

fn check_identity_fields(identity: &Identity) {
    if let Some(email) = &identity.email {
        let _ = is_plausible_email(email);
    }
    if let Some(name) = &identity.name {
        let _ = preview(name, 40);
        check_name(name);
    }
}

/// A name as agents are shown it ([`normalize_name`]): one line, trimmed, no control, bidi
/// control or invisible character but the joiners, something visible, within the limit; and
/// normalising it again changes nothing.
pub fn check_name(name: &str) {
    let Ok(shown) = normalize_name(name) else { return };
    assert!(shown.trim() == shown && !shown.contains("  "), "name not collapsed: {shown:?}");
    assert!(shown.chars().any(is_visible), "name with nothing visible: {shown:?}");
    assert!(shown.chars().count() <= MAX_NAME_CHARS, "name too long: {shown:?}");
    assert!(
        !shown.chars().any(|c| c.is_control() || (is_invisible(c) && c != '\u{200C}' && c != '\u{200D}')),
        "invisible or control character kept in the name {shown:?}"
    );
    assert_eq!(normalize_name(&shown).as_ref(), Ok(&shown), "normalising a name twice changed it");
}

/// What serde writes of a visitor frame, serde reads back as the same frame.
pub fn check_visitor_frame_round_trip(frame: &VisitorFrame) {
    let json = serde_json::to_string(frame).unwrap_or_else(|e| panic!("cannot write {frame:?}: {e}"));
    assert_eq!(VisitorFrame::parse(&json).as_ref(), Ok(frame), "visitor frame changed on its way through {json}");
}

/// What serde writes of an agent frame, serde reads back as the same frame.
pub fn check_agent_frame_round_trip(frame: &AgentFrame) {
    let json = serde_json::to_string(frame).unwrap_or_else(|e| panic!("cannot write {frame:?}: {e}"));
    assert_eq!(AgentFrame::parse(&json).as_ref(), Ok(frame), "agent frame changed on its way through {json}");
}

/// What the relay writes of a server frame, the console (serde) reads back as the same frame.
pub fn check_server_frame_round_trip(frame: &ServerFrame) {
    let json = frame.to_json();
    assert_eq!(ServerFrame::parse(&json).as_ref(), Ok(frame), "server frame changed on its way through {json}");
}

/// One visitor, one agent and one server frame made from `u`, each checked to read back as written.
pub fn check_frames_round_trip(u: &mut Unstructured) {
    if let Ok(frame) = visitor_frame(u) {
        check_visitor_frame_round_trip(&frame);
    }
    if let Ok(frame) = agent_frame(u) {
        check_agent_frame_round_trip(&frame);
    }
    if let Ok(frame) = server_frame(u, Integers::Any) {
        check_server_frame_round_trip(&frame);
    }
}

// ---------------------------------------------------------------------------------------------
// Message text

/// A message as the relay stores it ([`MessageText`]): normalised (trimmed, no control characters
/// but newline and tab, within the length limit) and with no card number left in it. Also runs
/// the masker's own checks on the normalised text and the renderers' helpers on the result.
pub fn check_message_text(text: &str) {
    if let Ok(normalized) = normalize_message(text) {
        check_card_masking(&normalized);
    }
    let Ok(stored) = MessageText::new(text) else { return };
    let stored = stored.as_str();
    assert!(!stored.is_empty() && stored.trim() == stored, "stored text not trimmed: {stored:?}");
    assert!(stored.chars().count() <= MAX_MESSAGE_CHARS, "stored text too long: {} chars", stored.chars().count());
    assert!(!stored.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "control character kept in {stored:?}");
    assert!(!stored.chars().any(is_bidi_override), "bidi override kept in {stored:?}");
    assert!(stored.chars().any(is_visible), "stored text with nothing visible: {stored:?}");
    assert_eq!(mask_card_numbers(stored), None, "a card number survived in the stored text {stored:?}");
    let joined: String = linkify(stored)
        .iter()
        .map(|segment| match segment {
            Segment::Text(part) | Segment::Link(part) => *part,
        })
        .collect();
    assert_eq!(joined, stored, "linkify lost or added text");
    let _ = preview(stored, 80);
}

/// The card-number masker (`mask_card_numbers`) against its promise:
/// - it answers `Some` exactly when the text holds a card number (13 to 19 digits in whole
///   groups separated by single spaces or dashes, passing the Luhn check);
/// - it only turns ASCII digits into `*`: same length, every other byte (so every character
///   boundary) unchanged;
/// - no card number of the text shows more than four of its digits afterwards;
/// - the masked text holds no card number, so masking again changes nothing;
/// - it masks exactly what [`reference_mask`], a slow and plain reading of the rule, masks.
pub fn check_card_masking(text: &str) {
    let masked = mask_card_numbers(text);
    let cards = card_numbers(text);
    assert_eq!(masked.is_some(), !cards.is_empty(), "found {masked:?}, but the card numbers are {cards:?} in {text:?}");
    let out = masked.as_deref().unwrap_or(text);
    assert_eq!(out.len(), text.len(), "masking changed the length of {text:?}: {out:?}");
    for (before, after) in text.bytes().zip(out.bytes()) {
        assert!(
            before == after || (before.is_ascii_digit() && after == b'*'),
            "masking changed more than digits: {text:?} became {out:?}"
        );
    }
    for card in &cards {
        let shown = out.as_bytes()[card.clone()].iter().filter(|b| b.is_ascii_digit()).count();
        assert!(shown <= 4, "card number {:?} shows {shown} digits in {out:?}", &text[card.clone()]);
    }
    assert_eq!(card_numbers(out), Vec::<Range<usize>>::new(), "a card number is left in {out:?} (from {text:?})");
    assert_eq!(mask_card_numbers(out), None, "masking {out:?} again changes it (from {text:?})");
    assert_eq!(out, reference_mask(text), "masking {text:?} differs from the rule");
}

/// The masking rule, read plainly and slowly: the card numbers that share a digit group are one
/// stretch; each stretch loses every digit but its last four; and that is repeated until no card
/// number is left (a stretch's last four digits, cut out of a longer group, can start a new one).
pub fn reference_mask(text: &str) -> String {
    let mut out = text.as_bytes().to_vec();
    loop {
        let Ok(current) = std::str::from_utf8(&out) else { unreachable!("only ASCII digits are replaced") };
        let mut cards = card_numbers(current);
        if cards.is_empty() {
            return String::from_utf8(out).unwrap_or_else(|_| unreachable!("only ASCII digits are replaced"));
        }
        cards.sort_by_key(|card| card.start);
        let mut stretches: Vec<Range<usize>> = Vec::new();
        for card in cards {
            match stretches.last_mut() {
                Some(last) if card.start < last.end => last.end = last.end.max(card.end),
                _ => stretches.push(card),
            }
        }
        for stretch in stretches {
            let digits = out[stretch.clone()].iter().filter(|b| b.is_ascii_digit()).count();
            let mut seen = 0;
            for byte in &mut out[stretch] {
                if byte.is_ascii_digit() {
                    seen += 1;
                    if seen + 4 <= digits {
                        *byte = b'*';
                    }
                }
            }
        }
    }
}

/// Every card number in `text` as a byte range: consecutive whole digit groups (maximal runs of
/// ASCII digits), each separated from the next by exactly one space or dash, with 13 to 19 digits
/// in all, passing the Luhn check.
pub fn card_numbers(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut groups: Vec<Range<usize>> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at].is_ascii_digit() {
            let start = at;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
            groups.push(start..at);
        } else {
            at += 1;
        }
    }
    let joined = |left: &Range<usize>, right: &Range<usize>| {
        right.start == left.end + 1 && matches!(bytes[left.end], b' ' | b'-')
    };
    let mut cards = Vec::new();
    for first in 0..groups.len() {
        let mut digits: Vec<u8> = Vec::new();
        for last in first..groups.len() {
            if last > first && !joined(&groups[last - 1], &groups[last]) {
                break;
            }
            digits.extend(bytes[groups[last].clone()].iter().map(|b| b - b'0'));
            if digits.len() > 19 {
                break;
            }
            if digits.len() >= 13 && luhn_sum(&digits).is_multiple_of(10) {
                cards.push(groups[first].start..groups[last].end);
            }
        }
    }
    cards
}

fn luhn_sum(digits: &[u8]) -> u32 {
    let mut sum = 0;
    for (from_right, digit) in digits.iter().rev().enumerate() {
        let value = u32::from(*digit) * if from_right % 2 == 1 { 2 } else { 1 };
        sum += value / 10 + value % 10;
    }
    sum
}

// ---------------------------------------------------------------------------------------------
// Generators

/// Which whole numbers a generator may produce: any the field's type holds, or only those a
/// JavaScript number holds exactly (|n| < 2^53), which is all the widget's codec can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integers {
    Any,
    JsSafe,
}

const JS_SAFE: u64 = (1 << 53) - 1;

impl Integers {
    fn unsigned(self, u: &mut Unstructured) -> Result<u64> {
        match self {
            Integers::Any => u.arbitrary(),
            Integers::JsSafe => u.int_in_range(0..=JS_SAFE),
        }
    }

    fn signed(self, u: &mut Unstructured) -> Result<i64> {
        match self {
            Integers::Any => u.arbitrary(),
            Integers::JsSafe => u.int_in_range(-(JS_SAFE as i64)..=JS_SAFE as i64),
        }
    }
}

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

/// A valid identifier of any kind, up to `max` bytes.
fn raw_id(u: &mut Unstructured, max: usize) -> Result<String> {
    let len = u.int_in_range(1..=max)?;
    (0..len).map(|_| u.choose(ID_ALPHABET).map(|&b| char::from(b))).collect()
}

fn id<T: TryFrom<String>>(u: &mut Unstructured) -> Result<T> {
    T::try_from(raw_id(u, MAX_ID_LEN)?).map_err(|_| arbitrary::Error::IncorrectFormat)
}

fn optional<T>(u: &mut Unstructured, generate: impl FnOnce(&mut Unstructured) -> Result<T>) -> Result<Option<T>> {
    if u.arbitrary()? { generate(u).map(Some) } else { Ok(None) }
}

fn list<T>(
    u: &mut Unstructured,
    most: usize,
    mut generate: impl FnMut(&mut Unstructured) -> Result<T>,
) -> Result<Vec<T>> {
    let len = u.int_in_range(0..=most)?;
    (0..len).map(|_| generate(u)).collect()
}

fn text(u: &mut Unstructured) -> Result<String> {
    u.arbitrary()
}

/// Any visitor frame the relay's reader accepts.
pub fn visitor_frame(u: &mut Unstructured) -> Result<VisitorFrame> {
    Ok(match u.int_in_range(0..=8)? {
        0 => VisitorFrame::Hello(VisitorHello {
            shop: id::<ShopId>(u)?,
            token: optional(u, |u| {
                VisitorToken::new(raw_id(u, MAX_TOKEN_LEN)?).map_err(|_| arbitrary::Error::IncorrectFormat)
            })?,
            conversation_id: optional(u, id)?,
            last_seq: u.arbitrary()?,
            identity: optional(u, identity)?,
            session_id: optional(u, id)?,
            activity_only: u.arbitrary()?,
            locale: optional(u, text)?,
        }),
        1 => VisitorFrame::Send { client_id: id(u)?, text: text(u)?, prompt: optional(u, text)? },
        2 => VisitorFrame::Activity { batch_id: id(u)?, events: list(u, 4, |u| activity(u, Integers::Any))? },
        3 => VisitorFrame::Typing { typing: u.arbitrary()? },
        4 => VisitorFrame::Identify(identity(u)?),
        5 => VisitorFrame::Rate { client_id: id(u)?, score: u.arbitrary()?, comment: optional(u, text)? },
        6 => VisitorFrame::LeaveMessage {
            client_id: id(u)?,
            email: text(u)?,
            text: text(u)?,
            prompt: optional(u, text)?,
        },
        7 => VisitorFrame::EmailTranscript { client_id: id(u)?, email: text(u)? },
        _ => VisitorFrame::Ping,
    })
}

fn identity(u: &mut Unstructured) -> Result<Identity> {
    Ok(Identity {
        user_id: optional(u, text)?,
        name: optional(u, text)?,
        email: optional(u, text)?,
        user_hash: optional(u, text)?,
        identity_token: optional(u, text)?,
    })
}

fn claimed(u: &mut Unstructured) -> Result<Box<Claimed>> {
    Ok(Box::new(Claimed { value: text(u)?, verified: u.arbitrary()? }))
}

/// Any agent frame the relay's reader accepts.
pub fn agent_frame(u: &mut Unstructured) -> Result<AgentFrame> {
    let conversation_id = id::<ConversationId>(u)?;
    Ok(match u.int_in_range(0..=11)? {
        0 => AgentFrame::Open { conversation_id, last_seq: u.arbitrary()? },
        1 => AgentFrame::Leave { conversation_id },
        2 => AgentFrame::Send { conversation_id, client_id: id(u)?, text: text(u)? },
        3 => AgentFrame::Typing { conversation_id, typing: u.arbitrary()? },
        4 => AgentFrame::Note { conversation_id, client_id: id(u)?, text: text(u)? },
        5 => AgentFrame::Close { conversation_id },
        6 => AgentFrame::Claim { conversation_id },
        7 => AgentFrame::Transfer {
            conversation_id,
            to: if u.arbitrary()? { TransferTo::Agent(id(u)?) } else { TransferTo::Supervisor },
            note: optional(u, text)?,
        },
        8 => AgentFrame::SetStatus { status: agent_status(u)? },
        9 => {
            AgentFrame::LoadInbox { tab: inbox_tab(u)?, after: InboxKey { rank: u.arbitrary()?, id: conversation_id } }
        }
        10 => AgentFrame::Block { conversation_id },
        _ => AgentFrame::Ping,
    })
}

fn inbox_tab(u: &mut Unstructured) -> Result<InboxTab> {
    Ok(*u.choose(&InboxTab::ALL)?)
}

fn inbox_key(u: &mut Unstructured, integers: Integers) -> Result<InboxKey> {
    Ok(InboxKey { rank: integers.signed(u)?, id: id(u)? })
}

fn inbox_start(u: &mut Unstructured, integers: Integers) -> Result<InboxStart> {
    Ok(InboxStart {
        conversations: list(u, 3, |u| summary(u, integers))?,
        tabs: list(u, 3, |u| Ok(TabPage { tab: inbox_tab(u)?, more_after: optional(u, |u| inbox_key(u, integers))? }))?,
        counts: InboxCounts { waiting: u.arbitrary()?, mine: u.arbitrary()?, open: u.arbitrary()? },
    })
}

fn agent_status(u: &mut Unstructured) -> Result<AgentStatus> {
    Ok(*u.choose(&[AgentStatus::Online, AgentStatus::Away, AgentStatus::Offline])?)
}

/// Any shop's name, texts, look and rules as a welcome carries them.
pub fn shop_face(u: &mut Unstructured) -> Result<ShopFace> {
    let look = |u: &mut Unstructured| {
        Ok(Look {
            accent: text(u)?,
            on_accent: text(u)?,
            position: *u.choose(&[Position::End, Position::Left, Position::Right])?,
        })
    };
    Ok(ShopFace {
        shop_name: text(u)?,
        greeting: optional(u, text)?,
        reply_time: optional(u, text)?,
        look: optional(u, look)?,
        rules: optional(u, text)?,
    })
}

/// Any frame the relay may write, with whole numbers as `integers` allows.
pub fn server_frame(u: &mut Unstructured, integers: Integers) -> Result<ServerFrame> {
    Ok(match u.int_in_range(0..=16)? {
        15 => ServerFrame::Shop(shop_face(u)?),
        0 => ServerFrame::Welcome {
            token: VisitorToken::new(raw_id(u, MAX_TOKEN_LEN)?).map_err(|_| arbitrary::Error::IncorrectFormat)?,
            visitor_id: id::<VisitorId>(u)?,
            shop: shop_face(u)?,
            agents_online: u.arbitrary()?,
            mail: u.arbitrary()?,
            conversation_id: optional(u, id)?,
        },
        1 => ServerFrame::ActivityAck { batch_id: id(u)? },
        2 => ServerFrame::VisitorActivity {
            conversation_id: id(u)?,
            events: list(u, 3, |u| activity(u, integers))?,
            history: u.arbitrary()?,
        },
        3 => ServerFrame::AgentWelcome { agent: agent_profile(u)?, shop: id(u)?, inbox: inbox_start(u, integers)? },
        4 => ServerFrame::Event { event: event(u, integers)? },
        5 => ServerFrame::Synced { conversation_id: id(u)?, last_seq: integers.unsigned(u)? },
        6 => ServerFrame::Ack { client_id: id(u)?, conversation_id: id(u)?, seq: integers.unsigned(u)? },
        7 => ServerFrame::Team { agents: list(u, 3, team_member)?, waiting: u.arbitrary()?, open: u.arbitrary()? },
        8 => ServerFrame::ConversationUpdated { conversation: summary(u, integers)? },
        9 => ServerFrame::Typing { conversation_id: id(u)?, author: author(u)?, typing: u.arbitrary()? },
        10 => ServerFrame::Presence { agents_online: u.arbitrary()? },
        11 => ServerFrame::Queue {
            conversation_id: id(u)?,
            position: u.arbitrary()?,
            estimated_wait_seconds: u.arbitrary()?,
        },
        12 => ServerFrame::Error { code: *u.choose(&ErrorCode::ALL)?, message: text(u)?, client_id: optional(u, id)? },
        13 => ServerFrame::Inbox { inbox: inbox_start(u, integers)? },
        14 => ServerFrame::InboxPage {
            tab: inbox_tab(u)?,
            conversations: list(u, 3, |u| summary(u, integers))?,
            more_after: optional(u, |u| inbox_key(u, integers))?,
        },
        _ => ServerFrame::Pong,
    })
}

/// Any event of a conversation's log.
pub fn event(u: &mut Unstructured, integers: Integers) -> Result<Event> {
    let body = match u.int_in_range(0..=9)? {
        0 => EventBody::Message { text: text(u)? },
        1 => EventBody::Joined,
        2 => {
            EventBody::Closed { reason: *u.choose(&[None, Some(CloseReason::ShopperLeft), Some(CloseReason::Missed)])? }
        }
        3 => EventBody::Rated { score: u.arbitrary()?, comment: optional(u, text)? },
        4 => EventBody::LeftMessage { email: text(u)?, text: text(u)? },
        5 => EventBody::TranscriptRequested { email: text(u)? },
        6 => EventBody::Prompted { rule_id: text(u)?, message: text(u)? },
        7 => EventBody::Note { text: text(u)? },
        8 => EventBody::Reopened,
        _ => EventBody::Handover { to: optional(u, agent_profile)?, note: optional(u, text)? },
    };
    Ok(Event {
        conversation_id: id(u)?,
        seq: integers.unsigned(u)?,
        at_ms: integers.signed(u)?,
        author: author(u)?,
        client_id: optional(u, id)?,
        body,
    })
}

fn author(u: &mut Unstructured) -> Result<Author> {
    Ok(match u.int_in_range(0..=2)? {
        0 => Author::Visitor,
        1 => Author::Agent(agent_profile(u)?),
        _ => Author::System,
    })
}

fn agent_profile(u: &mut Unstructured) -> Result<AgentProfile> {
    Ok(AgentProfile { id: id::<AgentId>(u)?, name: text(u)? })
}

fn team_member(u: &mut Unstructured) -> Result<TeamMember> {
    Ok(TeamMember {
        agent: agent_profile(u)?,
        role: *u.choose(&[Role::Agent, Role::Admin])?,
        status: agent_status(u)?,
        load: u.arbitrary()?,
        capacity: u.arbitrary()?,
    })
}

fn summary(u: &mut Unstructured, integers: Integers) -> Result<ConversationSummary> {
    let signed = |u: &mut Unstructured| integers.signed(u);
    Ok(ConversationSummary {
        id: id(u)?,
        visitor_name: text(u)?,
        identity: *u.choose(&[IdentityStatus::Anonymous, IdentityStatus::Verified, IdentityStatus::Unverified])?,
        contact_email: optional(u, text)?,
        user_id: optional(u, text)?,
        name: optional(u, claimed)?,
        email: optional(u, claimed)?,
        status: *u.choose(&[ConversationStatus::Waiting, ConversationStatus::Active, ConversationStatus::Closed])?,
        assigned_agent: optional(u, agent_profile)?,
        last_seq: integers.unsigned(u)?,
        last_message: optional(u, text)?,
        created_at_ms: signed(u)?,
        updated_at_ms: signed(u)?,
        waiting_since_ms: optional(u, signed)?,
        unanswered: u.arbitrary()?,
        cart_total: optional(u, signed)?,
        cart_currency: optional(u, text)?,
        checkout_step: optional(u, text)?,
        last_order_id: optional(u, text)?,
        locale: optional(u, text)?,
        device: optional(u, text)?,
        shopper_left_at_ms: optional(u, signed)?,
    })
}

fn activity(u: &mut Unstructured, integers: Integers) -> Result<Activity> {
    let signed = |u: &mut Unstructured| integers.signed(u);
    let body = match u.int_in_range(0..=8)? {
        0 => ActivityBody::PageView { path: text(u)?, title: text(u)?, referrer: text(u)? },
        1 => ActivityBody::Cart {
            currency: text(u)?,
            total: signed(u)?,
            items: list(u, 3, |u| {
                Ok(CartItem { sku: text(u)?, name: text(u)?, qty: u.arbitrary()?, price: signed(u)? })
            })?,
        },
        2 => ActivityBody::CheckoutStep { step: text(u)? },
        3 => ActivityBody::OrderCompleted { order_id: text(u)?, total: signed(u)?, currency: text(u)? },
        4 => ActivityBody::Custom {
            name: text(u)?,
            // `"data": null` reads as no data, so the reader never yields `Some(Null)`.
            data: optional(u, |u| json_value(u, integers, 3))?.filter(|data| !data.is_null()),
        },
        5 => ActivityBody::PromptShown { rule_id: text(u)? },
        6 => ActivityBody::PromptAccepted { rule_id: text(u)? },
        7 => ActivityBody::PromptDismissed { rule_id: text(u)? },
        _ => ActivityBody::ChatStarted { conversation_id: id(u)?, rule_id: optional(u, text)? },
    };
    Ok(Activity { at_ms: signed(u)?, body })
}

/// A shop's custom event data: any JSON, nested up to `depth`.
fn json_value(u: &mut Unstructured, integers: Integers, depth: u32) -> Result<serde_json::Value> {
    use serde_json::Value;
    let kinds = if depth == 0 { 5 } else { 7 };
    Ok(match u.int_in_range(0..=kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(integers.signed(u)?),
        3 => Value::from(integers.unsigned(u)?),
        4 | 5 => {
            // Finite only: JSON has no NaN or infinity (serde_json writes them as null).
            let float: f64 = u.arbitrary()?;
            if float.is_finite() { Value::from(float) } else { Value::from(integers.signed(u)?) }
        }
        6 => Value::Array(list(u, 3, |u| json_value(u, integers, depth - 1))?),
        _ => Value::Object(list(u, 3, |u| Ok((text(u)?, json_value(u, integers, depth - 1)?)))?.into_iter().collect()),
    })
}
