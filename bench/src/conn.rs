//! One client WebSocket to either relay: connect (small buffers, no lingering sockets), the
//! dialect's handshake, then frames in and out in the benchmark's vocabulary.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::engineio::{self, Packet};
use crate::wire::{ClientMsg, Dialect, Incoming, WireError, decode};

/// How long a connect plus handshake may take before the attempt counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// A relay to connect to.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub dialect: Dialect,
    pub addr: SocketAddr,
}

/// Which socket of the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Visitor,
    Agent,
}

/// How an agent proves who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// Shoppers need none.
    None,
    /// Our relay: the `cc_session` cookie from `POST /v1/agent/login`.
    Cookie(String),
    /// The reference: the socket.io handshake's `auth` object.
    SocketIoAgent { agent_id: String, secret: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("cannot connect: {0}")]
    Connect(#[from] std::io::Error),
    #[error("WebSocket failed: {0}")]
    WebSocket(#[from] tungstenite::Error),
    #[error("the relay refused the connection: {0}")]
    Refused(String),
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("the connection closed (code {0:?})")]
    Closed(Option<u16>),
    #[error("timed out")]
    Timeout,
}

/// An open client socket.
pub struct Wire {
    ws: WebSocketStream<TcpStream>,
    dialect: Dialect,
    next_ack_id: u64,
}

/// Small buffers, as the relay uses: thousands of idle clients should cost the load generator
/// little memory (tungstenite reserves 128 KiB per direction by default).
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0).max_write_buffer_size(1 << 20)
}

impl Target {
    fn url(&self, side: Side) -> String {
        let path = match (self.dialect, side) {
            (Dialect::Checkout, Side::Visitor) => "/v1/visitor",
            (Dialect::Checkout, Side::Agent) => "/v1/agent",
            (Dialect::SocketIo, _) => "/socket.io/?EIO=4&transport=websocket",
        };
        format!("ws://{}{path}", self.addr)
    }

    /// Connects and completes the handshake (for socket.io: the open packet, then joining the
    /// default namespace with the agent's `auth`).
    pub async fn open(&self, side: Side, credential: &Credential) -> Result<Wire, ConnError> {
        tokio::time::timeout(CONNECT_TIMEOUT, self.open_unbounded(side, credential))
            .await
            .map_err(|_| ConnError::Timeout)?
    }

    async fn open_unbounded(&self, side: Side, credential: &Credential) -> Result<Wire, ConnError> {
        let socket = TcpSocket::new_v4()?;
        // Reset instead of TIME_WAIT when the generator drops a connection: tens of thousands of
        // loopback connections per run would otherwise pile up in the kernel.
        socket.set_zero_linger()?;
        let stream = socket.connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let mut request = self.url(side).into_client_request()?;
        if let Credential::Cookie(cookie) = credential {
            let value = HeaderValue::from_str(cookie).map_err(|e| ConnError::Refused(format!("bad cookie: {e}")))?;
            request.headers_mut().insert("cookie", value);
        }
        let (ws, _) =
            client_async_with_config(request, stream, Some(socket_config())).await.map_err(|error| match error {
                tungstenite::Error::Http(response) => ConnError::Refused(format!("HTTP {}", response.status())),
                other => ConnError::WebSocket(other),
            })?;
        let mut wire = Wire { ws, dialect: self.dialect, next_ack_id: 0 };
        if self.dialect == Dialect::SocketIo {
            wire.join_namespace(credential).await?;
        }
        Ok(wire)
    }
}

impl Wire {
    async fn join_namespace(&mut self, credential: &Credential) -> Result<(), ConnError> {
        match self.next_text().await? {
            text if matches!(engineio::parse(&text), Ok(Packet::Open(_))) => {}
            other => return Err(ConnError::Refused(format!("expected the Engine.IO open packet, got {other:?}"))),
        }
        let auth = match credential {
            Credential::SocketIoAgent { agent_id, secret } => Some(json!({"agent_id": agent_id, "secret": secret})),
            _ => None,
        };
        self.ws.send(Message::Text(engineio::connect(auth.as_ref()).into())).await?;
        loop {
            let text = self.next_text().await?;
            match engineio::parse(&text).map_err(WireError::from)? {
                Packet::Connected => return Ok(()),
                Packet::ConnectError(reason) => return Err(ConnError::Refused(reason.to_owned())),
                Packet::Ping => self.pong().await?,
                _ => {}
            }
        }
    }

    async fn next_text(&mut self) -> Result<String, ConnError> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
                Some(Ok(Message::Close(frame))) => return Err(ConnError::Closed(frame.map(|f| u16::from(f.code)))),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
                None => return Err(ConnError::Closed(None)),
            }
        }
    }

    /// The next frame. Cancel-safe: dropping the future loses nothing (tungstenite buffers
    /// what it has read, and answers WebSocket pings by itself).
    pub async fn recv(&mut self) -> Result<Incoming, ConnError> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => return Ok(decode(self.dialect, text.as_str())?),
                Some(Ok(Message::Close(frame))) => return Err(ConnError::Closed(frame.map(|f| u16::from(f.code)))),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
                None => return Err(ConnError::Closed(None)),
            }
        }
    }

    pub async fn send(&mut self, msg: &ClientMsg<'_>) -> Result<(), ConnError> {
        self.next_ack_id += 1;
        let text = msg.encode(self.dialect, self.next_ack_id);
        self.ws.send(Message::Text(text.into())).await?;
        Ok(())
    }

    /// Answers the socket.io server's heartbeat.
    pub async fn pong(&mut self) -> Result<(), ConnError> {
        self.ws.send(Message::Text(engineio::PONG.into())).await?;
        Ok(())
    }

    /// Closes politely (bounded: a relay that does not answer is simply dropped).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(500), self.ws.close(None)).await;
    }
}
