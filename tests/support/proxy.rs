//! A small HTTP proxy in front of a test registry that can fail the first
//! requests with 500, cut a download short or demand bearer tokens. It
//! listens on 127.0.0.1 and is stopped on drop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// What the proxy does besides forwarding.
#[derive(Clone, Debug, Default)]
pub struct ProxyBehaviour {
    /// Answer 500 to this many requests first.
    pub fail_first: usize,
    /// Demand `Authorization: Bearer <token>` and serve `/token` (which
    /// wants basic auth for user/password when given).
    pub bearer: Option<BearerAuth>,
    /// Cut the connection after this many response bytes, once, on the
    /// first blob GET (a network failure in the middle of a download).
    pub cut_first_blob_after: Option<usize>,
    /// Answer 500 to the first N requests with this method (e.g. "PUT").
    pub fail_method: Option<(&'static str, usize)>,
}

#[derive(Clone, Debug)]
pub struct BearerAuth {
    pub token: String,
    pub user: Option<(String, String)>,
}

pub struct TestProxy {
    pub addr: SocketAddr,
    /// Requests seen, failed ones included.
    pub requests: Arc<AtomicUsize>,
    /// Requests to /token.
    pub token_requests: Arc<AtomicUsize>,
    /// Range headers of the requests seen.
    pub ranges: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestProxy {
    pub fn start(upstream: SocketAddr, behaviour: ProxyBehaviour) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let requests = Arc::new(AtomicUsize::new(0));
        let token_requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let cut_done = Arc::new(AtomicBool::new(false));
        let shared = Shared {
            requests: requests.clone(),
            token_requests: token_requests.clone(),
            ranges: ranges.clone(),
            cut_done,
            method_seen: Arc::new(AtomicUsize::new(0)),
        };
        let s = stop.clone();
        let thread = thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (sh, b) = (shared.clone(), behaviour.clone());
                        thread::spawn(move || serve(conn, addr, upstream, &b, &sh));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        TestProxy {
            addr,
            requests,
            token_requests,
            ranges,
            stop,
            thread: Some(thread),
        }
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[derive(Clone)]
struct Shared {
    requests: Arc<AtomicUsize>,
    token_requests: Arc<AtomicUsize>,
    ranges: Arc<Mutex<Vec<String>>>,
    cut_done: Arc<AtomicBool>,
    method_seen: Arc<AtomicUsize>,
}

struct Head {
    request_line: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_head(r: &mut BufReader<TcpStream>) -> Option<Head> {
    let mut request_line = String::new();
    if r.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    Some(Head {
        request_line: request_line.trim_end().to_owned(),
        headers,
    })
}

fn respond(conn: &mut TcpStream, status: &str, extra: &str, body: &str) {
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
}

/// One request per connection: the proxy always answers `Connection: close`.
fn serve(
    conn: TcpStream,
    me: SocketAddr,
    upstream: SocketAddr,
    b: &ProxyBehaviour,
    shared: &Shared,
) {
    let (requests, token_requests) = (&shared.requests, &shared.token_requests);
    let _ = conn.set_nonblocking(false);
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut conn = conn;
    let Some(head) = read_head(&mut reader) else {
        return;
    };
    let len: usize = head
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let n = requests.fetch_add(1, Ordering::SeqCst);
    if let Some(r) = head.get("range") {
        shared.ranges.lock().expect("lock").push(r.to_owned());
    }
    let method_failure = b.fail_method.is_some_and(|(m, count)| {
        head.request_line.starts_with(&format!("{m} "))
            && shared.method_seen.fetch_add(1, Ordering::SeqCst) < count
    });
    if n < b.fail_first || method_failure {
        respond(
            &mut conn,
            "500 Internal Server Error",
            "",
            r#"{"errors":[{"code":"UNKNOWN","message":"flaky proxy"}]}"#,
        );
        return;
    }
    let path = head.request_line.split(' ').nth(1).unwrap_or("/");
    if let Some(bearer) = &b.bearer {
        if path.starts_with("/token") {
            token_requests.fetch_add(1, Ordering::SeqCst);
            if let Some((u, p)) = &bearer.user {
                use base64::Engine as _;
                let want = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                );
                if head.get("authorization") != Some(want.as_str()) {
                    respond(
                        &mut conn,
                        "401 Unauthorized",
                        "",
                        r#"{"details":"bad credentials"}"#,
                    );
                    return;
                }
            }
            respond(
                &mut conn,
                "200 OK",
                "",
                &format!(r#"{{"token":"{}"}}"#, bearer.token),
            );
            return;
        }
        let want = format!("Bearer {}", bearer.token);
        if head.get("authorization") != Some(want.as_str()) {
            let challenge = format!(
                "WWW-Authenticate: Bearer realm=\"http://{me}/token\",service=\"strata-test\"\r\n"
            );
            respond(
                &mut conn,
                "401 Unauthorized",
                &challenge,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}"#,
            );
            return;
        }
    }
    let Ok(mut up) = TcpStream::connect(upstream) else {
        respond(&mut conn, "502 Bad Gateway", "", "");
        return;
    };
    let mut out = format!("{}\r\n", head.request_line);
    for (k, v) in &head.headers {
        let k_l = k.to_ascii_lowercase();
        if k_l == "connection" || (b.bearer.is_some() && k_l == "authorization") {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    if up.write_all(out.as_bytes()).is_err() || up.write_all(&body).is_err() {
        return;
    }
    let is_blob_get = head.request_line.starts_with("GET ") && path.contains("/blobs/sha256:");
    if let Some(limit) = b.cut_first_blob_after
        && is_blob_get
        && !shared.cut_done.swap(true, Ordering::SeqCst)
    {
        let _ = std::io::copy(&mut (&mut up).take(limit as u64), &mut conn);
        let _ = conn.shutdown(std::net::Shutdown::Both);
        return;
    }
    let _ = std::io::copy(&mut up, &mut conn);
}
