//! Shared helpers for humiao-cli integration tests.
//!
//! Each test crate (`tests/*.rs`) that declares `mod support;` compiles this
//! module on its own and typically uses only part of it.
#![allow(dead_code)]

pub mod cli;
pub mod webdriver;
