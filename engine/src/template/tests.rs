//! Tests of `template`.

use super::*;
use crate::vars::STANDARD_VARIABLES;

fn vars(pairs: &[(&str, &str)]) -> Vars {
    pairs.iter().copied().collect()
}

fn render(source: &str, pairs: &[(&str, &str)], encoding: Encoding) -> Result<String, RenderError> {
    Template::parse(source)
        .expect("template parses")
        .render(&vars(pairs), encoding)
}

#[test]
fn parses_literals_variables_and_escaped_braces() {
    let template = Template::parse("a {{b}} {c}-{d.e}{c}").unwrap();
    assert_eq!(template.variables(), ["c", "d.e"]);
    assert_eq!(
        template
            .render(&vars(&[("c", "1"), ("d.e", "2")]), Encoding::Raw)
            .unwrap(),
        "a {b} 1-21"
    );
    assert!(Template::parse("plain {{text}}").unwrap().is_literal());
    assert!(!template.is_literal());
}

#[test]
fn parse_errors_say_where_and_how_to_fix() {
    assert_eq!(
        Template::parse("ab{cd").unwrap_err(),
        TemplateError::Unclosed { position: 3 }
    );
    assert_eq!(
        Template::parse("a}b").unwrap_err(),
        TemplateError::LoneClosingBrace { position: 2 }
    );
    assert_eq!(
        Template::parse("{}").unwrap_err(),
        TemplateError::InvalidName {
            name: String::new()
        }
    );
    assert_eq!(
        Template::parse(r#"{"a": 1}"#).unwrap_err(),
        TemplateError::InvalidName {
            name: r#""a": 1"#.to_owned()
        }
    );
    let message = Template::parse("x{y").unwrap_err().to_string();
    assert!(
        message.contains("character 2") && message.contains("`{{`"),
        "{message}"
    );
    let message = Template::parse("{a b}").unwrap_err().to_string();
    assert!(
        message.contains("`{a b}` is not a variable name"),
        "{message}"
    );
}

#[test]
fn every_standard_variable_renders() {
    for name in STANDARD_VARIABLES {
        let source = format!("<{{{name}}}>");
        assert_eq!(
            render(&source, &[(name, "v a/l")], Encoding::Raw).unwrap(),
            "<v a/l>",
            "{name}"
        );
        assert_eq!(
            render(&source, &[(name, "v a/l")], Encoding::Query).unwrap(),
            "<v%20a%2Fl>",
            "{name}"
        );
    }
}

#[test]
fn a_value_is_never_expanded_again() {
    let out = render(
        "{client_secret}",
        &[("client_secret", "s{code}}{{"), ("code", "CODE")],
        Encoding::Raw,
    );
    assert_eq!(out.unwrap(), "s{code}}{{");
}

#[test]
fn unknown_and_empty_variables_are_errors() {
    assert_eq!(
        render("{nope}", &[], Encoding::Raw),
        Err(RenderError::Unknown("nope".into()))
    );
    assert_eq!(
        render("x{code}", &[("code", "")], Encoding::Raw),
        Err(RenderError::Empty("code".into()))
    );
    assert_eq!(
        RenderError::Empty("code".into()).to_string(),
        "variable {code} is empty"
    );
    assert_eq!(
        RenderError::Unknown("nope".into()).to_string(),
        "unknown variable {nope}"
    );
    let template = Template::parse("x{code}").unwrap();
    assert_eq!(
        template
            .render_allowing_empty(&vars(&[("code", "")]), Encoding::Raw)
            .unwrap(),
        "x"
    );
    assert_eq!(
        template.render_allowing_empty(&vars(&[]), Encoding::Raw),
        Err(RenderError::Unknown("code".into()))
    );
}

#[test]
fn each_encoding_context() {
    let value = [("v", "a b&c=d+e/f?g#h\"i\\j\nk%")];
    assert_eq!(
        render("{v}", &value, Encoding::Raw).unwrap(),
        "a b&c=d+e/f?g#h\"i\\j\nk%"
    );
    assert_eq!(
        render("{v}", &value, Encoding::PathSegment).unwrap(),
        "a%20b%26c%3Dd%2Be%2Ff%3Fg%23h%22i%5Cj%0Ak%25"
    );
    assert_eq!(
        render("{v}", &value, Encoding::Query).unwrap(),
        "a%20b%26c%3Dd%2Be%2Ff%3Fg%23h%22i%5Cj%0Ak%25"
    );
    assert_eq!(
        render("{v}", &value, Encoding::Form).unwrap(),
        "a+b%26c%3Dd%2Be%2Ff%3Fg%23h%22i%5Cj%0Ak%25"
    );
    assert_eq!(
        render("{v}", &value, Encoding::Json).unwrap(),
        "a b&c=d+e/f?g#h\\\"i\\\\j\\nk%"
    );
}

#[test]
fn header_context_refuses_line_breaks_and_nul() {
    assert_eq!(
        render("Bearer {token}", &[("token", "abc")], Encoding::Header).unwrap(),
        "Bearer abc"
    );
    for bad in ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\0b"] {
        assert_eq!(
            render("Bearer {token}", &[("token", bad)], Encoding::Header),
            Err(RenderError::HeaderBreak {
                variable: Some("token".into())
            }),
            "{bad:?}"
        );
    }
    assert_eq!(
        render("a\r\nb", &[], Encoding::Header),
        Err(RenderError::HeaderBreak { variable: None })
    );
    let message = RenderError::HeaderBreak {
        variable: Some("token".into()),
    }
    .to_string();
    assert!(
        message.contains("{token}") && message.contains("line break"),
        "{message}"
    );
}

#[test]
fn url_context_encodes_host_and_path_strictly_and_query_as_a_component() {
    let url = render(
        "https://{tenant}.example.com/{version}/token?x={x}#{f}",
        &[
            ("tenant", "a/b@c:d"),
            ("version", "v 1?"),
            ("x", "1&y=2"),
            ("f", "#"),
        ],
        Encoding::Url,
    );
    assert_eq!(
        url.unwrap(),
        "https://a%2Fb%40c%3Ad.example.com/v%201%3F/token?x=1%26y%3D2#%23"
    );
}

#[test]
fn url_context_refuses_dot_segments_from_variables() {
    for dots in [".", "..", "%2e", "%2E%2e"] {
        // `%` is encoded, so only literal dots can form a dot segment; both are checked.
        let result = render(
            "https://example.com/{v}/token",
            &[("v", dots)],
            Encoding::Url,
        );
        if dots.contains('%') {
            assert!(result.is_ok(), "{dots}");
        } else {
            assert_eq!(result, Err(RenderError::DotSegment("v".into())), "{dots}");
        }
    }
    assert_eq!(
        render(
            "https://example.com/a{v}/token",
            &[("v", ".")],
            Encoding::Url
        )
        .unwrap(),
        "https://example.com/a./token"
    );
    assert_eq!(
        render(
            "https://example.com/{a}{b}/t",
            &[("a", "."), ("b", ".")],
            Encoding::Url
        ),
        Err(RenderError::DotSegment("a".into()))
    );
    // A dot segment after the `?` is just query text.
    assert!(render("https://example.com/t?p={v}", &[("v", "..")], Encoding::Url).is_ok());
    // The template's own literal dots are the author's choice.
    assert!(render("https://example.com/../{v}", &[("v", "x")], Encoding::Url).is_ok());
}

#[test]
fn escape_renders_back_to_the_literal() {
    let literal = "https://x/{a}}{{b";
    let template = Template::parse(&escape(literal)).unwrap();
    assert!(template.is_literal());
    assert_eq!(
        template.render(&Vars::new(), Encoding::Raw).unwrap(),
        literal
    );
}

#[test]
fn variable_names() {
    assert!(is_variable_name("realmId"));
    assert!(is_variable_name("accounts-server"));
    assert!(is_variable_name("a_b.c1"));
    assert!(!is_variable_name(""));
    assert!(!is_variable_name("a b"));
    assert!(!is_variable_name("a{b"));
}
