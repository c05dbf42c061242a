//! Engine.IO v4 / Socket.IO v5 text framing, the part a chat client needs to talk to a socket.io
//! server over a plain WebSocket (`/socket.io/?EIO=4&transport=websocket`): the open packet, the
//! server's pings, connecting to the default namespace, events (with an ack id when the sender
//! wants a reply) and acks. Binary packets and other namespaces are not used by the reference.
//!
//! Speaking it by hand keeps the load generator's client cost the same for both relays: one
//! tokio-tungstenite socket and one JSON parse per frame on either side.

use serde_json::Value;

/// Engine.IO "pong", the client's answer to the server's "2".
pub const PONG: &str = "3";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FramingError {
    #[error("empty Engine.IO packet")]
    Empty,
    #[error("unknown Engine.IO packet type {0:?}")]
    UnknownEngineType(char),
    #[error("unknown Socket.IO packet type {0:?}")]
    UnknownSocketType(char),
    #[error("a Socket.IO {0} packet without its JSON")]
    MissingData(&'static str),
}

/// One packet as received, borrowing the frame's text.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// `0{…}`: the handshake (session id, ping interval).
    Open(&'a str),
    /// `1`: the server closes the session.
    Close,
    /// `2`: the server's heartbeat; answer with [`PONG`] or be disconnected.
    Ping,
    /// `3`, `5`, `6`: nothing for a client to do.
    Noop,
    /// `40{…}`: connected to the namespace.
    Connected,
    /// `41`: the server left the namespace (disconnected the socket).
    Disconnected,
    /// `44{…}`: the namespace refused the connection (a middleware said no).
    ConnectError(&'a str),
    /// `42[…]`: an event; `args` is the JSON array `["name", payload…]`.
    Event { ack_id: Option<u64>, args: &'a str },
    /// `43<id>[…]`: the reply to an event the client sent with `ack_id`.
    Ack { id: u64, args: &'a str },
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<Packet<'_>, FramingError> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(FramingError::Empty)?;
    let rest = chars.as_str();
    match kind {
        '0' => Ok(Packet::Open(rest)),
        '1' => Ok(Packet::Close),
        '2' => Ok(Packet::Ping),
        '3' | '5' | '6' => Ok(Packet::Noop),
        '4' => parse_socket_packet(rest),
        other => Err(FramingError::UnknownEngineType(other)),
    }
}

fn parse_socket_packet(text: &str) -> Result<Packet<'_>, FramingError> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(FramingError::Empty)?;
    let rest = chars.as_str();
    match kind {
        '0' => Ok(Packet::Connected),
        '1' => Ok(Packet::Disconnected),
        '4' => Ok(Packet::ConnectError(rest)),
        '2' => {
            let (ack_id, args) = split_ack_id(rest);
            if args.is_empty() {
                return Err(FramingError::MissingData("event"));
            }
            Ok(Packet::Event { ack_id, args })
        }
        '3' => match split_ack_id(rest) {
            (Some(id), args) if !args.is_empty() => Ok(Packet::Ack { id, args }),
            _ => Err(FramingError::MissingData("ack")),
        },
        other => Err(FramingError::UnknownSocketType(other)),
    }
}

/// The digits before the JSON are the ack id (the default namespace has no `/nsp,` prefix).
fn split_ack_id(text: &str) -> (Option<u64>, &str) {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let id = text[..digits].parse().ok();
    (id, &text[digits..])
}

/// `40` or `40{auth}`: connect to the default namespace, with the handshake's `auth` object.
pub fn connect(auth: Option<&Value>) -> String {
    match auth {
        Some(auth) => format!("40{auth}"),
        None => "40".to_owned(),
    }
}

/// `42["name",payload]`, or `42<id>["name",payload]` when the server should call back.
pub fn event(name: &str, payload: &Value, ack_id: Option<u64>) -> String {
    let args = Value::Array(vec![Value::String(name.to_owned()), payload.clone()]);
    match ack_id {
        Some(id) => format!("42{id}{args}"),
        None => format!("42{args}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn handshake_packets_are_recognised() {
        let open = r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#;
        assert_eq!(parse(open), Ok(Packet::Open(&open[1..])));
        assert_eq!(parse(r#"40{"sid":"xyz"}"#), Ok(Packet::Connected));
        assert_eq!(parse(r#"44{"message":"not allowed"}"#), Ok(Packet::ConnectError(r#"{"message":"not allowed"}"#)));
        assert_eq!(parse("2"), Ok(Packet::Ping));
        assert_eq!(parse("1"), Ok(Packet::Close));
        assert_eq!(parse("41"), Ok(Packet::Disconnected));
    }

    #[test]
    fn events_carry_their_ack_id_when_the_sender_wants_a_reply() {
        assert_eq!(
            parse(r#"42["presence",{"agents_online":1}]"#),
            Ok(Packet::Event { ack_id: None, args: r#"["presence",{"agents_online":1}]"# })
        );
        assert_eq!(parse(r#"4217["send",{}]"#), Ok(Packet::Event { ack_id: Some(17), args: r#"["send",{}]"# }));
        assert_eq!(parse(r#"43205[{"seq":3}]"#), Ok(Packet::Ack { id: 205, args: r#"[{"seq":3}]"# }));
    }

    #[test]
    fn malformed_packets_are_named() {
        assert_eq!(parse(""), Err(FramingError::Empty));
        assert_eq!(parse("9"), Err(FramingError::UnknownEngineType('9')));
        assert_eq!(parse("47"), Err(FramingError::UnknownSocketType('7')));
        assert_eq!(parse("42"), Err(FramingError::MissingData("event")));
        assert_eq!(parse("43[1]"), Err(FramingError::MissingData("ack")));
    }

    #[test]
    fn encoded_events_parse_back() {
        let payload = json!({"client_id": "s1m1", "text": "Do you ship to \"Belgium\"?"});
        let with_ack = event("send", &payload, Some(4));
        assert!(with_ack.starts_with(r#"424["send","#), "{with_ack}");
        let Ok(Packet::Event { ack_id: Some(4), args }) = parse(&with_ack) else { panic!("{with_ack}") };
        let parsed: Value = serde_json::from_str(args).unwrap();
        assert_eq!(parsed, json!(["send", payload]));
        assert_eq!(event("typing", &json!({"typing": true}), None), r#"42["typing",{"typing":true}]"#);
    }

    #[test]
    fn connect_carries_the_auth_object() {
        assert_eq!(connect(None), "40");
        assert_eq!(connect(Some(&json!({"agent_id": "agent-1"}))), r#"40{"agent_id":"agent-1"}"#);
    }
}
