//! Parser tests: statements and clauses to AST, precedence, literals, the bounds on nesting,
//! and the messages of parse errors; property tests print and re-parse expressions.

use super::*;
use crate::query::registry::is_reserved;
use proptest::prelude::*;

fn stmts(text: &str) -> Vec<Statement> {
    parse_script(text)
        .unwrap()
        .into_iter()
        .map(|l| l.statement)
        .collect()
}

fn select_of(text: &str) -> Select {
    match stmts(text).pop() {
        Some(Statement::Select(s)) => *s,
        other => panic!("not a select: {other:?}"),
    }
}

fn e(text: &str) -> String {
    parse_expression(text).unwrap().to_string()
}

#[test]
fn statements_split_on_semicolons_and_lines() {
    let s = stmts("describe KC.US; show industries\nSHOW Metrics -- comment\n# another\n;;");
    assert_eq!(s.len(), 3);
    assert_eq!(
        s[0],
        Statement::Describe {
            symbol: Spanned {
                name: "KC.US".into(),
                pos: 9
            }
        }
    );
    assert_eq!(s[2], Statement::Show(ShowWhat::Metrics));
    assert!(stmts("").is_empty());
    assert!(stmts("  -- only a comment").is_empty());
    // A statement continues over lines while the next line can continue it.
    let s = stmts("select roe\n  where roe > 0\n  rank\nshow sectors");
    assert_eq!(s.len(), 2);
}

#[test]
fn statement_text_stops_at_its_last_token() {
    let s = parse_script("select roe   -- why\n-- more\nshow sectors # c\ndescribe \"KC.US\" # x")
        .unwrap();
    let texts: Vec<&str> = s.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["select roe", "show sectors", "describe \"KC.US\""]);
    match &parse_script("define metric m = roe - -1 -- note").unwrap()[0].statement {
        Statement::DefineMetric { text, .. } => assert_eq!(text, "roe - -1"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(e("1 + 2 * 3"), "(1.0 + (2.0 * 3.0))");
    assert_eq!(e("1 - 2 - 3"), "((1.0 - 2.0) - 3.0)");
    assert_eq!(e("-a * b"), "(-(a) * b)");
    assert_eq!(
        e("a > 1 and b < 2 or not c = 3"),
        "(((a > 1.0) and (b < 2.0)) or (not ((c = 3.0))))"
    );
    assert_eq!(
        e("pe between 0 and 15 and roe > 15%"),
        "((pe between (0.0) and (15.0)) and (roe > 0.15))"
    );
    assert_eq!(
        e("a + 1 between 2 and 3"),
        "((a + 1.0) between (2.0) and (3.0))"
    );
    assert_eq!(e("x is not null"), "(x is not null)");
    assert_eq!(
        e("industry not in (\"A\", \"B\")"),
        "(industry not in (\"A\", \"B\"))"
    );
    assert_eq!(e("name like \"Cloud%\""), "(name like \"Cloud%\")");
    assert_eq!(
        e("revenue at 2023 > 1B"),
        "(revenue at 2023 > 1000000000.0)"
    );
    assert_eq!(e("`P/E (TTM)` < 20"), "(`P/E (TTM)` < 20.0)");
    assert_eq!(e("cagr(revenue, 5)"), "cagr(revenue, 5.0)");
    assert_eq!(e("count()"), "count()");
}

#[test]
fn literals_with_percent_and_magnitudes() {
    assert_eq!(parse_expression("15%").unwrap(), Expr::Number(0.15));
    assert_eq!(parse_expression("250K").unwrap(), Expr::Number(250_000.0));
    assert_eq!(parse_expression("2.5B").unwrap(), Expr::Number(2.5e9));
    assert_eq!(parse_expression("1e9").unwrap(), Expr::Number(1e9));
    assert_eq!(parse_expression("1T").unwrap(), Expr::Number(1e12));
    assert!(parse_expression("1Bx").is_err());
}

#[test]
fn every_select_clause() {
    let s = select_of(
        "select roe as r, pb from industry \"Software\" where pb > 1 at 2024Q3 by sector \
         rank by r asc within industry order by pb desc, r limit 10",
    );
    assert_eq!(s.items.len(), 2);
    assert_eq!(s.items[0].alias.as_deref(), Some("r"));
    assert_eq!(s.items[1].text, "pb");
    // Names keep where they were written, for errors that point at them.
    assert_eq!(
        s.from,
        Source::Industry(Spanned {
            name: "Software".into(),
            pos: 34
        })
    );
    assert!(s.filter.is_some());
    assert_eq!(s.at, Period::parse("2024Q3"));
    assert_eq!(s.by.len(), 1);
    let rank = s.rank.unwrap();
    assert_eq!(
        (rank.order, rank.within),
        (Some(Order::Asc), Some(Group::Industry))
    );
    assert_eq!(s.order.len(), 2);
    assert_eq!(s.limit, Some(10));
    assert_eq!(
        select_of("select roe from peers of 688316.SH").from,
        Source::Peers(Spanned {
            name: "688316.SH".into(),
            pos: 25
        })
    );
    assert!(matches!(
        select_of("select roe from screen cheap").from,
        Source::Screen(_)
    ));
    assert_eq!(select_of("select roe at latest").at, None);
    // A trailing `at` after the items is the clause, not a point of the last item.
    assert_eq!(
        select_of("select roe, pb at 2024").at,
        Period::parse("2024")
    );
    assert_eq!(select_of("select (roe at 2024)").at, None);
}

#[test]
fn data_statements() {
    assert!(matches!(&stmts("set KC.US roe at 2024 = -12.93%")[0],
        Statement::SetPoint { value, .. } if (*value + 0.1293).abs() < 1e-15));
    assert!(matches!(
        &stmts("set KC.US name = \"Kingsoft\"")[0],
        Statement::SetAttr { .. }
    ));
    assert!(matches!(
        &stmts("delete KC.US roe at 2024")[0],
        Statement::Delete {
            metric: Some(_),
            period: Some(_),
            ..
        }
    ));
    assert!(matches!(
        &stmts("delete KC.US\nshow sectors")[0],
        Statement::Delete { metric: None, .. }
    ));
    assert!(matches!(
        &stmts("define metric margin2 = profit_margin * 2 higher")[0],
        Statement::DefineMetric { .. }
    ));
    assert!(matches!(
        &stmts("define screen cheap as select pe_ttm where pe_ttm < 10")[0],
        Statement::DefineScreen { .. }
    ));
    assert!(matches!(
        &stmts("screen cheap")[0],
        Statement::RunScreen { .. }
    ));
    assert!(matches!(
        &stmts("drop screen cheap")[0],
        Statement::Drop {
            kind: DefKind::Screen,
            ..
        }
    ));
    assert!(matches!(
        &stmts("import \"a.csv\"")[0],
        Statement::Import { .. }
    ));
    match &stmts("series revenue, roe of C000123.HK from 2020 to 2024Q2")[0] {
        Statement::Series {
            metrics, from, to, ..
        } => {
            assert_eq!(metrics.len(), 2);
            assert_eq!(
                (*from, *to),
                (Period::parse("2020"), Period::parse("2024Q2"))
            );
        }
        other => panic!("{other:?}"),
    }
    match &stmts("series revenue of X to 2024")[0] {
        Statement::Series { from, to, .. } => {
            assert_eq!((*from, *to), (None, Period::parse("2024")))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn keywords_need_a_boundary() {
    assert!(parse_script("showcompanies").is_err());
    assert!(parse_script("show companiesx").is_err());
    assert_eq!(e("selected + orders"), "(selected + orders)");
}

#[test]
fn errors_say_what_was_expected_where() {
    let msg = |t: &str| crate::cli::render_error(&parse_script(t).unwrap_err(), t);
    let m = msg("select roe where");
    assert!(
        m.contains("expected a condition after 'where', found the end of the input"),
        "{m}"
    );
    assert!(m.contains("line 1, column 18"), "{m}");
    let m = msg("show");
    assert!(
        m.contains("expected companies, industries, sectors, metrics or screens after 'show'"),
        "{m}"
    );
    let m = msg("describe KC.US\nshow nothing");
    assert!(
        m.contains("line 2, column 6") && m.contains("found 'nothing'"),
        "{m}"
    );
    let m = msg("select roe limit x");
    assert!(m.contains("expected a whole number after 'limit'"), "{m}");
    let m = msg("select roe at 2024Q5");
    assert!(m.contains("'2024Q5' is not a period"), "{m}");
    let m = msg("selec roe");
    assert!(m.contains("expected a statement, found 'selec'"), "{m}");
}

#[test]
fn nesting_is_bounded_before_parsing() {
    let deep = format!("select {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let m = parse_script(&deep).unwrap_err().to_string();
    assert!(m.contains("nest deeper than 64"), "{m}");
    let minus = format!("select {}1", "- ".repeat(10_000));
    assert!(
        parse_script(&minus)
            .unwrap_err()
            .to_string()
            .contains("prefix operators")
    );
    let long = format!("select {}1", "1 + ".repeat(5_000));
    assert!(
        parse_script(&long)
            .unwrap_err()
            .to_string()
            .contains("more than 1000 operands")
    );
    assert!(parse_script(&format!("select {}1{}", "(".repeat(60), ")".repeat(60))).is_ok());
}

/// A run of dashes inside a string or a comment is text: the nesting pre-check once
/// counted them as prefix operators and refused the statement.
#[test]
fn dashes_in_strings_and_comments_are_not_prefix_operators() {
    let dashes = "- ".repeat(100);
    assert!(parse_script(&format!("select roe where name = \"{dashes}\"")).is_ok());
    assert!(parse_script(&format!("select roe -- {dashes}")).is_ok());
    assert!(parse_script(&format!("select {dashes}1")).is_err());
}

/// An item's name drops comments but not comment markers inside its strings: `--` in a
/// string once cut the name short.
#[test]
fn item_names_keep_comment_markers_inside_strings() {
    let s = select_of("select \"x -- y\" as a, count( # why\n roe ) by industry");
    assert_eq!(s.items[0].text, "\"x -- y\"");
    assert_eq!(s.items[1].text, "count( roe )");
}

fn arb_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (0u32..1000).prop_map(|v| Expr::Number(f64::from(v) / 4.0)),
        "[a-z]{1,6}"
            .prop_filter("not reserved", |s| !is_reserved(s))
            .prop_map(|n| Expr::Name(Spanned { name: n, pos: 0 })),
        "[A-Za-z %]{0,6}".prop_map(Expr::Text),
        Just(Expr::Null),
    ];
    leaf.prop_recursive(4, 32, 3, |inner| {
        let op = prop_oneof![
            Just(BinOp::Add),
            Just(BinOp::Sub),
            Just(BinOp::Mul),
            Just(BinOp::Div),
            Just(BinOp::Eq),
            Just(BinOp::Lt),
            Just(BinOp::Ge),
            Just(BinOp::And),
            Just(BinOp::Or)
        ];
        prop_oneof![
            (op, inner.clone(), inner.clone()).prop_map(|(o, a, b)| Expr::Binary(
                o,
                Box::new(a),
                Box::new(b)
            )),
            inner.clone().prop_map(|a| Expr::Neg(Box::new(a))),
            inner.clone().prop_map(|a| Expr::Not(Box::new(a))),
            (inner.clone(), any::<bool>()).prop_map(|(a, n)| Expr::IsNull(Box::new(a), n)),
            (inner.clone(), inner.clone(), inner.clone(), any::<bool>())
                .prop_map(|(a, b, c, n)| Expr::Between(Box::new(a), Box::new(b), Box::new(c), n)),
            (
                inner.clone(),
                prop::collection::vec(inner.clone(), 1..3),
                any::<bool>()
            )
                .prop_map(|(a, l, n)| Expr::InList(Box::new(a), l, n)),
            ("[a-z]{1,5}", prop::collection::vec(inner, 0..3))
                .prop_filter("not reserved", |(f, _)| !is_reserved(f))
                .prop_map(|(f, args)| Expr::Call(Spanned { name: f, pos: 0 }, args)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn printing_then_parsing_gives_the_same_expression(x in arb_expr()) {
        let printed = x.to_string();
        let back = parse_expression(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        // Positions differ between the two, so they are compared in printed form.
        prop_assert_eq!(back.to_string(), printed);
    }

    #[test]
    fn no_input_makes_the_parser_panic(s in "\\PC{0,80}") {
        let _ = parse_script(&s);
    }

    #[test]
    fn no_query_like_input_makes_the_parser_panic(
        s in "(select|where|rank|by|at|from|and|or|not|in|between|like|is|null|\\(|\\)|,|;|\"|`|-|\\+|\\*|/|=|<|>|%|roe|2024Q3|1B|KC\\.US| |\n){0,30}"
    ) {
        let _ = parse_script(&s);
    }
}
