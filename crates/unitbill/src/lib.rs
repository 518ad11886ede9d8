//! The library side of the `unitbill` binary: the demo and the module simulator, so that tests
//! can drive them. The verbs (`cli`) and the configuration stay in the binary.

pub mod demo;
pub mod simulate;
