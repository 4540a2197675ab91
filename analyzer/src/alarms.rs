//! alarms: being built.
