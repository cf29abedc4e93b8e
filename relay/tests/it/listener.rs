//! The local listener (`POST /api/listen`): port rules, errors, delivery through pickup, stop.

use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use relay::routes::listen::{PortChoice, plan_listener};
use serde_json::json;

use crate::support::{SECRET, TestRelay, client, relay};

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn listen(relay: &TestRelay, redirect_uri: &str, state: &str) -> crate::support::Answer {
    relay
        .post_json(
            "/api/listen",
            json!({"redirect_uri": redirect_uri, "state": state, "pickup_secret": SECRET}),
        )
        .await
}

/// Waits until nothing accepts connections on `port` any more.
async fn wait_closed(port: u16) -> bool {
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn explicit_port_listens_once_and_delivers_through_pickup() {
    let relay = relay(&["--long-poll-secs", "5"]);
    let port = free_port();
    let uri = format!("http://127.0.0.1:{port}/cb");
    let answer = listen(&relay, &uri, "st-listen").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({"redirect_uri": uri, "expires_in": 300})
    );

    let http = client();
    let other = http
        .get(format!(
            "http://127.0.0.1:{port}/other?code=x&state=st-listen"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "only the given path is served");
    let wrong_state = http
        .get(format!("http://127.0.0.1:{port}/cb?code=evil&state=guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_state.status(), 200);

    let page = http
        .get(format!("{uri}?code=abc&state=st-listen"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    let picked = relay.pickup("st-listen", SECRET).await;
    assert_eq!(
        picked.json(),
        json!({"callback": "code=abc&state=st-listen"})
    );
    assert!(
        wait_closed(port).await,
        "the listener must stop after its callback"
    );
}

#[tokio::test]
async fn no_port_and_no_path_picks_a_free_port() {
    let relay = relay(&["--long-poll-secs", "5"]);
    let answer = listen(&relay, "http://localhost", "st-random").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let uri = answer.json()["redirect_uri"].as_str().unwrap().to_owned();
    let port: u16 = uri
        .strip_prefix("http://localhost:")
        .expect("http://localhost:PORT")
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    let page = client()
        .get(format!("{uri}/?code=r1&state=st-random"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        relay.pickup("st-random", SECRET).await.json()["callback"],
        "code=r1&state=st-random"
    );
}

#[tokio::test]
async fn no_port_with_a_path_uses_the_default_port() {
    assert_eq!(
        plan_listener("http://127.0.0.1/").unwrap().port,
        PortChoice::Default(80)
    );
    assert_eq!(
        plan_listener("https://localhost/cb").unwrap().port,
        PortChoice::Default(443)
    );

    let relay = relay(&["--long-poll-secs", "5"]);
    let answer = listen(&relay, "http://127.0.0.1/", "st-80").await;
    match answer.status {
        // Root (or a capability) can bind port 80: then it is really port 80 that listens.
        StatusCode::OK => {
            assert_eq!(answer.json()["redirect_uri"], "http://127.0.0.1/");
            let page = client()
                .get("http://127.0.0.1:80/?code=p80&state=st-80")
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), 200);
            assert_eq!(
                relay.pickup("st-80", SECRET).await.json()["callback"],
                "code=p80&state=st-80"
            );
            assert!(wait_closed(80).await);
        }
        StatusCode::FORBIDDEN => {
            assert_eq!(answer.error_code(), "port_needs_privileges");
            assert!(answer.message().contains("port 80"));
        }
        StatusCode::CONFLICT => {
            assert_eq!(answer.error_code(), "port_in_use");
            assert!(answer.message().contains("Port 80 "));
        }
        other => panic!("unexpected {other}: {}", answer.text()),
    }
}

#[tokio::test]
async fn busy_port_is_reported_and_nothing_stays_registered() {
    let relay = relay(&[]);
    let busy = StdListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let answer = listen(&relay, &format!("http://127.0.0.1:{port}/cb"), "st-busy").await;
    answer.assert_error(StatusCode::CONFLICT, "port_in_use");
    assert!(answer.message().contains(&port.to_string()));
    assert!(relay.state.store.is_empty());
}

#[test]
fn privileges_error_is_explained() {
    let err = relay::routes::listen::bind_error(
        &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        443,
    );
    assert_eq!(
        (err.status, err.code),
        (StatusCode::FORBIDDEN, "port_needs_privileges")
    );
    assert!(
        err.message.contains("port 443 needs administrator rights")
            && err.message.contains("above 1023")
    );
}

#[tokio::test]
async fn only_loopback_hosts_are_listened_on() {
    let relay = relay(&[]);
    for uri in [
        "http://0.0.0.0:9123/",
        "http://192.168.1.5:9123/",
        "http://example.com:9123/",
        "http://[::]:9123/",
        "http://localhost.attacker.example:9123/",
    ] {
        let answer = listen(&relay, uri, "st-host").await;
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (StatusCode::BAD_REQUEST, "listen_host_refused"),
            "{uri}"
        );
    }
    let bad = listen(&relay, "ftp://localhost:21/", "st-host").await;
    assert_eq!(bad.error_code(), "invalid_redirect_uri");
    assert!(relay.state.store.is_empty());
}

#[tokio::test]
async fn public_mode_refuses_to_listen() {
    let relay = crate::support::relay(&["--public"]);
    let mut request = crate::support::api_post(
        "/api/listen",
        &json!({"redirect_uri": "http://127.0.0.1:9123/cb", "state": "s", "pickup_secret": SECRET})
            .to_string(),
    );
    request
        .headers_mut()
        .insert("host", "wizard.example.com".parse().unwrap());
    request
        .headers_mut()
        .insert("origin", "https://wizard.example.com".parse().unwrap());
    let answer = relay.send(request).await;
    answer.assert_error(StatusCode::FORBIDDEN, "listener_unavailable");
}

#[tokio::test]
async fn form_post_to_the_listener_redirects_to_its_own_path_then_stops() {
    let relay = relay(&["--long-poll-secs", "5"]);
    let port = free_port();
    let uri = format!("http://127.0.0.1:{port}/form");
    assert_eq!(listen(&relay, &uri, "st-fp").await.status, StatusCode::OK);
    let http = client();
    let posted = http
        .post(&uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("code=fp1&state=st-fp")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 303);
    assert_eq!(posted.headers()["location"], "/form#code=fp1&state=st-fp");
    assert_eq!(
        relay.pickup("st-fp", SECRET).await.json()["callback"],
        "code=fp1&state=st-fp"
    );
    let follow_up = http.get(&uri).send().await.unwrap();
    assert_eq!(
        follow_up.status(),
        200,
        "the page the 303 points to is still served"
    );
    assert!(wait_closed(port).await);
}

#[tokio::test]
async fn https_listener_serves_a_self_signed_certificate() {
    let relay = relay(&["--long-poll-secs", "5"]);
    let port = free_port();
    let uri = format!("https://localhost:{port}/secure");
    assert_eq!(listen(&relay, &uri, "st-tls").await.status, StatusCode::OK);
    let page = insecure_client()
        .get(format!(
            "https://127.0.0.1:{port}/secure?code=t1&state=st-tls"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        relay.pickup("st-tls", SECRET).await.json()["callback"],
        "code=t1&state=st-tls"
    );
}

#[tokio::test]
async fn listeners_stop_when_the_relay_shuts_down() {
    let relay = relay(&[]);
    let port = free_port();
    assert_eq!(
        listen(&relay, &format!("http://127.0.0.1:{port}/cb"), "st-down")
            .await
            .status,
        StatusCode::OK
    );
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    );
    relay.state.begin_shutdown();
    assert!(wait_closed(port).await);
}

/// A client that accepts any certificate (only for the relay's own self-signed one).
fn insecure_client() -> reqwest::Client {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);
    impl ServerCertVerifier for AcceptAny {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .no_proxy()
        .build()
        .unwrap()
}
