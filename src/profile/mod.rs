//! Profile packages: the TCA (SIMalliance) eUICC Profile Package
//! interoperable format ("SAIP", PEDefinitions v3.3.1) without allocation.
//!
//! A package is a bare concatenation of DER `ProfileElement`s, `header`
//! first and `end` last. This module reads it in place:
//!
//! * [`Package::elements`] iterates the elements ([`ProfileElement`]: type,
//!   raw bytes, byte offset, [`PeHeader`]); unknown CHOICE alternatives are
//!   kept by tag ([`PeType`]).
//! * [`ProfileHeader`] decodes the header (versions, profileType, ICCID,
//!   mandatory services and GFSTE OIDs, POL1, ...); [`Iccid`] knows both the
//!   header and the EF.ICCID coding.
//! * Typed views of the elements an SM-SR needs, with ASN.1 DEFAULTs filled
//!   in: [`SecurityDomain`], [`Rfm`], [`AkaParameter`], [`PinCodes`],
//!   [`PukCodes`], [`FileSystem`] (template PEs), [`GenericFileManagement`],
//!   [`CdmaParameter`], [`Application`] and [`NonStandard`].
//! * [`Naa`] / [`naas`]: the USIM, ISIM and CSIM elements with their ADF
//!   AID and the [`Imsi`] of EF.IMSI; [`FileInfo`] reads an [`Fcp`]'s file
//!   type, SFI and size; [`Template`] gives what a file structure
//!   template says of a file the package leaves out.
//! * [`validate`] reports structural problems with PE index and offset, and
//!   what the package as a whole needs (services, algorithms, PE order).
//! * [`PackageWriter`] emits a package from elements.
//!
//! Cutting a package into SCP03t `86` segments and protecting them is the
//! job of [`crate::scp03t`].
//!
//! ```
//! use smsr::profile::{Package, PeType};
//!
//! // The smallest well-formed element: PE-End with identification 1.
//! let bytes = [0xAA, 0x07, 0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x01];
//! let pe = Package::new(&bytes).elements().next().unwrap()?;
//! assert_eq!(pe.pe_type(), PeType::END);
//! assert_eq!(pe.pe_header()?.map(|h| h.identification), Some(1));
//! # Ok::<(), smsr::profile::Error>(())
//! ```

mod aka;
mod app;
mod cdma;
mod der;
mod descriptor;
mod element;
mod error;
mod files;
mod gfm;
mod header;
mod naa;
mod names;
mod pe_type;
mod pin;
mod problem;
mod rfm;
mod rules;
mod sd;
mod templates;
mod validate;
mod writer;

pub use aka::{AkaParameter, AlgoConfiguration, AlgoParameter, MappingParameter};
pub use app::{Application, LoadPackage, NonStandard};
pub use cdma::CdmaParameter;
pub use der::Oid;
pub use descriptor::{FileInfo, FileType};
pub use element::{Elements, Package, PeHeader, ProfileElement};
pub use error::{Error, ErrorKind};
pub use files::{Fcp, FileEntry, FileMember, FileSystem};
pub use gfm::{FileManagementCommand, GenericFileManagement};
pub use header::{AidList, Iccid, MandatoryAid, OidList, ProfileHeader, Services};
pub use naa::{Imsi, Naa, naas};
pub use pe_type::PeType;
pub use pin::{PinCodes, PinConfiguration, PukCodes, PukConfiguration};
pub use problem::{Problem, ProblemKind};
pub use rfm::{AdfRfmAccess, Rfm};
pub use sd::{ApplicationInstance, KeyComponent, KeyObject, SecurityDomain};
pub use templates::{FromTemplate, Template, TemplateFile};
pub use validate::{ValidateOptions, validate};
pub use writer::PackageWriter;
#[cfg(feature = "alloc")]
pub use writer::to_vec;
