use std::collections::BTreeMap;

use super::*;

fn callback(code: &str) -> Callback {
    Callback {
        code: code.to_owned(),
        state: Some("s1".to_owned()),
        iss: None,
        params: BTreeMap::new(),
    }
}

fn waiting() -> Waiting {
    Waiting {
        expires_at_ms: 10_000.0,
        provider_url: "https://auth.example/authorize?state=s1".to_owned(),
        blocked: false,
    }
}

fn answer(source: Source, code: &str) -> Event {
    Event::Answer {
        source,
        result: Ok(callback(code)),
    }
}

fn refused(source: Source, error: CallbackError) -> Event {
    Event::Answer {
        source,
        result: Err(error),
    }
}

fn provider_error() -> CallbackError {
    CallbackError::Provider {
        error: "access_denied".to_owned(),
        description: None,
        uri: None,
    }
}

/// Runs `events` from `Idle`, returning where the attempt ends and the last effect.
fn run(events: Vec<Event>) -> (Attempt, Verdict) {
    let mut attempt = Attempt::Idle;
    let mut effect = Verdict::Ignore;
    for event in events {
        (attempt, effect) = attempt.next(event);
    }
    (attempt, effect)
}

fn waiting_attempt() -> Attempt {
    run(vec![
        Event::Start,
        Event::Registered {
            expires_at_ms: 10_000.0,
        },
        Event::Opened(waiting()),
    ])
    .0
}

#[test]
fn an_attempt_opens_registers_and_waits() {
    let (opening, effect) = Attempt::Idle.next(Event::Start);
    assert_eq!((&opening, &effect), (&Attempt::Opening, &Verdict::Moved));
    let (registered, _) = opening.next(Event::Registered {
        expires_at_ms: 10_000.0,
    });
    assert_eq!(
        registered,
        Attempt::Registered {
            expires_at_ms: 10_000.0
        }
    );
    assert!(registered.is_open());
    let (waiting_now, effect) = registered.next(Event::Opened(waiting()));
    assert_eq!(waiting_now.waiting(), Some(&waiting()));
    assert_eq!(effect, Verdict::Moved);
}

#[test]
fn without_a_relay_the_page_opens_straight_from_opening() {
    let (attempt, _) = run(vec![Event::Start, Event::Opened(waiting())]);
    assert_eq!(attempt, Attempt::Waiting(waiting()));
}

#[test]
fn a_code_while_waiting_is_received_from_every_source() {
    for source in [
        Source::Channel,
        Source::Message,
        Source::Pickup,
        Source::Paste,
    ] {
        let (attempt, effect) = waiting_attempt().next(answer(source, "c1"));
        assert_eq!(attempt, Attempt::Received { via: source });
        assert_eq!(effect, Verdict::Accept(callback("c1")));
    }
}

#[test]
fn a_code_can_arrive_before_the_page_is_marked_open() {
    // The channel can beat the `Opened` event when the provider answers at once.
    let (attempt, effect) = run(vec![Event::Start, answer(Source::Channel, "c1")]);
    assert_eq!(
        attempt,
        Attempt::Received {
            via: Source::Channel
        }
    );
    assert_eq!(effect, Verdict::Accept(callback("c1")));
}

#[test]
fn a_second_code_for_the_same_attempt_is_ignored() {
    let (received, _) = waiting_attempt().next(answer(Source::Channel, "c1"));
    for source in [Source::Channel, Source::Message, Source::Pickup] {
        let (attempt, effect) = received.clone().next(answer(source, "c2"));
        assert_eq!(
            attempt,
            Attempt::Received {
                via: Source::Channel
            }
        );
        assert_eq!(effect, Verdict::Ignore, "{source:?}");
    }
}

#[test]
fn a_pasted_code_replaces_a_received_one() {
    let (received, _) = waiting_attempt().next(answer(Source::Pickup, "c1"));
    let (attempt, effect) = received.next(answer(Source::Paste, "c2"));
    assert_eq!(attempt, Attempt::Received { via: Source::Paste });
    assert_eq!(effect, Verdict::Accept(callback("c2")));
}

#[test]
fn a_code_after_cancel_is_ignored() {
    let (cancelled, effect) = waiting_attempt().next(Event::Cancel);
    assert_eq!((&cancelled, &effect), (&Attempt::Cancelled, &Verdict::End));
    for source in [Source::Channel, Source::Message, Source::Pickup] {
        let (attempt, effect) = cancelled.clone().next(answer(source, "late"));
        assert_eq!((attempt, effect), (Attempt::Cancelled, Verdict::Ignore));
    }
}

#[test]
fn a_code_after_expiry_is_ignored_but_a_paste_is_taken() {
    let (expired, effect) = waiting_attempt().next(Event::Tick(10_000.0));
    assert_eq!((&expired, &effect), (&Attempt::Expired, &Verdict::End));
    let (attempt, effect) = expired.clone().next(answer(Source::Pickup, "late"));
    assert_eq!((attempt, effect), (Attempt::Expired, Verdict::Ignore));
    let (attempt, effect) = expired.next(answer(Source::Paste, "pasted"));
    assert_eq!(attempt, Attempt::Received { via: Source::Paste });
    assert_eq!(effect, Verdict::Accept(callback("pasted")));
}

#[test]
fn the_wait_lasts_until_its_expiry() {
    let (attempt, effect) = waiting_attempt().next(Event::Tick(9_999.0));
    assert_eq!(
        (attempt, effect),
        (Attempt::Waiting(waiting()), Verdict::Ignore)
    );
    // Only a wait expires: the relay's registration alone has no page to time out yet.
    let registered = Attempt::Registered {
        expires_at_ms: 10.0,
    };
    assert_eq!(
        registered.clone().next(Event::Tick(20.0)),
        (registered, Verdict::Ignore)
    );
}

#[test]
fn a_code_for_another_state_is_refused_except_on_the_shared_channel() {
    // Another tab of the wizard may be waiting for it: the channel's answer is left alone.
    let (attempt, effect) =
        waiting_attempt().next(refused(Source::Channel, CallbackError::StateMismatch));
    assert_eq!((attempt, effect), (waiting_attempt(), Verdict::Ignore));
    for source in [Source::Message, Source::Pickup] {
        let (attempt, effect) =
            waiting_attempt().next(refused(source, CallbackError::StateMismatch));
        assert_eq!(
            attempt,
            Attempt::Refused {
                reason: CallbackError::StateMismatch.to_string()
            }
        );
        assert_eq!(effect, Verdict::End);
    }
}

#[test]
fn the_services_refusal_ends_the_attempt() {
    let (attempt, effect) = waiting_attempt().next(refused(Source::Channel, provider_error()));
    assert_eq!(
        attempt,
        Attempt::Refused {
            reason: provider_error().to_string()
        }
    );
    assert_eq!(effect, Verdict::End);
}

#[test]
fn a_bad_paste_is_refused_and_the_wait_goes_on() {
    let (attempt, effect) =
        waiting_attempt().next(refused(Source::Paste, CallbackError::MissingCode));
    assert_eq!(attempt, waiting_attempt());
    assert_eq!(effect, Verdict::RefusePaste(CallbackError::MissingCode));
}

#[test]
fn nothing_is_delivered_to_an_idle_wizard() {
    for source in [Source::Channel, Source::Message, Source::Pickup] {
        assert_eq!(
            Attempt::Idle.next(answer(source, "c1")),
            (Attempt::Idle, Verdict::Ignore)
        );
    }
    let (attempt, effect) = Attempt::Idle.next(answer(Source::Paste, "c1"));
    assert_eq!(attempt, Attempt::Received { via: Source::Paste });
    assert_eq!(effect, Verdict::Accept(callback("c1")));
}

#[test]
fn after_a_reload_only_the_channels_that_outlive_the_page_deliver() {
    for source in [Source::Channel, Source::Message] {
        let (attempt, effect) = Attempt::Interrupted.next(answer(source, "c1"));
        assert_eq!(attempt, Attempt::Received { via: source });
        assert_eq!(effect, Verdict::Accept(callback("c1")));
    }
    assert_eq!(
        Attempt::Interrupted.next(answer(Source::Pickup, "c1")),
        (Attempt::Interrupted, Verdict::Ignore)
    );
}

#[test]
fn a_failure_before_the_page_opens_ends_the_attempt() {
    for attempt in [
        Attempt::Opening,
        Attempt::Registered {
            expires_at_ms: 10.0,
        },
    ] {
        let (after, effect) = attempt.next(Event::Failed("cannot listen".to_owned()));
        assert_eq!(
            after,
            Attempt::Refused {
                reason: "cannot listen".to_owned()
            }
        );
        assert_eq!(effect, Verdict::End);
    }
}

#[test]
fn events_out_of_order_change_nothing() {
    let ended = [
        Attempt::Idle,
        Attempt::Received {
            via: Source::Pickup,
        },
        Attempt::Expired,
        Attempt::Cancelled,
        Attempt::Refused {
            reason: "no".to_owned(),
        },
    ];
    for attempt in ended {
        for event in [
            Event::Registered { expires_at_ms: 1.0 },
            Event::Opened(waiting()),
            Event::Failed("late".to_owned()),
            Event::Tick(1e15),
            Event::Cancel,
        ] {
            assert_eq!(
                attempt.clone().next(event.clone()),
                (attempt.clone(), Verdict::Ignore),
                "{attempt:?} on {event:?}"
            );
        }
    }
    // A second registration or a late one after the page opened is ignored too.
    let waiting_now = waiting_attempt();
    assert_eq!(
        waiting_now
            .clone()
            .next(Event::Registered { expires_at_ms: 1.0 }),
        (waiting_now, Verdict::Ignore)
    );
}

#[test]
fn starting_again_always_opens_a_fresh_attempt() {
    for attempt in [
        Attempt::Idle,
        waiting_attempt(),
        Attempt::Expired,
        Attempt::Cancelled,
        Attempt::Interrupted,
    ] {
        assert_eq!(
            attempt.next(Event::Start),
            (Attempt::Opening, Verdict::Moved)
        );
    }
}
