//! The breaking-change diff of two specs (being written).
