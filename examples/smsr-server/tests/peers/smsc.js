// An SMPP 3.4 SMSC built on the npm `smpp` package (not our code), for
// the SM-SR's interoperability tests. It accepts the SM-SR's ESME, checks
// every submit_sm it gets (byte for byte, from the raw PDU), relays it to
// the simulated fleet's SMSC (binding there as an ESME, also through
// `smpp`), and relays the fleet's MO deliver_sm (PoRs, notifications)
// back. Faults to inject are named on the command line.
//
//   node smsc.js --fleet HOST:PORT --ready FILE --log FILE
//                [--dcs 0xF6] [--faults throttle=2,refuse=1,dlrfail=1,
//                 split,unknown,malformed,drop=5,down=MS]
//                [--tls CERT.pem,KEY.pem]
//
// --ready gets {"Port": N} once listening; --log gets one JSON line per
// event ({"Event": "submit_sm", "To", "EsmClass", "Pid", "Dcs", "Udh",
// "ShortMessage"} hex, {"Event": "check_failed", "Why"}, {"Event":
// "generic_nack", "Status"} …).
'use strict';

const fs = require('fs');
const smpp = require('smpp');

// Keep each PDU's raw bytes: the field checks read them, not the
// package's decoding.
const PDU = smpp.PDU;
const fromBuffer = PDU.prototype.fromBuffer;
PDU.prototype.fromBuffer = function (b) {
  this.raw = Buffer.from(b);
  return fromBuffer.call(this, b);
};

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const [fleetHost, fleetPort] = arg('--fleet').split(':');
const logFile = arg('--log');
const dcs = parseInt(arg('--dcs', '0xF6'), 16);
const faults = {};
for (const f of (arg('--faults', '') || '').split(',').filter(Boolean)) {
  const [k, v] = f.split('=');
  faults[k] = v === undefined ? 1 : parseInt(v, 10);
}

function log(o) {
  fs.appendFileSync(logFile, JSON.stringify(o) + '\n');
}

// submit_sm / deliver_sm mandatory fields (SMPP 3.4 §4.4.1), from raw.
function fields(raw) {
  let o = 16;
  const cstr = () => {
    const end = raw.indexOf(0, o);
    const s = raw.slice(o, end).toString('latin1');
    o = end + 1;
    return s;
  };
  const f = {};
  f.service_type = cstr();
  o += 2;
  f.source_addr = cstr();
  o += 2;
  f.destination_addr = cstr();
  f.esm_class = raw[o++];
  f.protocol_id = raw[o++];
  o += 1;
  cstr();
  cstr();
  f.registered_delivery = raw[o++];
  o += 1;
  f.data_coding = raw[o++];
  o += 1;
  const len = raw[o++];
  f.short_message = raw.slice(o, o + len);
  return f;
}

// The checks an SMSC relaying SCP80 (TS 102 225 / TS 31.115) makes.
function check(f) {
  if (f.esm_class !== 0x40) return `esm_class ${f.esm_class} is not 0x40 (UDHI)`;
  if (f.protocol_id !== 0x7f) return `protocol_id ${f.protocol_id} is not 0x7F`;
  if (f.data_coding !== dcs) return `data_coding ${f.data_coding} is not ${dcs}`;
  const sm = f.short_message;
  if (sm.length < 3 || sm[0] + 1 > sm.length) return 'UDH overruns the short_message';
  const udh = sm.slice(1, sm[0] + 1);
  const first = udh[0];
  if (first !== 0x70 && first !== 0x00 && first !== 0x08) return `UDH starts with IEI ${first}`;
  return null;
}

let esme = null; // the SM-SR's bound session
let submits = 0;
let relayed = 0;
let messageId = 0;
let unknownSent = false;
const pendingMo = [];

const fleet = smpp.connect({ host: fleetHost, port: parseInt(fleetPort, 10) });
fleet.on('error', (e) => log({ Event: 'fleet_error', Why: String(e) }));
fleet.bind_transceiver({ system_id: 'relay', password: 'relay' }, (pdu) => {
  log({ Event: 'fleet_bound', Status: pdu.command_status });
});
fleet.on('deliver_sm', (pdu) => {
  fleet.send(pdu.response());
  const f = fields(pdu.raw);
  pendingMo.push({ from: f.source_addr, tp_ud: f.short_message });
  flushMo();
});

function deliver(from, tpUd, cb) {
  esme.deliver_sm({
    source_addr: from,
    esm_class: 0x40,
    protocol_id: 0x7f,
    data_coding: 0xf6,
    short_message: tpUd,
  }, cb);
}

// A PoR / notification TP-UD in two concatenated deliver_sm: the first
// keeps its IEs with `00 03 ref 2 1`, the second carries `00 03 ref 2 2`.
function deliverSplit(from, tpUd) {
  const udh = tpUd.slice(1, tpUd[0] + 1);
  const body = tpUd.slice(tpUd[0] + 1);
  const half = Math.ceil(body.length / 2);
  const ref = (messageId++) & 0xff;
  const first = Buffer.concat([Buffer.from([udh.length + 5]), udh,
    Buffer.from([0x00, 0x03, ref, 2, 1]), body.slice(0, half)]);
  const second = Buffer.concat([Buffer.from([5, 0x00, 0x03, ref, 2, 2]), body.slice(half)]);
  log({ Event: 'split', From: from });
  deliver(from, first);
  deliver(from, second);
}

function flushMo() {
  while (esme && pendingMo.length) {
    const mo = pendingMo.shift();
    if (faults.unknown && !unknownSent) {
      unknownSent = true;
      deliver('999000999', mo.tp_ud, (r) => log({ Event: 'unknown_resp', Status: r.command_status }));
    }
    if (faults.split) deliverSplit(mo.from, mo.tp_ud);
    else deliver(mo.from, mo.tp_ud);
  }
}

function receipt(session, to, id, stat) {
  session.deliver_sm({
    source_addr: to,
    esm_class: 0x04,
    short_message: `id:${id} sub:001 dlvrd:000 submit date:0000000000 done date:0000000000 stat:${stat} err:000 text:`,
    receipted_message_id: id,
    message_state: stat === 'DELIVRD' ? 2 : 5,
  });
}

function onSubmit(session, pdu) {
  submits += 1;
  const f = fields(pdu.raw);
  const entry = {
    Event: 'submit_sm', N: submits, To: f.destination_addr, EsmClass: f.esm_class,
    Pid: f.protocol_id, Dcs: f.data_coding, RegisteredDelivery: f.registered_delivery,
    ShortMessage: f.short_message.toString('hex').toUpperCase(),
  };
  const bad = check(f);
  if (bad) {
    log({ Event: 'check_failed', Why: bad, ...entry });
    session.send(pdu.response({ command_status: smpp.ESME_RSUBMITFAIL }));
    return;
  }
  // The faults take the submit_sm in turn: the first `throttle`, then
  // the next `refuse`, then the next `dlrfail`.
  const throttle = faults.throttle || 0;
  const refuse = throttle + (faults.refuse || 0);
  const dlrfail = refuse + (faults.dlrfail || 0);
  if (submits <= throttle) {
    log({ ...entry, Answer: 'throttled' });
    session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
    return;
  }
  if (submits <= refuse) {
    log({ ...entry, Answer: 'refused' });
    session.send(pdu.response({ command_status: smpp.ESME_RSUBMITFAIL }));
    return;
  }
  const id = `m${messageId++}`;
  if (submits <= dlrfail) {
    log({ ...entry, Answer: 'undeliverable' });
    session.send(pdu.response({ message_id: id }));
    receipt(session, f.destination_addr, id, 'UNDELIV');
    return;
  }
  log({ ...entry, Answer: 'relayed' });
  fleet.submit_sm({
    destination_addr: f.destination_addr,
    esm_class: f.esm_class,
    protocol_id: f.protocol_id,
    data_coding: f.data_coding,
    short_message: f.short_message,
  }, (r) => {
    session.send(pdu.response({ command_status: r.command_status, message_id: id }));
    if (r.command_status === 0 && (f.registered_delivery & 3) === 1) {
      receipt(session, f.destination_addr, id, 'DELIVRD');
    }
    relayed += 1;
    if (faults.drop && relayed === faults.drop) {
      faults.drop = 0;
      log({ Event: 'dropped' });
      session.socket.destroy();
    }
  });
}

// --tls CERT,KEY: listen with TLS (the package's SecureServer, a
// tls.Server, when createServer gets key and cert).
const tlsFiles = arg('--tls');
const serverOptions = tlsFiles
  ? (([c, k]) => ({ cert: fs.readFileSync(c), key: fs.readFileSync(k) }))(tlsFiles.split(','))
  : {};
const server = smpp.createServer(serverOptions, (session) => {
  session.on('bind_transceiver', (pdu) => {
    log({ Event: 'bind', SystemId: pdu.system_id, Version: pdu.interface_version });
    if (pdu.system_id !== 'smsr' || pdu.password !== 'smsr') {
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      return;
    }
    session.send(pdu.response({ system_id: 'NODE-SMPP' }));
    esme = session;
    if (faults.malformed) {
      faults.malformed = 0;
      // A deliver_sm (0x00000005) whose body stops inside source_addr.
      session.socket.write(Buffer.from([0, 0, 0, 19, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x30, 0x39, 0x00, 0x01, 0x01]));
      log({ Event: 'malformed_sent' });
    }
    flushMo();
  });
  session.on('submit_sm', (pdu) => onSubmit(session, pdu));
  session.on('enquire_link', (pdu) => {
    log({ Event: 'enquire_link' });
    session.send(pdu.response());
  });
  session.on('generic_nack', (pdu) => log({ Event: 'generic_nack', Status: pdu.command_status, Seq: pdu.sequence_number }));
  session.on('unbind', (pdu) => {
    log({ Event: 'unbind' });
    session.send(pdu.response());
    session.close();
  });
  session.on('close', () => {
    if (esme === session) esme = null;
  });
  session.on('error', (e) => log({ Event: 'session_error', Why: String(e) }));
});

function listen() {
  server.listen(parseInt(arg('--port', '0'), 10), '127.0.0.1', () => {
    const port = server.address().port;
    fs.writeFileSync(arg('--ready'), JSON.stringify({ Port: port }));
  });
}

if (faults.down) setTimeout(listen, faults.down);
else listen();
