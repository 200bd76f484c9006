//! Binding: names in an [`Expr`] become metric slots, attributes or item references,
//! functions and computed columns are looked up in the [`registry`](super::registry), and
//! each expression gets a type and a display unit.

use super::ast::{BinOp, Expr, Group, Spanned};
use super::registry::{self, ArgType, ColumnDef, Func, FunctionDef, Yields};
use crate::columns::Companies;
use crate::error::{Error, Result, did_you_mean};
use crate::model::{Catalog, Direction, Period, Unit};
use std::collections::HashMap;
use std::sync::Arc;

/// What kind of value an expression gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Num,
    Text,
    Bool,
}

// The function and computed-column enums live with their names in the registry; they are
// re-exported so the evaluator keeps reading them from the binder's output types.
pub use super::registry::{AggFn, CrossFn, ScoreCol, TsFn};

/// A bound expression.
#[derive(Clone, Debug)]
pub enum BExpr {
    Num(f64),
    Text(Arc<str>),
    Null,
    /// A stored metric's value at the selection's period (`slot` indexes the plan's metrics).
    Metric(usize),
    MetricAt(usize, Period),
    Attr(String),
    /// An item of the select list, by position (aliases in `rank by` and `order by`).
    Item(usize),
    Neg(Box<BExpr>),
    Not(Box<BExpr>),
    Bin(BinOp, Box<BExpr>, Box<BExpr>),
    IsNull(Box<BExpr>, bool),
    InList(Box<BExpr>, Vec<BExpr>, bool),
    Between(Box<BExpr>, Box<BExpr>, Box<BExpr>, bool),
    Like(Box<BExpr>, String, bool),
    Ts(TsFn, Box<BExpr>, usize),
    Cross(CrossFn, Box<BExpr>, Option<Group>, bool),
    Agg(AggFn, Option<Box<BExpr>>, f64),
    /// A computed column of a scorecard (`card` indexes the binder's `cards`).
    Score(ScoreCol, usize),
    /// The F-score, which reads no scorecard.
    FScore,
}

impl BExpr {
    pub fn has_aggregate(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, BExpr::Agg(..)));
        found
    }

    /// Whether the F-scores are needed.
    pub fn uses_fscore(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, BExpr::FScore));
        found
    }

    /// Adds the scorecards (by the binder's card index) this expression reads to `cards`.
    pub fn scorecards(&self, cards: &mut Vec<usize>) {
        self.visit(&mut |e| {
            if let BExpr::Score(_, card) = e
                && !cards.contains(card)
            {
                cards.push(*card);
            }
        });
    }

    pub fn has_cross(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, BExpr::Cross(..)));
        found
    }

    /// Calls `f` on this node and every node below it.
    pub fn visit(&self, f: &mut dyn FnMut(&BExpr)) {
        f(self);
        self.children(&mut |c| c.visit(f));
    }

    /// The conditions of a top-level `and` chain, in order (the whole expression when it is
    /// not one).
    pub fn conjuncts<'e>(&'e self, out: &mut Vec<&'e BExpr>) {
        match self {
            BExpr::Bin(BinOp::And, a, b) => {
                a.conjuncts(out);
                b.conjuncts(out);
            }
            other => out.push(other),
        }
    }

    /// Calls `f` on each direct child of this node.
    pub fn children(&self, f: &mut dyn FnMut(&BExpr)) {
        match self {
            BExpr::Neg(a) | BExpr::Not(a) | BExpr::IsNull(a, _) | BExpr::Like(a, ..) => f(a),
            BExpr::Ts(_, a, _) | BExpr::Cross(_, a, ..) => f(a),
            BExpr::Bin(_, a, b) => {
                f(a);
                f(b);
            }
            BExpr::InList(a, list, _) => {
                f(a);
                list.iter().for_each(&mut *f);
            }
            BExpr::Between(a, b, c, _) => {
                f(a);
                f(b);
                f(c);
            }
            BExpr::Agg(_, Some(a), _) => f(a),
            _ => {}
        }
    }
}

/// A bound expression with what the output needs to know about it.
#[derive(Clone, Debug)]
pub struct Bound {
    pub expr: BExpr,
    pub ty: Ty,
    pub unit: Option<Unit>,
    /// The ranking direction: a single metric's, otherwise `Higher`.
    pub direction: Direction,
}

/// Binds names against the catalog and the companies, collecting the metrics to load.
pub struct Binder<'a> {
    pub catalog: &'a Catalog,
    pub companies: &'a Companies,
    /// Metric ids in slot order.
    pub metrics: Vec<String>,
    slots: HashMap<String, usize>,
    /// Scorecard names (`score` is the built-in one) in the order expressions use them, as
    /// written; the planner loads them.
    pub cards: Vec<Spanned>,
    /// Item aliases and texts visible to `rank by` / `order by`, with their bound forms.
    pub items: Vec<(String, Bound)>,
    /// How deep computed metrics are being expanded (they may refer to each other).
    depth: usize,
}

impl<'a> Binder<'a> {
    pub fn new(catalog: &'a Catalog, companies: &'a Companies) -> Binder<'a> {
        Binder {
            catalog,
            companies,
            metrics: Vec::new(),
            slots: HashMap::new(),
            cards: Vec::new(),
            items: Vec::new(),
            depth: 0,
        }
    }

    fn slot(&mut self, id: &str) -> usize {
        if let Some(&s) = self.slots.get(id) {
            return s;
        }
        self.metrics.push(id.to_string());
        self.slots.insert(id.to_string(), self.metrics.len() - 1);
        self.metrics.len() - 1
    }

    /// The index of scorecard `name` (as written) in [`Binder::cards`].
    fn card_slot(&mut self, name: &Spanned) -> usize {
        let lower = name.name.to_lowercase();
        if let Some(i) = self.cards.iter().position(|c| c.name == lower) {
            return i;
        }
        self.cards.push(Spanned {
            name: lower,
            pos: name.pos,
        });
        self.cards.len() - 1
    }

    /// An error pointing at a name in the script.
    pub fn error_at(&self, pos: usize, message: String) -> Error {
        Error::name_at(pos, message)
    }

    pub fn bind(&mut self, e: &Expr) -> Result<Bound> {
        let num = |expr, unit| Bound {
            expr,
            ty: Ty::Num,
            unit,
            direction: Direction::Higher,
        };
        Ok(match e {
            Expr::Number(v) => num(BExpr::Num(*v), None),
            Expr::Text(s) => Bound {
                expr: BExpr::Text(Arc::from(s.as_str())),
                ty: Ty::Text,
                unit: None,
                direction: Direction::Higher,
            },
            Expr::Null => num(BExpr::Null, None),
            Expr::Name(n) => self.bind_name(n)?,
            Expr::At(n, p) => {
                let b = self.bind_name(n)?;
                match b.expr {
                    BExpr::Metric(slot) => Bound {
                        expr: BExpr::MetricAt(slot, *p),
                        ..b
                    },
                    _ => {
                        return Err(self.error_at(
                            n.pos,
                            format!(
                                "'{}' is not a stored metric, so it has no value at {p}",
                                n.name
                            ),
                        ));
                    }
                }
            }
            Expr::Call(n, args) => self.bind_call(n, args)?,
            Expr::Neg(a) => {
                let a = self.bind_num(a, "-")?;
                // Only a single metric ranks by its direction (SPEC.md section 3).
                Bound {
                    expr: BExpr::Neg(Box::new(a.expr)),
                    direction: Direction::Higher,
                    ..a
                }
            }
            Expr::Not(a) => {
                let a = self.bind_bool(a, "not")?;
                Bound {
                    expr: BExpr::Not(Box::new(a.expr)),
                    ..a
                }
            }
            Expr::Binary(op, a, b) => self.bind_binary(*op, a, b)?,
            Expr::IsNull(a, neg) => {
                let a = self.bind(a)?;
                Bound {
                    expr: BExpr::IsNull(Box::new(a.expr), *neg),
                    ty: Ty::Bool,
                    unit: None,
                    direction: Direction::Higher,
                }
            }
            Expr::InList(a, list, neg) => {
                let a = self.bind(a)?;
                let mut bound = Vec::new();
                for x in list {
                    let x = self.bind(x)?;
                    same_kind(&a, &x, "in")?;
                    bound.push(x.expr);
                }
                Bound {
                    expr: BExpr::InList(Box::new(a.expr), bound, *neg),
                    ty: Ty::Bool,
                    unit: None,
                    direction: Direction::Higher,
                }
            }
            Expr::Between(a, lo, hi, neg) => {
                let a = self.bind_num(a, "between")?;
                let lo = self.bind_num(lo, "between")?;
                let hi = self.bind_num(hi, "between")?;
                Bound {
                    expr: BExpr::Between(
                        Box::new(a.expr),
                        Box::new(lo.expr),
                        Box::new(hi.expr),
                        *neg,
                    ),
                    ty: Ty::Bool,
                    unit: None,
                    direction: Direction::Higher,
                }
            }
            Expr::Like(a, pattern, neg) => {
                let at = self.place(a);
                let a = self.bind(a)?;
                if a.ty != Ty::Text {
                    return Err(at("'like' compares text, not numbers".into()));
                }
                Bound {
                    expr: BExpr::Like(Box::new(a.expr), pattern.clone(), *neg),
                    ty: Ty::Bool,
                    unit: None,
                    direction: Direction::Higher,
                }
            }
        })
    }

    /// An error at an expression's place in the script: where its first name is (an
    /// expression of constants only, or one inside a computed metric's definition, whose
    /// names are in another text, has no place, and the error none).
    pub fn place(&self, e: &Expr) -> impl Fn(String) -> Error + use<'a> {
        self.place_at(first_name_pos(e))
    }

    fn place_at(&self, pos: Option<usize>) -> impl Fn(String) -> Error + use<'a> {
        let pos = pos.filter(|_| self.depth == 0);
        move |message| match pos {
            Some(p) => Error::name_at(p, message),
            None => Error::Data(message),
        }
    }

    fn bind_num(&mut self, e: &Expr, what: &str) -> Result<Bound> {
        let b = self.bind(e)?;
        let at = self.place(e);
        match b.ty {
            Ty::Num => Ok(b),
            Ty::Text => Err(at(format!("'{what}' needs a number, not text ({e})"))),
            Ty::Bool => Err(at(format!(
                "'{what}' needs a number, not a condition ({e})"
            ))),
        }
    }

    fn bind_bool(&mut self, e: &Expr, what: &str) -> Result<Bound> {
        let b = self.bind(e)?;
        if b.ty != Ty::Bool {
            return Err(self.place(e)(format!(
                "'{what}' needs a condition, such as roe > 10% ({e})"
            )));
        }
        Ok(b)
    }

    fn bind_binary(&mut self, op: BinOp, a: &Expr, b: &Expr) -> Result<Bound> {
        // `Price/Earnings` written bare is two names divided; when the whole is itself a
        // metric's name or alias (pe_ttm's `price_earnings`), the division is almost
        // certainly not what was meant: ask for backticks instead of dividing silently.
        // Only `a/b` written as one word counts: `a / b` or `(a) / (b)` is a division.
        if let (BinOp::Div, Expr::Name(x), Expr::Name(y)) = (op, a, b)
            && y.pos == x.pos + x.name.len() + 1
        {
            let whole = format!("{}/{}", x.name, y.name);
            if let Some(def) = self.catalog.get(&whole) {
                return Err(Error::name_at(
                    x.pos,
                    format!(
                        "'{whole}' reads as {} divided by {}, but it is also the name of \
                         metric '{}': write `{whole}` (in backticks) for the metric, or \
                         {} / {} (with spaces) for the division",
                        x.name, y.name, def.id, x.name, y.name
                    ),
                ));
            }
        }
        let bound = |expr, ty, unit| Bound {
            expr,
            ty,
            unit,
            direction: Direction::Higher,
        };
        match op {
            BinOp::And | BinOp::Or => {
                let x = self.bind_bool(a, op.symbol())?;
                let y = self.bind_bool(b, op.symbol())?;
                Ok(bound(
                    BExpr::Bin(op, Box::new(x.expr), Box::new(y.expr)),
                    Ty::Bool,
                    None,
                ))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let x = self.bind(a)?;
                let y = self.bind(b)?;
                let at = self.place_at(first_name_pos(a).or_else(|| first_name_pos(b)));
                same_kind(&x, &y, op.symbol()).map_err(|e| at(bare_message(e)))?;
                if x.ty == Ty::Bool {
                    return Err(at(format!(
                        "'{}' compares values, not conditions",
                        op.symbol()
                    )));
                }
                Ok(bound(
                    BExpr::Bin(op, Box::new(x.expr), Box::new(y.expr)),
                    Ty::Bool,
                    None,
                ))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let x = self.bind_num(a, op.symbol())?;
                let y = self.bind_num(b, op.symbol())?;
                // Sums keep a shared unit (percent + percent is a percent); scaling by a plain
                // number keeps the unit (roe * 2 is still a percent); other products do not.
                let literal = |b: &Bound| matches!(b.expr, BExpr::Num(_));
                let unit = match op {
                    BinOp::Add | BinOp::Sub if x.unit == y.unit || y.unit.is_none() => x.unit,
                    BinOp::Add | BinOp::Sub if x.unit.is_none() => y.unit,
                    BinOp::Mul | BinOp::Div if literal(&y) => x.unit,
                    BinOp::Mul if literal(&x) => y.unit,
                    _ => None,
                };
                Ok(bound(
                    BExpr::Bin(op, Box::new(x.expr), Box::new(y.expr)),
                    Ty::Num,
                    unit,
                ))
            }
        }
    }

    fn bind_name(&mut self, n: &Spanned) -> Result<Bound> {
        let lower = n.name.to_lowercase();
        // Item aliases first: `rank by growth` where `... as growth`.
        if let Some(i) = self
            .items
            .iter()
            .position(|(a, _)| a.eq_ignore_ascii_case(&n.name))
        {
            let b = &self.items[i].1;
            return Ok(Bound {
                expr: BExpr::Item(i),
                ..b.clone()
            });
        }
        if lower == "symbol" || lower == "name" || self.companies.attribute_names.contains(&lower) {
            return Ok(Bound {
                expr: BExpr::Attr(lower),
                ty: Ty::Text,
                unit: None,
                direction: Direction::Higher,
            });
        }
        if let Some(def) = self.catalog.get(&n.name) {
            let def = def.clone();
            // A user's formula for a built-in metric (`define metric roe = ...`) is applied
            // where the metric's column is read, so stored points still win over it; other
            // computed metrics are expanded here.
            if let Some(text) = def
                .expr
                .as_ref()
                .filter(|_| !self.catalog.is_builtin(&def.id))
            {
                let b = self.expand_computed(n, &def.id, text, def.direction)?;
                return Ok(Bound {
                    unit: Some(def.unit),
                    ..b
                });
            }
            let slot = self.slot(&def.id);
            return Ok(Bound {
                expr: BExpr::Metric(slot),
                ty: Ty::Num,
                unit: Some(def.unit),
                direction: def.direction,
            });
        }
        if let Some(c) = registry::column(&lower) {
            let (ty, unit, direction) = shape(c.yields, None);
            // The F-score reads no scorecard: binding the built-in one for it would make a
            // `select fscore` score every company as well (and hold the card's columns).
            let expr = match c.column {
                ScoreCol::FScore => BExpr::FScore,
                col => BExpr::Score(
                    col,
                    self.card_slot(&Spanned {
                        name: crate::analysis::score::BUILTIN.into(),
                        pos: n.pos,
                    }),
                ),
            };
            return Ok(Bound {
                expr,
                ty,
                unit,
                direction,
            });
        }
        if crate::model::STANDARD_ATTRIBUTES.contains(&lower.as_str()) {
            // A standard attribute nobody has yet: every value is missing.
            return Ok(Bound {
                expr: BExpr::Attr(lower),
                ty: Ty::Text,
                unit: None,
                direction: Direction::Higher,
            });
        }
        let mut known: Vec<&str> = self.catalog.names().collect();
        known.extend(self.companies.attribute_names.iter().map(String::as_str));
        known.extend(self.items.iter().map(|(a, _)| a.as_str()));
        known.extend(registry::COLUMNS.iter().map(|c| c.name));
        Err(self.error_at(
            n.pos,
            format!(
                "unknown metric '{}'{}",
                n.name,
                did_you_mean(&n.name, known)
            ),
        ))
    }

    fn expand_computed(
        &mut self,
        n: &Spanned,
        id: &str,
        text: &str,
        direction: Direction,
    ) -> Result<Bound> {
        if self.depth >= 16 {
            return Err(self.error_at(n.pos, format!("computed metric '{id}' refers to itself")));
        }
        let e = super::parser::parse_expression(text)
            .map_err(|e| Error::Data(format!("the definition of '{id}' no longer parses: {e}")))?;
        // Names inside a definition are not the script's: aliases do not apply to them.
        let items = std::mem::take(&mut self.items);
        self.depth += 1;
        let r = self.bind(&e).map_err(|err| match err {
            Error::Name {
                message,
                span: Some(_),
            } => Error::name(format!("in the definition of '{id}': {message}")),
            other => other,
        });
        self.depth -= 1;
        self.items = items;
        let b = r?;
        if b.ty != Ty::Num {
            return Err(Error::Data(format!(
                "computed metric '{id}' is not a number"
            )));
        }
        Ok(Bound { direction, ..b })
    }

    fn bind_call(&mut self, n: &Spanned, args: &[Expr]) -> Result<Bound> {
        if let Some(c) = registry::column(&n.name.to_lowercase()) {
            return self.bind_card_column(n, c, args);
        }
        let Some(def) = registry::function(&n.name) else {
            return Err(self.error_at(n.pos, registry::unknown_function(&n.name)));
        };
        if let Some(message) = def.arity_error(args.len()) {
            return Err(self.error_at(n.pos, message));
        }
        let f = def.name;
        // Each arm gives the bound call and its first argument's binding, whose unit and
        // direction the registry's `yields` may pass on.
        let (expr, shaped) = match def.func {
            Func::Ts(func) => {
                let x = self.bind_num(&args[0], f)?;
                if !is_series_expr(&x.expr) {
                    return Err(self.error_at(
                        n.pos,
                        format!(
                            "{f}() works on metrics and arithmetic on them, not on '{}'",
                            args[0]
                        ),
                    ));
                }
                let count = match self.second_argument(def, n, args)? {
                    Second::Count(k) => k,
                    _ => 1,
                };
                let shaped = shape(def.yields, Some(&x));
                (BExpr::Ts(func, Box::new(x.expr), count), shaped)
            }
            Func::Cross(func) => {
                let x = self.bind_num(&args[0], f)?;
                if x.expr.has_aggregate() {
                    return Err(self.error_at(n.pos, format!("{f}() cannot take an aggregate")));
                }
                let group = match self.second_argument(def, n, args)? {
                    Second::Group(g) => Some(g),
                    _ => None,
                };
                let lower = x.direction == Direction::Lower;
                let shaped = shape(def.yields, Some(&x));
                (BExpr::Cross(func, Box::new(x.expr), group, lower), shaped)
            }
            Func::Agg(AggFn::Count) if args.is_empty() => {
                (BExpr::Agg(AggFn::Count, None, 0.0), shape(def.yields, None))
            }
            Func::Agg(func) => {
                let x = self.bind(&args[0])?;
                if x.expr.has_aggregate() {
                    return Err(
                        self.error_at(n.pos, format!("{f}() cannot take another aggregate"))
                    );
                }
                if x.ty != Ty::Num && def.params[0].ty != ArgType::Any {
                    return Err(self.error_at(n.pos, format!("{f}() needs a number, not text")));
                }
                let q = match self.second_argument(def, n, args)? {
                    Second::Fraction(q) => q,
                    _ => 0.5,
                };
                let shaped = shape(def.yields, Some(&x));
                (BExpr::Agg(func, Some(Box::new(x.expr)), q), shaped)
            }
        };
        let (ty, unit, direction) = shaped;
        Ok(Bound {
            expr,
            ty,
            unit,
            direction,
        })
    }

    /// `score(NAME)`, `score_grade(NAME)`, `industry_rank(NAME)`: a column of the scorecard
    /// NAME (the planner checks that it exists).
    fn bind_card_column(&mut self, n: &Spanned, c: &ColumnDef, args: &[Expr]) -> Result<Bound> {
        let takes_card = matches!(
            c.column,
            ScoreCol::Score | ScoreCol::ScoreGrade | ScoreCol::IndustryRank
        );
        let card = match args {
            [Expr::Name(card)] if takes_card => card,
            _ if takes_card => {
                return Err(self.error_at(
                    n.pos,
                    format!(
                        "{}(NAME) takes the name of a scorecard (`define scorecard`), as in {}(quality); without parentheses it is the built-in scorecard's",
                        c.name, c.name
                    ),
                ));
            }
            _ => {
                return Err(self.error_at(
                    n.pos,
                    format!(
                        "'{}' is a column, not a function: write it without parentheses",
                        c.name
                    ),
                ));
            }
        };
        let (ty, unit, direction) = shape(c.yields, None);
        Ok(Bound {
            expr: BExpr::Score(c.column, self.card_slot(card)),
            ty,
            unit,
            direction,
        })
    }

    /// A call's optional second argument, read as the registry types it.
    fn second_argument(&self, def: &FunctionDef, n: &Spanned, args: &[Expr]) -> Result<Second> {
        let (Some(param), Some(arg)) = (def.params.get(1), args.get(1)) else {
            return Ok(Second::None);
        };
        let wrong = |found: String| {
            self.error_at(
                n.pos,
                format!(
                    "{}()'s second argument must be {}{found}",
                    def.name,
                    param.ty.expected()
                ),
            )
        };
        match param.ty {
            ArgType::Count => whole_number(arg)
                .map(Second::Count)
                .ok_or_else(|| wrong(String::new())),
            ArgType::Group => match arg {
                Expr::Name(g) if g.name.eq_ignore_ascii_case("industry") => {
                    Ok(Second::Group(Group::Industry))
                }
                Expr::Name(g) if g.name.eq_ignore_ascii_case("sector") => {
                    Ok(Second::Group(Group::Sector))
                }
                other => Err(wrong(format!(", not '{other}'"))),
            },
            ArgType::Fraction => match arg {
                Expr::Number(q) if (0.0..=1.0).contains(q) => Ok(Second::Fraction(*q)),
                _ => Err(wrong(String::new())),
            },
            // No function takes an expression second; the registry test binds every one.
            ArgType::Series | ArgType::Number | ArgType::Any => Err(Error::Data(format!(
                "internal error: {}() has no reading for its second argument",
                def.name
            ))),
        }
    }
}

/// A function's second argument, once checked.
enum Second {
    None,
    Count(usize),
    Group(Group),
    Fraction(f64),
}

/// The type, unit and ranking direction of a value the registry describes by `yields`;
/// `arg` is the bound first argument of a function, if it has one.
fn shape(yields: Yields, arg: Option<&Bound>) -> (Ty, Option<Unit>, Direction) {
    match yields {
        Yields::Like => (
            Ty::Num,
            arg.and_then(|a| a.unit),
            arg.map_or(Direction::Higher, |a| a.direction),
        ),
        Yields::Num(unit, direction) => (Ty::Num, Some(unit), direction),
        Yields::Grade | Yields::Text => (Ty::Text, None, Direction::Higher),
        Yields::Change => (
            Ty::Num,
            arg.and_then(|a| a.unit).map(Unit::of_difference),
            arg.map_or(Direction::Higher, |a| a.direction),
        ),
    }
}

/// Time-series functions take stored metrics, numbers and arithmetic on them.
fn is_series_expr(e: &BExpr) -> bool {
    match e {
        BExpr::Metric(_) | BExpr::Num(_) => true,
        BExpr::Neg(a) => is_series_expr(a),
        BExpr::Bin(op, a, b) => {
            matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div)
                && is_series_expr(a)
                && is_series_expr(b)
        }
        _ => false,
    }
}

fn whole_number(e: &Expr) -> Option<usize> {
    match e {
        Expr::Number(v) if v.fract() == 0.0 && *v >= 1.0 && *v <= 1e6 => Some(*v as usize),
        _ => None,
    }
}

fn same_kind(a: &Bound, b: &Bound, op: &str) -> Result<()> {
    // `null` is typed as a number but compares with anything.
    if a.ty == b.ty || matches!(a.expr, BExpr::Null) || matches!(b.expr, BExpr::Null) {
        return Ok(());
    }
    let kind = |t: Ty| match t {
        Ty::Num => "a number",
        Ty::Text => "text",
        Ty::Bool => "a condition",
    };
    Err(Error::Data(format!(
        "'{op}' cannot compare {} with {}",
        kind(a.ty),
        kind(b.ty)
    )))
}

/// Where the first name (metric, attribute, function) of an expression is in the script.
pub fn first_name_pos(e: &Expr) -> Option<usize> {
    match e {
        Expr::Name(n) | Expr::At(n, _) | Expr::Call(n, _) => Some(n.pos),
        Expr::Number(_) | Expr::Text(_) | Expr::Null => None,
        Expr::Neg(a) | Expr::Not(a) | Expr::IsNull(a, _) | Expr::Like(a, ..) => first_name_pos(a),
        Expr::Binary(_, a, b) => first_name_pos(a).or_else(|| first_name_pos(b)),
        Expr::InList(a, list, _) => {
            first_name_pos(a).or_else(|| list.iter().find_map(first_name_pos))
        }
        Expr::Between(a, b, c, _) => first_name_pos(a)
            .or_else(|| first_name_pos(b))
            .or_else(|| first_name_pos(c)),
    }
}

/// The message of a data error, to place it.
fn bare_message(e: Error) -> String {
    match e {
        Error::Data(m) => m,
        other => other.to_string(),
    }
}
