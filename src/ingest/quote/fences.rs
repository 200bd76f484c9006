//! Fenced blocks: cut out of the page before anything else is read ([`cut_fences`]), and
//! the radar JSON block's indicators ([`radar_indicators`]).

use serde_json::Value;

/// Removes every fenced block, each replaced by a line break so the text around it stays
/// apart, and returns the bodies of the radar blocks. A fence the page ends inside runs to
/// the end.
pub(super) fn cut_fences(text: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut radar = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        out.push_str(&rest[..open]);
        out.push('\n');
        let after = &rest[open + 3..];
        let info_end = after.find(char::is_whitespace).unwrap_or(after.len());
        let info = &after[..info_end];
        let (body, next) = match after[info_end..].find("```") {
            Some(close) => (
                &after[info_end..info_end + close],
                &after[info_end + close + 3..],
            ),
            None => (&after[info_end..], ""),
        };
        if info.to_ascii_lowercase().contains("radar") {
            radar.push(body.to_string());
        }
        rest = next;
    }
    out.push_str(rest);
    (out, radar)
}

/// One indicator as the page writes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Indicator {
    pub(super) name: String,
    pub(super) value: String,
    pub(super) rating: String,
}

/// The indicators of a radar block: every innermost JSON object with a `name` and a
/// `value`. Reading the innermost objects one by one, rather than the whole document, keeps
/// the complete ones of a block the page cut off; the flag says whether it was cut off.
pub(super) fn radar_indicators(body: &str) -> (Vec<Indicator>, bool) {
    let mut found = Vec::new();
    // Open objects: where each starts and whether it holds another object.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in body.char_indices() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => {
                if let Some(parent) = open.last_mut() {
                    parent.1 = true;
                }
                open.push((i, false));
            }
            '}' => {
                let Some((start, nested)) = open.pop() else {
                    continue;
                };
                if nested {
                    continue;
                }
                let Some(Ok(Value::Object(o))) = body.get(start..=i).map(serde_json::from_str)
                else {
                    continue;
                };
                let text = |k: &str| match o.get(k) {
                    Some(Value::String(s)) => Some(s.trim().to_string()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                if let (Some(name), Some(value)) = (text("name"), text("value")) {
                    found.push(Indicator {
                        name,
                        value,
                        rating: text("rating").unwrap_or_default(),
                    });
                }
            }
            _ => {}
        }
    }
    let cut = !open.is_empty() || in_string;
    (found, cut)
}
