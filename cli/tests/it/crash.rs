//! `otw refresh --force` killed (SIGKILL) at random moments, 100 times: the store always parses
//! and holds the newest refresh token the service issued — except when the kill fell between
//! the service's answer and the write, which is counted and printed (it must be rare).

use std::time::{Duration, Instant};

use crate::support::*;

/// How long the provider takes before it answers a refresh, like a real token endpoint over the
/// internet (100–500 ms); it rotates only when it answers.
const SERVICE_DELAY: Duration = Duration::from_millis(150);
const KILLS: usize = 100;

#[test]
fn killed_refreshes_never_lose_the_newest_refresh_token() {
    let world = World::start(|c| c.slow_delay = SERVICE_DELAY);
    let store = world.dir.path().join("store");
    let store_text = store.display().to_string();
    let home = world.folder("home");
    world.seed(&store_text, "/slow/token", false);

    // How long a whole refresh takes here, to spread the kills over all of it.
    let started = Instant::now();
    assert_success(
        &otw(&store_text, &home)
            .args(["refresh", NAME, "--force"])
            .output()
            .unwrap(),
        "otw refresh --force",
    );
    let whole = started.elapsed();

    let mut seed = otw::random_bytes();
    let mut random = move || {
        // xorshift over the OS-seeded state: the kill moments differ on every run.
        let mut x = u64::from_le_bytes(seed[..8].try_into().unwrap()) | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        seed[..8].copy_from_slice(&x.to_le_bytes());
        x
    };
    let (mut finished, mut killed, mut in_window) = (0, 0, 0);
    for round in 0..KILLS {
        let issued_before = world.provider.issued().len();
        let newest_before = world.provider.newest_refresh_token();
        let mut child = otw(&store_text, &home)
            .args(["refresh", NAME, "--force"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pause_us = random() % u64::try_from(whole.as_micros() * 12 / 10).unwrap().max(1);
        std::thread::sleep(Duration::from_micros(pause_us));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        } else {
            killed += 1;
        }
        // Let a request the kill cut off finish (or be dropped) at the provider.
        std::thread::sleep(SERVICE_DELAY + Duration::from_millis(20));

        let profile = stored(&store); // panics with the file and position if it does not parse
        let newest = world.provider.newest_refresh_token();
        if profile.tokens.refresh_token == newest {
            continue;
        }
        // Otherwise the service issued a token this process never stored: the kill came after
        // its answer and before the write. The stored one must then be the one before it.
        assert_eq!(
            world.provider.issued().len(),
            issued_before + 1,
            "round {round}: the store lost more than the one answer the kill interrupted"
        );
        assert_eq!(profile.tokens.refresh_token, newest_before, "round {round}");
        in_window += 1;
        // That refresh token is rotated away: authorize again, as the user would.
        world.seed(&store_text, "/slow/token", true);
    }
    println!(
        "{KILLS} kills over {} ms refreshes: {finished} finished before the kill, {killed} killed, \
         {in_window} between the service's answer and the write",
        whole.as_millis()
    );
    assert!(
        in_window * 10 <= KILLS,
        "the answer-to-write window must be rare: {in_window} of {KILLS}"
    );
    assert_eq!(
        world.provider.revoked_families(),
        0,
        "no killed refresh led to a reuse"
    );
}
