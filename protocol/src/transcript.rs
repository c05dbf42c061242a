//! A conversation as a readable plain-text file: what the widget offers to download and what the
//! relay emails. One renderer for both; the caller gives the words (in the reader's language) and
//! how to write a time.

use crate::event::{Author, EventBody};

/// The words of a transcript. `joined` contains `{name}`.
pub struct TranscriptLabels<'a> {
    pub title: &'a str,
    pub you: &'a str,
    pub team: &'a str,
    pub joined: &'a str,
    pub ended: &'a str,
}

/// One entry to render: when, who, what.
pub type TranscriptEntry<'a> = (i64, &'a Author, &'a EventBody);

/// Renders the entries under a heading, one line per entry:
/// `[14:05] Anna de Vries: Your parcel left today.`
pub fn render<'a>(
    shop_name: &str,
    labels: &TranscriptLabels<'_>,
    entries: impl IntoIterator<Item = TranscriptEntry<'a>>,
    time: impl Fn(i64) -> String,
) -> String {
    let mut out = format!("{} – {shop_name}\n\n", labels.title);
    for (at_ms, author, body) in entries {
        let who = match author {
            Author::Visitor => labels.you.to_owned(),
            Author::Agent(agent) => agent.name.clone(),
            Author::System => labels.team.to_owned(),
        };
        let line = match body {
            EventBody::Message { text }
            | EventBody::LeftMessage { text, .. }
            | EventBody::Prompted { message: text, .. } => {
                format!("{who}: {}", text.replace('\n', "\n    "))
            }
            EventBody::Joined => format!("— {} —", labels.joined.replace("{name}", &who)),
            EventBody::Closed { .. } => format!("— {} —", labels.ended),
            EventBody::Rated { score, comment } => {
                let stars = "★".repeat(usize::from(*score).min(5));
                match comment {
                    Some(comment) => format!("{who}: {stars} – {}", comment.replace('\n', "\n    ")),
                    None => format!("{who}: {stars}"),
                }
            }
            // A reopened chat reads on from its end: the shopper's next words say it.
            EventBody::TranscriptRequested { .. }
            | EventBody::Note { .. }
            | EventBody::Handover { .. }
            | EventBody::Reopened => continue,
        };
        out.push_str(&format!("[{}] {line}\n", time(at_ms)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::AgentProfile;
    use crate::ids::AgentId;

    #[test]
    fn a_transcript_reads_like_the_conversation() {
        let anna = Author::Agent(AgentProfile { id: AgentId::new("a").unwrap(), name: "Anna".into() });
        let question = EventBody::Message { text: "Where is\nmy order?".into() };
        let joined = EventBody::Joined;
        let answer = EventBody::Message { text: "<b>On its way</b>".into() };
        let asked = EventBody::TranscriptRequested { email: "a@b.example".into() };
        let closed = EventBody::Closed { reason: None };
        let rated = EventBody::Rated { score: 4, comment: Some("Quick and\nkind".into()) };
        let note = EventBody::Note { text: "internal: VIP".into() };
        let labels = TranscriptLabels {
            title: "Chat transcript",
            you: "You",
            team: "Shop",
            joined: "{name} joined",
            ended: "Chat ended",
        };
        let entries = [
            (1, &Author::Visitor, &question),
            (2, &anna, &joined),
            (3, &anna, &answer),
            (3, &anna, &note),
            (4, &Author::Visitor, &asked),
            (5, &anna, &closed),
            (6, &Author::Visitor, &rated),
        ];
        let text = render("Nordhavn Coffee", &labels, entries, |ms| format!("t{ms}"));
        assert_eq!(
            text,
            "Chat transcript – Nordhavn Coffee\n\n\
             [t1] You: Where is\n    my order?\n\
             [t2] — Anna joined —\n\
             [t3] Anna: <b>On its way</b>\n\
             [t5] — Chat ended —\n\
             [t6] You: ★★★★ – Quick and\n    kind\n"
        );
    }
}
