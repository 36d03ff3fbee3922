//! The field registry (being built).
