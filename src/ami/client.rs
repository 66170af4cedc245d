//! One AMI connection: login over TCP or any byte stream, then any number of
//! concurrent actions matched to their answers by ActionID (the connection
//! task is in `connection.rs`), and a stream of the events nobody asked for.

use super::codec::{AmiCodec, Frame, Outgoing};
use super::connection::{self, Command, Events, Reply};
use super::message::{Action, Message};
use super::AmiError;
use futures::{SinkExt, StreamExt};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::Framed;

/// AMI user and secret. The secret never appears in `Debug` output.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    secret: String,
}

impl Credentials {
    pub fn new(username: impl Into<String>, secret: impl Into<String>) -> Self {
        Credentials { username: username.into(), secret: secret.into() }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &crate::secret::REDACTED)
            .finish()
    }
}

/// How the secret is proven at login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoginAuth {
    /// `Secret:` in the Login action, as most clients do.
    #[default]
    Plain,
    /// `Action: Challenge` first, then `Key: md5(challenge + secret)`: the
    /// secret itself never crosses the wire.
    Md5,
}

/// `md5(challenge + secret)` in lowercase hex, as manager.c computes it.
pub fn md5_key(challenge: &str, secret: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::new().chain_update(challenge.as_bytes()).chain_update(secret.as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub addr: String,
    pub credentials: Credentials,
    pub auth: LoginAuth,
    pub connect_timeout: Duration,
    pub action_timeout: Duration,
    /// Login with `Events: on` (the state store needs them).
    pub events: bool,
}

impl ClientOptions {
    pub fn new(addr: impl Into<String>, credentials: Credentials) -> Self {
        ClientOptions {
            addr: addr.into(),
            credentials,
            auth: LoginAuth::Plain,
            connect_timeout: Duration::from_secs(5),
            action_timeout: Duration::from_secs(10),
            events: true,
        }
    }
}

/// A logged-in connection. Cheap to clone; every clone shares the socket.
#[derive(Clone)]
pub struct AmiClient {
    tx: mpsc::Sender<Command>,
    next_id: Arc<AtomicU64>,
    timeout: Duration,
    pub banner: Arc<str>,
}

impl fmt::Debug for AmiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmiClient").field("banner", &self.banner).finish()
    }
}

async fn next_message<S>(conn: &mut Framed<S, AmiCodec>) -> Result<Message, AmiError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match conn.next().await {
            Some(Ok(Frame::Message(m))) => return Ok(m),
            Some(Ok(Frame::Banner(_))) => continue,
            Some(Err(e)) => return Err(e),
            None => return Err(AmiError::Closed),
        }
    }
}

/// The response to a login-phase action; events before it are dropped.
async fn login_answer<S>(conn: &mut Framed<S, AmiCodec>, id: &str) -> Result<Message, AmiError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let m = next_message(conn).await.map_err(|e| match e {
            // Asterisk closes the socket right after a refused login.
            AmiError::Closed => AmiError::LoginRefused("connection closed during login".into()),
            e => e,
        })?;
        if m.response().is_some() && m.action_id() == Some(id) {
            return Ok(m);
        }
    }
}

/// Reads the banner and logs in; returns the banner.
async fn login<S>(conn: &mut Framed<S, AmiCodec>, opts: &ClientOptions) -> Result<String, AmiError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let banner = match conn.next().await {
        Some(Ok(Frame::Banner(b))) if b.starts_with("Asterisk Call Manager/") => b,
        Some(Ok(Frame::Banner(b))) => return Err(AmiError::Banner(b)),
        Some(Ok(Frame::Message(m))) => return Err(AmiError::Banner(format!("{:?}", m.headers.first()))),
        Some(Err(e)) => return Err(e),
        None => return Err(AmiError::Closed),
    };
    let login = Action::new("Login").header("Username", opts.credentials.username.clone());
    let login = match opts.auth {
        LoginAuth::Plain => login.header("Secret", opts.credentials.secret.clone()),
        LoginAuth::Md5 => {
            let challenge = Action::new("Challenge").header("AuthType", "MD5");
            conn.send(Outgoing { action: &challenge, action_id: Some("ispbx-challenge") }).await?;
            let answer = login_answer(conn, "ispbx-challenge").await?;
            let Some(nonce) = answer.get("Challenge").filter(|_| answer.is_success()) else {
                return Err(AmiError::LoginRefused(format!("no MD5 challenge: {}", answer.message_text())));
            };
            login.header("AuthType", "MD5").header("Key", md5_key(nonce, &opts.credentials.secret))
        }
    };
    let login = login.header("Events", if opts.events { "on" } else { "off" });
    conn.send(Outgoing { action: &login, action_id: Some("ispbx-login") }).await?;
    let m = login_answer(conn, "ispbx-login").await?;
    if m.is_success() {
        return Ok(banner);
    }
    Err(AmiError::LoginRefused(m.message_text().to_string()))
}

impl AmiClient {
    /// Connects over TCP to `opts.addr`, reads the banner and logs in.
    /// Returns the client and the stream of unsolicited events, which ends
    /// with the reason the connection did.
    pub async fn connect(opts: &ClientOptions) -> Result<(AmiClient, Events), AmiError> {
        let connect = TcpStream::connect(&opts.addr);
        let stream = match tokio::time::timeout(opts.connect_timeout, connect).await {
            Err(_) => return Err(AmiError::Timeout(opts.connect_timeout)),
            Ok(Err(e)) => return Err(AmiError::Connect { addr: opts.addr.clone(), source: Arc::new(e) }),
            Ok(Ok(s)) => s,
        };
        // Actions are small and each one waits for its answer: Nagle only delays them.
        let _ = stream.set_nodelay(true);
        Self::connect_stream(stream, opts).await
    }

    /// Reads the banner and logs in over a stream that is already open (a
    /// TLS session, an SSH tunnel, an in-memory peer in a test); `opts.addr`
    /// is not used.
    pub async fn connect_stream<S>(stream: S, opts: &ClientOptions) -> Result<(AmiClient, Events), AmiError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut conn = Framed::new(stream, AmiCodec::default());
        // Asterisk waits ~1 s before refusing a bad secret: allow for it.
        let banner = tokio::time::timeout(opts.connect_timeout + Duration::from_secs(2), login(&mut conn, opts))
            .await
            .map_err(|_| AmiError::Timeout(opts.connect_timeout))??;
        let (tx, ends, events) = connection::channels();
        tokio::spawn(connection::run(conn, ends));
        Ok((
            AmiClient {
                tx,
                next_id: Arc::new(AtomicU64::new(1)),
                timeout: opts.action_timeout,
                banner: Arc::from(banner),
            },
            events,
        ))
    }

    /// Whether the connection has ended: every action would fail with `Closed`.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    async fn call(&self, action: Action, list: bool) -> Result<Reply, AmiError> {
        self.call_within(action, list, self.timeout).await
    }

    async fn call_within(&self, action: Action, list: bool, timeout: Duration) -> Result<Reply, AmiError> {
        action.validate()?;
        let id = format!("ispbx-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Send { action, id: id.clone(), list, reply })
            .await
            .map_err(|_| AmiError::Closed)?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(AmiError::Closed),
            Err(_) => {
                let _ = self.tx.send(Command::Cancel(id)).await;
                Err(AmiError::Timeout(timeout))
            }
        }
    }

    /// An action with a single response. `Response: Error` is returned as a message, not an error.
    pub async fn action(&self, action: Action) -> Result<Message, AmiError> {
        Ok(self.call(action, false).await?.response)
    }

    /// [`AmiClient::action`] for an action Asterisk answers only when it is
    /// done, however long that takes (`Reload` of a large config).
    pub async fn action_within(&self, action: Action, timeout: Duration) -> Result<Message, AmiError> {
        Ok(self.call_within(action, false, timeout).await?.response)
    }

    /// An event-list action: its items, without the `…Complete` event.
    /// res_pjsip's "No … found" error is an empty list.
    pub async fn list(&self, action: Action) -> Result<Vec<Message>, AmiError> {
        let reply = self.call(action, true).await?;
        if reply.response.is_success() {
            Ok(reply.events)
        } else if reply.response.is_empty_list_error() {
            Ok(Vec::new())
        } else {
            Err(AmiError::Action(reply.response.message_text().trim().to_string()))
        }
    }

    /// A CLI command: its output, one string per line.
    pub async fn command(&self, command: &str) -> Result<Vec<String>, AmiError> {
        let m = self.action(Action::new("Command").header("Command", command)).await?;
        if !m.is_success() {
            return Err(AmiError::Action(m.message_text().trim().to_string()));
        }
        Ok(m.get_all("Output").map(str::to_string).collect())
    }
}
