//! Scenario tests: a case that fires and a near miss per rule.
