"""Everything that touches SQLite lives in this package; it imports nothing of Mend's."""
