//! Labelled form fields, a copy button and a status line. Every input gets a `<label>` and the
//! `data-testid` doubles as the element id, so labels, tests and hash links share one name.

use leptos::prelude::*;

use crate::state::{Status, Tone};

/// A labelled one-line text input.
#[component]
pub fn TextField(
    /// The visible label.
    #[prop(into)]
    label: Signal<String>,
    /// The `data-testid` and element id.
    #[prop(into)]
    testid: String,
    /// The current value.
    #[prop(into)]
    value: Signal<String>,
    /// Called with the new value on every keystroke.
    #[prop(into)]
    on_input: Callback<(String,)>,
    /// Help shown under the input.
    #[prop(optional, into)]
    help: MaybeProp<String>,
    /// Placeholder text.
    #[prop(optional, into)]
    placeholder: MaybeProp<String>,
    /// The input type (`text`, `url`, `password`).
    #[prop(default = "text")]
    kind: &'static str,
    /// Text inputs holding code-like values: monospace, no spell checking.
    #[prop(optional)]
    mono: bool,
    /// What is wrong with the value, shown under it (besides characters no one-line field
    /// takes, which every text field checks itself).
    #[prop(optional, into)]
    error: MaybeProp<String>,
) -> impl IntoView {
    let help_id = format!("{testid}-help");
    let error_id = format!("{testid}-error");
    let has_help = help.get_untracked().is_some();
    let problem = Memo::new(move |_| {
        value
            .with(|v| engine::input::single_line_problem(v))
            .map(|problem| format!("{} {problem}.", label.get()))
            .or_else(|| error.get())
    });
    let described = {
        let (help_id, error_id) = (help_id.clone(), error_id.clone());
        move || {
            let ids: Vec<&str> = [
                has_help.then_some(help_id.as_str()),
                problem.with(Option::is_some).then_some(error_id.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=testid.clone()>{label}</label>
            <input
                id=testid.clone()
                data-testid=testid
                type=kind
                class:mono=mono
                spellcheck="false"
                autocomplete="off"
                aria-invalid=move || problem.with(Option::is_some).then_some("true")
                aria-describedby=described
                placeholder=move || placeholder.get()
                prop:value=move || value.get()
                on:input=move |ev| on_input.run((event_target_value(&ev),))
            />
            {move || help.get().map(|text| view! { <p class="help" id=help_id.clone()>{text}</p> })}
            {move || problem.get().map(|text| view! { <p class="field-error" id=error_id.clone()>{text}</p> })}
        </div>
    }
}

/// A secret input: masked unless `reveal` is on.
#[component]
pub fn SecretField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The `data-testid` and element id.
    #[prop(into)]
    testid: String,
    /// The current value.
    #[prop(into)]
    value: Signal<String>,
    /// Whether to show the value in clear.
    #[prop(into)]
    reveal: Signal<bool>,
    /// Called with the new value.
    #[prop(into)]
    on_input: Callback<(String,)>,
    /// Help shown under the input.
    #[prop(optional, into)]
    help: Option<String>,
) -> impl IntoView {
    let (help_id, help) = help_line(&testid, help);
    let error_id = format!("{testid}-error");
    // What is wrong with the secret names the character, never the secret.
    let problem = Memo::new(move |_| value.with(|v| engine::input::single_line_problem(v)));
    let described = {
        let error_id = error_id.clone();
        move || {
            let ids: Vec<String> = help_id
                .iter()
                .cloned()
                .chain(problem.with(Option::is_some).then(|| error_id.clone()))
                .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let shown_label = label.clone();
    view! {
        <div class="field">
            <label for=testid.clone()>{label}</label>
            <input
                id=testid.clone()
                data-testid=testid
                class="mono"
                type=move || if reveal.get() { "text" } else { "password" }
                spellcheck="false"
                autocomplete="off"
                aria-invalid=move || problem.with(Option::is_some).then_some("true")
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| on_input.run((event_target_value(&ev),))
            />
            {help}
            {move || {
                problem
                    .get()
                    .map(|text| view! { <p class="field-error" id=error_id.clone()>{format!("{shown_label} {text}.")}</p> })
            }}
        </div>
    }
}

/// The help line under a field and the id that ties it to the field (`aria-describedby`), so
/// that screen readers read it with the field.
fn help_line(
    testid: &str,
    help: Option<String>,
) -> (Option<String>, Option<impl IntoView + use<>>) {
    let id = format!("{testid}-help");
    match help {
        Some(text) => (
            Some(id.clone()),
            Some(view! { <p class="help" id=id>{text}</p> }),
        ),
        None => (None, None),
    }
}

/// Text typed into a [`TextArea`] that is not applied yet (it has an error), by the area's id,
/// with the `reload` counter it was typed at. An area that is shown again (another tab, another
/// step) comes back with that text and its error instead of the last applied text; a reload
/// from outside (preset, import, reset) drops it. A list: there are a handful of areas, and a
/// map would bring its own hashing and growing code into the wasm.
#[derive(Clone, Copy)]
pub struct Drafts(RwSignal<Vec<Draft>>);

struct Draft {
    id: String,
    revision: u64,
    text: String,
}

impl Drafts {
    /// Provides the drafts of the whole app; call once, at the top.
    pub fn provide() {
        provide_context(Drafts(RwSignal::new(Default::default())));
    }

    fn get(self, id: &str, revision: u64) -> Option<String> {
        self.0.with_untracked(|drafts| {
            drafts
                .iter()
                .find(|draft| draft.id == id && draft.revision == revision)
                .map(|draft| draft.text.clone())
        })
    }

    fn keep(self, id: &str, revision: u64, text: String) {
        self.0.update_untracked(|drafts| {
            drafts.retain(|draft| draft.id != id);
            drafts.push(Draft {
                id: id.to_owned(),
                revision,
                text,
            });
        });
    }

    fn drop(self, id: &str) {
        self.0
            .update_untracked(|drafts| drafts.retain(|draft| draft.id != id));
    }
}

/// A labelled multi-line text area. Its text is reloaded only when `reload` changes, so what the
/// user types (blank lines, half-written entries) is never rewritten under the cursor; text that
/// is not applied yet survives the area being hidden and shown again ([`Drafts`]).
#[component]
pub fn TextArea(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The `data-testid` and element id.
    #[prop(into)]
    testid: String,
    /// The text to show after `reload` changes.
    #[prop(into)]
    text: Signal<String>,
    /// A counter that changes when the text was replaced from outside.
    #[prop(into)]
    reload: Signal<u64>,
    /// Called with the new text.
    #[prop(into)]
    on_input: Callback<(String,)>,
    /// Help shown under the text area.
    #[prop(optional, into)]
    help: Option<String>,
    /// An error about the text, shown under it: the text is not applied yet (kept as a draft).
    #[prop(optional, into)]
    error: MaybeProp<String>,
    /// A problem of what was applied (an unknown variable …), shown under it when there is no
    /// error.
    #[prop(optional, into)]
    problem: MaybeProp<String>,
    /// Visible rows at least; the area grows with its content (up to 12 rows).
    #[prop(default = 4)]
    rows: u32,
) -> impl IntoView {
    let error_id = format!("{testid}-error");
    let (help_id, help) = help_line(&testid, help);
    let shown = Memo::new(move |_| error.get().or_else(|| problem.get()));
    // The help, and the error while there is one.
    let described = {
        let error_id = error_id.clone();
        move || {
            let error = shown.with(Option::is_some).then(|| error_id.clone());
            let ids: Vec<String> = help_id.iter().cloned().chain(error).collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let drafts = use_context::<Drafts>();
    let draft = drafts.and_then(|d| d.get(&testid, reload.get_untracked()));
    if let Some(draft) = &draft {
        // Shows the error again, and applies nothing (the draft did not parse).
        on_input.run((draft.clone(),));
    }
    let draft = StoredValue::new(draft);
    let id = testid.clone();
    let typed = move |ev| {
        let typed = event_target_value(&ev);
        on_input.run((typed.clone(),));
        if let Some(drafts) = drafts {
            if error.get_untracked().is_some() {
                drafts.keep(&id, reload.get_untracked(), typed);
            } else {
                drafts.drop(&id);
            }
        }
    };
    view! {
        <div class="field">
            <label for=testid.clone()>{label}</label>
            <textarea
                id=testid.clone()
                data-testid=testid
                class="mono"
                rows=move || text.with(|t| (t.lines().count() as u32 + 1).clamp(rows, 12))
                spellcheck="false"
                aria-invalid=move || shown.with(Option::is_some).then_some("true")
                aria-describedby=described
                prop:value=move || {
                    reload.track();
                    // The draft only until the first reload from outside.
                    draft
                        .try_update_value(Option::take)
                        .flatten()
                        .unwrap_or_else(|| text.get_untracked())
                }
                on:input=typed
            ></textarea>
            {help}
            {move || shown.get().map(|text| view! { <p class="field-error" id=error_id.clone()>{text}</p> })}
        </div>
    }
}

/// A labelled `<select>`; options are `(value, label)` pairs.
#[component]
pub fn SelectField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The `data-testid` and element id.
    #[prop(into)]
    testid: String,
    /// `(value, label)` of each option.
    options: Vec<(String, &'static str)>,
    /// The selected option's value.
    #[prop(into)]
    value: Signal<String>,
    /// Called with the chosen option's value.
    #[prop(into)]
    on_change: Callback<(String,)>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=testid.clone()>{label}</label>
            <select
                id=testid.clone()
                data-testid=testid
                prop:value=move || value.get()
                on:change=move |ev| on_change.run((event_target_value(&ev),))
            >
                {options
                    .into_iter()
                    .map(|(option, text)| {
                        let this = option.clone();
                        view! {
                            <option value=option selected=move || value.with(|v| *v == this)>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// A checkbox with its label beside it.
#[component]
pub fn CheckboxField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The `data-testid` and element id.
    #[prop(into)]
    testid: String,
    /// Whether it is ticked.
    #[prop(into)]
    checked: Signal<bool>,
    /// Called with the new state.
    #[prop(into)]
    on_change: Callback<(bool,)>,
    /// Help shown under it.
    #[prop(optional, into)]
    help: Option<String>,
) -> impl IntoView {
    let (described, help) = help_line(&testid, help);
    view! {
        <div class="check">
            <input
                type="checkbox"
                id=testid.clone()
                data-testid=testid.clone()
                aria-describedby=described
                prop:checked=move || checked.get()
                on:change=move |ev| on_change.run((event_target_checked(&ev),))
            />
            <label for=testid>{label}</label>
            {help}
        </div>
    }
}

/// A button that copies `text` to the clipboard and says so.
#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    text: Signal<String>,
    /// The `data-testid`.
    #[prop(into)]
    testid: String,
    /// What is copied, for screen readers ("Copy the redirect URI").
    #[prop(into)]
    what: String,
) -> impl IntoView {
    let (copied, set_copied) = signal(None::<Result<(), String>>);
    let copy = move |_| {
        let value = text.get_untracked();
        leptos::task::spawn_local(async move {
            let result = crate::browser::copy_to_clipboard(&value).await;
            set_copied.set(Some(result));
            set_timeout(
                move || set_copied.set(None),
                std::time::Duration::from_secs(2),
            );
        });
    };
    view! {
        <button type="button" class="button secondary small" data-testid=testid aria-label=what on:click=copy>
            {move || match copied.get() {
                Some(Ok(())) => "Copied ✓",
                Some(Err(_)) => "Copy failed",
                None => "Copy",
            }}
        </button>
        <span class="visually-hidden" aria-live="polite">
            {move || copied.get().map(|result| result.err().unwrap_or_else(|| "Copied".to_owned()))}
        </span>
    }
}

/// A status line announced to screen readers.
#[component]
pub fn StatusLine(
    /// The status; nothing is shown when `None`.
    #[prop(into)]
    status: Signal<Option<Status>>,
    /// The `data-testid`.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    view! {
        <p
            class="status"
            data-testid=testid
            role="status"
            aria-live="polite"
            class:ok=move || status.with(|s| s.as_ref().is_some_and(|s| s.tone == Tone::Ok))
            class:error=move || status.with(|s| s.as_ref().is_some_and(|s| s.tone == Tone::Error))
            class:empty=move || status.with(Option::is_none)
        >
            {move || status.get().map(|s| s.text)}
        </p>
    }
}
