//! The shop's proactive rules, for its admins: the list (enable, disable, duplicate, delete), a
//! form for a rule (its id, cap, texts per language, and its conditions), a preview of the
//! prompt as shoppers see it, and a simulator that runs the shop's rules through the very engine
//! the widget uses (`checkout_chat_rules`) and says which would fire and why the others do not.
//! Saved rules reach open widgets at once; the relay checks them with the validator it uses at
//! start and names the field it refuses.

use checkout_chat_protocol::settings::{FieldProblem, LANGUAGES, Problem};
use checkout_chat_rules::editing::RuleEntry;
use checkout_chat_rules::{Amount, Cap, Cart, Condition, Context, History, Localized, Rule, Screen, VisitorKind};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::settings_page::{SettingsTabs, language_name};
use crate::api::{self, SettingsRefused};
use crate::i18n::t;

/// The language every rule must speak, shown in the list.
const ENGLISH: &str = "en";

/// The kinds of condition the form offers, by their names in the rules.
const KINDS: [&str; 12] = [
    "path",
    "step",
    "seconds_on_step",
    "idle_seconds",
    "cart_total_at_least",
    "cart_total_at_most",
    "items_at_least",
    "items_at_most",
    "exit_intent",
    "visitor",
    "event",
    "agents_online",
];

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "path" => t("Page path is"),
        "step" => t("Checkout step is"),
        "seconds_on_step" => t("Seconds on the step, at least"),
        "idle_seconds" => t("Seconds without activity, at least"),
        "cart_total_at_least" => t("Cart total at least"),
        "cart_total_at_most" => t("Cart total at most"),
        "items_at_least" => t("Items in the cart, at least"),
        "items_at_most" => t("Items in the cart, at most"),
        "exit_intent" => t("About to leave (exit intent)"),
        "visitor" => t("Shopper is"),
        "event" => t("The shop's page fired the event"),
        _ => t("Agents online"),
    }
}

/// One condition of the form as typed: its kind, its value and (for amounts) a currency.
#[derive(Clone, PartialEq)]
struct Leaf {
    kind: String,
    value: String,
    currency: String,
}

impl Leaf {
    fn of(condition: &Condition) -> Option<Leaf> {
        let leaf = |kind: &str, value: String, currency: &str| {
            Some(Leaf { kind: kind.into(), value, currency: currency.into() })
        };
        let amount =
            |a: &Amount| (format!("{}.{:02}", a.cents / 100, a.cents % 100), a.currency.clone().unwrap_or_default());
        match condition {
            Condition::Path(glob) => leaf("path", glob.clone(), ""),
            Condition::Step(step) => leaf("step", step.clone(), ""),
            Condition::SecondsOnStep(n) => leaf("seconds_on_step", n.to_string(), ""),
            Condition::IdleSeconds(n) => leaf("idle_seconds", n.to_string(), ""),
            Condition::CartTotalAtLeast(a) => {
                let (value, currency) = amount(a);
                leaf("cart_total_at_least", value, &currency)
            }
            Condition::CartTotalAtMost(a) => {
                let (value, currency) = amount(a);
                leaf("cart_total_at_most", value, &currency)
            }
            Condition::ItemsAtLeast(n) => leaf("items_at_least", n.to_string(), ""),
            Condition::ItemsAtMost(n) => leaf("items_at_most", n.to_string(), ""),
            Condition::ExitIntent(yes) => leaf("exit_intent", yes.to_string(), ""),
            Condition::Visitor(VisitorKind::New) => leaf("visitor", "new".into(), ""),
            Condition::Visitor(VisitorKind::Returning) => leaf("visitor", "returning".into(), ""),
            Condition::Event(name) => leaf("event", name.clone(), ""),
            Condition::AgentsOnline(yes) => leaf("agents_online", yes.to_string(), ""),
            Condition::All(_) | Condition::Any(_) => None,
        }
    }

    /// The condition, or why the value cannot be one (a sentence for the field).
    fn condition(&self) -> Result<Condition, &'static str> {
        let whole = || self.value.trim().parse::<u32>().map_err(|_| t("Write a whole number."));
        let amount = || {
            let units: f64 =
                self.value.trim().replace(',', ".").parse().map_err(|_| t("Write an amount, such as 49.95."))?;
            if !(0.0..=1e12).contains(&units) {
                return Err(t("Write an amount, such as 49.95."));
            }
            let currency = self.currency.trim().to_ascii_uppercase();
            Ok(Amount { cents: (units * 100.0).round() as i64, currency: (!currency.is_empty()).then_some(currency) })
        };
        let yes = self.value == "true";
        Ok(match self.kind.as_str() {
            "path" => Condition::Path(self.value.trim().into()),
            "step" => Condition::Step(self.value.trim().into()),
            "seconds_on_step" => Condition::SecondsOnStep(whole()?),
            "idle_seconds" => Condition::IdleSeconds(whole()?),
            "cart_total_at_least" => Condition::CartTotalAtLeast(amount()?),
            "cart_total_at_most" => Condition::CartTotalAtMost(amount()?),
            "items_at_least" => Condition::ItemsAtLeast(whole()?),
            "items_at_most" => Condition::ItemsAtMost(whole()?),
            "exit_intent" => Condition::ExitIntent(yes),
            "visitor" if self.value == "returning" => Condition::Visitor(VisitorKind::Returning),
            "visitor" => Condition::Visitor(VisitorKind::New),
            "event" => Condition::Event(self.value.trim().into()),
            _ => Condition::AgentsOnline(yes),
        })
    }

    /// A new condition of `kind` with a value that reads well.
    fn new(kind: &str) -> Leaf {
        let value = match kind {
            "exit_intent" | "agents_online" => "true",
            "visitor" => "new",
            "path" => "/checkout/**",
            "step" => "payment",
            "event" => "",
            _ => "30",
        };
        Leaf { kind: kind.into(), value: value.into(), currency: String::new() }
    }
}

/// A rule as the form edits it.
#[derive(Clone, PartialEq)]
struct Draft {
    id: String,
    enabled: bool,
    cap: String,
    days: String,
    /// Per language: the message and the one-tap replies (one per line).
    message: Vec<(String, String)>,
    replies: Vec<(String, String)>,
    any: bool,
    leaves: Vec<Leaf>,
    /// Groups inside the rule's conditions, which the form keeps as they are.
    groups: Vec<Condition>,
}

impl Draft {
    fn of(entry: &RuleEntry) -> Draft {
        let rule = &entry.rule;
        let (any, parts) = match &rule.when {
            Condition::All(parts) => (false, parts.clone()),
            Condition::Any(parts) => (true, parts.clone()),
            leaf => (false, vec![leaf.clone()]),
        };
        let (leaves, groups): (Vec<_>, Vec<_>) = parts.iter().partition(|c| Leaf::of(c).is_some());
        let (cap, days) = match rule.cap {
            Cap::Days(days) => ("days".to_owned(), days.to_string()),
            other => (other.spelling(), "7".to_owned()),
        };
        let text = |texts: &Localized, lang: &str| texts.0.iter().find(|(l, _)| l == lang).map(|(_, t)| t.clone());
        Draft {
            id: rule.id.clone(),
            enabled: entry.enabled,
            cap,
            days,
            message: LANGUAGES.iter().map(|l| (l.to_string(), text(&rule.message, l).unwrap_or_default())).collect(),
            replies: LANGUAGES
                .iter()
                .map(|l| {
                    let lines: Vec<String> = rule.replies.iter().filter_map(|r| text(r, l)).collect();
                    (l.to_string(), lines.join("\n"))
                })
                .collect(),
            any,
            leaves: leaves.iter().filter_map(|c| Leaf::of(c)).collect(),
            groups: groups.into_iter().cloned().collect(),
        }
    }

    fn blank() -> Draft {
        let mut message: Vec<(String, String)> = LANGUAGES.iter().map(|l| (l.to_string(), String::new())).collect();
        message[0].1 = t("Questions about your order? We're here to help.").to_owned();
        Draft {
            id: "new-rule".into(),
            enabled: true,
            cap: "session".into(),
            days: "7".into(),
            message,
            replies: LANGUAGES.iter().map(|l| (l.to_string(), String::new())).collect(),
            any: false,
            leaves: vec![Leaf::new("step"), Leaf::new("seconds_on_step")],
            groups: Vec::new(),
        }
    }

    /// The rule, or the first field that cannot be one (field name, sentence).
    fn entry(&self) -> Result<RuleEntry, (String, String)> {
        let cap = match self.cap.as_str() {
            "days" => Cap::Days(
                self.days.trim().parse().map_err(|_| ("cap".to_owned(), t("Write a whole number.").to_owned()))?,
            ),
            word => Cap::parse(word).unwrap_or(Cap::Session),
        };
        let mut parts = Vec::new();
        for (index, leaf) in self.leaves.iter().enumerate() {
            parts.push(leaf.condition().map_err(|problem| (format!("when[{index}]"), problem.to_owned()))?);
        }
        parts.extend(self.groups.iter().cloned());
        let when = if self.any { Condition::Any(parts) } else { Condition::All(parts) };
        let message = Localized(
            self.message
                .iter()
                .filter(|(_, m)| !m.trim().is_empty())
                .map(|(l, m)| (l.clone(), m.trim().to_owned()))
                .collect(),
        );
        let most = self
            .replies
            .iter()
            .map(|(_, lines)| lines.lines().filter(|l| !l.trim().is_empty()).count())
            .max()
            .unwrap_or(0);
        let replies = (0..most)
            .map(|i| {
                Localized(
                    self.replies
                        .iter()
                        .filter_map(|(lang, lines)| {
                            let line = lines.lines().filter(|l| !l.trim().is_empty()).nth(i)?;
                            Some((lang.clone(), line.trim().to_owned()))
                        })
                        .collect(),
                )
            })
            .collect();
        Ok(RuleEntry {
            enabled: self.enabled,
            rule: Rule { id: self.id.trim().to_owned(), when, message, replies, cap },
        })
    }
}

/// A condition in words, for the simulator's "does not fire: …".
fn describe(condition: &Condition) -> String {
    let leaf = Leaf::of(condition);
    match (condition, leaf) {
        (Condition::All(_), _) => t("all of a group of conditions").to_owned(),
        (Condition::Any(_), _) => t("none of a group of conditions").to_owned(),
        (Condition::ExitIntent(true), _) => t("the shopper is not about to leave").to_owned(),
        (Condition::ExitIntent(false), _) => t("the shopper is about to leave").to_owned(),
        (Condition::AgentsOnline(true), _) => t("no agent is online").to_owned(),
        (Condition::AgentsOnline(false), _) => t("an agent is online").to_owned(),
        (_, Some(leaf)) => {
            let currency = if leaf.currency.is_empty() { String::new() } else { format!(" {}", leaf.currency) };
            format!("{}: {}{currency}", kind_name(&leaf.kind), leaf.value)
        }
        (_, None) => String::new(),
    }
}

/// The first part of `condition` that does not hold in `ctx`: a leaf, or a whole `any` group of
/// which none holds. None when it holds.
fn first_unmet<'c>(condition: &'c Condition, ctx: &Context) -> Option<&'c Condition> {
    match condition {
        Condition::All(parts) => parts.iter().find_map(|part| first_unmet(part, ctx)),
        _ if condition.matches(ctx) => None,
        _ => Some(condition),
    }
}

#[component]
pub fn RulesPage() -> impl IntoView {
    let entries = RwSignal::new(Vec::<RuleEntry>::new());
    let editing = RwSignal::new(None::<(Option<usize>, Draft)>);
    let error = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::rules().await {
            Ok(loaded) => entries.set(loaded),
            Err(message) => error.set(Some(message)),
        }
    });
    // Saves the whole list; the relay's word on a field goes to the form when one is open.
    let problem = RwSignal::new(None::<(String, String)>);
    let save = move |list: Vec<RuleEntry>, done: Option<&'static str>| {
        spawn_local(async move {
            match api::save_rules(&list).await {
                Ok(saved) => {
                    entries.set(saved);
                    error.set(None);
                    problem.set(None);
                    editing.set(None);
                    outcome.set(done.map(|d| t(d).to_owned()));
                }
                Err(SettingsRefused::Fields(problems)) => problem.set(problems.first().map(relay_problem)),
                Err(SettingsRefused::Other(message)) => error.set(Some(message)),
            }
        })
    };
    let change = move |index: usize, edit: fn(&mut Vec<RuleEntry>, usize)| {
        let mut list = entries.get_untracked();
        edit(&mut list, index);
        save(list, Some("Saved. Open shop pages have the new rules now."));
    };
    let numbered = move || entries.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <main class="page rules-page">
            <h1>{t("Proactive rules")}</h1>
            <SettingsTabs current="rules" />
            <p class="hint">{t("The first rule that fires shows; order is priority. Saved rules reach shop pages that are open at once.")}</p>
            {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <p role="status" data-test="rules-outcome">{move || outcome.get()}</p>
            <table class="rules-list" data-test="rules-list">
                <thead><tr><th>{t("Rule")}</th><th>{t("Says (English)")}</th><th>{t("At most")}</th><th>{t("On")}</th><th></th></tr></thead>
                <tbody>
                    <For each=numbered key=|(i, e)| (*i, e.enabled, format!("{:?}", e.rule)) let:item>
                        {
                            let (index, entry) = item;
                            let id = entry.rule.id.clone();
                            view! {
                                <tr class:disabled=!entry.enabled>
                                    <td><code>{id.clone()}</code></td>
                                    <td dir="auto">{entry.rule.message.get(ENGLISH).to_owned()}</td>
                                    <td>{cap_words(entry.rule.cap)}</td>
                                    <td>
                                        <input type="checkbox" prop:checked=entry.enabled aria-label=format!("{}: {id}", t("On"))
                                            data-test="rule-enabled"
                                            on:change=move |_| change(index, |list, i| list[i].enabled = !list[i].enabled) />
                                    </td>
                                    <td class="team-actions">
                                        <button class="link" type="button" data-test="rule-edit"
                                            on:click=move |_| {
                                                problem.set(None);
                                                editing.set(entries.with_untracked(|l| l.get(index).map(|e| (Some(index), Draft::of(e)))));
                                            }>{t("Edit")}</button>
                                        <button class="link" type="button" on:click=move |_| {
                                            problem.set(None);
                                            editing.set(entries.with_untracked(|l| l.get(index).map(|e| {
                                                let mut copy = Draft::of(e);
                                                copy.id = format!("{}-copy", copy.id);
                                                (None, copy)
                                            })));
                                        }>{t("Duplicate")}</button>
                                        <button class="link" type="button" on:click=move |_| {
                                            let sure = web_sys::window().and_then(|w| w.confirm_with_message(t("Delete this rule?")).ok()).unwrap_or(false);
                                            if sure {
                                                change(index, |list, i| { list.remove(i); });
                                            }
                                        }>{t("Delete")}</button>
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            <button class="primary" type="button" data-test="rule-new"
                on:click=move |_| { problem.set(None); editing.set(Some((None, Draft::blank()))); }>{t("New rule")}</button>
            {move || editing.get().map(|(index, draft)| view! {
                <RuleForm draft problem
                    on_cancel=move || editing.set(None)
                    on_save=move |entry: RuleEntry| {
                        let mut list = entries.get_untracked();
                        match index {
                            Some(i) if i < list.len() => list[i] = entry,
                            _ => list.push(entry),
                        }
                        save(list, Some("Saved. Open shop pages have the new rules now."));
                    } />
            })}
            <Simulator entries />
        </main>
    }
}

/// The relay's refusal of a rule: `rules[2].when.all[0].path` → ("when[0]"-style field, sentence).
fn relay_problem(problem: &FieldProblem) -> (String, String) {
    let field = problem.field.split_once("].").map(|(_, rest)| rest.to_owned()).unwrap_or_default();
    let message = match &problem.problem {
        Problem::Rule { message } => message.clone(),
        other => format!("{other:?}"),
    };
    (field, message)
}

fn cap_words(cap: Cap) -> String {
    match cap {
        Cap::Page => t("once a page").to_owned(),
        Cap::Session => t("once a visit").to_owned(),
        Cap::Visitor => t("once per shopper").to_owned(),
        Cap::Days(days) => t("once every {n} days").replace("{n}", &days.to_string()),
    }
}

#[component]
fn RuleForm(
    draft: Draft,
    problem: RwSignal<Option<(String, String)>>,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
    on_save: impl Fn(RuleEntry) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let form = RwSignal::new(draft);
    let lang = RwSignal::new("en".to_owned());
    // The relay names fields as its validator does (`when.all[1].path`, `message.en`, `id`);
    // the form shows a problem under the part it concerns.
    let problem_under = move |prefix: &'static str| {
        move || problem.with(|p| p.as_ref().filter(|(field, _)| field.starts_with(prefix)).map(|(_, m)| m.clone()))
    };
    let condition_problem = move |index: usize| {
        move || {
            problem.with(|p| {
                let (field, message) = p.as_ref()?;
                let at = field.strip_prefix("when").unwrap_or(field);
                let own = [format!(".all[{index}]"), format!(".any[{index}]"), format!("[{index}]")];
                own.iter().any(|prefix| at.starts_with(prefix.as_str())).then(|| message.clone())
            })
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        match form.get_untracked().entry() {
            Ok(entry) => on_save(entry),
            Err(found) => problem.set(Some(found)),
        }
    };
    let text_of = move |which: fn(&Draft) -> &Vec<(String, String)>| {
        move || {
            form.with(|f| which(f).iter().find(|(l, _)| *l == lang.get()).map(|(_, t)| t.clone()).unwrap_or_default())
        }
    };
    let set_text = move |which: fn(&mut Draft) -> &mut Vec<(String, String)>, text: String| {
        form.update(|f| {
            let current = lang.get_untracked();
            if let Some(slot) = which(f).iter_mut().find(|(l, _)| *l == current) {
                slot.1 = text;
            }
        })
    };
    let id_problem = problem_under("id");
    let cap_problem = problem_under("cap");
    let message_problem = problem_under("message");
    let replies_problem = problem_under("replies");
    let rtl = move || matches!(lang.get().as_str(), "ar" | "fa");
    let kinds = Memo::new(move |_| form.with(|f| f.leaves.iter().map(|l| l.kind.clone()).collect::<Vec<_>>()));
    view! {
        <form class="rule-form" data-test="rule-form" on:submit=on_submit novalidate>
            <h2>{t("Rule")}</h2>
            <label for="rule-id">{t("Id (stays the same when the rule changes: reports count by it)")}</label>
            <input id="rule-id" type="text" prop:value=move || form.with(|f| f.id.clone())
                aria-describedby="rule-id-error" aria-invalid=move || id_problem().is_some().then_some("true")
                on:input=move |ev| form.update(|f| f.id = event_target_value(&ev)) />
            <p class="field-error" id="rule-id-error">{id_problem}</p>

            <label for="rule-cap">{t("Shows at most")}</label>
            <div class="colour-row">
                <select id="rule-cap" aria-describedby="rule-cap-error" on:change=move |ev| form.update(|f| f.cap = event_target_value(&ev))>
                    <option value="page" selected=move || form.with(|f| f.cap == "page")>{t("once a page")}</option>
                    <option value="session" selected=move || form.with(|f| f.cap == "session")>{t("once a visit")}</option>
                    <option value="visitor" selected=move || form.with(|f| f.cap == "visitor")>{t("once per shopper")}</option>
                    <option value="days" selected=move || form.with(|f| f.cap == "days")>{t("once every so many days")}</option>
                </select>
                <Show when=move || form.with(|f| f.cap == "days")>
                    <label class="visually-hidden" for="rule-days">{t("Days")}</label>
                    <input id="rule-days" type="number" min="1" prop:value=move || form.with(|f| f.days.clone())
                        on:input=move |ev| form.update(|f| f.days = event_target_value(&ev)) />
                </Show>
            </div>
            <p class="field-error" id="rule-cap-error">{cap_problem}</p>

            <fieldset>
                <legend>{t("When")}</legend>
                <label for="rule-group">{t("The prompt shows when")}</label>
                <select id="rule-group" on:change=move |ev| form.update(|f| f.any = event_target_value(&ev) == "any")>
                    <option value="all" selected=move || form.with(|f| !f.any)>{t("all of these hold")}</option>
                    <option value="any" selected=move || form.with(|f| f.any)>{t("any of these holds")}</option>
                </select>
                <ul class="plain-list conditions" data-test="rule-conditions">
                    // Drawn anew only when a condition comes, goes or changes kind: typing in a
                    // value keeps its field (and the keyboard's place).
                    {move || kinds.get().into_iter().enumerate().map(|(index, this_kind)| {
                        let kind_id = format!("rule-condition-{index}-kind");
                        let value_id = format!("rule-condition-{index}-value");
                        let error_id = format!("rule-condition-{index}-error");
                        let value = move || form.with(|f| f.leaves.get(index).map(|l| l.value.clone()).unwrap_or_default());
                        let unmet = condition_problem(index);
                        let set_value = move |value: String| form.update(|f| if let Some(l) = f.leaves.get_mut(index) { l.value = value; });
                        let choice_id = value_id.clone();
                        let choice = move |options: &'static [(&'static str, &'static str)]| view! {
                            <select id=choice_id.clone() aria-label=t("Value") on:change=move |ev| set_value(event_target_value(&ev))>
                                {options.iter().map(|(v, label)| view! { <option value=*v selected=move || value() == *v>{t(label)}</option> }).collect_view()}
                            </select>
                        };
                        let input = match this_kind.as_str() {
                            "exit_intent" | "agents_online" => choice(&[("true", "yes"), ("false", "no")]).into_any(),
                            "visitor" => choice(&[("new", "new"), ("returning", "returning")]).into_any(),
                            k => {
                                let numeric = !matches!(k, "path" | "step" | "event");
                                view! {
                                    <input id=value_id.clone() type="text" inputmode=numeric.then_some("decimal") aria-label=t("Value")
                                        aria-describedby=error_id.clone() aria-invalid=move || unmet().is_some().then_some("true")
                                        prop:value=value on:input=move |ev| set_value(event_target_value(&ev)) />
                                }.into_any()
                            }
                        };
                        let amount = this_kind.starts_with("cart_total");
                        view! {
                            <li class="condition">
                                <select id=kind_id aria-label=t("Condition") on:change=move |ev| {
                                    let new = Leaf::new(&event_target_value(&ev));
                                    form.update(|f| if let Some(l) = f.leaves.get_mut(index) { *l = new; });
                                }>
                                    {KINDS.iter().map(|k| view! { <option value=*k selected=this_kind == *k>{kind_name(k)}</option> }).collect_view()}
                                </select>
                                {input}
                                {amount.then(|| view! {
                                    <input type="text" maxlength="3" size="4" aria-label=t("Currency (empty: any)") placeholder="EUR"
                                        prop:value=move || form.with(|f| f.leaves.get(index).map(|l| l.currency.clone()).unwrap_or_default())
                                        on:input=move |ev| form.update(|f| if let Some(l) = f.leaves.get_mut(index) { l.currency = event_target_value(&ev); }) />
                                })}
                                <button class="link" type="button" on:click=move |_| form.update(|f| { if index < f.leaves.len() { f.leaves.remove(index); } })>{t("Remove")}</button>
                                <p class="field-error" id=error_id>{unmet}</p>
                            </li>
                        }
                    }).collect_view()}
                    {move || form.with(|f| f.groups.len()).gt(&0).then(|| view! {
                        <li class="hint">{t("and groups of conditions written in the configuration, kept as they are")}</li>
                    })}
                </ul>
                <button class="link" type="button" data-test="rule-add-condition"
                    on:click=move |_| form.update(|f| f.leaves.push(Leaf::new("path")))>{t("Add a condition")}</button>
            </fieldset>

            <fieldset>
                <legend>{t("What it says")}</legend>
                <label for="rule-language">{t("Language")}</label>
                <select id="rule-language" on:change=move |ev| lang.set(event_target_value(&ev))>
                    {LANGUAGES.iter().map(|code| view! { <option value=*code selected=move || lang.get() == *code>{language_name(code)}</option> }).collect_view()}
                </select>
                <label for="rule-message">{t("Message (English is required: it shows where no translation is)")}</label>
                <textarea id="rule-message" rows="2" dir="auto" prop:value=text_of(|d| &d.message)
                    aria-describedby="rule-message-error" aria-invalid=move || message_problem().is_some().then_some("true")
                    on:input=move |ev| set_text(|d| &mut d.message, event_target_value(&ev))></textarea>
                <p class="field-error" id="rule-message-error">{message_problem}</p>
                <label for="rule-replies">{t("One-tap replies, one per line (at most 4)")}</label>
                <textarea id="rule-replies" rows="3" dir="auto" prop:value=text_of(|d| &d.replies)
                    aria-describedby="rule-replies-error"
                    on:input=move |ev| set_text(|d| &mut d.replies, event_target_value(&ev))></textarea>
                <p class="field-error" id="rule-replies-error">{replies_problem}</p>
                <p class="hint">{t("As shoppers see it:")}</p>
                <div class="prompt-preview" data-test="rule-preview" dir=move || if rtl() { "rtl" } else { "ltr" }>
                    <p dir="auto">{move || {
                        let own = text_of(|d| &d.message)();
                        if own.trim().is_empty() { form.with(|f| f.message[0].1.clone()) } else { own }
                    }}</p>
                    <div class="prompt-preview-replies">
                        {move || text_of(|d| &d.replies)().lines().filter(|l| !l.trim().is_empty()).map(|line| view! { <span>{line.to_owned()}</span> }).collect_view()}
                    </div>
                </div>
            </fieldset>

            <label class="inline">
                <input type="checkbox" prop:checked=move || form.with(|f| f.enabled) on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev)) />
                {t(" On: shop pages use this rule")}
            </label>
            <div class="form-actions">
                <button class="primary" type="submit" data-test="rule-save">{t("Save rule")}</button>
                <button class="ghost" type="button" on:click=move |_| on_cancel()>{t("Cancel")}</button>
            </div>
        </form>
    }
}

/// The shop's rules against a shopper the admin describes, through the engine the widget runs:
/// which one would show (the first that fires), and for each other why not.
#[component]
fn Simulator(entries: RwSignal<Vec<RuleEntry>>) -> impl IntoView {
    let path = RwSignal::new("/checkout".to_owned());
    let step = RwSignal::new("payment".to_owned());
    let seconds_on_step = RwSignal::new("45".to_owned());
    let idle = RwSignal::new("10".to_owned());
    let total = RwSignal::new("64.50".to_owned());
    let currency = RwSignal::new("EUR".to_owned());
    let items = RwSignal::new("2".to_owned());
    let event = RwSignal::new(String::new());
    let exit_intent = RwSignal::new(false);
    let returning = RwSignal::new(false);
    let online = RwSignal::new(true);
    let verdicts = move || {
        let now = 10_000_000_000_i64;
        let seconds = |s: RwSignal<String>| s.with(|v| v.trim().parse::<i64>().unwrap_or(0));
        let cents = total.with(|v| (v.trim().replace(',', ".").parse::<f64>().unwrap_or(0.0) * 100.0).round() as i64);
        let (path, step, currency, event) = (path.get(), step.get(), currency.get().to_ascii_uppercase(), event.get());
        let events: Vec<String> = if event.trim().is_empty() { Vec::new() } else { vec![event.trim().to_owned()] };
        let ctx = Context {
            now_ms: now,
            path: &path,
            step: (!step.trim().is_empty()).then_some(step.trim()),
            step_since_ms: now - seconds(seconds_on_step) * 1000,
            last_activity_ms: now - seconds(idle) * 1000,
            cart: Some(Cart {
                total_cents: cents,
                currency: &currency,
                items: items.with(|v| v.trim().parse().unwrap_or(0)),
            }),
            exit_intent: exit_intent.get(),
            returning: returning.get(),
            events: &events,
            agents_online: Some(online.get()),
        };
        // As the widget gets them: only the rules that are on, offering help only while staffed.
        let rules: Vec<Rule> = entries.with(|list| checkout_chat_rules::editing::for_widget(list));
        let shown = checkout_chat_rules::choose(&rules, &ctx, &History::default(), "simulated", &[], Screen::default())
            .map(|r| r.id.clone());
        entries.with(|list| {
            list.iter()
                .map(|entry| {
                    let id = entry.rule.id.clone();
                    let verdict = if !entry.enabled {
                        t("is off").to_owned()
                    } else if shown.as_deref() == Some(id.as_str()) {
                        t("fires and shows").to_owned()
                    } else {
                        let rule = rules.iter().find(|r| r.id == id);
                        match rule.and_then(|r| first_unmet(&r.when, &ctx)) {
                            None => t("fires, but an earlier rule shows first").to_owned(),
                            Some(unmet) => format!("{} {}", t("does not fire:"), describe(unmet)),
                        }
                    };
                    (id, verdict)
                })
                .collect::<Vec<_>>()
        })
    };
    let field_row = |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <label for=id>{t(label)}</label>
            <input id=id type="text" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    let check = |label: &'static str, value: RwSignal<bool>, test: &'static str| {
        view! {
            <label class="inline">
                <input type="checkbox" data-test=test prop:checked=move || value.get() on:change=move |ev| value.set(event_target_checked(&ev)) />
                {t(label)}
            </label>
        }
    };
    view! {
        <section class="simulator" aria-labelledby="simulator-title">
            <h2 id="simulator-title">{t("Try it")}</h2>
            <p class="hint">{t("Describe a shopper; the rules run as on the shop's pages (a fresh visit, nothing shown before).")}</p>
            <div class="simulator-grid" data-test="simulator">
                {field_row("sim-path", "Page path", path)}
                {field_row("sim-step", "Checkout step", step)}
                {field_row("sim-seconds", "Seconds on the step", seconds_on_step)}
                {field_row("sim-idle", "Seconds without activity", idle)}
                {field_row("sim-total", "Cart total", total)}
                {field_row("sim-currency", "Currency", currency)}
                {field_row("sim-items", "Items in the cart", items)}
                {field_row("sim-event", "Event the page fired", event)}
            </div>
            {check(" About to leave (exit intent)", exit_intent, "sim-exit")}
            {check(" Returning shopper", returning, "sim-returning")}
            {check(" An agent is online", online, "sim-online")}
            <ul class="plain-list verdicts" data-test="simulator-verdicts" aria-live="polite">
                {move || verdicts().into_iter().map(|(id, verdict)| view! { <li><code>{id}</code>" "{verdict}</li> }).collect_view()}
            </ul>
        </section>
    }
}
