//! Template properties.

use engine::Vars;
use engine::encode::Encoding;
use engine::template::{Template, escape};
use proptest::prelude::*;

proptest! {
    #[test]
    fn parsing_never_panics(source in any::<String>()) {
        match Template::parse(&source) {
            // Every variable a parsed template names can be set, and rendering then succeeds.
            Ok(template) => {
                let vars: Vars = template.variables().into_iter().map(|name| (name, "x")).collect();
                prop_assert!(template.render(&vars, Encoding::Raw).is_ok());
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn escaped_text_renders_to_itself(literal in any::<String>()) {
        let template = Template::parse(&escape(&literal)).unwrap();
        prop_assert!(template.is_literal());
        prop_assert_eq!(template.render(&Vars::new(), Encoding::Raw).unwrap(), literal);
    }

    #[test]
    fn values_are_inserted_verbatim_and_never_expanded(value in crate::non_empty_value()) {
        let vars = Vars::new().with("client_secret", value.clone()).with("code", "CODE");
        let rendered = Template::parse("[{client_secret}]").unwrap().render(&vars, Encoding::Raw).unwrap();
        prop_assert_eq!(rendered, format!("[{value}]"));
    }

    #[test]
    fn json_context_round_trips(value in crate::value()) {
        let vars = Vars::new().with("v", value.clone());
        let inner = Template::parse("{v}").unwrap().render_allowing_empty(&vars, Encoding::Json).unwrap();
        let parsed: String = serde_json::from_str(&format!("\"{inner}\"")).unwrap();
        prop_assert_eq!(parsed, value);
    }
}
