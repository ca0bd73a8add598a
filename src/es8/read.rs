//! Reading TLVs in the fixed order the ES8 layouts prescribe.

use super::Error;
use crate::tlv::{Reader, Tag, Tlv};

/// The next sibling, which must have `tag`.
pub(super) fn expect<'a>(r: &mut Reader<'a>, tag: Tag) -> Result<Tlv<'a>, Error> {
    let offset = r.offset();
    match r.next() {
        Some(Ok(t)) if t.tag() == tag => Ok(t),
        Some(Err(e)) => Err(e.into()),
        _ => Err(Error::MissingTag {
            expected: tag,
            offset,
        }),
    }
}

/// The next sibling if it has `tag`; nothing is consumed otherwise.
pub(super) fn optional<'a>(r: &mut Reader<'a>, tag: Tag) -> Result<Option<Tlv<'a>>, Error> {
    let mut peek = r.clone();
    match peek.next() {
        Some(Ok(t)) if t.tag() == tag => {
            *r = peek;
            Ok(Some(t))
        }
        Some(Err(e)) => Err(e.into()),
        _ => Ok(None),
    }
}

/// Refuses siblings left after the last expected one.
pub(super) fn end(r: &mut Reader<'_>) -> Result<(), Error> {
    let offset = r.offset();
    match r.next() {
        None => Ok(()),
        Some(Err(e)) => Err(e.into()),
        Some(Ok(_)) => {
            Err(crate::tlv::Error::new(crate::tlv::ErrorKind::TrailingData, offset).into())
        }
    }
}

/// The value of `t` as exactly `N` octets.
pub(super) fn fixed<const N: usize>(t: &Tlv<'_>, what: &'static str) -> Result<[u8; N], Error> {
    t.value().try_into().map_err(|_| Error::FieldLength {
        what,
        len: t.value().len(),
        offset: t.value_offset(),
    })
}

/// The value of `t` as one octet.
pub(super) fn byte(t: &Tlv<'_>, what: &'static str) -> Result<u8, Error> {
    fixed::<1>(t, what).map(|[b]| b)
}
