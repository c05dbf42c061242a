//! The accept loop in front of the HTTP routes: every TCP connection takes a place under its
//! address's limit and under the relay's descriptor budget before hyper reads a byte of it, and
//! hyper closes a connection whose request headers do not arrive in time (the same timeout
//! closes an idle keep-alive connection). A connection beyond a limit is answered at once with
//! a short 429 or 503 and closed, so a flood from one address costs the relay a few descriptors
//! for a moment, never its ability to accept.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::limits::IpSlot;
use crate::state::AppState;

/// How long shutdown waits for HTTP requests in progress.
const REQUEST_DRAIN: Duration = Duration::from_secs(5);

/// A refused connection is kept this long (reading and discarding what the client sends) so the
/// refusal reaches it: closing a socket with unread data makes the kernel send a reset, which can
/// destroy the answer before the client reads it.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// Refused connections kept lingering at once; beyond it a refusal closes at once.
const MAX_LINGERING: usize = 64;

/// Pause after an accept error that is not the client's (out of descriptors): retrying at once
/// would spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Who is on the other end of a request's connection, in the request's extensions: the
/// address the per-address limits count, and the connection's places under them, which a
/// WebSocket upgraded from it keeps for as long as it lives.
#[derive(Clone)]
pub struct Peer {
    addr: SocketAddr,
    place: Arc<Place>,
}

/// A connection's place under its address's limit and under the relay's total.
pub struct Place {
    address: IpSlot,
    _total: OwnedSemaphorePermit,
}

impl Peer {
    /// The address of the connection's other end, which the connection limits count.
    pub fn ip(&self) -> IpAddr {
        self.addr.ip()
    }

    /// The client's own address, which per-client limits (logins) are keyed by. Today the
    /// connection's; behind a reverse proxy, the one place to read the client's address from
    /// the proxy's header once `trusted_proxies` names it.
    pub fn client_ip(&self) -> IpAddr {
        self.addr.ip()
    }

    /// The connection's places, to hold for as long as something (a WebSocket) uses it.
    pub fn place(&self) -> Arc<Place> {
        Arc::clone(&self.place)
    }
}

impl Place {
    pub fn ip(&self) -> IpAddr {
        self.address.ip()
    }
}

/// Why a connection was refused on accept.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// Its address holds `max_connections_per_ip` connections already.
    AddressFull,
    /// The relay holds as many connections as its descriptors allow.
    RelayFull,
}

impl Refusal {
    fn response(self) -> String {
        let (status, body) = match self {
            Refusal::AddressFull => ("429 Too Many Requests", "too many connections from this address"),
            Refusal::RelayFull => ("503 Service Unavailable", "too many connections; retry shortly"),
        };
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\
             retry-after: 5\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    }
}

/// Accepts connections until `shutdown`, serving each with `router`; at most `total` at once.
pub async fn serve(listener: TcpListener, router: Router, state: AppState, total: usize, shutdown: CancellationToken) {
    let connections = Arc::new(Semaphore::new(total));
    let lingering = Arc::new(Semaphore::new(MAX_LINGERING));
    let open = TaskTracker::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(state.config.header_read_timeout_seconds));
    loop {
        let (tcp, addr) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after(&error).await;
                    continue;
                }
            },
        };
        let Some(address) = state.per_ip.open(addr.ip()) else {
            tracing::debug!(peer = %addr.ip(), "connection limit per address reached; refusing a connection");
            refuse(tcp, Refusal::AddressFull, &lingering);
            continue;
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            tracing::warn!("connection limit of the relay reached; refusing a connection");
            refuse(tcp, Refusal::RelayFull, &lingering);
            continue;
        };
        // Chat frames are small and often written two at a time (an ack, then the event; an
        // inbox update, then the event): with Nagle's algorithm the second waits for the
        // client's delayed ACK, up to 40 ms. Node's `ws` turns it off too.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
        }
        let peer = Peer { addr, place: Arc::new(Place { address, _total: permit }) };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(peer.clone());
            router.clone().oneshot(request)
        });
        let connection = http.serve_connection(TokioIo::new(tcp), service).with_upgrades();
        let shutdown = shutdown.clone();
        open.spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = shutdown.cancelled() => {
                    // Finishes the request in progress, then closes; an idle one closes now.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    open.close();
    if tokio::time::timeout(REQUEST_DRAIN, open.wait()).await.is_err() {
        tracing::warn!("some HTTP requests did not finish in time");
    }
}

async fn pause_after(error: &io::Error) {
    // The client gave up before it was accepted: nothing wrong with the relay.
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::warn!(%error, "accept error");
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

/// Answers a refused connection with `refusal` (one write that does not wait) and closes it,
/// after a short bounded linger if one of the few lingering places is free.
fn refuse(tcp: TcpStream, refusal: Refusal, lingering: &Arc<Semaphore>) {
    // A client that cannot take these few bytes at once gets no answer: it is not waited for.
    let _ = tcp.try_write(refusal.response().as_bytes());
    let Ok(place) = Arc::clone(lingering).try_acquire_owned() else { return };
    tokio::spawn(async move {
        let _place = place;
        let mut tcp = tcp;
        // Half-closed: the client sees the end of the answer while its request is read and dropped.
        let _ = tcp.shutdown().await;
        let _ = tokio::time::timeout(REFUSAL_LINGER, async {
            let mut discard = [0u8; 1024];
            while matches!(tcp.read(&mut discard).await, Ok(n) if n > 0) {}
        })
        .await;
    });
}
