//! OpenFlow codec (being built).
