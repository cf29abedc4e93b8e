//! Debian's `redis-server` on a free loopback port, started by the test and killed when dropped.
//! Shared by the relay's fleet tests, the browser suite and `otw`'s tests (cli/tests/it).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs it.
pub const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// A running redis-server; killed when dropped.
pub struct Redis {
    child: Option<Child>,
    /// Its loopback port.
    pub port: u16,
    args: Vec<String>,
}

impl Redis {
    /// Without persistence (`--save '' --appendonly no`).
    pub fn start() -> Redis {
        Self::start_with(&["--save", "", "--appendonly", "no"])
    }

    /// With `persistence` arguments (e.g. an append-only file, to survive a restart).
    pub fn start_with(persistence: &[&str]) -> Redis {
        assert!(
            Path::new(REDIS_SERVER).exists(),
            "{REDIS_SERVER} is missing: install Debian's redis-server (apt-get install redis-server)"
        );
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free loopback port");
        let mut args = vec![
            "--port".to_owned(),
            port.to_string(),
            "--bind".to_owned(),
            "127.0.0.1".to_owned(),
        ];
        args.extend(persistence.iter().map(|a| (*a).to_owned()));
        let mut redis = Redis {
            child: None,
            port,
            args,
        };
        redis.resume();
        redis
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Stops the server (SIGTERM: with an append-only file it is flushed first).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a Redis
    /// that hangs; [`Redis::thaw`] lets it go on.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets a frozen server go on (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let sent = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status();
            assert!(
                sent.is_ok_and(|s| s.success()),
                "kill {signal} redis-server"
            );
        }
    }

    /// Starts it again on the same port with the same arguments.
    pub fn resume(&mut self) {
        let child = Command::new(REDIS_SERVER)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        // Ready once PING answers PONG: while it loads its append-only file it answers LOADING.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self
            .connection()
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok_and(|answer| answer == "PONG")
        {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A plain connection (1 s connect timeout).
    pub fn connection(&self) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(self.url())?.get_connection_with_timeout(Duration::from_secs(1))
    }

    /// `used_memory` of `INFO memory`, in bytes.
    pub fn used_memory(&self) -> f64 {
        let mut c = self.connection().expect("Redis answers");
        let info: String = redis::cmd("INFO")
            .arg("memory")
            .query(&mut c)
            .expect("INFO");
        info.lines()
            .find_map(|line| line.strip_prefix("used_memory:"))
            .and_then(|value| value.trim().parse().ok())
            .expect("INFO memory has used_memory")
    }

    /// Every key and every value stored, whatever the type: what a dump of this Redis would show.
    pub fn dump(&self) -> Vec<(String, Vec<String>)> {
        let mut c = self.connection().expect("Redis answers");
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut c).expect("KEYS");
        keys.into_iter()
            .map(|key| {
                let kind: String = redis::cmd("TYPE").arg(&key).query(&mut c).expect("TYPE");
                let values: Vec<String> = match kind.as_str() {
                    "string" => vec![redis::cmd("GET").arg(&key).query(&mut c).expect("GET")],
                    "hash" => redis::cmd("HVALS").arg(&key).query(&mut c).expect("HVALS"),
                    "zset" => redis::cmd("ZRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .query(&mut c)
                        .expect("ZRANGE"),
                    "set" => redis::cmd("SMEMBERS")
                        .arg(&key)
                        .query(&mut c)
                        .expect("SMEMBERS"),
                    "list" => redis::cmd("LRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .query(&mut c)
                        .expect("LRANGE"),
                    _ => Vec::new(),
                };
                (key, values)
            })
            .collect()
    }
}

/// `redis-cli monitor`: every command Redis runs, with its arguments, as it runs them.
pub struct Monitor {
    child: Child,
    file: tempfile::NamedTempFile,
}

impl Redis {
    /// Starts recording every command (and so every value written) until [`Monitor::finish`].
    pub fn monitor(&self) -> Monitor {
        let file = tempfile::NamedTempFile::new().expect("a temporary file");
        let output = file.reopen().expect("the temporary file opens");
        let child = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "monitor"])
            .stdout(output)
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-cli starts (Debian's redis-tools)");
        // MONITOR answers OK once it records.
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read_to_string(file.path())
            .unwrap_or_default()
            .is_empty()
        {
            assert!(Instant::now() < deadline, "redis-cli monitor did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Monitor { child, file }
    }
}

impl Monitor {
    /// Stops recording; one line per command.
    pub fn finish(mut self) -> String {
        std::thread::sleep(Duration::from_millis(100));
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(self.file.path()).unwrap_or_default()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
