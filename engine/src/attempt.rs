//! One authorization attempt as a pure state machine: which answers it takes, when it ends.
//!
//! ```text
//! Idle ─Start─► Opening ─Registered─► Registered ─Opened─► Waiting ─Answer(code)──► Received
//!   ▲              │                      │                   ├──Answer(error)──► Refused
//!   │              └──────────Opened──────┼──────────────────►│──Tick(past expiry)► Expired
//!   │              any of the three ──Failed──► Refused       └──Cancel──────────► Cancelled
//! Interrupted (a reload during the wait: only a pasted answer or a same-origin delivery is taken)
//! ```
//!
//! The browser side (the wizard's `flow` module) feeds it events and owns the popup and the
//! long-poll; this module decides what each event means, so it is tested natively.

use crate::callback::{Callback, CallbackError};

/// Where an answer came from; a state mismatch is only an error for our own channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The same-origin BroadcastChannel: another tab's attempt may be on it too.
    Channel,
    /// A `message` from the popup.
    Message,
    /// The relay's pickup.
    Pickup,
    /// Typed or pasted by the user.
    Paste,
}

impl Source {
    /// How the success message names the way the code came.
    pub fn describe(self) -> &'static str {
        match self {
            Source::Channel | Source::Message => "from the sign-in window",
            Source::Pickup => "through the relay",
            Source::Paste => "from what you pasted",
        }
    }
}

/// Where the attempt stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Attempt {
    /// No attempt started on this page.
    #[default]
    Idle,
    /// Fresh `state` and verifier made; the relay is being told about it.
    Opening,
    /// The relay knows the `state` and keeps the callback until `expires_at_ms`.
    Registered {
        /// When the relay forgets the registration (ms since the epoch).
        expires_at_ms: f64,
    },
    /// The provider page is open; the code may come by any channel.
    Waiting(Waiting),
    /// A code arrived and was accepted.
    Received {
        /// How it came.
        via: Source,
    },
    /// The attempt failed: the service refused, or the answer was not ours to take.
    Refused {
        /// What went wrong, in words.
        reason: String,
    },
    /// No answer in time.
    Expired,
    /// The user cancelled.
    Cancelled,
    /// The page was reloaded while waiting: the `state` survived, the wait did not.
    Interrupted,
}

/// The wait for the code.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiting {
    /// When the wait ends (ms since the epoch).
    pub expires_at_ms: f64,
    /// The provider URL (shown as a link when the popup was blocked).
    pub provider_url: String,
    /// The browser blocked both the popup and the new tab.
    pub blocked: bool,
}

/// What happens to the attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A new attempt starts (whatever the old one was doing).
    Start,
    /// The relay registered the `state`; its registration lasts until `expires_at_ms`.
    Registered {
        /// When the relay forgets it (ms since the epoch).
        expires_at_ms: f64,
    },
    /// The provider page was opened (or blocked).
    Opened(Waiting),
    /// The attempt cannot go on (the relay could not listen, the URL could not be rebuilt).
    Failed(String),
    /// An answer arrived: what [`crate::callback::parse_callback`] made of it.
    Answer {
        /// Where it came from.
        source: Source,
        /// The parsed answer.
        result: Result<Callback, CallbackError>,
    },
    /// The clock (ms since the epoch).
    Tick(f64),
    /// The user cancelled.
    Cancel,
}

/// What the wizard does after an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Nothing: the event did not concern this attempt (or repeated what is known).
    Ignore,
    /// The attempt moved on; nothing else to do.
    Moved,
    /// A code was accepted: use it, and end the browser side (popup, long-poll).
    Accept(Callback),
    /// A pasted answer was refused, the attempt goes on: say why and clear the code.
    RefusePaste(CallbackError),
    /// The attempt ended without a code: end the browser side and say why.
    End,
}

impl Attempt {
    /// Whether the wizard is waiting for an answer (the relay long-poll may run).
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            Attempt::Opening | Attempt::Registered { .. } | Attempt::Waiting(_)
        )
    }

    /// The wait in progress, if any.
    pub fn waiting(&self) -> Option<&Waiting> {
        match self {
            Attempt::Waiting(waiting) => Some(waiting),
            _ => None,
        }
    }

    /// The attempt after `event`, and what the wizard must do about it.
    #[must_use]
    pub fn next(self, event: Event) -> (Attempt, Verdict) {
        use Attempt as A;
        match (self, event) {
            (_, Event::Start) => (A::Opening, Verdict::Moved),
            (A::Opening, Event::Registered { expires_at_ms }) => {
                (A::Registered { expires_at_ms }, Verdict::Moved)
            }
            (A::Opening | A::Registered { .. }, Event::Opened(waiting)) => {
                (A::Waiting(waiting), Verdict::Moved)
            }
            (A::Opening | A::Registered { .. } | A::Waiting(_), Event::Failed(reason)) => {
                (A::Refused { reason }, Verdict::End)
            }
            (A::Waiting(waiting), Event::Tick(now)) if now >= waiting.expires_at_ms => {
                (A::Expired, Verdict::End)
            }
            (A::Opening | A::Registered { .. } | A::Waiting(_), Event::Cancel) => {
                (A::Cancelled, Verdict::End)
            }
            (attempt, Event::Answer { source, result }) => attempt.answer(source, result),
            (attempt, _) => (attempt, Verdict::Ignore),
        }
    }

    fn answer(self, source: Source, result: Result<Callback, CallbackError>) -> (Attempt, Verdict) {
        // What the user pastes is always looked at; a delivery only while an answer is expected
        // (after a reload the channel and the popup, which outlive the page, may still bring the old
        // attempt's code).
        let expecting = match self {
            Attempt::Opening | Attempt::Registered { .. } | Attempt::Waiting(_) => true,
            Attempt::Interrupted => matches!(source, Source::Channel | Source::Message),
            _ => false,
        };
        if source != Source::Paste && !expecting {
            return (self, Verdict::Ignore);
        }
        match result {
            Ok(callback) => (Attempt::Received { via: source }, Verdict::Accept(callback)),
            // Another tab of the wizard may be waiting for that one.
            Err(CallbackError::StateMismatch) if source == Source::Channel => {
                (self, Verdict::Ignore)
            }
            Err(error) if source == Source::Paste => (self, Verdict::RefusePaste(error)),
            Err(error) => (
                Attempt::Refused {
                    reason: error.to_string(),
                },
                Verdict::End,
            ),
        }
    }
}

#[cfg(test)]
mod tests;
