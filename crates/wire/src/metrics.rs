//! Prometheus text metrics without a metrics framework: named counters and gauges that a
//! system registers at start-up and the server skeleton renders at `/metrics`.
//!
//! Labels are fixed at registration; nothing personal is ever a label value.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Vec<Entry>>>,
}

struct Entry {
    name: String,
    help: &'static str,
    kind: &'static str,
    labels: String,
    value: Arc<AtomicU64>,
}

/// A monotonically increasing count.
#[derive(Clone)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Clone)]
pub struct Gauge(Arc<AtomicU64>);

impl Gauge {
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Metrics {
    fn register(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        help: &'static str,
        kind: &'static str,
    ) -> Arc<AtomicU64> {
        let labels = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect::<Vec<_>>()
            .join(",");
        let mut entries = self.inner.lock().expect("metrics lock");
        if let Some(e) = entries
            .iter()
            .find(|e| e.name == name && e.labels == labels)
        {
            return e.value.clone();
        }
        let value = Arc::new(AtomicU64::new(0));
        entries.push(Entry {
            name: name.to_owned(),
            help,
            kind,
            labels,
            value: value.clone(),
        });
        value
    }

    pub fn counter(&self, name: &str, labels: &[(&str, &str)], help: &'static str) -> Counter {
        Counter(self.register(name, labels, help, "counter"))
    }

    pub fn gauge(&self, name: &str, labels: &[(&str, &str)], help: &'static str) -> Gauge {
        Gauge(self.register(name, labels, help, "gauge"))
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let entries = self.inner.lock().expect("metrics lock");
        let mut out = String::new();
        let mut last = "";
        for e in entries.iter() {
            if e.name != last {
                let _ = writeln!(
                    out,
                    "# HELP {} {}\n# TYPE {} {}",
                    e.name, e.help, e.name, e.kind
                );
            }
            let value = e.value.load(Ordering::Relaxed);
            if e.labels.is_empty() {
                let _ = writeln!(out, "{} {value}", e.name);
            } else {
                let _ = writeln!(out, "{}{{{}}} {value}", e.name, e.labels);
            }
            last = &e.name;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let m = Metrics::default();
        let c = m.counter(
            "renkei_requests_total",
            &[("path", "/v1/x")],
            "Requests served.",
        );
        c.add(3);
        m.counter(
            "renkei_requests_total",
            &[("path", "/v1/x")],
            "Requests served.",
        )
        .inc();
        let text = m.render();
        assert!(
            text.contains("# TYPE renkei_requests_total counter"),
            "{text}"
        );
        assert!(
            text.contains("renkei_requests_total{path=\"/v1/x\"} 4"),
            "{text}"
        );
    }
}
