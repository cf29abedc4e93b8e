//! `trunk serve`, the README's development way, run for real beside a relay.
//!
//! The scenario must test the workspace's own `Trunk.toml` (its `[[proxy]]` entries are what a
//! developer uses), but on free ports: the README's relay port (8787) and trunk's (8080) may be
//! taken on the machine running the tests. So the file is read, its proxy backends and serve port
//! are moved to the ports of this run, and its paths made absolute, into a copy under
//! `target/e2e-trunk/`; trunk runs with `--config` on that copy and its own `--dist` folder, so
//! the `dist/` the other scenarios use is left alone. Trunk builds the app with `--release`,
//! which finds the wasm the test command already compiled (same target folder and profile), so
//! what is left is wasm-bindgen and wasm-opt.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{E2eError, Result, workspace_root};

/// How long trunk may take to build and serve the app (wasm-bindgen and wasm-opt run again).
const READY: Duration = Duration::from_secs(300);

/// The relay address the README's development command uses and `Trunk.toml` forwards to.
pub const README_RELAY: &str = "127.0.0.1:8787";

/// A running `trunk serve`. Dropping it stops trunk.
pub struct TrunkServe {
    origin: String,
    child: Child,
    log: PathBuf,
}

impl TrunkServe {
    /// Starts `trunk serve --offline --release` on `port`, forwarding what `Trunk.toml` forwards
    /// to the relay at `relay_port`, and waits until it serves the built app.
    pub async fn start(port: u16, relay_port: u16) -> Result<TrunkServe> {
        let root = workspace_root();
        let work = root.join("target/e2e-trunk");
        std::fs::create_dir_all(&work).map_err(|source| E2eError::Io {
            doing: format!("creating {}", work.display()),
            source,
        })?;
        let trunk_toml =
            std::fs::read_to_string(root.join("Trunk.toml")).map_err(|source| E2eError::Io {
                doing: "reading Trunk.toml".to_owned(),
                source,
            })?;
        let config = dev_config(&trunk_toml, &root, &work, port, relay_port)?;
        let config_path = work.join("Trunk.toml");
        write(&config_path, &config)?;
        let log = work.join("trunk.log");
        let log_file = std::fs::File::create(&log).map_err(|source| E2eError::Io {
            doing: format!("creating {}", log.display()),
            source,
        })?;
        let log_err = log_file.try_clone().map_err(|source| E2eError::Io {
            doing: "sharing trunk's log file".to_owned(),
            source,
        })?;
        let child = Command::new("trunk")
            .arg("--config")
            .arg(&config_path)
            .args(["serve", "--offline", "--release"])
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .map_err(|source| E2eError::Io {
                doing:
                    "starting `trunk serve` (is trunk installed? `cargo xtask setup` installs it)"
                        .to_owned(),
                source,
            })?;
        let mut serve = TrunkServe {
            origin: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        serve.wait_until_serving().await?;
        Ok(serve)
    }

    /// `http://127.0.0.1:<port>`: the origin the wizard runs on.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The wizard's address (its index page).
    pub fn app_url(&self) -> String {
        format!("{}/", self.origin)
    }

    async fn wait_until_serving(&mut self) -> Result<()> {
        let url = self.app_url();
        let deadline = Instant::now() + READY;
        loop {
            // The index page names the wasm once the first build is done.
            if let Ok(answer) = crate::http::get(&url).await
                && answer.status == 200
                && answer.body.contains(".wasm")
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failure(&format!("`trunk serve` exited ({status})")));
            }
            if Instant::now() > deadline {
                return Err(self.failure(&format!(
                    "`trunk serve` did not serve the app at {url} within {} s",
                    READY.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn failure(&self, what: &str) -> E2eError {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        E2eError::Expectation(format!(
            "{what}; the end of its log ({}):\n{}",
            self.log.display(),
            tail.join("\n")
        ))
    }
}

impl Drop for TrunkServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Trunk.toml` with its proxy backends moved from the README's relay to `relay_port`, trunk on
/// `port`, and every path absolute (the copy lives in `work`). Fails when a proxy does not point
/// at the README's relay: then the README's development steps would not work as written.
fn dev_config(
    trunk_toml: &str,
    root: &Path,
    work: &Path,
    port: u16,
    relay_port: u16,
) -> Result<String> {
    let mut config: toml::Table = toml::from_str(trunk_toml)
        .map_err(|e| E2eError::Expectation(format!("Trunk.toml does not parse: {e}")))?;
    let absolute = |relative: &str| root.join(relative).to_string_lossy().into_owned();
    let table = |config: &mut toml::Table, name: &str| -> Result<toml::Table> {
        match config.remove(name) {
            Some(toml::Value::Table(table)) => Ok(table),
            None => Ok(toml::Table::new()),
            Some(_) => Err(E2eError::Expectation(format!(
                "Trunk.toml's `{name}` is not a table"
            ))),
        }
    };

    let mut build = table(&mut config, "build")?;
    let target = build
        .get("target")
        .and_then(toml::Value::as_str)
        .unwrap_or("index.html")
        .to_owned();
    build.insert("target".into(), absolute(&target).into());
    build.insert(
        "dist".into(),
        work.join("dist").to_string_lossy().into_owned().into(),
    );
    config.insert("build".into(), build.into());

    let mut watch = table(&mut config, "watch")?;
    if let Some(toml::Value::Array(paths)) = watch.get_mut("watch") {
        for path in paths.iter_mut() {
            if let Some(relative) = path.as_str() {
                *path = absolute(relative).into();
            }
        }
    }
    config.insert("watch".into(), watch.into());

    let mut serve = table(&mut config, "serve")?;
    serve.insert("port".into(), i64::from(port).into());
    config.insert("serve".into(), serve.into());

    let Some(toml::Value::Array(proxies)) = config.get_mut("proxy") else {
        return Err(E2eError::Expectation(
            "Trunk.toml has no [[proxy]] entries: trunk serve would not reach the relay".to_owned(),
        ));
    };
    for proxy in proxies.iter_mut() {
        let backend = proxy
            .get("backend")
            .and_then(toml::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let moved = backend.replacen(
            &format!("//{README_RELAY}/"),
            &format!("//127.0.0.1:{relay_port}/"),
            1,
        );
        if moved == backend {
            return Err(E2eError::Expectation(format!(
                "Trunk.toml forwards to {backend}, not to the README's relay at {README_RELAY}"
            )));
        }
        if let Some(entry) = proxy.as_table_mut() {
            entry.insert("backend".into(), moved.into());
        }
    }
    toml::to_string(&config)
        .map_err(|e| E2eError::Expectation(format!("cannot write trunk's config: {e}")))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| E2eError::Io {
        doing: format!("writing {}", path.display()),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_trunk_toml_is_moved_to_the_run_s_ports() {
        let root = workspace_root();
        let text = std::fs::read_to_string(root.join("Trunk.toml")).unwrap();
        let config = dev_config(&text, &root, Path::new("/w"), 18080, 18787).unwrap();
        let parsed: toml::Table = toml::from_str(&config).unwrap();
        let backends: Vec<&str> = parsed["proxy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["backend"].as_str().unwrap())
            .collect();
        assert_eq!(
            backends,
            [
                "http://127.0.0.1:18787/api/",
                "http://127.0.0.1:18787/callback"
            ]
        );
        assert_eq!(parsed["serve"]["port"].as_integer(), Some(18080));
        assert_eq!(parsed["build"]["dist"].as_str(), Some("/w/dist"));
        assert!(Path::new(parsed["build"]["target"].as_str().unwrap()).is_absolute());
    }

    #[test]
    fn a_proxy_elsewhere_than_the_readme_s_relay_is_an_error() {
        let text = "[[proxy]]\nbackend = \"http://127.0.0.1:9999/api/\"\n";
        let error = dev_config(text, Path::new("/r"), Path::new("/w"), 1, 2).unwrap_err();
        assert!(
            error.to_string().contains("not to the README's relay"),
            "{error}"
        );
    }
}
