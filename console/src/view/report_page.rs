//! The report page: what the shop's proactive prompts bring, for a period the agent picks. Opens
//! on the relay's default (the last 30 days) and fills the date fields with it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::format::{share, utc_day};
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
                <label for="report-from">{t("From")}</label>
                <input id="report-from" name="from" type="date"
                    prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev)) />
                <label for="report-to">{t("To")}</label>
                <input id="report-to" name="to" type="date"
                    prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev)) />
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
    let period =
        t("{from} to {to}").replace("{from}", &utc_day(report.from_ms)).replace("{to}", &utc_day(report.to_ms - 1));
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
