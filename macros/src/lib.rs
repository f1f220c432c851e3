//! Proc macros over the sagac generator core. This crate is a shim: it reads
//! the spec named by the macro argument and hands it to `sagac-core`.
