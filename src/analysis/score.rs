//! The scorecard of SCORING.md for every company at once: per peer group, one pass over the
//! indicator columns gives every member's percentiles, dimension scores, score and rank.

use super::fx::{LeftOut, RankedMoney};
use super::stats::{self, EPS};
use crate::columns::Companies;
use crate::error::Result;
use crate::model::Dimension;
use std::sync::Arc;

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

/// One indicator of a scorecard: a metric, its weight within its dimension, and whether
/// lower values are better (from the catalog's direction).
#[derive(Clone, Debug, PartialEq)]
pub struct Indicator {
    pub metric: String,
    pub weight: f64,
    pub lower: bool,
}

/// A named group of indicators; its score is the weighted mean of their percentiles.
#[derive(Clone, Debug, PartialEq)]
pub struct CardDimension {
    pub name: String,
    pub indicators: Vec<Indicator>,
}

/// A scorecard: the built-in one of SCORING.md, or one a user defined
/// (`define scorecard NAME (...)`).
#[derive(Clone, Debug, PartialEq)]
pub struct Scorecard {
    /// `score` for the built-in card.
    pub name: String,
    pub dimensions: Vec<CardDimension>,
}

/// The name the built-in scorecard goes by.
pub const BUILTIN: &str = "score";

impl Scorecard {
    /// The scorecard of SCORING.md: five dimensions, eleven indicators, weight 1 each.
    pub fn builtin() -> Scorecard {
        let dimensions = DIMENSIONS
            .iter()
            .map(|d| CardDimension {
                name: d.name().to_string(),
                indicators: INDICATORS
                    .iter()
                    .filter(|(_, kd, _)| kd == d)
                    .map(|(id, _, lower)| Indicator {
                        metric: id.to_string(),
                        weight: 1.0,
                        lower: *lower,
                    })
                    .collect(),
            })
            .collect();
        Scorecard {
            name: BUILTIN.into(),
            dimensions,
        }
    }

    pub fn is_builtin(&self) -> bool {
        self.name == BUILTIN
    }

    /// Every indicator with the index of its dimension, dimension by dimension. Indicator
    /// k of [`MemberScore::pct`] and of the table's values is the k-th of this list.
    pub fn indicators(&self) -> impl Iterator<Item = (usize, &Indicator)> {
        self.dimensions
            .iter()
            .enumerate()
            .flat_map(|(d, dim)| dim.indicators.iter().map(move |i| (d, i)))
    }

    pub fn indicator_count(&self) -> usize {
        self.dimensions.iter().map(|d| d.indicators.len()).sum()
    }

    /// A score needs at least half of the dimensions, rounded up (3 of the built-in 5).
    pub fn min_dimensions(&self) -> usize {
        self.dimensions.len().div_ceil(2)
    }
}

/// One member's figures, scored against one group.
#[derive(Clone, Debug)]
pub struct MemberScore {
    /// Indicator percentiles (1 = best) in [`Scorecard::indicators`] order, NaN where the
    /// indicator is missing.
    pub pct: Vec<f64>,
    /// Dimension scores, NaN where the dimension has no indicator.
    pub dims: Vec<f64>,
    /// Weighted mean of the available dimension scores; NaN with fewer than
    /// [`Scorecard::min_dimensions`].
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
#[derive(Debug, Clone)]
pub struct ScoreTable {
    pub card: std::sync::Arc<Scorecard>,
    pub groups: Vec<GroupScores>,
    /// For each company, the index of its own peer group in `groups`.
    pub group_of: Vec<usize>,
    /// Indicator values per indicator (in [`Scorecard::indicators`] order), per company.
    pub values: Vec<Vec<f64>>,
    /// Per indicator, for a money one on a database whose companies name currencies, how
    /// its values were brought to the base currency (empty: none is money).
    pub money: Vec<Option<Arc<RankedMoney>>>,
}

/// What a peer group's money indicators meet in ([`ScoreTable::meet`]).
#[derive(Debug, Default)]
pub struct GroupMoney {
    /// Per indicator, the currency its values in the group are in (`None`: not money).
    pub currency: Vec<Option<String>>,
    /// One line when values of the group were left out for want of a rate.
    pub note: Option<String>,
}

impl ScoreTable {
    /// Scores every company. `values[k][c]` is indicator k of company c at the period.
    pub fn build(
        companies: &Companies,
        card: std::sync::Arc<Scorecard>,
        values: Vec<Vec<f64>>,
    ) -> ScoreTable {
        // Groups by identity (one member list each); a group is scored when first met.
        let mut ids: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        let mut groups = Vec::new();
        let mut group_of = Vec::with_capacity(companies.len());
        for c in 0..companies.len() {
            let peers = crate::analysis::peers::peers_of(companies, c);
            let g = *ids.entry(peers.id()).or_insert_with(|| {
                let mut members = peers.members(companies);
                members.sort_unstable();
                groups.push(score_group(&card, peers.label(), members, &values));
                groups.len() - 1
            });
            group_of.push(g);
        }
        ScoreTable {
            card,
            groups,
            group_of,
            values,
            money: Vec::new(),
        }
    }

    /// Checks that the money values of group `g` may meet (currencies without rates
    /// meeting there is the error naming them and the fix), and says their currency per
    /// indicator and how many were left out for want of a rate.
    pub fn meet(&self, g: usize) -> Result<GroupMoney> {
        let mut out = GroupMoney {
            currency: vec![None; self.values.len()],
            note: None,
        };
        let Some(group) = self.groups.get(g) else {
            return Ok(out);
        };
        let mut left = LeftOut::default();
        for (k, money) in self.money.iter().enumerate() {
            if let Some(m) = money {
                out.currency[k] = Some(m.meet(&self.values[k], &group.members, &mut left)?);
            }
        }
        out.note = left.note();
        Ok(out)
    }

    /// [`ScoreTable::meet`] for the groups of every company of `rows` at once: the first
    /// error, or the note on values left out among them.
    pub fn meet_rows(&self, rows: &[usize]) -> Result<Option<String>> {
        if self.money.iter().all(Option::is_none) {
            return Ok(None);
        }
        let mut groups: Vec<usize> = rows
            .iter()
            .filter_map(|&r| self.group_of.get(r).copied())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let mut members: Vec<usize> = Vec::new();
        for &g in &groups {
            self.meet(g)?;
            members.extend(&self.groups[g].members);
        }
        members.sort_unstable();
        members.dedup();
        let mut left = LeftOut::default();
        for (k, money) in self.money.iter().enumerate() {
            if let Some(m) = money {
                m.meet(&self.values[k], &members, &mut left).ok();
            }
        }
        Ok(left.note())
    }

    /// Takes every company's indicator values afresh (`values[k][c]`, as for
    /// [`ScoreTable::build`]) and scores again only the groups holding a company whose
    /// value of some indicator moved: every other group's percentiles are unchanged.
    pub fn rescore(&mut self, values: Vec<Vec<f64>>) {
        let n = values.first().map_or(0, Vec::len);
        let mut moved = vec![false; n];
        for (new, old) in values.iter().zip(&self.values) {
            for (c, (a, b)) in new.iter().zip(old).enumerate() {
                if a.to_bits() != b.to_bits() {
                    moved[c] = true;
                }
            }
        }
        let same_shape =
            values.len() == self.values.len() && self.values.iter().all(|v| v.len() == n);
        self.values = values;
        for g in 0..self.groups.len() {
            let hit = !same_shape
                || self.groups[g]
                    .members
                    .iter()
                    .any(|&c| moved.get(c).copied().unwrap_or(true));
            if hit {
                let members = std::mem::take(&mut self.groups[g].members);
                let label = std::mem::take(&mut self.groups[g].label);
                self.groups[g] = score_group(&self.card, label, members, &self.values);
            }
        }
    }

    /// A company's figures within its own peer group.
    pub fn own(&self, company: usize) -> Option<(&GroupScores, &MemberScore)> {
        let g = self.groups.get(*self.group_of.get(company)?)?;
        Some((g, g.result_of(company)?))
    }
}

/// Scores every member of one group against the group, with `card`'s indicators, weights
/// and dimensions.
pub fn score_group(
    card: &Scorecard,
    label: String,
    members: Vec<usize>,
    values: &[Vec<f64>],
) -> GroupScores {
    let n = members.len();
    let (k_count, d_count) = (card.indicator_count(), card.dimensions.len());
    let mut results = vec![
        MemberScore {
            pct: vec![f64::NAN; k_count],
            dims: vec![f64::NAN; d_count],
            score: f64::NAN,
            rank: None,
        };
        n
    ];
    let mut vals = Vec::with_capacity(n);
    for (k, (_, ind)) in card.indicators().enumerate() {
        vals.clear();
        vals.extend(members.iter().map(|&c| values[k][c]));
        for (i, p) in stats::midrank_percentiles(&vals, ind.lower)
            .into_iter()
            .enumerate()
        {
            results[i].pct[k] = p;
        }
    }
    let min_dims = card.min_dimensions();
    for r in &mut results {
        let mut sums = vec![0.0; d_count];
        let mut weights = vec![0.0; d_count];
        for (k, (d, ind)) in card.indicators().enumerate() {
            if !r.pct[k].is_nan() {
                sums[d] += ind.weight * r.pct[k];
                weights[d] += ind.weight;
            }
        }
        for d in 0..d_count {
            if weights[d] > 0.0 {
                r.dims[d] = sums[d] / weights[d];
            }
        }
        let available: Vec<f64> = r.dims.iter().copied().filter(|x| !x.is_nan()).collect();
        if !available.is_empty() && available.len() >= min_dims {
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
        let t = ScoreTable::build(&c, std::sync::Arc::new(Scorecard::builtin()), v);
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
        let t = ScoreTable::build(&c, std::sync::Arc::new(Scorecard::builtin()), v);
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
        let t = ScoreTable::build(
            &c,
            std::sync::Arc::new(Scorecard::builtin()),
            values(8, &[]),
        );
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
        let t = ScoreTable::build(&c, std::sync::Arc::new(Scorecard::builtin()), v);
        let ranks: Vec<_> = (0..4).map(|i| t.own(i).unwrap().1.rank).collect();
        assert_eq!(ranks, [Some(2), Some(2), Some(4), Some(1)]);
        // Median of an even count interpolates: scores 1/3·(0.5·3)… check by value.
        let g = &t.groups[0];
        let mut s: Vec<f64> = g.results.iter().map(|r| r.score).collect();
        s.sort_by(f64::total_cmp);
        assert_eq!(g.median, (s[1] + s[2]) / 2.0);
    }
}
