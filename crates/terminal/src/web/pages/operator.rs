//! システムの運用状況 (運用者 only): each system's /health and the counts from its Prometheus
//! /metrics, read over mutual TLS with the operator's certificate.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use futures_util::future::join_all;
use serde::Serialize;

use super::render;
use crate::web::auth::Operator;
use crate::web::error::WebError;
use crate::web::WebState;

pub fn router() -> Router<Arc<WebState>> {
    Router::new().route("/operator", get(operator))
}

#[derive(Serialize)]
struct SystemView {
    code: String,
    name: String,
    url: String,
    healthy: bool,
    status: String,
    millis: u128,
    requests: f64,
    /// Each metric family with the sum over its series.
    metrics: Vec<(String, f64)>,
}

/// Sums each metric family of a Prometheus text exposition over its labels.
pub fn sum_families(text: &str) -> BTreeMap<String, f64> {
    let mut sums = BTreeMap::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let Some(value) = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        *sums.entry(line[..name_end].to_owned()).or_insert(0.0) += value;
    }
    sums
}

async fn operator(
    State(state): State<Arc<WebState>>,
    Operator(staff): Operator,
) -> Result<Html<String>, WebError> {
    let systems = join_all(
        state
            .operator
            .iter()
            .map(|(code, name, client)| async move {
                let started = Instant::now();
                let health = client.get_text("/health").await;
                let millis = started.elapsed().as_millis();
                let metrics = client
                    .get_text("/metrics")
                    .await
                    .map(|t| sum_families(&t))
                    .unwrap_or_default();
                let requests = metrics
                    .get("renkei_http_requests_total")
                    .copied()
                    .unwrap_or(0.0);
                SystemView {
                    code: code.clone(),
                    name: name.clone(),
                    url: client.base_url().to_owned(),
                    healthy: health.is_ok(),
                    status: match health {
                        Ok(_) => "正常".into(),
                        Err(e) => format!("応答なし（{e}）"),
                    },
                    millis,
                    requests,
                    metrics: metrics.into_iter().collect(),
                }
            }),
    )
    .await;
    render(
        &state,
        &staff,
        "operator.html",
        minijinja::context! { systems },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_summed_over_labels() {
        let text = "# HELP renkei_http_requests_total x\n# TYPE renkei_http_requests_total counter\nrenkei_http_requests_total{path=\"/a\",status=\"200\"} 3\nrenkei_http_requests_total{path=\"/b\",status=\"200\"} 4\nrenkei_rows 10\n";
        let sums = sum_families(text);
        assert_eq!(sums["renkei_http_requests_total"], 7.0);
        assert_eq!(sums["renkei_rows"], 10.0);
        assert_eq!(sums.len(), 2);
    }
}
