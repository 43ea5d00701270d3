//! A blocking client for `GET /api/v1/events` (tungstenite), shared by the
//! end-to-end tests and the WebSocket latency benchmark.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use shared::delivery::events::ServerMessage;
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How a socket proves who it is.
pub enum Auth<'a> {
    Bearer(&'a str),
    Ticket(&'a str),
}

/// One open event stream.
pub struct EventSocket {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
}

/// The handshake failed with this HTTP status.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
}

impl EventSocket {
    /// Connects to `{base}/api/v1/events` (base is `http://host:port`).
    pub fn open(base: &str, auth: Auth<'_>, since: Option<u64>) -> Result<EventSocket, Refused> {
        let mut url = format!(
            "{}/api/v1/events",
            base.replacen("http://", "ws://", 1)
                .replacen("https://", "wss://", 1)
        );
        let mut query = Vec::new();
        if let Auth::Ticket(ticket) = auth {
            query.push(format!("ticket={ticket}"));
        }
        if let Some(since) = since {
            query.push(format!("since={since}"));
        }
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let mut request = url.into_client_request().expect("a WebSocket URL");
        if let Auth::Bearer(token) = auth {
            request.headers_mut().insert(
                "authorization",
                HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
            );
        }
        match tungstenite::connect(request) {
            Ok((ws, _)) => Ok(EventSocket { ws }),
            Err(tungstenite::Error::Http(response)) => Err(Refused {
                status: response.status().as_u16(),
            }),
            Err(e) => panic!("WebSocket connect failed: {e}"),
        }
    }

    fn set_timeout(&mut self, timeout: Duration) {
        if let MaybeTlsStream::Plain(stream) = self.ws.get_mut() {
            stream
                .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
                .expect("read timeout");
        }
    }

    /// The next text message within `timeout`, or `None`. Panics when the
    /// server closes the connection.
    pub fn next_text(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.set_timeout(left);
            match self.ws.read() {
                Ok(Message::Text(text)) => return Some(text.to_string()),
                Ok(Message::Close(frame)) => panic!("the server closed the socket: {frame:?}"),
                Ok(_) => continue, // pings, pongs, binary
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return None;
                }
                Err(e) => panic!("reading the socket failed: {e}"),
            }
        }
    }

    /// The next server message within `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Option<ServerMessage> {
        self.next_text(timeout).map(|text| {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("not a server message ({e}): {text}"))
        })
    }

    pub fn send(&mut self, text: &str) {
        self.ws
            .send(Message::text(text))
            .expect("sending on the socket");
    }

    /// Closes the connection politely.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}
