//! A loopback HTTP/1.1 server whose answers the test writes, and may hold: the order of
//! events at the server (which requests were in flight together, whether an answer had gone
//! out) is then something a test can assert, instead of elapsed wall time.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request as received.
#[derive(Debug)]
pub struct Received {
    /// Arrival order, from 0 (counted once the whole request is read).
    pub index: usize,
    /// The request line and headers.
    pub head: String,
    pub body: Vec<u8>,
}

/// Serves on 127.0.0.1 (a free port) until the runtime ends and returns the base URL
/// (`http://127.0.0.1:PORT`). Every request is answered with the status and JSON text `answer`
/// gives for it, once that future is ready: awaiting in it holds the answer. One request per
/// connection (`connection: close`).
pub async fn serve<F, Fut>(answer: F) -> String
where
    F: Fn(Received) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (u16, String)> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    let arrived = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let (answer, arrived) = (answer.clone(), arrived.clone());
            tokio::spawn(async move {
                let Some((head, body)) = read_request(&mut stream).await else {
                    return;
                };
                let index = arrived.fetch_add(1, Ordering::SeqCst);
                let (status, text) = answer(Received { index, head, body }).await;
                let reason = http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Status");
                let out = format!(
                    "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = stream.write_all(out.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    url
}

/// The head and the `content-length` body of one request; `None` if the peer goes away first.
async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 1 << 20 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}
