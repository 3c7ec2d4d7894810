//! conformance (being built)
