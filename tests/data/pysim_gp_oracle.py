"""Drives pySim's GlobalPlatform shell-command implementations (osmocom/pysim,
copy in /work/oracle-scp80/pySim, upstream 597f1e0) with a fake card that
records every APDU, and prints the APDUs as JSON. Used only to produce
independent test vectors for smsr's apdu::gp builders."""
import json, sys
sys.path.insert(0, '/work/oracle-scp80')
from pySim.global_platform import ADF_SD
from osmocom.utils import b2h, h2b

class Scc:
    def __init__(self, sws):
        self.sent = []
        self.sws = list(sws)
        self.max_cmd_len = 255
        self.scp = None
    def send_apdu_checksw(self, apdu, sw='9000'):
        self.sent.append(apdu.upper())
        return ('', '9000')
    def send_apdu(self, apdu):
        self.sent.append(apdu.upper())
        return ('', self.sws.pop(0) if self.sws else '9000')

class Obj: pass

def fake(sws=()):
    s = Obj(); s._cmd = Obj(); s._cmd.lchan = Obj(); s._cmd.lchan.scc = Scc(sws)
    s._cmd.poutput = print
    for name in ['install', 'delete']:
        setattr(s, name, (lambda n: lambda *a: getattr(C, n)(s, *a))(name))
    return s

C = ADF_SD.AddlShellCommands
out = {}
# STORE DATA: all P1 combinations of structure x encryption x response, 300 octets.
data = bytes(range(256)) + bytes(range(44))
sd = {}
for structure in ['none', 'dgi', 'ber_tlv']:
    for enc in ['none', 'application_dependent', 'encrypted']:
        for resp in [False, True]:
            f = fake()
            C.store_data(f, data, structure, enc, resp)
            sd['%s/%s/%s' % (structure, enc, resp)] = f._cmd.lchan.scc.sent
out['store_data_300'] = {'data_hex': b2h(data).upper(), 'apdus': sd}
# GET STATUS with a 6310 continuation.
f = fake(['6310', '9000'])
C.get_status(f, 'applications', 'a0000005591010ffffffff8900001000')
out['get_status_applications_6310'] = f._cmd.lchan.scc.sent
f = fake()
C.get_status(f, 'isd', '')
out['get_status_isd'] = f._cmd.lchan.scc.sent
# INSTALL [for personalization]
class O: pass
o = O(); o.application_aid = 'a0000005591010ffffffff8900001000'
def unwrap(fn):
    while hasattr(fn, '__wrapped__'):
        fn = fn.__wrapped__
    return fn
f = fake(); unwrap(C.do_install_for_personalization)(f, o)
out['install_for_personalization'] = f._cmd.lchan.scc.sent
# INSTALL [for install and make selectable], the SGP.02 CreateISDP shape.
o = O(); o.load_file_aid = 'a0000005591010ffffffff8900000d00'
o.module_aid = 'a0000005591010ffffffff8900000e00'
o.application_aid = 'a0000005591010ffffffff8900001300'
o.install_parameters = 'c90481020370'; o.privileges = ['security_domain', 'trusted_path', 'authorized_management']
o.install_token = ''; o.make_selectable = True
f = fake(); unwrap(C.do_install_for_install)(f, o)
out['install_for_install_selectable'] = f._cmd.lchan.scc.sent
# DELETE [card content] with and without related objects.
for rel in [False, True]:
    o = O(); o.aid = 'a0000005591010ffffffff8900001000'; o.delete_related_objects = rel
    f = fake(); unwrap(C.do_delete_card_content)(f, o)
    out['delete_related_%s' % rel] = f._cmd.lchan.scc.sent
print(json.dumps(out, indent=1))
