//! The console's languages: English (the texts in the code) and Dutch. The agent's choice is
//! kept in the browser; without one, the browser's language decides. Switching reloads the
//! console, so every text is simply looked up once when it is drawn.

use std::sync::OnceLock;

const LANG_KEY: &str = "cc-console-lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Nl,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Nl];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    /// The language's own name, as a speaker looks for it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nl => "Nederlands",
        }
    }

    fn from_tag(tag: &str) -> Lang {
        if tag.to_ascii_lowercase().starts_with("nl") { Lang::Nl } else { Lang::En }
    }
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// The console's language for this page load.
pub fn lang() -> Lang {
    *LANG.get_or_init(|| {
        let window = web_sys::window();
        let chosen = window.as_ref().and_then(|w| w.local_storage().ok().flatten()?.get_item(LANG_KEY).ok().flatten());
        let tag = chosen.or_else(|| window.as_ref().and_then(|w| w.navigator().language())).unwrap_or_default();
        Lang::from_tag(&tag)
    })
}

/// Keeps the agent's choice and reloads the console in it.
pub fn choose(code: &str) {
    let Some(window) = web_sys::window() else { return };
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(LANG_KEY, code);
    }
    let _ = window.location().reload();
}

/// The text in the console's language (the English text when there is no translation).
pub fn t(english: &'static str) -> &'static str {
    t_in(lang(), english)
}

/// [`t`] for a given language (also where there is no browser, as in unit tests).
pub fn t_in(lang: Lang, english: &'static str) -> &'static str {
    match lang {
        Lang::En => english,
        Lang::Nl => dutch(english).unwrap_or(english),
    }
}

fn dutch(english: &str) -> Option<&'static str> {
    DUTCH.iter().find(|(en, _)| *en == english).map(|(_, nl)| *nl)
}

/// English → Dutch. Placeholders (`{who}`, `{{name}}`) stay as they are.
const DUTCH: &[(&str, &str)] = &[
    (" Admin (manages the team and canned responses)", " Beheerder (beheert het team en de standaardantwoorden)"),
    (" Internal note (only agents see it)", " Interne notitie (alleen medewerkers zien die)"),
    (" Sound", " Geluid"),
    ("A shortcut has 1 to 32 characters: a-z, 0-9, - and _", "Een sneltoets heeft 1 tot 32 tekens: a-z, 0-9, - en _"),
    ("A supervisor", "Een leidinggevende"),
    ("Activity", "Activiteit"),
    ("Add an agent", "Medewerker toevoegen"),
    ("Add note", "Notitie toevoegen"),
    ("Add or replace", "Toevoegen of vervangen"),
    ("Add", "Toevoegen"),
    ("Admin", "Beheerder"),
    ("Agent console", "Medewerkersconsole"),
    ("Agent", "Medewerker"),
    ("All open", "Alle open"),
    ("Anonymous", "Anoniem"),
    ("Away", "Afwezig"),
    ("Block as spam", "Blokkeren als spam"),
    (
        "Block this shopper? The chat ends, they cannot start a new one, and nobody at their address can for an hour.",
        "Deze klant blokkeren? De chat eindigt, de klant kan geen nieuwe beginnen, en niemand op hun adres kan dat een uur lang.",
    ),
    ("Block", "Blokkeren"),
    ("Cancel", "Annuleren"),
    ("Canned responses (Tab inserts the first)", "Standaardantwoorden (Tab voegt het eerste in)"),
    ("Canned responses", "Standaardantwoorden"),
    ("Capacity", "Capaciteit"),
    ("Cart", "Winkelwagen"),
    ("Checkout", "Afrekenen"),
    ("Choose a conversation on the left.", "Kies links een gesprek."),
    ("Closed", "Gesloten"),
    ("Connecting…", "Verbinden…"),
    ("Console", "Console"),
    ("Conversations", "Gesprekken"),
    ("Device", "Apparaat"),
    ("Disable", "Uitschakelen"),
    ("Discard", "Weggooien"),
    ("Disconnected", "Geen verbinding"),
    ("Dismiss", "Sluiten"),
    ("Earlier conversations", "Eerdere gesprekken"),
    ("Email", "E-mail"),
    ("Email:", "E-mail:"),
    ("Enable", "Inschakelen"),
    ("End chat", "Chat beëindigen"),
    (
        "End this chat? The shopper is asked to rate it.",
        "Deze chat beëindigen? De klant wordt gevraagd om een beoordeling.",
    ),
    ("Ended", "Beëindigd"),
    ("Language", "Taal"),
    ("Log in to answer your shop's shoppers.", "Log in om de klanten van je winkel te helpen."),
    ("Log in", "Inloggen"),
    ("Log out", "Uitloggen"),
    ("Login failed", "Inloggen mislukt"),
    ("Mine", "Van mij"),
    ("Name", "Naam"),
    ("New chat", "Nieuwe chat"),
    ("New message", "Nieuw bericht"),
    ("New password (at least 8 characters)", "Nieuw wachtwoord (minstens 8 tekens)"),
    ("No cart yet", "Nog geen winkelwagen"),
    ("No pages yet", "Nog geen pagina's"),
    ("None", "Geen"),
    ("Not in checkout", "Niet aan het afrekenen"),
    ("Not sent", "Niet verzonden"),
    ("Nobody else is online to take this chat.", "Er is verder niemand online om deze chat over te nemen."),
    ("Note for them", "Notitie voor de collega"),
    (
        "Nothing here. New chats appear as shoppers write.",
        "Niets hier. Nieuwe chats verschijnen zodra klanten schrijven.",
    ),
    ("Nothing yet", "Nog niets"),
    ("Notify me", "Meldingen aan"),
    ("Now", "Nu"),
    ("Online", "Online"),
    ("Open", "Open"),
    ("Order", "Bestelling"),
    ("Pages visited", "Bezochte pagina's"),
    ("Password", "Wachtwoord"),
    ("Prompt", "Uitnodiging"),
    ("Rated", "Beoordeeld"),
    ("Reconnecting…", "Opnieuw verbinden…"),
    ("Remove", "Verwijderen"),
    ("Reply", "Antwoord"),
    ("Report", "Rapport"),
    ("Reset password", "Wachtwoord opnieuw instellen"),
    ("Retry", "Opnieuw"),
    ("Role", "Rol"),
    ("Save", "Opslaan"),
    ("Send", "Versturen"),
    ("Sending…", "Versturen…"),
    ("Shopper", "Klant"),
    ("Close", "Sluiten"),
    ("Day", "Dag"),
    ("Month", "Maand"),
    ("Year", "Jaar"),
    ("Another agent has this chat now.", "Een andere medewerker heeft deze chat nu."),
    ("This chat has ended.", "Deze chat is beëindigd."),
    ("This conversation no longer exists.", "Dit gesprek bestaat niet meer."),
    ("That colleague is no longer on the team.", "Die collega hoort niet meer bij het team."),
    ("No supervisor is online just now.", "Er is nu geen leidinggevende online."),
    ("This chat is already yours.", "Deze chat is al van jou."),
    (
        "That colleague has gone offline: choose someone online.",
        "Die collega is offline gegaan: kies iemand die online is.",
    ),
    ("You cannot do that.", "Dat kun je niet doen."),
    ("That is no longer there.", "Dat is er niet meer."),
    ("Too much at once: wait a moment and try again.", "Te veel tegelijk: wacht even en probeer het opnieuw."),
    ("The relay could not do that just now: try again.", "De relay kon dat nu niet doen: probeer het opnieuw."),
    ("That did not work: try again.", "Dat is niet gelukt: probeer het opnieuw."),
    ("The shopper wrote again: the chat is open again", "De klant schreef opnieuw: het gesprek is weer open"),
    ("Show more", "Meer tonen"),
    ("Shortcut", "Sneltoets"),
    ("Started from a prompt", "Begonnen vanuit een uitnodiging"),
    ("System", "Systeem"),
    ("Take this chat", "Deze chat aannemen"),
    ("Team", "Team"),
    ("Text", "Tekst"),
    ("The account could not be added", "Het account kon niet worden toegevoegd"),
    ("The cart is empty", "De winkelwagen is leeg"),
    ("The change could not be saved", "De wijziging kon niet worden opgeslagen"),
    ("The relay cannot be reached.", "De relay is niet bereikbaar."),
    ("The relay refused", "De relay weigerde"),
    ("The report could not be made", "Het rapport kon niet worden gemaakt"),
    ("The report could not be read", "Het rapport kon niet worden gelezen"),
    ("The shopper asked for the transcript at {email}", "De klant vroeg het gesprek per e-mail op {email}"),
    ("The shopper is typing…", "De klant typt…"),
    ("Total ", "Totaal "),
    ("Transfer to", "Doorverbinden naar"),
    ("Transfer", "Doorverbinden"),
    (
        "Type /shortcut in a reply and a space (or Tab) to insert one. {{name}}, {{cart_total}} and {{order_id}} are filled in for the shopper; {{name|there}} says “there” when the name is not known. A version for the shopper's language is used before the one for every language.",
        "Typ /sneltoets en een spatie (of Tab) in een antwoord om er een in te voegen. {{name}}, {{cart_total}} en {{order_id}} worden voor de klant ingevuld; {{name|there}} zegt “there” als de naam niet bekend is. Een versie in de taal van de klant gaat voor de versie voor elke taal.",
    ),
    ("Unverified", "Niet geverifieerd"),
    ("Verified customer", "Geverifieerde klant"),
    ("Verified user id", "Geverifieerd klantnummer"),
    ("Waiting", "Wachtend"),
    ("With", "Bij"),
    (
        "Write a reply… (Enter sends, Shift+Enter for a new line, /shortcut for a canned response)",
        "Schrijf een antwoord… (Enter verstuurt, Shift+Enter voor een nieuwe regel, /sneltoets voor een standaardantwoord)",
    ),
    (
        "Your session has ended: log in again to see the report.",
        "Je sessie is verlopen: log opnieuw in om het rapport te zien.",
    ),
    ("Your status", "Je status"),
    ("away", "afwezig"),
    ("completed", "afgerond"),
    ("disabled", "uitgeschakeld"),
    ("for", "sinds"),
    ("internal note", "interne notitie"),
    ("item", "artikel"),
    ("items", "artikelen"),
    ("offline", "offline"),
    ("online", "online"),
    ("unanswered", "onbeantwoord"),
    ("unknown", "onbekend"),
    ("unverified", "niet geverifieerd"),
    ("user id", "klantnummer"),
    ("verified", "geverifieerd"),
    ("waiting", "wacht"),
    ("{who} ended the conversation", "{who} heeft het gesprek beëindigd"),
    ("{who} joined the conversation", "{who} neemt deel aan het gesprek"),
    ("{who} left a message – reply to {email}", "{who} liet een bericht achter – antwoord naar {email}"),
    ("{who} transferred the chat to {to}", "{who} heeft de chat doorverbonden met {to}"),
    ("({part} of {whole})", "({part} van {whole})"),
    ("All sessions", "Alle sessies"),
    ("Accepted", "Aangenomen"),
    ("Chats started", "Gestarte chats"),
    ("Count", "Aantal"),
    ("Dismissed", "Weggeklikt"),
    ("From", "Van"),
    ("Loading…", "Bezig met laden…"),
    (
        "No proactive rules are set up, and no prompt was shown in this period.",
        "Er zijn geen proactieve regels ingesteld en in deze periode is geen uitnodiging getoond.",
    ),
    ("Proactive prompts", "Proactieve uitnodigingen"),
    ("Prompts, {period}", "Uitnodigingen, {period}"),
    ("Rule", "Regel"),
    ("Sessions", "Sessies"),
    (
        "Sessions that began in the period (UTC days). Every rate is shown with its counts; orders are counted per session: “50.0 % (1 of 2)” is one of two sessions that ended in an order.",
        "Sessies die in de periode begonnen (UTC-dagen). Elk percentage staat bij de aantallen; bestellingen tellen per sessie: “50,0 % (1 van 2)” is één van twee sessies die met een bestelling eindigden.",
    ),
    ("Sessions with an order, when accepted", "Sessies met een bestelling, na aannemen"),
    ("Sessions with an order, when shown but not accepted", "Sessies met een bestelling, getoond maar niet aangenomen"),
    ("Show", "Tonen"),
    ("Shown", "Getoond"),
    ("To", "Tot en met"),
    ("Whole shop, {period}", "Hele winkel, {period}"),
    ("With a chat", "Met een chat"),
    ("With an order", "Met een bestelling"),
    ("With no prompt", "Zonder uitnodiging"),
    ("{from} to {to}", "{from} tot en met {to}"),
    ("{who} went offline; the chat went back to the queue", "{who} ging offline; de chat staat weer in de wachtrij"),
    ("Every language", "Elke taal"),
    ("For shoppers in", "Voor klanten in"),
    ("Search", "Zoeken"),
    ("Actions", "Acties"),
    ("Edit", "Bewerken"),
    ("Text of", "Tekst van"),
    (
        "No canned responses yet. Add one below: a shortcut, like shipping, and the text it stands for.",
        "Nog geen standaardantwoorden. Voeg er hieronder een toe: een sneltoets, zoals verzending, en de tekst die erbij hoort.",
    ),
    (
        "No canned responses yet. An admin of your shop can add them here.",
        "Nog geen standaardantwoorden. Een beheerder van je winkel kan ze hier toevoegen.",
    ),
    ("No canned response matches the search.", "Geen standaardantwoord past bij de zoekopdracht."),
    ("Missed", "Gemist"),
    ("Online now", "Nu online"),
    ("Left {time} ago", "{time} geleden weggegaan"),
    (
        "Closed by itself: the shopper left and did not come back",
        "Vanzelf gesloten: de klant is weggegaan en niet teruggekomen",
    ),
    (
        "Missed: the shopper left with a message unanswered",
        "Gemist: de klant is weggegaan met een onbeantwoord bericht",
    ),
    ("Visitor", "Bezoeker"),
    ("Cart: {count} {items}, {total}", "Winkelwagen: {count} {items}, {total}"),
    ("Checkout step: {step}", "Afrekenstap: {step}"),
    ("Order {order} completed, {total}", "Bestelling {order} afgerond, {total}"),
    ("Prompt {rule} shown", "Uitnodiging {rule} getoond"),
    ("Prompt {rule} accepted", "Uitnodiging {rule} aangenomen"),
    ("Prompt {rule} dismissed", "Uitnodiging {rule} weggeklikt"),
    ("Chat started from prompt {rule}", "Chat begonnen vanuit uitnodiging {rule}"),
    ("Chat started", "Chat begonnen"),
    ("Event {name}", "Gebeurtenis {name}"),
    ("cart", "winkelwagen"),
    ("information", "gegevens"),
    ("shipping", "verzending"),
    ("payment", "betaling"),
    ("review", "controle"),
    ("confirmation", "bevestiging"),
    ("Latest first", "Nieuwste eerst"),
    (
        "Mail is not set up: transcripts that shoppers ask for wait until an SMTP server is configured ([smtp] in the relay's configuration).",
        "E-mail is niet ingesteld: transcripten die klanten vragen wachten tot er een SMTP-server is ingesteld ([smtp] in de configuratie van de relay).",
    ),
    (
        " We're away: shoppers may leave a message, even when agents are online",
        " We zijn afwezig: klanten kunnen een bericht achterlaten, ook als er medewerkers online zijn",
    ),
    ("Allowed origins", "Toegestane origins"),
    ("Allowed origins, one per line (empty: any site)", "Toegestane origins, één per regel (leeg: elke site)"),
    ("Arabic", "Arabisch"),
    ("At most {max} characters.", "Hoogstens {max} tekens."),
    ("At most {max} entries.", "Hoogstens {max} regels."),
    ("Bottom left", "Linksonder"),
    ("Bottom right", "Rechtsonder"),
    ("Bottom, at the end of the reading direction", "Onderaan, aan het eind van de leesrichting"),
    ("Colour", "Kleur"),
    ("Corner", "Hoek"),
    ("Default colour", "Standaardkleur"),
    ("Dutch", "Nederlands"),
    ("Empty fields keep the widget's own text.", "Lege velden houden de eigen tekst van de widget."),
    ("English", "Engels"),
    ("Greeting", "Begroeting"),
    ("Latest changes", "Laatste wijzigingen"),
    (
        "A snippet that sets data-color or data-position itself keeps its own.",
        "Een snippet die zelf data-color of data-position zet, houdt die.",
    ),
    ("Line", "Regel"),
    ("Name shown", "Getoonde naam"),
    ("Persian", "Perzisch"),
    ("Pick a colour, such as #0f766e.", "Kies een kleur, zoals #0f766e."),
    ("Reply time", "Reactietijd"),
    (
        "Reply time, as in “We usually reply within a few minutes”",
        "Reactietijd, zoals in “We reageren meestal binnen een paar minuten”",
    ),
    ("Saved. Open chats show the change now.", "Opgeslagen. Open chats tonen de wijziging nu."),
    ("Settings", "Instellingen"),
    ("Some fields need a change; see below each.", "Enkele velden moeten anders; zie onder elk veld."),
    ("Texts, per language", "Teksten, per taal"),
    ("The chat on your shop", "De chat in je winkel"),
    ("The widget does not speak this language.", "De widget spreekt deze taal niet."),
    ("This cannot be empty.", "Dit mag niet leeg zijn."),
    ("We're away", "We zijn afwezig"),
    ("Where the chat may open", "Waar de chat mag openen"),
    (
        "Write an origin such as https://shop.example (no path).",
        "Schrijf een origin zoals https://shop.example (zonder pad).",
    ),
    ("contrast", "contrast"),
    ("dark text", "donkere tekst"),
    ("first settings, from the configuration file", "eerste instellingen, uit het configuratiebestand"),
    ("nothing", "niets"),
    ("the relay", "de relay"),
    ("white text", "witte tekst"),
    (" About to leave (exit intent)", " Staat op het punt te vertrekken (exit intent)"),
    (" An agent is online", " Er is een medewerker online"),
    (" On: shop pages use this rule", " Aan: winkelpagina's gebruiken deze regel"),
    (" Returning shopper", " Terugkerende klant"),
    ("About to leave (exit intent)", "Staat op het punt te vertrekken (exit intent)"),
    ("Add a condition", "Voorwaarde toevoegen"),
    ("Agents online", "Medewerkers online"),
    ("As shoppers see it:", "Zoals klanten het zien:"),
    ("At most", "Hoogstens"),
    ("Cart total", "Totaal winkelwagen"),
    ("Cart total at least", "Totaal winkelwagen minstens"),
    ("Cart total at most", "Totaal winkelwagen hoogstens"),
    ("Chat widget", "Chatwidget"),
    ("Checkout step", "Afrekenstap"),
    ("Checkout step is", "Afrekenstap is"),
    ("Condition", "Voorwaarde"),
    ("Currency", "Valuta"),
    ("Currency (empty: any)", "Valuta (leeg: elke)"),
    ("Days", "Dagen"),
    ("Delete this rule?", "Deze regel verwijderen?"),
    (
        "Describe a shopper; the rules run as on the shop's pages (a fresh visit, nothing shown before).",
        "Beschrijf een klant; de regels werken zoals op de winkelpagina's (een nieuw bezoek, nog niets getoond).",
    ),
    ("Duplicate", "Dupliceren"),
    ("Event the page fired", "Gebeurtenis van de pagina"),
    (
        "Id (stays the same when the rule changes: reports count by it)",
        "Id (blijft gelijk als de regel verandert: rapporten tellen ermee)",
    ),
    ("Items in the cart", "Artikelen in de winkelwagen"),
    ("Items in the cart, at least", "Artikelen in de winkelwagen, minstens"),
    ("Items in the cart, at most", "Artikelen in de winkelwagen, hoogstens"),
    (
        "Message (English is required: it shows where no translation is)",
        "Bericht (Engels is verplicht: het verschijnt waar geen vertaling is)",
    ),
    ("New rule", "Nieuwe regel"),
    ("On", "Aan"),
    ("One-tap replies, one per line (at most 4)", "Snelle antwoorden, één per regel (hoogstens 4)"),
    ("Page path", "Paginapad"),
    ("Page path is", "Paginapad is"),
    ("Proactive rules", "Proactieve regels"),
    ("Questions about your order? We're here to help.", "Vragen over je bestelling? We helpen je graag."),
    ("Save rule", "Regel opslaan"),
    ("Saved. Open shop pages have the new rules now.", "Opgeslagen. Open winkelpagina's hebben de nieuwe regels nu."),
    ("Says (English)", "Zegt (Engels)"),
    ("Seconds on the step", "Seconden op de stap"),
    ("Seconds on the step, at least", "Seconden op de stap, minstens"),
    ("Seconds without activity", "Seconden zonder activiteit"),
    ("Seconds without activity, at least", "Seconden zonder activiteit, minstens"),
    ("Shopper is", "Klant is"),
    ("Shows at most", "Verschijnt hoogstens"),
    (
        "The first rule that fires shows; order is priority. Saved rules reach shop pages that are open at once.",
        "De eerste regel die afgaat verschijnt; de volgorde is de prioriteit. Opgeslagen regels bereiken open winkelpagina's meteen.",
    ),
    ("The prompt shows when", "De prompt verschijnt als"),
    ("The shop's page fired the event", "De winkelpagina gaf de gebeurtenis"),
    ("Try it", "Probeer het"),
    ("Value", "Waarde"),
    ("What it says", "Wat hij zegt"),
    ("When", "Wanneer"),
    ("Write a whole number.", "Schrijf een heel getal."),
    ("Write an amount, such as 49.95.", "Schrijf een bedrag, zoals 49.95."),
    ("all of a group of conditions", "alle voorwaarden van een groep"),
    ("all of these hold", "al deze voorwaarden gelden"),
    ("an agent is online", "er is een medewerker online"),
    (
        "and groups of conditions written in the configuration, kept as they are",
        "en groepen voorwaarden uit de configuratie, die blijven zoals ze zijn",
    ),
    ("any of these holds", "een van deze voorwaarden geldt"),
    ("does not fire:", "gaat niet af:"),
    ("fires and shows", "gaat af en verschijnt"),
    ("fires, but an earlier rule shows first", "gaat af, maar een eerdere regel verschijnt eerst"),
    ("is off", "staat uit"),
    ("new", "nieuw"),
    ("no", "nee"),
    ("no agent is online", "er is geen medewerker online"),
    ("none of a group of conditions", "geen van de voorwaarden van een groep"),
    ("once a page", "eens per pagina"),
    ("once a visit", "eens per bezoek"),
    ("once every so many days", "eens per zoveel dagen"),
    ("once every {n} days", "eens per {n} dagen"),
    ("once per shopper", "eens per klant"),
    ("returning", "terugkerend"),
    ("the shopper is about to leave", "de klant staat op het punt te vertrekken"),
    ("the shopper is not about to leave", "de klant staat niet op het punt te vertrekken"),
    ("yes", "ja"),
    ("Delete", "Verwijderen"),
    ("Install", "Installeren"),
    ("The snippet", "De snippet"),
    (
        "Paste it once into your shop's pages, before </body>.",
        "Plak hem één keer in de pagina's van je winkel, vóór </body>.",
    ),
    ("Copy the snippet", "Snippet kopiëren"),
    ("Copied.", "Gekopieerd."),
    ("Select the snippet and copy it.", "Selecteer de snippet en kopieer hem."),
    ("Where the chat was seen", "Waar de chat gezien is"),
    (
        "Not seen yet: open a page of your shop with the snippet, then come back here.",
        "Nog niet gezien: open een pagina van je winkel met de snippet en kom dan hier terug.",
    ),
    ("{time} ago", "{time} geleden"),
    ("Seen on", "Gezien op"),
    (
        "not in your allowed origins: the chat cannot open there",
        "niet bij je toegestane origins: de chat kan daar niet openen",
    ),
    ("If your shop needs more", "Als je winkel meer nodig heeft"),
    (
        "Signed-in customers: tell the chat who they are, signed on your server, so agents see a verified name and email:",
        "Ingelogde klanten: vertel de chat wie ze zijn, ondertekend op je server, zodat medewerkers een geverifieerde naam en e-mail zien:",
    ),
    (
        "A page with a Content-Security-Policy needs these sources (no 'unsafe-inline'):",
        "Een pagina met een Content-Security-Policy heeft deze bronnen nodig (geen 'unsafe-inline'):",
    ),
    (
        "Carts and orders your pages already send to Google Analytics 4 (the dataLayer) reach the chat without more code.",
        "Winkelwagens en bestellingen die je pagina's al naar Google Analytics 4 sturen (de dataLayer) bereiken de chat zonder extra code.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(text: &str) -> Vec<&str> {
        let mut found: Vec<&str> =
            text.match_indices('{').filter_map(|(i, _)| text[i..].split_once('}').map(|(p, _)| p)).collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn every_translation_is_unique_filled_and_keeps_its_placeholders() {
        let mut seen = std::collections::HashSet::new();
        for (english, dutch) in DUTCH {
            assert!(seen.insert(english), "{english} is translated twice");
            assert!(!dutch.trim().is_empty(), "{english} has an empty translation");
            assert_eq!(placeholders(english), placeholders(dutch), "{english}");
            // A leading space (a text after a control) is kept.
            assert_eq!(english.starts_with(' '), dutch.starts_with(' '), "{english}");
        }
    }

    #[test]
    fn every_text_the_console_shows_has_a_dutch_translation() {
        let sources = [
            include_str!("view.rs"),
            include_str!("view/shopper_panel.rs"),
            include_str!("view/canned_page.rs"),
            include_str!("view/team_page.rs"),
            include_str!("view/settings_page.rs"),
            include_str!("view/rules_page.rs"),
            include_str!("view/install_page.rs"),
            include_str!("view/report_page.rs"),
            include_str!("format.rs"),
            include_str!("agent.rs"),
            include_str!("api.rs"),
        ];
        for source in sources {
            for (start, _) in source.match_indices("t(\"") {
                let rest = &source[start + 3..];
                let Some(end) = rest.find("\")") else { continue };
                let english = &rest[..end];
                if english.starts_with('/') {
                    continue; // a URL, not a text (`Request::get(...)`)
                }
                assert!(dutch(english).is_some(), "no Dutch for {english:?}");
            }
        }
    }

    #[test]
    fn dutch_browsers_get_dutch() {
        assert_eq!(Lang::from_tag("nl-BE"), Lang::Nl);
        assert_eq!(Lang::from_tag("NL"), Lang::Nl);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
    }
}
