//! Each command against the mock provider and a folder store, as a user runs them.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::support::*;

struct Setup {
    world: World,
    store: std::path::PathBuf,
    home: std::path::PathBuf,
}

impl Setup {
    fn new(change: impl FnOnce(&mut e2e::provider::ProviderConfig)) -> Setup {
        let world = World::start(change);
        let store = world.dir.path().join("store");
        let home = world.folder("home");
        world.seed(store.to_str().unwrap(), "/token", false);
        Setup { world, store, home }
    }

    fn otw(&self) -> std::process::Command {
        otw(self.store.to_str().unwrap(), &self.home)
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.otw().args(args).output().expect("otw runs")
    }
}

#[test]
fn token_prints_only_the_token_and_refreshes_once_when_due() {
    let setup = Setup::new(|c| c.expires_in = 3600);
    let seeded = stored(&setup.store);
    let seeded_refresh = seeded.tokens.refresh_token.clone().unwrap();
    // An import keeps no access token of unknown age: the first call refreshes.
    let first = setup.run(&["token", NAME]);
    assert_success(&first, "otw token");
    let token = stdout(&first);
    assert_eq!(
        token.trim_end(),
        setup.world.provider.newest_access_token().unwrap()
    );
    assert_eq!(
        token.lines().count(),
        1,
        "stdout is the token alone: {token:?}"
    );
    assert!(
        !stderr(&first).contains(token.trim_end()),
        "no token on stderr"
    );
    let refreshes = setup.world.refreshes();
    assert_eq!(refreshes, vec![(seeded_refresh, 200)]);
    let after = stored(&setup.store);
    assert_eq!(
        after.tokens.refresh_token,
        setup.world.provider.newest_refresh_token()
    );

    // Fresh now: the stored token, no request.
    let second = setup.run(&["token", NAME]);
    assert_success(&second, "otw token (cached)");
    assert_eq!(stdout(&second), token);
    assert_eq!(setup.world.refreshes().len(), 1);

    // A larger --min-ttl than the token's life left forces a refresh.
    let third = setup.run(&["token", NAME, "--min-ttl", "2h"]);
    assert_success(&third, "otw token --min-ttl 2h");
    assert_ne!(stdout(&third), token);
    assert_eq!(setup.world.refreshes().len(), 2);
    assert_eq!(setup.world.provider.revoked_families(), 0);
}

#[test]
fn json_header_and_exec() {
    let setup = Setup::new(|c| c.expires_in = 3600);
    let json = setup.run(&["token", NAME, "--json"]);
    assert_success(&json, "otw token --json");
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON on stdout");
    let token = setup.world.provider.newest_access_token().unwrap();
    assert_eq!(value["access_token"], token.as_str());
    assert_eq!(value["token_type"], "Bearer");
    assert_eq!(value["scope"], "read");
    let expires_in = value["expires_in"].as_u64().unwrap();
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");
    assert!(value["expires_at"].as_u64().unwrap() > 1_700_000_000);

    let header = setup.run(&["header", NAME]);
    assert_success(&header, "otw header");
    assert_eq!(stdout(&header), format!("Authorization: Bearer {token}\n"));

    let exec = setup.run(&[
        "exec",
        NAME,
        "--",
        "sh",
        "-c",
        "printf %s \"$OTW_ACCESS_TOKEN\"; exit 7",
    ]);
    assert_eq!(
        exec.status.code(),
        Some(7),
        "the child's exit code: {}",
        stderr(&exec)
    );
    assert_eq!(stdout(&exec), token);
    let named = setup.run(&[
        "exec",
        NAME,
        "--env",
        "API_TOKEN",
        "--",
        "sh",
        "-c",
        "printf %s \"$API_TOKEN\"",
    ]);
    assert_success(&named, "otw exec --env");
    assert_eq!(stdout(&named), token);
    let bad = setup.run(&["exec", NAME, "--env", "1-x", "--", "true"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("not an environment variable name"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn list_show_forget_and_permissions() {
    let setup = Setup::new(|_| {});
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&setup.store), 0o700);
    assert_eq!(mode(&profile_file(&setup.store)), 0o600);
    assert_success(&setup.run(&["token", NAME]), "otw token");
    assert_eq!(
        mode(&profile_file(&setup.store)),
        0o600,
        "still 0600 after a rewrite"
    );

    let list = setup.run(&["list"]);
    assert_success(&list, "otw list");
    assert_eq!(stdout(&list), format!("{NAME}\n"));

    let show = setup.run(&["show", NAME]);
    assert_success(&show, "otw show");
    let text = stdout(&show);
    let profile = stored(&setup.store);
    for secret in [
        profile.tokens.access_token.clone().unwrap(),
        profile.tokens.refresh_token.clone().unwrap(),
        "e2e-client-secret".to_owned(),
    ] {
        assert!(!text.contains(&secret), "show masks every secret:\n{text}");
    }
    assert!(text.contains("e2e-client"), "{text}");
    assert!(text.contains("refresh token:    •••••• (stored)"), "{text}");
    assert!(text.contains("expires in"), "{text}");

    let forget = setup.run(&["forget", NAME]);
    assert_success(&forget, "otw forget");
    assert!(!profile_file(&setup.store).exists());
    let gone = setup.run(&["token", NAME]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(
        stderr(&gone).contains("there is no profile `work`"),
        "{}",
        stderr(&gone)
    );
    assert_eq!(setup.run(&["forget", NAME]).status.code(), Some(2));
}

#[test]
fn import_refuses_to_overwrite_and_reports_broken_files() {
    let setup = Setup::new(|_| {});
    let before = std::fs::read(profile_file(&setup.store)).unwrap();
    let file = setup.world.dir.path().join("again.json");
    std::fs::write(&file, setup.world.authorized_config("/token").to_json()).unwrap();
    let again = setup
        .otw()
        .args(["import"])
        .arg(&file)
        .args(["--name", NAME])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read(profile_file(&setup.store)).unwrap(),
        before,
        "untouched"
    );

    std::fs::write(&file, "{\"format-version\": 1, \"settings\": 3}").unwrap();
    let broken = setup.otw().args(["import"]).arg(&file).output().unwrap();
    assert_eq!(broken.status.code(), Some(2));
    let message = stderr(&broken);
    assert!(
        message.contains("again.json") && message.contains("line 1"),
        "{message}"
    );

    // Exported while step 3 was still empty: the wizard takes it back, a script cannot use it.
    let mut incomplete = setup.world.authorized_config("/token");
    incomplete.settings.token.url = String::new();
    std::fs::write(&file, incomplete.to_json()).unwrap();
    let unfinished = setup
        .otw()
        .args(["import"])
        .arg(&file)
        .args(["--name", "unfinished"])
        .output()
        .unwrap();
    assert_eq!(unfinished.status.code(), Some(2));
    let message = stderr(&unfinished);
    assert!(
        message.contains("not complete") && message.contains("Token URL"),
        "{message}"
    );

    let missing = setup.run(&["import", "/nonexistent/export.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("/nonexistent/export.json"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn a_damaged_profile_is_named_and_never_overwritten() {
    let setup = Setup::new(|_| {});
    let path = profile_file(&setup.store);
    let text = std::fs::read_to_string(&path).unwrap();
    let damaged = text.replacen("\"refresh-token\"", "\"refresh_tokn\"", 1);
    std::fs::write(&path, &damaged).unwrap();
    for args in [
        &["token", NAME][..],
        &["refresh", NAME, "--force"],
        &["show", NAME],
    ] {
        let output = setup.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert!(
            message.contains(&path.display().to_string()),
            "names the file: {message}"
        );
        assert!(
            message.contains("unknown field `refresh_tokn`"),
            "{message}"
        );
        assert!(message.contains("untouched"), "{message}");
    }
    let file = setup.world.dir.path().join("export.json");
    std::fs::write(&file, setup.world.authorized_config("/token").to_json()).unwrap();
    let replace = setup
        .otw()
        .args(["import"])
        .arg(&file)
        .args(["--name", NAME, "--replace"])
        .output()
        .unwrap();
    assert_eq!(
        replace.status.code(),
        Some(2),
        "even --replace does not overwrite it blindly"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
    assert!(setup.world.refreshes().is_empty());
}

#[test]
fn refused_grant_exits_3_and_keeps_the_profile() {
    let setup = Setup::new(|_| {});
    // The service forgets every grant (a revocation the user did elsewhere).
    setup.world.provider.reset();
    let before = std::fs::read(profile_file(&setup.store)).unwrap();
    let output = setup.run(&["token", NAME]);
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(message.contains("invalid_grant"), "{message}");
    assert!(
        message.contains("otw login work"),
        "says which command: {message}"
    );
    assert!(stdout(&output).is_empty());
    assert_eq!(
        std::fs::read(profile_file(&setup.store)).unwrap(),
        before,
        "the profile is kept"
    );
}

#[test]
fn service_down_exits_4_and_changes_nothing() {
    let setup = Setup::new(|_| {});
    let before = std::fs::read(profile_file(&setup.store)).unwrap();
    let Setup { world, store, home } = setup;
    let World {
        runtime,
        provider,
        dir,
    } = world;
    drop(provider);
    runtime.shutdown_timeout(Duration::from_secs(2));
    let output = otw(store.to_str().unwrap(), &home)
        .args(["token", NAME])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("could not reach the token endpoint"),
        "{message}"
    );
    assert!(message.contains("try again later"), "{message}");
    assert_eq!(std::fs::read(profile_file(&store)).unwrap(), before);
    drop(dir);
}

#[test]
fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let setup = Setup::new(|c| c.rotate_refresh_tokens = false);
    let seeded = stored(&setup.store).tokens.refresh_token.unwrap();
    assert_success(
        &setup.run(&["refresh", NAME, "--force"]),
        "otw refresh --force",
    );
    assert_success(
        &setup.run(&["refresh", NAME, "--force"]),
        "otw refresh --force",
    );
    let after = stored(&setup.store);
    assert_eq!(after.tokens.refresh_token.as_deref(), Some(seeded.as_str()));
    assert_eq!(
        setup.world.refreshes(),
        vec![(seeded.clone(), 200), (seeded, 200)]
    );
    assert_eq!(after.tokens.generation, 3, "import, then two refreshes");
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let world = World::start(|_| {});
    let store = world.dir.path().join("store");
    let home = world.folder("home");
    let mut config = world.authorized_config("/token");
    if let Some(refresh) = &mut config.settings.refresh {
        refresh.url = "http://oauth.example.com/token".to_owned();
    }
    let file = world.dir.path().join("export.json");
    std::fs::write(&file, config.to_json()).unwrap();
    assert_success(
        &otw(store.to_str().unwrap(), &home)
            .args(["import"])
            .arg(&file)
            .args(["--name", NAME])
            .output()
            .unwrap(),
        "otw import",
    );
    let output = otw(store.to_str().unwrap(), &home)
        .args(["token", NAME])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not https"), "{}", stderr(&output));
}

#[test]
fn a_held_lock_times_out_with_a_clear_message() {
    use fs4::FileExt;
    let setup = Setup::new(|_| {});
    let lock = std::fs::File::open(setup.store.join(format!("{NAME}.lock"))).unwrap();
    FileExt::lock(&lock).unwrap();
    let started = std::time::Instant::now();
    let output = setup.run(&["token", NAME, "--lock-timeout", "1"]);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(output.status.code(), Some(4));
    assert!(stderr(&output).contains("is busy"), "{}", stderr(&output));
    assert!(setup.world.refreshes().is_empty());
}

#[test]
fn a_waiter_uses_what_the_lock_holder_stored() {
    use fs4::FileExt;
    let setup = Setup::new(|c| c.expires_in = 3600);
    assert_success(&setup.run(&["token", NAME]), "otw token");
    // Make the stored token due, then hold the lock like a peer in the middle of a refresh.
    let mut profile = stored(&setup.store);
    profile.tokens.expires_at_ms = Some(1);
    std::fs::write(profile_file(&setup.store), profile.to_json()).unwrap();
    let lock = std::fs::File::open(setup.store.join(format!("{NAME}.lock"))).unwrap();
    FileExt::lock(&lock).unwrap();
    let waiter = setup
        .otw()
        .args(["token", NAME])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // The "peer" stores its result, then releases the lock.
    profile.tokens.access_token = Some("peer-token".to_owned());
    profile.tokens.expires_at_ms = Some(otw::keeper::now_ms() + 3_600_000);
    profile.tokens.generation += 1;
    std::fs::write(profile_file(&setup.store), profile.to_json()).unwrap();
    FileExt::unlock(&lock).unwrap();
    let output = waiter.wait_with_output().unwrap();
    assert_success(&output, "the waiting otw token");
    assert_eq!(stdout(&output), "peer-token\n");
    assert_eq!(
        setup.world.refreshes().len(),
        1,
        "the waiter did not refresh again"
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let output = otw("/nonexistent-store", home.path())
        .arg("--help")
        .output()
        .unwrap();
    assert_success(&output, "otw --help");
    let text = stdout(&output);
    for line in [
        "0  success",
        "2  bad usage",
        "3  the service refused the grant",
        "4  the service, the network",
    ] {
        assert!(text.contains(line), "{line}:\n{text}");
    }
    let usage = otw("/nonexistent-store", home.path())
        .args(["token"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let bad_name = otw("/nonexistent-store", home.path())
        .args(["token", "../x"])
        .output()
        .unwrap();
    assert_eq!(bad_name.status.code(), Some(2));
    assert!(
        stderr(&bad_name).contains("not a profile name"),
        "{}",
        stderr(&bad_name)
    );
}

#[test]
fn the_default_store_is_under_the_xdg_data_home() {
    let world = World::start(|_| {});
    let home = world.folder("home");
    let file = world.dir.path().join("export.json");
    std::fs::write(&file, world.authorized_config("/token").to_json()).unwrap();
    let import = otw("", &home)
        .env_remove("OTW_STORE")
        .args(["import"])
        .arg(&file)
        .args(["--name", NAME])
        .output()
        .unwrap();
    assert_success(&import, "otw import into the default store");
    let store = home.join(".local/share/otw");
    assert!(profile_file(&store).exists(), "{}", stderr(&import));
    assert!(
        stderr(&import).contains(&store.display().to_string()),
        "{}",
        stderr(&import)
    );
}

#[test]
fn a_service_without_refresh_settings_asks_for_a_new_authorization() {
    let world = World::start(|_| {});
    let store = world.dir.path().join("store");
    let home = world.folder("home");
    let mut config = world.authorized_config("/token");
    config.settings.refresh = None;
    let file = world.dir.path().join("export.json");
    std::fs::write(&file, config.to_json()).unwrap();
    let store_text = store.to_str().unwrap();
    assert_success(
        &otw(store_text, &home)
            .args(["import"])
            .arg(&file)
            .args(["--name", NAME])
            .output()
            .unwrap(),
        "otw import",
    );
    let output = otw(store_text, &home)
        .args(["token", NAME])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("otw login work"),
        "{}",
        stderr(&output)
    );
}
