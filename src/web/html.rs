//! HTML building blocks: escaping, links, grade badges, the page shell every page shares and
//! a generic table for any result. Every piece of text that came from the database or the
//! request passes through [`esc`] on its way into markup; numbers are formatted by finq's
//! own rules (`12.50%`, `1.34B`), as the terminal shows them.

use crate::model::Unit;
use crate::output::{Table, Value, escape_markup, format_number, style::is_grade_column};
use std::fmt::Write as _;

/// Text as HTML element content or a quoted attribute value.
pub fn esc(s: &str) -> String {
    escape_markup(s)
}

/// Text as one component of a URL (a path segment or a query value): everything but
/// letters, digits and `-._~` is percent-encoded, so `/`, `?`, `#` and `&` in a name
/// cannot change where a link goes.
pub fn url_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A link to a company's page.
pub fn company_link(symbol: &str) -> String {
    format!(
        "<a href=\"/company/{}\">{}</a>",
        url_part(symbol),
        esc(symbol)
    )
}

/// A link to an industry's or a sector's page (`kind` is `industry` or `sector`).
pub fn group_link(kind: &str, name: &str) -> String {
    format!("<a href=\"/{kind}/{}\">{}</a>", url_part(name), esc(name))
}

/// A grade as a coloured badge; anything else (a missing grade) as a dash.
pub fn grade(g: Option<&str>) -> String {
    match g {
        Some(g @ ("A" | "B" | "C" | "D" | "E")) => {
            format!("<span class=\"grade g{g}\">{g}</span>")
        }
        Some(other) if !other.is_empty() => esc(other),
        _ => "<span class=\"na\">–</span>".to_string(),
    }
}

/// What the shell around a page needs to know.
pub struct Shell<'a> {
    pub title: &'a str,
    /// The per-process token the console's form and script send with writes.
    pub token: &'a str,
    pub read_only: bool,
    /// What the search box shows.
    pub search: &'a str,
}

/// A whole HTML document: the header with the search box, `body` as the main content, and
/// a footer. Styles and the script are the server's own files (`/static/…`), as the
/// Content-Security-Policy allows nothing inline but SVG.
pub fn page(shell: &Shell, body: &str) -> String {
    let mode = if shell.read_only {
        "<span class=\"badge\" title=\"started with --read-only\">read-only</span>"
    } else {
        ""
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"finq-token\" content=\"{token}\">\n<title>{title} · finq</title>\n\
<link rel=\"stylesheet\" href=\"/static/finq.css\">\n\
<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n\
<script src=\"/static/finq.js\" defer></script>\n</head>\n<body>\n\
<header class=\"top\"><a class=\"brand\" href=\"/\">finq</a>\
<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">\
<input id=\"search\" name=\"q\" type=\"search\" value=\"{search}\" placeholder=\"Symbol or company name\" \
autocomplete=\"off\" aria-label=\"Search companies\" aria-controls=\"suggestions\">\
<ul id=\"suggestions\" class=\"suggestions\" role=\"listbox\" hidden></ul></form>{mode}</header>\n\
<main>\n{body}\n</main>\n<footer>finq — figures computed from your own database; \
<a href=\"/#console\">query console</a> · <a href=\"/api/query?q=show%20industries\">JSON API</a></footer>\n\
</body>\n</html>\n",
        token = esc(shell.token),
        title = esc(shell.title),
        search = esc(shell.search),
    )
}

/// How [`table`] shows a result.
#[derive(Default)]
pub struct TableOptions<'a> {
    /// The `id` of the table element.
    pub id: Option<&'a str>,
    /// Rows whose symbol is this are marked (the subject of a peer table).
    pub subject: Option<&'a str>,
    /// Columns left out.
    pub hide: &'a [&'a str],
    /// Column headings shown instead of the names (column name, heading).
    pub headings: &'a [(&'a str, &'a str)],
}

/// Any result as an HTML table: numbers right-aligned in their column's unit, grades as
/// badges, symbols, industries and sectors as links to their pages, and a title as the
/// caption.
pub fn table(t: &Table, opts: &TableOptions) -> String {
    let shown: Vec<usize> = (0..t.columns.len())
        .filter(|&i| !opts.hide.contains(&t.columns[i].name.as_str()))
        .collect();
    let numeric: Vec<bool> = (0..t.columns.len())
        .map(|i| {
            t.rows
                .iter()
                .any(|r| matches!(r.get(i), Some(Value::Num(_) | Value::Quantity(..))))
        })
        .collect();
    let symbol_col = t.columns.iter().position(|c| c.name == "symbol");
    let mut out = String::new();
    let id = opts
        .id
        .map(|id| format!(" id=\"{}\"", esc(id)))
        .unwrap_or_default();
    let _ = write!(out, "<div class=\"scroll\"><table class=\"data\"{id}>");
    if let Some(title) = &t.title {
        let _ = write!(out, "<caption>{}</caption>", esc(title));
    }
    out.push_str("<thead><tr>");
    for &i in &shown {
        let name = &t.columns[i].name;
        // A money column's currency is part of its default heading (`market_cap (USD)`).
        let heading = opts
            .headings
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| t.columns[i].heading(), |(_, h)| h.to_string());
        let class = if numeric[i] { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", esc(&heading));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        let is_subject = match (opts.subject, symbol_col.and_then(|c| row.get(c))) {
            (Some(s), Some(Value::Text(sym))) => sym.eq_ignore_ascii_case(s),
            _ => false,
        };
        out.push_str(if is_subject {
            "<tr class=\"subject\">"
        } else {
            "<tr>"
        });
        for &i in &shown {
            let column = &t.columns[i];
            let v = row.get(i).unwrap_or(&Value::Null);
            let class = if numeric[i] { " class=\"num\"" } else { "" };
            let _ = write!(
                out,
                "<td{class}>{}</td>",
                cell(&column.name, column.unit, v)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// One cell's markup, by what its column holds.
fn cell(column: &str, unit: Option<Unit>, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::NoGroup => "(none)".into(),
        Value::Num(n) => esc(&format_number(*n, unit)),
        Value::Quantity(n, u) => esc(&format_number(*n, Some(*u))),
        Value::Text(s) if is_grade_column(column) => grade(Some(s)),
        Value::Text(s) => match column {
            "symbol" => company_link(s),
            "industry" => group_link("industry", s),
            "sector" => group_link("sector", s),
            _ => esc(s),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Column;

    #[test]
    fn url_parts_cannot_change_where_a_link_goes() {
        assert_eq!(url_part("KC.US"), "KC.US");
        assert_eq!(
            url_part("Technology Hardware, Storage & Peripherals"),
            "Technology%20Hardware%2C%20Storage%20%26%20Peripherals"
        );
        assert_eq!(url_part("a/b?c#d\"e"), "a%2Fb%3Fc%23d%22e");
        assert_eq!(url_part("中"), "%E4%B8%AD");
    }

    #[test]
    fn tables_link_names_badge_grades_and_escape_text() {
        let t = Table {
            title: Some("<b>title</b>".into()),
            columns: vec![
                Column::new("symbol", None),
                Column::new("name", None),
                Column::new("industry", None),
                Column::new("roe", Some(Unit::Percent)),
                Column::new("score_grade", None),
            ],
            rows: vec![vec![
                Value::text("A&B.US"),
                Value::text("<script>x</script>"),
                Value::text("Q & A"),
                Value::Num(0.125),
                Value::text("B"),
            ]],
            ..Table::default()
        };
        let html = table(&t, &TableOptions::default());
        assert!(html.contains("<caption>&lt;b&gt;title&lt;/b&gt;</caption>"));
        assert!(html.contains("<a href=\"/company/A%26B.US\">A&amp;B.US</a>"));
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(html.contains("<a href=\"/industry/Q%20%26%20A\">Q &amp; A</a>"));
        assert!(html.contains("<td class=\"num\">12.50%</td>"));
        assert!(html.contains("<span class=\"grade gB\">B</span>"));
        assert!(!html.contains("<script>"));
        let subject = table(
            &t,
            &TableOptions {
                subject: Some("a&b.us"),
                hide: &["industry"],
                ..TableOptions::default()
            },
        );
        assert!(subject.contains("<tr class=\"subject\">"));
        assert!(!subject.contains("/industry/"));
    }

    #[test]
    fn only_grades_become_badges() {
        assert_eq!(grade(Some("A")), "<span class=\"grade gA\">A</span>");
        assert_eq!(grade(Some("<i>")), "&lt;i&gt;");
        assert!(grade(None).contains("–"));
    }

    #[test]
    fn the_shell_escapes_what_it_is_given() {
        let page = page(
            &Shell {
                title: "<t>",
                token: "abc",
                read_only: true,
                search: "\"><script>",
            },
            "<p>body</p>",
        );
        assert!(page.contains("<title>&lt;t&gt; · finq</title>"));
        assert!(page.contains("value=\"&quot;&gt;&lt;script&gt;\""));
        assert!(page.contains("<meta name=\"finq-token\" content=\"abc\">"));
        assert!(page.contains(">read-only</span>"));
        // The one script is the server's own file.
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains("<script src=\"/static/finq.js\" defer></script>"));
    }
}
