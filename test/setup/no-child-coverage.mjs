// Test files spawn LeakGuard itself (serve, check, runners, the simulators) through tsx.
// Their V8 coverage, merged with tap's, turns every file they load into a false 100%;
// coverage is measured in the test processes only.
delete process.env.NODE_V8_COVERAGE;
