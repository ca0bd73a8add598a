//! A batch row that does not decode is an error, never a zero: a negative
//! `refused` (the only count stored rather than computed) fails
//! [`Store::batch`] with [`StoreError::Corrupt`] on every backend, and
//! changes nothing.

use crate::store::{Store, StoreError};

pub fn a_negative_batch_count_is_corrupt_not_zero(b: &super::Backend) {
    let s: &dyn Store = b.store.as_ref();
    let batch = s.create_batch("MNO1", "AuditEIS", 3).expect("batch");
    assert_eq!(s.batch(batch).expect("read").expect("some").refused, 3);
    (b.sql)(&format!(
        "UPDATE batches SET refused = -1 WHERE id = {batch}"
    ))
    .expect("sql");
    let r = s.batch(batch);
    assert!(
        matches!(&r, Err(StoreError::Corrupt(m)) if m.contains(&format!("batch {batch}")) && m.contains("-1")),
        "{r:?}"
    );
    (b.sql)(&format!(
        "UPDATE batches SET refused = 3 WHERE id = {batch}"
    ))
    .expect("sql");
    let p = s.batch(batch).expect("read").expect("some");
    assert_eq!((p.total, p.refused), (0, 3), "the batch itself unchanged");
}
