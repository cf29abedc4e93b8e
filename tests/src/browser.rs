//! Headless Chromium through chromedriver and fantoccini.
//!
//! [`Browser::launch`] starts `chromedriver --port=<free port>`, waits until it answers `/status`,
//! and opens one session with a fresh profile. The benchmarks (`bench/`) launch Chromium through
//! here too, with flags of their own ([`Browser::launch_with`]) and DevTools commands
//! ([`Browser::cdp`]). The chromedriver process, the session and the
//! profile folder are owned by a drop guard, so they go away even when a test fails or panics:
//! the guard deletes the session with a blocking HTTP call (no runtime needed in `Drop`), then
//! kills chromedriver's process group.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::{CmdContext, E2eError, Result, screenshot_dir};

/// Debian's chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long chromedriver may take to answer `/status` on a busy 2-core machine.
const DRIVER_START: Duration = Duration::from_secs(30);

/// The flags Chromium needs to run headless as root in this workplace, plus a fixed window size so
/// screenshots are comparable.
const CHROMIUM_ARGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
];

/// One Chromium session. Dropping it closes the session and kills chromedriver.
pub struct Browser {
    client: Client,
    guard: DriverGuard,
}

impl Browser {
    /// Starts chromedriver and opens a session with a fresh profile.
    pub async fn launch() -> Result<Browser> {
        Self::launch_with(&[]).await
    }

    /// [`launch`](Self::launch) with more Chromium flags after the standard ones.
    pub async fn launch_with(extra_args: &[&str]) -> Result<Browser> {
        let mut guard = DriverGuard::spawn()?;
        guard.wait_until_ready().await?;
        let mut args: Vec<String> = CHROMIUM_ARGS
            .iter()
            .chain(extra_args)
            .map(|a| (*a).to_owned())
            .collect();
        args.push(format!("--user-data-dir={}", guard.profile_dir.display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&guard.url())
            .await?;
        guard.session_id = client
            .session_id()
            .await
            .doing(|| "reading the new session's id".to_owned())?;
        Ok(Browser { client, guard })
    }

    /// The WebDriver client (cheap to clone).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Saves a PNG of the current window as `<workspace>/tests/screenshots/<name>` and returns its
    /// path; `.png` is added when `name` has no extension.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        save_screenshot(&self.client, name).await
    }

    /// Runs a Chrome DevTools Protocol command in the current window's page, through
    /// chromedriver's `POST /session/{id}/goog/cdp/execute`.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Result<Value> {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .doing(|| format!("running the DevTools command {cmd}"))
    }

    /// Closes the session gracefully, then stops chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let closed = self.client.clone().close().await;
        // The session is gone (or unreachable): the guard must not try to delete it again.
        self.guard.session_id = None;
        drop(self);
        closed.doing(|| "closing the browser session".to_owned())
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute {cmd, params}`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

/// Saves a screenshot of `client`'s current window; see [`Browser::screenshot`].
pub async fn save_screenshot(client: &Client, name: &str) -> Result<PathBuf> {
    let png = client
        .screenshot()
        .await
        .doing(|| format!("taking screenshot {name}"))?;
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).map_err(|source| E2eError::Io {
        doing: format!("creating {}", dir.display()),
        source,
    })?;
    let file = if Path::new(name).extension().is_some() {
        dir.join(name)
    } else {
        dir.join(format!("{name}.png"))
    };
    std::fs::write(&file, png).map_err(|source| E2eError::Io {
        doing: format!("writing {}", file.display()),
        source,
    })?;
    Ok(file)
}

/// Owns chromedriver, its log and the browser profile; cleans all of them up on drop.
struct DriverGuard {
    child: Child,
    port: u16,
    session_id: Option<String>,
    profile_dir: PathBuf,
    log_path: PathBuf,
}

impl DriverGuard {
    fn spawn() -> Result<DriverGuard> {
        static LAUNCHES: AtomicU32 = AtomicU32::new(0);
        let unique = format!(
            "{}-{}",
            std::process::id(),
            LAUNCHES.fetch_add(1, Ordering::Relaxed)
        );
        let profile_dir = std::env::temp_dir().join(format!("e2e-chromium-profile-{unique}"));
        let log_path = std::env::temp_dir().join(format!("e2e-chromedriver-{unique}.log"));
        let io = |doing: String| move |source| E2eError::Io { doing, source };
        std::fs::create_dir_all(&profile_dir)
            .map_err(io(format!("creating {}", profile_dir.display())))?;
        let log = std::fs::File::create(&log_path)
            .map_err(io(format!("creating {}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(io(format!("opening {}", log_path.display())))?;
        let port = free_port()?;
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group, so Chromium's children can be killed with it by id.
            .process_group(0)
            .spawn()
            .map_err(|e| E2eError::Driver(format!("cannot start {CHROMEDRIVER}: {e}")))?;
        Ok(DriverGuard {
            child,
            port,
            session_id: None,
            profile_dir,
            log_path,
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `/status` until chromedriver says it is ready.
    async fn wait_until_ready(&mut self) -> Result<()> {
        let status_url = format!("{}/status", self.url());
        let deadline = Instant::now() + DRIVER_START;
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(E2eError::Driver(format!(
                    "it exited ({exit}) before answering /status; its log:\n{}",
                    self.log_tail()
                )));
            }
            if let Ok(answer) = crate::http::get(&status_url).await {
                let ready = serde_json::from_str::<Value>(&answer.body)
                    .ok()
                    .and_then(|v| v.pointer("/value/ready").and_then(Value::as_bool));
                if ready == Some(true) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(E2eError::Driver(format!(
                    "not ready after {DRIVER_START:?}; its log:\n{}",
                    self.log_tail()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Deletes the session with a plain blocking HTTP/1.1 request: `Drop` has no async runtime.
    fn delete_session_blocking(&self, session_id: &str) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let request = format!(
            "DELETE /session/{session_id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Connection: close\r\nContent-Length: 0\r\n\r\n",
            self.port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            read_one_answer(&mut stream);
        }
    }
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(session_id) = self.session_id.take() {
            self.delete_session_blocking(&session_id);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium processes that outlived chromedriver share its process group (set at spawn);
        // end that group, by its id, so no browser is left behind.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.profile_dir);
        let _ = std::fs::remove_file(&self.log_path);
    }
}

/// Reads one HTTP/1.1 answer to its end (by `Content-Length`): chromedriver keeps the connection
/// open despite `Connection: close`, so reading to EOF would wait for the read timeout.
fn read_one_answer(stream: &mut TcpStream) {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
        let Some(head_end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse::<usize>().ok());
        match length {
            Some(length) if answer.len() < head_end + 4 + length => {}
            // Complete, or no length given (then the server closes, and the next read ends it).
            Some(_) => return,
            None => {}
        }
    }
}

/// A port that was free a moment ago (the kernel picks it; chromedriver binds it right after).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|source| E2eError::Io {
        doing: "finding a free port for chromedriver".to_owned(),
        source,
    })?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| E2eError::Io {
            doing: "finding a free port for chromedriver".to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drop guard must leave no chromedriver or Chromium behind, even without `close()`.
    #[tokio::test]
    async fn a_dropped_browser_leaves_no_process_behind() {
        let browser = Browser::launch().await.expect("Chromium starts");
        browser
            .client()
            .goto("data:text/html,<p id=x>hello</p>")
            .await
            .expect("a data: page opens");
        let text = browser
            .client()
            .find(fantoccini::Locator::Id("x"))
            .await
            .expect("the paragraph exists")
            .text()
            .await
            .expect("its text is readable");
        assert_eq!(text, "hello");
        let group = browser.guard.child.id();
        let profile = browser.guard.profile_dir.clone();
        let in_group = || {
            let found = Command::new("pgrep")
                .args(["-g", &group.to_string()])
                .output()
                .expect("pgrep runs");
            String::from_utf8_lossy(&found.stdout).trim().to_owned()
        };
        assert!(
            !in_group().is_empty(),
            "chromedriver and Chromium share the group"
        );
        drop(browser);
        // SIGKILL is delivered asynchronously: give the processes a moment to disappear.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !in_group().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(in_group(), "", "processes left in chromedriver's group");
        assert!(!profile.exists(), "the profile folder is removed");
    }
}
