//! Helpers shared by the end-to-end and interoperability tests under
//! `tests/tests/`: locating the built `ctswitch` binary and the real
//! `ovs-ofctl`, and running them.
