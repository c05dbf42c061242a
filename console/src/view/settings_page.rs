//! The shop's settings, for its admins: what the widget shows (name, colour, corner, and per
//! language the greeting, the reply time and the launcher's label), "we're away", and the
//! origins whose pages may open the widget. Saved changes reach open widgets at once; the
//! relay's refusals are shown on the field they concern; the latest changes say who made them.

use checkout_chat_protocol::settings::{
    DEFAULT_ACCENT, FieldProblem, LANGUAGES, MAX_GREETING_CHARS, MAX_REPLY_TIME_CHARS, Position, Problem,
    SettingsChange, ShopSettings, contrast, parse_hex_colour, text_colour_on,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, SettingsRefused};
use crate::format;
use crate::i18n::t;

/// The widget's languages by name, in the order the form offers them.
pub(super) fn language_name(code: &str) -> &'static str {
    match code {
        "nl" => t("Dutch"),
        "ar" => t("Arabic"),
        "fa" => t("Persian"),
        _ => t("English"),
    }
}

/// A field's problem as a sentence in the console's language.
fn sentence(problem: &Problem) -> String {
    match problem {
        Problem::Empty => t("This cannot be empty.").to_owned(),
        Problem::TooLong { max } => t("At most {max} characters.").replace("{max}", &max.to_string()),
        Problem::TooMany { max } => t("At most {max} entries.").replace("{max}", &max.to_string()),
        Problem::NotAColour => t("Pick a colour, such as #0f766e.").to_owned(),
        Problem::UnknownLanguage => t("The widget does not speak this language.").to_owned(),
        Problem::NotAnOrigin => t("Write an origin such as https://shop.example (no path).").to_owned(),
        // The relay's validator's own words (English).
        Problem::Rule { message } => message.clone(),
    }
}

/// Which parts of the settings a change touched, by their names on this page.
fn what_changed(change: &SettingsChange) -> String {
    if change.section == "rules" {
        return t("Proactive rules").to_owned();
    }
    let Some(before) = &change.before else { return t("first settings, from the configuration file").to_owned() };
    let fields = [
        ("name", t("Name shown")),
        ("accent", t("Colour")),
        ("position", t("Corner")),
        ("greeting", t("Greeting")),
        ("reply_time", t("Reply time")),
        ("away", t("We're away")),
        ("allowed_origins", t("Allowed origins")),
    ];
    let changed: Vec<&str> =
        fields.iter().filter(|(key, _)| before.get(key) != change.after.get(key)).map(|(_, name)| *name).collect();
    if changed.is_empty() { t("nothing").to_owned() } else { changed.join(", ") }
}

/// The pages of the shop's settings; `current` is the hash of the one shown.
#[component]
pub fn SettingsTabs(current: &'static str) -> impl IntoView {
    let here = move |hash: &str| (hash == current).then_some("page");
    view! {
        <nav class="subnav" aria-label=t("Settings")>
            <a href="#settings" data-test="open-widget-settings" aria-current=here("settings")>{t("Chat widget")}</a>
            <a href="#rules" data-test="open-rules" aria-current=here("rules")>{t("Proactive rules")}</a>
            <a href="#install" data-test="open-install" aria-current=here("install")>{t("Install")}</a>
        </nav>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = RwSignal::new(None::<ShopSettings>);
    let changes = RwSignal::new(Vec::<SettingsChange>::new());
    let error = RwSignal::new(None::<String>);
    let load_changes = move || {
        spawn_local(async move {
            if let Ok(list) = api::settings_changes().await {
                changes.set(list);
            }
        })
    };
    spawn_local(async move {
        match api::settings().await {
            Ok(loaded) => settings.set(Some(loaded)),
            Err(message) => error.set(Some(message)),
        }
    });
    load_changes();
    view! {
        <main class="page settings-page">
            <h1>{t("Settings")}</h1>
            <SettingsTabs current="settings" />
            {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            {move || settings.get().map(|loaded| view! { <SettingsForm loaded on_saved=load_changes /> })}
            <section class="settings-history" aria-labelledby="settings-history-title">
                <h2 id="settings-history-title">{t("Latest changes")}</h2>
                <ul class="plain-list" data-test="settings-history">
                    <For each=move || changes.get() key=|change| (change.at_ms, change.after.to_string()) let:change>
                        <li>
                            <span class="meta">{format::local_moment(change.at_ms)}</span>
                            " · "
                            <span dir="auto">{change.by.as_ref().map(|by| by.name.clone()).unwrap_or_else(|| t("the relay").to_owned())}</span>
                            " · "
                            {what_changed(&change)}
                        </li>
                    </For>
                </ul>
            </section>
        </main>
    }
}

#[component]
fn SettingsForm(loaded: ShopSettings, on_saved: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let form = RwSignal::new(loaded);
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let outcome = RwSignal::new(None::<(bool, String)>);
    let lang = RwSignal::new("en".to_owned());
    let origins_text = RwSignal::new(form.with_untracked(|f| f.allowed_origins.join("\n")));

    let problem_of = move |field: String| {
        Memo::new(move |_| problems.with(|list| list.iter().find(|p| p.field == field).map(|p| sentence(&p.problem))))
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let mut settings = form.get_untracked();
        settings.allowed_origins =
            origins_text.get_untracked().lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        spawn_local(async move {
            match api::save_settings(&settings).await {
                Ok(saved) => {
                    problems.set(Vec::new());
                    origins_text.set(saved.allowed_origins.join("\n"));
                    form.set(saved);
                    outcome.set(Some((true, t("Saved. Open chats show the change now.").to_owned())));
                    on_saved();
                }
                Err(SettingsRefused::Fields(list)) => {
                    problems.set(list);
                    outcome.set(Some((false, t("Some fields need a change; see below each.").to_owned())));
                }
                Err(SettingsRefused::Other(message)) => outcome.set(Some((false, message))),
            }
        });
    };

    // The text colour the widget will put on the chosen colour, and how well it reads.
    let preview = move || {
        let accent = form.with(|f| f.accent.clone());
        let on = text_colour_on(&accent);
        let ratio = parse_hex_colour(&accent).zip(parse_hex_colour(on)).map(|(a, b)| contrast(a, b)).unwrap_or(1.0);
        let which = if on == "#ffffff" { t("white text") } else { t("dark text") };
        (accent, on, format!("{which}, {} {ratio:.1}:1", t("contrast")))
    };
    let text_field = move |key: &'static str, label: &'static str, max: usize, long: bool| {
        let field_id = move || format!("settings-{key}-{}", lang.get());
        let value = move || form.with(|f| texts(f, key).get(&lang.get()).cloned().unwrap_or_default());
        let set = move |text: String| {
            form.update(|f| {
                texts_mut(f, key).insert(lang.get_untracked(), text);
            })
        };
        let problem = move || {
            let field = format!("{key}.{}", lang.get());
            problems.with(|list| list.iter().find(|p| p.field == field).map(|p| sentence(&p.problem)))
        };
        let error_id = move || format!("{}-error", field_id());
        let input = if long {
            view! {
                <textarea id=field_id rows="3" maxlength=max.to_string() prop:value=value
                    aria-describedby=error_id aria-invalid=move || problem().is_some().then_some("true")
                    on:input=move |ev| set(event_target_value(&ev))></textarea>
            }
            .into_any()
        } else {
            view! {
                <input id=field_id type="text" maxlength=max.to_string() prop:value=value
                    aria-describedby=error_id aria-invalid=move || problem().is_some().then_some("true")
                    on:input=move |ev| set(event_target_value(&ev)) />
            }
            .into_any()
        };
        view! {
            <label for=field_id>{t(label)}</label>
            {input}
            <p class="field-error" id=error_id>{problem}</p>
        }
    };
    let name_problem = problem_of("name".into());
    let accent_problem = problem_of("accent".into());
    let origins_problem = move || {
        problems.with(|list| {
            list.iter().find(|p| p.field.starts_with("allowed_origins")).map(|p| {
                let line = p.field.trim_start_matches("allowed_origins[").trim_end_matches(']').parse::<usize>().ok();
                match line {
                    Some(index) => format!("{} {}: {}", t("Line"), index + 1, sentence(&p.problem)),
                    None => sentence(&p.problem),
                }
            })
        })
    };
    view! {
        <form class="settings-form" data-test="settings-form" on:submit=on_submit novalidate>
            <fieldset>
                <legend>{t("The chat on your shop")}</legend>
                <label for="settings-name">{t("Name shown")}</label>
                <input id="settings-name" type="text" required prop:value=move || form.with(|f| f.name.clone())
                    aria-describedby="settings-name-error" aria-invalid=move || name_problem.get().is_some().then_some("true")
                    on:input=move |ev| form.update(|f| f.name = event_target_value(&ev)) />
                <p class="field-error" id="settings-name-error">{move || name_problem.get()}</p>

                <label for="settings-accent">{t("Colour")}</label>
                <div class="colour-row">
                    <input id="settings-accent" type="color" prop:value=move || form.with(|f| f.accent.clone())
                        aria-describedby="settings-accent-preview settings-accent-error"
                        on:input=move |ev| form.update(|f| f.accent = event_target_value(&ev)) />
                    <span class="colour-preview" id="settings-accent-preview" data-test="accent-preview"
                        style:background-color=move || preview().0 style:color=move || preview().1>
                        {move || format!("Aa · {}", preview().2)}
                    </span>
                    <button class="link" type="button" on:click=move |_| form.update(|f| f.accent = DEFAULT_ACCENT.into())>
                        {t("Default colour")}
                    </button>
                </div>
                <p class="field-error" id="settings-accent-error">{move || accent_problem.get()}</p>

                <label for="settings-position">{t("Corner")}</label>
                <select id="settings-position" on:change=move |ev| {
                    let position = match event_target_value(&ev).as_str() {
                        "left" => Position::Left,
                        "right" => Position::Right,
                        _ => Position::End,
                    };
                    form.update(|f| f.position = position);
                }>
                    <option value="end" selected=move || form.with(|f| f.position == Position::End)>{t("Bottom, at the end of the reading direction")}</option>
                    <option value="left" selected=move || form.with(|f| f.position == Position::Left)>{t("Bottom left")}</option>
                    <option value="right" selected=move || form.with(|f| f.position == Position::Right)>{t("Bottom right")}</option>
                </select>

                <p class="hint">{t("A snippet that sets data-color or data-position itself keeps its own.")}</p>
                <label class="inline">
                    <input type="checkbox" data-test="settings-away" prop:checked=move || form.with(|f| f.away)
                        on:change=move |ev| form.update(|f| f.away = event_target_checked(&ev)) />
                    {t(" We're away: shoppers may leave a message, even when agents are online")}
                </label>
            </fieldset>

            <fieldset>
                <legend>{t("Texts, per language")}</legend>
                <p class="hint">{t("Empty fields keep the widget's own text.")}</p>
                <label for="settings-language">{t("Language")}</label>
                <select id="settings-language" data-test="settings-language" on:change=move |ev| lang.set(event_target_value(&ev))>
                    {LANGUAGES.iter().map(|code| view! {
                        <option value=*code selected=move || lang.get() == *code>{language_name(code)}</option>
                    }).collect_view()}
                </select>
                {text_field("greeting", "Greeting", MAX_GREETING_CHARS, true)}
                {text_field("reply_time", "Reply time, as in “We usually reply within a few minutes”", MAX_REPLY_TIME_CHARS, false)}
            </fieldset>

            <fieldset>
                <legend>{t("Where the chat may open")}</legend>
                <label for="settings-origins">{t("Allowed origins, one per line (empty: any site)")}</label>
                <textarea id="settings-origins" rows="3" prop:value=move || origins_text.get()
                    aria-describedby="settings-origins-error"
                    aria-invalid=move || origins_problem().is_some().then_some("true")
                    on:input=move |ev| origins_text.set(event_target_value(&ev))></textarea>
                <p class="field-error" id="settings-origins-error">{origins_problem}</p>
            </fieldset>

            <div class="form-actions">
                <button class="primary" type="submit" data-test="settings-save">{t("Save")}</button>
                <p role="status" data-test="settings-outcome" class:error=move || outcome.with(|o| o.as_ref().is_some_and(|(ok, _)| !ok))>
                    {move || outcome.get().map(|(_, message)| message)}
                </p>
            </div>
        </form>
    }
}

fn texts<'a>(settings: &'a ShopSettings, key: &str) -> &'a std::collections::BTreeMap<String, String> {
    if key == "greeting" { &settings.greeting } else { &settings.reply_time }
}

fn texts_mut<'a>(settings: &'a mut ShopSettings, key: &str) -> &'a mut std::collections::BTreeMap<String, String> {
    if key == "greeting" { &mut settings.greeting } else { &mut settings.reply_time }
}
