#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The SGP.02 ES binding end to end: the server with an `Es` listener,
//! a simulated fleet, certificates made by `openssl` at test time.
//! Mutual TLS refusals (no, unknown, foreign certificate), every envelope
//! fault (malformed XML, SOAP 1.1, XML bomb, deep nesting, 10 MiB body,
//! missing/unknown/mismatched WS-Addressing headers, another role's
//! function, an expired validity period) with nothing changed, and the
//! SM-DP and MNO driving a profile through SOAP with one answer sent
//! asynchronously to `ReplyTo` (retried after a 503).

mod server_soap_support;
mod server_support;

use std::time::Duration;

use server_soap_support::*;
use server_support::*;
use smsr::soap::Element;

/// Fleet of `n`, registered; a server with the ES listener (`extra` flags
/// added); the certificates and the ES address.
fn setup(dir: &TmpDir, n: usize, extra: &[&str]) -> (Proc, Proc, Certs, String) {
    require_openssl();
    let certs = Certs::new(dir);
    let es_config = certs.es_config(dir);
    let fleet = start_fleet(dir, n);
    let mut args = vec!["--config", es_config.to_str().unwrap()];
    args.extend_from_slice(extra);
    let server = start_server(dir, &dir.join("db.sqlite"), &smsc(&fleet), &args);
    register_all(api(&server), &members(&fleet), 1);
    let es = server.ready["Es"]
        .as_str()
        .expect("Es in the ready file")
        .to_owned();
    (fleet, server, certs, es)
}

fn post(
    es: &str,
    certs: &Certs,
    who: &(std::path::PathBuf, std::path::PathBuf),
    xml: &str,
) -> (u16, String) {
    https(
        es,
        Some(who),
        &certs.pki.ca(),
        "POST",
        "/es",
        xml.as_bytes(),
    )
    .unwrap()
}

/// The fault's code and subcodes, outermost first.
fn fault_codes(xml: &str) -> Vec<String> {
    fn values(e: &Element, out: &mut Vec<String>) {
        for c in &e.children {
            if c.name == "Value" {
                out.push(c.text.clone());
            } else if c.name == "Subcode" {
                values(c, out);
            }
        }
    }
    let env = parse(xml);
    assert_eq!(env.body.name, "Fault", "{xml}");
    let mut out = Vec::new();
    values(env.body.child("Code").expect("env:Code"), &mut out);
    out
}

/// `StatusCodeData`'s subject and reason, wherever it is (response body
/// or fault detail).
fn code_of(xml: &str) -> Option<(String, String)> {
    fn find(e: &Element) -> Option<&Element> {
        if e.name == "StatusCodeData" {
            return Some(e);
        }
        e.children.iter().find_map(find)
    }
    let env = parse(xml);
    let d = find(&env.body)?;
    Some((
        d.child("Subject")?.text.clone(),
        d.child("Reason")?.text.clone(),
    ))
}

fn code(s: &str, r: &str) -> Option<(String, String)> {
    Some((s.to_owned(), r.to_owned()))
}

const ES4: &str = "http://gsma.com/ES4";
const ES3: &str = "http://gsma.com/ES3";

fn get_eis(eid: &str) -> String {
    format!("<gsma:GetEIS><Eid>{eid}</Eid></gsma:GetEIS>")
}

#[test]
fn mutual_tls_refuses_missing_unknown_and_foreign_certificates() {
    let dir = tmpdir("soap-mtls");
    let (_fleet, _server, certs, es) = setup(&dir, 1, &[]);
    let ca = certs.pki.ca();
    let (status, wsdl) = https(&es, Some(&certs.mno), &ca, "GET", "/es?wsdl", b"").unwrap();
    assert_eq!(status, 200);
    assert!(
        wsdl.contains("wsdl:definitions") && wsdl.contains("soap12:binding"),
        "{wsdl}"
    );
    for (who, cert) in [
        ("no certificate", None),
        (
            "a CA-signed certificate the config does not name",
            Some(&certs.stranger),
        ),
        ("a configured name from another CA", Some(&certs.rogue)),
    ] {
        let r = https(&es, cert, &ca, "GET", "/es?wsdl", b"");
        assert!(r.is_err(), "{who}: got an HTTP answer {r:?}");
    }
}

#[test]
fn bad_envelopes_get_the_standard_fault_and_change_nothing() {
    let dir = tmpdir("soap-faults");
    let (fleet, server, certs, es) = setup(&dir, 1, &[]);
    let eid = eid_of(&members(&fleet)[0]);
    let before = eis(api(&server), MNO_A, &eid);
    let get = format!("{ES4}/eUICCManagement/ES4-GetEIS");
    let audit3 = format!("{ES3}/eUICCManagement/ES3-AuditEIS");
    let audit4 = format!("{ES4}/eUICCManagement/ES4-AuditEIS");
    let audit_body = format!("<gsma:AuditEIS><Eid>{eid}</Eid></gsma:AuditEIS>");
    let cases: Vec<(&str, String, u16, Vec<&str>)> = vec![
        ("malformed XML", "<env:Envelope xmlns:env=\"x\"><a></b>".into(), 400, vec!["env:Sender"]),
        (
            "SOAP 1.1",
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>".into(),
            500,
            vec!["env:VersionMismatch"],
        ),
        (
            "entity expansion (XML bomb)",
            format!(
                "<!DOCTYPE env:Envelope [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>{}",
                envelope(Some(&audit4), Some("urn:m:1"), None, "<gsma:AuditEIS><Eid>&b;</Eid></gsma:AuditEIS>")
            ),
            400,
            vec!["env:Sender"],
        ),
        (
            "deep nesting",
            envelope(Some(&audit4), Some("urn:m:2"), None, &format!("{}{}", "<x>".repeat(200), "</x>".repeat(200))),
            400,
            vec!["env:Sender"],
        ),
        (
            "missing MessageID",
            envelope(Some(&audit4), None, None, &audit_body),
            400,
            vec!["env:Sender", "wsa:MessageAddressingHeaderRequired"],
        ),
        (
            "missing Action",
            envelope(None, Some("urn:m:3"), None, &audit_body),
            400,
            vec!["env:Sender", "wsa:MessageAddressingHeaderRequired"],
        ),
        (
            "unknown Action",
            envelope(Some("http://gsma.com/ES4/ProfileManagent/ES4-AuditEIS"), Some("urn:m:4"), None, &audit_body),
            400,
            vec!["env:Sender", "wsa:ActionNotSupported"],
        ),
        (
            "Action not matching the body",
            envelope(Some(&get), Some("urn:m:5"), None, &audit_body),
            400,
            vec!["env:Sender", "wsa:InvalidAddressingHeader", "wsa:ActionMismatch"],
        ),
        (
            "an ES3 function called with an MNO certificate",
            envelope(Some(&audit3), Some("urn:m:6"), None, &audit_body),
            400,
            vec!["env:Sender"],
        ),
    ];
    for (what, xml, http, codes) in &cases {
        let (status, body) = post(&es, &certs, &certs.mno, xml);
        assert_eq!(status, *http, "{what}: {body}");
        assert_eq!(fault_codes(&body), *codes, "{what}: {body}");
    }
    // The role refusal names SGP.02's status: 1.1 Function Requester, 1.2
    // Not Allowed.
    let (_, body) = post(&es, &certs, &certs.mno, &cases[8].1);
    assert_eq!(code_of(&body), code("1.1", "1.2"), "{body}");
    // Another identity in FunctionRequesterIdentifier than the certificate's.
    let spoof = format!(
        "<gsma:AuditEIS><FunctionRequesterIdentifier>MNO-B</FunctionRequesterIdentifier><Eid>{eid}</Eid></gsma:AuditEIS>"
    );
    let (status, body) = post(
        &es,
        &certs,
        &certs.mno,
        &envelope(Some(&audit4), Some("urn:m:7"), None, &spoof),
    );
    assert_eq!(
        (status, code_of(&body)),
        (400, code("1.1", "1.2")),
        "{body}"
    );
    // 10 MiB: refused before parsing.
    let big = envelope(
        Some(&audit4),
        Some("urn:m:8"),
        None,
        &format!("<x>{}</x>", "a".repeat(10 << 20)),
    );
    let (status, body) = post(&es, &certs, &certs.mno, &big);
    assert_eq!(status, 413, "{}", &body[..body.len().min(400)]);
    assert_eq!(fault_codes(&body), ["env:Sender"]);
    // An expired validity period: SGP.02's Expired, 1.6 / 4.10.
    let expired = format!(
        "<gsma:AuditEIS><ValidityPeriod>0</ValidityPeriod><Eid>{eid}</Eid></gsma:AuditEIS>"
    );
    let (status, body) = post(
        &es,
        &certs,
        &certs.mno,
        &envelope(Some(&audit4), Some("urn:m:9"), None, &expired),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        text_of(&body, "Status").as_deref(),
        Some("Expired"),
        "{body}"
    );
    assert_eq!(code_of(&body), code("1.6", "4.10"), "{body}");
    assert_eq!(
        parse(&body).addressing.relates_to.as_deref(),
        Some("urn:m:9")
    );
    // A missing element and an unknown one: Failed 1.6 / 2.2 and 2.1.
    for (xml, reason) in [
        ("<gsma:AuditEIS/>".to_owned(), "2.2"),
        (
            format!("<gsma:AuditEIS><Eid>{eid}</Eid><Drop>1</Drop></gsma:AuditEIS>"),
            "2.1",
        ),
    ] {
        let (status, body) = post(
            &es,
            &certs,
            &certs.mno,
            &envelope(Some(&audit4), Some("urn:m:10"), None, &xml),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            text_of(&body, "Status").as_deref(),
            Some("Failed"),
            "{body}"
        );
        assert_eq!(code_of(&body), code("1.6", reason), "{body}");
    }
    // Nothing ran: no audit dated, no operation queued.
    let after = eis(api(&server), MNO_A, &eid);
    assert_eq!(before, after);
    let stats = ok_get_stats(&server);
    assert_eq!(stats["Engine"]["Settled"], 0, "{stats}");
    assert_eq!(stats["Engine"]["SmsOut"], 0, "{stats}");
}

fn ok_get_stats(server: &Proc) -> serde_json::Value {
    let (status, v) = call(
        api(server),
        MNO_A,
        "GET",
        "/stats",
        &serde_json::Value::Null,
    );
    assert_eq!(status, 200, "{v}");
    v
}

/// The `ProfileInfo` of `iccid` in an answer's `Eis`: its `Isd-p-aid` and
/// `State`.
fn profile_of(xml: &str, iccid: &str) -> Option<(String, String)> {
    let env = parse(xml);
    let eis = env.body.child("Eis")?;
    let p = eis
        .children_named("ProfileInfo")
        .find(|p| p.child("Iccid").is_some_and(|i| i.text == iccid))?;
    Some((
        p.child("Isd-p-aid")?.text.clone(),
        p.child("State")?.text.clone(),
    ))
}

#[test]
fn smdp_and_mno_drive_a_profile_with_an_asynchronous_answer_to_reply_to() {
    let dir = tmpdir("soap-flow");
    // --wait-ms 0: a function that goes to the eUICC never settles within
    // the request's wait, so with a ReplyTo it is answered asynchronously.
    let (fleet, _server, certs, es) = setup(&dir, 1, &["--wait-ms", "0"]);
    let m = &members(&fleet)[0];
    let (eid, msisdn, iccid) = (eid_of(m), msisdn_of(m), iccid(1, 0));
    let pm3 = |f: &str| format!("{ES3}/ProfileManagement/ES3-{f}");
    // The SM-DP, synchronously (no ReplyTo: the answer waits on the connection).
    let create = format!(
        "<gsma:CreateISDP><FunctionCallIdentifier>call-1</FunctionCallIdentifier><Eid>{eid}</Eid>\
         <Iccid>{iccid}</Iccid><Mno-id>MNO-A</Mno-id><RequiredMemory>8192</RequiredMemory></gsma:CreateISDP>"
    );
    let (status, body) = post(
        &es,
        &certs,
        &certs.smdp,
        &envelope(Some(&pm3("CreateISDP")), Some("urn:f:1"), None, &create),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        text_of(&body, "Status").as_deref(),
        Some("Executed-Success"),
        "{body}"
    );
    assert_eq!(
        text_of(&body, "FunctionCallIdentifier").as_deref(),
        Some("call-1")
    );
    let reply = parse(&body);
    assert_eq!(reply.addressing.relates_to.as_deref(), Some("urn:f:1"));
    assert_eq!(
        reply.addressing.action.as_deref(),
        Some(format!("{ES3}/ProfileManagementCallBack/ES3-CreateISDP").as_str())
    );
    let (aid, _) = profile_of(&body, &iccid).expect("the new ISD-P in the EIS");
    let send = format!(
        "<gsma:SendData><Eid>{eid}</Eid><sd-aid>{aid}</sd-aid><Data>{}</Data></gsma:SendData>",
        download_script(&iccid)
    );
    let (_, body) = post(
        &es,
        &certs,
        &certs.smdp,
        &envelope(Some(&pm3("SendData")), Some("urn:f:2"), None, &send),
    );
    assert_eq!(
        text_of(&body, "Status").as_deref(),
        Some("Executed-Success"),
        "{body}"
    );
    let done = format!(
        "<gsma:ProfileDownloadCompleted><Eid>{eid}</Eid><Iccid>{iccid}</Iccid>\
         <SubscriptionAddress><Msisdn>{msisdn}</Msisdn></SubscriptionAddress></gsma:ProfileDownloadCompleted>"
    );
    let (_, body) = post(
        &es,
        &certs,
        &certs.smdp,
        &envelope(
            Some(&pm3("ProfileDownloadCompleted")),
            Some("urn:f:3"),
            None,
            &done,
        ),
    );
    assert_eq!(
        text_of(&body, "Status").as_deref(),
        Some("Executed-Success"),
        "{body}"
    );
    // The MNO: GetEIS synchronously, EnableProfile answered to ReplyTo (the
    // listener refuses the first delivery with 503: it is retried).
    let (cb, received) = callback_listener(&certs, 1);
    let reply_to = format!("https://127.0.0.1:{}/mno/callback", cb.port());
    let (status, body) = post(
        &es,
        &certs,
        &certs.mno,
        &envelope(
            Some(&format!("{ES4}/eUICCManagement/ES4-GetEIS")),
            Some("urn:f:4"),
            Some(&reply_to),
            &get_eis(&eid),
        ),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        profile_of(&body, &iccid).map(|p| p.1).as_deref(),
        Some("Disabled"),
        "{body}"
    );
    let enable =
        format!("<gsma:EnableProfile><Eid>{eid}</Eid><Iccid>{iccid}</Iccid></gsma:EnableProfile>");
    let (status, body) = post(
        &es,
        &certs,
        &certs.mno,
        &envelope(
            Some(&format!("{ES4}/ProfileManagement/ES4-EnableProfile")),
            Some("urn:f:5"),
            Some(&reply_to),
            &enable,
        ),
    );
    assert_eq!(
        (status, body.as_str()),
        (202, ""),
        "an acknowledgement, the answer goes to ReplyTo"
    );
    let got = wait_for(&received, 1, Duration::from_secs(60));
    assert_eq!(got.len(), 1, "no asynchronous answer arrived");
    let (cn, xml) = &got[0];
    assert_eq!(cn, "smsr", "sent with the SM-SR's client certificate");
    let env = parse(xml);
    assert_eq!(env.addressing.relates_to.as_deref(), Some("urn:f:5"));
    assert_eq!(env.addressing.to.as_deref(), Some(reply_to.as_str()));
    assert_eq!(
        env.addressing.action.as_deref(),
        Some(format!("{ES4}/ProfileManagementCallBack/ES4-EnableProfile").as_str())
    );
    assert_eq!(env.body.name, "EnableProfileResponse");
    assert_eq!(
        text_of(xml, "Status").as_deref(),
        Some("Executed-Success"),
        "{xml}"
    );
    let (_, body) = post(
        &es,
        &certs,
        &certs.mno,
        &envelope(
            Some(&format!("{ES4}/eUICCManagement/ES4-GetEIS")),
            Some("urn:f:6"),
            None,
            &get_eis(&eid),
        ),
    );
    assert_eq!(
        profile_of(&body, &iccid).map(|p| p.1).as_deref(),
        Some("Enabled"),
        "{body}"
    );
}
