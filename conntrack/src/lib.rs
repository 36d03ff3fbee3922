//! Connection tracker (being built).
