"""Every write to the record: keyword-only, role- and lifecycle-checked, audited in the same
transaction. Import the functions from their modules; this package only groups them."""
