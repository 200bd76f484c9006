//! The front matter read as `key: value` tokens (a one-line page runs them together), and
//! symbols and names as titles write them.

use std::collections::BTreeMap;

/// The `key: value` pairs of the front matter. A one-line page runs them together, so keys
/// are found as `word:` tokens; a value is a quoted string, or runs to the end of its line
/// or to the next key. A quoted value the page ends inside is left out. The first of two
/// equal keys wins.
pub(super) fn front_matter(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Some(body) = text.trim_start().strip_prefix("---") else {
        return map;
    };
    let b = body.as_bytes();
    let mut pos = 0;
    loop {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= b.len() || body[pos..].starts_with("---") {
            break;
        }
        let Some((key, after)) = key_at(body, pos) else {
            // A list item or other token: step over it.
            while pos < b.len() && !b[pos].is_ascii_whitespace() {
                pos += 1;
            }
            continue;
        };
        let mut v = after;
        while v < b.len() && (b[v] == b' ' || b[v] == b'\t') {
            v += 1;
        }
        if b.get(v) == Some(&b'"') {
            let Some((value, end)) = quoted(body, v + 1) else {
                break;
            };
            map.entry(key.to_ascii_lowercase()).or_insert(value);
            pos = end;
        } else {
            let end = plain_value_end(body, v);
            let value = body[v..end].trim();
            if !value.is_empty() {
                map.entry(key.to_ascii_lowercase())
                    .or_insert_with(|| value.to_string());
            }
            pos = end;
        }
    }
    map
}

/// A key (`word:` followed by a space or the end) starting at `pos`: its name and where
/// its value begins.
fn key_at(s: &str, pos: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    if !b.get(pos)?.is_ascii_alphabetic() {
        return None;
    }
    let mut i = pos;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
        i += 1;
    }
    if b.get(i) != Some(&b':') {
        return None;
    }
    if b.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
        return None;
    }
    Some((&s[pos..i], i + 1))
}

/// A double-quoted string starting after its opening quote: the unescaped value and the
/// position after the closing quote, or `None` when the text ends first.
pub(super) fn quoted(s: &str, start: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.get(start..)?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, start + i + 1)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// Where an unquoted value ends: at a line break, or before the next key or `---`.
fn plain_value_end(s: &str, start: usize) -> usize {
    let b = s.as_bytes();
    let mut i = start;
    while i < b.len() {
        if b[i] == b'\n' {
            return i;
        }
        if b[i].is_ascii_whitespace() {
            let mut j = i;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if key_at(s, j).is_some() || s[j..].starts_with("---") {
                return i;
            }
            // Step at least one byte: other whitespace (a form feed) would loop forever.
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    b.len()
}

/// A symbol as pages write them (`KC.US`, `688316.SH`, `BRK-B`): short, no spaces.
pub(super) fn symbol_like(s: &str) -> Option<String> {
    let s = s.trim();
    let ok = (1..=32).contains(&s.len())
        && s.chars().any(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_^=:".contains(c));
    ok.then(|| s.to_string())
}

/// The symbol in the last parentheses of a title: `Kingsoft Cloud (KC.US)` → `KC.US`.
pub(super) fn symbol_in_parens(s: &str) -> Option<String> {
    let open = s.rfind('(')?;
    let close = open + s[open..].find(')')?;
    symbol_like(&s[open + 1..close])
}

/// The name before a title's parentheses: `Shopify  (SHOP.US)` → `Shopify`.
pub(super) fn name_before_parens(s: &str) -> Option<String> {
    let name = squash(&s[..s.rfind('(')?]);
    (!name.is_empty()).then_some(name)
}

/// Runs of whitespace as one space, trimmed.
pub(super) fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of the first level-1 heading, up to its line's end or the next heading marker.
pub(super) fn h1(text: &str) -> Option<&str> {
    for (i, _) in text.match_indices("# ") {
        if !at_token_start(text, i) {
            continue;
        }
        let rest = &text[i + 2..];
        let end = [rest.find('\n'), rest.find(" #")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(rest.len());
        return Some(&rest[..end]);
    }
    None
}

/// Whether position `i` starts a token: the text's start or after whitespace.
pub(super) fn at_token_start(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace)
}
