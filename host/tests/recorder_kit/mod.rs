//! What the recorder-level tests (a `Recorder` on a browser of their own, no worker) share: local
//! test pages and the host's handle on the job's page.

use std::time::Duration;

use axum::Router;
use chromiumoxide::{Page, cdp::browser_protocol::target::TargetId};
use meetbot_host::browser::JobBrowser;

/// Serves `app` on a free local port; its base URL (`http://127.0.0.1:<port>`).
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve the test page") });
    format!("http://{address}")
}

/// The host's own handle on the job's page (the recorder finds it the same way).
pub async fn job_page(browser: &JobBrowser) -> Page {
    let target = TargetId::from(browser.target_id.clone());
    for _ in 0..100 {
        if let Ok(page) = browser.cdp.get_page(target.clone()).await {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("page {} not found", browser.target_id);
}
