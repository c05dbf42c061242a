//! The report page: what the shop's proactive prompts bring, for a period the agent picks. Opens
//! on the relay's default (the last 30 days) and fills the date fields with it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::format::{long_utc_day, month_name, share, utc_day};
use crate::i18n::t;
use checkout_chat_protocol::report::{Cohort, Report, RuleReport};

#[component]
pub fn ReportPage() -> impl IntoView {
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let report = RwSignal::new(None::<Report>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Only the latest request's answer is shown: an agent may press Show again before the first
    // answer is in, and the answers may arrive in either order.
    let latest = StoredValue::new(0u32);
    let load = move || {
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        busy.set(true);
        spawn_local(async move {
            let answer = api::report(&from.get_untracked(), &to.get_untracked()).await;
            if latest.get_value() != ticket {
                return;
            }
            match answer {
                Ok(answer) => {
                    show_period(&answer, from, to);
                    error.set(None);
                    report.set(Some(answer));
                }
                Err(message) => {
                    // The tables of an earlier period beside the error would read as its answer.
                    report.set(None);
                    error.set(Some(message));
                }
            }
            busy.set(false);
        });
    };
    load();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        load();
    };
    view! {
        <main class="report-page">
            <h1>{t("Proactive prompts")}</h1>
            <p class="muted">
                {t("Sessions that began in the period (UTC days). Every rate is shown with its counts; orders are counted per session: “50.0 % (1 of 2)” is one of two sessions that ended in an order.")}
            </p>
            <form class="report-form" on:submit=on_submit>
                <DateField id="report-from" label=t("From") day=from />
                <DateField id="report-to" label=t("To") day=to />
                <button class="primary" type="submit" data-test="show-report" disabled=move || busy.get()>{t("Show")}</button>
                <span class="muted" role="status">{move || busy.get().then_some(t("Loading…"))}</span>
            </form>
            <Show when=move || error.with(Option::is_some)>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            {move || report.get().map(|report| view! { <ReportTables report /> })}
        </main>
    }
}

/// Fills the date fields left empty with the period the relay chose, so the agent sees which
/// days the numbers are for (the period ends just before `to_ms`).
fn show_period(report: &Report, from: RwSignal<String>, to: RwSignal<String>) {
    if from.with_untracked(String::is_empty) {
        from.set(utc_day(report.from_ms));
    }
    if to.with_untracked(String::is_empty) {
        to.set(utc_day(report.to_ms - 1));
    }
}

#[component]
fn ReportTables(report: Report) -> impl IntoView {
    let period = t("{from} to {to}")
        .replace("{from}", &long_utc_day(report.from_ms))
        .replace("{to}", &long_utc_day(report.to_ms - 1));
    let rules = if report.rules.is_empty() {
        view! { <tr><td colspan="7" class="empty-note">{t("No proactive rules are set up, and no prompt was shown in this period.")}</td></tr> }
            .into_any()
    } else {
        report.rules.into_iter().map(|rule| view! { <RuleRow rule /> }).collect_view().into_any()
    };
    view! {
        <table id="report" class="report-table">
            <caption>{t("Prompts, {period}").replace("{period}", &period)}</caption>
            <thead>
                <tr>
                    <th scope="col">{t("Rule")}</th>
                    <th scope="col">{t("Shown")}</th>
                    <th scope="col">{t("Accepted")}</th>
                    <th scope="col">{t("Dismissed")}</th>
                    <th scope="col">{t("Chats started")}</th>
                    <th scope="col">{t("Sessions with an order, when accepted")}</th>
                    <th scope="col">{t("Sessions with an order, when shown but not accepted")}</th>
                </tr>
            </thead>
            <tbody>{rules}</tbody>
        </table>
        <table id="report-shop" class="report-table">
            <caption>{t("Whole shop, {period}").replace("{period}", &period)}</caption>
            <thead>
                <tr>
                    <th scope="col">{t("Sessions")}</th>
                    <th scope="col">{t("Count")}</th>
                    <th scope="col">{t("With an order")}</th>
                </tr>
            </thead>
            <tbody>
                <CohortRow row="all" label=t("All sessions") cohort=report.all_sessions />
                <CohortRow row="no-prompt" label=t("With no prompt") cohort=report.no_prompt_sessions />
                <CohortRow row="chat" label=t("With a chat") cohort=report.chat_sessions />
            </tbody>
        </table>
    }
}

#[component]
fn RuleRow(rule: RuleReport) -> impl IntoView {
    view! {
        <tr data-rule=rule.rule_id.clone()>
            <th scope="row" dir="auto">{rule.rule_id.clone()}</th>
            <td data-col="shown">{rule.shown}</td>
            <td data-col="accepted">{share(rule.accepted, rule.shown)}</td>
            <td data-col="dismissed">{share(rule.dismissed, rule.shown)}</td>
            <td data-col="chats">{rule.chats}</td>
            <td data-col="orders-accepted">{orders(rule.accepted_sessions)}</td>
            <td data-col="orders-ignored">{orders(rule.ignored_sessions)}</td>
        </tr>
    }
}

#[component]
fn CohortRow(row: &'static str, label: &'static str, cohort: Cohort) -> impl IntoView {
    view! {
        <tr data-row=row>
            <th scope="row">{label}</th>
            <td data-col="sessions">{cohort.sessions}</td>
            <td data-col="orders">{orders(cohort)}</td>
        </tr>
    }
}

/// "50.0 % (1 of 2)": the sessions of `cohort` that ended in an order.
fn orders(cohort: Cohort) -> String {
    share(cohort.converted, cohort.sessions)
}

/// How many years back the period may start.
const YEARS_BACK: i32 = 3;
const DAY_MS: i64 = 86_400_000;

/// A UTC day (`YYYY-MM-DD` in `day`) picked as day, month and year, the month by its name in the
/// console's language: the browser's own date picker writes dates its own way, whatever
/// language the agent chose. A day past the month's end is taken as its last day.
#[component]
fn DateField(id: &'static str, label: &'static str, day: RwSignal<String>) -> impl IntoView {
    let part = move |range: std::ops::Range<usize>| day.with(|d| d.get(range).and_then(|p| p.parse::<i32>().ok()));
    let set = move |year: i32, month: i32, wanted: i32| {
        let last = days_in_month(year, month);
        day.set(format!("{year:04}-{month:02}-{:02}", wanted.clamp(1, last)));
    };
    let this_year = js_sys::Date::new_0().get_utc_full_year() as i32;
    let value = |ev: &leptos::ev::Event| event_target_value(ev).parse::<i32>().unwrap_or(1);
    let (year, month, date) = (move || part(0..4), move || part(5..7), move || part(8..10));
    view! {
        <fieldset class="date-field" id=id>
            <legend>{label}</legend>
            <label class="visually-hidden" for=format!("{id}-day")>{t("Day")}</label>
            <select id=format!("{id}-day") prop:value=move || date().map(|d| d.to_string()).unwrap_or_default() on:change=move |ev| set(year().unwrap_or(this_year), month().unwrap_or(1), value(&ev))>
                {(1..=31).map(|d| view! { <option value=d.to_string()>{d}</option> }).collect_view()}
            </select>
            <label class="visually-hidden" for=format!("{id}-month")>{t("Month")}</label>
            <select id=format!("{id}-month") prop:value=move || month().map(|m| m.to_string()).unwrap_or_default() on:change=move |ev| set(year().unwrap_or(this_year), value(&ev), date().unwrap_or(1))>
                {(1..=12).map(|m| {
                    // Any day of month m: only its name is used.
                    let name = month_name(js_sys::Date::utc(2001.0, f64::from(m - 1)) as i64 + 14 * DAY_MS);
                    view! { <option value=m.to_string()>{name}</option> }
                }).collect_view()}
            </select>
            <label class="visually-hidden" for=format!("{id}-year")>{t("Year")}</label>
            <select id=format!("{id}-year") prop:value=move || year().map(|y| y.to_string()).unwrap_or_default() on:change=move |ev| set(value(&ev), month().unwrap_or(1), date().unwrap_or(1))>
                {(this_year - YEARS_BACK..=this_year).map(|y| view! { <option value=y.to_string()>{y}</option> }).collect_view()}
            </select>
        </fieldset>
    }
}

fn days_in_month(year: i32, month: i32) -> i32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_have_their_days() {
        assert_eq!(super::days_in_month(2028, 2), 29);
        assert_eq!(super::days_in_month(2100, 2), 28);
        assert_eq!(super::days_in_month(2000, 2), 29);
        assert_eq!(super::days_in_month(2026, 11), 30);
        assert_eq!(super::days_in_month(2026, 12), 31);
    }
}
