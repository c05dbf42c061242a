//! What a chat client says and hears, in the benchmark's own words, and how each relay spells it:
//! checkout-chat's JSON frames (`{"type":"send",…}`, docs/protocol.md) or socket.io events
//! (`42["send",{…}]`, see `bench/reference/server.js`). The payloads carry the same fields in
//! both dialects, so one decoder reads both: every frame is parsed once into a JSON value and
//! then picked apart by name, whichever relay sent it.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::engineio::{self, FramingError, Packet};

/// Which relay a client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Dialect {
    /// Our relay: `/v1/visitor` and `/v1/agent`, one JSON object per frame.
    Checkout,
    /// The socket.io reference: Engine.IO v4 over a WebSocket.
    SocketIo,
}

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error(transparent)]
    Framing(#[from] FramingError),
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unexpected frame shape: {0}")]
    Shape(String),
}

/// Frames a client sends.
#[derive(Debug, Clone)]
pub enum ClientMsg<'a> {
    Hello {
        token: Option<&'a str>,
        conversation_id: Option<&'a str>,
        last_seq: u64,
        session_id: &'a str,
        /// The widget's watcher socket: activity and presence only.
        activity_only: bool,
    },
    VisitorSend {
        client_id: &'a str,
        text: &'a str,
    },
    AgentSend {
        conversation_id: &'a str,
        client_id: &'a str,
        text: &'a str,
    },
    Open {
        conversation_id: &'a str,
        last_seq: u64,
    },
    VisitorTyping,
    AgentTyping {
        conversation_id: &'a str,
    },
    Activity {
        batch_id: &'a str,
        events: &'a Value,
    },
    SetStatus {
        online: bool,
    },
}

impl ClientMsg<'_> {
    fn name(&self) -> &'static str {
        match self {
            ClientMsg::Hello { .. } => "hello",
            ClientMsg::VisitorSend { .. } | ClientMsg::AgentSend { .. } => "send",
            ClientMsg::Open { .. } => "open",
            ClientMsg::VisitorTyping | ClientMsg::AgentTyping { .. } => "typing",
            ClientMsg::Activity { .. } => "activity",
            ClientMsg::SetStatus { .. } => "set_status",
        }
    }

    fn payload(&self) -> Value {
        match self {
            ClientMsg::Hello { token, conversation_id, last_seq, session_id, activity_only } => {
                let mut hello = json!({"shop": "demo", "last_seq": last_seq, "session_id": session_id});
                if let Some(token) = token {
                    hello["token"] = json!(token);
                }
                if let Some(conversation_id) = conversation_id {
                    hello["conversation_id"] = json!(conversation_id);
                }
                if *activity_only {
                    hello["activity_only"] = json!(true);
                }
                hello
            }
            ClientMsg::VisitorSend { client_id, text } => json!({"client_id": client_id, "text": text}),
            ClientMsg::AgentSend { conversation_id, client_id, text } => {
                json!({"conversation_id": conversation_id, "client_id": client_id, "text": text})
            }
            ClientMsg::Open { conversation_id, last_seq } => {
                json!({"conversation_id": conversation_id, "last_seq": last_seq})
            }
            ClientMsg::VisitorTyping => json!({"typing": true}),
            ClientMsg::AgentTyping { conversation_id } => json!({"conversation_id": conversation_id, "typing": true}),
            ClientMsg::Activity { batch_id, events } => json!({"batch_id": batch_id, "events": events}),
            ClientMsg::SetStatus { online } => json!({"status": if *online { "online" } else { "away" }}),
        }
    }

    /// Whether the relay answers this frame with an ack. In socket.io that is an ack callback,
    /// so the frame carries an ack id.
    fn wants_ack(&self) -> bool {
        matches!(self, ClientMsg::VisitorSend { .. } | ClientMsg::AgentSend { .. } | ClientMsg::Activity { .. })
    }

    /// The text frame in `dialect`; `ack_id` is used by socket.io frames that want an ack.
    pub fn encode(&self, dialect: Dialect, ack_id: u64) -> String {
        let mut payload = self.payload();
        match dialect {
            Dialect::Checkout => {
                payload["type"] = json!(self.name());
                payload.to_string()
            }
            Dialect::SocketIo => engineio::event(self.name(), &payload, self.wants_ack().then_some(ack_id)),
        }
    }
}

/// Who wrote an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Visitor,
    Agent,
    System,
}

/// A stored event as a client sees it: enough to check order and exactly-once delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInfo {
    pub conversation_id: String,
    pub seq: u64,
    pub client_id: Option<String>,
    pub author: Role,
    /// A chat message (as opposed to `joined` and other events).
    pub is_message: bool,
}

/// An inbox row: who the conversation is assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: String,
    pub assigned_agent: Option<String>,
}

/// Frames a client receives, as far as the benchmark cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMsg {
    Welcome {
        token: String,
        conversation_id: Option<String>,
        agents_online: u32,
    },
    AgentWelcome {
        agent_id: String,
        conversations: Vec<Summary>,
    },
    Event(EventInfo),
    Synced {
        conversation_id: String,
        last_seq: u64,
    },
    Ack {
        client_id: String,
        conversation_id: String,
        seq: u64,
    },
    ActivityAck {
        batch_id: String,
    },
    ConversationUpdated(Summary),
    Presence {
        agents_online: u32,
    },
    Refused {
        code: String,
        client_id: Option<String>,
    },
    /// Typing, queue places, team lists, activity for agents, pongs: passing notices.
    Notice,
}

/// What one incoming text frame means for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Msg(ServerMsg),
    /// The socket.io server's heartbeat: answer with a pong.
    Ping,
    /// Transport chatter (handshake echoes, noops).
    Nothing,
    /// The server ended the session (socket.io close or namespace disconnect).
    Ended,
}

/// Decodes one text frame from a relay speaking `dialect`.
pub fn decode(dialect: Dialect, text: &str) -> Result<Incoming, WireError> {
    match dialect {
        Dialect::Checkout => {
            let mut frame: Value = serde_json::from_str(text)?;
            let name = match frame.get_mut("type").map(Value::take) {
                Some(Value::String(name)) => name,
                _ => return Err(WireError::Shape("a frame without a type".into())),
            };
            decode_named(&name, frame).map(Incoming::Msg)
        }
        Dialect::SocketIo => decode_socketio(text),
    }
}

fn decode_socketio(text: &str) -> Result<Incoming, WireError> {
    match engineio::parse(text)? {
        Packet::Ping => Ok(Incoming::Ping),
        Packet::Close | Packet::Disconnected => Ok(Incoming::Ended),
        Packet::Open(_) | Packet::Noop | Packet::Connected | Packet::ConnectError(_) => Ok(Incoming::Nothing),
        Packet::Event { args, .. } => {
            let Value::Array(mut args) = serde_json::from_str(args)? else {
                return Err(WireError::Shape("event arguments are not an array".into()));
            };
            if args.len() < 2 {
                return Err(WireError::Shape("an event without a payload".into()));
            }
            let payload = args.swap_remove(1);
            match &args[0] {
                Value::String(name) => decode_named(name, payload).map(Incoming::Msg),
                _ => Err(WireError::Shape("an event name that is not a string".into())),
            }
        }
        Packet::Ack { args, .. } => {
            let Value::Array(mut args) = serde_json::from_str(args)? else {
                return Err(WireError::Shape("ack arguments are not an array".into()));
            };
            if args.is_empty() {
                return Err(WireError::Shape("an empty ack".into()));
            }
            decode_ack(args.swap_remove(0)).map(Incoming::Msg)
        }
    }
}

/// A socket.io ack callback's argument: a stored message, a stored activity batch, or a refusal.
fn decode_ack(reply: Value) -> Result<ServerMsg, WireError> {
    if let Some(error) = reply.get("error") {
        let refusal: ErrorBody = serde_json::from_value(error.clone())?;
        return Ok(ServerMsg::Refused { code: refusal.code, client_id: refusal.client_id });
    }
    if reply.get("batch_id").is_some() {
        return decode_named("activity_ack", reply);
    }
    decode_named("ack", reply)
}

#[derive(Deserialize)]
struct WelcomeBody {
    token: String,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    agents_online: u32,
}

#[derive(Deserialize)]
struct IdBody {
    id: String,
}

#[derive(Deserialize)]
struct SummaryBody {
    id: String,
    #[serde(default)]
    assigned_agent: Option<IdBody>,
}

impl From<SummaryBody> for Summary {
    fn from(body: SummaryBody) -> Self {
        Summary { id: body.id, assigned_agent: body.assigned_agent.map(|a| a.id) }
    }
}

#[derive(Deserialize)]
struct AgentWelcomeBody {
    agent: IdBody,
    #[serde(default)]
    conversations: Vec<SummaryBody>,
}

#[derive(Deserialize)]
struct EventFrame {
    event: EventBody,
}

#[derive(Deserialize)]
struct EventBody {
    conversation_id: String,
    seq: u64,
    #[serde(default)]
    client_id: Option<String>,
    author: AuthorBody,
    body: KindBody,
}

#[derive(Deserialize)]
struct AuthorBody {
    role: String,
}

#[derive(Deserialize)]
struct KindBody {
    kind: String,
}

#[derive(Deserialize)]
struct SyncedBody {
    conversation_id: String,
    last_seq: u64,
}

#[derive(Deserialize)]
struct AckBody {
    client_id: String,
    conversation_id: String,
    seq: u64,
}

#[derive(Deserialize)]
struct ActivityAckBody {
    batch_id: String,
}

#[derive(Deserialize)]
struct UpdatedBody {
    conversation: SummaryBody,
}

#[derive(Deserialize)]
struct PresenceBody {
    agents_online: u32,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    client_id: Option<String>,
}

fn decode_named(name: &str, payload: Value) -> Result<ServerMsg, WireError> {
    Ok(match name {
        "welcome" => {
            let body: WelcomeBody = serde_json::from_value(payload)?;
            ServerMsg::Welcome {
                token: body.token,
                conversation_id: body.conversation_id,
                agents_online: body.agents_online,
            }
        }
        "agent_welcome" => {
            let body: AgentWelcomeBody = serde_json::from_value(payload)?;
            let conversations = body.conversations.into_iter().map(Summary::from).collect();
            ServerMsg::AgentWelcome { agent_id: body.agent.id, conversations }
        }
        "event" => {
            let EventFrame { event } = serde_json::from_value(payload)?;
            ServerMsg::Event(EventInfo {
                conversation_id: event.conversation_id,
                seq: event.seq,
                client_id: event.client_id,
                author: match event.author.role.as_str() {
                    "visitor" => Role::Visitor,
                    "agent" => Role::Agent,
                    _ => Role::System,
                },
                is_message: event.body.kind == "message",
            })
        }
        "synced" => {
            let body: SyncedBody = serde_json::from_value(payload)?;
            ServerMsg::Synced { conversation_id: body.conversation_id, last_seq: body.last_seq }
        }
        "ack" => {
            let body: AckBody = serde_json::from_value(payload)?;
            ServerMsg::Ack { client_id: body.client_id, conversation_id: body.conversation_id, seq: body.seq }
        }
        "activity_ack" => {
            let body: ActivityAckBody = serde_json::from_value(payload)?;
            ServerMsg::ActivityAck { batch_id: body.batch_id }
        }
        "conversation_updated" => {
            let body: UpdatedBody = serde_json::from_value(payload)?;
            ServerMsg::ConversationUpdated(body.conversation.into())
        }
        "presence" => {
            let body: PresenceBody = serde_json::from_value(payload)?;
            ServerMsg::Presence { agents_online: body.agents_online }
        }
        "error" => {
            let body: ErrorBody = serde_json::from_value(payload)?;
            ServerMsg::Refused { code: body.code, client_id: body.client_id }
        }
        _ => ServerMsg::Notice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(dialect: Dialect, text: &str) -> ServerMsg {
        match decode(dialect, text).unwrap() {
            Incoming::Msg(msg) => msg,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[test]
    fn both_dialects_decode_the_same_event() {
        let payload = r#"{"event":{"conversation_id":"c1","seq":4,"at_ms":1,"author":{"role":"agent","id":"a","name":"Anna"},"client_id":"a1m2","body":{"kind":"message","text":"Hi"}}}"#;
        let ours = format!(r#"{{"type":"event",{}"#, &payload[1..]);
        let reference = format!(r#"42["event",{payload}]"#);
        let expected = ServerMsg::Event(EventInfo {
            conversation_id: "c1".into(),
            seq: 4,
            client_id: Some("a1m2".into()),
            author: Role::Agent,
            is_message: true,
        });
        assert_eq!(msg(Dialect::Checkout, &ours), expected);
        assert_eq!(msg(Dialect::SocketIo, &reference), expected);
    }

    #[test]
    fn socketio_acks_are_told_apart_by_their_fields() {
        assert_eq!(
            msg(Dialect::SocketIo, r#"433[{"client_id":"s1m1","conversation_id":"c","seq":2}]"#),
            ServerMsg::Ack { client_id: "s1m1".into(), conversation_id: "c".into(), seq: 2 }
        );
        assert_eq!(
            msg(Dialect::SocketIo, r#"434[{"batch_id":"b7"}]"#),
            ServerMsg::ActivityAck { batch_id: "b7".into() }
        );
        assert_eq!(
            msg(Dialect::SocketIo, r#"435[{"error":{"code":"unavailable","message":"x","client_id":"s1m3"}}]"#),
            ServerMsg::Refused { code: "unavailable".into(), client_id: Some("s1m3".into()) }
        );
    }

    #[test]
    fn transport_frames_are_not_messages() {
        assert_eq!(decode(Dialect::SocketIo, "2").unwrap(), Incoming::Ping);
        assert_eq!(decode(Dialect::SocketIo, "41").unwrap(), Incoming::Ended);
        assert_eq!(decode(Dialect::SocketIo, r#"40{"sid":"x"}"#).unwrap(), Incoming::Nothing);
        assert_eq!(msg(Dialect::Checkout, r#"{"type":"pong"}"#), ServerMsg::Notice);
        assert!(decode(Dialect::Checkout, r#"{"no_type":1}"#).is_err());
        assert!(decode(Dialect::Checkout, "not json").is_err());
    }

    #[test]
    fn inbox_rows_name_the_assigned_agent() {
        let row = r#"{"type":"conversation_updated","conversation":{"id":"c9","status":"active","assigned_agent":{"id":"ag1","name":"A"},"last_seq":3}}"#;
        assert_eq!(
            msg(Dialect::Checkout, row),
            ServerMsg::ConversationUpdated(Summary { id: "c9".into(), assigned_agent: Some("ag1".into()) })
        );
    }

    #[test]
    fn client_frames_are_spelled_per_dialect() {
        let send = ClientMsg::AgentSend { conversation_id: "c1", client_id: "a1m1", text: "Hello" };
        let ours: Value = serde_json::from_str(&send.encode(Dialect::Checkout, 9)).unwrap();
        assert_eq!(ours, json!({"type": "send", "conversation_id": "c1", "client_id": "a1m1", "text": "Hello"}));
        let reference = send.encode(Dialect::SocketIo, 9);
        let args = reference.strip_prefix("429").expect("an event with ack id 9");
        let args: Value = serde_json::from_str(args).unwrap();
        assert_eq!(args, json!(["send", {"conversation_id": "c1", "client_id": "a1m1", "text": "Hello"}]));
        let typing = ClientMsg::VisitorTyping.encode(Dialect::SocketIo, 10);
        assert_eq!(typing, r#"42["typing",{"typing":true}]"#, "no ack id: the relay does not answer typing");
        let hello =
            ClientMsg::Hello { token: None, conversation_id: None, last_seq: 0, session_id: "s1", activity_only: true };
        let ours: Value = serde_json::from_str(&hello.encode(Dialect::Checkout, 0)).unwrap();
        assert_eq!(
            ours,
            json!({"type": "hello", "shop": "demo", "last_seq": 0, "session_id": "s1", "activity_only": true})
        );
    }
}
