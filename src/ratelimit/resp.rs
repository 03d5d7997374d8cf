//! The little of the Redis protocol (RESP2) the quota store speaks: one TCP connection,
//! `AUTH`/`SELECT` from the URL, `PING` and `EVAL`, one command at a time.
//!
//! Why not the `redis` crate: it is a complete client (every command, cluster, pub/sub,
//! connection managers) and was the third-largest crate of a release build (~15 s of CPU on
//! 2 cores with its parser) for three commands. Replies are read with bounds (line length,
//! bulk size, array length, nesting), and every exchange has a deadline.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The longest status line, bulk string and array a reply may have, and how deep arrays nest:
/// the quota scripts answer with one integer, so anything near these is a wrong server.
const MAX_LINE: usize = 64 * 1024;
const MAX_BULK: usize = 1024 * 1024;
const MAX_ARRAY: usize = 1024;
const MAX_DEPTH: usize = 8;

/// A reply.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Reply {
    /// `+OK`.
    Status(String),
    /// `:42`.
    Integer(i64),
    /// `$3\r\nabc` (`None`: the null bulk string).
    Bulk(Option<Vec<u8>>),
    /// `*2\r\n...` (`None`: the null array).
    Array(Option<Vec<Reply>>),
}

/// Where to connect and how to log in, from a `redis://` URL.
#[derive(Clone)]
pub(super) struct Target {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database: Option<u32>,
}

impl Target {
    /// Reads `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`; the error says what is wrong (it
    /// never quotes the URL, which may hold a password).
    pub fn parse(url: &str) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|_| "not a URL".to_owned())?;
        if parsed.scheme() != "redis" {
            return Err(
                "not a redis:// URL (TLS to Redis, rediss://, is not supported: \
                 use a TLS tunnel such as stunnel and a redis:// URL to its local end)"
                    .into(),
            );
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) if d.contains('%') => {
                return Err("names a host that is not ASCII: write it in its xn-- form".into())
            }
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err("names no host".into()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| "its user or password is not UTF-8 once decoded".to_owned())
        };
        let username = match parsed.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = parsed.password().map(decode).transpose()?;
        let database = match parsed.path().trim_start_matches('/') {
            "" => None,
            db => Some(
                db.parse()
                    .map_err(|_| "its path is not a database number (/0, /1, ...)".to_owned())?,
            ),
        };
        Ok(Self {
            host,
            port: parsed.port().unwrap_or(6379),
            username,
            password,
            database,
        })
    }
}

/// One open connection.
pub(super) struct Connection {
    stream: BufReader<TcpStream>,
}

impl Connection {
    /// Connects, logs in, selects the database and checks that the server answers `PING`.
    pub async fn open(target: &Target, timeout: Duration) -> Result<Self, String> {
        let stream = tokio::time::timeout(
            timeout,
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        .map_err(|_| format!("no connection within {} s", timeout.as_secs()))?
        .map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let mut connection = Self {
            stream: BufReader::new(stream),
        };
        if let Some(password) = &target.password {
            let mut auth = vec![b"AUTH".as_slice()];
            if let Some(user) = &target.username {
                auth.push(user.as_bytes());
            }
            auth.push(password.as_bytes());
            connection.command(&auth, timeout).await?;
        }
        if let Some(db) = target.database {
            connection
                .command(&[b"SELECT", db.to_string().as_bytes()], timeout)
                .await?;
        }
        match connection.command(&[b"PING"], timeout).await? {
            Reply::Status(s) if s == "PONG" => Ok(connection),
            other => Err(format!("PING answered {other:?}")),
        }
    }

    /// Sends one command and reads its reply within `timeout`. A server error (`-ERR ...`) is
    /// an `Err` with its text. After any `Err` other than a server error the connection is in
    /// an unknown state and must be dropped.
    pub async fn command(&mut self, args: &[&[u8]], timeout: Duration) -> Result<Reply, String> {
        let exchange = async {
            self.stream
                .get_mut()
                .write_all(&encode(args))
                .await
                .map_err(|e| e.to_string())?;
            read_reply(&mut self.stream, 0).await
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(reply) => reply,
            Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
        }
    }
}

/// A command as RESP: an array of bulk strings.
fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// One line without its CRLF, at most [`MAX_LINE`] bytes.
async fn read_line<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Result<String, String> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(MAX_LINE as u64 + 2)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| e.to_string())?;
    if read == 0 {
        return Err("the server closed the connection".into());
    }
    if !line.ends_with(b"\r\n") {
        return Err("a reply line is too long or cut short".into());
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).map_err(|_| "a reply line is not UTF-8".into())
}

fn length(text: &str, max: usize, what: &str) -> Result<Option<usize>, String> {
    let n: i64 = text
        .parse()
        .map_err(|_| format!("a {what} length is not a number"))?;
    match n {
        -1 => Ok(None),
        n if n >= 0 && n as u64 <= max as u64 => Ok(Some(n as usize)),
        _ => Err(format!("a {what} of {n} is out of bounds (at most {max})")),
    }
}

/// Reads one reply (arrays recursively, at most [`MAX_DEPTH`] deep).
fn read_reply<'a, R: AsyncBufReadExt + Unpin + Send>(
    reader: &'a mut R,
    depth: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Reply, String>> + Send + 'a>> {
    Box::pin(async move {
        if depth > MAX_DEPTH {
            return Err("a reply nests too deeply".into());
        }
        let line = read_line(reader).await?;
        let (kind, rest) = line.split_at(line.len().min(1));
        match kind {
            "+" => Ok(Reply::Status(rest.to_owned())),
            "-" => Err(format!("the server refused: {rest}")),
            ":" => rest
                .parse()
                .map(Reply::Integer)
                .map_err(|_| "an integer reply is not a number".into()),
            "$" => {
                let Some(n) = length(rest, MAX_BULK, "bulk string")? else {
                    return Ok(Reply::Bulk(None));
                };
                let mut data = vec![0; n + 2];
                reader
                    .read_exact(&mut data)
                    .await
                    .map_err(|e| e.to_string())?;
                if !data.ends_with(b"\r\n") {
                    return Err("a bulk string does not end with CRLF".into());
                }
                data.truncate(n);
                Ok(Reply::Bulk(Some(data)))
            }
            "*" => {
                let Some(n) = length(rest, MAX_ARRAY, "array")? else {
                    return Ok(Reply::Array(None));
                };
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(read_reply(reader, depth + 1).await?);
                }
                Ok(Reply::Array(Some(items)))
            }
            _ => Err("the answer is not RESP (is this a Redis server?)".into()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &[u8]) -> Result<Reply, String> {
        let mut reader = BufReader::new(bytes);
        read_reply(&mut reader, 0).await
    }

    #[tokio::test]
    async fn replies_are_read_and_bounded() {
        assert_eq!(parse(b":-1\r\n").await, Ok(Reply::Integer(-1)));
        assert_eq!(parse(b"+PONG\r\n").await, Ok(Reply::Status("PONG".into())));
        assert_eq!(
            parse(b"*2\r\n$3\r\na\r\n\r\n$-1\r\n").await,
            Ok(Reply::Array(Some(vec![
                Reply::Bulk(Some(b"a\r\n".to_vec())),
                Reply::Bulk(None)
            ])))
        );
        let refused = parse(b"-NOAUTH Authentication required.\r\n").await;
        assert!(refused.unwrap_err().contains("NOAUTH"));
        for bad in [
            b"$1048577\r\n".as_slice(),
            b"*1025\r\n",
            b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
            b"$3\r\nab",
            b":12",
            b"HTTP/1.1 400 Bad Request\r\n",
            b"",
        ] {
            assert!(
                parse(bad).await.is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = [b"+".as_slice(), &vec![b'a'; MAX_LINE + 10], b"\r\n"].concat();
        assert!(parse(&long).await.is_err());
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(encode(&[b"PING"]), b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(
            encode(&[b"EVAL", b"", b"a b"]),
            b"*3\r\n$4\r\nEVAL\r\n$0\r\n\r\n$3\r\na b\r\n"
        );
    }

    #[test]
    fn urls_give_host_login_and_database() {
        let t = Target::parse("redis://user:p%40ss@[::1]:6380/2").unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.username.as_deref(),
                t.password.as_deref(),
                t.database
            ),
            ("::1", 6380, Some("user"), Some("p@ss"), Some(2))
        );
        // redis:// is not a special scheme: its host is not put through IDNA.
        let e = Target::parse("redis://cache.bücher.example").err().unwrap();
        assert!(e.contains("xn--"), "{e}");
        let t = Target::parse("redis://:secret@cache.internal").unwrap();
        assert_eq!((t.port, t.username, t.database), (6379, None, None));
        for bad in ["rediss://host", "redis://host/x", "http://host", "redis://"] {
            let e = Target::parse(bad).err().unwrap();
            assert!(!e.contains("secret"), "{e}");
        }
    }
}
