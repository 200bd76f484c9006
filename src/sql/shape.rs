//! The two shapes of a select's result: one row per company (items, rank, order, limit
//! [per]) and one row per group (`by`, or aggregates only), as finq's executor makes them.

use super::Gen;
use crate::error::Result;
use crate::query::bind::Ty;
use crate::query::plan::SelectPlan;

impl Gen<'_, '_> {
    /// Pushes `finq_base` and `finq_rows` (the source, filtered).
    fn filtered(&mut self, conditions: &[String], filter: Option<String>) {
        let base = self.base(conditions);
        self.push("finq_base", base);
        let rows = match filter {
            Some(f) => format!("SELECT * FROM finq_base WHERE {f}"),
            None => "SELECT * FROM finq_base".into(),
        };
        self.push("finq_rows", rows);
    }

    fn push(&mut self, name: &str, body: String) {
        self.ctes.push((name.to_string(), body));
    }

    /// One row per company: symbol, name, the shown items, rank.
    pub(super) fn rows(
        &mut self,
        plan: &SelectPlan,
        conditions: Vec<String>,
        filter: Option<String>,
    ) -> Result<String> {
        let d = self.d;
        let name = if plan.companies.attribute_names.contains("name") {
            d.ident("name")
        } else {
            "CAST(NULL AS STRING)".into()
        };
        let mut cols = vec![
            "symbol AS finq_symbol".to_string(),
            format!("{name} AS finq_name"),
            "finq_key".to_string(),
        ];
        let mut out = vec![
            format!("finq_symbol AS {}", d.ident("symbol")),
            format!("finq_name AS {}", d.ident("name")),
        ];
        for (k, item) in plan.items.iter().enumerate() {
            if !item.shown {
                continue;
            }
            let x = self.row(plan, &item.bound.expr)?;
            cols.push(format!("{} AS finq_i{k}", x.sql));
            out.push(format!("finq_i{k} AS {}", d.ident(&item.name)));
        }
        let mut order: Vec<String> = Vec::new();
        let mut runs = None;
        if let Some(rank) = &plan.rank {
            let x = self.row(plan, &rank.by)?;
            cols.push(format!("{} AS finq_rk", x.sql));
            let dir = if rank.descending { "DESC" } else { "ASC" };
            let part = match rank.within {
                Some(g) => {
                    cols.push(format!("lower({}) AS finq_within", d.ident(g.attr())));
                    order.push("finq_within ASC NULLS LAST".into());
                    "PARTITION BY finq_within "
                }
                None => "",
            };
            if rank.tolerance > 0.0 {
                // Values closer than the tolerance are equal (scores, SCORING.md): the rank
                // counts the rows better by more than it, and runs of neighbours closer than
                // it go by symbol.
                let tol = super::number(rank.tolerance);
                let by = format!("{part}ORDER BY finq_rk {dir} NULLS LAST");
                cols.push(format!(
                    "CASE WHEN finq_rk IS NULL THEN NULL ELSE 1 + count(finq_rk) OVER ({by} \
                     RANGE BETWEEN UNBOUNDED PRECEDING AND {tol} PRECEDING) END AS finq_rank, \
                     CASE WHEN abs(lag(finq_rk) OVER ({by}, finq_key) - finq_rk) < {tol} \
                     THEN 0 ELSE 1 END AS finq_step"
                ));
                runs = Some(format!(
                    "sum(finq_step) OVER ({by}, finq_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS finq_run"
                ));
                order.push("finq_run".into());
            } else {
                order.push(format!("finq_rk {dir} NULLS LAST"));
                cols.push(rank_column(part, dir));
            }
            out.push(format!("finq_rank AS {}", d.ident("rank")));
        }
        if !plan.order.is_empty() {
            order.clear();
            for (j, key) in plan.order.iter().enumerate() {
                let x = self.row(plan, &key.bound.expr)?;
                let value = if x.ty == Ty::Text {
                    format!("lower({})", x.sql)
                } else {
                    x.sql
                };
                cols.push(format!("{value} AS finq_o{j}"));
                let dir = if key.descending { "DESC" } else { "ASC" };
                order.push(format!("finq_o{j} {dir} NULLS LAST"));
            }
        }
        order.push("finq_key".into());
        if let Some(g) = plan.limit_per {
            cols.push(format!("lower({}) AS finq_per", d.ident(g.attr())));
        }
        self.filtered(&conditions, filter);
        // The rank's window needs the rank key as a column first: two steps.
        let rank_col = cols.iter().position(|c| c.contains("AS finq_rank"));
        let ranked = rank_col.map(|i| cols.remove(i));
        self.push(
            "finq_items",
            format!("SELECT {} FROM finq_rows", cols.join(", ")),
        );
        let mut from = "finq_items".to_string();
        if let Some(r) = ranked {
            self.push("finq_ranked", format!("SELECT *, {r} FROM finq_items"));
            from = "finq_ranked".into();
        }
        if let Some(r) = runs {
            self.push("finq_runs", format!("SELECT *, {r} FROM finq_ranked"));
            from = "finq_runs".into();
        }
        let order = order.join(", ");
        let mut conditions = Vec::new();
        if plan.limit.is_some() && plan.rank.is_some() {
            // Under a limit, rows without a value to rank by are left out.
            conditions.push("finq_rank IS NOT NULL".to_string());
        }
        let mut tail = String::new();
        match (plan.limit, plan.limit_per) {
            (Some(n), Some(_)) => {
                let kept = if conditions.is_empty() {
                    String::new()
                } else {
                    format!(" WHERE {}", conditions.join(" AND "))
                };
                self.push(
                    "finq_numbered",
                    format!(
                        "SELECT *, row_number() OVER (PARTITION BY finq_per ORDER BY {order}) AS finq_pn FROM {from}{kept}"
                    ),
                );
                from = "finq_numbered".into();
                conditions = vec![format!("finq_pn <= {n}")];
            }
            (Some(n), None) => tail = format!(" LIMIT {n}"),
            _ => {}
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        Ok(format!(
            "SELECT {} FROM {from}{filter} ORDER BY {order}{tail}",
            out.join(", ")
        ))
    }

    /// One row per group: the keys not repeated among the items, the items, rank.
    pub(super) fn grouped(
        &mut self,
        plan: &SelectPlan,
        conditions: Vec<String>,
        filter: Option<String>,
    ) -> Result<String> {
        let d = self.d;
        let mut cols = Vec::new();
        let mut group_by = Vec::new();
        let mut key_order = Vec::new();
        let mut out = Vec::new();
        let key_texts: Vec<String> = plan.keys.iter().map(|(_, t)| t.to_lowercase()).collect();
        for (i, (key, text)) in plan.keys.iter().enumerate() {
            let x = self.row(plan, &key.expr)?;
            let (grouping, shown) = if x.ty == Ty::Text {
                (
                    format!("lower({})", x.sql),
                    format!("min_by({}, finq_key)", x.sql),
                )
            } else {
                (x.sql.clone(), x.sql.clone())
            };
            cols.push(format!("{grouping} AS finq_g{i}"));
            cols.push(format!("{shown} AS finq_d{i}"));
            group_by.push(grouping);
            key_order.push(format!("finq_g{i} ASC NULLS LAST"));
            if !plan
                .items
                .iter()
                .any(|it| it.text.to_lowercase() == key_texts[i])
            {
                out.push(format!("finq_d{i} AS {}", d.ident(text)));
            }
        }
        for (k, item) in plan.items.iter().enumerate() {
            let value = match key_texts
                .iter()
                .position(|t| *t == item.text.to_lowercase())
            {
                Some(i) => format!("finq_d{i}"),
                None => {
                    let v = self.group(plan, &item.bound.expr)?;
                    cols.push(format!("{v} AS finq_i{k}"));
                    format!("finq_i{k}")
                }
            };
            out.push(format!("{value} AS {}", d.ident(&item.name)));
        }
        let mut order = Vec::new();
        let mut ranked = None;
        if let Some(rank) = &plan.rank {
            let v = self.group(plan, &rank.by)?;
            cols.push(format!("{v} AS finq_rk"));
            let dir = if rank.descending { "DESC" } else { "ASC" };
            order.push(format!("finq_rk {dir} NULLS LAST"));
            ranked = Some(rank_column("", dir));
            out.push(format!("finq_rank AS {}", d.ident("rank")));
        }
        if !plan.order.is_empty() {
            order.clear();
            for (j, key) in plan.order.iter().enumerate() {
                let v = self.group(plan, &key.bound.expr)?;
                cols.push(format!("{v} AS finq_o{j}"));
                let dir = if key.descending { "DESC" } else { "ASC" };
                order.push(format!("finq_o{j} {dir} NULLS LAST"));
            }
        }
        order.extend(key_order);
        self.filtered(&conditions, filter);
        let group_by = if group_by.is_empty() {
            String::new()
        } else {
            format!(" GROUP BY {}", group_by.join(", "))
        };
        if cols.is_empty() {
            cols.push("count(*) AS finq_n".into());
        }
        self.push(
            "finq_groups",
            format!("SELECT {} FROM finq_rows{group_by}", cols.join(", ")),
        );
        let mut from = "finq_groups".to_string();
        if let Some(r) = ranked {
            self.push("finq_ranked", format!("SELECT *, {r} FROM finq_groups"));
            from = "finq_ranked".into();
        }
        let order = if order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", order.join(", "))
        };
        let tail = plan
            .limit
            .map(|n| format!(" LIMIT {n}"))
            .unwrap_or_default();
        Ok(format!(
            "SELECT {} FROM {from}{order}{tail}",
            out.join(", ")
        ))
    }
}

/// The `rank` column: competition rank of `finq_rk` within `part` (a `PARTITION BY ..., `
/// prefix or nothing); rows without a value get no rank.
fn rank_column(part: &str, dir: &str) -> String {
    format!(
        "CASE WHEN finq_rk IS NULL THEN NULL ELSE rank() OVER ({part}ORDER BY finq_rk {dir} NULLS LAST) END AS finq_rank"
    )
}
