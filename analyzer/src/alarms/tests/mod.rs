//! Tests of `moatctl alarms`, from AWS documentation tables and examples.
