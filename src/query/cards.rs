//! The analysis statements: `score` (the scorecard), `peers of` (the peer table),
//! `valuation` (the valuation band) and `fscore` (the Piotroski signals).

use super::exec::Env;
use super::plan::CardPlan;
use crate::analysis::fscore::SIGNALS;
use crate::analysis::fx::LeftOut;
use crate::analysis::score::ScoreTable;
use crate::analysis::stats::{self, EPS};
use crate::analysis::valuation;
use crate::error::Result;
use crate::model::{Period, Unit};
use crate::output::{Column, Output, Table, Value, format_number};
use std::fmt::Write as _;

fn grade_value(v: f64) -> Value {
    stats::grade(v).map_or(Value::Null, |g| Value::text(g.to_string()))
}

fn grade_text(v: f64) -> String {
    stats::grade(v).map_or("-".into(), |g| g.to_string())
}

/// A dimension's name as a heading: `profit` → `Profit`.
fn heading(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

fn num(v: f64) -> Value {
    if v.is_nan() {
        Value::Null
    } else {
        Value::Num(v)
    }
}

/// `score SYMBOL [at PERIOD]`: one row with every figure (for CSV and JSON), laid out as a
/// card for people.
pub fn score(env: &mut Env, card: &CardPlan, at: Option<Period>) -> Result<Vec<Output>> {
    let (companies, row, symbol) = (&card.companies, card.row, card.symbol.as_str());
    let sc = &card.scorecard;
    let table = env.cache.scores(env.db, sc, at)?;
    let (group, me) = table
        .own(row)
        .ok_or_else(|| crate::errdata!("no scorecard for {symbol}"))?;
    let money = table.meet(table.group_of[row])?;
    // A money indicator is shown in the company's own currency (its percentile was taken
    // among values brought to one currency).
    let mut own = Vec::with_capacity(table.values.len());
    for (k, (_, ind)) in sc.indicators().enumerate() {
        own.push(own_value(env, &table, k, &ind.metric, row, at)?);
    }
    let c = &companies.rows[row];
    let name = companies.attr(row, "name").map_or("", |s| s);
    let mut t = Table {
        title: None,
        columns: Vec::new(),
        rows: vec![Vec::new()],
        card: None,
        sparks: Vec::new(),
    };
    let mut push = |col: &str, unit: Option<Unit>, v: Value| {
        t.columns.push(Column::new(col, unit));
        t.rows[0].push(v);
    };
    push("symbol", None, Value::text(&*c.symbol));
    push("name", None, Value::text(name));
    push("score", Some(Unit::Score), num(me.score));
    push("score_grade", None, grade_value(me.score));
    push(
        "industry_rank",
        Some(Unit::Count),
        me.rank.map_or(Value::Null, Value::count),
    );
    push("group_size", Some(Unit::Count), Value::count(group.scored));
    push("median_grade", None, grade_value(group.median));
    push("peer_group", None, Value::text(&group.label));
    push(
        "peer_group_companies",
        Some(Unit::Count),
        Value::count(group.members.len()),
    );
    for (d, dim) in sc.dimensions.iter().enumerate() {
        push(
            &format!("{}_grade", dim.name),
            None,
            grade_value(me.dims[d]),
        );
        push(
            &format!("{}_score", dim.name),
            Some(Unit::Score),
            num(me.dims[d]),
        );
    }
    let catalog = env.db.catalog();
    for (k, (_, ind)) in sc.indicators().enumerate() {
        let id = ind.metric.as_str();
        let unit = catalog.get(id).map(|d| d.unit);
        push(id, unit, num(own[k].0));
        push(&format!("{id}_pct"), Some(Unit::Score), num(me.pct[k]));
        push(&format!("{id}_grade"), None, grade_value(me.pct[k]));
    }
    for ((_, ind), (_, code)) in sc.indicators().zip(&own) {
        if let Some(col) = t.columns.iter_mut().find(|c| c.name == ind.metric) {
            col.currency = code.clone().filter(|_| col.unit == Some(Unit::Money));
        }
    }

    // The card.
    let mut card = String::new();
    let mut when = at.map_or("latest values".to_string(), |p| format!("at {p}"));
    if !sc.is_builtin() {
        when.push_str(&format!(", scorecard {}", sc.name));
    }
    let _ = writeln!(card, "{} — {name}   ({when})", c.symbol);
    let score_text = if me.score.is_nan() {
        "-".to_string()
    } else {
        format!("{:.2}", me.score)
    };
    let rank = me
        .rank
        .map_or("-".into(), |k| format!("{k} / {}", group.scored));
    let _ = writeln!(
        card,
        "Score {score_text} ({})   industry rank {rank}   industry median {}",
        grade_text(me.score),
        grade_text(group.median)
    );
    let _ = writeln!(
        card,
        "peer group: {} ({} companies)",
        group.label,
        group.members.len()
    );
    let _ = writeln!(card);
    let _ = writeln!(
        card,
        "{:<10} {:>5}   {:<18} {:>10} {:>10} {:>5}",
        "dimension", "grade", "indicator", "value", "percentile", "grade"
    );
    for (d, dim) in sc.dimensions.iter().enumerate() {
        let mut first = true;
        for (k, (kd, ind)) in sc.indicators().enumerate() {
            if kd != d {
                continue;
            }
            let id = ind.metric.as_str();
            let def = catalog.get(id);
            let value = match (format_number(own[k].0, def.map(|d| d.unit)), &own[k].1) {
                (v, Some(code)) if !v.is_empty() => format!("{v} {code}"),
                (v, _) => v,
            };
            let pct = if me.pct[k].is_nan() {
                "-".into()
            } else {
                format!("{:.2}", me.pct[k])
            };
            let (dname, dgrade) = if first {
                (heading(&dim.name), grade_text(me.dims[d]))
            } else {
                (String::new(), String::new())
            };
            first = false;
            let display = def.map_or(id.to_string(), |d| d.display.clone());
            let value = if value.is_empty() { "-".into() } else { value };
            let _ = writeln!(
                card,
                "{dname:<10} {dgrade:>5}   {display:<18} {value:>10} {pct:>10} {:>5}",
                grade_text(me.pct[k])
            );
        }
    }
    t.card = Some(card);
    Ok(with_note(Output::Table(t), money.note))
}

/// A result and, under it, the line saying how many money values were left out for want
/// of an exchange rate.
fn with_note(out: Output, note: Option<String>) -> Vec<Output> {
    let mut v = vec![out];
    v.extend(note.map(Output::Message));
    v
}

/// Company `row`'s value of indicator `k` (metric `id`) as the company reports it, and the
/// currency it is in when it is money on a database whose companies name currencies (the
/// table holds the value brought to the peer group's currency).
fn own_value(
    env: &mut Env,
    table: &ScoreTable,
    k: usize,
    id: &str,
    row: usize,
    at: Option<Period>,
) -> Result<(f64, Option<String>)> {
    let Some(Some(money)) = table.money.get(k) else {
        return Ok((table.values[k][row], None));
    };
    let v = match money.own_value(row) {
        Some(v) => v,
        None => env.cache.anchored(env.db, id, at)?.series(row).value_at(at),
    };
    Ok((v, Some(money.own_currency(row).to_string())))
}

/// `peers of SYMBOL [at P] [limit N]`: the subject's peer group ranked by score, every
/// member scored against that group; the subject is marked and always shown.
pub fn peers(
    env: &mut Env,
    card: &CardPlan,
    at: Option<Period>,
    limit: Option<usize>,
) -> Result<Vec<Output>> {
    let (companies, row) = (&card.companies, card.row);
    let table = env.cache.scores(env.db, &card.scorecard, at)?;
    let money = table.meet(table.group_of[row])?;
    let g = &table.groups[table.group_of[row]];
    let scores: Vec<f64> = g.results.iter().map(|r| r.score).collect();
    let key = |i: usize| &companies.rows[g.members[i]].key;
    let mut order: Vec<usize> = (0..g.members.len()).collect();
    order.sort_by(|&a, &b| {
        match (scores[a].is_nan(), scores[b].is_nan()) {
            (false, false) => scores[b].total_cmp(&scores[a]),
            (x, y) => x.cmp(&y),
        }
        .then_with(|| key(a).cmp(key(b)))
    });
    stats::order_ties_by(&mut order, &scores, EPS, |a, b| key(a).cmp(key(b)));
    // Under a limit, the first N members that have a score (SCORING.md); those without one
    // are counted in a footer. The subject stays in the table wherever it ranks.
    let mut unlisted = 0;
    if let Some(n) = limit {
        let mine = order.iter().position(|&i| g.members[i] == row);
        let subject = mine.map(|p| order[p]);
        let scored = order.iter().filter(|&&i| !scores[i].is_nan()).count();
        unlisted = order.len() - scored;
        order.retain(|&i| !scores[i].is_nan());
        order.truncate(n);
        if let Some(s) = subject
            && !order.contains(&s)
        {
            order.push(s);
            if scores[s].is_nan() {
                unlisted -= 1;
            }
        }
    }
    let mut t = Table {
        title: Some(format!(
            "Peers of {}{}{} — {} ({} companies)",
            companies.rows[row].symbol,
            at.map_or(String::new(), |p| format!(" at {p}")),
            match card.scorecard.is_builtin() {
                true => String::new(),
                false => format!(", scorecard {}", card.scorecard.name),
            },
            g.label,
            g.members.len()
        )),
        columns: vec![
            Column::new("rank", Some(Unit::Count)),
            Column::new("symbol", None),
            Column::new("name", None),
        ],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    for dim in &card.scorecard.dimensions {
        t.columns.push(Column::new(&heading(&dim.name), None));
    }
    t.columns.push(Column::new("Rating", None));
    t.columns.push(Column::new("score", Some(Unit::Score)));
    t.columns.push(Column::new("subject", None));
    for i in order {
        let c = &companies.rows[g.members[i]];
        let r = &g.results[i];
        let mut out = vec![
            r.rank.map_or(Value::Null, Value::count),
            Value::text(&*c.symbol),
            Value::opt_text(companies.attr(g.members[i], "name").map(|s| &**s)),
        ];
        out.extend(r.dims.iter().map(|&d| grade_value(d)));
        out.push(grade_value(r.score));
        out.push(num(r.score));
        out.push(if g.members[i] == row {
            Value::text("◀")
        } else {
            Value::Null
        });
        t.rows.push(out);
    }
    let mut out = with_note(Output::Table(t), money.note);
    if unlisted > 0 {
        let s = if unlisted == 1 { "" } else { "s" };
        out.push(Output::Message(format!(
            "{unlisted} member{s} without a score not listed"
        )));
    }
    Ok(out)
}

/// `valuation SYMBOL [over N years]`.
pub fn valuation(env: &mut Env, card: &CardPlan, years: usize) -> Result<Vec<Output>> {
    let (companies, row) = (&card.companies, card.row);
    let (members, label) = crate::analysis::peers::peer_group(companies, row);
    let mut t = Table {
        title: Some(format!(
            "Valuation of {} — over {years} years; industry ranking within {label} ({} companies)",
            companies.rows[row].symbol,
            members.len()
        )),
        columns: vec![
            Column::new("metric", None),
            Column::new("current", None),
            Column::new("industry_ranking", None),
            Column::new("high", None),
            Column::new("median", None),
            Column::new("low", None),
            Column::new("band", None),
        ],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    // A peer's multiple left out for want of a rate is not ranked, and the note says so.
    let mut left = LeftOut::default();
    for (id, lower) in valuation::METRICS {
        let col = env.cache.metric(env.db, id)?;
        env.cache
            .count_left_out(env.db, id, &members, &col, None, false, &mut left)?;
        let unit = env.db.catalog().get(id).map_or(Unit::Ratio, |d| d.unit);
        let mine = col.series(row);
        let current = mine.value_at(None);
        let peers: Vec<f64> = members
            .iter()
            .map(|&m| col.series(m).value_at(None))
            .collect();
        let q = |v: f64| {
            if v.is_nan() {
                Value::Null
            } else {
                Value::Quantity(v, unit)
            }
        };
        // With two years of its own points the band is the company's own; with fewer, a
        // quote page's published band (at the multiple's latest period) is shown instead,
        // and never a band of a single point (SCORING.md).
        let own_years = valuation::years_covered(mine);
        let published = if own_years < 2.0 {
            published_band(env, &companies.rows[row].symbol, id, mine)?
        } else {
            None
        };
        let row_out = match published {
            Some(p) => vec![
                Value::text(id),
                q(current),
                p.rank.map_or(Value::Null, Value::text),
                q(p.high),
                q(p.median),
                q(p.low),
                Value::text("published"),
            ],
            None => {
                let ranking = valuation::industry_rank(current, &peers, lower);
                let (high, median, low, basis) = if mine.len() >= 2 {
                    let (h, m, l) = valuation::band(mine, years.min(1000) as i32);
                    (h, m, l, Value::text("own points"))
                } else {
                    (f64::NAN, f64::NAN, f64::NAN, Value::Null)
                };
                vec![
                    Value::text(id),
                    q(current),
                    ranking.map_or(Value::Null, |(k, n)| Value::text(format!("{k} / {n}"))),
                    q(high),
                    q(median),
                    q(low),
                    basis,
                ]
            }
        };
        t.rows.push(row_out);
    }
    Ok(with_note(Output::Table(t), left.note()))
}

/// `fscore SYMBOL [at PERIOD]`: each signal with the two sides it compares.
pub fn fscore(env: &mut Env, card: &CardPlan, at: Option<Period>) -> Result<Vec<Output>> {
    let (companies, row) = (&card.companies, card.row);
    let all = env.cache.fscores(env.db, at)?;
    let f = &all[row];
    let year = f
        .period
        .map_or("no net income point".to_string(), |p| format!("year {p}"));
    let total = match f.available() {
        0 => "no F-score".to_string(),
        _ => format!("{} / 9", f.total()),
    };
    let mut t = Table {
        title: Some(format!(
            "F-score of {} — {total} ({} of 9 signals available; {year})",
            companies.rows[row].symbol,
            f.available()
        )),
        columns: vec![
            Column::new("signal", None),
            Column::new("test", None),
            Column::new("value", Some(Unit::Ratio)),
            Column::new("compared_to", Some(Unit::Ratio)),
            Column::new("result", None),
            Column::new("points", Some(Unit::Count)),
        ],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    let ratio = |v: f64| {
        if v.is_nan() {
            Value::Null
        } else {
            Value::Num(v)
        }
    };
    for (s, (name, rule)) in f.signals.iter().zip(SIGNALS) {
        let result = match s.pass {
            Some(true) => "pass",
            Some(false) => "fail",
            None => "n.a.",
        };
        t.rows.push(vec![
            Value::text(name),
            Value::text(rule),
            ratio(s.left),
            ratio(s.right),
            Value::text(result),
            Value::count(usize::from(s.pass == Some(true))),
        ]);
    }
    t.rows.push(vec![
        Value::text("F-score"),
        Value::text(format!("{} of 9 available", f.available())),
        Value::Null,
        Value::Null,
        Value::text(f.period.map_or(String::new(), |p| p.to_string())),
        if f.available() == 0 {
            Value::Null
        } else {
            Value::count(f.total())
        },
    ]);
    Ok(vec![Output::Table(t)])
}

/// `explain score SYMBOL [at PERIOD]`: for each indicator the value the scorecard used, its
/// period, and where it came from (stored, derived from which inputs at which periods) or
/// why it is missing; the title names the peer group and its size.
pub fn explain_score(env: &mut Env, card: &CardPlan, at: Option<Period>) -> Result<Vec<Output>> {
    let (companies, row, symbol) = (&card.companies, card.row, card.symbol.as_str());
    let sc = &card.scorecard;
    let table = env.cache.scores(env.db, sc, at)?;
    let (group, me) = table
        .own(row)
        .ok_or_else(|| crate::errdata!("no scorecard for {symbol}"))?;
    let money = table.meet(table.group_of[row])?;
    let catalog = env.db.shared_catalog();
    let when = at.map_or("latest values".to_string(), |p| format!("at {p}"));
    let mut t = Table {
        title: Some(format!(
            "Scorecard inputs of {} ({when}) — peer group {} ({} companies, {} scored)",
            companies.rows[row].symbol,
            group.label,
            group.members.len(),
            group.scored
        )),
        columns: vec![
            Column::new("indicator", None),
            Column::new("dimension", None),
            Column::new("value", None),
            Column::new("period", None),
            Column::new("percentile", Some(Unit::Score)),
            Column::new("source", None),
        ],
        rows: Vec::new(),
        card: None,
        sparks: Vec::new(),
    };
    for (k, (d, ind)) in sc.indicators().enumerate() {
        let id = ind.metric.as_str();
        let (_, period, mut source) = env.cache.provenance(env.db, id, symbol, at)?;
        // The value the scorecard graded (the provenance reads the same point); a money
        // one as the company reports it, and what it was graded as.
        let (value, own) = own_value(env, &table, k, id, row, at)?;
        let unit = catalog.get(id).map_or(Unit::Ratio, |d| d.unit);
        if let (Some(code), Some(to), false) = (&own, &money.currency[k], value.is_nan()) {
            let graded = table.values[k][row];
            if code != to && !graded.is_nan() {
                source.push_str(&format!(
                    "; in {code}, graded as {} {to}",
                    format_number(graded, Some(unit))
                ));
            } else {
                source.push_str(&format!("; in {code}"));
            }
        }
        t.rows.push(vec![
            Value::text(id),
            Value::text(&sc.dimensions[d].name),
            if value.is_nan() {
                Value::Null
            } else {
                Value::Quantity(value, unit)
            },
            Value::opt_text(period.map(|p| p.to_string()).as_deref()),
            num(me.pct[k]),
            Value::text(source),
        ]);
    }
    Ok(with_note(Output::Table(t), money.note))
}

/// A quote page's published valuation band for one multiple.
struct Published {
    high: f64,
    median: f64,
    low: f64,
    /// `k / n` (or `k` without the size).
    rank: Option<String>,
}

/// The published band of multiple `id` (its `_high`, `_median`, `_low`, `_industry_rank`
/// and `_industry_size` points) at the period of the company's latest `id` point, if the
/// page gave one.
fn published_band(
    env: &mut Env,
    symbol: &str,
    id: &str,
    mine: crate::model::SeriesRef,
) -> Result<Option<Published>> {
    let Some(&latest) = mine.codes.last() else {
        return Ok(None);
    };
    let mut at = |suffix: &str| -> Result<f64> {
        let s = env
            .cache
            .series(env.db, &format!("{id}_{suffix}"), symbol)?;
        Ok(s.points
            .binary_search_by_key(&latest, |p| p.0)
            .map_or(f64::NAN, |i| s.points[i].1))
    };
    let (high, median, low) = (at("high")?, at("median")?, at("low")?);
    if high.is_nan() && median.is_nan() && low.is_nan() {
        return Ok(None);
    }
    let (k, n) = (at("industry_rank")?, at("industry_size")?);
    let rank = (!k.is_nan()).then(|| match n.is_nan() {
        true => format!("{k}"),
        false => format!("{k} / {n}"),
    });
    Ok(Some(Published {
        high,
        median,
        low,
        rank,
    }))
}
