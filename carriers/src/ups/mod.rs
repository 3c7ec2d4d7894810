//! ups adapter (being built; not registered in `CARRIERS` yet).
