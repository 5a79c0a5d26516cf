//! One HTTP request outside the browser (hyper's client), for what a page's `fetch` does not
//! show (a redirect's `Location`, `Set-Cookie`, a download's headers and raw bytes) and for
//! requests with a chosen cookie. Redirects are not followed.

#![allow(dead_code)] // each test binary uses a part of it

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// An HTTP response as received.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request; `url` is `http://host:port/path`.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http();
        let exchange = async {
            let (head, body) = client.request(request).await?.into_parts();
            Ok::<_, Box<dyn std::error::Error>>((head, body.collect().await?.to_bytes()))
        };
        let (head, body) = tokio::time::timeout(Duration::from_secs(120), exchange)
            .await
            .unwrap_or_else(|_| panic!("{method} {url}: no answer in 120 s"))
            .unwrap_or_else(|e| panic!("{method} {url}: {e:?}"));
        Response {
            status: head.status.as_u16(),
            headers: head
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        }
    })
}
