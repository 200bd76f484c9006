//! Statements that change the database. Each is planned into a [`WritePlan`] — names
//! resolved and checked, the changes gathered into one [`WriteSet`] — and applied as one
//! atomic, durable write, after which the session's cache is patched or cleared.

use super::Env;
use super::select::run_select;
use crate::error::{Error, Result, did_you_mean};
use crate::ingest::{ImportOptions, ImportReport};
use crate::model::catalog::snake_case as snake_case_name;
use crate::model::{Date, Direction, MetricDef, Period, STANDARD_ATTRIBUTES, Unit};
use crate::output::Output;
use crate::query::ast::{DefKind, Expr, MetricChange, Spanned};
use crate::query::bind::{Binder, Ty};
use crate::query::cache::Cache;
use crate::query::plan::SelectPlan;
use crate::storage::{Database, WriteSet, WriteStats};
use std::path::Path;

/// A planned write: the changes, and how to say what they did.
pub struct WritePlan {
    pub set: WriteSet,
    pub done: Done,
}

/// What a write says when it has been applied.
pub enum Done {
    /// A fixed message.
    Said(String),
    /// `set SYMBOL ATTRIBUTE = "..."`: the message, and whether the company is new.
    Attribute(String),
    /// `delete`: what was deleted; the count of points comes from the write.
    Deleted(String),
}

impl WritePlan {
    /// One line for `explain`.
    pub fn describe(&self) -> String {
        match &self.done {
            Done::Said(m) | Done::Attribute(m) => m.clone(),
            Done::Deleted(what) => format!("delete {what}"),
        }
    }
}

/// Applies a write and brings the cache up to date: a write of a few series' points
/// patches what is kept of them (and of what is derived from them); any other write, or
/// one that makes a metric appear in or vanish from the database (what is derivable
/// changes), clears it.
fn write(env: &mut Env, set: WriteSet) -> Result<WriteStats> {
    let changes = set.point_series(PATCH_LIMIT);
    let mut patchable = changes.is_some();
    if let Some(changes) = &changes {
        for (id, _) in changes {
            patchable = patchable && env.db.has_series(id).unwrap_or(false);
        }
    }
    // The last point where a statement past its time limit stops: once applying begins,
    // the write and the cache's update finish (a write is all or nothing).
    crate::error::stop::check()?;
    crate::error::stop::shielded(|| {
        let r = env.db.apply(set);
        if let (true, Ok(stats), Some(changes)) = (patchable, &r, &changes) {
            let mut still = stats.companies_added == 0;
            for (id, _) in changes {
                still = still && env.db.has_series(id).unwrap_or(false);
            }
            if still && env.cache.patch(env.db, changes).is_ok() {
                env.db.narrow_last_write(changes.clone());
                return r;
            }
        }
        env.cache.clear();
        r
    })
}

/// Series a write may change and still have the cache patched rather than cleared.
const PATCH_LIMIT: usize = 64;

/// Applies a planned write and says what it did.
pub fn apply(env: &mut Env, plan: &WritePlan) -> Result<Vec<Output>> {
    let stats = write(env, plan.set.clone())?;
    let message = match &plan.done {
        Done::Said(m) => m.clone(),
        Done::Attribute(m) if stats.companies_added > 0 => format!("{m} (new company)"),
        Done::Attribute(m) => m.clone(),
        Done::Deleted(what) => {
            let n = stats.points_deleted;
            let plural = if n == 1 { "" } else { "s" };
            format!("deleted {what}: {n} point{plural}")
        }
    };
    Ok(vec![Output::Message(message)])
}

/// The `import` statement: the same path and the same lines as `finq import`.
pub fn import(env: &mut Env, path: &str) -> Result<Vec<Output>> {
    let opts = crate::ingest::ImportOptions::default();
    let report = import_path(env.db, env.cache, Path::new(path), &opts, &mut |_| {})?;
    Ok(import_outputs(&report))
}

/// Imports one file atomically and clears the cache: the one import path, for the `import`
/// statement and `finq import` alike.
pub fn import_path(
    db: &mut Database,
    cache: &mut Cache,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport> {
    let r = crate::ingest::import_file(db, path, opts, progress);
    cache.clear();
    r
}

/// Imports bytes read elsewhere (the demo's compiled-in sample) as the file `name`.
pub fn import_bytes(
    db: &mut Database,
    cache: &mut Cache,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let r = crate::ingest::import_bytes(db, name, bytes, opts);
    cache.clear();
    r
}

/// What an import says: its warnings, then its one-line summary (what changed: companies,
/// points, attributes, the metrics it registered with their units; then the time).
pub fn import_outputs(report: &ImportReport) -> Vec<Output> {
    let mut out: Vec<Output> = report
        .warnings
        .iter()
        .map(|w| Output::Message(format!("warning: {w}")))
        .collect();
    out.push(Output::Message(report.summary()));
    out
}

/// Today's date (UTC), the default period of `set`.
fn today() -> Period {
    Period::Day(Date::today())
}

/// `set SYMBOL METRIC [at PERIOD] = NUMBER`.
pub fn plan_set_point(
    env: &mut Env,
    symbol: &str,
    metric: &Spanned,
    period: Option<Period>,
    value: f64,
) -> Result<WritePlan> {
    let companies = env.cache.companies(env.db)?;
    let lower = metric.name.to_lowercase();
    if env.db.catalog().get(&metric.name).is_none()
        && (companies.attribute_names.contains(&lower)
            || STANDARD_ATTRIBUTES.contains(&lower.as_str())
            || lower == "symbol")
    {
        return Err(Error::name_at(
            metric.pos,
            format!(
                "'{}' is an attribute: set it to text, such as set {symbol} {lower} = \"...\"",
                metric.name
            ),
        ));
    }
    let mut set = WriteSet::new();
    let mut note = String::new();
    let id = match env.db.catalog().get(&metric.name) {
        Some(d) if d.expr.is_some() => {
            return Err(Error::name_at(
                metric.pos,
                format!("'{}' is a computed metric: it cannot be set", d.id),
            ));
        }
        Some(d) => d.id.clone(),
        None => {
            let id = snake_case_name(&metric.name);
            if id.is_empty() {
                return Err(Error::name_at(
                    metric.pos,
                    "a metric needs a name with letters or digits",
                ));
            }
            note = format!(" (registered new metric '{id}': ratio, higher, other)");
            set.register(MetricDef::registered(&id));
            id
        }
    };
    let period = period.unwrap_or_else(today);
    let c = set.company(symbol);
    let m = set.metric(&id);
    set.push(c, m, period, value);
    Ok(WritePlan {
        set,
        done: Done::Said(format!("set {symbol} {id} at {period} = {value}{note}")),
    })
}

/// `set SYMBOL ATTRIBUTE = "TEXT"`.
pub fn plan_set_attr(
    env: &mut Env,
    symbol: &str,
    attr: &Spanned,
    value: &str,
) -> Result<WritePlan> {
    let name = snake_case_name(&attr.name);
    if name.is_empty() || name == "symbol" {
        return Err(Error::name_at(
            attr.pos,
            format!("'{}' cannot be set as an attribute", attr.name),
        ));
    }
    if let Some(d) = env.db.catalog().get(&attr.name) {
        return Err(Error::name_at(
            attr.pos,
            format!("'{}' is a metric: set it to a number, not text", d.id),
        ));
    }
    let mut set = WriteSet::new();
    let c = set.company(symbol);
    set.set_attr(c, &name, value);
    Ok(WritePlan {
        set,
        done: Done::Attribute(format!("set {symbol} {name} = \"{value}\"")),
    })
}

/// `delete SYMBOL [METRIC [at PERIOD]]`.
pub fn plan_delete(
    env: &mut Env,
    symbol: &Spanned,
    metric: Option<&Spanned>,
    period: Option<Period>,
) -> Result<WritePlan> {
    let Some(company) = env.db.company(&symbol.name)? else {
        let companies = env.cache.companies(env.db)?;
        return Err(super::unknown_company(&companies, symbol));
    };
    let symbol = company.symbol.as_str();
    let mut set = WriteSet::new();
    let what = match metric {
        None => {
            set.delete_company(symbol);
            format!("company {symbol}")
        }
        Some(m) => {
            let Some(def) = env.db.catalog().get(&m.name).filter(|d| d.expr.is_none()) else {
                let names: Vec<&str> = env.db.catalog().names().collect();
                return Err(Error::name_at(
                    m.pos,
                    format!(
                        "unknown metric '{}'{}",
                        m.name,
                        did_you_mean(&m.name, names)
                    ),
                ));
            };
            set.delete_points(symbol, &def.id, period);
            match period {
                Some(p) => format!("{symbol} {} at {p}", def.id),
                None => format!("{symbol} {}", def.id),
            }
        }
    };
    Ok(WritePlan {
        set,
        done: Done::Deleted(what),
    })
}

/// `define metric NAME = EXPR [higher|lower]`.
pub fn plan_define_metric(
    env: &mut Env,
    name: &Spanned,
    (expr, text): (&Expr, &str),
    direction: Option<Direction>,
    unit: Option<&Spanned>,
) -> Result<WritePlan> {
    let unit = unit.map(parse_unit).transpose()?;
    let id = snake_case_name(&name.name);
    let companies = env.cache.companies(env.db)?;
    // A built-in derived metric's formula may be replaced (DERIVATIONS.md).
    if let Some(def) = env.db.catalog().get(&name.name)
        && env.db.catalog().is_builtin(&def.id)
        && crate::analysis::derive::rule_for(&def.id).is_some()
    {
        let mut def = def.clone();
        let catalog = env.db.shared_catalog();
        let b = Binder::new(&catalog, &companies).bind(expr)?;
        if b.ty != Ty::Num || !is_arithmetic(&b.expr) {
            return Err(Error::Data(format!(
                "a formula replacing a built-in metric is arithmetic on metrics, such as net_income / total_equity, so it gives a value at every period (got {expr})"
            )));
        }
        def.expr = Some(text.trim().to_string());
        def.unit = unit.unwrap_or(def.unit);
        def.direction = direction.unwrap_or(def.direction);
        let id = def.id.clone();
        let mut set = WriteSet::new();
        set.register(def);
        return Ok(WritePlan {
            set,
            done: Done::Said(format!(
                "defined metric {id} = {} (replaces the built-in formula; stored points still win; drop metric {id} restores it)",
                text.trim()
            )),
        });
    }
    if id.is_empty()
        || env.db.catalog().get(&name.name).is_some()
        || companies.attribute_names.contains(&id)
    {
        return Err(Error::name_at(
            name.pos,
            format!(
                "'{}' is already a metric or attribute name (drop metric first to redefine)",
                name.name
            ),
        ));
    }
    let catalog = env.db.shared_catalog();
    let b = Binder::new(&catalog, &companies).bind(expr)?;
    if b.ty != Ty::Num || b.expr.has_aggregate() || b.expr.has_cross() {
        return Err(Error::Data(format!(
            "a computed metric must be a number for each company, such as revenue / shares_outstanding (got {expr})"
        )));
    }
    let def = MetricDef {
        id: id.clone(),
        display: name.name.clone(),
        aliases: Vec::new(),
        // A unit said wins; else the unit the expression keeps (roe * 2 is a percent),
        // else a ratio.
        unit: unit.or(b.unit).unwrap_or(Unit::Ratio),
        direction: direction.unwrap_or(Direction::Higher),
        dimension: crate::model::Dimension::Other,
        expr: Some(text.trim().to_string()),
    };
    let mut set = WriteSet::new();
    set.register(def);
    Ok(WritePlan {
        set,
        done: Done::Said(format!("defined metric {id} = {}", text.trim())),
    })
}

/// Arithmetic on metrics and numbers only: what can be evaluated at every period.
fn is_arithmetic(e: &crate::query::bind::BExpr) -> bool {
    use crate::query::bind::BExpr;
    match e {
        BExpr::Metric(_) | BExpr::Num(_) => true,
        BExpr::Neg(a) => is_arithmetic(a),
        BExpr::Bin(op, a, b) => {
            matches!(
                op,
                crate::query::ast::BinOp::Add
                    | crate::query::ast::BinOp::Sub
                    | crate::query::ast::BinOp::Mul
                    | crate::query::ast::BinOp::Div
            ) && is_arithmetic(a)
                && is_arithmetic(b)
        }
        _ => false,
    }
}

/// A unit as written in `unit U`.
fn parse_unit(word: &Spanned) -> Result<Unit> {
    Unit::parse(&word.name).ok_or_else(|| {
        Error::name_at(
            word.pos,
            format!(
                "'{}' is not a unit: write money, percent, ratio, count or score",
                word.name
            ),
        )
    })
}

/// `set metric NAME unit U` / `set metric NAME direction D`: changes a registered metric's
/// catalog entry (built-in metrics keep theirs: their unit and direction are SPEC.md's).
pub fn plan_set_metric(env: &mut Env, name: &Spanned, change: &MetricChange) -> Result<WritePlan> {
    let id = crate::query::plan::resolve_metric(env, name)?;
    let catalog = env.db.catalog();
    if catalog.is_builtin(&id) {
        return Err(Error::name_at(
            name.pos,
            format!(
                "'{id}' is a built-in metric: its unit and direction are fixed (define or import a metric of your own to choose them)"
            ),
        ));
    }
    let mut def = catalog
        .get(&id)
        .cloned()
        .ok_or_else(|| Error::Data(format!("metric '{id}' vanished from the catalog")))?;
    let said = match change {
        MetricChange::Unit(word) => {
            def.unit = parse_unit(word)?;
            format!("set metric {id} unit {}", def.unit.name())
        }
        MetricChange::Direction(word) => {
            def.direction = Direction::parse(&word.name).ok_or_else(|| {
                Error::name_at(
                    word.pos,
                    format!(
                        "'{}' is not a direction: write higher, lower or none",
                        word.name
                    ),
                )
            })?;
            format!("set metric {id} direction {}", def.direction.name())
        }
    };
    let mut set = WriteSet::new();
    set.register(def);
    Ok(WritePlan {
        set,
        done: Done::Said(said),
    })
}

/// `define screen NAME as SELECT`: run once, so a screen that cannot run is not saved.
pub fn define_screen(
    env: &mut Env,
    name: &str,
    text: &str,
    select: &SelectPlan,
) -> Result<Vec<Output>> {
    let rows = run_select(env, select)?.table.rows.len();
    let mut set = WriteSet::new();
    set.define("screen", name, Some(text));
    write(env, set)?;
    let plural = if rows == 1 { "" } else { "s" };
    Ok(vec![Output::Message(format!(
        "defined screen {name} ({rows} row{plural} now)"
    ))])
}

/// `drop metric NAME` / `drop screen NAME` / `drop scorecard NAME`.
pub fn plan_drop(env: &mut Env, kind: DefKind, name: &Spanned) -> Result<WritePlan> {
    let mut set = WriteSet::new();
    match kind {
        DefKind::Metric => match env.db.catalog().get(&name.name) {
            Some(d) if d.expr.is_some() => {
                if env.db.catalog().is_builtin(&d.id) {
                    let id = d.id.clone();
                    set.drop_metric(&id);
                    return Ok(WritePlan {
                        set,
                        done: Done::Said(format!(
                            "dropped metric {id}: the built-in formula applies again"
                        )),
                    });
                }
                set.drop_metric(&d.id)
            }
            Some(d) => {
                return Err(Error::name_at(
                    name.pos,
                    format!(
                        "'{}' is a stored metric, not a computed one; only computed metrics can be dropped",
                        d.id
                    ),
                ));
            }
            None => {
                return Err(Error::name_at(
                    name.pos,
                    format!("unknown metric '{}'", name.name),
                ));
            }
        },
        DefKind::Screen | DefKind::Scorecard => {
            let what = kind.name();
            if env
                .db
                .definition(what, &name.name.to_lowercase())?
                .is_none()
            {
                return Err(Error::name_at(
                    name.pos,
                    format!("unknown {what} '{}'", name.name),
                ));
            }
            set.define(what, &name.name.to_lowercase(), None);
        }
    }
    Ok(WritePlan {
        set,
        done: Done::Said(format!("dropped {} {}", kind.name(), name.name)),
    })
}
