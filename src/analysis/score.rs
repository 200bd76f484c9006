//! The scorecard of SCORING.md for every company at once: per peer group, one pass over the
//! indicator columns gives every member's percentiles, dimension scores, score and rank.

use super::stats::{self, EPS};
use crate::columns::Companies;
use crate::model::Dimension;

/// The eleven indicators: metric id, dimension, and whether lower is better.
pub const INDICATORS: [(&str, Dimension, bool); 11] = [
    ("roe", Dimension::Profit, false),
    ("profit_margin", Dimension::Profit, false),
    ("gross_margin", Dimension::Profit, false),
    ("revenue_yoy", Dimension::Growth, false),
    ("net_profit_yoy", Dimension::Growth, false),
    ("total_assets_yoy", Dimension::Growth, false),
    ("net_assets_yoy", Dimension::Growth, false),
    ("turnover", Dimension::Operation, false),
    ("gearing_ratio", Dimension::Security, true),
    ("cash_flow_margin", Dimension::Cash, false),
    ("ocf_yoy", Dimension::Cash, false),
];

/// The five dimensions, in scorecard order.
pub const DIMENSIONS: [Dimension; 5] = [
    Dimension::Profit,
    Dimension::Growth,
    Dimension::Operation,
    Dimension::Security,
    Dimension::Cash,
];

fn dimension_index(d: Dimension) -> usize {
    DIMENSIONS.iter().position(|x| *x == d).unwrap_or(0)
}

/// One member's figures, scored against one group.
#[derive(Clone, Debug)]
pub struct MemberScore {
    /// Indicator percentiles (1 = best), NaN where the indicator is missing.
    pub pct: [f64; 11],
    /// Dimension scores, NaN where the dimension has no indicator.
    pub dims: [f64; 5],
    /// Mean of the available dimension scores; NaN with fewer than three.
    pub score: f64,
    /// 1 + the number of members whose score is more than EPS above; `None` without score.
    pub rank: Option<usize>,
}

/// A peer group and every member's figures within it.
#[derive(Clone, Debug)]
pub struct GroupScores {
    /// `industry Software`, `sector Technology` or `all companies`.
    pub label: String,
    pub members: Vec<usize>,
    pub results: Vec<MemberScore>,
    /// How many members have a score (the n of `k / n`).
    pub scored: usize,
    pub median: f64,
}

impl GroupScores {
    pub fn result_of(&self, company: usize) -> Option<&MemberScore> {
        let pos = self.members.binary_search(&company).ok()?;
        self.results.get(pos)
    }
}

/// Every company's scorecard within its own peer group, at one period.
#[derive(Debug)]
pub struct ScoreTable {
    pub groups: Vec<GroupScores>,
    /// For each company, the index of its own peer group in `groups`.
    pub group_of: Vec<usize>,
    /// Indicator values per indicator, per company.
    pub values: Vec<Vec<f64>>,
}

impl ScoreTable {
    /// Scores every company. `values[k][c]` is indicator k of company c at the period.
    pub fn build(companies: &Companies, values: Vec<Vec<f64>>) -> ScoreTable {
        let mut labels: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut groups = Vec::new();
        let mut group_of = Vec::with_capacity(companies.len());
        for c in 0..companies.len() {
            let (members, label) = crate::analysis::peers::peer_group(companies, c);
            let g = match labels.get(&label) {
                Some(&g) => g,
                None => {
                    let mut members = members;
                    members.sort_unstable();
                    groups.push(score_group(label.clone(), members, &values));
                    labels.insert(label, groups.len() - 1);
                    groups.len() - 1
                }
            };
            group_of.push(g);
        }
        ScoreTable {
            groups,
            group_of,
            values,
        }
    }

    /// A company's figures within its own peer group.
    pub fn own(&self, company: usize) -> Option<(&GroupScores, &MemberScore)> {
        let g = self.groups.get(*self.group_of.get(company)?)?;
        Some((g, g.result_of(company)?))
    }
}

/// Scores every member of one group against the group.
pub fn score_group(label: String, members: Vec<usize>, values: &[Vec<f64>]) -> GroupScores {
    let n = members.len();
    let mut results = vec![
        MemberScore {
            pct: [f64::NAN; 11],
            dims: [f64::NAN; 5],
            score: f64::NAN,
            rank: None,
        };
        n
    ];
    for (k, (_, _, lower)) in INDICATORS.iter().enumerate() {
        let vals: Vec<f64> = members.iter().map(|&c| values[k][c]).collect();
        for (i, p) in stats::midrank_percentiles(&vals, *lower)
            .into_iter()
            .enumerate()
        {
            results[i].pct[k] = p;
        }
    }
    for r in &mut results {
        let mut sums = [0.0; 5];
        let mut counts = [0usize; 5];
        for (k, (_, dim, _)) in INDICATORS.iter().enumerate() {
            if !r.pct[k].is_nan() {
                sums[dimension_index(*dim)] += r.pct[k];
                counts[dimension_index(*dim)] += 1;
            }
        }
        for d in 0..5 {
            if counts[d] > 0 {
                r.dims[d] = sums[d] / counts[d] as f64;
            }
        }
        let available: Vec<f64> = r.dims.iter().copied().filter(|x| !x.is_nan()).collect();
        if available.len() >= 3 {
            r.score = available.iter().sum::<f64>() / available.len() as f64;
        }
    }
    let scores: Vec<f64> = results.iter().map(|r| r.score).collect();
    let mut order: Vec<usize> = (0..n).filter(|&i| !scores[i].is_nan()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let ranks = stats::competition_ranks(&scores, &order, true, EPS);
    for (r, rank) in results.iter_mut().zip(ranks) {
        r.rank = rank;
    }
    GroupScores {
        label,
        scored: order.len(),
        median: stats::quantile(&scores, 0.5),
        members,
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::Companies;
    use crate::model::Company;

    fn companies(spec: &[(&str, &str, &str)]) -> Companies {
        let list = spec
            .iter()
            .map(|(s, ind, sec)| {
                let mut c = Company::new(s);
                if !ind.is_empty() {
                    c.attrs.insert("industry".into(), ind.to_string());
                }
                c.attrs.insert("sector".into(), sec.to_string());
                c
            })
            .collect();
        Companies::from_list(list)
    }

    /// Values for 11 indicators: only the listed ones are present.
    fn values(n: usize, present: &[(usize, &[f64])]) -> Vec<Vec<f64>> {
        let mut v = vec![vec![f64::NAN; n]; 11];
        for (k, vals) in present {
            v[*k] = vals.to_vec();
        }
        v
    }

    #[test]
    fn percentiles_dimensions_and_score_by_hand() {
        // Three companies, one group (everyone: no industry or sector has 5).
        let c = companies(&[("A", "x", "s"), ("B", "x", "s"), ("C", "y", "t")]);
        // roe (profit): 10, 20, 20 → midranks 1, 2.5, 2.5 → pct 0, 0.75, 0.75.
        // revenue_yoy (growth): 3, 2, 1 → pct 1, 0.5, 0.
        // gearing_ratio (security, lower): 0.5, 0.2, 0.9 → pct 1 − (0.5, 0, 1) = 0.5, 1, 0.
        // cash_flow_margin (cash): only A and B: 1, 2 → pct 0, 1; C missing.
        let v = values(
            3,
            &[
                (0, &[10.0, 20.0, 20.0]),
                (3, &[3.0, 2.0, 1.0]),
                (8, &[0.5, 0.2, 0.9]),
                (9, &[1.0, 2.0, f64::NAN]),
            ],
        );
        let t = ScoreTable::build(&c, v);
        let (g, a) = t.own(0).unwrap();
        assert_eq!(g.label, "all companies");
        assert_eq!(a.pct[0], 0.0);
        assert_eq!(a.pct[8], 0.5);
        // A: profit 0, growth 1, security 0.5, cash 0 → score 1.5 / 4 = 0.375.
        assert_eq!(a.score, 0.375);
        let (_, b) = t.own(1).unwrap();
        // B: profit 0.75, growth 0.5, security 1, cash 1 → 3.25 / 4 = 0.8125.
        assert_eq!(b.score, 0.8125);
        let (_, cc) = t.own(2).unwrap();
        // C: profit 0.75, growth 0, security 0 (3 dimensions) → 0.25.
        assert_eq!(cc.score, 0.25);
        assert_eq!((b.rank, a.rank, cc.rank), (Some(1), Some(2), Some(3)));
        assert_eq!(g.scored, 3);
        assert_eq!(g.median, 0.375);
    }

    #[test]
    fn fewer_than_three_dimensions_means_no_score() {
        let c = companies(&[("A", "x", "s"), ("B", "x", "s")]);
        let v = values(
            2,
            &[(0, &[1.0, 2.0]), (3, &[1.0, f64::NAN]), (8, &[1.0, 2.0])],
        );
        let t = ScoreTable::build(&c, v);
        assert_eq!(t.own(0).unwrap().1.score, (0.0 + 0.5 + 1.0) / 3.0);
        // B has only profit and security.
        assert!(t.own(1).unwrap().1.score.is_nan());
        assert_eq!(t.own(1).unwrap().1.rank, None);
        assert_eq!(t.own(0).unwrap().0.scored, 1);
    }

    #[test]
    fn peer_group_falls_back_to_sector_then_everyone() {
        // Industry "big" has 5 members; "small" 2 members in sector "s" (7 in sector s);
        // "lone" is alone in sector "t" with 1 member: falls back to everyone (8).
        let mut spec = vec![];
        let names = ["A", "B", "C", "D", "E", "F", "G", "H"];
        for n in &names[..5] {
            spec.push((*n, "big", "s"));
        }
        spec.push(("F", "small", "s"));
        spec.push(("G", "small", "s"));
        spec.push(("H", "lone", "t"));
        let c = companies(&spec);
        let t = ScoreTable::build(&c, values(8, &[]));
        assert_eq!(t.groups[t.group_of[0]].label, "industry big");
        assert_eq!(t.groups[t.group_of[0]].members.len(), 5);
        assert_eq!(t.groups[t.group_of[5]].label, "sector s");
        assert_eq!(t.groups[t.group_of[5]].members.len(), 7);
        assert_eq!(t.groups[t.group_of[7]].label, "all companies");
        assert_eq!(t.groups[t.group_of[7]].members.len(), 8);
    }

    #[test]
    fn industry_rank_ties_within_eps() {
        let c = companies(&[
            ("A", "x", "s"),
            ("B", "x", "s"),
            ("C", "x", "s"),
            ("D", "x", "s"),
        ]);
        // profit, growth, security identical for A and B; C lower; D best.
        let v = values(
            4,
            &[
                (0, &[2.0, 2.0, 1.0, 3.0]),
                (3, &[2.0, 2.0, 1.0, 3.0]),
                (7, &[2.0, 2.0, 1.0, 3.0]),
            ],
        );
        let t = ScoreTable::build(&c, v);
        let ranks: Vec<_> = (0..4).map(|i| t.own(i).unwrap().1.rank).collect();
        assert_eq!(ranks, [Some(2), Some(2), Some(4), Some(1)]);
        // Median of an even count interpolates: scores 1/3·(0.5·3)… check by value.
        let g = &t.groups[0];
        let mut s: Vec<f64> = g.results.iter().map(|r| r.score).collect();
        s.sort_by(f64::total_cmp);
        assert_eq!(g.median, (s[1] + s[2]) / 2.0);
    }
}
