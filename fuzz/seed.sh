#!/usr/bin/env bash
# Seeds the fuzz corpora from real data at fuzz time; nothing is copied into
# the repository. SMSR_TESTDATA points at shared/testdata (default
# ../shared/testdata from the repository root). Missing data is not an error.
set -euo pipefail
cd "$(dirname "$0")"
# Known vectors for the apdu and remote_script targets (sources cited in
# src/apdu and src/remote tests): CreateISDP, EnableProfile, an extended
# case 4, a TS 102 226 live trace script and response, a definite response.
seed_hex() {
    mkdir -p "corpus/$1"
    python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes.fromhex(sys.argv[2]))' "corpus/$1/$2.bin" "$3"
}
seed_hex apdu create_isdp 80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010A0000005591010FFFFFFFF89000013000380C00006C9048102037000
seed_hex apdu enable_profile 80E28800153A03124F10A0000005591010FFFFFFFF8900001000
seed_hex apdu extended_case4 80E28800000003010203FFFF
seed_hex apdu get_data 80CA008500
seed_hex remote_script live_trace_command AE80220580CA0085000000
seed_hex remote_script live_trace_response AF8023026A880000
seed_hex remote_script definite_response AB118001022302900023058501079000830102
seed_hex remote_script compact_response 016132
data="${SMSR_TESTDATA:-../../shared/testdata}"
seed() { mkdir -p "corpus/$1"; cp "$2" "corpus/$1/$(basename "$2")"; }
if [ -d "$data/profiles" ]; then
    for f in "$data"/profiles/*.der; do
        seed tlv "$f"
        seed profile "$f"
    done
else
    echo "seed: $data/profiles not found; fuzzing tlv and profile without real packages"
fi
# scp80: seed with the committed known-answer packets (not copied into git).
vec="../tests/data/scp80_vectors.json"
if [ -f "$vec" ] && command -v python3 >/dev/null 2>&1; then
    python3 - "$vec" <<'PY'
import json, os, sys
v = json.load(open(sys.argv[1]))
for d in ("scp80_command", "scp80_response", "scp80_sms"):
    os.makedirs("corpus/" + d, exist_ok=True)
for i, c in enumerate(v["commands"][:64]):
    open("corpus/scp80_command/kat-%03d.bin" % i, "wb").write(bytes.fromhex(c["packet"]))
    open("corpus/scp80_sms/kat-%03d.bin" % i, "wb").write(bytes([140]) + bytes.fromhex("027000" + c["packet"])[:140])
for i, r in enumerate(v["responses"]):
    open("corpus/scp80_response/kat-%03d.bin" % i, "wb").write(bytes.fromhex(r["resp"]))
PY
fi
# isdr: a notification (whty layout) and an FF21 / E3 audit answer.
mkdir -p corpus/isdr_notification corpus/isdr_response
printf '\xE1\x2B\x4C\x10\x89\x00\x10\x12\x01\x23\x41\x23\x40\x12\x34\x56\x78\x90\x12\x24\x4D\x01\x02\x4E\x02\x00\x01\x4F\x10\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00\x10\x00' > corpus/isdr_notification/whty-layout
printf '\xFF\x21\x0E\x81\x02\x00\x03\x82\x04\x00\x01\x00\x00\x83\x02\x08\x00' > corpus/isdr_response/ff21
printf '\xE3\x16\x4F\x10\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00\x10\x00\x9F\x70\x01\x3F\x90\x00' > corpus/isdr_response/e3-enabled
# isdr: whty test notification with IMEI (4F AID tag, 14 IMEI).
printf '\xE1\x35\x4C\x10\x89\x00\x10\x12\x01\x23\x41\x23\x40\x12\x34\x56\x78\x90\x12\x24\x4D\x01\x02\x4E\x02\x00\x00\x4F\x10\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00\x13\x00\x14\x08\x11\x22\x33\x44\x55\x66\x77\x88' > corpus/isdr_notification/whty-imei
# scp81: a first POST, a chunked result POST, a 200 and a 204 response; the
# pySim trigger vectors and the SGP.02 PSK identity vector.
mkdir -p corpus/scp81_http corpus/scp81_trigger corpus/scp81_session
printf '\x07POST /gp/adm HTTP/1.1\r\nHost: smsr\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: //se-id/eid/89001012012341234012345678901224;//aa-id/aid/A000000559/1010FFFFFFFF8900000100\r\n\r\n' > corpus/scp81_http/first-post
printf '\x02POST /gp/adm?n=1 HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Script-Status: ok\r\nContent-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\xaf\x80\x23\x02\r\n4\r\n\x6a\x88\x00\x00\r\n0\r\n\r\n' > corpus/scp81_http/chunked-result-post
printf '\x03HTTP/1.1 200 OK\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Next-URI: /gp/adm?n=1\r\nX-Admin-Targeted-Application: //aid/A000000559/1010FFFFFFFF8900001100\r\nContent-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\nContent-Length: 9\r\n\r\n\xaa\x07\x22\x05\x80\xca\x00\x85\x00' > corpus/scp81_http/script-200
printf '\x01HTTP/1.1 204 No Content\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n' > corpus/scp81_http/end-204
printf '\x81\x08\x83\x06\x89\x04\x8c\x02\x2f\x61' > corpus/scp81_trigger/pysim-minimal
printf '\x81\x0c\x83\x0a\x85\x08\x04\xde\xad\xbe\xef\x02\x00\x40' > corpus/scp81_trigger/pysim-security
printf '8001028110890010120123412340123456789012244F10000102030405060708090A0B0C0D0E0F820101830140' > corpus/scp81_trigger/psk-identity
printf '\x00\x02\x00\x06\x01\x02\x00\x03\x03\x04\x0a\x0b\x02\x03\x01\x03' > corpus/scp81_session/ops
# sim: op/length records (fuzz_targets/sim.rs): a secured CreateISDP script
# (op 2 = length-prefixed C-APDUs of one expanded script; whty vector), a
# raw single-SMS TP-UD (op 0), loss of connectivity (op 4 with bit 0x20).
mkdir -p corpus/sim
printf '\x02\x45\x44\x80\xe6\x0c\x00\x3f\x10\xa0\x00\x00\x05\x59\x10\x10\xff\xff\xff\xff\x89\x00\x00\x0d\x00\x10\xa0\x00\x00\x05\x59\x10\x10\xff\xff\xff\xff\x89\x00\x00\x0e\x00\x10\xa0\x00\x00\x05\x59\x10\x10\xff\xff\xff\xff\x89\x00\x00\x13\x00\x03\x80\xc0\x00\x06\xc9\x04\x81\x02\x03\x70\x00\x00\x06\x02\x70\x00\x00\x01\x15\x24\x00' > corpus/sim/create-raw-lost
# profile_naa: the real packages (NAAs, EF.IMSI, every Fcp).
if [ -d "$data/profiles" ]; then
    for f in "$data"/profiles/*.der; do seed profile_naa "$f"; done
fi
# es8_certificate: the python-verified SM-DP certificate of
# tests/es8_certificate.rs and the njiwa-layout A6 CRT of src/es8/crt.rs.
seed_hex es8_certificate sm_dp_cert 7f2181c1930801020304050607084204894902005f200b534d2d44502d5445535431950200805f2504202601015f2404203612317303c801017f4946b04104afb30887a7cc66ec643306368d3e01e0e657d6299d56636554e4d6b102a07509cd9926970379dd58c511521d9b1dba19ae20af0e337fb96826088fec6fb2b93ef001005f3740ddbb3c343c96e696a6ccb05b09a4194525d035d01faf9b7380cbed2675fd4d8b2c1bfea24daaa831ce55ff3f2e447a80f24ffc3357056964d01a6796a475db14
seed_hex es8_certificate crt a6269002030e95011080018881012082010183013091004505010203040584088401020304050607
# es8_ecasd: flag 01 (a valid SM-DP certificate first), then one
# length-prefixed key agreement STORE DATA (CRT njiwa layout, P-256 key
# DO, a zero signature) and a stray certificate block.
mkdir -p corpus/es8_ecasd
seed_hex es8_ecasd after_cert 01AC80E28901A63A0217A6159002030A95011080018881011082010183013091007F4946B04104$(printf '%0128d' 0)F001005F3740$(printf '%0128d' 0)00
seed_hex es8_ecasd no_cert 000880E20900033A010000
# scp03t_card: a quota byte then op/len records (no real data needed).
seed_hex scp03t_card handshake_then_segments 40010a868888000102030405060708090a0b030400010203
# es_fields: a selector byte (index into ELEMENTS) then the text: an EID,
# an ICCID with its Luhn digit, an ISD-P AID.
mkdir -p corpus/es_fields
printf '\000%s' 89049032123451234512345678901235 > corpus/es_fields/eid
printf '\002%s' 8949449999999990015 > corpus/es_fields/iccid
printf '\003%s' A0000005591010FFFFFFFF8900001000 > corpus/es_fields/aid
# soap_envelope: a SOAP 1.2 GetEIS request with WS-Addressing, a SOAP 1.1
# envelope (VersionMismatch) and a DTD (refused).
mkdir -p corpus/soap_envelope
printf '<?xml version="1.0"?><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><e:Header><a:MessageID>urn:uuid:1</a:MessageID><a:Action>http://gsma.com/ES4/ProfileManagement/ES4-GetEISRequest</a:Action><a:ReplyTo><a:Address>https://mno/cb</a:Address></a:ReplyTo></e:Header><e:Body><g:GetEIS xmlns:g="http://namespaces.gsma.org/esim-messaging/1"><Eid>89001012012341234012345678901224</Eid></g:GetEIS></e:Body></e:Envelope>' > corpus/soap_envelope/get-eis
printf '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x/></s:Body></s:Envelope>' > corpus/soap_envelope/soap11
printf '<!DOCTYPE x [<!ENTITY a "aa">]><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x>&a;</x></e:Body></e:Envelope>' > corpus/soap_envelope/dtd
# sim_isdp_relay: secured data for the ISD-P cut at FF: an expanded script
# with a chained 86 item, a bare 86 TLV, a C-APDU in the SCP03 APDU form.
seed_hex sim_isdp_relay relay_forms AA0783010286020102FF860401020304FF84E28800080001020304050607
# smpp_sms: a segment with an 8-bit concatenation IE then 70 00, one with
# the 16-bit IE, and an Appendix B receipt text.
seed_hex smpp_sms concat8 0700032A02017000ABCD
seed_hex smpp_sms concat16 080804012A02027000AB
printf 'id:12 sub:001 dlvrd:000 stat:UNDELIV err:001' > corpus/smpp_sms/receipt
# eum_signature: the EIS signed by an independent implementation
# (tests/data/eum_signature, lxml + Python cryptography) and a variant with
# its signed content changed.
mkdir -p corpus/eum_signature
cp ../tests/data/eum_signature/eis_signed.xml corpus/eum_signature/signed
sed 's/EUM-DEMO/EUM-EVIL/' ../tests/data/eum_signature/eis_signed.xml > corpus/eum_signature/changed
# delivery_relay: byte 0 picks the chaining; an SCP03t segment, an AA
# script, a response script, SCP03t answers ending in the error TLV.
seed_hex delivery_relay segment 0386020102
seed_hex delivery_relay script 01AA06220480CA0066
seed_hex delivery_relay response 00AB0780010123029000
seed_hex delivery_relay scp03t_error 008601009F46026982
# eis_xml: the smallest EIS our types allow, with an EUM signature, in an envelope.
mkdir -p corpus/eis_xml
printf '%s' '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><g:RegisterEIS xmlns:g="http://namespaces.gsma.org/esim-messaging/1"><Eis><EumSignedInfo><Eid>89049032123451234512345678901235</Eid><Eum-id>EUM</Eum-id><ProductionDate>2026-01-01</ProductionDate><PlatformType>t</PlatformType><PlatformVersion>1</PlatformVersion><Isd-p-loadfile-aid>A0000005591010FFFFFFFF8900000D00</Isd-p-loadfile-aid><Isd-p-module-aid>A0000005591010FFFFFFFF8900000E00</Isd-p-module-aid><Ecasd><Aid>A0000005591010FFFFFFFF8900000200</Aid><Tar>000002</Tar><Role>ECASD</Role><Keyset><Version>115</Version><Certificate><Index>1</Index><CaId>54434931</CaId><Value>7F21</Value></Certificate></Keyset></Ecasd><EuiccCapabilities><CattpSupport>0</CattpSupport><HttpSupport>true</HttpSupport></EuiccCapabilities></EumSignedInfo><RemainingMemory>1</RemainingMemory><AvailableMemoryForProfiles>2</AvailableMemoryForProfiles><Smsr-id>S</Smsr-id><ProfileInfo><Iccid>8949449999999990015</Iccid><Isd-p-aid>A0000005591010FFFFFFFF8900001000</Isd-p-aid><Mno-id>MNO</Mno-id><FallbackAttribute>true</FallbackAttribute><EmergencyProfileAttribute>false</EmergencyProfileAttribute><State>Enabled</State><pol2><Action>DELETE</Action><Qualification>Not-Allowed</Qualification></pol2></ProfileInfo><Isd-r><Aid>A0000005591010FFFFFFFF8900000100</Aid><Role>ISD-R</Role></Isd-r><EumSignature><ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></EumSignature></Eis></g:RegisterEIS></e:Body></e:Envelope>' > corpus/eis_xml/minimal.xml
# sim_handover: flag 01 (a valid SM-SR certificate first), then one
# length-prefixed ISD-R key agreement STORE DATA (SCP80 CRT of
# isdr::handover, P-256 key DO, a zero signature) and FinaliseISDRhandover
# data (whty's two F2 ranges).
seed_hex sim_handover after_cert 01B480E28901AE3A021FA61D9002030A950110960100800188810110820101830102910500000000017F4946B0410400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000F001005F374000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000AF203010103F203410102
seed_hex sim_handover no_cert 000880E20900033A010000
# handover_responses: an SW selector byte then the answer: 85 DR ‖ 86
# receipt, a challenge, the GP DELETE 00, an ISD-R CRT.
seed_hex handover_responses key_agreement 00851000000000000000000000000000000000861011111111111111111111111111111111
seed_hex handover_responses challenge 0085105A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A
seed_hex handover_responses finalise 0000
seed_hex handover_responses crt 00A61D9002030A95011096010080018881011082010183010291050000000001
# smdp_wsdl: a one-operation WSDL (ES3 GetEIS, its schema), a NUL, then
# an answer envelope with GetEISResponse.
mkdir -p corpus/smdp_wsdl
printf '%s\0%s' '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata" xmlns:g="http://namespaces.gsma.org/esim-messaging/1"><wsdl:types><xs:schema targetNamespace="http://namespaces.gsma.org/esim-messaging/1"><xs:complexType name="GetEISType"><xs:sequence><xs:element name="Eid" type="xs:string"/></xs:sequence></xs:complexType><xs:complexType name="GetEISResponseType"><xs:sequence><xs:element name="Eid" type="xs:string" minOccurs="0"/><xs:element name="RemainingMemory" type="xs:long" minOccurs="0"/></xs:sequence></xs:complexType><xs:element name="GetEIS" type="g:GetEISType"/><xs:element name="GetEISResponse" type="g:GetEISResponseType"/></xs:schema></wsdl:types><wsdl:portType name="ES3"><wsdl:operation name="GetEIS"><wsdl:input wsam:Action="http://gsma.com/ES3/ProfileManagement/ES3-GetEIS" message="g:GetEIS"/><wsdl:output wsam:Action="http://gsma.com/ES3/ProfileManagementCallBack/ES3-GetEIS" message="g:GetEISResponse"/></wsdl:operation></wsdl:portType></wsdl:definitions>' '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><g:GetEISResponse xmlns:g="http://namespaces.gsma.org/esim-messaging/1"><Eid>89049032123451234512345678901235</Eid><RemainingMemory>1024</RemainingMemory></g:GetEISResponse></e:Body></e:Envelope>' > corpus/smdp_wsdl/get_eis
