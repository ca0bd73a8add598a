#!/usr/bin/env python3
"""zeep's callback listeners for every Handle*Notification kind: one
mutual-TLS listener per party (MNO-A, MNO-B, SMDP-1, each on its own port
with its own certificate), each notification deserialised by zeep with the
operation of our WSDL's callback binding (ES3CallbackBinding /
ES4CallbackBinding) that its wsa:Action names.

Prints "READY" once listening, then, when every party has received the
number of notifications cfg["expect"] gives (or cfg["wait"] seconds have
passed) and a grace period without more, one JSON object: per party, the
notifications received.

Usage (run by examples/smsr-server/tests/server_notify_zeep.rs):
  zeep_notify.py CONFIG.json
"""
import json
import os
import sys
import time

from lxml import etree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zeep_es import Callbacks, client  # noqa: E402

NS = "http://namespaces.gsma.org/esim-messaging/1"


def typed(c, rec, body):
    iface = rec["Action"].split("/")[3] if rec["Action"] else None
    try:
        binding = c.wsdl.bindings["{%s}%sCallbackBinding" % (NS, iface)]
        obj = binding.get(rec["Body"]).input.deserialize(etree.fromstring(body))
        out = {"Requester": obj.FunctionRequesterIdentifier,
               "CompletionTimeStamp": str(obj.CompletionTimeStamp)}
        if rec["Body"] == "HandlePLMASettingNotification":
            p = obj.Plma
            out["Plma"] = {"Mno-id": p["Mno-id"], "M2MSP-id": p["M2MSP-id"],
                           "ProfileType": p.ProfileType, "Function": list(p.Function)}
        else:
            out["Eid"], out["Iccid"] = obj.Eid, obj.Iccid
        return iface, out
    except Exception as e:  # reported, and asserted on by the Rust test
        return iface, {"Error": "%s: %s" % (type(e).__name__, e)}


def main():
    cfg = json.load(open(sys.argv[1]))
    parties = {}
    for name, p in cfg["parties"].items():
        parties[name] = Callbacks({"callback_port": p["port"], "callback_cert": p["cert"],
                                   "callback_key": p["key"], "ca": cfg["ca"]})
    c, _ = client(cfg, cfg["mno_cert"], cfg["mno_key"], parties["MNO-A"])
    print("READY", flush=True)
    deadline = time.time() + cfg["wait"]
    while time.time() < deadline:
        if all(len(parties[n].notifications) >= k for n, k in cfg["expect"].items()):
            break
        time.sleep(0.1)
    time.sleep(cfg.get("grace", 2))
    out = {}
    for name, cb in parties.items():
        with cb.cond:
            got = list(cb.notifications)
        recs = []
        for rec, body in got:
            iface, t = typed(c, rec, body)
            recs.append({"Interface": iface, "Body": rec["Body"], "MessageID": rec["MessageID"],
                         "Action": rec["Action"], "ClientCN": rec["ClientCN"], "Typed": t})
        out[name] = recs
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
