//! Server-side rendering: the templates (compiled into the binary, HTML auto-escaped), how
//! dates and numbers are shown, and the paging and sorting every table shares.

use std::sync::OnceLock;

use minijinja::{Environment, Value};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

use super::error::WebError;
use super::store::PageQuery;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!(
    "layout.html",
    "macros.html",
    "error.html",
    "login.html",
    "home.html",
    "accounts.html",
    "account_edit.html",
    "log.html",
    "uploads.html",
    "upload.html",
    "held_edit.html",
    "operator.html",
    "inquiries.html",
    "inquiry.html",
    "jlis.html",
    "jlis_batch.html",
    "fuhon.html",
    "fuhon_job.html",
);

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env.add_filter("datetime", |ts: i64| datetime(ts));
        env.add_filter("group", |n: i64| group(n));
        env
    })
}

/// Renders template `name` with `ctx`.
pub fn page(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    environment().get_template(name)?.render(ctx)
}

/// Japan Standard Time: the office's clock, whatever the server's time zone.
pub(crate) const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("JST offset"),
};

/// Unix seconds → `令和8年11月25日（2026年）5:04`, in JST.
pub fn datetime(ts: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(ts) else {
        return String::new();
    };
    let t = t.to_offset(JST);
    format!(
        "{}（{}年） {}:{:02}",
        renkei_core::to_wareki(t.date()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// 1234567 → "1,234,567".
pub fn group(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", crate::cli::group(n.unsigned_abs()))
}

/// `?sort=…&dir=…&page=…` of a table.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TableQuery {
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<i64>,
}

/// A sortable column: its key in the URL, the SQL (or field) it sorts by, and its heading.
pub struct Column {
    pub key: &'static str,
    pub sql: &'static str,
    pub label: &'static str,
}

pub const PAGE_SIZE: i64 = 20;

/// A list page's table: its sortable columns (the first is the default order) and whether that
/// default runs newest (largest) first. The one helper every list page pages through, whether
/// its rows come a page at a time from the store ([`List::fetch`]) or all at once
/// ([`List::slice`]).
pub struct List {
    pub columns: &'static [Column],
    pub default_desc: bool,
}

impl List {
    /// The page `query` asks for, read by `fetch` (a paged store read: rows and total), with
    /// the table for the page at `base`.
    pub async fn fetch<T, F>(
        &self,
        query: &TableQuery,
        base: &str,
        fetch: impl FnOnce(PageQuery) -> F,
    ) -> Result<(Vec<T>, Table), WebError>
    where
        F: std::future::Future<Output = Result<(Vec<T>, i64), renkei_store::StoreError>>,
    {
        let (page, _) = query.resolve_with(self.columns, self.default_desc);
        let (rows, total) = fetch(page).await?;
        Ok((
            rows,
            query.table_with(base, self.columns, total, self.default_desc),
        ))
    }

    /// All of `rows` ordered by `sort` (given the chosen column's `sql` key and whether
    /// descending), then the page `query` asks for, with its table.
    pub fn slice<T>(
        &self,
        query: &TableQuery,
        base: &str,
        mut rows: Vec<T>,
        sort: impl FnOnce(&mut Vec<T>, &'static str, bool),
    ) -> (Vec<T>, Table) {
        let (page, _) = query.resolve_with(self.columns, self.default_desc);
        sort(&mut rows, page.sort, page.desc);
        let table = query.table_with(base, self.columns, rows.len() as i64, self.default_desc);
        let rows = rows
            .into_iter()
            .skip(page.offset.max(0) as usize)
            .take(page.limit as usize)
            .collect();
        (rows, table)
    }
}

/// The table's state as the template sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub headers: Vec<Header>,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub label: &'static str,
    pub href: String,
    /// `▲`/`▼` on the column the table is sorted by.
    pub arrow: &'static str,
}

impl TableQuery {
    /// The page and order requested, limited to `columns` (the first is the default order,
    /// descending if `default_desc`: newest first).
    pub fn resolve_with(&self, columns: &[Column], default_desc: bool) -> (PageQuery, usize) {
        let index = self
            .sort
            .as_deref()
            .and_then(|s| columns.iter().position(|c| c.key == s))
            .unwrap_or(0);
        let desc = match self.dir.as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => index == 0 && default_desc,
        };
        let page = self.page.unwrap_or(1).max(1);
        (
            PageQuery {
                sort: columns[index].sql,
                desc,
                offset: (page - 1) * PAGE_SIZE,
                limit: PAGE_SIZE,
            },
            index,
        )
    }

    /// Headings with links that sort (again on the same column: the other way) and the
    /// pager's links, for a table at `base` (which carries no query string).
    pub fn table_with(
        &self,
        base: &str,
        columns: &[Column],
        total: i64,
        default_desc: bool,
    ) -> Table {
        let (q, index) = self.resolve_with(columns, default_desc);
        let dir = |d: bool| if d { "desc" } else { "asc" };
        let headers = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let next_desc = if i == index { !q.desc } else { false };
                Header {
                    label: c.label,
                    href: format!("{base}?sort={}&dir={}", c.key, dir(next_desc)),
                    arrow: match (i == index, q.desc) {
                        (false, _) => "",
                        (true, true) => "▼",
                        (true, false) => "▲",
                    },
                }
            })
            .collect();
        let page = q.offset / PAGE_SIZE + 1;
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let link = |p: i64| {
            format!(
                "{base}?sort={}&dir={}&page={p}",
                columns[index].key,
                dir(q.desc)
            )
        };
        Table {
            headers,
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            key: "at",
            sql: "at",
            label: "日時",
        },
        Column {
            key: "user",
            sql: "login_id",
            label: "担当者",
        },
    ];

    #[test]
    fn datetime_is_wareki_with_the_western_year_in_jst() {
        // 2019-04-30T15:00:00Z is 2019-05-01 00:00 JST: the first day of 令和.
        assert_eq!(datetime(1_556_636_400), "令和元年5月1日（2019年） 0:00");
        assert_eq!(datetime(1_556_636_399), "平成31年4月30日（2019年） 23:59");
    }

    #[test]
    fn tables_sort_only_by_known_columns_and_page() {
        let q = TableQuery {
            sort: Some("password_hash; DROP".into()),
            dir: None,
            page: Some(3),
        };
        let (pq, index) = q.resolve_with(COLUMNS, true);
        assert_eq!((pq.sort, pq.desc, pq.offset, index), ("at", true, 40, 0));
        let q = TableQuery {
            sort: Some("user".into()),
            dir: Some("asc".into()),
            page: None,
        };
        let t = q.table_with("/log", COLUMNS, 45, true);
        assert_eq!((t.page, t.pages), (1, 3));
        assert_eq!(t.prev, None);
        assert_eq!(t.next.as_deref(), Some("/log?sort=user&dir=asc&page=2"));
        assert_eq!(t.headers[1].arrow, "▲");
        assert_eq!(t.headers[1].href, "/log?sort=user&dir=desc");
        assert_eq!(t.headers[0].href, "/log?sort=at&dir=asc");
    }

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            environment().get_template(name).unwrap();
        }
    }
}
