//! Counts for the centre's overview, scoped like every other query.

use chrono::NaiveDate;
use humiao_core::access::Actor;
use humiao_core::policy::Category;

use crate::children::{minor_born_after, push_scope};
use crate::{corrupt, date_text, get, Arg, Result, Sql, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub code: String,
    pub name: String,
    pub children: i64,
    pub categorised: i64,
    pub open_alerts: i64,
    pub closed_alerts: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dashboard {
    pub children: i64,
    pub by_town: Vec<CountRow>,
    pub by_category: Vec<(Category, i64)>,
    pub alerts_open: i64,
    pub alerts_closed: i64,
    pub alerts_overdue: i64,
}

impl Store {
    pub async fn dashboard(&self, actor: &Actor, as_of: NaiveDate) -> Result<Dashboard> {
        let born_after = date_text(minor_born_after(as_of));
        let today = date_text(as_of);
        // Children per town: the town is the first 9 digits of the grid (or registration).
        let mut sql = Sql::new(
            "SELECT SUBSTR(COALESCE(p.residence_grid, p.hukou_region), 1, 9) AS town, \
             COUNT(*) AS children, \
             SUM(CASE WHEN EXISTS (SELECT 1 FROM child_categories c WHERE c.person_id = p.id) \
             THEN 1 ELSE 0 END) AS categorised \
             FROM persons p WHERE ",
        );
        push_scope(&mut sql, actor, "p.residence_grid", "p.hukou_region");
        sql.push(" AND p.birth_date > ")
            .bind(Arg::Text(born_after.clone()))
            .push(" AND p.birth_date <= ")
            .bind(Arg::Text(today.clone()))
            .push(" GROUP BY SUBSTR(COALESCE(p.residence_grid, p.hukou_region), 1, 9)");
        let towns = sql.query().fetch_all(&self.pool).await?;

        let mut sql = Sql::new(
            "SELECT SUBSTR(COALESCE(a.grid_code, p.hukou_region), 1, 9) AS town, a.status, \
             COUNT(*) AS n FROM alerts a JOIN persons p ON p.id = a.person_id WHERE ",
        );
        push_scope(&mut sql, actor, "a.grid_code", "p.hukou_region");
        sql.push(" GROUP BY SUBSTR(COALESCE(a.grid_code, p.hukou_region), 1, 9), a.status");
        let alerts = sql.query().fetch_all(&self.pool).await?;

        let names = sqlx::query("SELECT code, name FROM regions WHERE level = 'town'")
            .fetch_all(&self.pool)
            .await?;
        let town_name = |prefix: &str| -> String {
            names
                .iter()
                .find(|r| {
                    get::<String>(r, "code")
                        .map(|c| c.starts_with(prefix))
                        .unwrap_or(false)
                })
                .and_then(|r| get::<String>(r, "name").ok())
                .unwrap_or_else(|| prefix.to_string())
        };

        let mut dashboard = Dashboard::default();
        for row in &towns {
            let town: String = get(row, "town")?;
            let children: i64 = get(row, "children")?;
            dashboard.children += children;
            dashboard.by_town.push(CountRow {
                name: town_name(&town),
                code: format!("{town}000"),
                children,
                categorised: get::<Option<i64>>(row, "categorised")?.unwrap_or(0),
                open_alerts: 0,
                closed_alerts: 0,
            });
        }
        for row in &alerts {
            let town: String = get(row, "town")?;
            let status: String = get(row, "status")?;
            let n: i64 = get(row, "n")?;
            let code = format!("{town}000");
            let entry = match dashboard.by_town.iter_mut().find(|t| t.code == code) {
                Some(e) => e,
                None => {
                    dashboard.by_town.push(CountRow {
                        name: town_name(&town),
                        code,
                        children: 0,
                        categorised: 0,
                        open_alerts: 0,
                        closed_alerts: 0,
                    });
                    dashboard.by_town.last_mut().expect("just pushed")
                }
            };
            if status == "open" {
                entry.open_alerts += n;
                dashboard.alerts_open += n;
            } else {
                entry.closed_alerts += n;
                dashboard.alerts_closed += n;
            }
        }
        dashboard.by_town.sort_by(|a, b| a.code.cmp(&b.code));

        let mut sql = Sql::new(
            "SELECT c.category, COUNT(*) AS n FROM child_categories c \
             JOIN persons p ON p.id = c.person_id WHERE ",
        );
        push_scope(&mut sql, actor, "p.residence_grid", "p.hukou_region");
        sql.push(" AND p.birth_date > ")
            .bind(Arg::Text(born_after))
            .push(" GROUP BY c.category ORDER BY c.category");
        for row in sql.query().fetch_all(&self.pool).await? {
            let c: String = get(&row, "category")?;
            dashboard.by_category.push((
                Category::parse(&c).ok_or_else(|| corrupt("category", &c))?,
                get(&row, "n")?,
            ));
        }

        let mut sql = Sql::new(
            "SELECT COUNT(*) AS n FROM alerts a JOIN persons p ON p.id = a.person_id \
             WHERE a.status = 'open' AND a.due_date < ",
        );
        sql.bind(Arg::Text(today)).push(" AND ");
        push_scope(&mut sql, actor, "a.grid_code", "p.hukou_region");
        let row = sql.query().fetch_one(&self.pool).await?;
        dashboard.alerts_overdue = get(&row, "n")?;
        Ok(dashboard)
    }
}
