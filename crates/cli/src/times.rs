//! Times as people write them, for every date or time flag: ISO 8601 with an offset
//! (`2024-12-31T15:30:45Z`, `2024-12-31 15:30:45+01:00`), a date (`2024-12-31`, midnight UTC),
//! epoch seconds, `now`, and relative times (`-30m`, `-24h`, `-7d`, `-2w`, `+1h`); each is
//! sent in the form the spec documents for the field.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// The form a field's spec documents.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Form {
    /// `format: date-time`: RFC 3339.
    DateTime,
    /// `format: date`: `YYYY-MM-DD`.
    Date,
    /// `x-datetime-format`: the vendor's own, in UTC.
    Pattern(String),
    /// `x-epoch` on an integer: a Unix time in that unit.
    Epoch(threatbind::spec::model::EpochUnit),
}

impl Form {
    /// The form of `schema`, if it is a date or a time.
    pub(crate) fn of(schema: &serde_json::Value) -> Option<Self> {
        if let Some(unit) = threatbind::spec::model::EpochUnit::of(schema) {
            return Some(Form::Epoch(unit));
        }
        if let Some(pattern) = schema.get("x-datetime-format").and_then(|f| f.as_str()) {
            return Some(Form::Pattern(pattern.to_owned()));
        }
        match schema.get("format").and_then(|f| f.as_str()) {
            Some("date-time") => Some(Form::DateTime),
            Some("date") => Some(Form::Date),
            _ => None,
        }
    }

    /// `at` written in this form, as text (the tests' way to read a value).
    #[cfg(test)]
    pub(crate) fn write(&self, at: DateTime<Utc>) -> String {
        self.value(at)
            .as_str()
            .map_or_else(|| self.value(at).to_string(), str::to_owned)
    }

    /// `at` as the JSON value of the field: a string, or a number for a Unix time.
    pub(crate) fn value(&self, at: DateTime<Utc>) -> serde_json::Value {
        use threatbind::spec::model::EpochUnit;
        match self {
            Form::DateTime => at.to_rfc3339_opts(SecondsFormat::AutoSi, true).into(),
            Form::Date => at.format("%Y-%m-%d").to_string().into(),
            Form::Pattern(pattern) => at.format(pattern).to_string().into(),
            Form::Epoch(EpochUnit::Seconds) => at.timestamp().into(),
            Form::Epoch(EpochUnit::Milliseconds) => at.timestamp_millis().into(),
        }
    }

    /// What `--help` says of the flag.
    pub(crate) fn help(&self) -> String {
        let sent = match self {
            Form::DateTime => "RFC 3339".to_owned(),
            Form::Date => "YYYY-MM-DD".to_owned(),
            Form::Pattern(p) => format!("{p} UTC"),
            Form::Epoch(threatbind::spec::model::EpochUnit::Seconds) => "epoch seconds".to_owned(),
            Form::Epoch(threatbind::spec::model::EpochUnit::Milliseconds) => {
                "epoch milliseconds".to_owned()
            }
        };
        let epoch = match self {
            Form::Epoch(threatbind::spec::model::EpochUnit::Milliseconds) => {
                "epoch seconds or milliseconds"
            }
            _ => "epoch seconds",
        };
        format!(
            "a time: ISO 8601 with an offset, YYYY-MM-DD, {epoch}, now, or -30m, -24h, -7d; sent as {sent}"
        )
    }
}

/// The present of this run, read once: every relative time of one command line (`--start-time
/// -24h --end-time -24h`) counts from the same instant.
pub(crate) fn now() -> DateTime<Utc> {
    static NOW: std::sync::OnceLock<DateTime<Utc>> = std::sync::OnceLock::new();
    *NOW.get_or_init(Utc::now)
}

/// The instant `text` names, `now` being the present; `None` when it is none of the forms.
pub(crate) fn instant(text: &str, form: &Form, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Some(now);
    }
    if let Some(offset) = relative(text) {
        return now.checked_add_signed(offset);
    }
    // Epoch seconds: 9 to 12 digits (1973 to 33658); a shorter number (`20241231`, a compact
    // date) is refused rather than read as a time in 1970.
    if (9..=12).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        return DateTime::from_timestamp(text.parse().ok()?, 0);
    }
    // A field of epoch milliseconds also takes its own form: 13 digits (2001 to 2286).
    if matches!(
        form,
        Form::Epoch(threatbind::spec::model::EpochUnit::Milliseconds)
    ) && text.len() == 13
        && text.bytes().all(|b| b.is_ascii_digit())
    {
        return DateTime::from_timestamp_millis(text.parse().ok()?);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for pattern in [
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(text, pattern) {
            return Some(at.with_timezone(&Utc));
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(day.and_hms_opt(0, 0, 0)?.and_utc());
    }
    // The vendor's own form, as its spec documents it (UTC).
    if let Form::Pattern(pattern) = form {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, pattern) {
            return Some(at.and_utc());
        }
    }
    None
}

/// `-30m`, `+2h`, `-7d`, `-2w`, `-90s`: a signed offset from now.
fn relative(text: &str) -> Option<Duration> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => return None,
    };
    let unit = rest.chars().last()?;
    let digits = &rest[..rest.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: i64 = digits.parse().ok()?;
    let seconds = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    Duration::try_seconds(sign * number.checked_mul(seconds)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-06T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn every_form_people_write_names_its_instant() {
        let vendor = Form::Pattern("%Y-%m-%d %H:%M:%S".into());
        let cases = [
            ("2024-12-31T15:30:45Z", "2024-12-31 15:30:45"),
            ("2024-12-31T15:30:45+01:00", "2024-12-31 14:30:45"),
            ("2024-12-31 15:30:45+01:00", "2024-12-31 14:30:45"),
            ("2024-12-31", "2024-12-31 00:00:00"),
            ("1735659045", "2024-12-31 15:30:45"),
            ("now", "2026-12-06 12:00:00"),
            ("-30m", "2026-12-06 11:30:00"),
            ("-24h", "2026-12-05 12:00:00"),
            ("-7d", "2026-11-29 12:00:00"),
            ("+1h", "2026-12-06 13:00:00"),
            // The vendor's own form stays as it is (UTC).
            ("2024-12-31 15:30:45", "2024-12-31 15:30:45"),
        ];
        for (text, sent) in cases {
            let at = instant(text, &vendor, now()).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(vendor.write(at), sent, "{text}");
        }
        let at = instant("-24h", &Form::DateTime, now()).unwrap();
        assert_eq!(Form::DateTime.write(at), "2026-12-05T12:00:00Z");
        assert_eq!(Form::Date.write(at), "2026-12-05");
        use threatbind::spec::model::EpochUnit;
        let millis = Form::Epoch(EpochUnit::Milliseconds);
        assert_eq!(millis.value(at), serde_json::json!(1_796_472_000_000i64));
        assert_eq!(
            Form::Epoch(EpochUnit::Seconds).value(at),
            serde_json::json!(1_796_472_000i64)
        );
        // A field of milliseconds takes its own form too; one of seconds does not.
        let at = instant("1777680003532", &millis, now()).unwrap();
        assert_eq!(Form::DateTime.write(at), "2026-05-02T00:00:03.532Z");
        assert_eq!(instant("1777680003532", &Form::DateTime, now()), None);
    }

    #[test]
    fn what_is_not_a_time_is_refused_not_guessed() {
        for text in [
            "",
            "yesterday",
            "-24",
            "-24x",
            "31/12/2024",
            "2024-13-01",
            "--1h",
            "-99999999999999999999d",
            "20241231",
            "-é",
            "+",
        ] {
            assert_eq!(instant(text, &Form::DateTime, now()), None, "{text}");
        }
        // A local time without an offset is not one unless it is the vendor's form.
        assert_eq!(instant("2024-12-31T15:30:45", &Form::DateTime, now()), None);
    }
}
