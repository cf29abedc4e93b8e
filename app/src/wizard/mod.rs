//! The three wizard steps: the `Step` enum and the rules for moving between them (pure, unit-tested
//! natively), and one module per step plus the flow and call logic they share.

pub mod authorize;
pub mod calls;
pub mod device;
pub mod flow;
pub mod self_test;
pub mod service;
pub mod token_calls;
pub mod tokens;

/// A step of the wizard. Its number is its place in the URL hash (`#/step/2`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Step {
    /// Step 1: pick a service (or customise the OAuth settings).
    #[default]
    Service,
    /// Step 2: the client flow that produces an authorization code.
    Authorization,
    /// Step 3: call the token endpoints.
    Tokens,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 3] = [Step::Service, Step::Authorization, Step::Tokens];

    /// 1, 2 or 3.
    pub fn number(self) -> u8 {
        match self {
            Step::Service => 1,
            Step::Authorization => 2,
            Step::Tokens => 3,
        }
    }

    /// The step numbered `number`.
    pub fn from_number(number: u8) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.number() == number)
    }

    /// The URL hash of the step, e.g. `#/step/2`.
    pub fn path(self) -> &'static str {
        match self {
            Step::Service => "#/step/1",
            Step::Authorization => "#/step/2",
            Step::Tokens => "#/step/3",
        }
    }

    /// The step a URL hash names (`#/step/2`, `/step/2`); `None` for anything else.
    pub fn from_hash(hash: &str) -> Option<Step> {
        let rest = hash.strip_prefix('#').unwrap_or(hash);
        let number = rest.strip_prefix("/step/")?.trim_end_matches('/');
        Step::from_number(number.parse().ok()?)
    }

    /// The step after this one.
    pub fn next(self) -> Option<Step> {
        Step::from_number(self.number() + 1)
    }

    /// The step before this one.
    pub fn prev(self) -> Option<Step> {
        self.number().checked_sub(1).and_then(Step::from_number)
    }

    /// The short title shown in the step indicator.
    pub fn title(self) -> &'static str {
        match self {
            Step::Service => "Service",
            Step::Authorization => "Authorization",
            Step::Tokens => "Tokens",
        }
    }
}

/// What the navigation rules need to know about the wizard's current state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// A preset was chosen or "Customize OAuth settings" was clicked.
    pub service_chosen: bool,
    /// The label of the first service variable that is still empty.
    pub missing_variable: Option<String>,
    /// The service uses the authorization-code (client) flow.
    pub client_flow: bool,
    /// The client flow is on but its authorization URL is empty.
    pub authorization_url_missing: bool,
    /// The label the service uses for the client id, when that field is still empty.
    pub missing_client_id: Option<String>,
    /// An authorization code is at hand.
    pub has_code: bool,
    /// What is wrong with the authorization URL (step 1), when the client flow is on.
    pub authorization_url_problem: Option<String>,
    /// What is wrong with an extra authorization parameter or a kept callback parameter (step 2).
    pub authorization_params_problem: Option<String>,
    /// What is wrong with the client id as typed (an invisible character, too long).
    pub client_id_problem: Option<String>,
    /// What is wrong with the redirect URI, when the client flow is on.
    pub redirect_uri_problem: Option<String>,
    /// What is wrong with the relay URL in the settings.
    pub relay_url_problem: Option<String>,
    /// What is wrong with a `state` the user typed (too long for the relay, invisible characters).
    pub state_problem: Option<String>,
}

impl Progress {
    /// Why the user cannot go on from `step` yet, in words; `None` when Next may be used.
    pub fn next_blocker(&self, step: Step) -> Option<String> {
        match step {
            Step::Service => self.service_blocker(),
            Step::Authorization => self
                .service_blocker()
                .or_else(|| self.authorization_blocker()),
            Step::Tokens => Some("This is the last step.".to_owned()),
        }
    }

    /// Whether `step` may be shown: step 1 always, the others once step 1 is complete.
    pub fn can_visit(&self, step: Step) -> bool {
        step == Step::Service || self.service_blocker().is_none()
    }

    fn service_blocker(&self) -> Option<String> {
        if !self.service_chosen {
            return Some("Choose a service, or customize the OAuth settings.".to_owned());
        }
        if self.client_flow && self.authorization_url_missing {
            return Some(
                "Enter the authorization URL, or untick client-flow authorization.".to_owned(),
            );
        }
        if let Some(problem) = self
            .authorization_url_problem
            .as_ref()
            .filter(|_| self.client_flow)
        {
            return Some(format!("Fix the authorization settings first: {problem}."));
        }
        self.missing_variable
            .as_ref()
            .map(|label| format!("Fill in “{label}”."))
    }

    /// Why the client-flow authorization cannot start yet; `None` when it can.
    pub fn start_blocker(&self) -> Option<String> {
        if let Some(label) = &self.missing_client_id {
            return Some(format!("Enter the {label} first."));
        }
        if let Some(problem) = &self.client_id_problem {
            return Some(format!("The client ID {problem}."));
        }
        if let Some(problem) = &self.relay_url_problem {
            return Some(format!("The relay URL (Settings) {problem}."));
        }
        if let Some(problem) = &self.state_problem {
            return Some(format!("The state (Advanced) {problem}."));
        }
        if let Some(problem) = self
            .authorization_params_problem
            .as_ref()
            .filter(|_| self.client_flow)
        {
            return Some(format!("{problem}."));
        }
        self.redirect_uri_problem
            .as_ref()
            .filter(|_| self.client_flow)
            .map(|problem| format!("The redirect URI {problem}."))
    }

    fn authorization_blocker(&self) -> Option<String> {
        if let Some(label) = &self.missing_client_id {
            return Some(format!("Enter the {label}."));
        }
        if let Some(problem) = &self.client_id_problem {
            return Some(format!("The client ID {problem}."));
        }
        if self.client_flow && !self.has_code {
            return Some(
                "Get an authorization code first (or paste one), or choose “I already have a refresh token”."
                    .to_owned(),
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_through_their_hash() {
        for step in Step::ALL {
            assert_eq!(Step::from_hash(step.path()), Some(step));
        }
        assert_eq!(Step::from_hash("/step/3"), Some(Step::Tokens));
        assert_eq!(Step::from_hash("#/step/2/"), Some(Step::Authorization));
    }

    #[test]
    fn unknown_hashes_name_no_step() {
        for hash in [
            "",
            "#",
            "#/step/0",
            "#/step/4",
            "#/step/x",
            "#/other/1",
            "#/step/-1",
            "#/step/",
        ] {
            assert_eq!(Step::from_hash(hash), None, "{hash}");
        }
    }

    #[test]
    fn next_and_prev_walk_the_steps_in_order() {
        assert_eq!(Step::Service.next(), Some(Step::Authorization));
        assert_eq!(Step::Authorization.next(), Some(Step::Tokens));
        assert_eq!(Step::Tokens.next(), None);
        assert_eq!(Step::Tokens.prev(), Some(Step::Authorization));
        assert_eq!(Step::Authorization.prev(), Some(Step::Service));
        assert_eq!(Step::Service.prev(), None);
    }

    #[test]
    fn step_one_needs_a_service_then_its_variables() {
        let mut progress = Progress::default();
        assert!(
            progress
                .next_blocker(Step::Service)
                .unwrap()
                .contains("Choose a service")
        );
        assert!(!progress.can_visit(Step::Tokens));
        progress.service_chosen = true;
        progress.missing_variable = Some("Tenant ID".to_owned());
        assert_eq!(
            progress.next_blocker(Step::Service).unwrap(),
            "Fill in “Tenant ID”."
        );
        progress.missing_variable = None;
        assert_eq!(progress.next_blocker(Step::Service), None);
        assert!(progress.can_visit(Step::Tokens));
    }

    #[test]
    fn client_flow_needs_an_authorization_url() {
        let progress = Progress {
            service_chosen: true,
            client_flow: true,
            authorization_url_missing: true,
            ..Progress::default()
        };
        assert!(
            progress
                .next_blocker(Step::Service)
                .unwrap()
                .contains("authorization URL")
        );
    }

    #[test]
    fn step_two_needs_the_client_id_and_a_code() {
        let mut progress = Progress {
            service_chosen: true,
            client_flow: true,
            missing_client_id: Some("App ID".to_owned()),
            ..Progress::default()
        };
        assert_eq!(
            progress.next_blocker(Step::Authorization).unwrap(),
            "Enter the App ID."
        );
        progress.missing_client_id = None;
        assert!(
            progress
                .next_blocker(Step::Authorization)
                .unwrap()
                .contains("authorization code")
        );
        progress.has_code = true;
        assert_eq!(progress.next_blocker(Step::Authorization), None);
    }

    #[test]
    fn without_client_flow_no_code_is_needed() {
        let progress = Progress {
            service_chosen: true,
            ..Progress::default()
        };
        assert_eq!(progress.next_blocker(Step::Authorization), None);
        assert!(progress.next_blocker(Step::Tokens).is_some());
    }

    #[test]
    fn field_problems_block_next_and_start_with_their_reason() {
        let bad_url = Progress {
            service_chosen: true,
            client_flow: true,
            authorization_url_problem: Some("Authorization URL: not a valid URL".into()),
            authorization_params_problem: Some("Authorization parameter `a b`: …".into()),
            ..Progress::default()
        };
        assert_eq!(
            bad_url.next_blocker(Step::Service).as_deref(),
            Some("Fix the authorization settings first: Authorization URL: not a valid URL.")
        );
        assert!(!bad_url.can_visit(Step::Authorization));
        let no_flow = Progress {
            client_flow: false,
            ..bad_url.clone()
        };
        assert_eq!(no_flow.next_blocker(Step::Service), None);

        let step_2 = Progress {
            service_chosen: true,
            client_flow: true,
            has_code: true,
            redirect_uri_problem: Some("may use http:// only for this computer".into()),
            ..Progress::default()
        };
        assert_eq!(
            step_2.start_blocker().as_deref(),
            Some("The redirect URI may use http:// only for this computer.")
        );
        let bad_param = Progress {
            authorization_params_problem: Some(
                "Authorization parameter ``: the name is empty".into(),
            ),
            redirect_uri_problem: None,
            ..step_2.clone()
        };
        assert_eq!(
            bad_param.start_blocker().as_deref(),
            Some("Authorization parameter ``: the name is empty.")
        );
        assert_eq!(
            bad_param.next_blocker(Step::Service),
            None,
            "fixed on step 2, not step 1"
        );
        let odd_id = Progress {
            client_id_problem: Some("contains U+0000 (NUL)".into()),
            ..step_2.clone()
        };
        assert_eq!(
            odd_id.start_blocker().as_deref(),
            Some("The client ID contains U+0000 (NUL).")
        );
        assert_eq!(
            odd_id.next_blocker(Step::Authorization).as_deref(),
            Some("The client ID contains U+0000 (NUL).")
        );
        let long_state = Progress {
            redirect_uri_problem: None,
            state_problem: Some("is 100000 characters long; at most 2048 fit here".into()),
            ..step_2.clone()
        };
        assert_eq!(
            long_state.start_blocker().as_deref(),
            Some("The state (Advanced) is 100000 characters long; at most 2048 fit here.")
        );
        let fine = Progress {
            redirect_uri_problem: None,
            ..step_2
        };
        assert_eq!(fine.start_blocker(), None);
    }
}
