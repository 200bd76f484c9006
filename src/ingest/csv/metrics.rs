//! Metric names as a file writes them, resolved through the catalog once per file
//! ([`Metrics`]), the unit of each metric the file registers ([`UnitEvidence`]), and period
//! cells read as written or by `--period-kind` ([`read_period`]).

use crate::model::catalog::snake_case;
use crate::model::{Catalog, MetricDef, Period, PeriodKind, Unit};
use crate::storage::WriteSet;
use std::collections::HashMap;

/// Metric names resolved through the catalog once per file. A metric the catalog does not
/// know is registered when the file has been read ([`Metrics::register_new`]), if a point
/// arrived for it, so a column that brings no numbers registers nothing; its unit is known
/// only then, from all of its values.
#[derive(Clone)]
pub(in crate::ingest) struct Metrics<'c> {
    pub(super) catalog: &'c Catalog,
    pub(super) by_name: HashMap<String, usize>,
    pub(super) entries: Vec<MetricEntry>,
}

#[derive(Clone)]
pub(super) struct MetricEntry {
    pub(super) id: String,
    pub(super) index: u32,
    /// A metric the catalog does not know, registered if a point arrives for it.
    pub(super) new: bool,
    /// A point has arrived.
    pub(super) has_points: bool,
    /// The unit `--map COL=METRIC:UNIT` gives it.
    pub(super) unit: Option<Unit>,
    /// The unit of the catalog metric its column is named after (`--map "Total
    /// Revenue=revenue_total"` is money, as revenue is).
    pub(super) like: Option<Unit>,
    pub(super) evidence: UnitEvidence,
}

/// What the values of a new metric say about its unit: money when most are whole numbers
/// of magnitude 1,000,000 or more (statement items in a currency's units), else ratio
/// (DATA_FORMATS.md).
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub(in crate::ingest) struct UnitEvidence {
    values: u64,
    money_like: u64,
}

impl UnitEvidence {
    #[inline]
    pub(in crate::ingest) fn add(&mut self, v: f64) {
        self.values += 1;
        self.money_like += u64::from(v.abs() >= 1e6 && v.fract() == 0.0);
    }

    pub(in crate::ingest) fn join(&mut self, other: UnitEvidence) {
        self.values += other.values;
        self.money_like += other.money_like;
    }

    pub(in crate::ingest) fn unit(&self) -> Unit {
        if self.money_like * 2 > self.values {
            Unit::Money
        } else {
            Unit::Ratio
        }
    }
}

impl MetricEntry {
    /// The catalog entry a new metric is registered with: its unit from `:UNIT`, else from
    /// the catalog metric its column is named after, else from its values.
    pub(super) fn def(&self, evidence: UnitEvidence) -> MetricDef {
        MetricDef {
            unit: self.unit.or(self.like).unwrap_or_else(|| evidence.unit()),
            ..MetricDef::registered(&self.id)
        }
    }
}

impl<'c> Metrics<'c> {
    pub(in crate::ingest) fn new(catalog: &'c Catalog) -> Metrics<'c> {
        Metrics {
            catalog,
            by_name: HashMap::new(),
            entries: Vec::new(),
        }
    }

    /// The entry of a metric name as a file writes it (id, alias or display name, any case);
    /// `None` when the name has no letter or digit to make an id from.
    pub(in crate::ingest) fn resolve(&mut self, set: &mut WriteSet, name: &str) -> Option<usize> {
        if let Some(&e) = self.by_name.get(name) {
            return Some(e);
        }
        let (id, new) = match self.catalog.get(name) {
            Some(def) => (def.id.clone(), false),
            None => (snake_case(name), true),
        };
        if id.is_empty() {
            return None;
        }
        // Two spellings of one metric share an entry, so "registered once" holds per id.
        let entry = match self.entries.iter().position(|e| e.id == id) {
            Some(e) => e,
            None => {
                self.entries.push(MetricEntry {
                    index: set.metric(&id),
                    id,
                    new,
                    has_points: false,
                    unit: None,
                    like: None,
                    evidence: UnitEvidence::default(),
                });
                self.entries.len() - 1
            }
        };
        self.by_name.insert(name.to_string(), entry);
        Some(entry)
    }

    /// Gives a new metric the unit a `--map` says (`unit`) and the unit of the catalog metric
    /// its column is named after (`like`). For a metric the catalog knows, returns its unit
    /// when `unit` says another: an import does not change a known metric's unit.
    pub(super) fn set_unit(
        &mut self,
        entry: usize,
        unit: Option<Unit>,
        like: Option<Unit>,
    ) -> Result<(), Unit> {
        let Some(e) = self.entries.get_mut(entry) else {
            return Ok(());
        };
        if !e.new {
            let known = self.catalog.get(&e.id).map(|d| d.unit);
            return match (unit, known) {
                (Some(u), Some(k)) if u != k => Err(k),
                _ => Ok(()),
            };
        }
        e.unit = e.unit.or(unit);
        e.like = e.like.or(like);
        Ok(())
    }

    /// The metric id of a name this file has resolved before, as it was written.
    pub(super) fn id_of(&self, name: &str) -> Option<&str> {
        let entry = *self.by_name.get(name)?;
        self.entries.get(entry).map(|e| e.id.as_str())
    }

    pub(in crate::ingest) fn id(&self, entry: usize) -> &str {
        self.entries.get(entry).map_or("", |e| e.id.as_str())
    }

    #[inline]
    pub(in crate::ingest) fn push(
        &mut self,
        set: &mut WriteSet,
        entry: usize,
        company: u32,
        period: Period,
        value: f64,
    ) {
        let Some(e) = self.entries.get_mut(entry) else {
            return;
        };
        e.has_points = true;
        if e.new {
            e.evidence.add(value);
        }
        set.push(company, e.index, period, value);
    }

    /// Moves a run of points of one company into the set, as [`Metrics::push`] would one at
    /// a time but with one series lookup for the run: the wide reader collects a company's
    /// rows this way, which spares a hash lookup per cell of a large file.
    pub(super) fn append(
        &mut self,
        set: &mut WriteSet,
        entry: usize,
        company: u32,
        points: &mut Vec<(u32, f64)>,
    ) {
        let Some(e) = self.entries.get_mut(entry) else {
            points.clear();
            return;
        };
        if points.is_empty() {
            return;
        }
        e.has_points = true;
        if e.new {
            for &(_, v) in points.iter() {
                e.evidence.add(v);
            }
        }
        // The next company's run will be about as long: keep that much room.
        let room = points.len();
        set.append(company, e.index, points);
        points.reserve(room);
    }

    /// Adds what a copy of these metrics saw while it read part of the file.
    pub(super) fn absorb(&mut self, part: &Metrics) {
        for (e, p) in self.entries.iter_mut().zip(&part.entries) {
            e.has_points |= p.has_points;
            e.evidence.join(p.evidence);
        }
    }

    /// Registers every new metric that got a point, with its unit, once the file is read.
    pub(in crate::ingest) fn register_new(&self, set: &mut WriteSet) {
        for e in self.entries.iter().filter(|e| e.new && e.has_points) {
            set.register(e.def(e.evidence));
        }
    }
}

/// Reads a period cell: as written, or with `--period-kind` the period of that kind that a
/// statement dated so reports, by the fiscal-label rule of SPEC.md §1 ([`Period::fiscal`]):
/// a 52/53-week year ending 2016-01-02 is fiscal 2015 (2015Q4), one ending 2015-09-26 is
/// 2015 (2015Q3). A period coarser than the kind asked for is an error: a year cannot
/// become a quarter.
pub(in crate::ingest) fn read_period(
    text: &str,
    kind: Option<PeriodKind>,
) -> std::result::Result<Period, String> {
    let text = text.trim();
    let Some(p) = Period::parse(text) else {
        return Err(format!(
            "'{text}' is not a period (write 2024, 2024H1, 2024Q3 or 2024-06-30)"
        ));
    };
    let Some(kind) = kind else { return Ok(p) };
    if p.kind() > kind {
        return Err(format!(
            "'{text}' spans more than the {} that --period-kind asks for",
            kind_name(kind)
        ));
    }
    // A year, half or quarter ends on a month's last day, which the rule keeps as it is; only
    // a day early in a month moves back to the month before.
    Ok(Period::fiscal(p.end_date(), kind))
}

fn kind_name(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Year => "year",
        PeriodKind::Half => "half",
        PeriodKind::Quarter => "quarter",
        PeriodKind::Day => "day",
    }
}
