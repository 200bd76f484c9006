//! The registry against the grammar and the binder: the three must list the same words and
//! functions, so a word added in one place and forgotten in another fails here.

use super::*;
use crate::columns::Companies;
use crate::query::ast::{Expr, Spanned};
use crate::query::bind::{Binder, Ty};
use std::collections::BTreeSet;

fn grammar() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/finq.pest");
    std::fs::read_to_string(path).expect("grammar/finq.pest is readable")
}

/// The body of a grammar rule: the text between the `{` after `name =` and its closing `}`.
fn rule_body<'a>(grammar: &'a str, name: &str) -> &'a str {
    let start = grammar
        .lines()
        .scan(0, |at, l| {
            let here = *at;
            *at += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(at, _)| at)
        .unwrap_or_else(|| panic!("no rule '{name}' in the grammar"));
    let open = start + grammar[start..].find('{').expect("a rule body");
    let mut depth = 0;
    for (i, c) in grammar[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &grammar[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("rule '{name}' never closes")
}

/// The case-insensitive literals (`^"word"`) of a piece of grammar.
fn literals(text: &str) -> BTreeSet<String> {
    text.split("^\"")
        .skip(1)
        .map(|s| s[..s.find('"').expect("a closing quote")].to_string())
        .collect()
}

/// Every `kw_x` rule, checked to match the word `x` it is named after.
fn grammar_keywords(grammar: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in grammar.lines() {
        let Some(rest) = line.strip_prefix("kw_") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let words = literals(line);
        assert_eq!(
            words,
            BTreeSet::from([name.clone()]),
            "kw_{name} matches its own word"
        );
        out.insert(name);
    }
    out
}

/// Names in a rule body that are other rules (`a | b | c`), keywords left out.
fn alternatives(body: &str) -> Vec<String> {
    body.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty() && !w.starts_with("kw_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn keywords_are_the_grammars() {
    let grammar = grammar();
    let in_grammar = grammar_keywords(&grammar);
    let in_registry: BTreeSet<String> = statement_keywords()
        .chain(CLAUSE_WORDS.iter().copied())
        .map(str::to_string)
        .collect();
    assert_eq!(
        in_registry, in_grammar,
        "statement keywords and clause words are the grammar's kw_* rules"
    );
    let mut clause: Vec<&str> = CLAUSE_WORDS.to_vec();
    clause.sort_unstable();
    clause.dedup();
    assert_eq!(clause.len(), CLAUSE_WORDS.len(), "no clause word twice");
}

#[test]
fn reserved_words_are_the_grammars() {
    let grammar = grammar();
    let in_grammar = literals(rule_body(&grammar, "reserved"));
    let in_registry: BTreeSet<String> = RESERVED.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        in_registry, in_grammar,
        "RESERVED is the grammar's `reserved` rule"
    );
    assert_eq!(in_registry.len(), RESERVED.len(), "no reserved word twice");
    for w in RESERVED {
        assert!(is_keyword(w), "reserved '{w}' is a keyword");
    }
}

#[test]
fn statement_forms_are_the_grammars_statement_rules() {
    let grammar = grammar();
    let mut rules = alternatives(rule_body(&grammar, "plain_statement"));
    rules.push("explain".into());
    let in_registry: Vec<String> = STATEMENTS.iter().map(|s| s.rule.to_string()).collect();
    let (mut a, mut b) = (rules.clone(), in_registry.clone());
    a.sort();
    b.sort();
    assert_eq!(b, a, "one registry form per grammar statement rule");
    for s in STATEMENTS {
        // Each form's rule begins with its keyword.
        let body = rule_body(&grammar, s.rule);
        let first = body
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .trim_start_matches('{');
        assert_eq!(first, format!("kw_{}", s.keyword), "rule {}", s.rule);
        assert!(!s.help.is_empty() && !s.syntax.is_empty(), "{}", s.rule);
    }
    // Forms of one keyword sit together, so `statement_keywords` lists each once.
    let kws: Vec<&str> = statement_keywords().collect();
    let mut unique = kws.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), kws.len());
}

#[test]
fn lookups_ignore_case() {
    assert_eq!(function("YoY").map(|f| f.func), Some(Func::Ts(TsFn::Yoy)));
    assert_eq!(
        function("pct_rank").map(|f| f.kind()),
        Some(FnKind::CrossSectional)
    );
    assert!(function("nope").is_none());
    assert!(is_keyword("SELECT") && is_keyword("within") && is_keyword("explain"));
    assert!(!is_keyword("roe"));
    assert!(is_reserved("Explain") && !is_reserved("score") && !is_reserved("latest"));
    assert_eq!(meta_command(".Q").map(|m| m.command), Some(Meta::Quit));
    assert_eq!(meta_command(".mode").map(|m| m.name), Some(".format"));
    assert!(meta_command(".nonsense").is_none());
    assert_eq!(
        column("industry_rank").map(|c| c.column),
        Some(ScoreCol::IndustryRank)
    );
    assert_eq!(
        statement_syntax("SET").as_deref(),
        Some(
            "SYMBOL METRIC [at PERIOD] = NUMBER  |  SYMBOL ATTRIBUTE = \"TEXT\"  |  \
             metric NAME {unit U | direction higher|lower|none}  |  base currency \"CODE\""
        )
    );
    assert_eq!(statement_syntax("where"), None);
}

#[test]
fn signatures_and_arity_messages() {
    let sig = |n: &str| function(n).unwrap().signature();
    assert_eq!(sig("cagr"), "cagr(x, years)");
    assert_eq!(sig("prev"), "prev(x [, n])");
    assert_eq!(sig("count"), "count([x])");
    assert_eq!(sig("pct_rank"), "pct_rank(x [, industry|sector])");
    let arity = |n: &str, given| function(n).unwrap().arity_error(given);
    assert_eq!(arity("yoy", 1), None);
    assert_eq!(arity("yoy", 2).unwrap(), "yoy() takes 1 argument, not 2");
    assert_eq!(arity("cagr", 1).unwrap(), "cagr() takes 2 arguments, not 1");
    assert_eq!(
        arity("prev", 0).unwrap(),
        "prev() takes 1 to 2 arguments, not 0"
    );
    assert_eq!(arity("count", 0), None);
    assert_eq!(
        arity("count", 2).unwrap(),
        "count() takes 1 argument, not 2"
    );
}

#[test]
fn unknown_names_suggest_the_nearest() {
    assert_eq!(
        unknown_function("yoyy"),
        "unknown function 'yoyy' — did you mean 'yoy'?"
    );
    assert_eq!(unknown_function("xyzzy"), "unknown function 'xyzzy'");
    assert_eq!(
        unknown_meta_command(".formt"),
        "error: unknown command '.formt' — did you mean '.format'? (try .help)"
    );
}

#[test]
fn names_are_unique_and_helped() {
    let mut names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
    names.extend(COLUMNS.iter().map(|c| c.name));
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n, "no function or column named twice");
    for f in FUNCTIONS {
        assert!(
            f.required <= f.params.len() && !f.help.is_empty(),
            "{}",
            f.name
        );
    }
    for m in META_COMMANDS {
        assert!(m.name.starts_with('.') && !m.help.is_empty(), "{}", m.name);
    }
    // A dimension's grade column is named after the dimension it indexes.
    for c in COLUMNS {
        if let ScoreCol::DimGrade(d) = c.column {
            let dim = crate::analysis::score::DIMENSIONS[d].name();
            assert_eq!(c.name, format!("{dim}_grade"));
        }
    }
}

/// A valid argument of each type, as the parser would give it.
fn argument(ty: ArgType) -> Expr {
    let name = |n: &str| {
        Expr::Name(Spanned {
            name: n.into(),
            pos: 0,
        })
    };
    match ty {
        ArgType::Series | ArgType::Number | ArgType::Any => name("roe"),
        ArgType::Count => Expr::Number(2.0),
        ArgType::Group => name("industry"),
        ArgType::Fraction => Expr::Number(0.5),
    }
}

fn call(f: &str, args: Vec<Expr>) -> crate::error::Result<crate::query::bind::Bound> {
    let catalog = crate::model::Catalog::builtin();
    let companies = Companies::default();
    let e = Expr::Call(
        Spanned {
            name: f.into(),
            pos: 0,
        },
        args,
    );
    Binder::new(&catalog, &companies).bind(&e)
}

#[test]
fn the_binder_accepts_exactly_the_registrys_functions() {
    for f in FUNCTIONS {
        let args: Vec<Expr> = f.params.iter().map(|p| argument(p.ty)).collect();
        for given in f.required..=f.params.len() {
            let b = call(f.name, args[..given].to_vec())
                .unwrap_or_else(|e| panic!("{}: {e}", f.signature()));
            // The result has the shape the registry gives (roe is a percent, higher).
            let (ty, unit, direction) = match f.yields {
                Yields::Like => (Ty::Num, Some(Unit::Percent), Direction::Higher),
                Yields::Num(u, d) => (Ty::Num, Some(u), d),
                Yields::Grade | Yields::Text => (Ty::Text, None, Direction::Higher),
                Yields::Change => (Ty::Num, Some(Unit::PercentPoints), Direction::Higher),
            };
            assert_eq!(
                (b.ty, b.unit, b.direction),
                (ty, unit, direction),
                "{}",
                f.name
            );
        }
        let mut too_many = args.clone();
        too_many.push(Expr::Number(1.0));
        let e = call(f.name, too_many).unwrap_err().to_string();
        assert!(e.contains("argument"), "{}: {e}", f.name);
        // A second argument of the wrong type is refused with what it must be.
        if let Some(second) = f.params.get(1) {
            let mut wrong = args.clone();
            wrong[1] = Expr::Text("x".into());
            let e = call(f.name, wrong).unwrap_err().to_string();
            assert!(e.contains(second.ty.expected()), "{}: {e}", f.name);
        }
    }
    let e = call("mavgg", vec![]).unwrap_err().to_string();
    assert!(
        e.contains("unknown function 'mavgg' — did you mean 'mavg'?"),
        "{e}"
    );
}
