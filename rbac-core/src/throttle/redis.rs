//! The login throttle shared by several instances through Redis (feature
//! `redis`). Same scheme and limits as [`MemoryThrottle`](super::MemoryThrottle);
//! each reservation and each record is one Lua script, so concurrent
//! instances never race, and time comes from the Redis server, so their clocks need
//! not agree.

use std::net::IpAddr;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use super::{Attempt, LoginThrottle, ThrottleConfig, ThrottleError};

/// Both scripts share these helpers; `now` is the server's clock in ms.
const PRELUDE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local function load(key)
  local v = redis.call('HMGET', key, 'ws', 'f', 'c', 'b')
  local ws = tonumber(v[1])
  local f, c, b = tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0
  if ws and now - ws >= window then ws = now; f = 0 end
  return ws, f, c, b
end
"#;

/// KEYS: account, ip, known. ARGV: window, account limit, ip limit,
/// account burst, ip burst, base delay, max delay (all times in ms).
/// Returns the milliseconds to wait (0: go ahead, already counted as a failure).
const RESERVE: &str = r#"
local base, max = tonumber(ARGV[6]), tonumber(ARGV[7])
local function wait(key, limit)
  local ws, f, c, b = load(key)
  local w = 0
  if b > now then w = b - now end
  if ws and f >= limit and ws + window - now > w then w = ws + window - now end
  return w
end
local w = wait(KEYS[2], tonumber(ARGV[3]))
if redis.call('EXISTS', KEYS[3]) == 0 then
  local a = wait(KEYS[1], tonumber(ARGV[2]))
  if a > w then w = a end
end
if w > 0 then return w end
local function fail(key, burst)
  local ws, f, c, b = load(key)
  if not ws then ws = now end
  f = f + 1; c = c + 1; b = 0
  local over = c - burst
  if over >= 1 then
    local delay = base * 2 ^ math.min(over - 1, 40)
    if delay > max then delay = max end
    b = now + delay
  end
  redis.call('HSET', key, 'ws', ws, 'f', f, 'c', c, 'b', b)
  redis.call('PEXPIRE', key, window + max)
end
fail(KEYS[1], tonumber(ARGV[4]))
fail(KEYS[2], tonumber(ARGV[5]))
return 0
"#;

/// KEYS: account, ip, known. ARGV: window, known-client ttl (ms). Takes back
/// the failure reserved for a successful attempt and ends the streaks.
const SUCCEED: &str = r#"
local function succeed(key)
  if redis.call('EXISTS', key) == 0 then return end
  local ws, f, c, b = load(key)
  if not ws then ws = now end
  if f > 0 then f = f - 1 end
  redis.call('HSET', key, 'ws', ws, 'f', f, 'c', 0, 'b', 0)
end
succeed(KEYS[1])
succeed(KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', tonumber(ARGV[2]))
return 1
"#;

/// A [`LoginThrottle`] whose state lives in Redis, shared by every instance
/// that uses the same server and key prefix.
#[derive(Clone)]
pub struct RedisThrottle {
    connection: ConnectionManager,
    config: ThrottleConfig,
    prefix: String,
    reserve: Script,
    succeed: Script,
}

impl std::fmt::Debug for RedisThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisThrottle")
            .field("config", &self.config)
            .field("prefix", &self.prefix)
            .finish()
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl RedisThrottle {
    /// Connects to `url` (`redis://127.0.0.1:6379`); keys start with `prefix`.
    pub async fn connect(
        url: &str,
        prefix: &str,
        config: ThrottleConfig,
    ) -> redis::RedisResult<Self> {
        let connection = redis::Client::open(url)?.get_connection_manager().await?;
        Ok(Self {
            connection,
            config,
            prefix: prefix.to_owned(),
            reserve: Script::new(&format!("{PRELUDE}{RESERVE}")),
            succeed: Script::new(&format!("{PRELUDE}{SUCCEED}")),
        })
    }

    fn keys(&self, attempt: Attempt<'_>) -> [Vec<u8>; 3] {
        let ip = ip_text(attempt.ip);
        let key = |parts: &[&[u8]]| [self.prefix.as_bytes(), &parts.concat()].concat();
        [
            key(&[b":acct:", attempt.account.as_bytes()]),
            key(&[b":ip:", ip.as_bytes()]),
            key(&[b":known:", ip.as_bytes(), b":", attempt.account.as_bytes()]),
        ]
    }
}

fn ip_text(ip: IpAddr) -> String {
    super::client_network(ip).to_string()
}

impl LoginThrottle for RedisThrottle {
    async fn reserve(&self, attempt: Attempt<'_>) -> Result<(), ThrottleError> {
        let [account, ip, known] = self.keys(attempt);
        let config = &self.config;
        let mut connection = self.connection.clone();
        let wait: u64 = self
            .reserve
            .key(account)
            .key(ip)
            .key(known)
            .arg(millis(config.window))
            .arg(config.account_hourly_limit)
            .arg(config.ip_hourly_limit)
            .arg(config.account_burst)
            .arg(config.ip_burst)
            .arg(millis(config.base_delay))
            .arg(millis(config.max_delay))
            .invoke_async(&mut connection)
            .await
            .map_err(|error| {
                tracing::error!(%error, "redis throttle reservation failed");
                ThrottleError::Unavailable
            })?;
        if wait == 0 { Ok(()) } else { Err(ThrottleError::Throttled(Duration::from_millis(wait))) }
    }

    async fn record(&self, attempt: Attempt<'_>, succeeded: bool) {
        if !succeeded {
            return;
        }
        let [account, ip, known] = self.keys(attempt);
        let config = &self.config;
        let mut connection = self.connection.clone();
        let result: redis::RedisResult<i64> = self
            .succeed
            .key(account)
            .key(ip)
            .key(known)
            .arg(millis(config.window))
            .arg(millis(config.known_client_ttl))
            .invoke_async(&mut connection)
            .await;
        if let Err(error) = result {
            tracing::error!(%error, "redis throttle record failed");
        }
    }
}
