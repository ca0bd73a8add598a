//! The file defaults of the SAIP file structure templates (PEDefinitions
//! v3.3.1 annex A, "File Structure Templates Definition"; SAIP v2.3 §9):
//! for each template OID, each file's FID, type, SFI and size, which a
//! template PE's `Fcp` may leave out.
//!
//! Transcribed from pySim's reading of the same tables
//! (`pySim/esim/saip/templates.py` at osmocom/pysim 597f1e0, facts only),
//! with the FIDs it gets wrong set to what TS 102 221 §13.2 (EF.ICCID
//! `2FE2`) and TS 31.102 §4.4.11 / the TS.48 packages (DF.5GS `5FC0`,
//! DF.SAIP `5FD0`) say. An ADF has no FID in a template (the package gives
//! a temporary one). Members a template defines more than once (EF.ICON,
//! the phonebook's EF.ADN, ...) have no entry: which instance a member is
//! cannot be told from the template. The CSIM templates (`2.23.143.1.2.10`
//! and `.11`) are not transcribed.

use super::{FileInfo, FileType, Oid};

/// One file of a template and what the template says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateFile {
    /// The member name in the PE (`"ef-iccid"`).
    pub name: &'static str,
    /// The file identifier (`None` for an ADF, or a DF the template leaves
    /// to the package).
    pub fid: Option<[u8; 2]>,
    /// The file type and EF structure.
    pub file_type: FileType,
    /// `true` for an ADF.
    pub is_adf: bool,
    /// The SFI, when the template gives one.
    pub sfi: Option<u8>,
    /// The size of a transparent or BER-TLV EF.
    pub size: Option<u32>,
    /// The record length of a linear fixed or cyclic EF.
    pub record_length: Option<u16>,
    /// The number of records of a linear fixed or cyclic EF.
    pub record_count: Option<u8>,
}

/// A file structure template: its OID and files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    oid: &'static [u8],
    /// Its files, in parts: a later version of a template is the earlier
    /// one's files and what it adds.
    files: &'static [&'static [TemplateFile]],
}

impl Template {
    /// The template with OID `oid` (`2.23.143.1.2.1` for the MF, ...).
    pub fn by_oid(oid: Oid<'_>) -> Option<&'static Template> {
        TEMPLATES.iter().find(|t| t.oid == oid.as_bytes())
    }

    /// The file of member `name`, if the template defines it once.
    pub fn file(&self, name: &str) -> Option<&'static TemplateFile> {
        self.files
            .iter()
            .flat_map(|p| p.iter())
            .find(|f| f.name == name)
    }
}

/// Which facts of a [`FileInfo`] [`TemplateFile::complete`] took from the
/// template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FromTemplate {
    /// The FID.
    pub fid: bool,
    /// The file type (and ADF flag).
    pub file_type: bool,
    /// The SFI.
    pub sfi: bool,
    /// The size (or record length and count).
    pub size: bool,
}

impl TemplateFile {
    /// `info` (what the package's `Fcp` says, if it has one) with what it
    /// leaves out taken from the template, and which facts those are. An
    /// empty `shortEFID` (no SFI) is the package's word, not a gap.
    pub fn complete(&self, info: Option<&FileInfo>) -> (FileInfo, FromTemplate) {
        let mut i = info.copied().unwrap_or(FileInfo {
            file_type: None,
            file_id: None,
            sfi: None,
            size: None,
            record_length: None,
            record_count: None,
            is_adf: false,
        });
        let mut from = FromTemplate::default();
        if i.file_id.is_none() && self.fid.is_some() {
            i.file_id = self.fid;
            from.fid = true;
        }
        if i.file_type.is_none() {
            i.file_type = Some(self.file_type);
            i.is_adf |= self.is_adf;
            from.file_type = true;
        }
        if i.sfi.is_none() && self.sfi.is_some() {
            i.sfi = Some(self.sfi);
            from.sfi = true;
        }
        if i.size.is_none() {
            i.record_length = i.record_length.or(self.record_length);
            i.record_count = i.record_count.or(self.record_count);
            i.size = self.size.or(i
                .record_length
                .zip(i.record_count)
                .map(|(len, n)| u32::from(len) * u32::from(n)));
            from.size = i.size.is_some();
        }
        (i, from)
    }
}

/// A DF (or the MF).
const fn df(name: &'static str, fid: Option<u16>) -> TemplateFile {
    let fid = match fid {
        Some(f) => Some(f.to_be_bytes()),
        None => None,
    };
    file(name, fid, FileType::Df, None)
}

/// An ADF.
const fn adf(name: &'static str) -> TemplateFile {
    TemplateFile {
        is_adf: true,
        ..file(name, None, FileType::Df, None)
    }
}

/// A transparent EF.
const fn tr(name: &'static str, fid: u16, sfi: Option<u8>, size: Option<u32>) -> TemplateFile {
    TemplateFile {
        size,
        ..file(name, Some(fid.to_be_bytes()), FileType::Transparent, sfi)
    }
}

/// A BER-TLV EF.
const fn bt(name: &'static str, fid: u16, sfi: Option<u8>, size: Option<u32>) -> TemplateFile {
    TemplateFile {
        size,
        ..file(name, Some(fid.to_be_bytes()), FileType::BerTlv, sfi)
    }
}

/// A linear fixed EF.
const fn lf(
    name: &'static str,
    fid: u16,
    sfi: Option<u8>,
    record_length: Option<u16>,
    record_count: Option<u8>,
) -> TemplateFile {
    TemplateFile {
        record_length,
        record_count,
        ..file(name, Some(fid.to_be_bytes()), FileType::LinearFixed, sfi)
    }
}

/// A cyclic EF.
const fn cy(
    name: &'static str,
    fid: u16,
    sfi: Option<u8>,
    record_length: Option<u16>,
    record_count: Option<u8>,
) -> TemplateFile {
    TemplateFile {
        record_length,
        record_count,
        ..file(name, Some(fid.to_be_bytes()), FileType::Cyclic, sfi)
    }
}

const fn file(
    name: &'static str,
    fid: Option<[u8; 2]>,
    file_type: FileType,
    sfi: Option<u8>,
) -> TemplateFile {
    TemplateFile {
        name,
        fid,
        file_type,
        is_adf: false,
        sfi,
        size: None,
        record_length: None,
        record_count: None,
    }
}

/// `2.23.143.1.2.1` (pySim `FilesAtMF`).
const T_1: &[TemplateFile] = &[
    df("mf", Some(0x3F00)),
    tr("ef-pl", 0x2F05, Some(0x05), Some(2)),
    tr("ef-iccid", 0x2FE2, None, Some(10)),
    lf("ef-dir", 0x2F00, Some(0x1E), None, None),
    lf("ef-arr", 0x2F06, None, None, None),
    tr("ef-umpc", 0x2F08, Some(0x08), Some(5)),
];

/// `2.23.143.1.2.2` (pySim `FilesCD`).
const T_2: &[TemplateFile] = &[
    df("df-cd", Some(0x7F11)),
    tr("ef-launchpad", 0x6F01, None, None),
];

/// `2.23.143.1.2.3` (pySim `FilesTelecom`).
const T_3: &[TemplateFile] = &[
    df("df-telecom", Some(0x7F10)),
    lf("ef-arr", 0x6F06, None, None, None),
    lf("ef-rma", 0x6F53, None, None, None),
    tr("ef-sume", 0x6F54, None, Some(22)),
    lf("ef-ice-dn", 0x6FE0, None, Some(24), Some(50)),
    lf("ef-ice-ff", 0x6FE1, None, None, None),
    lf("ef-psismsc", 0x6FE5, None, None, None),
    df("df-graphics", Some(0x5F50)),
    lf("ef-img", 0x4F20, None, None, None),
    bt("ef-ice-graphics", 0x4F21, None, None),
    tr("ef-launch-scws", 0x4F01, None, None),
    df("df-phonebook", Some(0x5F3A)),
    lf("ef-pbr", 0x4F30, None, None, None),
    tr("ef-psc", 0x4F22, None, Some(4)),
    tr("ef-cc", 0x4F23, None, Some(2)),
    tr("ef-puid", 0x4F24, None, Some(2)),
    df("df-multimedia", Some(0x5F3B)),
    bt("ef-mml", 0x4F47, None, None),
    bt("ef-mmdf", 0x4F48, None, None),
    df("df-mmss", Some(0x5F3C)),
    tr("ef-mlpl", 0x4F20, Some(0x01), None),
    tr("ef-mspl", 0x4F21, Some(0x02), None),
    tr("ef-mmssmode", 0x4F21, Some(0x03), Some(1)),
];

/// `2.23.143.1.2.3.2` (pySim `FilesTelecomV2`).
const T_3_2: &[TemplateFile] = &[
    df("df-telecom", Some(0x7F10)),
    lf("ef-arr", 0x6F06, None, None, None),
    lf("ef-rma", 0x6F53, None, None, None),
    tr("ef-sume", 0x6F54, None, Some(22)),
    lf("ef-ice-dn", 0x6FE0, None, Some(24), Some(50)),
    lf("ef-ice-ff", 0x6FE1, None, None, None),
    lf("ef-psismsc", 0x6FE5, None, None, None),
    df("df-graphics", Some(0x5F50)),
    lf("ef-img", 0x4F20, None, None, None),
    bt("ef-ice-grraphics", 0x4F21, None, None),
    tr("ef-launch-scws", 0x4F01, None, None),
    df("df-phonebook", Some(0x5F3A)),
    lf("ef-pbr", 0x4F30, None, None, None),
    tr("ef-psc", 0x4F22, None, Some(4)),
    tr("ef-cc", 0x4F23, None, Some(2)),
    tr("ef-puid", 0x4F24, None, Some(2)),
    df("df-multimedia", Some(0x5F3B)),
    bt("ef-mml", 0x4F47, None, None),
    bt("ef-mmdf", 0x4F48, None, None),
    df("df-mmss", Some(0x5F3C)),
    tr("ef-mlpl", 0x4F20, Some(0x01), None),
    tr("ef-mspl", 0x4F21, Some(0x02), None),
    tr("ef-mmssmode", 0x4F21, Some(0x03), Some(1)),
    df("df-mcs", Some(0x5F3D)),
    tr("ef-mst", 0x4F01, Some(0x01), None),
    bt("ef-mcsconfig", 0x4F02, Some(0x02), None),
    df("df-v2x", Some(0x5F3E)),
    tr("ef-vst", 0x4F01, Some(0x01), None),
    bt("ef-v2x-config", 0x4F02, Some(0x02), None),
    tr("ef-v2xp-pc5", 0x4F03, None, None),
    tr("ef-v2xp-uu", 0x4F04, None, None),
];

/// `2.23.143.1.2.4` (pySim `FilesUsimMandatory`).
const T_4: &[TemplateFile] = &[
    adf("adf-usim"),
    tr("ef-imsi", 0x6F07, Some(0x07), Some(9)),
    lf("ef-arr", 0x6F06, Some(0x17), None, None),
    tr("ef-keys", 0x6F08, Some(0x08), Some(33)),
    tr("ef-keysPS", 0x6F09, Some(0x09), Some(33)),
    tr("ef-hpplmn", 0x6F31, Some(0x12), Some(1)),
    tr("ef-ust", 0x6F38, Some(0x04), Some(14)),
    lf("ef-fdn", 0x6F3B, None, Some(26), Some(20)),
    lf("ef-sms", 0x6F3C, None, Some(176), Some(10)),
    lf("ef-smsp", 0x6F42, None, Some(38), Some(1)),
    tr("ef-smss", 0x6F43, None, Some(2)),
    tr("ef-spn", 0x6F46, None, Some(17)),
    tr("ef-est", 0x6F56, Some(0x05), Some(1)),
    tr("ef-start-hfn", 0x6F5B, Some(0x0F), Some(6)),
    tr("ef-threshold", 0x6F5C, Some(0x10), Some(3)),
    tr("ef-psloci", 0x6F73, Some(0x0C), Some(14)),
    tr("ef-acc", 0x6F78, Some(0x06), Some(2)),
    tr("ef-fplmn", 0x6F7B, Some(0x0D), Some(12)),
    tr("ef-loci", 0x6F7E, Some(0x0B), Some(11)),
    tr("ef-ad", 0x6FAD, Some(0x03), Some(4)),
    lf("ef-ecc", 0x6FB7, Some(0x01), Some(4), Some(1)),
    tr("ef-netpar", 0x6FC4, None, Some(128)),
    tr("ef-epsloci", 0x6FE3, Some(0x1E), Some(18)),
    lf("ef-epsnsc", 0x6FE4, Some(0x18), Some(80), Some(1)),
];

/// `2.23.143.1.2.4.2` (pySim `FilesUsimMandatoryV2`).
const T_4_2: &[TemplateFile] = &[
    adf("adf-usim"),
    tr("ef-imsi", 0x6F07, Some(0x07), Some(9)),
    lf("ef-arr", 0x6F06, Some(0x17), None, None),
    tr("ef-keys", 0x6F08, Some(0x08), Some(33)),
    tr("ef-keysPS", 0x6F09, Some(0x09), Some(33)),
    tr("ef-hpplmn", 0x6F31, Some(0x12), Some(1)),
    tr("ef-ust", 0x6F38, Some(0x04), Some(17)),
    lf("ef-fdn", 0x6F3B, None, Some(26), Some(20)),
    lf("ef-sms", 0x6F3C, None, Some(176), Some(10)),
    lf("ef-smsp", 0x6F42, None, Some(38), Some(1)),
    tr("ef-smss", 0x6F43, None, Some(2)),
    tr("ef-spn", 0x6F46, None, Some(17)),
    tr("ef-est", 0x6F56, Some(0x05), Some(1)),
    tr("ef-start-hfn", 0x6F5B, Some(0x0F), Some(6)),
    tr("ef-threshold", 0x6F5C, Some(0x10), Some(3)),
    tr("ef-psloci", 0x6F73, Some(0x0C), Some(14)),
    tr("ef-acc", 0x6F78, Some(0x06), Some(2)),
    tr("ef-fplmn", 0x6F7B, Some(0x0D), Some(12)),
    tr("ef-loci", 0x6F7E, Some(0x0B), Some(11)),
    tr("ef-ad", 0x6FAD, Some(0x03), Some(4)),
    lf("ef-ecc", 0x6FB7, Some(0x01), Some(4), Some(1)),
    tr("ef-netpar", 0x6FC4, None, Some(128)),
    tr("ef-epsloci", 0x6FE3, Some(0x1E), Some(18)),
    lf("ef-epsnsc", 0x6FE4, Some(0x18), Some(80), Some(1)),
];

/// `2.23.143.1.2.5` (pySim `FilesUsimOptional`).
const T_5: &[TemplateFile] = &[
    tr("ef-li", 0x6F05, Some(0x02), Some(6)),
    tr("ef-acmax", 0x6F37, None, Some(3)),
    cy("ef-acm", 0x6F39, None, Some(3), Some(1)),
    tr("ef-gid1", 0x6F3E, None, Some(8)),
    tr("ef-gid2", 0x6F3F, None, Some(8)),
    lf("ef-msisdn", 0x6F40, None, Some(24), Some(1)),
    tr("ef-puct", 0x6F41, None, Some(5)),
    tr("ef-cbmi", 0x6F45, None, Some(10)),
    tr("ef-cbmid", 0x6F48, Some(0x0E), Some(10)),
    lf("ef-sdn", 0x6F49, None, Some(24), Some(10)),
    lf("ef-ext2", 0x6F4B, None, Some(13), Some(10)),
    lf("ef-ext3", 0x6F4C, None, Some(13), Some(10)),
    tr("ef-cbmir", 0x6F50, None, Some(20)),
    tr("ef-plmnwact", 0x6F60, Some(0x0A), Some(40)),
    tr("ef-oplmnwact", 0x6F61, Some(0x11), Some(40)),
    tr("ef-hplmnwact", 0x6F62, Some(0x13), Some(5)),
    tr("ef-dck", 0x6F2C, None, Some(16)),
    tr("ef-cnl", 0x6F32, None, Some(30)),
    lf("ef-smsr", 0x6F47, None, Some(30), Some(10)),
    lf("ef-bdn", 0x6F4D, None, Some(25), Some(10)),
    lf("ef-ext5", 0x6F4E, None, Some(13), Some(10)),
    lf("ef-ccp2", 0x6F4F, Some(0x16), Some(15), Some(5)),
    lf("ef-ext4", 0x6F55, None, Some(13), Some(10)),
    tr("ef-acl", 0x6F57, None, Some(101)),
    lf("ef-cmi", 0x6F58, None, Some(11), Some(10)),
    cy("ef-ici", 0x6F80, Some(0x14), Some(38), Some(20)),
    cy("ef-oci", 0x6F81, Some(0x15), Some(37), Some(20)),
    cy("ef-ict", 0x6F82, None, Some(3), Some(1)),
    cy("ef-oct", 0x6F83, None, Some(3), Some(1)),
    tr("ef-vgcs", 0x6FB1, None, Some(20)),
    tr("ef-vgcss", 0x6FB2, None, Some(7)),
    tr("ef-vbs", 0x6FB3, None, Some(20)),
    tr("ef-vbss", 0x6FB4, None, Some(7)),
    tr("ef-emlpp", 0x6FB5, None, Some(2)),
    tr("ef-aaem", 0x6FB6, None, Some(1)),
    tr("ef-hiddenkey", 0x6FC3, None, Some(4)),
    lf("ef-pnn", 0x6FC5, Some(0x19), Some(16), Some(10)),
    lf("ef-opl", 0x6FC6, Some(0x1A), Some(8), Some(5)),
    lf("ef-mbdn", 0x6FC7, None, Some(24), Some(3)),
    lf("ef-ext6", 0x6FC8, None, Some(13), Some(10)),
    lf("ef-mbi", 0x6FC9, None, Some(5), Some(10)),
    lf("ef-mwis", 0x6FCA, None, Some(6), Some(10)),
    lf("ef-cfis", 0x6FCB, None, Some(16), Some(10)),
    lf("ef-ext7", 0x6FCB, None, Some(13), Some(10)),
    tr("ef-spdi", 0x6FCD, Some(0x1B), Some(17)),
    lf("ef-mmsn", 0x6FCE, None, Some(6), Some(10)),
    lf("ef-ext8", 0x6FCF, None, Some(13), Some(10)),
    tr("ef-mmsicp", 0x6FD0, None, Some(100)),
    lf("ef-mmsup", 0x6FD1, None, None, None),
    tr("ef-mmsucp", 0x6FD2, None, Some(100)),
    lf("ef-nia", 0x6FD3, None, Some(11), Some(5)),
    tr("ef-vgcsca", 0x6FD4, None, None),
    tr("ef-vbsca", 0x6FD5, None, None),
    tr("ef-gbabp", 0x6FD6, None, None),
    lf("ef-msk", 0x6FD7, None, None, None),
    lf("ef-muk", 0x6FD8, None, None, None),
    tr("ef-ehplmn", 0x6FD9, Some(0x1D), Some(15)),
    lf("ef-gbanl", 0x6FDA, None, None, None),
    tr("ef-ehplmnpi", 0x6FDB, None, Some(1)),
    tr("ef-lrplmnsi", 0x6FDC, None, Some(1)),
    lf("ef-nafkca", 0x6FDD, None, None, None),
    tr("ef-spni", 0x6FDE, None, None),
    lf("ef-pnni", 0x6FDF, None, None, None),
    lf("ef-ncp-ip", 0x6FE2, None, None, None),
    tr("ef-ufc", 0x6FE6, None, Some(30)),
    tr("ef-nasconfig", 0x6FE8, None, Some(18)),
    lf("ef-uicciari", 0x6FE7, None, None, None),
    tr("ef-pws", 0x6FEC, None, None),
    lf("ef-fdnuri", 0x6FED, None, None, None),
    lf("ef-bdnuri", 0x6FEE, None, None, None),
    lf("ef-sdnuri", 0x6FEF, None, None, None),
    lf("ef-iwl", 0x6FF0, None, None, None),
    cy("ef-ips", 0x6FF1, None, Some(4), None),
    lf("ef-ipd", 0x6FF2, None, None, None),
];

/// `2.23.143.1.2.5.2` (pySim `FilesUsimOptionalV2`).
const T_5_2: &[TemplateFile] = &[
    tr("ef-li", 0x6F05, Some(0x02), Some(6)),
    tr("ef-acmmax", 0x6F37, None, Some(3)),
    cy("ef-acm", 0x6F39, None, Some(3), Some(1)),
    tr("ef-gid1", 0x6F3E, None, Some(8)),
    tr("ef-gid2", 0x6F3F, None, Some(8)),
    lf("ef-msisdn", 0x6F40, None, Some(24), Some(1)),
    tr("ef-puct", 0x6F41, None, Some(5)),
    tr("ef-cbmi", 0x6F45, None, Some(10)),
    tr("ef-cbmid", 0x6F48, Some(0x0E), Some(10)),
    lf("ef-sdn", 0x6F49, None, Some(24), Some(10)),
    lf("ef-ext2", 0x6F4B, None, Some(13), Some(10)),
    lf("ef-ext3", 0x6F4C, None, Some(13), Some(10)),
    tr("ef-cbmir", 0x6F50, None, Some(20)),
    tr("ef-plmnwact", 0x6F60, Some(0x0A), Some(40)),
    tr("ef-oplmnwact", 0x6F61, Some(0x11), Some(40)),
    tr("ef-hplmnwact", 0x6F62, Some(0x13), Some(5)),
    tr("ef-dck", 0x6F2C, None, Some(16)),
    tr("ef-cnl", 0x6F32, None, Some(30)),
    lf("ef-smsr", 0x6F47, None, Some(30), Some(10)),
    lf("ef-bdn", 0x6F4D, None, Some(25), Some(10)),
    lf("ef-ext5", 0x6F4E, None, Some(13), Some(10)),
    lf("ef-ccp2", 0x6F4F, Some(0x16), Some(15), Some(5)),
    lf("ef-ext4", 0x6F55, None, Some(13), Some(10)),
    tr("ef-acl", 0x6F57, None, Some(101)),
    lf("ef-cmi", 0x6F58, None, Some(11), Some(10)),
    cy("ef-ici", 0x6F80, Some(0x14), Some(38), Some(20)),
    cy("ef-oci", 0x6F81, Some(0x15), Some(37), Some(20)),
    cy("ef-ict", 0x6F82, None, Some(3), Some(1)),
    cy("ef-oct", 0x6F83, None, Some(3), Some(1)),
    tr("ef-vgcs", 0x6FB1, None, Some(20)),
    tr("ef-vgcss", 0x6FB2, None, Some(7)),
    tr("ef-vbs", 0x6FB3, None, Some(20)),
    tr("ef-vbss", 0x6FB4, None, Some(7)),
    tr("ef-emlpp", 0x6FB5, None, Some(2)),
    tr("ef-aaem", 0x6FB6, None, Some(1)),
    tr("ef-hiddenkey", 0x6FC3, None, Some(4)),
    lf("ef-pnn", 0x6FC5, Some(0x19), Some(16), Some(10)),
    lf("ef-opl", 0x6FC6, Some(0x1A), Some(8), Some(5)),
    lf("ef-mbdn", 0x6FC7, None, Some(24), Some(3)),
    lf("ef-ext6", 0x6FC8, None, Some(13), Some(10)),
    lf("ef-mbi", 0x6FC9, None, Some(5), Some(10)),
    lf("ef-mwis", 0x6FCA, None, Some(6), Some(10)),
    lf("ef-cfis", 0x6FCB, None, Some(16), Some(10)),
    lf("ef-ext7", 0x6FCB, None, Some(13), Some(10)),
    tr("ef-spdi", 0x6FCD, Some(0x1B), Some(17)),
    lf("ef-mmsn", 0x6FCE, None, Some(6), Some(10)),
    lf("ef-ext8", 0x6FCF, None, Some(13), Some(10)),
    tr("ef-mmsicp", 0x6FD0, None, Some(100)),
    lf("ef-mmsup", 0x6FD1, None, None, None),
    tr("ef-mmsucp", 0x6FD2, None, Some(100)),
    lf("ef-nia", 0x6FD3, None, Some(11), Some(5)),
    tr("ef-vgcsca", 0x6FD4, None, None),
    tr("ef-vbsca", 0x6FD5, None, None),
    tr("ef-gbabp", 0x6FD6, None, None),
    lf("ef-msk", 0x6FD7, None, None, None),
    lf("ef-muk", 0x6FD8, None, None, None),
    tr("ef-ehplmn", 0x6FD9, Some(0x1D), Some(15)),
    lf("ef-gbanl", 0x6FDA, None, None, None),
    tr("ef-ehplmnpi", 0x6FDB, None, Some(1)),
    tr("ef-lrplmnsi", 0x6FDC, None, Some(1)),
    lf("ef-nafkca", 0x6FDD, None, None, None),
    tr("ef-spni", 0x6FDE, None, None),
    lf("ef-pnni", 0x6FDF, None, None, None),
    lf("ef-ncp-ip", 0x6FE2, None, None, None),
    tr("ef-ufc", 0x6FE6, None, Some(30)),
    tr("ef-nasconfig", 0x6FE8, None, Some(18)),
    lf("ef-uicciari", 0x6FE7, None, None, None),
    tr("ef-pws", 0x6FEC, None, None),
    lf("ef-fdnuri", 0x6FED, None, None, None),
    lf("ef-bdnuri", 0x6FEE, None, None, None),
    lf("ef-sdnuri", 0x6FEF, None, None, None),
    lf("ef-iwl", 0x6FF0, None, None, None),
    cy("ef-ips", 0x6FF1, None, Some(4), None),
    lf("ef-ipd", 0x6FF2, None, None, None),
    tr("ef-epdgid", 0x6FF3, None, None),
    tr("ef-epdgselection", 0x6FF4, None, None),
    tr("ef-epdgidem", 0x6FF5, None, None),
    tr("ef-epdgidemsel", 0x6FF6, None, None),
    tr("ef-frompreferred", 0x6FF7, None, Some(1)),
    bt("ef-imsconfigdata", 0x6FF8, None, None),
    tr("ef-3gpppsdataoff", 0x6FF9, None, Some(4)),
    lf("ef-3gpppsdoslist", 0x6FFA, None, None, None),
    bt("ef-xcapconfigdata", 0x6FFC, None, None),
    tr("ef-earfcnlist", 0x6FFD, None, None),
    bt("ef-mudmidcfgdata", 0x6FFD, None, None),
];

/// `2.23.143.1.2.5.3` (pySim `FilesUsimOptionalV3`): what it adds to `T_5_2`.
const T_5_3_ADDED: &[TemplateFile] = &[tr("ef-eaka", 0x6F01, None, Some(1))];

/// `2.23.143.1.2.6` (pySim `FilesUsimDfPhonebook`).
const T_6: &[TemplateFile] = &[
    df("df-phonebook", Some(0x5F3A)),
    lf("ef-pbr", 0x4F30, None, None, None),
    tr("ef-psc", 0x4F22, None, Some(4)),
    tr("ef-cc", 0x4F23, None, Some(2)),
    tr("ef-puid", 0x4F24, None, Some(2)),
];

/// `2.23.143.1.2.7` (pySim `FilesUsimDfGsmAccess`).
const T_7: &[TemplateFile] = &[
    df("df-gsm-access", Some(0x5F3B)),
    tr("ef-kc", 0x4F20, Some(0x01), Some(9)),
    tr("ef-kcgprs", 0x4F52, Some(0x02), Some(9)),
    tr("ef-cpbcch", 0x4F63, None, Some(10)),
    tr("ef-invscan", 0x4F64, None, Some(1)),
];

/// `2.23.143.1.2.8` (pySim `FilesIsimMandatory`).
const T_8: &[TemplateFile] = &[
    adf("adf-isim"),
    tr("ef-impi", 0x6F02, Some(0x02), None),
    lf("ef-impu", 0x6F04, Some(0x04), None, Some(1)),
    tr("ef-domain", 0x6F03, Some(0x05), None),
    tr("ef-ist", 0x6F07, Some(0x07), Some(14)),
    tr("ef-ad", 0x6FAD, Some(0x03), Some(3)),
    lf("ef-arr", 0x6F06, Some(0x06), None, None),
];

/// `2.23.143.1.2.9` (pySim `FilesIsimOptional`).
const T_9: &[TemplateFile] = &[
    lf("ef-pcscf", 0x6F09, None, None, Some(1)),
    lf("ef-sms", 0x6F3C, None, Some(176), Some(10)),
    lf("ef-smsp", 0x6F42, None, Some(38), Some(1)),
    tr("ef-smss", 0x6F43, None, Some(2)),
    lf("ef-smsr", 0x6F47, None, Some(30), Some(10)),
    tr("ef-gbabp", 0x6FD5, None, None),
    lf("ef-gbanl", 0x6FD7, None, None, None),
    lf("ef-nafkca", 0x6FDD, None, None, None),
    lf("ef-uicciari", 0x6FE7, None, None, None),
];

/// `2.23.143.1.2.9.2` (pySim `FilesIsimOptionalv2`): what it adds to `T_9`.
const T_9_2_ADDED: &[TemplateFile] = &[
    tr("ef-frompreferred", 0x6FF7, None, Some(1)),
    bt("ef-imsconfigdata", 0x6FF8, None, None),
    bt("ef-xcapconfigdata", 0x6FFC, None, None),
    lf("ef-webrtcuri", 0x6FFA, None, None, None),
    bt("ef-mudmidcfgdata", 0x6FFA, None, None),
];

/// `2.23.143.1.2.12` (pySim `FilesEap`).
const T_12: &[TemplateFile] = &[
    df("df-eap", None),
    tr("ef-eapkeys", 0x4F01, None, None),
    tr("ef-eapstatus", 0x4F02, None, Some(1)),
    tr("ef-puid", 0x4F03, None, None),
    tr("ef-ps", 0x4F04, None, None),
    tr("ef-curid", 0x4F20, None, None),
    tr("ef-relid", 0x4F21, None, None),
    tr("ef-realm", 0x4F22, None, None),
];

/// `2.23.143.1.2.13` (pySim `FilesUsimDf5GS`).
const T_13: &[TemplateFile] = &[
    df("df-df-5gs", Some(0x5FC0)),
    tr("ef-5gs3gpploci", 0x4F01, Some(0x01), Some(20)),
    tr("ef-5gsn3gpploci", 0x4F02, Some(0x02), Some(20)),
    lf("ef-5gs3gppnsc", 0x4F03, Some(0x03), Some(57), Some(1)),
    lf("ef-5gsn3gppnsc", 0x4F04, Some(0x04), Some(57), Some(1)),
    tr("ef-5gauthkeys", 0x4F05, Some(0x05), Some(110)),
    tr("ef-uac-aic", 0x4F06, Some(0x06), Some(4)),
    tr("ef-suci-calc-info", 0x4F07, Some(0x07), None),
    lf("ef-opl5g", 0x4F08, Some(0x08), Some(10), None),
    tr("ef-supinai", 0x4F09, Some(0x09), None),
    tr("ef-routing-indicator", 0x4F0A, Some(0x0A), Some(4)),
];

/// `2.23.143.1.2.13.2` (pySim `FilesUsimDf5GSv2`).
const T_13_2: &[TemplateFile] = &[
    df("df-df-5gs", Some(0x5FC0)),
    tr("ef-5gs3gpploci", 0x4F01, Some(0x01), Some(20)),
    tr("ef-5gsn3gpploci", 0x4F02, Some(0x02), Some(20)),
    lf("ef-5gs3gppnsc", 0x4F03, Some(0x03), Some(57), Some(1)),
    lf("ef-5gsn3gppnsc", 0x4F04, Some(0x04), Some(57), Some(1)),
    tr("ef-5gauthkeys", 0x4F05, Some(0x05), Some(110)),
    tr("ef-uac-aic", 0x4F06, Some(0x06), Some(4)),
    tr("ef-suci-calc-info", 0x4F07, Some(0x07), None),
    lf("ef-opl5g", 0x4F08, Some(0x08), Some(10), None),
    tr("ef-supi-nai", 0x4F09, Some(0x09), None),
    tr("ef-routing-indicator", 0x4F0A, Some(0x0A), Some(4)),
    bt("ef-ursp", 0x4F0B, None, None),
    tr("ef-tn3gppsnn", 0x4F0C, Some(0x0C), Some(1)),
];

/// `2.23.143.1.2.13.3` (pySim `FilesUsimDf5GSv3`).
const T_13_3: &[TemplateFile] = &[
    df("df-df-5gs", Some(0x5FC0)),
    tr("ef-5gs3gpploci", 0x4F01, Some(0x01), Some(20)),
    tr("ef-5gsn3gpploci", 0x4F02, Some(0x02), Some(20)),
    lf("ef-5gs3gppnsc", 0x4F03, Some(0x03), Some(62), Some(2)),
    lf("ef-5gsn3gppnsc", 0x4F04, Some(0x04), Some(62), Some(2)),
    tr("ef-5gauthkeys", 0x4F05, Some(0x05), Some(110)),
    tr("ef-uac-aic", 0x4F06, Some(0x06), Some(4)),
    tr("ef-suci-calc-info", 0x4F07, Some(0x07), None),
    lf("ef-opl5g", 0x4F08, Some(0x08), Some(10), None),
    tr("ef-supinai", 0x4F09, Some(0x09), None),
    tr("ef-routing-indicator", 0x4F0A, Some(0x0A), Some(4)),
    bt("ef-ursp", 0x4F0B, None, None),
    tr("ef-tn3gppsnn", 0x4F0C, Some(0x0C), Some(1)),
];

/// `2.23.143.1.2.13.4` (pySim `FilesUsimDf5GSv4`): what it adds to `T_13_3`.
const T_13_4_ADDED: &[TemplateFile] = &[
    tr("ef-cag", 0x4F0D, Some(0x0D), Some(2)),
    tr("ef-sor-cmci", 0x4F0E, Some(0x0E), None),
    tr("ef-dri", 0x4F0F, Some(0x0F), Some(7)),
    tr("ef-5gsedrx", 0x4F10, Some(0x10), Some(2)),
    tr("ef-5gnswo-conf", 0x4F11, Some(0x11), Some(1)),
    tr("ef-mchpplmn", 0x4F15, Some(0x15), Some(1)),
    tr("ef-kausf-derivation", 0x4F16, Some(0x16), Some(1)),
];

/// `2.23.143.1.2.14` (pySim `FilesUsimDfSaip`).
const T_14: &[TemplateFile] = &[
    df("df-df-saip", Some(0x5FD0)),
    tr("ef-suci-calc-info-usim", 0x4F01, None, None),
];

/// `2.23.143.1.2.15` (pySim `FilesDfSnpn`).
const T_15: &[TemplateFile] = &[
    df("df-df-snpn", Some(0x5FE0)),
    tr("ef-pws-snpn", 0x4F01, None, Some(1)),
];

/// `2.23.143.1.2.16` (pySim `FilesDf5GProSe`).
const T_16: &[TemplateFile] = &[
    df("df-df-5g-prose", Some(0x5FF0)),
    tr("ef-5g-prose-st", 0x4F01, Some(0x01), Some(1)),
    tr("ef-5g-prose-dd", 0x4F02, Some(0x02), Some(26)),
    tr("ef-5g-prose-dc", 0x4F03, Some(0x03), Some(12)),
    tr("ef-5g-prose-u2nru", 0x4F04, Some(0x04), Some(32)),
    tr("ef-5g-prose-ru", 0x4F05, Some(0x05), Some(29)),
    tr("ef-5g-prose-uir", 0x4F06, Some(0x06), Some(32)),
];

/// Every template, by the content octets of its OID.
const TEMPLATES: &[Template] = &[
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x01],
        files: &[T_1],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x02],
        files: &[T_2],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x03],
        files: &[T_3],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x03, 0x02],
        files: &[T_3_2],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x04],
        files: &[T_4],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x04, 0x02],
        files: &[T_4_2],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x05],
        files: &[T_5],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x05, 0x02],
        files: &[T_5_2],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x05, 0x03],
        files: &[T_5_2, T_5_3_ADDED],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x06],
        files: &[T_6],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x07],
        files: &[T_7],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x08],
        files: &[T_8],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x09],
        files: &[T_9],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x09, 0x02],
        files: &[T_9, T_9_2_ADDED],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x0C],
        files: &[T_12],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x0D],
        files: &[T_13],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x0D, 0x02],
        files: &[T_13_2],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x0D, 0x03],
        files: &[T_13_3],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x0D, 0x04],
        files: &[T_13_3, T_13_4_ADDED],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x0E],
        files: &[T_14],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x0F],
        files: &[T_15],
    },
    Template {
        oid: &[0x67, 0x81, 0x0F, 0x01, 0x02, 0x10],
        files: &[T_16],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The content octets of `2.23.143.1.2.<n>`.
    fn tca(n: u8) -> [u8; 6] {
        [0x67, 0x81, 0x0F, 0x01, 0x02, n]
    }

    #[test]
    fn mf_template_facts() {
        // TS 102 221 §13: EF.DIR 2F00 linear fixed with SFI 1E; EF.PL
        // 2F05 transparent, SFI 05, 2 bytes in the SAIP template.
        let mf = Template::by_oid(Oid::new(&tca(1)).unwrap()).unwrap();
        let dir = mf.file("ef-dir").unwrap();
        assert_eq!(
            (dir.fid, dir.file_type, dir.sfi),
            (Some([0x2F, 0x00]), FileType::LinearFixed, Some(0x1E))
        );
        let pl = mf.file("ef-pl").unwrap();
        assert_eq!(
            (pl.fid, pl.sfi, pl.size),
            (Some([0x2F, 0x05]), Some(5), Some(2))
        );
        assert_eq!(mf.file("ef-iccid").unwrap().fid, Some([0x2F, 0xE2]));
        let usim = Template::by_oid(Oid::new(&tca(4)).unwrap()).unwrap();
        let adf = usim.file("adf-usim").unwrap();
        assert_eq!((adf.fid, adf.is_adf), (None, true));
        assert!(Template::by_oid(Oid::new(&tca(99)).unwrap()).is_none());
    }

    #[test]
    fn complete_takes_only_the_gaps() {
        let mf = Template::by_oid(Oid::new(&tca(1)).unwrap()).unwrap();
        let pl = mf.file("ef-pl").unwrap();
        let (all, from) = pl.complete(None);
        assert_eq!(
            (all.file_id, all.file_type, all.sfi, all.size),
            (
                Some([0x2F, 0x05]),
                Some(FileType::Transparent),
                Some(Some(5)),
                Some(2)
            )
        );
        assert_eq!(
            from,
            FromTemplate {
                fid: true,
                file_type: true,
                sfi: true,
                size: true
            }
        );
        // The package's own facts win; an empty shortEFID stays "no SFI".
        let own = FileInfo {
            file_type: Some(FileType::Transparent),
            file_id: Some([0x2F, 0x05]),
            sfi: Some(None),
            size: Some(6),
            record_length: None,
            record_count: None,
            is_adf: false,
        };
        assert_eq!(pl.complete(Some(&own)), (own, FromTemplate::default()));
        // A record EF: size from the template's record length and count.
        let dn = Template::by_oid(Oid::new(&tca(3)).unwrap())
            .unwrap()
            .file("ef-ice-dn")
            .unwrap();
        let (i, from) = dn.complete(None);
        assert_eq!(
            (i.record_length, i.record_count, i.size),
            (Some(24), Some(50), Some(1200))
        );
        assert!(from.size);
    }
}
