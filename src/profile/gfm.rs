//! PE-GenericFileManagement (PEDefinitions v3.3.1): a script of select,
//! create and fill commands for files outside the templates.

use crate::tlv::Tlv;

use super::der::{self, Fields};
use super::files::Fcp;
use super::{Error, ErrorKind, PeHeader, PeType, ProfileElement};

/// One command of a `FileManagement` script. The CHOICE has explicit tags,
/// so `fillFileOffset` is a universal INTEGER (`02`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileManagementCommand<'a> {
    /// `filePath` (`80`): select by path from the MF (empty = the MF; ADFs by
    /// their temporary file ID).
    FilePath(&'a [u8]),
    /// `createFCP` (`62`): create a file under the current DF.
    CreateFcp(Fcp<'a>),
    /// `fillFileOffset` (`02`).
    FillFileOffset(u16),
    /// `fillFileContent` (`81`).
    FillFileContent(&'a [u8]),
}

impl<'a> FileManagementCommand<'a> {
    // Always inlined: where the command is only checked (from_element),
    // the Fcp it builds is then never copied.
    #[inline(always)]
    fn parse(t: &Tlv<'a>) -> Result<Self, Error> {
        Self::decode(t, Fcp::parse)
    }

    /// What [`FileManagementCommand::parse`] checks, without building the
    /// command (a `createFCP` through [`Fcp::check`]).
    #[inline(always)]
    fn check(t: &Tlv<'a>) -> Result<(), Error> {
        Self::decode(t, |f| Fcp::check(f).map(|()| Fcp::default())).map(|_| ())
    }

    /// [`FileManagementCommand::parse`], the `createFCP` decoded by `fcp`.
    #[inline(always)]
    fn decode(
        t: &Tlv<'a>,
        fcp: impl Fn(&Tlv<'a>) -> Result<Fcp<'a>, Error>,
    ) -> Result<Self, Error> {
        Ok(match t.tag().raw() {
            0x80 => {
                if t.value().len() > 8 {
                    return Err(Error::new(
                        ErrorKind::BadValue("filePath"),
                        t.value_offset(),
                    ));
                }
                Self::FilePath(t.value())
            }
            0x62 => Self::CreateFcp(fcp(t)?),
            0x02 => Self::FillFileOffset(u16::try_from(der::uint(t, "fillFileOffset")?).map_err(
                |_| Error::new(ErrorKind::BadValue("fillFileOffset"), t.value_offset()),
            )?),
            0x81 => Self::FillFileContent(t.value()),
            _ => {
                return Err(Error::new(
                    ErrorKind::BadValue("FileManagement"),
                    t.offset(),
                ));
            }
        })
    }
}

/// `PE-GenericFileManagement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenericFileManagement<'a> {
    /// `gfm-header`.
    pub header: PeHeader,
    cmds: Tlv<'a>,
}

impl<'a> GenericFileManagement<'a> {
    /// Decodes a `genericFileManagement` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] or the first missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::GENERIC_FILE_MANAGEMENT)?;
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "gfm-header")?)?;
        let cmds = f.required(0xA1, "fileManagementCMD")?;
        let mut groups = 0;
        for g in cmds.children() {
            let g = g?;
            if g.tag().raw() != 0x30 {
                return Err(Error::new(
                    ErrorKind::BadValue("FileManagement"),
                    g.offset(),
                ));
            }
            for c in g.children() {
                FileManagementCommand::check(&c?)?;
            }
            groups += 1;
        }
        if groups == 0 {
            return Err(Error::new(
                ErrorKind::MissingField("FileManagement"),
                cmds.value_offset(),
            ));
        }
        Ok(Self { header, cmds })
    }

    /// Number of `FileManagement` entries in `fileManagementCMD`.
    pub fn file_management_count(&self) -> usize {
        self.cmds.children().count()
    }

    /// Every command of every `FileManagement` entry, in order, with the
    /// index of its entry.
    pub fn commands(&self) -> impl Iterator<Item = (usize, FileManagementCommand<'a>)> + 'a {
        self.cmds
            .children()
            .filter_map(Result::ok)
            .enumerate()
            .flat_map(|(i, g)| {
                g.children().filter_map(move |c| {
                    c.ok()
                        .and_then(|c| FileManagementCommand::parse(&c).ok())
                        .map(|c| (i, c))
                })
            })
    }
}
