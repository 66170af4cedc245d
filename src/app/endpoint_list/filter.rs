//! Which rows the list shows, and in what order: the filter's words and the
//! sort keys. Pure functions, tested without a browser.

use crate::model::EndpointSummary;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Extension,
    CallerId,
    Status,
    DeviceState,
    Channels,
    Contact,
}

impl SortKey {
    pub const ALL: [(SortKey, &'static str); 6] = [
        (SortKey::Extension, "Extension"),
        (SortKey::CallerId, "Caller ID"),
        (SortKey::Status, "Status"),
        (SortKey::DeviceState, "Device state"),
        (SortKey::Channels, "Channels"),
        (SortKey::Contact, "Contact"),
    ];
}

fn contact_text(e: &EndpointSummary) -> String {
    e.contacts
        .first()
        .map(|c| c.via.clone().unwrap_or_else(|| c.uri.clone()))
        .unwrap_or_default()
}

/// Extension numbers sort as numbers, names as text.
fn natural(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        _ => a.cmp(b),
    }
}

fn compare(key: SortKey, a: &EndpointSummary, b: &EndpointSummary) -> Ordering {
    let by_name = natural(&a.objectname, &b.objectname);
    let primary = match key {
        SortKey::Extension => Ordering::Equal,
        SortKey::CallerId => a.callerid.cmp(&b.callerid),
        SortKey::Status => a.state.cmp(&b.state),
        SortKey::DeviceState => a.devicestate.cmp(&b.devicestate),
        SortKey::Channels => b.activechannels.cmp(&a.activechannels),
        SortKey::Contact => contact_text(a).cmp(&contact_text(b)),
    };
    primary.then(by_name)
}

/// Everything the filter looks at in a row, lowercased: extension, name, state,
/// device state, contacts' URIs, addresses and user agents.
pub fn haystack(e: &EndpointSummary) -> String {
    let mut s = format!(
        "{} {} {} {} {}",
        e.objectname,
        e.callerid.as_deref().unwrap_or(""),
        e.state.as_str(),
        e.devicestate,
        if e.activechannels > 0 { "in-call" } else { "" }
    );
    for c in &e.contacts {
        s.push(' ');
        s.push_str(&c.uri);
        s.push(' ');
        s.push_str(c.via.as_deref().unwrap_or(""));
        s.push(' ');
        s.push_str(c.user_agent.as_deref().unwrap_or(""));
    }
    s.to_lowercase()
}

/// The filter's words, lowercased: a row must contain every one.
pub fn words(filter: &str) -> Vec<String> {
    filter.to_lowercase().split_whitespace().map(str::to_string).collect()
}

/// Does the row's haystack contain every word of the filter?
pub fn matches(hay: &str, words: &[String]) -> bool {
    words.iter().all(|w| hay.contains(w.as_str()))
}

/// The indices of the rows that match, in display order. Haystacks are built
/// once per list, not per keystroke: with 5,000 rows that is most of the work.
pub fn filter_and_sort(list: &[EndpointSummary], hay: &[String], filter: &str, key: SortKey, ascending: bool) -> Vec<usize> {
    let words = words(filter);
    let mut rows: Vec<usize> = (0..list.len()).filter(|&i| hay.get(i).is_some_and(|h| matches(h, &words))).collect();
    rows.sort_by(|&a, &b| {
        let o = compare(key, &list[a], &list[b]);
        if ascending { o } else { o.reverse() }
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContactInfo, EndpointSource, EndpointState};

    fn ep(name: &str, state: EndpointState, via: Option<&str>) -> EndpointSummary {
        EndpointSummary {
            objectname: name.into(),
            status: state.spec_status().into(),
            kind: "endpoint".into(),
            devicestate: "Unknown".into(),
            activechannels: 0,
            state,
            source: EndpointSource::Config,
            callerid: Some(format!("User {name}")),
            contacts: via
                .map(|v| {
                    vec![ContactInfo {
                        aor: name.into(),
                        uri: format!("sip:{name}@{v}"),
                        status: "Reachable".into(),
                        via: Some(v.into()),
                        user_agent: Some("Yealink".into()),
                        rtt_ms: Some(1.5),
                        expires: None,
                    }]
                })
                .unwrap_or_default(),
        }
    }

    #[test]
    fn filter_matches_every_word_anywhere() {
        let e = haystack(&ep("1001", EndpointState::Online, Some("10.0.0.5:5060")));
        assert!(matches(&e, &words("1001")));
        assert!(matches(&e, &words("10.0.0.5")));
        assert!(matches(&e, &words("online Yealink")));
        assert!(!matches(&e, &words("offline")));
        assert!(matches(&e, &words("")));
    }

    #[test]
    fn extensions_sort_as_numbers() {
        let list = vec![
            ep("1002", EndpointState::Offline, None),
            ep("trunk", EndpointState::Unmonitored, None),
            ep("999", EndpointState::Online, None),
        ];
        let hay: Vec<_> = list.iter().map(haystack).collect();
        let names = |f: &str, key, asc| -> Vec<&str> {
            filter_and_sort(&list, &hay, f, key, asc).into_iter().map(|i| list[i].objectname.as_str()).collect()
        };
        assert_eq!(names("", SortKey::Extension, true), vec!["999", "1002", "trunk"]);
        assert_eq!(names("", SortKey::Extension, false), vec!["trunk", "1002", "999"]);
        assert_eq!(names("", SortKey::Status, true), vec!["999", "1002", "trunk"]);
        assert_eq!(names("USER 10", SortKey::Extension, true), vec!["1002"]);
    }
}
