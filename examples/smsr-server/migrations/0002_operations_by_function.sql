-- The last operation of one function on one eUICC (Store::latest_op_of:
-- whether a retransmitted notification's confirmation already succeeded)
-- without scanning the eUICC's settled operations.
CREATE INDEX operations_eid_function ON operations(eid, function, id);
