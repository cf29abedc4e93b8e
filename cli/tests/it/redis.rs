//! The Redis store: stopped mid-run gives a clear exit 4 and loses nothing; started again, it works.

use crate::support::*;

fn load(redis: &Redis) -> otw::profile::Profile {
    let store = otw::store::redis::RedisStore::open(&redis.url()).expect("Redis answers");
    otw::store::Store::load(&store, NAME)
        .expect("the profile parses")
        .expect("the profile exists")
}

#[test]
fn redis_stopped_exits_4_and_started_again_works() {
    let world = World::start(|c| c.expires_in = 1);
    let data = world.folder("redis-data");
    // An append-only file (fsync on every write) so the data survives the restart, as any
    // Redis that keeps tokens must be configured.
    let mut redis = Redis::start_with(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        data.to_str().unwrap(),
    ]);
    world.seed(&redis.url(), "/token", false);
    let home = world.folder("machine");
    let first = otw(&redis.url(), &home)
        .args(["token", NAME])
        .output()
        .unwrap();
    assert_success(&first, "otw token");
    let before = load(&redis);
    std::thread::sleep(std::time::Duration::from_millis(1100)); // the 1 s token is now due

    redis.stop();
    for args in [
        &["token", NAME][..],
        &["list"],
        &["refresh", NAME, "--force"],
    ] {
        let output = otw(&redis.url(), &home).args(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(4),
            "{args:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(
            message.contains("redis://127.0.0.1"),
            "names the store: {message}"
        );
        assert!(
            message.contains("unavailable") && message.contains("try again later"),
            "{message}"
        );
        assert!(stdout(&output).is_empty());
    }
    let refreshes_while_down = world.refreshes().len();

    redis.resume();
    assert_eq!(load(&redis), before, "nothing changed while Redis was down");
    let again = otw(&redis.url(), &home)
        .args(["token", NAME])
        .output()
        .unwrap();
    assert_success(&again, "otw token after the restart");
    assert_ne!(
        stdout(&again),
        stdout(&first),
        "the due token was refreshed"
    );
    let refreshes = world.refreshes();
    assert_eq!(refreshes.len(), refreshes_while_down + 1);
    assert_eq!(
        refreshes.last().unwrap(),
        &(before.tokens.refresh_token.clone().unwrap(), 200)
    );
    assert_eq!(
        load(&redis).tokens.refresh_token,
        world.provider.newest_refresh_token()
    );
    assert_eq!(world.provider.revoked_families(), 0);
}

#[test]
fn a_lock_held_elsewhere_keeps_waiters_from_refreshing() {
    let world = World::start(|c| c.expires_in = 1);
    let redis = Redis::start();
    world.seed(&redis.url(), "/token", false);
    let home = world.folder("machine");
    let store = otw::store::redis::RedisStore::open(&redis.url()).unwrap();
    let guard = otw::store::Store::lock(&store, NAME, std::time::Duration::from_secs(1)).unwrap();
    let output = otw(&redis.url(), &home)
        .args(["token", NAME, "--lock-timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert!(stderr(&output).contains("is busy"), "{}", stderr(&output));
    assert!(world.refreshes().is_empty(), "no refresh without the lock");
    drop(guard);
    let list = otw(&redis.url(), &home).arg("list").output().unwrap();
    assert_success(&list, "otw list");
    assert_eq!(stdout(&list), format!("{NAME}\n"));
    assert_success(
        &otw(&redis.url(), &home)
            .args(["token", NAME])
            .output()
            .unwrap(),
        "otw token",
    );
    assert_eq!(world.refreshes().len(), 1);
}

#[test]
fn an_unreachable_redis_is_exit_4() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("redis://127.0.0.1:{}/0", free_port());
    let output = otw(&url, home.path())
        .args(["token", NAME])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("connection was refused"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn redis_down_during_a_refresh_keeps_the_new_tokens_once_it_is_back() {
    let world = World::start(|c| {
        c.expires_in = 1;
        c.slow_delay = std::time::Duration::from_millis(800);
    });
    let data = world.folder("redis-data");
    let mut redis = Redis::start_with(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        data.to_str().unwrap(),
    ]);
    world.seed(&redis.url(), "/slow/token", false);
    let home = world.folder("machine");
    // The import kept no access token: this call refreshes, slowly.
    let child = otw(&redis.url(), &home)
        .args(["token", NAME])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    redis.stop(); // while the service is still answering
    std::thread::sleep(std::time::Duration::from_millis(1500));
    redis.resume();
    let output = child.wait_with_output().unwrap();
    assert_success(&output, "otw token across a Redis restart");
    assert!(
        stderr(&output).contains("cannot store the new tokens yet"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        stdout(&output).trim_end(),
        world.provider.newest_access_token().unwrap()
    );
    assert_eq!(
        load(&redis).tokens.refresh_token,
        world.provider.newest_refresh_token()
    );
    assert_eq!(world.refreshes().len(), 1);
}
