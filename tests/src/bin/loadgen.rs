//! A small HTTP/1.1 load generator for `scripts/`, so each response can be
//! checked against what its request deserved (wrk cannot match responses to
//! requests). Keep-alive connections on loopback, one request in flight each.
//!
//! ```text
//! loadgen ADDR SECONDS [--pid PID] [--token T] GROUP...
//! GROUP = CONNECTIONS:KIND, KIND = valid | invalid | wrong_login | unknown_login | refresh | mixed
//! loadgen ADDR timing ROUNDS       # median login time, unknown user vs wrong password
//!
//! Connections that only make failing logins connect from 127.0.0.2.
//! ```

// A command-line tool: its report goes to stdout.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Valid,
    Invalid,
    WrongLogin,
    UnknownLogin,
    /// A refresh grant continuing this connection's own rotation chain.
    Refresh,
}

impl Kind {
    fn request(self, token: &str, refresh: &str, n: u64) -> Vec<u8> {
        match self {
            Kind::Refresh => form(&format!("grant_type=refresh_token&refresh_token={refresh}")),
            Kind::Valid => get(&format!("Bearer {token}")),
            Kind::Invalid => get(&format!("Bearer {token}x")),
            Kind::WrongLogin => form(&format!("username=johndoe&password=wrong{n}")),
            Kind::UnknownLogin => form(&format!("username=nobody{n}&password=wrong{n}")),
        }
    }

    /// Whether `status` is the right answer to this kind of request.
    fn expected(self, status: u16) -> bool {
        match self {
            Kind::Valid | Kind::Refresh => status == 200,
            Kind::Invalid => status == 401,
            // 429: throttled; 503: the hashing queue is full (load shedding).
            Kind::WrongLogin | Kind::UnknownLogin => matches!(status, 401 | 429 | 503),
        }
    }
}

fn get(authorization: &str) -> Vec<u8> {
    format!("GET /users/me HTTP/1.1\r\nHost: load\r\nAuthorization: {authorization}\r\n\r\n")
        .into_bytes()
}

fn form(body: &str) -> Vec<u8> {
    format!(
        "POST /token HTTP/1.1\r\nHost: load\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn exchange(stream: &mut BufStream<TcpStream>, raw: &[u8]) -> std::io::Result<u16> {
    exchange_body(stream, raw).await.map(|(status, _)| status)
}

async fn exchange_body(
    stream: &mut BufStream<TcpStream>,
    raw: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    stream.write_all(raw).await?;
    stream.flush().await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let mut length = 0usize;
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok((status, body))
}

/// The `refresh_token` of a token response.
fn refresh_token_of(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("\"refresh_token\":\"")? + "\"refresh_token\":\"".len();
    let end = start + text[start..].find('"')?;
    Some(text[start..end].to_owned())
}

/// Connections that only make failing logins come from another loopback
/// address (127.0.0.2), like an attacker elsewhere: per-IP throttling then
/// does not touch the legitimate traffic from 127.0.0.1.
async fn connect(address: &str, kinds: &[Kind]) -> std::io::Result<TcpStream> {
    let attacker = kinds.iter().all(|k| matches!(k, Kind::WrongLogin | Kind::UnknownLogin));
    if !attacker {
        return TcpStream::connect(address).await;
    }
    let target: std::net::SocketAddr =
        address.parse().map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind("127.0.0.2:0".parse().map_err(|_| std::io::ErrorKind::InvalidInput)?)?;
    socket.connect(target).await
}

/// Logs in as johndoe for a first refresh token (before the load starts).
async fn first_refresh_token(address: &str) -> String {
    let mut stream = BufStream::new(TcpStream::connect(address).await.expect("connect"));
    let (status, body) =
        exchange_body(&mut stream, &form("username=johndoe&password=secret")).await.expect("login");
    assert_eq!(status, 200, "setup login");
    refresh_token_of(&body).expect("refresh_token")
}

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, u64>,
    wrong: u64,
    errors: u64,
    latencies: Vec<Duration>,
}

type Tallies = Arc<Mutex<BTreeMap<Kind, Tally>>>;

async fn connection(
    address: String,
    kinds: Vec<Kind>,
    token: Arc<str>,
    mut refresh: String,
    until: Instant,
    tallies: Tallies,
) {
    let mut local: BTreeMap<Kind, Tally> = BTreeMap::new();
    let mut stream = None;
    let mut n = 0u64;
    while Instant::now() < until {
        if stream.is_none() {
            match connect(&address, &kinds).await {
                Ok(tcp) => stream = Some(BufStream::new(tcp)),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let kind = kinds[(n as usize) % kinds.len()];
        n += 1;
        let started = Instant::now();
        let request = kind.request(&token, &refresh, n);
        let result = exchange_body(stream.as_mut().expect("connected"), &request).await;
        let tally = local.entry(kind).or_default();
        match result {
            Ok((status, body)) => {
                if kind == Kind::Refresh
                    && let Some(next) = refresh_token_of(&body)
                {
                    refresh = next;
                }
                tally.latencies.push(started.elapsed());
                *tally.statuses.entry(status).or_default() += 1;
                tally.wrong += u64::from(!kind.expected(status));
            }
            Err(_) => {
                tally.errors += 1;
                stream = None;
            }
        }
    }
    let mut all = tallies.lock().await;
    for (kind, tally) in local {
        let total = all.entry(kind).or_default();
        for (status, count) in tally.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
        total.wrong += tally.wrong;
        total.errors += tally.errors;
        total.latencies.extend(tally.latencies);
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn parse_kind(name: &str) -> Vec<Kind> {
    match name {
        "valid" => vec![Kind::Valid],
        "invalid" => vec![Kind::Invalid],
        "wrong_login" => vec![Kind::WrongLogin],
        "unknown_login" => vec![Kind::UnknownLogin],
        // Six valid, two invalid, two wrong-password logins in every ten.
        "refresh" => vec![Kind::Refresh],
        // In every ten: five valid tokens, two invalid, two wrong-password
        // logins, one refresh.
        "mixed" => [Kind::Valid; 5]
            .into_iter()
            .chain([Kind::Invalid; 2])
            .chain([Kind::WrongLogin; 2])
            .chain([Kind::Refresh])
            .collect(),
        other => panic!("unknown request kind {other}"),
    }
}

async fn timing(address: String, rounds: usize) {
    let mut stream = BufStream::new(TcpStream::connect(&address).await.expect("connect"));
    let (mut unknown, mut wrong, mut statuses) =
        (Vec::new(), Vec::new(), BTreeMap::<u16, u64>::new());
    for n in 0..rounds {
        for kind in [Kind::UnknownLogin, Kind::WrongLogin] {
            let started = Instant::now();
            let status =
                exchange(&mut stream, &kind.request("", "", n as u64)).await.expect("exchange");
            *statuses.entry(status).or_default() += 1;
            if kind == Kind::UnknownLogin {
                unknown.push(started.elapsed())
            } else {
                wrong.push(started.elapsed())
            }
        }
    }
    unknown.sort();
    wrong.sort();
    let (u, w) = (percentile(&unknown, 0.5), percentile(&wrong, 0.5));
    println!(
        "timing rounds={rounds} median_unknown_user={:.2}ms median_wrong_password={:.2}ms ratio={:.3} statuses={statuses:?}",
        u.as_secs_f64() * 1e3,
        w.as_secs_f64() * 1e3,
        u.as_secs_f64() / w.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let address = args.first().cloned().expect("ADDR");
    if args.get(1).map(String::as_str) == Some("timing") {
        let rounds = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(50);
        return timing(address, rounds).await;
    }
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).expect("SECONDS");
    let (mut pid, mut token, mut groups) = (None, String::new(), Vec::new());
    let mut rest = args[2..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--pid" => pid = rest.next().and_then(|p| p.parse::<u32>().ok()),
            "--token" => token = rest.next().cloned().unwrap_or_default(),
            group => {
                let (count, kind) = group.split_once(':').expect("CONNECTIONS:KIND");
                groups.push((count.parse::<usize>().expect("connections"), parse_kind(kind)));
            }
        }
    }
    let token: Arc<str> = Arc::from(token);
    let tallies = Tallies::default();
    let rss_start = pid.and_then(rss_kib);
    let mut connections = Vec::new();
    for (count, kinds) in groups {
        for offset in 0..count {
            let mut kinds = kinds.clone();
            let shift = offset % kinds.len();
            kinds.rotate_left(shift);
            let refresh = if kinds.contains(&Kind::Refresh) {
                first_refresh_token(&address).await
            } else {
                String::new()
            };
            connections.push((kinds, refresh));
        }
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        while Instant::now() < until {
            if let Some(rss) = pid.and_then(rss_kib) {
                peak = peak.max(rss);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        peak
    });
    let mut tasks = Vec::new();
    for (kinds, refresh) in connections {
        let (token, tallies) = (Arc::clone(&token), Arc::clone(&tallies));
        tasks.push(tokio::spawn(connection(
            address.clone(),
            kinds,
            token,
            refresh,
            until,
            tallies,
        )));
    }
    for task in tasks {
        task.await.expect("connection task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss_peak = sampler.await.unwrap_or(0);
    let rss_end = pid.and_then(rss_kib);
    let mut total = 0;
    let mut five_xx = 0;
    let mut wrong = 0;
    for (kind, tally) in tallies.lock().await.iter_mut() {
        tally.latencies.sort();
        let count: u64 = tally.statuses.values().sum();
        total += count;
        five_xx += tally.statuses.iter().filter(|(s, _)| **s >= 500).map(|(_, c)| c).sum::<u64>();
        wrong += tally.wrong;
        println!(
            "{kind:?}: {count} requests, {:.0}/s, p50={:.2}ms p99={:.2}ms statuses={:?} wrong_answers={} io_errors={}",
            count as f64 / elapsed,
            percentile(&tally.latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&tally.latencies, 0.99).as_secs_f64() * 1e3,
            tally.statuses,
            tally.wrong,
            tally.errors
        );
    }
    println!(
        "total: {total} requests in {elapsed:.1}s = {:.0}/s; 5xx={five_xx} wrong_answers={wrong}; rss_kib start={} peak={} end={}",
        total as f64 / elapsed,
        rss_start.map_or("-".into(), |r| r.to_string()),
        rss_peak,
        rss_end.map_or("-".into(), |r| r.to_string()),
    );
}
