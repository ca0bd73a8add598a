#!/usr/bin/env python3
"""An independent SOAP stack against the SM-SR's ES listener: zeep loads the
server's WSDL over mutual TLS and calls every ES3 and ES4 function, with
WS-Addressing (zeep writes Action, MessageID and To itself from the
WSDL's wsam:Action; a plugin adds ReplyTo) naming a
callback listener of its own (HTTPS, client certificate required) that
receives the asynchronous ...Response messages.

Prints one JSON object: per call, the interface, function, MessageID,
whether it was answered synchronously or by a callback, and the answer's
Status / Subject / Reason; plus the callbacks received, and the
Handle*Notification messages the SM-SR sent to the listener (when the test
registers it as the MNO's notification endpoint), each deserialised by
zeep from our WSDL's callback bindings.

Usage (run by examples/smsr-server/tests/server_soap_zeep.rs):
  zeep_es.py CONFIG.json
"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests
from lxml import etree
from zeep import Client, Plugin
from zeep.transports import Transport

WSA = "http://www.w3.org/2005/08/addressing"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


def local(tag):
    return etree.QName(tag).localname


def find(root, name):
    for el in root.iter():
        if isinstance(el.tag, str) and local(el.tag) == name:
            return el
    return None


def text(root, name):
    el = find(root, name)
    return None if el is None else (el.text or "")


def status_of(root):
    """Status, Subject, Reason of the first FunctionExecutionStatus."""
    fes = find(root, "FunctionExecutionStatus")
    if fes is None:
        return None
    return {"Status": text(fes, "Status"), "Subject": text(fes, "Subject"),
            "Reason": text(fes, "Reason")}


def aids_of(root):
    """ICCID -> ISD-P AID of every ProfileInfo in an answer's Eis."""
    return {text(p, "Iccid"): text(p, "Isd-p-aid") for p in root.iter()
            if isinstance(p.tag, str) and local(p.tag) == "ProfileInfo"}


class Callbacks:
    """The mutual-TLS listener for asynchronous answers."""

    def __init__(self, cfg):
        self.received = []
        self.notifications = []
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                cert = self.connection.getpeercert() or {}
                cn = [v for rdn in cert.get("subject", ()) for (k, v) in rdn if k == "commonName"]
                root = etree.fromstring(body)
                header = root.find("{%s}Header" % SOAP12)
                rec = {
                    "RelatesTo": text(header, "RelatesTo") if header is not None else None,
                    "Action": text(header, "Action") if header is not None else None,
                    "To": text(header, "To") if header is not None else None,
                    "Body": local(root.find("{%s}Body" % SOAP12)[0].tag),
                    "Answer": status_of(root),
                    "ClientCN": cn[0] if cn else None,
                    "Aids": aids_of(root),
                }
                with outer.cond:
                    if rec["Body"].endswith("Notification"):
                        # A Handle*Notification (the SM-SR's own call on
                        # our callback port types), not an answer.
                        rec["MessageID"] = text(header, "MessageID")
                        rec["Eid"] = text(root, "Eid")
                        outer.notifications.append((rec, body))
                    else:
                        outer.received.append(rec)
                    outer.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", cfg.get("callback_port", 0)), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cfg["callback_cert"], cfg["callback_key"])
        ctx.load_verify_locations(cfg["ca"])
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "https://127.0.0.1:%d/callbacks" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, message_id, timeout=90):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for r in self.received:
                    if r["RelatesTo"] == message_id:
                        return r
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)


class ReplyTo(Plugin):
    """Adds wsa:ReplyTo (zeep writes Action, MessageID and To for an
    operation with a wsam:Action) and remembers each request's MessageID."""

    def __init__(self, address):
        self.address = address
        self.last_message_id = None

    def egress(self, envelope, http_headers, operation, binding_options):
        header = envelope.find("{%s}Header" % SOAP12)
        if header is None:
            header = etree.Element("{%s}Header" % SOAP12)
            envelope.insert(0, header)
        reply = etree.SubElement(header, "{%s}ReplyTo" % WSA)
        etree.SubElement(reply, "{%s}Address" % WSA).text = self.address
        self.last_message_id = header.find("{%s}MessageID" % WSA).text
        return envelope, http_headers


def client(cfg, cert, key, callbacks):
    session = requests.Session()
    # REQUESTS_CA_BUNDLE & co. would replace our CA (requests lets the
    # environment win over Session.verify).
    session.trust_env = False
    session.cert = (cert, key)
    session.verify = cfg["ca"]
    reply_to = ReplyTo(callbacks.url)
    c = Client(cfg["wsdl"], transport=Transport(session=session),
               plugins=[reply_to])
    return c, reply_to


def main():
    cfg = json.load(open(sys.argv[1]))
    callbacks = Callbacks(cfg)
    smdp, smdp_ids = client(cfg, cfg["smdp_cert"], cfg["smdp_key"], callbacks)
    mno, mno_ids = client(cfg, cfg["mno_cert"], cfg["mno_key"], callbacks)
    es3 = smdp.bind("SMSR", "ES3Port")
    es4 = mno.bind("SMSR", "ES4Port")
    calls = []
    eid, iccid, iccid2 = cfg["eid"], cfg["iccid"], cfg["iccid2"]

    def call(iface, name, **kw):
        svc, ids, c = (es3, smdp_ids, smdp) if iface == "ES3" else (es4, mno_ids, mno)
        with c.settings(raw_response=True):
            resp = getattr(svc, name)(**kw)
        rec = {"Interface": iface, "Function": name, "MessageID": ids.last_message_id,
               "Http": resp.status_code}
        if resp.status_code == 202 and not resp.content:
            cb = callbacks.wait(ids.last_message_id)
            rec["Mode"] = "callback" if cb else "lost"
            rec["Answer"] = cb and cb["Answer"]
            rec["Callback"] = cb
        else:
            root = etree.fromstring(resp.content)
            rec["Mode"] = "sync"
            rec["Answer"] = status_of(root)
            rec["RelatesTo"] = text(root.find("{%s}Header" % SOAP12), "RelatesTo")
            # The typed answer through zeep's own deserialisation too.
            rec["Typed"] = typed(c, svc, name, resp)
            rec["Aids"] = aids_of(root)
            rec["Plma"] = [text(p, "M2MSP-id") for p in root.iter()
                           if isinstance(p.tag, str) and local(p.tag) == "Plma"]
        calls.append(rec)
        return rec

    def aid_of(rec, i):
        return (rec.get("Aids") or (rec.get("Callback") or {}).get("Aids") or {}).get(i)

    def install(i):
        r = call("ES3", "CreateISDP", Eid=eid, Iccid=i, **{"Mno-id": "MNO-A"}, RequiredMemory=8192)
        aid = aid_of(r, i)
        call("ES3", "SendData", Eid=eid, **{"sd-aid": aid}, Data=cfg["scripts"][i])
        call("ES3", "ProfileDownloadCompleted", Eid=eid, Iccid=i,
             SubscriptionAddress={"Msisdn": cfg["msisdn"]})

    try:
        lifecycle(call, install, aid_of, eid, iccid, iccid2)
    except Exception as e:
        print(json.dumps({"Error": "%s: %s" % (type(e).__name__, e), "Calls": calls,
                          "Callbacks": callbacks.received}))
        sys.exit(1)
    operations = {iface: sorted(op.name for op in b._operations.values())
                  for iface, b in (("ES3", es3._binding), ("ES4", es4._binding))}
    print(json.dumps({"Calls": calls, "Callbacks": callbacks.received,
                      "WsdlOperations": operations,
                      "Notifications": notifications(mno, callbacks, cfg)}))


def notifications(c, callbacks, cfg):
    """The Handle*Notification messages received (waiting up to
    cfg["notifications_wait"] seconds for cfg["notifications_min"] of them),
    each deserialised by zeep with the operation of our WSDL's callback
    binding its Action names (ES3CallbackBinding / ES4CallbackBinding)."""
    deadline = time.time() + cfg.get("notifications_wait", 0)
    with callbacks.cond:
        while len(callbacks.notifications) < cfg.get("notifications_min", 0):
            left = deadline - time.time()
            if left <= 0:
                break
            callbacks.cond.wait(left)
        got = list(callbacks.notifications)
    ns = "http://namespaces.gsma.org/esim-messaging/1"
    out = []
    for rec, body in got:
        iface = rec["Action"].split("/")[3] if rec["Action"] else None
        try:
            binding = c.wsdl.bindings["{%s}%sCallbackBinding" % (ns, iface)]
            op = binding.get(rec["Body"])
            obj = op.input.deserialize(etree.fromstring(body))
            rec["Typed"] = {"Eid": obj.Eid, "Iccid": obj.Iccid,
                            "Requester": obj.FunctionRequesterIdentifier}
        except Exception as e:  # reported, and asserted on by the Rust test
            rec["Typed"] = {"Error": "%s: %s" % (type(e).__name__, e)}
        rec["Interface"] = iface
        out.append(rec)
    return out


def lifecycle(call, install, aid_of, eid, iccid, iccid2):
    """Every ES3 then every ES4 function, in an order the EIS rules allow."""
    rule = {"Rule": [{"Action": "DISABLE", "Qualification": "Not-Allowed"}]}
    call("ES3", "GetEIS", FunctionCallIdentifier="zeep-1", ValidityPeriod=300, Eid=eid)
    install(iccid)
    call("ES3", "UpdatePolicyRules", Eid=eid, Iccid=iccid, Pol2={"Rule": []})
    call("ES3", "UpdateConnectivityParameters", Eid=eid, Iccid=iccid,
         ConnectivityParameters="A00706059121436587F9")
    call("ES3", "EnableProfile", Eid=eid, Iccid=iccid)
    call("ES3", "DisableProfile", Eid=eid, Iccid=iccid)
    call("ES3", "SetFallBackAttribute", Eid=eid, Iccid=iccid)
    call("ES3", "SetEmergencyProfileAttribute", Eid=eid, Iccid=iccid)
    call("ES3", "AuditEIS", Eid=eid, Iccid=[iccid])
    install(iccid2)
    call("ES3", "DeleteISDP", Eid=eid, Iccid=iccid2)
    call("ES4", "GetEIS", Eid=eid)
    call("ES4", "AuditEIS", Eid=eid)
    call("ES4", "EnableProfile", Eid=eid, Iccid=iccid)
    call("ES4", "UpdatePolicyRules", Eid=eid, Iccid=iccid, Pol2=rule)
    call("ES4", "UpdatePolicyRules", Eid=eid, Iccid=iccid, Pol2={"Rule": []})
    call("ES4", "SetFallBackAttribute", Eid=eid, Iccid=iccid)
    call("ES4", "SetEmergencyProfileAttribute", Eid=eid, Iccid=iccid)
    call("ES4", "UpdateSubscriptionAddress", Eid=eid, Iccid=iccid,
         SubscriptionAddress={"Imsi": "204080000000001", "Msisdn": "31600000099"})
    # A PLMA granted, read back, revoked and read back (ES4A over ES4).
    call("ES4", "SetPLMA", **{"M2MSP-id": "MNO-B"}, Function=["GetEIS", "AuditEIS"])
    call("ES4", "GetPLMA")
    call("ES4", "SetPLMA", **{"M2MSP-id": "MNO-B"})
    call("ES4", "GetPLMA")
    # An ONC set and read back (ES4A), then the PLMAs granted to the
    # caller (none: MNO-A granted, it was granted nothing).
    call("ES4", "SetONC", ProfileType="meter",
         DiscardedNotification=["HandleProfileDisabledNotification"])
    call("ES4", "GetONC")
    call("ES4", "GetAuthorisationsOfM2MSP")
    call("ES4", "DisableProfile", Eid=eid, Iccid=iccid)
    call("ES4", "DeleteProfile", Eid=eid, Iccid=iccid)


def typed(c, svc, name, resp):
    """The synchronous answer deserialised by zeep from our XSD: its Status
    and, for an answer with the EIS, fields of the typed EIS (EISType):
    the EID, the memory as an integer, the profiles' ICCIDs and states,
    the ISD-R's role; for GetPLMA the M2MSP-id of each PLMA."""
    try:
        op = svc._binding._operations[name]
        result = svc._binding.process_reply(c, op, resp)
        out = {"Status": result.FunctionExecutionStatus.Status}
        eis = getattr(result, "Eis", None)
        if eis is not None:
            out["Eis"] = {
                "Eid": eis.EumSignedInfo.Eid,
                "HttpSupport": eis.EumSignedInfo.EuiccCapabilities.HttpSupport,
                "RemainingMemory": eis.RemainingMemory,
                "Profiles": {p.Iccid: p.State for p in eis.ProfileInfo},
                "IsdrRole": eis["Isd-r"].Role,
            }
        if name in ("GetPLMA", "GetAuthorisationsOfM2MSP"):
            out["Plma"] = [p["M2MSP-id"] for p in (result.Plma or [])]
        if name == "GetONC":
            out["Onc"] = [[o["Mno-id"], o.ProfileType, list(o.DiscardedNotification)]
                          for o in (result.Onc or [])]
        return out
    except Exception as e:  # reported, and asserted on by the Rust test
        return {"Error": "%s: %s" % (type(e).__name__, e)}


if __name__ == "__main__":
    main()
