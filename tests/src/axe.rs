//! Accessibility checks with axe-core (Deque's engine, from npm), run inside the page the user
//! sees: every violation of WCAG 2.0–2.2 A and AA fails the check, listed with the elements it
//! was found on. `cargo xtask setup` installs axe-core into `target/tools/axe-core/`.

use fantoccini::Client;
use serde_json::Value;

use crate::{CmdContext, E2eError, Result, workspace_root};

/// The rule sets that make up WCAG 2.2 level AA.
const WCAG_AA_TAGS: &[&str] = &[
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa",
];

/// Runs axe-core on the current page; fails listing every WCAG 2.2 AA violation. `context`
/// names the page in the failure (e.g. "step 2, dark, 390 px").
pub async fn check_wcag_aa(client: &Client, context: &str) -> Result<()> {
    let script_path =
        workspace_root().join("target/tools/axe-core/node_modules/axe-core/axe.min.js");
    let script = std::fs::read_to_string(&script_path).map_err(|source| E2eError::Io {
        doing: format!(
            "reading axe-core at {} (`cargo xtask setup` installs it)",
            script_path.display()
        ),
        source,
    })?;
    client
        .execute(&format!("{script}\nreturn null;"), Vec::new())
        .await
        .doing(|| "loading axe-core into the page".to_owned())?;
    let run = format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {tags} }}, resultTypes: ['violations'] }})
           .then(r => done(r.violations.map(v => ({{
             id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(1).join(' '))
           }}))))
           .catch(e => done([{{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }}]));",
        tags = serde_json::to_string(WCAG_AA_TAGS).unwrap_or_default()
    );
    let violations = client
        .execute_async(&run, Vec::new())
        .await
        .doing(|| "running axe-core".to_owned())?;
    let violations = violations.as_array().cloned().unwrap_or_default();
    if violations.is_empty() {
        return Ok(());
    }
    let listing: Vec<String> = violations.iter().map(describe).collect();
    Err(E2eError::Expectation(format!(
        "axe-core found {} WCAG 2.2 AA violation(s) on {context}:\n{}",
        violations.len(),
        listing.join("\n")
    )))
}

fn describe(violation: &Value) -> String {
    let field = |name: &str| violation[name].as_str().unwrap_or_default().to_owned();
    let nodes: Vec<String> = violation["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .filter_map(|n| n.as_str().map(|n| format!("      {n}")))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "  - {} ({}): {}\n{}",
        field("id"),
        field("impact"),
        field("help"),
        nodes.join("\n")
    )
}
