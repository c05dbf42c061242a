//! Reading rules from the relay's TOML config (`serde` feature). Hand-written where the config
//! shape differs from the model: a language table kept in order, an amount given as a plain
//! number or with a currency, a cap as a word. Ranges are left to [`crate::validate()`], which can
//! name the rule; only what cannot be represented is refused here.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::model::{Amount, Cap, Localized};

impl<'de> Deserialize<'de> for Localized {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Texts;
        impl<'de> Visitor<'de> for Texts {
            type Value = Localized;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of language tag = text, like { en = \"Hi\", nl = \"Hoi\" }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Localized, A::Error> {
                let mut texts = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    texts.push(pair);
                }
                Ok(Localized(texts))
            }
        }
        deserializer.deserialize_map(Texts)
    }
}

impl<'de> Deserialize<'de> for Cap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = String::deserialize(deserializer)?;
        Cap::parse(&word).ok_or_else(|| {
            de::Error::invalid_value(
                de::Unexpected::Str(&word),
                &"\"page\", \"session\", \"visitor\" or days like \"7d\"",
            )
        })
    }
}

/// Largest amount accepted, in currency units.
const MAX_UNITS: f64 = 1e12;

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmountVisitor;
        impl<'de> Visitor<'de> for AmountVisitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount like 49.95 or { amount = 49.95, currency = \"EUR\" }")
            }
            fn visit_i64<E: de::Error>(self, units: i64) -> Result<Amount, E> {
                self.visit_f64(units as f64)
            }
            fn visit_u64<E: de::Error>(self, units: u64) -> Result<Amount, E> {
                self.visit_f64(units as f64)
            }
            fn visit_f64<E: de::Error>(self, units: f64) -> Result<Amount, E> {
                Ok(Amount { cents: cents(units)?, currency: None })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Amount, A::Error> {
                let mut cents = None;
                let mut currency = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "amount" if cents.is_none() => cents = Some(self::cents(map.next_value::<f64>()?)?),
                        "currency" if currency.is_none() => currency = Some(map.next_value::<String>()?),
                        "amount" | "currency" => {
                            return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                        }
                        _ => return Err(de::Error::unknown_field(&key, &["amount", "currency"])),
                    }
                }
                let cents = cents.ok_or_else(|| de::Error::missing_field("amount"))?;
                Ok(Amount { cents, currency })
            }
        }
        deserializer.deserialize_any(AmountVisitor)
    }
}

/// Rounded to whole cents: 49.95 is 4994.999… in binary.
fn cents<E: de::Error>(units: f64) -> Result<i64, E> {
    if !(0.0..=MAX_UNITS).contains(&units) {
        return Err(E::custom(format_args!("an amount must be a number from 0 to 10^12, not {units}")));
    }
    Ok((units * 100.0).round() as i64)
}

// Written back in the same shapes as read, so what the relay stores or the console edits reads
// again as the same rule (tests: `serialized_rules_read_back_the_same`).

impl Serialize for Localized {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (tag, text) in &self.0 {
            map.serialize_entry(tag, text)?;
        }
        map.end()
    }
}

impl Serialize for Cap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.spelling())
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Cents over 100 as a float read back by `cents` (which rounds) give the same cents.
        let units = self.cents as f64 / 100.0;
        match &self.currency {
            None => serializer.serialize_f64(units),
            Some(currency) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("amount", &units)?;
                map.serialize_entry("currency", currency)?;
                map.end()
            }
        }
    }
}
