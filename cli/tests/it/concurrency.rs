//! Many processes (and machines) asking for the same rotating token at once: no `invalid_grant`,
//! no revoked family, every refresh token used exactly once.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use otw::keeper::{Keeper, Want};
use otw::store::file::FileStore;

use crate::support::*;

/// Runs `workers` threads, each calling `otw token ARGS` `calls` times with its own
/// `(store, home)` and `pause` between calls, and returns every token printed.
fn hammer(
    workers: &[(String, PathBuf)],
    calls: usize,
    pause: Duration,
    args: &[&str],
) -> Vec<String> {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let handles: Vec<_> = workers
        .iter()
        .cloned()
        .map(|(store, home)| {
            let args = args.clone();
            std::thread::spawn(move || {
                let mut tokens = Vec::with_capacity(calls);
                for call in 0..calls {
                    std::thread::sleep(pause);
                    let output = otw(&store, &home)
                        .args(["token", NAME])
                        .args(&args)
                        .output()
                        .expect("otw runs");
                    assert_success(&output, &format!("otw token (call {call})"));
                    tokens.push(stdout(&output).trim_end().to_owned());
                }
                tokens
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|handle| handle.join().expect("a worker thread"))
        .collect()
}

/// The provider's log proves the rotation chain was never broken.
fn assert_chain_unbroken(world: &World, printed: &[String], seeded_refresh: &str) {
    let refreshes = world.refreshes();
    let failed: Vec<_> = refreshes
        .iter()
        .filter(|(_, status)| *status != 200)
        .collect();
    assert!(failed.is_empty(), "refused refreshes: {failed:?}");
    assert_eq!(
        world.provider.revoked_families(),
        0,
        "the family was revoked"
    );
    let sent: Vec<&str> = refreshes.iter().map(|(token, _)| token.as_str()).collect();
    let unique: HashSet<&str> = sent.iter().copied().collect();
    assert_eq!(unique.len(), sent.len(), "a refresh token was sent twice");
    // Each refresh used the token the previous one issued.
    let issued: Vec<String> = world
        .provider
        .issued()
        .into_iter()
        .filter(|i| i.grant_type == "refresh_token")
        .filter_map(|i| i.refresh_token)
        .collect();
    let mut expected = vec![seeded_refresh.to_owned()];
    expected.extend(issued.iter().take(sent.len().saturating_sub(1)).cloned());
    assert_eq!(
        sent, expected,
        "every refresh sent the newest refresh token"
    );
    let access: HashSet<String> = world
        .provider
        .issued()
        .into_iter()
        .map(|i| i.access_token)
        .collect();
    assert!(
        printed.iter().all(|token| access.contains(token)),
        "every printed token was issued"
    );
    println!(
        "{} calls, {} refreshes, 0 invalid_grant, 0 revoked families",
        printed.len(),
        refreshes.len()
    );
}

/// The pause between two calls of one worker.
const PACE: Duration = Duration::from_millis(100);

#[test]
fn every_call_due_every_refresh_chained() {
    // --min-ttl longer than the tokens live: every call must refresh, 8 processes at once.
    let world = World::start(|c| c.expires_in = 1);
    let store = world.dir.path().join("store");
    world.seed(store.to_str().unwrap(), "/token", false);
    let seeded = stored(&store).tokens.refresh_token.unwrap();
    let home = world.folder("home");
    let workers: Vec<_> = (0..8)
        .map(|_| (store.display().to_string(), home.clone()))
        .collect();
    let printed = hammer(&workers, 10, Duration::ZERO, &["--min-ttl", "2s"]);
    assert_eq!(world.refreshes().len(), 80, "one refresh per call");
    assert_chain_unbroken(&world, &printed, &seeded);
}

#[test]
fn eight_processes_fifty_calls_each_share_one_file_store() {
    let world = World::start(|c| c.expires_in = 1);
    let store = world.dir.path().join("store");
    world.seed(store.to_str().unwrap(), "/token", false);
    let seeded = stored(&store).tokens.refresh_token.unwrap();
    let home = world.folder("home");
    let workers: Vec<_> = (0..8)
        .map(|_| (store.display().to_string(), home.clone()))
        .collect();
    // Paced like scripts that call it now and then: the 1 s tokens fall due several times.
    let printed = hammer(&workers, 50, PACE, &[]);
    assert_eq!(printed.len(), 400);
    assert_chain_unbroken(&world, &printed, &seeded);
    assert!(
        world.refreshes().len() >= 4,
        "the 1 s tokens were refreshed along the way"
    );
    assert_eq!(
        stored(&store).tokens.refresh_token,
        world.provider.newest_refresh_token()
    );
}

#[test]
fn three_machines_share_one_redis() {
    let world = World::start(|c| c.expires_in = 1);
    let redis = Redis::start();
    world.seed(&redis.url(), "/token", false);
    let seeded_profile = {
        let store = otw::store::redis::RedisStore::open(&redis.url()).unwrap();
        otw::store::Store::load(&store, NAME).unwrap().unwrap()
    };
    let seeded = seeded_profile.tokens.refresh_token.unwrap();
    // Three "machines": separate homes and data folders, nothing shared but Redis; three
    // processes on each.
    let machines: Vec<PathBuf> = (0..3)
        .map(|m| world.folder(&format!("machine-{m}")))
        .collect();
    let workers: Vec<_> = machines
        .iter()
        .flat_map(|home| (0..3).map(move |_| (String::new(), home.clone())))
        .map(|(_, home)| (redis.url(), home))
        .collect();
    let printed = hammer(&workers, 40, PACE, &[]);
    assert_eq!(printed.len(), 360);
    assert_chain_unbroken(&world, &printed, &seeded);
    assert!(
        world.refreshes().len() >= 3,
        "the 1 s tokens were refreshed along the way"
    );
    for home in &machines {
        assert!(
            !home.join(".local/share/otw").exists(),
            "nothing was stored on the machine itself"
        );
    }
    let store = otw::store::redis::RedisStore::open(&redis.url()).unwrap();
    let last = otw::store::Store::load(&store, NAME).unwrap().unwrap();
    assert_eq!(
        last.tokens.refresh_token,
        world.provider.newest_refresh_token()
    );
}

#[test]
fn threads_in_one_process_share_one_refresh() {
    let world = World::start(|c| c.expires_in = 3600);
    let store_dir = world.dir.path().join("store");
    world.seed(store_dir.to_str().unwrap(), "/token", false);
    let store = FileStore::new(store_dir);
    let keeper = Keeper::new(&store, Duration::from_secs(30));
    let tokens: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| keeper.token(NAME, Want::default()).expect("a token")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().access_token.unwrap())
            .collect()
    });
    assert_eq!(world.refreshes().len(), 1, "one refresh for eight callers");
    assert!(tokens.iter().all(|t| *t == tokens[0]));
}
