//! shiphub-rating: rate cards, freight cost that explains itself, the table-rate carrier for
//! carriers without an API, and carrier invoice import and audit. Depends only on
//! `shiphub-carriers` (the vocabulary). Its capabilities arrive with their own issues; until
//! then the crate is an empty member of the workspace so the dependency direction
//! (`hub -> rating -> carriers`) is fixed from the start.
