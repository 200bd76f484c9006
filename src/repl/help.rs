//! `.help [TOPIC]`: the overview, topics, and any statement, function or meta command by
//! name. Syntax lines, one-line descriptions, the function list and the meta commands come
//! from the registry, so help cannot fall behind the language; the prose and examples that
//! explain them live here.

use crate::query::registry::{
    self, COLUMNS, FUNCTIONS, FnKind, FunctionDef, META_COMMANDS, MetaDef, STATEMENTS, StatementDef,
};

/// Help lines are wrapped or laid out to fit this many columns.
const WIDTH: usize = 90;

/// One topic of `.help TOPIC`.
struct Topic {
    /// The name `.help` lists, then other words that find it.
    names: &'static [&'static str],
    /// Statement keywords whose forms (syntax and description) head the topic.
    statements: &'static [&'static str],
    body: Body,
}

enum Body {
    /// Prose and examples after the forms.
    Text(&'static str),
    /// Every function and computed column.
    Functions,
    /// Every meta command.
    Meta,
}

const TOPICS: &[Topic] = &[
    Topic {
        names: &["select", "rank", "where", "by"],
        statements: &["select"],
        body: Body::Text(SELECT),
    },
    Topic {
        names: &["expressions", "expression", "expr"],
        statements: &[],
        body: Body::Text(EXPRESSIONS),
    },
    Topic {
        names: &["functions", "function", "columns"],
        statements: &[],
        body: Body::Functions,
    },
    Topic {
        names: &["series"],
        statements: &["series"],
        body: Body::Text(
            "  On a terminal a sparkline per metric follows the table.\n\n  \
             series revenue, net_income of 688316.SH from 2019 to 2024\n",
        ),
    },
    Topic {
        names: &["describe"],
        statements: &["describe"],
        body: Body::Text(
            "  Each metric comes with its latest period, point count and first period.\n\n  \
             describe KC.US\n",
        ),
    },
    Topic {
        names: &["show"],
        statements: &["show"],
        body: Body::Text(
            "  show companies where industry = \"Systems Software\"\n  show metrics\n",
        ),
    },
    Topic {
        names: &["score", "scorecard"],
        statements: &["score"],
        body: Body::Text(
            "  Score and grade, industry rank k / n, industry median grade, peer group, each\n  \
             dimension's grade and each indicator's value, percentile and grade (SCORING.md).\n  \
             Grades are coloured A (green) to E (red) on a terminal.\n\n  score KC.US\n",
        ),
    },
    Topic {
        names: &["peers"],
        statements: &["peers"],
        body: Body::Text(
            "  With Profit, Growth, Operation, Security, Cash grades and the rating; the subject\n  \
             is marked ◀ (bold on a terminal) and kept beyond N.\n\n  peers of KC.US limit 5\n",
        ),
    },
    Topic {
        names: &["valuation"],
        statements: &["valuation"],
        body: Body::Text(
            "  P/E, P/B, P/S and dividend yield: current value, industry ranking k / n, and the\n  \
             high, median and low over N years (default 5).\n\n  valuation KC.US over 3 years\n",
        ),
    },
    Topic {
        names: &["fscore", "piotroski"],
        statements: &["fscore"],
        body: Body::Text(
            "  Each signal with the two sides it compares, pass / fail / n.a.\n\n  \
             fscore 688316.SH at 2023\n",
        ),
    },
    Topic {
        names: &["data", "import", "set", "delete"],
        statements: &["import", "set", "delete"],
        body: Body::Text(
            "  Every write is atomic and durable when it returns.\n\n  \
             set KC.US roe at 2026-04-15 = -12.93%\n  \
             set KC.US industry = \"Internet Services and Infrastructure\"\n",
        ),
    },
    Topic {
        names: &["define", "screen", "drop", "screens"],
        statements: &["define", "screen", "drop"],
        body: Body::Text(
            "  define metric upside = target_high / price - 1 higher\n  \
             define screen cheap as select pe_ttm, pb where pe_ttm between 0 and 10 and pb < 1\n  \
             select upside from screen cheap rank\n",
        ),
    },
    Topic {
        names: &["explain", "plan"],
        statements: &["explain"],
        body: Body::Text("  explain select roe where industry = \"Systems Software\" rank\n"),
    },
    Topic {
        names: &["formats", "format", "output"],
        statements: &[],
        body: Body::Text(FORMATS),
    },
    Topic {
        names: &["meta", "commands"],
        statements: &[],
        body: Body::Meta,
    },
    Topic {
        names: &["keys", "keyboard", "editing"],
        statements: &[],
        body: Body::Text(KEYS),
    },
];

/// The topics `.help` lists and completes, by their first names.
pub const HELP_TOPICS: &[&str] = &{
    let mut names = [""; TOPICS.len()];
    let mut i = 0;
    while i < TOPICS.len() {
        names[i] = TOPICS[i].names[0];
        i += 1;
    }
    names
};

const SELECT: &str = "  In full:
  select ITEM [as NAME] {, ITEM [as NAME]}
    [from companies | from industry \"X\" | from sector \"X\"
     | from peers of SYMBOL | from screen NAME]
    [where CONDITION] [at PERIOD | at latest] [by KEY {, KEY}]
    [rank [by EXPR] [asc | desc] [within industry | within sector]]
    [order by EXPR [asc | desc] {, …}] [limit N]

  One row per company (symbol and name lead), or per group with `by`. Without `at` every
  metric is its latest point; `at 2024Q3` takes that period, `at 2024-06-30` the latest
  point on or before the day. `rank` orders best first by the metric's direction and adds
  a rank column (1, 2, 2, 4); rows without a value come last.

  select ROE where industry = \"Internet Services and Infrastructure\" rank
  select pe_ttm, roe where pe_ttm between 0 and 15 and roe > 15% rank by roe limit 50
  select count(), median(roe), avg(pe_ttm) by industry
  select cagr(revenue, 5) as growth from sector \"Technology\" rank by growth limit 20
  select score, score_grade, industry_rank rank by score within industry
";

const EXPRESSIONS: &str = "\
Expressions
  literals   12  -3.5  1e9  15%  250K  300M  2.5B  1T  \"text\"  null
  periods    2024  2024H1  2024Q3  2024-06-30
  names      metric ids or aliases (roe, pe), attributes (symbol, name, industry, sector, …),
             any name in backticks (`P/E (TTM)`); case does not matter
  operators  + - * /   = != < <= > >=   and or not   in (\"a\", \"b\")   between A and B
             like \"Cloud%\"   is null   is not null   ( … )
  points     revenue at 2023        (select items: write (revenue at 2023))
  functions  .help functions
  Arithmetic with a missing value is missing; a comparison with one is false.
";

const FORMATS: &str = "\
.format table      aligned columns: percents as 12.50%, money as 1.34B, grades coloured,
                   wide tables fitted to the terminal (long text cut with …, or one block
                   per row when even that is too wide), a footer `N rows (1.2 ms)`
.format csv        raw stored numbers (fractions for percents), empty for missing
.format json       one array of row objects per result, null for missing
.format markdown   a GitHub table
.output FILE       send results to FILE (plain, no colour); .output stdout to stop
";

const KEYS: &str = "\
Tab        complete keywords, metrics, symbols, industries, sectors, screens, meta commands
→ or End   accept the grey hint (a line from history)
Enter      run; inside an open quote or parenthesis it starts a new line instead
Ctrl-C     cancel the line          Ctrl-D  leave
Ctrl-R     search history (kept in ~/.finq_history)
";

const EXAMPLES: &str = "\
examples:
  select roe, pb where industry = \"Internet Services and Infrastructure\" rank
  select count(), median(roe) by industry
  series revenue, net_income of 688316.SH from 2019
  score KC.US
";

/// The text of `.help TOPIC` (the overview without one).
pub fn help(topic: &str) -> String {
    let wanted = topic.trim().to_ascii_lowercase();
    if wanted.is_empty() {
        return overview();
    }
    if let Some(t) = TOPICS.iter().find(|t| t.names.contains(&wanted.as_str())) {
        return render(t);
    }
    if let Some(f) = registry::function(&wanted) {
        return function_lines([f]);
    }
    if let Some(c) = registry::column(&wanted) {
        return table(std::iter::once((c.name.to_string(), c.help)));
    }
    let forms: Vec<&StatementDef> = registry::statement_forms(&wanted).collect();
    if !forms.is_empty() {
        return statement_lines(forms);
    }
    let dotted = if wanted.starts_with('.') {
        wanted.clone()
    } else {
        format!(".{wanted}")
    };
    if let Some(m) = registry::meta_command(&dotted) {
        return meta_lines([m]);
    }
    format!("no help on '{wanted}'; topics: {}\n", HELP_TOPICS.join(" "))
}

fn render(topic: &Topic) -> String {
    let forms: Vec<&StatementDef> = topic
        .statements
        .iter()
        .flat_map(|k| registry::statement_forms(k))
        .collect();
    let mut out = if forms.is_empty() {
        String::new()
    } else {
        statement_lines(forms.iter().copied())
    };
    match topic.body {
        Body::Text(text) => {
            if !forms.is_empty() {
                out.push('\n');
            }
            out.push_str(text);
        }
        Body::Functions => out.push_str(&functions()),
        Body::Meta => out.push_str(&meta_lines(META_COMMANDS)),
    }
    out
}

/// The overview: every statement form, the meta commands, examples, and where to go next.
fn overview() -> String {
    let mut out = String::from(
        "Statements end with ; or Enter, and go on over lines while a quote or parenthesis is \
         open:\n\n",
    );
    for s in STATEMENTS {
        out.push_str(&format!("  {} {}\n", s.keyword, s.syntax));
    }
    out.push_str("\nmeta commands:\n");
    let commands = META_COMMANDS.iter().map(|m| usage(m.name, m.args));
    out.push_str(&wrap(commands, "   ", "  "));
    out.push('\n');
    out.push_str(EXAMPLES);
    out.push_str(
        "\nTab completes keywords, metrics, symbols, industries, sectors, screens and meta \
         commands.\n",
    );
    let topics = std::iter::once(".help TOPIC for more:".to_string())
        .chain(HELP_TOPICS.iter().map(|t| t.to_string()));
    out.push_str(&wrap(topics, " ", ""));
    out.push_str("or any statement, function or meta command (.help yoy, .help .read)\n");
    out
}

/// Statement forms with their descriptions.
fn statement_lines<'a>(forms: impl IntoIterator<Item = &'a StatementDef>) -> String {
    table(
        forms
            .into_iter()
            .map(|s| (usage(s.keyword, s.syntax), s.help)),
    )
}

fn function_lines<'a>(fns: impl IntoIterator<Item = &'a FunctionDef>) -> String {
    table(fns.into_iter().map(|f| (f.signature(), f.help)))
}

fn meta_lines<'a>(commands: impl IntoIterator<Item = &'a MetaDef>) -> String {
    table(
        commands
            .into_iter()
            .map(|m| (usage(m.name, m.args), m.help)),
    )
}

/// `.help functions`: every function by kind, then the computed columns.
fn functions() -> String {
    let mut out = String::new();
    for kind in FnKind::ALL {
        out.push_str(kind.title());
        out.push('\n');
        let fns = FUNCTIONS.iter().filter(|f| f.kind() == kind);
        out.push_str(&indent(&function_lines(fns)));
    }
    out.push_str("Computed columns (SCORING.md)\n");
    let columns = COLUMNS.iter().map(|c| (c.name.to_string(), c.help));
    out.push_str(&indent(&table(columns)));
    out.push_str(
        "\n  select yoy(revenue) as growth, mavg(roe, 4) rank by growth\n  \
         select roe, pct_rank(roe, industry), zscore(roe), grade(roe) at 2024Q4\n",
    );
    out
}

/// A word and its arguments, as typed.
fn usage(word: &str, args: &str) -> String {
    if args.is_empty() {
        word.to_string()
    } else {
        format!("{word} {args}")
    }
}

/// Rows of (usage, description): in two aligned columns when every row fits in [`WIDTH`],
/// otherwise each description indented under its usage.
fn table<'a>(rows: impl Iterator<Item = (String, &'a str)>) -> String {
    let rows: Vec<(String, &str)> = rows.collect();
    let left = rows
        .iter()
        .map(|(u, _)| u.chars().count())
        .max()
        .unwrap_or(0);
    let right = rows
        .iter()
        .map(|(_, h)| h.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (u, h) in &rows {
        if left + 3 + right <= WIDTH {
            out.push_str(&format!("{u:<left$}   {h}\n"));
        } else {
            out.push_str(&format!("{u}\n  {h}\n"));
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// Items on lines no wider than [`WIDTH`], separated by `sep`, each line indented.
fn wrap(items: impl Iterator<Item = String>, sep: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.len() + sep.len() + item.len() > WIDTH {
            out.push_str(&format!("{indent}{line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(sep);
        }
        line.push_str(&item);
    }
    if !line.is_empty() {
        out.push_str(&format!("{indent}{line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_covers_every_topic_and_every_word() {
        for t in HELP_TOPICS {
            assert!(!help(t).starts_with("no help"), "{t}");
        }
        for s in STATEMENTS {
            assert!(help(s.keyword).contains(s.syntax), "{}", s.rule);
        }
        for f in FUNCTIONS {
            assert!(help(f.name).contains(f.help), "{}", f.name);
        }
        for m in META_COMMANDS {
            assert!(help(m.name).contains(m.help), "{}", m.name);
        }
        assert!(help("score_grade").contains("the overall grade"));
        assert!(help("nonsense").starts_with("no help on 'nonsense'"));
    }

    #[test]
    fn the_overview_lists_every_statement_and_command() {
        let h = help("");
        for s in STATEMENTS {
            assert!(
                h.contains(&format!("{} {}", s.keyword, s.syntax)),
                "{}",
                s.rule
            );
        }
        for m in META_COMMANDS {
            assert!(h.contains(m.name), "{}", m.name);
        }
        assert!(h.lines().all(|l| l.chars().count() <= WIDTH + 4), "{h}");
    }

    #[test]
    fn topics_show_registry_forms_and_functions() {
        assert!(
            help("peers").starts_with("peers of SYMBOL [using SCORECARD] [at PERIOD] [limit N]")
        );
        let data = help("data");
        assert!(data.contains("set SYMBOL ATTRIBUTE = \"TEXT\""), "{data}");
        assert!(data.contains("write one point"), "{data}");
        let f = help("functions");
        assert!(
            f.contains("prev(x [, n])") && f.contains("industry_rank"),
            "{f}"
        );
        assert!(help("meta").contains(".timer on|off"));
        assert!(help(".READ").contains("run a script file"));
        assert!(help("timer").contains("time each statement"));
    }
}
